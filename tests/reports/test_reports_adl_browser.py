"""The ADL section of the comparison page in headless Chromium at 800 and 1400 px: the venue's Oct 10 ADL
closes of the short hedges and the ranking with and without ADL, nothing wider than the window.

The page also ranks a market-neutral run apart (funding-carry): its group title rows were one unbroken line
that made the ranking table (and the page) 1,409 px wide at 1400 and 1,220 px at 800 until they wrapped."""
import pytest

from testkit import cli as h

from .test_reports_browser import browser, open_offline  # noqa: F401 -- the shared Chromium fixture


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    out = tmp_path_factory.mktemp("adl") / "out"
    rc, _, _ = h.invoke(["compare", "perp-hedge", "funding-carry", "hold", "--venue", "hyperliquid", "--adl", "worst",
                         "--start", "2025-10-06", "--end", "2025-10-15", "--tearsheets", "0", "--out", str(out),
                         "--quiet"])
    assert rc in (0, None)
    return out


@pytest.mark.parametrize("width", [800, 1400])
def test_the_adl_section_shows_each_close_and_both_rankings_inside_the_window(browser, made, width):  # noqa: F811
    browser.set_window_size(width, 1000)
    errors, remote = open_offline(browser, made / "report.html")
    assert errors == [] and remote == []
    view = browser.execute_script("""
        const t = document.getElementById('adl-table'), r = document.getElementById('adl-ranking');
        const box = el => Array.from(el.querySelectorAll('thead th')).map(th => {
            const b = th.getBoundingClientRect(); return [th.textContent, b.left, b.right]; });
        return {rows: t.querySelectorAll('tbody tr').length, runs: Array.from(t.querySelectorAll('tbody td:first-child'))
                    .map(td => td.textContent), ranked: r.querySelectorAll('tbody tr').length,
                heads: box(t).concat(box(r)), inner: window.innerWidth,
                scrollW: document.documentElement.scrollWidth};""")
    assert sorted(view["runs"]) == ["funding-carry", "perp-hedge"]   # the two short hedges, hold has no perp
    assert view["ranked"] == 3
    assert view["scrollW"] <= view["inner"]
    for text, left, right in view["heads"]:
        assert 0 <= left and right <= view["inner"], (text, left, right, view["inner"])

