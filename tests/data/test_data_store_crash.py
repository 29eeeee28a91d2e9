"""Crash safety of the store: a replacing import killed between any two file-system steps loses
nothing. The next store operation finds the previous or the new complete copy under NAME/ and
leaves no hidden folder behind.

How: a child process replaces dataset ``tiny`` (v1) with v2 and calls ``os._exit`` (no cleanup,
no ``finally``: what SIGKILL does) on its k-th file-system call (mkdir, fsync, rename, unlink,
rmdir); k runs from 1 until the child finishes on its own, so every gap between two steps is hit.
"""
import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from hedgelab.core import tempdirs as _tempdirs
from hedgelab.data import list_datasets, read_dataset, write_dataset
from hedgelab.data.store import recover

CHILD = textwrap.dedent("""
    import os, sys
    from hedgelab.data.dataset import Dataset
    from hedgelab.data.store import read_dataset, write_dataset
    store, k = sys.argv[1], int(sys.argv[2])
    old = read_dataset("tiny", store)
    new = Dataset("tiny", old.bars, old.funding, old.iv, {**old.manifest, "notes": ["v2"]})
    calls = [0]
    def killed_at_k(fn):
        def step(*args, **kwargs):
            calls[0] += 1
            if calls[0] == k:
                os._exit(137)
            return fn(*args, **kwargs)
        return step
    for name in ("mkdir", "fsync", "replace", "rename", "unlink", "rmdir"):
        setattr(os, name, killed_at_k(getattr(os, name)))
    write_dataset(new, store)
    print("steps", calls[0])
""")


def _notes(store) -> list:
    return read_dataset("tiny", store).manifest["notes"]


def test_replacing_import_survives_a_kill_between_every_pair_of_steps(tmp_path, dataset_factory):
    template = tmp_path / "template"
    v1 = dataset_factory()
    v1.manifest["notes"] = ["v1"]
    write_dataset(v1, template)
    outcomes = {}
    for k in range(1, 60):
        store = tmp_path / f"store-{k}"
        shutil.copytree(template, store)
        child = subprocess.run([sys.executable, "-c", CHILD, str(store), str(k)], capture_output=True,
                               text=True, timeout=120)
        assert child.returncode in (0, 137), child.stderr
        # the next command's view: exactly one complete copy, old or new, and nothing hidden left
        assert list_datasets(store) == ["tiny"], (k, sorted(os.listdir(store)))
        outcomes[k] = _notes(store)[0]
        assert sorted(os.listdir(store)) == ["tiny"], (k, sorted(os.listdir(store)))
        if child.returncode == 0:
            steps = int(child.stdout.split()[-1])
            break
    else:
        pytest.fail("the replacing import never finished within 59 steps")
    assert k == steps + 1                      # every step was a kill point once
    assert steps >= 10                         # mkdirs, 4 fsyncs, 2 renames, the old copy's removal
    assert set(outcomes.values()) == {"v1", "v2"}
    assert outcomes[steps + 1] == "v2"
    first_v2 = min(j for j, v in outcomes.items() if v == "v2")
    # once the new copy is under NAME/ it stays the answer: no kill after that brings v1 back
    assert all(outcomes[j] == "v2" for j in range(first_v2, steps + 2))
    assert all(outcomes[j] == "v1" for j in range(1, first_v2))


def test_a_live_writers_folders_are_left_alone(tmp_path, dataset_factory):
    store = tmp_path / "store"
    write_dataset(dataset_factory(), store)
    mine = store / _tempdirs.temp_name("tiny", "tmp")   # this (live) process's temp folder
    mine.mkdir()
    recover(store)
    assert mine.is_dir()


def test_an_old_copy_of_a_dead_process_is_restored_only_when_complete(tmp_path, dataset_factory):
    store = tmp_path / "store"
    write_dataset(dataset_factory(), store)
    dead = "999999999-1"                               # no such pid
    os.replace(store / "tiny", store / f".tiny.old-{dead}")
    assert list_datasets(store) == ["tiny"]            # complete: put back
    (store / "tiny" / "iv.parquet").unlink()
    os.replace(store / "tiny", store / f".tiny.old-{dead}")
    assert list_datasets(store) == []                  # incomplete: never restored as a dataset
    assert os.listdir(store) == []


def test_legacy_and_foreign_hidden_folders_are_not_touched(tmp_path, dataset_factory):
    store = tmp_path / "store"
    write_dataset(dataset_factory(), store)
    (store / ".tiny.old-abc123xy").mkdir()             # no owner in the name: nobody's to judge
    (store / ".tiny.tmp-abc123xy").mkdir()
    recover(store)
    assert (store / ".tiny.old-abc123xy").is_dir() and (store / ".tiny.tmp-abc123xy").is_dir()
    assert json.loads((store / "tiny" / "manifest.json").read_text())["name"] == "tiny"


def test_the_old_versions_leftover_of_a_kill_between_the_renames_is_restored(tmp_path, dataset_factory):
    """The issue's state, made by the previous code: NAME/ gone, its complete copy renamed to a
    mkdtemp name ``.NAME.old-xxxxxxxx`` and the new one in ``.NAME.tmp-xxxxxxxx``."""
    store = tmp_path / "store"
    write_dataset(dataset_factory(), store)
    os.replace(store / "tiny", store / ".tiny.old-k3j_9a2b")
    (store / ".tiny.tmp-q8w7e6r5").mkdir()
    assert list_datasets(store) == ["tiny"]
    assert read_dataset("tiny", store).bars.shape[0] == 48
    assert sorted(os.listdir(store)) == [".tiny.tmp-q8w7e6r5", "tiny"]   # owner-less temp: left alone


def test_a_fetch_page_in_flight_when_its_process_died_is_deleted_on_the_next_open(tmp_path):
    import pandas as pd

    from hedgelab.data.fetch_cache import SeriesCache, atomic_parquet
    series = tmp_path / "mark"
    series.mkdir()
    dead = series / ".1756684800000-1756771200000.parquet.tmp-999999999-1"
    dead.write_bytes(b"half a page")
    live = series / _tempdirs.temp_name("1756771200000-1756857600000.parquet", "tmp")  # this process's
    live.write_bytes(b"being written")
    SeriesCache(tmp_path, "mark", ["open"])
    assert not dead.exists() and live.exists()
    live.unlink()
    atomic_parquet(pd.DataFrame({"ts": [1], "open": [2.0]}), series / "1-2.parquet")
    assert sorted(p.name for p in series.iterdir()) == ["1-2.parquet"]     # no temp file left
