"""Re-take the screenshots in docs/ from the pages the README's commands write.

    python docs/screenshots.py            # runs the main job and a sweep, then shoots their pages

Needs Debian's chromium and chromium-driver and selenium (the test extra). Each picture is one section
of a page at 1400 px, so it shows what that version of hedgelab prints, never an edited image.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DOCS = Path(__file__).resolve().parent
WIDTH = 1400
SWEEP = ["sweep", "perp-hedge", "-g", "hedge_ratio=0:1:11", "-g", "leverage=2,5,10",
         "--heatmap-x", "hedge_ratio", "--heatmap-y", "leverage"]
# picture -> (page, section id or None for the page's top, height in px)
SHOTS = {
    "report-top.png": ("compare", None, 860),
    "report-scenarios.png": ("compare", "scenarios", None),
    "report-liquidations.png": ("compare", "liquidations", 960),
    "report-costs.png": ("compare", "costs", 420),
    "report-sweep-heatmap.png": ("sweep", "heatmap", 580),
}


def _page(args: list[str], work: Path) -> Path:
    out = work / args[0]
    subprocess.run([sys.executable, "-m", "hedgelab", *args, "--quiet", "--out", str(out)], check=True)
    return out / "report.html"


def _browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium") or shutil.which("google-chrome")
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--window-size={WIDTH},1000"):
        opts.add_argument(a)
    return webdriver.Chrome(service=Service(executable_path=shutil.which("chromedriver")), options=opts)


def _shoot(driver, page: Path, section: str | None, height: int | None, target: Path) -> None:
    driver.get(page.resolve().as_uri())
    time.sleep(2)   # plotly draws after load
    if section is None:
        driver.set_window_size(WIDTH, height)
        driver.save_screenshot(str(target))
        return
    element = driver.find_element("id", section)
    driver.set_window_size(WIDTH, max(1000, element.size["height"] + 200))
    driver.execute_script("arguments[0].scrollIntoView();", element)
    time.sleep(1)
    element.screenshot(str(target))


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="hedgelab-shots-"))
    pages = {"compare": _page(["compare"], work), "sweep": _page(SWEEP, work)}
    driver = _browser()
    try:
        for name, (page, section, height) in SHOTS.items():
            _shoot(driver, pages[page], section, height, DOCS / name)
            print(f"{DOCS / name}")
    finally:
        driver.quit()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
