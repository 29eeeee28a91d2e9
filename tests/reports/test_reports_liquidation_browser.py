"""The liquidation explainer on the page in headless Chromium at 800 and 1400 px: the same sentences the
terminal printed (one truth), inside the window (no horizontal overflow: long sentences wrap)."""
import subprocess
import sys

import pytest

from .test_reports_browser import browser, open_offline  # noqa: F401 -- the shared Chromium fixture


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    out = tmp_path_factory.mktemp("liq") / "out"
    # a subprocess: the terminal's own output, as a user sees it
    done = subprocess.run([sys.executable, "-m", "hedgelab", "run", "leveraged-long", "--tearsheets", "0",
                           "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return out, done.stdout


@pytest.mark.parametrize("width", [800, 1400])
def test_the_explainer_is_on_the_page_as_printed_and_inside_the_window(browser, made, width):  # noqa: F811
    out, printed = made
    browser.set_window_size(width, 1000)
    errors, remote = open_offline(browser, out / "report.html")
    assert errors == [] and remote == []
    view = browser.execute_script("""
        const box = document.getElementById('liquidation-explained');
        const stories = Array.from(box.querySelectorAll('.liq-story'));
        return {inner: window.innerWidth, scrollW: document.documentElement.scrollWidth,
                boxRight: box.getBoundingClientRect().right, inLiquidations: !!box.closest('#liquidations'),
                stories: stories.map(s => [s.querySelector('p').textContent,
                                           Array.from(s.querySelectorAll('li')).map(li => li.textContent)]),
                rights: stories.flatMap(s => Array.from(s.querySelectorAll('li, p'))
                                         .map(e => e.getBoundingClientRect().right))};""")
    assert view["inLiquidations"]
    assert view["scrollW"] <= view["inner"] and view["boxRight"] <= view["inner"]
    assert max(view["rights"]) <= view["inner"]
    ((head, sentences),) = view["stories"]
    lines = printed.splitlines()
    start = lines.index(head)      # the terminal's first line of the story, word for word
    assert [x.strip() for x in lines[start + 1:start + 1 + len(sentences)]] == sentences
    assert head.startswith("leveraged-long: liquidated in the bar opening 2025-11-08 15:00 UTC")
    assert any("funding -9,048.46" in s for s in sentences)
    assert any(s.startswith("Would have survived to the end of the run") for s in sentences)
