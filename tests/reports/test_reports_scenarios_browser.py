"""The scenario matrix on the comparison page in headless Chromium at 800 and 1400 px: one row per run, one
column per named scenario, each cell a survival tag and a loss in USD, and nothing wider than the window
(the matrix scrolls inside its own box; the page does not)."""
import pytest

from testkit import cli as h

from .test_reports_browser import browser, open_offline  # noqa: F401 -- the shared Chromium fixture

RUNS = ["hold", "perp-hedge", "leveraged-long", "funding-carry", "protective-put"]


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    out = tmp_path_factory.mktemp("scenarios") / "out"
    rc, _, _ = h.invoke(["compare", *RUNS, "--tearsheets", "0", "--out", str(out), "--quiet"])
    assert rc in (0, None)
    return out


@pytest.mark.parametrize("width", [800, 1400])
def test_the_scenario_matrix_shows_every_cell_inside_the_window(browser, made, width):  # noqa: F811
    browser.set_window_size(width, 1000)
    errors, remote = open_offline(browser, made / "report.html")
    assert errors == [] and remote == []
    view = browser.execute_script("""
        const t = document.getElementById('scenario-matrix'), box = t.parentElement.getBoundingClientRect();
        const cells = Array.from(t.querySelectorAll('tbody tr')).map(tr =>
            Array.from(tr.querySelectorAll('td')).map(td => td.textContent));
        return {heads: Array.from(t.querySelectorAll('thead th')).map(th => th.textContent), cells: cells,
                boxLeft: box.left, boxRight: box.right, inner: window.innerWidth,
                scrollW: document.documentElement.scrollWidth,
                caption: document.getElementById('scenarios-caption').textContent,
                after: document.getElementById('scenarios').previousElementSibling.id};""")
    assert view["scrollW"] <= view["inner"]
    assert 0 <= view["boxLeft"] and view["boxRight"] <= view["inner"]
    names = ["oct10-2025", "oct10-2025-x1.5", "covid-mar2020", "ftx-nov2022", "support-80k", "squeeze-40"]
    assert [th.split("to ")[0] for th in view["heads"][2:]] == names
    assert all("USD" in th for th in view["heads"][1:])
    assert sorted(row[0] for row in view["cells"]) == sorted(RUNS)
    for row in view["cells"]:
        assert len(row) == 2 + len(names)
        for cell in row[2:]:
            assert cell.startswith(("survived", "LIQUIDATED")) and "loss " in cell, cell
    # what the cells are, in words: synthetic paths on a reconstruction, the start, the unit and the window
    for words in ("SYNTHETIC", "RECONSTRUCTION", "2025-09-08 00:00 UTC", "loss: USD", "48 h after"):
        assert words in view["caption"]
    assert view["after"] == "ranking"
