"""Progress bars on stderr for the long steps (runs, tearsheets, report files); --quiet silences them."""

from testkit import cli as h

ARGS = ["compare", "hold", "--start", "2025-10-01", "--end", "2025-10-05", "--tearsheets", "1"]


def test_progress_bars_on_stderr_and_quiet_silences_them(tmp_path, capsys):
    rc, out, err = h.invoke([*ARGS, "--out", str(tmp_path / "loud")], capsys)
    assert rc == 0, err
    assert "hold:" in err                                   # the runs bar, named by the running strategy
    assert "tearsheets:" in err and "report:" in err        # the tearsheet and report-file bars
    assert "#  run" in out                                           # the ranking table
    rc, out, err = h.invoke([*ARGS, "--out", str(tmp_path / "quiet"), "--quiet"], capsys)
    assert rc == 0 and err == ""
    assert out.strip().splitlines() == [f"report: {tmp_path / 'quiet' / 'report.html'}"]
