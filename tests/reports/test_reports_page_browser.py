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
KEY_COLUMNS = ("run", "status", "return", "max drawdown", "hedge cost", "funding", "fees", "options net",
               "max DD saved vs hold")


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


@pytest.mark.parametrize("width", [800, 1400])
def test_stress_page_fits_the_window_with_every_column_of_its_table(browser, made, width):  # noqa: F811
    # stress.html overflowed at 800 px, its replay columns cut off; now the page is no wider than the window
    # and the table shows every column, replay final and replay rank included, inside it
    browser.set_window_size(width, 1000)
    errors, remote = open_offline(browser, made / "stress.html")
    assert errors == [] and remote == []
    view = browser.execute_script("""
        const table = document.getElementById('stress-table');
        const heads = Array.from(table.querySelectorAll('thead th')).map(th => {
            const r = th.getBoundingClientRect(); return [th.textContent, r.left, r.right]; });
        return {heads: heads, inner: window.innerWidth, scrollW: document.documentElement.scrollWidth,
                tableScroll: table.parentElement.scrollWidth, tableBox: table.parentElement.clientWidth};""")
    assert view["scrollW"] <= view["inner"]
    assert view["tableScroll"] <= view["tableBox"]   # nothing hidden behind the table's own scroll bar
    for text, left, right in view["heads"]:
        assert 0 <= left and right <= view["inner"], (text, left, right, view["inner"])
    assert [h[0] for h in view["heads"]][-2:] == ["single replay final USD", "replay rank"]


def test_final_equity_is_one_box_per_run_not_overlaid_histograms(browser, made):  # noqa: F811
    open_offline(browser, made / "stress.html")
    traces = browser.execute_script("""
        const fig = Array.from(document.querySelectorAll('.js-plotly-plot'))
            .find(d => (d.layout.title.text || '').startsWith('Final equity'));
        return fig._fullData.map(t => [t.type, t.name, t.x.length]);""")
    table = pd.read_csv(made / "stress.csv")
    assert [t[0] for t in traces] == ["box"] * len(table)
    assert [t[1] for t in traces] == list(table["run"])   # in the table's order, each on its own row
    assert {t[2] for t in traces} == {20}                 # every path of each run


def test_the_9_btc_and_150x_run_is_drawn_apart_from_the_others(browser, made):  # noqa: F811
    # leveraged-long holds ~9 BTC at 10x, up to ~150x as its equity falls: on the others' axis it flattened
    # them to a line at zero; it now has its own panel in both exposure charts
    open_offline(browser, made / "report.html")
    names = browser.execute_script("""const d = document.createElement('textarea');
        const plain = id => { const el = document.getElementById(id);
            return el ? el.data.filter(t => t.meta === 'run').map(t => { d.innerHTML = t.name; return d.value; }) : null; };
        return {delta: plain('chart-delta'), deltaApart: plain('chart-delta-apart'),
                lev: plain('chart-leverage'), levApart: plain('chart-leverage-apart')};""")
    assert names["deltaApart"] == ["leveraged-long"] and "leveraged-long" not in names["delta"]
    assert names["levApart"] == ["leveraged-long"] and "leveraged-long" not in names["lev"]
    assert "perp-hedge" in names["delta"] and "hold" in names["lev"]
    # the common panel's axis spans the runs drawn there, not the 9 BTC one
    top = browser.execute_script("return document.getElementById('chart-delta')._fullLayout.yaxis.range[1];")
    assert top < 3.0


def test_a_ruined_run_s_tearsheet_shows_no_risk_of_ruin_and_no_sharpe(browser, made):  # noqa: F811
    # quantstats said "Risk of Ruin 0.0 %" of a run liquidated to nothing, and a Sharpe better than hold's
    summary, _ = h.read_outputs(made)
    row = summary.set_index("run").loc["leveraged-long"]
    assert row["total_return"] < -0.99 and pd.isna(row["sharpe"])   # summary.csv: no Sharpe for a ruined run
    open_offline(browser, made / "tearsheets" / "leveraged-long.html")
    cells = browser.execute_script("""return Object.fromEntries(Array.from(document.querySelectorAll(
        'table.metrics tr')).map(tr => Array.from(tr.cells).map(c => c.textContent))
        .filter(c => c.length > 1).map(c => [c[0], c.slice(1)]));""")
    assert "Risk of Ruin" not in cells
    assert cells["Sharpe"][-1] == "n/a (ruined)" and cells["Sortino"][-1] == "n/a (ruined)"
    assert cells["Sharpe"][0] != "n/a (ruined)"   # the benchmark (hold) keeps its own
    assert browser.find_element("id", "hedgelab-ruined").is_displayed()
