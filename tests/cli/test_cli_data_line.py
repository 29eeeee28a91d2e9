"""The terminal says what the ranking was made from (reconstruction or not, range, IV fill rule)."""

from hedgelab.data import load

from testkit import cli as h

WINDOW = ["--start", "2025-10-01", "--end", "2025-10-05"]


def data_line(out):
    data = [line for line in out.splitlines() if line.startswith("data: ")]
    assert len(data) == 1
    return data[0]


def test_terminal_names_the_reconstruction_range_and_iv_fill(tmp_path, capsys):
    manifest = load("crisis-2025").manifest
    rc, out, err = h.invoke(["compare", "hold", "protective-put", *WINDOW, "--tearsheets", "0",
                             "--out", str(tmp_path / "o")], capsys)
    assert rc == 0, err
    data = data_line(out)
    # --end is an inclusive date: the last hourly bar opens at 23:00 of Oct 5
    assert "crisis-2025" in data and "RECONSTRUCTION" in data
    assert f"{len(manifest['anchors'])} published facts" in data
    assert "2025-10-01 00:00 to 2025-10-05 23:00 UTC (bar opens)" in data
    assert f"IV fill rule: {manifest['iv_fill']}" in out.splitlines()   # protective-put prices options
    rc, out, err = h.invoke(["compare", "hold", *WINDOW, "--tearsheets", "0", "--out", str(tmp_path / "q"),
                             "--quiet"], capsys)
    assert "data: " not in out   # scripts get only the report path


def test_no_iv_fill_line_for_runs_without_options(tmp_path, capsys):
    # issue 22 item 8: the IV fill rule was printed under runs that price no option
    rc, out, err = h.invoke(["compare", "hold", "perp-hedge", *WINDOW, "--tearsheets", "0",
                             "--out", str(tmp_path / "o")], capsys)
    assert rc == 0, err
    assert "IV fill" not in out and "IV fill" not in err


def test_a_summary_mode_sweep_says_its_own_window_in_bar_opens(tmp_path, capsys):
    # a sweep of more than 5,000 sets keeps no equity curve; its data line said the dataset's whole
    # range in the manifest's spelling (2025-09-01T00:00:00+00:00 to ...) instead of the run's window
    rc, out, err = h.invoke(["sweep", "perp-hedge", "-g", "hedge_ratio=0:1:5001", *WINDOW, "--out",
                             str(tmp_path / "o")], capsys)
    assert rc == 0, err
    assert "binance BTCUSDT, 1h bars, 2025-10-01 00:00 to 2025-10-05 23:00 UTC (bar opens)" in data_line(out)


def test_data_list_and_show_say_the_last_bar_open_as_the_reports_do(capsys):
    # issue 22 item 8: `data list` ended at 2025-12-01T00:00:00Z (the last bar's close) while the
    # reports say "to 2025-11-30 23:00" (its open); bars are stamped at their open everywhere
    bars = load("crisis-2025").bars
    last = f"{bars.index[-1]:%Y-%m-%dT%H:%M:%SZ}"
    assert last == "2025-11-30T23:00:00Z"
    rc, out, err = h.invoke(["data", "list"], capsys)
    assert rc in (0, None), err
    lines = out.splitlines()
    assert "first bar open .. last bar open" in lines[1]
    row = next(line for line in lines if line.startswith("crisis-2025 "))
    assert f"2025-09-01T00:00:00Z .. {last}" in row and "2025-12-01" not in row
    rc, out, err = h.invoke(["data", "show", "crisis-2025"], capsys)
    rng = next(line for line in out.splitlines() if line.startswith("range:"))
    assert rng.endswith(f"2025-09-01T00:00:00Z .. {last} (first bar open .. last bar open)")


def test_a_summary_mode_sweep_writes_no_empty_tearsheets_folder_bar_or_bare_events_file(tmp_path, capsys):
    # issue 22 item 8: such a sweep printed `tearsheets: 0run`, left an empty tearsheets/ and an
    # events.csv holding only its header (it keeps no events: README, "keep summaries only")
    out = tmp_path / "o"
    rc, stdout, err = h.invoke(["sweep", "perp-hedge", "-g", "hedge_ratio=0:1:5001", *WINDOW, "--out", str(out)],
                               capsys)
    assert rc == 0, err
    assert "tearsheets" not in err   # the bar was "tearsheets: 0run" (a rate such as "9808.70run/s" is fine)
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "summary.csv"]
    assert "tearsheets for the 0" not in (out / "report.html").read_text(encoding="utf-8")


def test_no_tearsheets_asked_means_no_folder_and_no_bar(tmp_path, capsys):
    out = tmp_path / "o"
    rc, _, err = h.invoke(["run", "hold", *WINDOW, "--tearsheets", "0", "--out", str(out)], capsys)
    assert rc == 0, err
    assert "tearsheets" not in err
    assert sorted(p.name for p in out.iterdir()) == ["events.csv", "report.html", "summary.csv"]
