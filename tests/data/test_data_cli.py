"""``hedgelab data list/show/import``: store selection, output, argument errors (exit code 2)."""
import pandas as pd
import pytest

from hedgelab.cli import main
from hedgelab.data import load
from hedgelab.data.store import BUILTIN_DIR


def hourly(n=24):
    t = pd.date_range("2025-01-01", periods=n, freq="1h")
    return ["time,open,high,low,close"] + [f"{x:%Y-%m-%dT%H:%M:%SZ},100,101,99,100.5" for x in t]


def run_fail(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "Traceback" not in err
    return err


def test_hedgelab_home_is_the_default_store(write_csv, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HEDGELAB_HOME", str(tmp_path / "home"))
    assert main(["data", "import", "mine", "--prices", str(write_csv("p.csv", hourly())),
                 "--venue", "bybit", "--symbol", "BTCUSDT"]) == 0
    assert (tmp_path / "home" / "mine" / "manifest.json").is_file()
    m = load("mine").manifest
    assert (m["venue"], m["symbol"], m["bar_size"]) == ("bybit", "BTCUSDT", "1h")
    capsys.readouterr()
    assert main(["data", "list"]) == 0
    out = capsys.readouterr().out
    assert f"store: {tmp_path / 'home'}" in out and "mine" in out and "imported" in out


def test_show_lists_everything(write_csv, tmp_path, capsys):
    main(["data", "import", "mine", "--prices", str(write_csv("p.csv", hourly())), "--store", str(tmp_path)])
    capsys.readouterr()
    assert main(["data", "show", "mine", "--store", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    # 24 bars of 1h: the last opens at 23:00 (bars are stamped at their open, issue 22)
    assert "range:     2025-01-01T00:00:00Z .. 2025-01-01T23:00:00Z (first bar open .. last bar open)" in out
    assert "bars:      24 x 1h" in out and "funding:   0 settlements" in out
    assert "mark: mark = index, zero basis" in out and "iv_fill:   None" in out


def test_show_builtin_states_reconstruction_and_anchors(capsys):
    if not (BUILTIN_DIR / "crisis-2025" / "manifest.json").is_file():
        pytest.skip("built-in crisis-2025 not generated yet")
    assert main(["data", "show", "crisis-2025"]) == 0
    out = capsys.readouterr().out
    assert "reconstruction" in out and "anchors:" in out


@pytest.mark.parametrize("extra,message", [
    (["--col", "close"], "--col close: expected ROLE=COLUMN"),
    (["--col", "prices.close=nope"], "has no column 'nope'"),
    (["--col", "funding.rate=x"], "no funding file was given"),
])
def test_bad_options(write_csv, tmp_path, capsys, extra, message):
    argv = ["data", "import", "x", "--prices", str(write_csv("p.csv", hourly())), "--store", str(tmp_path / "s"),
            *extra]
    assert message in run_fail(argv, capsys)
    assert not (tmp_path / "s").exists()


def test_missing_file_bad_name_unknown_dataset(tmp_path, capsys):
    err = run_fail(["data", "import", "x", "--prices", str(tmp_path / "none.csv"), "--store", str(tmp_path)], capsys)
    assert "none.csv: file not found" in err
    err = run_fail(["data", "import", "a/b", "--prices", "p.csv", "--store", str(tmp_path)], capsys)
    assert "dataset name 'a/b'" in err
    err = run_fail(["data", "show", "ghost", "--store", str(tmp_path)], capsys)
    assert "no dataset named 'ghost'" in err
