"""Store location, round trip, atomic replacement, validation at load, unknown names."""
import json
import os

import numpy as np
import pandas as pd
import pytest

import hedgelab.data.store as store_mod
from hedgelab.data import Dataset, list_datasets, load, read_dataset, store_dir, write_dataset
from hedgelab.core.errors import DataError, UserError


def test_store_dir_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv("HEDGELAB_HOME", str(tmp_path / "env"))
    assert store_dir(tmp_path / "arg") == tmp_path / "arg"          # argument wins
    assert store_dir() == tmp_path / "env"                          # then $HEDGELAB_HOME
    monkeypatch.delenv("HEDGELAB_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    if os.name == "posix" and os.uname().sysname == "Linux":
        assert store_dir() == tmp_path / "xdg" / "hedgelab"         # then the platform data dir


def test_round_trip_keeps_frames_and_manifest(store, dataset_factory):
    fund = pd.DataFrame({"rate": [1e-4, -2e-4], "mark_price": [np.nan, 107.5]},
                        index=pd.DatetimeIndex(["2025-01-01 08:00", "2025-01-01 16:00"], tz="UTC", name="time"))
    iv = pd.DataFrame({"atm_iv": [0.4, 0.5]},
                      index=pd.DatetimeIndex(["2025-01-01 10:30", "2025-01-01 11:30"], tz="UTC", name="time"))
    ds = dataset_factory(funding=fund, iv=iv)
    path = write_dataset(ds, store)
    assert sorted(p.name for p in path.iterdir()) == ["bars.parquet", "funding.parquet", "iv.parquet",
                                                      "manifest.json"]
    back = load("tiny", store)
    pd.testing.assert_frame_equal(back.bars, ds.bars, check_index_type=False, check_freq=False)
    pd.testing.assert_frame_equal(back.funding, ds.funding, check_index_type=False, check_freq=False)
    pd.testing.assert_frame_equal(back.iv, ds.iv, check_index_type=False, check_freq=False)
    assert back.manifest == json.loads(json.dumps(ds.manifest))
    assert str(back.bars.index.tz) == "UTC" and back.bars.index.name == "time"
    assert list_datasets(store) == ["tiny"]


def test_unknown_name_lists_available(store, dataset_factory):
    write_dataset(dataset_factory("alpha"), store)
    with pytest.raises(UserError, match=r"no dataset named 'beta'.*available: .*alpha"):
        read_dataset("beta", store)


def test_builtin_name_and_bad_names_refused(store, dataset_factory):
    with pytest.raises(UserError, match="built-in"):
        write_dataset(dataset_factory("crisis-2025"), store)
    with pytest.raises(UserError, match="dataset name"):
        write_dataset(dataset_factory("../escape"), store)


def _fail_after_first_file(real):
    def partial(ds, folder):
        ds.bars.to_parquet(folder / "bars.parquet")
        raise OSError("disk full (simulated)")
    return partial


def test_failed_write_keeps_old_dataset(store, dataset_factory, monkeypatch):
    old = dataset_factory(n=48)
    write_dataset(old, store)
    monkeypatch.setattr(store_mod, "_write_files", _fail_after_first_file(store_mod._write_files))
    with pytest.raises(OSError, match="simulated"):
        write_dataset(dataset_factory(n=24), store)
    assert len(load("tiny", store).bars) == 48                 # the old one, complete
    assert [p.name for p in store.iterdir()] == ["tiny"]       # no temp directory left behind


def test_failed_final_rename_restores_old(store, dataset_factory, monkeypatch):
    write_dataset(dataset_factory(n=48), store)
    real_replace = os.replace

    def replace(src, dst):
        if ".tmp-" in str(src):
            raise OSError("rename failed (simulated)")
        return real_replace(src, dst)

    monkeypatch.setattr(store_mod.os, "replace", replace)
    with pytest.raises(OSError, match="simulated"):
        write_dataset(dataset_factory(n=24), store)
    monkeypatch.undo()
    assert len(load("tiny", store).bars) == 48
    assert [p.name for p in store.iterdir()] == ["tiny"]


def test_failed_first_write_leaves_nothing(store, dataset_factory, monkeypatch):
    monkeypatch.setattr(store_mod, "_write_files", _fail_after_first_file(store_mod._write_files))
    with pytest.raises(OSError):
        write_dataset(dataset_factory(), store)
    assert list(store.iterdir()) == [] and list_datasets(store) == []


def test_invalid_dataset_is_not_written(store, dataset_factory):
    ds = dataset_factory()
    ds.bars.iloc[3, ds.bars.columns.get_loc("high")] = 50.0   # bar 3 has low = 99 + 3 = 102
    with pytest.raises(DataError, match=r"bars\.parquet, row 4 .*column 'high': high 50\.0 is below low 102\.0"):
        write_dataset(ds, store)
    assert not store.exists() or list(store.iterdir()) == []


def test_load_validates_damaged_files(store, dataset_factory):
    path = write_dataset(dataset_factory(), store)
    bars = pd.read_parquet(path / "bars.parquet")
    bars.iloc[9, bars.columns.get_loc("mark_close")] = -1.0
    bars.to_parquet(path / "bars.parquet")
    with pytest.raises(DataError, match=r"bars\.parquet, row 10 .*column 'mark_close': price -1\.0 must be positive"):
        load("tiny", store)


def test_load_refuses_missing_file_and_naive_index(store, dataset_factory):
    path = write_dataset(dataset_factory(), store)
    iv = pd.read_parquet(path / "iv.parquet")
    iv.index = iv.index.tz_localize(None)
    iv.to_parquet(path / "iv.parquet")
    with pytest.raises(DataError, match=r"iv\.parquet, column 'time': timestamps have no time zone"):
        load("tiny", store)
    (path / "funding.parquet").unlink()
    with pytest.raises(DataError, match=r"funding\.parquet: file missing"):
        load("tiny", store)


def test_load_refuses_hole_in_stored_grid(store, dataset_factory):
    path = write_dataset(dataset_factory(), store)
    bars = pd.read_parquet(path / "bars.parquet").drop(index=pd.Timestamp("2025-01-01 05:00", tz="UTC"))
    bars.to_parquet(path / "bars.parquet")
    # 05:00 is gone, so data row 6 is 06:00, which does not follow 04:00 by 1h
    with pytest.raises(DataError, match=r"row 6 .*column 'time': bar at 2025-01-01 06:00"):
        load("tiny", store)


def test_builtin_crisis_loads_when_present():
    folder = store_mod.BUILTIN_DIR / "crisis-2025"
    if not (folder / "manifest.json").is_file():
        pytest.skip(f"built-in dataset not generated yet at {folder}")
    ds = load("crisis-2025")
    assert isinstance(ds, Dataset) and ds.manifest["kind"] == "reconstruction"


def test_list_skips_temp_and_incomplete_directories(store, dataset_factory):
    write_dataset(dataset_factory("kept"), store)
    (store / ".kept.tmp-abc").mkdir()                        # an interrupted write
    (store / ".kept.tmp-abc" / "manifest.json").write_text("{}")
    (store / "half").mkdir()                                 # no manifest: not a dataset
    assert list_datasets(store) == ["kept"]
