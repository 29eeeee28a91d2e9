"""The terminal says what the ranking was made from (reconstruction or not, range, IV fill rule)."""

from hedgelab.data import load

from testkit import cli as h


def test_terminal_names_the_reconstruction_range_and_iv_fill(tmp_path, capsys):
    manifest = load("crisis-2025").manifest
    rc, out, err = h.invoke(["compare", "hold", "--start", "2025-10-01", "--end", "2025-10-05", "--tearsheets",
                             "0", "--out", str(tmp_path / "o")], capsys)
    assert rc == 0, err
    data = [line for line in out.splitlines() if line.startswith("data: ")]
    assert len(data) == 1
    # --end is an inclusive date: the last hourly bar opens at 23:00 of Oct 5
    assert "crisis-2025" in data[0] and "RECONSTRUCTION" in data[0]
    assert f"{len(manifest['anchors'])} published facts" in data[0]
    assert "2025-10-01 00:00 to 2025-10-05 23:00 UTC" in data[0]
    assert f"IV fill rule: {manifest['iv_fill']}" in out.splitlines()
    rc, out, err = h.invoke(["compare", "hold", "--start", "2025-10-01", "--end", "2025-10-05", "--tearsheets",
                             "0", "--out", str(tmp_path / "q"), "--quiet"], capsys)
    assert "data: " not in out   # scripts get only the report path
