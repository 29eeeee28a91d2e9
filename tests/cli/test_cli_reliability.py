"""Issue 12, command-line rows: config and venue files checked as a whole through one schema,
absurd numbers refused, output folders checked before the work and published without losing a
second writer's results, and killed runs' temp folders cleaned by the next command.

Every refusal here is one 'error:' line, exit 2, and nothing written; none needs a backtest to run
(the checks come first), so the file is fast.
"""
import os
import signal
import subprocess
import sys
import textwrap
from types import SimpleNamespace

import pytest

from hedgelab.runner.outputs import write_outputs
from hedgelab.core import outdir as _outdir, tempdirs as _tempdirs
from testkit import cli as h


def refused(argv, capsys) -> str:
    rc, out, err = h.invoke(argv, capsys)
    assert rc == 2, (rc, out, err)
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err


def _toml(tmp_path, text, name="c.toml") -> str:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return str(path)


# ---------------------------------------------------------------- --config

@pytest.mark.parametrize("text, needle", [
    ("tearsheets = -3", "tearsheets = -3: must be a whole number in [0, 10000]"),
    ("start = 5", "start = 5: must be a date"),
    ('quiet = "maybe"', "quiet = 'maybe': must be true or false"),
    ("strategies = [1, 2]", "strategies[0] = 1: must be a non-empty string"),
    ('strategies = "hold"', "strategies = 'hold': must be a non-empty list"),
    ('tearsheets = "x"', "tearsheets = 'x': must be a whole number"),
    ("tearsheets = 2.5", "tearsheets = 2.5: must be a whole number"),
    ("capital = 1e300", "capital = 1e+300: must be a number in (0, 1e+12]"),
    ("capital = nan", "capital = nan"),
    ('margin_mode = "crossed"', "margin_mode = 'crossed': must be one of 'isolated', 'cross'"),
    ('data = ""', "data = '': must be a non-empty string"),
    ("[params]\nleverage = inf", "params.leverage = inf: must be a finite number"),
    ("[grid]\nhedge_ratio = [0.1, nan]", "grid.hedge_ratio[1] = nan: must be a finite number"),
    ("params = 5", "params"),
    ("cluster = 5", "cluster = 5: must be a non-empty string"),
    ("costs = 3", "costs = 3: must be a file path (a string) or a table"),
    ("[costs]\ntaker_fee = 0.001", "costs.taker_fee = 0.001: unknown key (known: half_spread, impact, "
                                   "impact_exponent, perp_fee, spot_fee)"),
    ("[costs]\nperp_fee = -0.5", "costs.perp_fee = -0.5: must be a number >= 0"),
    ('[costs]\nhalf_spread = "1bp"', "costs.half_spread = '1bp': must be a number >= 0"),
])
def test_config_values_are_typed_and_ranged_with_the_key_path(tmp_path, capsys, text, needle):
    out = tmp_path / "out"
    err = refused(["run", "hold", "--config", _toml(tmp_path, text), "--out", str(out), "--quiet"], capsys)
    assert needle in err and "config file " in err and "c.toml" in err
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["c.toml"]


def test_config_with_invalid_utf8_is_one_line(tmp_path, capsys):
    err = refused(["run", "hold", "--config", _toml(tmp_path, b'data = "\xff\xfe"\n')], capsys)
    assert "not UTF-8" in err


def test_python_api_config_dict_goes_through_the_same_schema():
    from hedgelab.core.errors import UserError
    from hedgelab.runner.config import check_config_keys
    with pytest.raises(UserError, match=r"config: tearsheets = -3"):
        check_config_keys({"tearsheets": -3})


# ---------------------------------------------------------------- venue files

LIQ = ["calc", "liq", "--side", "long", "--entry", "100000", "--qty", "1", "--leverage", "10", "--at", "2025-10-01"]


@pytest.mark.parametrize("text, needle", [
    ("taker_fee = -0.5", "taker_fee = -0.5: must be a number in [0, 0.1]"),
    ('taker_fee = "abc"', "taker_fee = 'abc': must be a number in [0, 0.1]"),
    ("funding_interval_hours = 0", "funding_interval_hours = 0: must be a number in (0, 168]"),
    ("maker_fee = nan", "maker_fee = nan"),
    ('kind = "spot"', "kind = 'spot': must be one of 'linear', 'inverse'"),
    ("taker_fe = 0.0004", "taker_fe = 0.0004: unknown key"),
    ('[[tiers]]\nsymbol = "BTC"\nfloor = [0]\nmmr = [1.5]\nmax_leverage = [50]', "tiers[0].mmr[0] = 1.5"),
    ('[[tiers]]\nsymbol = "BTC"\nfloor = [0]\nmax_leverage = [50]', "tiers[0].mmr = '(missing)': required key"),
    ('[[tiers]]\nsymbol = "BTC"\nfloor = ["a"]\nmmr = [0.01]\nmax_leverage = [50]', "tiers[0].floor[0] = 'a'"),
    # found by the fuzz test: columns of different lengths were an IndexError
    ('[[tiers]]\nsymbol = "BTC"\nfloor = [0, 0]\nmmr = [0.5]\nmax_leverage = [1]', "floor 2, mmr 1, max_leverage 1"),
])
def test_venue_file_values_are_typed_and_ranged_with_the_key_path(tmp_path, capsys, text, needle):
    venue = _toml(tmp_path, 'base = "binance"\n' + text + "\n", "v.toml")
    err = refused([*LIQ, "--venue", venue], capsys)
    assert needle in err and "v.toml" in err


@pytest.mark.parametrize("venue", ["", " ", "."])
def test_empty_or_folder_venue_is_one_line(capsys, venue):
    err = refused([*LIQ, "--venue", venue], capsys)
    assert "venue" in err


def test_a_venue_file_that_is_a_folder_or_not_utf8(tmp_path, capsys):
    (tmp_path / "d.toml").mkdir()
    assert "d.toml" in refused([*LIQ, "--venue", str(tmp_path / "d.toml")], capsys)
    assert "not UTF-8" in refused([*LIQ, "--venue", _toml(tmp_path, b"kind = '\xff'\n", "u.toml")], capsys)


def test_a_valid_user_venue_file_still_loads(tmp_path, capsys):
    """Control: the checks refuse only mistakes. A Binance copy with fees changed gives the same
    liquidation price as Binance (fees do not enter it)."""
    venue = _toml(tmp_path, 'base = "binance"\ntaker_fee = 0.0004\nmaker_fee = -0.0001\n', "ok.toml")
    rc, ours, _ = h.invoke([*LIQ, "--venue", venue, "--json"], capsys)
    rc2, binance, _ = h.invoke([*LIQ, "--json"], capsys)
    assert rc in (0, None) and rc2 in (0, None)
    assert ours.split('"venue"')[0] == binance.split('"venue"')[0]


# ---------------------------------------------------------------- absurd numbers

@pytest.mark.parametrize("argv, needle", [
    (["run", "hold", "--capital", "1e300"], "capital 1e+300 must be a positive number of USD, at most 1e+12"),
    (["run", "hold", "--capital", "inf"], "capital inf"),
    (["run", "hold", "--capital", "-5"], "capital -5.0"),
    ([*LIQ, "--maint-amount", "nan"], "--maint-amount nan: must be a finite number"),
    ([*LIQ, "--other-maint", "nan"], "--other-maint nan: must be a finite number"),
    ([*LIQ, "--other-upnl", "inf"], "--other-upnl inf"),
    ([*LIQ, "--mmr", "nan"], "--mmr nan"),
    (["calc", "liq", "--side", "long", "--entry", "nan", "--qty", "1", "--leverage", "10"], "--entry nan"),
])
def test_absurd_numbers_are_refused_naming_the_parameter(tmp_path, capsys, argv, needle):
    err = refused([*argv, "--out", str(tmp_path / "o")] if argv[0] == "run" else argv, capsys)
    assert needle in err
    assert not (tmp_path / "o").exists()


# ---------------------------------------------------------------- output folders

def test_out_under_a_file_or_in_an_unwritable_place_is_refused_before_the_work(tmp_path, capsys):
    (tmp_path / "f").write_text("x")
    assert "is a file, so no folder can be made under it" in refused(
        ["run", "hold", "--out", str(tmp_path / "f" / "sub" / "o"), "--quiet"], capsys)
    # /proc takes no new folders, even for root (os.access would say yes to root)
    assert "cannot write in /proc" in refused(["run", "hold", "--out", "/proc/hedgelab-out", "--quiet"], capsys)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    assert "already exists and is not empty" in refused(["run", "hold", "--out", str(tmp_path / "full")], capsys)


@pytest.mark.parametrize("command", ["run", "compare"])
def test_trace_file_is_checked_before_the_work(tmp_path, capsys, command):
    (tmp_path / "f").write_text("x")
    (tmp_path / "d").mkdir()
    for trace, words in ((tmp_path / "f" / "t.parquet", "is a file, so no folder can be made under it"),
                         ("/proc/t.parquet", "cannot write in /proc"), (tmp_path / "d", "is a folder")):
        err = refused([command, "hold", "--trace", str(trace), "--out", str(tmp_path / "o"), "--quiet"], capsys)
        assert words in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d", "f"]


def _sleeper():
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])


def test_a_second_writer_is_refused_up_front_while_the_first_writes(tmp_path, capsys):
    other = _sleeper()  # stands for a run that is writing into tmp/out right now
    try:
        (tmp_path / f".out.out-{_tempdirs.owner_tag(other.pid)}").mkdir()
        err = refused(["run", "hold", "--out", str(tmp_path / "out"), "--quiet"], capsys)
        assert f"another hedgelab run (pid {other.pid}) is writing there now" in err
    finally:
        other.kill()
        other.wait()
    # once that run is gone, its folder is debris: the next command removes it and goes ahead
    assert _outdir.check_out_dir(tmp_path / "out") == tmp_path / "out"
    assert list(tmp_path.iterdir()) == []


def _stub_result():
    return SimpleNamespace(runs=[], manifest={}, crash_windows=None, heatmap=None, assumptions=[], warnings=[], stress=None)


def test_a_second_writer_that_finishes_first_sends_this_one_to_a_sibling(tmp_path, monkeypatch):
    out = tmp_path / "out"

    def write_report(runs, folder, **_):
        (folder / "summary.csv").write_text("mine\n")
        out.mkdir(exist_ok=True)                  # meanwhile another run published into --out
        (out / "summary.csv").write_text("theirs\n")
        return SimpleNamespace(summary=None)
    monkeypatch.setattr("hedgelab.reports.html.write_report", write_report)
    result = _stub_result()
    written = write_outputs(result, out)
    assert written == tmp_path / "out-2"
    assert (out / "summary.csv").read_text() == "theirs\n"             # theirs untouched
    assert (written / "summary.csv").read_text() == "mine\n"           # ours not lost
    assert result.warnings == [f"{out} was filled by another run meanwhile; results written to {written}"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "out-2"]


def test_two_real_runs_into_the_same_out_both_keep_their_results(tmp_path):
    """The issue's reproduction: two `hedgelab run` processes started together with one --out. Both
    pass the up-front check (neither writes yet); the second to finish gets OUT-2 and says so,
    instead of dying with 'Directory not empty' after its run."""
    argv = [sys.executable, "-m", "hedgelab", "run", "hold", "--start", "2025-10-01", "--end", "2025-10-03",
            "--tearsheets", "0", "--quiet", "--out", str(tmp_path / "out")]
    runs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(timeout=600), *p.communicate()) for p in runs]
    assert [rc for rc, _, _ in results] == [0, 0], results
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "out-2"]      # nothing hidden left
    warnings = [err for _, _, err in results if "was filled by another run meanwhile" in err]
    assert len(warnings) == 1 and f"results written to {tmp_path / 'out-2'}" in warnings[0]
    assert (tmp_path / "out" / "summary.csv").read_text() == (tmp_path / "out-2" / "summary.csv").read_text()


KILLED_WRITER = textwrap.dedent("""
    import os, signal, sys
    from types import SimpleNamespace
    import hedgelab.reports.html
    from hedgelab.runner.outputs import write_outputs
    def write_report(runs, folder, **_):
        (folder / "report.html").write_text("half")
        os.kill(os.getpid(), signal.SIGKILL)      # kill -9 in the middle of the report
    hedgelab.reports.html.write_report = write_report
    result = SimpleNamespace(runs=[], manifest={}, crash_windows=None, heatmap=None, assumptions=[], warnings=[], stress=None)
    write_outputs(result, sys.argv[1])
""")


def test_kill_9_while_writing_leaves_a_tagged_folder_that_the_next_command_removes(tmp_path, capsys):
    child = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(tmp_path / "out")], capture_output=True)
    assert child.returncode == -signal.SIGKILL, child.stderr
    left = [p.name for p in tmp_path.iterdir()]
    assert len(left) == 1 and left[0].startswith(".out.out-")          # named with the dead run's pid
    info = _tempdirs.parse(left[0])
    assert info is not None and not _tempdirs.alive(info[2], info[3])
    assert not (tmp_path / "out").exists()                              # nothing half published
    # any later command that writes beside it, even one that fails its own checks, cleans up
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    refused(["run", "hold", "--out", str(tmp_path / "full"), "--quiet"], capsys)
    assert [p.name for p in tmp_path.iterdir()] == ["full"]


def test_kill_9_of_a_real_run_while_it_writes_its_report(tmp_path, capsys):
    """No injection: a real `hedgelab run` is SIGKILLed as soon as its temp folder appears (it is
    writing the report and tearsheets then). The temp folder names the dead process; the next
    command that writes beside it removes it; --out itself never appears half written."""
    import time
    run = subprocess.Popen([sys.executable, "-m", "hedgelab", "run", "hold", "--start", "2025-10-01", "--end",
                            "2025-10-03", "--quiet", "--out", str(tmp_path / "out")],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 600
        while not any(p.name.startswith(".out.out-") for p in tmp_path.iterdir()):
            assert run.poll() is None and time.monotonic() < deadline, "the run ended before writing"
            time.sleep(0.005)
        os.kill(run.pid, signal.SIGKILL)
    finally:
        run.kill()
        run.wait()
    (left,) = [p.name for p in tmp_path.iterdir()]
    assert left.startswith(f".out.out-{run.pid}-") and not (tmp_path / "out").exists()
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    refused(["run", "hold", "--out", str(tmp_path / "full"), "--quiet"], capsys)
    assert [p.name for p in tmp_path.iterdir()] == ["full"]


def test_a_live_processs_folder_is_not_debris(tmp_path):
    other = _sleeper()
    try:
        folder = tmp_path / f".x.out-{_tempdirs.owner_tag(other.pid)}"
        folder.mkdir()
        _outdir.sweep_dead(tmp_path)
        assert folder.is_dir()
        # same pid, another start time: the pid was reused by a stranger, the owner is gone
        stale = tmp_path / f".y.out-{other.pid}-1"
        stale.mkdir()
        _outdir.sweep_dead(tmp_path)
        assert folder.is_dir() and not stale.exists()
    finally:
        other.kill()
        other.wait()
