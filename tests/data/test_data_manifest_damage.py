"""Issue 12: a damaged manifest.json is named as damaged, in one line, and never hides the other
datasets from ``data list`` (before: a traceback and an empty listing)."""
import json

import pytest

from hedgelab.cli import main
from hedgelab.data import read_dataset, write_dataset
from hedgelab.data.store import list_datasets
from hedgelab.core.errors import DataError

DAMAGE = {
    "empty list": "[]",
    "null": "null",
    "a number": "5",
    "200k nested [": "[" * 200_000 + "]" * 200_000,
    "truncated": '{"schema_version": 1, "name": "bad", "ki',
}


def _manifest(store, name):
    return store / name / "manifest.json"


def _edit(store, dataset, changes):
    path = _manifest(store, dataset)
    m = json.loads(path.read_text())
    m.update(changes)
    path.write_text(json.dumps(m))


def _listing(store, capsys):
    assert main(["data", "list", "--store", str(store)]) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return captured.out.splitlines()


@pytest.fixture
def two(tmp_path, dataset_factory):
    store = tmp_path / "store"
    write_dataset(dataset_factory("good"), store)
    write_dataset(dataset_factory("bad"), store)
    return store


@pytest.mark.parametrize("text", DAMAGE.values(), ids=DAMAGE.keys())
def test_unreadable_manifest_is_listed_as_damaged_and_the_others_still_show(two, capsys, text):
    _manifest(two, "bad").write_text(text)
    lines = _listing(two, capsys)
    bad = [ln for ln in lines if ln.startswith("bad ")]
    good = [ln for ln in lines if ln.startswith("good ")]
    assert len(bad) == 1 and "DAMAGED" in bad[0] and "manifest.json" in bad[0]
    assert len(good) == 1 and "imported" in good[0] and "DAMAGED" not in good[0]
    assert any(ln.startswith("crisis-2025 ") for ln in lines)
    with pytest.raises(SystemExit) as exit_:
        main(["data", "show", "bad", "--store", str(two)])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.count("\n") == 1 and "manifest.json" in err


@pytest.mark.parametrize("changes, key", [
    ({"proxies": ["index = spot"]}, "proxies"),     # the case: proxies as a list
    ({"provenance": "x"}, "provenance"),
    ({"notes": {"a": 1}}, "notes"),
    ({"gaps": [1, 2]}, "gaps"),
    ({"kind": "invented"}, "kind"),
    ({"bar_size": "1 month"}, "bar_size"),
    ({"bar_size": 60}, "bar_size"),
    ({"funding_interval_hours": -8}, "funding_interval_hours"),
    ({"funding_interval_hours": True}, "funding_interval_hours"),
    ({"schema_version": "1"}, "schema_version"),
    ({"name": None}, "name"),
])
def test_mistyped_manifest_keys_are_named(two, capsys, changes, key):
    _edit(two, "bad", changes)
    with pytest.raises(DataError, match=rf"manifest\.json, column '{key}'"):
        read_dataset("bad", two)
    lines = _listing(two, capsys)
    assert any(ln.startswith("bad ") and f"'{key}'" in ln for ln in lines)
    assert any(ln.startswith("good ") and "DAMAGED" not in ln for ln in lines)


def test_a_dataset_folder_without_its_manifest_is_listed_as_damaged(two, capsys):
    _manifest(two, "bad").unlink()
    assert list_datasets(two) == ["bad", "good"]
    lines = _listing(two, capsys)
    assert any(ln.startswith("bad ") and "manifest.json: file missing" in ln for ln in lines)


@pytest.mark.parametrize("text", ["[]", "[" * 200_000, '{"schema_version": 1, "name": "bad", "kind": "imported", '
                                  '"bar_size": "1h", "proxies": ["x"]}'])
def test_fetch_into_a_damaged_dataset_is_one_line_before_any_download(two, capsys, text):
    _manifest(two, "bad").write_text(text)
    with pytest.raises(SystemExit) as exit_:   # no --api-url: a download attempt would fail differently
        main(["data", "fetch", "bad", "--venue", "binance", "--start", "2025-09-01", "--end", "2025-09-02",
              "--store", str(two), "--quiet"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.count("\n") == 1 and "bad/manifest.json" in err, err


def test_import_or_fetch_into_an_unwritable_store_is_one_line_before_the_work(tmp_path, write_csv, capsys):
    prices = write_csv("p.csv", ["time,open,high,low,close", "2025-01-01T00:00:00Z,1,2,0.5,1.5",
                                 "2025-01-01T01:00:00Z,1,2,0.5,1.5"])
    (tmp_path / "f").write_text("x")
    for store, words in ((tmp_path / "f" / "s", "is a file, so no folder can be made under it"),
                         ("/proc/hedgelab-store", "cannot write in /proc")):
        for argv in (["data", "import", "x", "--prices", str(prices)],
                     ["data", "fetch", "x", "--venue", "binance", "--start", "2025-09-01", "--quiet"]):
            with pytest.raises(SystemExit) as exit_:
                main([*argv, "--store", str(store)])
            err = capsys.readouterr().err
            assert exit_.value.code == 2 and err.count("\n") == 1 and words in err, err
