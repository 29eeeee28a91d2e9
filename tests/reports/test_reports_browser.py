"""The report in headless Chromium, offline: no console errors, every plotly chart drawn, tearsheets open.

Needs chromium + chromedriver (apt-get install -y chromium chromium-driver). Without them the tests skip,
except under CI=true, where they fail.
"""
import json
import os
import shutil
import tempfile

import pytest

from .conftest import EVIL

CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--window-size=1400,1000"]


def _missing(reason: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (required under CI=true)")
    pytest.skip(reason)


def _find(names):
    return next((p for p in map(shutil.which, names) if p), None)


@pytest.fixture(scope="module")
def browser():
    """One offline headless Chromium for the module, with browser console and network logs."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _missing("selenium is not installed")
    binary = _find(["chromium", "chromium-browser", "google-chrome"])
    driver_path = _find(["chromedriver"])
    if not binary or not driver_path:
        _missing("chromium and chromedriver not found on PATH (apt-get install -y chromium chromium-driver)")
    profile = tempfile.mkdtemp(prefix="hedgelab-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = binary
    for a in CHROMIUM_ARGS + [f"--user-data-dir={profile}"]:
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    # an explicit driver path: selenium-manager would otherwise try to download one
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=opts)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(30)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {
        "source": "window.__alerts = []; window.alert = (m) => window.__alerts.push(String(m));"})
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": True, "latency": 0, "downloadThroughput": 0, "uploadThroughput": 0})
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def open_offline(driver, path):
    driver.get_log("browser")      # drop what earlier pages logged
    driver.get_log("performance")
    driver.get(path.resolve().as_uri())
    driver.execute_async_script("""const done = arguments[arguments.length - 1];
        if (document.readyState === 'complete') done(); else window.addEventListener('load', () => done());""")
    errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    requests = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"] == "Network.requestWillBeSent":
            requests.append(msg["params"]["request"]["url"])
    local = ("file:", "data:", "blob:", "about:", "chrome:", "devtools:")
    remote = [u for u in requests if not u.startswith(local)]
    return errors, remote


def test_the_network_really_is_off(browser, report):
    open_offline(browser, report.report)
    outcome = browser.execute_async_script("""const done = arguments[arguments.length - 1];
        fetch('https://cdn.plot.ly/plotly-latest.min.js').then(() => done('fetched'), () => done('blocked'));""")
    assert outcome == "blocked"


def test_report_loads_offline_without_console_errors(browser, report):
    errors, remote = open_offline(browser, report.report)
    assert errors == []
    assert remote == []


def test_charts_render_with_one_equity_trace_per_run(browser, report):
    open_offline(browser, report.report)
    charts = browser.execute_script("""
        return Array.from(document.querySelectorAll('.js-plotly-plot')).map(el => ({
            id: el.id, traces: el.data.length, names: el.data.map(t => t.name),
            drawn: el.querySelectorAll('.main-svg').length, runTraces: el.dataset.runTraces}));""")
    by_id = {c["id"]: c for c in charts}
    assert {"chart-equity", "chart-equity-liquidated", "chart-drawdown", "chart-margin", "chart-liq-distance",
            "chart-liquidations", "chart-costs", "chart-delta", "chart-leverage"} <= set(by_id)
    assert all(c["drawn"] > 0 for c in charts)
    # five runs have equity (the sixth failed): four survivors, and the liquidated one in its own panel
    survivors = {"hold", "perp-hedge", "protective-put", EVIL}
    equity = by_id["chart-equity"]
    assert equity["traces"] == 4 == int(equity["runTraces"])
    assert set(browser.execute_script(
        "return document.getElementById('chart-equity').data.map(t => { const d = document.createElement('textarea');"
        " d.innerHTML = t.name; return d.value; });")) == survivors
    assert by_id["chart-equity-liquidated"]["traces"] == 1
    assert by_id["chart-drawdown"]["traces"] == 5
    assert by_id["chart-margin"]["traces"] == 2       # leveraged-long and perp-hedge have margin series
    assert by_id["chart-liq-distance"]["traces"] == 2
    # every chart shares the page's one time axis: the equity x values are the 720 hourly bars
    assert browser.execute_script("return document.getElementById('chart-equity').data[0].x.length") == 30 * 24


def test_escaped_name_is_shown_as_text_and_never_runs(browser, report):
    open_offline(browser, report.report)
    cells = browser.execute_script(
        "return Array.from(document.querySelectorAll('#ranking tbody tr td:nth-child(2) summary'))"
        ".map(s => s.textContent);")
    assert EVIL in cells
    # an unescaped name would have run alert(1): the page-start hook below records any call
    assert browser.execute_script("return window.__alerts") == []
    # the only scripts in the page body are the charts' inert JSON specs
    assert browser.execute_script(
        "return Array.from(document.querySelectorAll('main script')).every(s => s.type === 'application/json')")


def test_liquidations_are_explained_and_crash_windows_marked(browser, report):
    open_offline(browser, report.report)
    chart = browser.execute_script("""const el = document.getElementById('chart-liquidations');
        return {shapes: el.layout.shapes.length, marks: el.data.filter(t => t.meta === 'liquidation').map(t => t.text),
                lines: el.data.map(t => t.name)};""")
    assert chart["shapes"] == 2              # the two crash windows of the conftest report
    assert chart["marks"] == [[chart["marks"][0][0]]] and "leveraged-long" in chart["marks"][0][0]
    assert "price 102" in chart["marks"][0][0] or "price" in chart["marks"][0][0]
    assert {"BTC mark", "BTC index", "leveraged-long: liquidation price"} <= set(chart["lines"])
    # a window label with markup is shown as text, not parsed by plotly
    labels = browser.execute_script(
        "return Array.from(document.querySelectorAll('#chart-equity .annotation-text')).map(e => e.textContent);")
    assert "late <dip>" in labels and "Oct 10" in labels
    # after the liquidation the margin ratio stops instead of reading 0 (safe)
    tail = browser.execute_script("""const t = document.getElementById('chart-margin')._fullData
        .find(t => t.name === 'leveraged-long'); return Array.from(t.y).slice(-5).map(v => Number.isNaN(v));""")
    assert tail == [True] * 5


def test_tearsheet_opens_offline(browser, report):
    errors, remote = open_offline(browser, report.tearsheets["perp-hedge"])
    assert errors == [] and remote == []
    assert browser.execute_script("return document.querySelectorAll('svg.chart polyline').length") >= 2
    assert "Periods/Year: 365" in browser.find_element("tag name", "h4").text


def test_the_alert_hook_catches_an_unescaped_name(browser, tmp_path):
    # the control for the escaping test: the same name written raw does run
    page = tmp_path / "raw.html"
    page.write_text(f"<!DOCTYPE html><html><body><p>{EVIL}</p></body></html>", encoding="utf-8")
    open_offline(browser, page)
    assert browser.execute_script("return window.__alerts") == ["1"]


@pytest.mark.parametrize("ci, outcome", [("true", pytest.fail.Exception), ("", pytest.skip.Exception)])
def test_a_missing_browser_skips_but_fails_under_ci(monkeypatch, ci, outcome):
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="chromium"):
        _missing("chromium not found")


def test_sweep_heatmap_renders_offline(browser, tmp_path):
    from hedgelab.reports import write_report

    from .conftest import MANIFEST, sweep_runs
    files = write_report(sweep_runs(), tmp_path, manifest=MANIFEST, progress=False, max_tearsheets=0,
                         heatmap={"x": "lev", "y": "ratio", "metric": "max_drawdown"})
    errors, remote = open_offline(browser, files.report)
    assert errors == [] and remote == []
    heat = browser.execute_script(
        "const el = document.getElementById('chart-heatmap');"
        "const z = el._fullData[0].z;"
        "return {types: el.data.map(t => t.type), visible: el.data.filter(t => t.visible !== false).length,"
        " cells: z.length * z[0].length, drawn: el.querySelectorAll('.main-svg').length,"
        " marked: [...el.querySelectorAll('text')].map(t => t.textContent).filter(t => t.startsWith('✕ ')),"
        " mid: el.data[0].zmid, span: [el.data[0].zmin, el.data[0].zmax], menu: el.layout.updatemenus[0].buttons.length};")
    # one heatmap per metric (the menu switches them; one visible); the liquidated cell's text carries the mark
    assert set(heat["types"]) == {"heatmap"} and heat["visible"] == 1
    assert heat["cells"] == 6 and heat["drawn"] > 0 and heat["menu"] == len(heat["types"])
    assert len(heat["marked"]) == 1   # sweep_runs: one liquidated run (lev=10, ratio=0.25)
    # diverging colours centred on zero: a loss is never green
    assert heat["mid"] == 0 and heat["span"][0] == -heat["span"][1]
