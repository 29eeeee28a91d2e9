"""The comparison page a trader opens, made by the CLI, in headless Chromium at 800 and 1400 px.

A plugin strategy whose name and parameter value carry ``<b>`` runs beside leveraged-long (liquidated in
October) and perp-hedge; the page must show every section, keep the key ranking columns in view without
scrolling sideways, explain every liquidation events.csv lists, and render no user text as HTML, in the
page or in any tearsheet. Under CI=true a missing browser fails (the ``browser`` fixture).
"""
import pandas as pd
import pytest

from testkit import cli as h

from .test_reports_browser import browser, open_offline  # noqa: F401 -- the shared Chromium fixture

BOLD = "<b>bold</b>"
PLUGIN = '''
import numpy as np
from hedgelab.strategies import Param, Strategy

class Bold(Strategy):
    """Half the capital in spot; its name and a parameter value carry an HTML tag."""
    name = "bold<b>bold</b>"
    style = Param("<b>bold</b>", type=str, choices=("<b>bold</b>", "plain"), doc="a label")

    def targets(self, market, params):
        out = np.full((len(market.close), 2), np.nan)
        out[0] = (0.5, 0.0)
        return out
'''
SECTIONS = ("ranking", "stress", "crisis-windows", "liquidations", "costs", "exposure", "events", "assumptions", "data")
KEY_COLUMNS = ("run", "status", "return", "max drawdown", "hedge cost", "funding", "fees", "options net", "vs hold")


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    plugins = tmp_path_factory.mktemp("plugins")
    (plugins / "bold.py").write_text(PLUGIN)
    out = tmp_path_factory.mktemp("page") / "out"
    rc, _, _ = h.invoke(["compare", "hold", "leveraged-long", "perp-hedge", "bold<b>bold</b>",
                         "--start", "2025-10-01", "--end", "2025-10-20",
                         "--strategies-dir", str(plugins), "--out", str(out), "--quiet",
                         "--stress", "bootstrap", "--stress-paths", "20"])  # the page with its stress section
    assert rc in (0, None)
    return out


def test_the_plugin_ran(made):
    summary, events = h.read_outputs(made)
    assert BOLD in " ".join(summary["run"]) and summary["error"].isna().all()
    assert (events["kind"] == "liquidation").any()   # leveraged-long at 10x from Oct 1 dies on Oct 10


@pytest.mark.parametrize("width", [800, 1400])
def test_sections_exist_and_key_columns_are_visible_without_scrolling(browser, made, width):  # noqa: F811
    browser.set_window_size(width, 1000)
    errors, remote = open_offline(browser, made / "report.html")
    assert errors == [] and remote == []
    found = browser.execute_script("return arguments[0].map(id => !!document.getElementById(id));", list(SECTIONS))
    assert dict(zip(SECTIONS, found)) == dict.fromkeys(SECTIONS, True)
    view = browser.execute_script("""
        const table = document.querySelector('#ranking table');
        const heads = Array.from(table.querySelectorAll('thead th')).map(th => {
            const r = th.getBoundingClientRect(); return [th.textContent, r.left, r.right]; });
        return {heads: heads, inner: window.innerWidth, scrollW: document.documentElement.scrollWidth};""")
    # nothing sticks out sideways: the page is no wider than the window, and every key column lies inside it
    assert view["scrollW"] <= view["inner"]
    for key in KEY_COLUMNS:
        left, right = next((left, right) for text, left, right in view["heads"] if text.startswith(key))
        assert 0 <= left and right <= view["inner"], (key, left, right, view["inner"])


def test_every_liquidation_in_events_csv_is_in_the_explainer(browser, made):  # noqa: F811
    _, events = h.read_outputs(made)
    liq = events[events["kind"] == "liquidation"]
    open_offline(browser, made / "report.html")
    rows = browser.execute_script("return Array.from(document.querySelectorAll('#liquidation-table tr.liq-row'))"
                                  ".map(tr => [tr.dataset.run, tr.dataset.time]);")
    marks = browser.execute_script("""return document.getElementById('chart-liquidations').data
        .filter(t => t.meta === 'liquidation').map(t => [t.name, t.x.length]);""")
    expected = sorted((r, t.strftime("%Y-%m-%dT%H:%M:%SZ")) for r, t in zip(liq["run"], liq["time"]))
    assert sorted(map(tuple, rows)) == expected
    assert sum(n for _, n in marks) == len(liq)


def _rendered_tags(browser, path):  # noqa: F811
    """Elements a user string would create if it were parsed as HTML: a <b> holding the word 'bold'."""
    open_offline(browser, path)
    return browser.execute_script("""
        const inDoc = Array.from(document.querySelectorAll('b')).filter(b => b.textContent === 'bold').length;
        const inSvg = Array.from(document.querySelectorAll('svg text b, svg tspan[style*="bold"]'))
            .filter(e => e.textContent === 'bold').length;
        return inDoc + inSvg;""")


def test_no_user_text_is_interpreted_as_html_in_the_page_or_any_tearsheet(browser, made):  # noqa: F811
    pages = [made / "report.html"] + sorted((made / "tearsheets").glob("*.html"))
    assert len(pages) >= 4
    for page in pages:
        assert _rendered_tags(browser, page) == 0, page.name
        assert browser.execute_script("return window.__alerts") == []
    # and the text is there, literally, where the user named it
    open_offline(browser, made / "report.html")
    names = browser.execute_script(
        "return Array.from(document.querySelectorAll('#ranking summary')).map(s => s.textContent);")
    assert any(BOLD in n for n in names)
    sheet = next(p for p in pages[1:] if "bold" in p.name)
    open_offline(browser, sheet)
    assert BOLD in browser.find_element("tag name", "h1").text
    assert BOLD in browser.title


def test_the_control_a_parsed_tag_is_caught(browser, tmp_path):  # noqa: F811
    page = tmp_path / "raw.html"
    page.write_text(f"<!DOCTYPE html><html><body><p>{BOLD}</p></body></html>", encoding="utf-8")
    assert _rendered_tags(browser, page) == 1


def test_the_liquidated_run_is_not_charted_with_the_survivors(browser, made):  # noqa: F811
    open_offline(browser, made / "report.html")
    names = browser.execute_script("""const d = document.createElement('textarea');
        const plain = id => document.getElementById(id).data.map(t => { d.innerHTML = t.name; return d.value; });
        return {alive: plain('chart-equity'), dead: plain('chart-equity-liquidated')};""")
    assert "leveraged-long" in names["dead"] and "leveraged-long" not in names["alive"]
    summary, _ = h.read_outputs(made)
    assert sorted(names["alive"] + names["dead"]) == sorted(summary["run"])
    assert pd.notna(summary.loc[summary["run"] == "leveraged-long", "liquidations"]).all()
