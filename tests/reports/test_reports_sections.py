"""Human-readable text on the page: no Python dicts, no scientific notation, no unknown files or glyphs."""
import re

import numpy as np
import pandas as pd

from hedgelab.reports import RunRecord, write_report
from hedgelab.reports.sections import number, plain, vs_hold

from .conftest import MANIFEST, synthetic_runs


def test_plain_text_for_manifest_values():
    assert plain({"open": 115268.0, "high": 116758.5}) == "open 115,268; high 116,758.5"
    assert plain(4.3e-05) == "0.000043" and number(0.30000000000000004) == "0.3"
    assert plain("Binance USD\u24c8-M perp (SOURCES.md section 2)") == "Binance USDS-M perp"
    assert plain(["a", 1_000_000]) == "a, 1,000,000"


def test_the_data_section_has_no_dicts_sci_notation_or_file_names(tmp_path):
    manifest = dict(MANIFEST, anchors=[{"fact": "day", "value": {"open": 1.0e5, "low": 4.3e-05}, "date": "2025-10-10",
                                        "source": "Binance spot (SOURCES.md section 1)"}],
                    provenance={"open": "file /home/me/raw/BTCUSDT-1h.csv", "close": "file /home/me/raw/BTCUSDT-1h.csv"})
    write_report(synthetic_runs(days=2)[:1], tmp_path, manifest=manifest, progress=False, max_tearsheets=0)
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    data = re.search(r"<section id='data'>(.*?)</section>", page, re.S).group(1)
    assert "{" not in data and not re.search(r"\d[eE][-+]?\d", data)
    assert ".md" not in data and ".csv" not in data and "\u24c8" not in data
    assert "open 100,000; low 0.000043" in data
    assert "source of open, close" in data          # one line for columns sharing a source


def test_vs_hold_is_drawdown_saved_per_usd_of_hedge_cost():
    # hold fell 36 %, the hedged run 16 %: 20 % of 100k = 20,000 USD saved for 400 USD of hedge cost
    # the header says "max DD saved vs hold (USD)": every cell leads with those USD, the ratio in brackets
    row = pd.Series({"max_drawdown": -0.16, "hedge_cost_usd": 400.0})
    cell, tip = vs_hold(row, -0.36, 100_000.0)
    assert cell == "+20,000 USD (50.0 per USD)" and "+20,000 USD" in tip
    earned, _ = vs_hold(pd.Series({"max_drawdown": -0.16, "hedge_cost_usd": -50.0}), -0.36, 100_000.0)
    assert earned == "+20,000 USD (the hedge earned)"
    # no hedge held: the hedge cost is empty (NaN), and so is the comparison
    assert vs_hold(pd.Series({"max_drawdown": -0.16, "hedge_cost_usd": float("nan")}), -0.36, 100_000.0)[0] == "–"


def test_hedge_cost_only_for_runs_that_hold_a_hedge(tmp_path):
    # conftest: perp-hedge is long 1 BTC spot and short 0.5 BTC perp; leveraged-long holds only a long perp
    files = write_report(synthetic_runs(days=3)[:3], tmp_path, manifest=MANIFEST, progress=False, max_tearsheets=0)
    page = files.report.read_text(encoding="utf-8")
    rows = {m.group(1): m.group(2) for m in re.finditer(r"<summary[^>]*>([^<]+)</summary>(.*?)</tr>", page, re.S)}
    assert "no hedge" not in rows["perp-hedge"] and "hedge: short perp" in rows["perp-hedge"]
    assert "no hedge" in rows["leveraged-long"] and "no hedge" in rows["hold"]


def test_a_market_neutral_run_is_ranked_apart(tmp_path):
    idx = pd.date_range("2025-10-01", periods=48, freq="h", tz="UTC")
    carry = RunRecord("carry", "funding-carry", {}, pd.Series(np.linspace(100_000, 100_500, 48), idx), None,
                      spot_qty=pd.Series(1.0, idx), perp_qty=pd.Series(-1.0, idx))
    hold = synthetic_runs(days=2)[0]
    files = write_report([hold, carry], tmp_path, manifest=MANIFEST, progress=False, max_tearsheets=0)
    page = files.report.read_text(encoding="utf-8")
    group = page.index("Market-neutral runs")
    assert page.index(">hold</summary>") < group < page.index(">carry</summary>")
    # ranks count from 1 within each group (the sweep page's ranking once began at #11)
    assert re.findall(r"<td data-run='([^']+)'>(\d+)</td>", page) == [("hold", "1"), ("carry", "1")]


def test_a_thirty_percent_net_long_hedge_is_not_market_neutral(tmp_path):
    # perp-hedge at hedge_ratio=0.7: long 1 BTC spot, short 0.7 perp, 0.3 BTC net long (30 % of the long leg):
    # a hedged long, ranked with the directional runs (the old net/gross < 0.2 rule called it neutral)
    idx = pd.date_range("2025-10-01", periods=48, freq="h", tz="UTC")
    hedged = RunRecord("hedged", "perp-hedge", {}, pd.Series(np.linspace(100_000, 99_000, 48), idx), None,
                       spot_qty=pd.Series(1.0, idx), perp_qty=pd.Series(-0.7, idx))
    near = RunRecord("near", "funding-carry", {}, pd.Series(np.linspace(100_000, 100_100, 48), idx), None,
                     spot_qty=pd.Series(1.0, idx), perp_qty=pd.Series(-0.96, idx))   # 4 % net: neutral
    summary = write_report([hedged, near], tmp_path, manifest=MANIFEST, progress=False, max_tearsheets=0).summary
    assert summary.set_index("run")["group"].to_dict() == {"hedged": "directional", "near": "market-neutral"}


def test_a_capped_leverage_is_noted_in_the_ranking_and_the_assumptions(tmp_path):
    run = synthetic_runs(days=2)[1]
    ev = run.events_frame()
    capped = dict(ev.iloc[0].to_dict(), kind="leverage_capped", amount=0.0, qty=0.0)
    run.events = pd.concat([ev, pd.DataFrame([capped])], ignore_index=True)
    files = write_report([synthetic_runs(days=2)[0], run], tmp_path, manifest=MANIFEST, progress=False,
                         max_tearsheets=0)
    page = files.report.read_text(encoding="utf-8")
    assert ">leverage capped</span>" in page
    shown = re.search(r"<section id='assumptions'>(.*?)</section>", page, re.S).group(1)
    assert "Leverage capped: leveraged-long asked for more leverage" in shown


def test_events_name_the_option_contract_and_the_cut_reason(tmp_path):
    run = synthetic_runs(days=2)[0]
    idx = run.equity.index
    run.events = pd.DataFrame([
        dict(time=idx[1], strategy="", instrument="BTC-OPT", side="buy", kind="option_fill", qty=1.0, price=2_000.0,
             amount=-2_000.0, reason="", option_type="put", strike=90_000.0,
             expiry=pd.Timestamp("2025-10-31 08:00", tz="UTC")),
        dict(time=idx[2], strategy="", instrument="BTCUSDT-PERP", side="buy", kind="order_trimmed", qty=0.5,
             price=100_000.0, amount=0.0, reason="initial_margin", option_type="", strike=float("nan"), expiry=pd.NaT)])
    files = write_report([run], tmp_path, manifest=MANIFEST, progress=False, max_tearsheets=0)
    written = pd.read_csv(files.events_csv)
    assert list(written.columns) == ["time", "strategy", "instrument", "side", "kind", "qty", "price", "amount", "run",
                                     "reason", "option_type", "strike", "expiry"]
    page = files.report.read_text(encoding="utf-8")
    assert "put 90,000 exp 2025-10-31 08:00" in page and "reason: initial_margin" in page
