"""The report of basket runs (several coins in one account): exposure and PnL per coin, a cross account's
liquidation coin by coin, the perp-vs-spot basis per coin around Oct 10 2025. Runs come from the basket
kernel (``simulate_basket``) on hand-made markets or on the real Oct 2025 alt-coin files; every expected
number is computed here from the markets, the engine's own summary or the data files, not read back from
reports/basket.py."""
import json
import re

import numpy as np
import pandas as pd
import pytest
from numba import njit

from hedgelab.engine import Costs
from hedgelab.engine.basket import simulate_basket
from hedgelab.engine.basket_types import BASKET_HOOK_SIG, Account, Coin, CoinIntent
from hedgelab.engine.spec import StrategySpec
from hedgelab.reports import write_report
from hedgelab.reports.record import basket_record
from hedgelab.strategies import get_strategy
from hedgelab.strategies.testing import synthetic_market
from testkit.alts import ALTS, markets, require_alts

from .conftest import MANIFEST, synthetic_runs
from .test_reports_browser import browser, open_offline  # noqa: F401 -- the shared Chromium fixture

CAPITAL = 100_000.0


@njit(BASKET_HOOK_SIG, cache=True)
def open_then_halve_nb(i, coins, account, params, features, intent):
    """At the first decision: coin k's spot = params[2k] x equity / index, its perp = params[2k+1] x equity /
    mark (signed), leverage params[2n]; at bar params[2n+1] both are halved."""
    n = coins.shape[0]
    if account[Account.MEM0] != account[Account.MEM0]:
        account[Account.MEM0] = 1.0
        for k in range(n):
            intent[k, CoinIntent.LEVERAGE] = params[2 * n]
            intent[k, CoinIntent.TARGET_SPOT] = params[2 * k] * account[Account.EQUITY] / coins[k, Coin.INDEX]
            intent[k, CoinIntent.TARGET_PERP] = params[2 * k + 1] * account[Account.EQUITY] / coins[k, Coin.MARK]
    elif i == int(params[2 * n + 1]):
        for k in range(n):
            intent[k, CoinIntent.TARGET_SPOT] = 0.5 * coins[k, Coin.SPOT_QTY]
            intent[k, CoinIntent.TARGET_PERP] = 0.5 * coins[k, Coin.PERP_QTY]


def _spec(row, n_bars):
    params = np.ascontiguousarray([row], dtype=np.float64)
    return StrategySpec(open_then_halve_nb, params, np.zeros((n_bars, 1)), np.ones(n_bars, dtype=bool),
                        tuple(f"p{k}" for k in range(params.shape[1])), ("mixed",))


def _record(res, name="mixed", strategy="mixed"):
    return basket_record(res, 0, name, strategy, {}, CAPITAL)


def _page(out) -> str:
    return (out / "report.html").read_text(encoding="utf-8")


def _table(page: str, table_id: str) -> dict:
    """{row's data-coin: [the data-v numbers of its cells, in order]} of one table of the page."""
    body = page[page.index(f"id='{table_id}'"):]
    body = body[:body.index("</table>")]
    rows = {}
    for coin, cells in re.findall(r"<tr[^>]*? data-coin='([^']*)'[^>]*>(.*?)</tr>", body, flags=re.S):
        rows[coin] = [float(v) for v in re.findall(r"data-v='([^']*)'", cells)]
    return rows


# ---- exposure and PnL per coin ---------------------------------------------------------------------------

ETH = [4000.0] * 5 + [4100.0] * 3 + [3900.0] * 4      # bar 5 halves at 4,100; bar 8 settles funding at 3,900
SOL = [200.0] * 5 + [190.0] * 3 + [210.0] * 4
R_ETH, R_SOL = 0.0001, -0.0003                          # funding rates, settled at bars 0 and 8
FEE_PERP, FEE_SPOT = 0.0005, 0.001


def _hand_market():
    return {"ETH": synthetic_market(ETH, funding_every=8, rate=R_ETH),
            "SOL": synthetic_market(SOL, funding_every=8, rate=R_SOL)}


def _expected_by_hand():
    """ETH: spot 0.3 and perp 1.0 of the equity long, SOL: perp 0.5 short, at bar 0's closes; both halved at
    bar 5. No slippage: every fill is at the close."""
    s, q = 0.3 * CAPITAL / 4000.0, 1.0 * CAPITAL / 4000.0
    eth = {"held": s / 2 * 3900.0 + q / 2 * (3900.0 - 4000.0),
           "trades": -s * 4000.0 + s / 2 * 4100.0 + q / 2 * (4100.0 - 4000.0),
           "funding": -(q / 2) * 3900.0 * R_ETH,          # bar 0's settlement comes before the position
           "fees": -(FEE_SPOT * (s * 4000.0 + s / 2 * 4100.0) + FEE_PERP * (q * 4000.0 + q / 2 * 4100.0)),
           "exposure_start": s * 4000.0 + q * 4000.0, "exposure_end": (s + q) / 2 * 3900.0}
    p = -0.5 * CAPITAL / 200.0
    sol = {"held": p / 2 * (210.0 - 200.0), "trades": (-p / 2) * (200.0 - 190.0),
           "funding": -(p / 2) * 210.0 * R_SOL, "fees": -FEE_PERP * (abs(p) * 200.0 + abs(p) / 2 * 190.0),
           "exposure_start": p * 200.0, "exposure_end": p / 2 * 210.0}
    for d in (eth, sol):
        d["pnl"] = d["held"] + d["trades"] + d["funding"] + d["fees"]
    return {"ETH": eth, "SOL": sol}


@pytest.mark.parametrize("mode", ["cross", "isolated"])
def test_each_coins_pnl_is_its_held_value_trades_funding_and_fees_and_they_add_up(tmp_path, mode):
    mk = _hand_market()
    res = simulate_basket(mk, _spec([0.3, 1.0, 0.0, -0.5, 5.0, 5], len(ETH)), venue="hyperliquid", margin_mode=mode,
                          costs=Costs(perp_fee=FEE_PERP, spot_fee=FEE_SPOT, half_spread=0.0, impact=0.0))
    rec = _record(res)
    assert res.summary["liquidations"].iloc[0] == 0
    write_report([rec], tmp_path, manifest=MANIFEST, progress=False, max_tearsheets=0)
    page = _page(tmp_path)
    rows = _table(page, "attribution-0")
    expected = _expected_by_hand()
    columns = ["exposure_start", "exposure_end", "held", "trades", "funding", "fees", "pnl"]
    for coin, exp in expected.items():
        assert rows[coin] == pytest.approx([exp[c] for c in columns], rel=1e-9, abs=1e-6), coin
    # isolated or cross, a coin earns the same: an isolated position's margin is the account's own cash
    total = float(res.equity.iloc[-1, 0]) - CAPITAL
    assert sum(e["pnl"] for e in expected.values()) == pytest.approx(total, rel=1e-9)
    assert rows["all coins"][-1] == pytest.approx(total, rel=1e-9)
    assert "not attributed" not in page
    # the events name each leg's coin; the page's funding and fees per coin are the engine's per-coin summary
    assert ">ETH spot<" in page and ">SOL perp<" in page and "qty (coin)" in page
    for coin in expected:
        assert rows[coin][4] == pytest.approx(res.summary[f"funding_pnl.{coin}"].iloc[0], rel=1e-12, abs=1e-9)
        assert rows[coin][5] == pytest.approx(-res.summary[f"fees.{coin}"].iloc[0], rel=1e-12)


@pytest.fixture(scope="module")
def alt_runs():
    """The built-in basket strategies on the real Oct 1-20 files: a 3x perp basket in cross margin (liquidated
    on Oct 10), the same hedged by a BTC short, the basket hedged by its own perps in isolated margin."""
    require_alts()
    basket = {"ETH": 0.4, "SOL": 0.3, "XRP": 0.3}
    mk = markets(["ETH", "SOL", "XRP", "BTC", "BNB"], start="2025-10-01", end="2025-10-20")
    runs = []
    for name, params, mode in (("basket-hold", {"via": "perp", "leverage": 3.0}, "cross"),
                               ("basket-btc-short", {"via": "perp", "leverage": 3.0}, "cross"),
                               ("basket-own-perps", {"hedge_ratio": 0.5}, "isolated"),
                               ("basket-btc-short", {"via": "spot", "hedge_leverage": 10.0}, "isolated")):
        cls = get_strategy(name)
        own = {c: mk[c] for c in cls.coins(basket)}
        res = simulate_basket(own, cls(**params).basket_spec(own, basket), venue="binance", margin_mode=mode,
                              capital=CAPITAL)
        runs.append((basket_record(res, 0, f"{name} {mode} {len(runs)}", name, params, CAPITAL), res))
    return mk, runs


def _coin_prices(mk, coins=None):
    index = pd.DatetimeIndex(pd.to_datetime(next(iter(mk.values())).time_ns, utc=True))
    return {c: pd.DataFrame({"mark": m.mark_close, "index": m.index_close, "close": m.close,
                             "mark_low": m.mark_low, "index_low": m.index_low}, index=index)
            for c, m in mk.items() if coins is None or c in coins}


def test_on_real_data_the_coins_pnl_add_up_to_each_runs_pnl(tmp_path, alt_runs):
    _, runs = alt_runs
    write_report([r for r, _ in runs], tmp_path, manifest=MANIFEST, progress=False, max_tearsheets=0)
    page = _page(tmp_path)
    ids = dict(re.findall(r"id='(attribution-\d+)' data-run='([^']*)'", page))
    assert len(ids) == len(runs)
    by_name = {rec.name: (rec, res) for rec, res in runs}
    for table_id, name in ids.items():
        rec, res = by_name[name]
        rows = _table(page, table_id)
        coins = list(res.symbols)
        assert set(rows) == set(coins) | {"all coins"}
        total = float(res.equity.iloc[-1, 0]) - CAPITAL
        assert sum(rows[c][-1] for c in coins) == pytest.approx(total, rel=1e-9, abs=1e-6), name
        for c in coins:
            exposure, held, trades, funding, fees, pnl = rows[c][1], rows[c][2], rows[c][3], rows[c][4], rows[c][5], \
                rows[c][6]
            assert held + trades + funding + fees == pytest.approx(pnl, rel=1e-12, abs=1e-9)
            assert exposure == pytest.approx(res.coins["exposure"][c].iloc[-1, 0], rel=1e-12, abs=1e-9)
            assert funding == pytest.approx(res.summary[f"funding_pnl.{c}"].iloc[0], rel=1e-9, abs=1e-9)
            assert fees == pytest.approx(-res.summary[f"fees.{c}"].iloc[0], rel=1e-9, abs=1e-9)
            if res.margin_mode == "cross":   # no isolated margin: what a coin holds is the engine's own value
                assert held == pytest.approx(res.coins["value"][c].iloc[-1, 0], rel=1e-9, abs=1e-6)
    assert "not attributed" not in page
    # the stacked exposure chart: one menu entry per run; a run's coins and its net line share its entry
    spec = json.loads(re.search(r"data-for='chart-coin-exposure'>(.*?)</script>", page, flags=re.S).group(1))
    buttons = spec["layout"]["updatemenus"][0]["buttons"]
    assert [html_unescape(b["label"]) for b in buttons] == [name for name in ids.values()]
    for b in buttons:
        shown = [t for t, v in zip(spec["data"], b["args"][0]["visible"]) if v]
        assert shown[-1]["name"] == "net exposure" and all(t.get("stackgroup") for t in shown[:-1])


def html_unescape(text):
    import html
    return html.unescape(text)


# ---- a cross account's liquidation, coin by coin --------------------------------------------------------

@pytest.mark.parametrize("with_prices", [True, False])
def test_a_cross_liquidation_says_when_which_coin_tipped_it_and_each_closing_price(tmp_path, alt_runs, with_prices):
    mk, runs = alt_runs
    rec, res = runs[0]                                   # the 3x perp basket in cross margin
    write_report([rec], tmp_path, manifest=MANIFEST, progress=False, max_tearsheets=0,
                 coin_prices=_coin_prices(mk) if with_prices else None)
    page = _page(tmp_path)
    liq = res.events[res.events["kind"] == "liquidation"]
    t = pd.Timestamp(liq["time"].iloc[0])
    assert (liq["time"] == t).all() and len(liq) == 3   # every perp closed at once
    bar = int(np.searchsorted(res.time, t))
    # independently: each position's cost from the bar's open to its closing price; the worst tipped it
    worst = {}
    for _, e in liq.iterrows():
        q = -float(e["qty"])
        worst[str(e["symbol"])] = q * (mk[str(e["symbol"])].mark_open[bar] - float(e["price"]))
    tipped = max(worst, key=worst.get)
    assert tipped == rec.tipped_by == "XRP"
    block = page[page.index("id='coin-liquidations'"):]
    assert f"was liquidated in the bar opening {t:%Y-%m-%d %H:%M} UTC" in block
    assert f"<b>{tipped}</b> tipped it" in block and f"{tipped} (tipped it)" in block
    rows = _table(block, "coin-liquidations")
    for _, e in liq.iterrows():
        coin = str(e["symbol"])
        prev = mk[coin].mark_close[bar - 1]          # from the data file, not from the record
        price = float(e["price"])
        expected = [prev, price, price / prev - 1.0, -float(e["qty"]) * (price - prev), float(e["amount"])]
        assert rows[coin][:5] == pytest.approx(expected, rel=1e-9), coin
    # the account's liquidation fee, shared by notional, is the rest of the bar's fee events
    fees = res.events[(res.events["time"] == t) & (res.events["kind"] == "fee")]
    assert sum(r[5] for r in rows.values()) == pytest.approx(fees["amount"].sum(), rel=1e-9)
    assert "SOL perp" in page   # the liquidation table names each leg's coin


def test_without_prices_a_coin_held_as_spot_and_perp_has_no_previous_close(tmp_path):
    # ETH: spot and a long perp in cross margin; SOL: a long perp only, opened at bar 0's close. Bar 1 opens
    # 60 % down: the liquidation bar opens when the opening fills are stamped (bar 0's close), and their fees
    # are not the liquidation's (Hyperliquid closes at the mark without a fee).
    eth = synthetic_market([4000.0, 1600.0, 1600.0, 1600.0], funding_every=0)
    sol = synthetic_market([200.0, 80.0, 80.0, 80.0], funding_every=0)
    res = simulate_basket({"ETH": eth, "SOL": sol}, _spec([0.2, 2.0, 0.0, 2.0, 10.0, 99], 4), venue="hyperliquid",
                          margin_mode="cross", costs=Costs(perp_fee=FEE_PERP, spot_fee=FEE_SPOT, half_spread=0.0,
                                                           impact=0.0))
    rec = _record(res)
    assert rec.first_liquidation == res.time[1]
    write_report([rec], tmp_path, manifest=MANIFEST, progress=False, max_tearsheets=0)
    page = _page(tmp_path)
    rows = _table(page, "coin-liquidations")
    assert rows["SOL"][:2] == pytest.approx([200.0, 80.0], rel=1e-12)   # a perp alone: exposure / qty is its mark
    assert len(rows["SOL"]) == 6 and len(rows["ETH"]) == 3             # ETH: no previous close, move or cost
    assert rows["ETH"][0] == pytest.approx(1600.0, rel=1e-12)
    assert rows["ETH"][-1] == 0.0 and rows["SOL"][-1] == 0.0             # no liquidation fee
    # the wallet (100,000 less 20,000 of spot and the fees) loses 240,000 on the two perps and is set to 0;
    # what lay below zero is the venue's, so the coins' PnL fall short of the account's by that much
    spot, fee_eth, fee_sol = 0.2 * CAPITAL / 4000.0, FEE_PERP * 200_000.0, FEE_PERP * 200_000.0
    fee_spot = FEE_SPOT * 0.2 * CAPITAL
    coins = _table(page, "attribution-0")
    assert coins["ETH"][-1] == pytest.approx(spot * (1600.0 - 4000.0) - fee_spot - 50.0 * 2400.0 - fee_eth,
                                             rel=1e-12)
    assert coins["SOL"][-1] == pytest.approx(-1000.0 * 120.0 - fee_sol, rel=1e-12)
    assert "not attributed to a coin" in page
    rest = float(re.search(r"<tr class='rest'>.*?data-v='([^']*)'", page, flags=re.S).group(1))
    assert rest == pytest.approx(-(CAPITAL - 0.2 * CAPITAL - fee_spot - fee_eth - fee_sol - 240_000.0), rel=1e-12)


# ---- basis per coin around Oct 10 ---------------------------------------------------------------------------

def _file_gap(coin, column="close"):
    """perp / spot - 1 per 1h bar from the data files themselves, Oct 9 00:00 to Oct 11 23:00."""
    perp = pd.read_csv(ALTS / f"binance_perp_{coin}USDT_1h.csv", index_col="open_time_utc", parse_dates=True)
    spot = pd.read_csv(ALTS / f"binance_spot_{coin}USDT_1h.csv", index_col="open_time_utc", parse_dates=True)
    gap = (perp[column] / spot[column] - 1.0).loc["2025-10-09 00:00":"2025-10-11 23:00"]
    at = gap.abs().idxmax()
    return float(gap.loc[at]), pd.Timestamp(at)


def test_the_basis_per_held_coin_is_its_largest_gap_around_oct_10(tmp_path, alt_runs):
    mk, runs = alt_runs
    write_report([r for r, _ in runs], tmp_path, manifest=MANIFEST, progress=False, max_tearsheets=0,
                 coin_prices=_coin_prices(mk))
    page = _page(tmp_path)
    section = page[page.index("<section id='basis'>"):]
    section = section[:section.index("</section>")]
    rows = _table(section, "basis-table")
    for coin in ("ETH", "SOL", "XRP"):
        close_gap, close_at = _file_gap(coin, "close")
        low_gap, low_at = _file_gap(coin, "low")
        assert rows[coin] == pytest.approx([close_gap, low_gap], rel=1e-9), coin
        row = section[section.index(f"<tr data-coin='{coin}'>"):]
        row = row[:row.index("</tr>")]
        assert f"{close_at:%Y-%m-%d %H:%M}" in row and f"{low_at:%Y-%m-%d %H:%M}" in row
    close_gap, close_at = _file_gap("SOL")
    assert close_at == pd.Timestamp("2025-10-10 21:00", tz="UTC") and -0.02 < close_gap < -0.01   # perp below spot
    assert _file_gap("SOL", "low")[0] < -0.15                                                   # far below at the low
    # BTC (held by the BTC short) has one series for perp and index in these files: nothing measured, said so
    assert rows["BTC"] == [] and "BTC: the data's perp and index are one series" in html_unescape(section)
    # BNB was given but no run held it: not shown, and named
    assert "BNB" not in rows and "Not shown: BNB (no run held it in this window)" in section
    assert "2025-10-09 00:00 to 2025-10-11 23:00 UTC" in section
    # the traded close is the mark in these files: its gap is not repeated
    assert "traded close vs index" not in section
    spec = json.loads(re.search(r"data-for='chart-basis'>(.*?)</script>", page, flags=re.S).group(1))
    assert {t["name"] for t in spec["data"]} == {f"{c} {k}" for c in ("ETH", "SOL", "XRP")
                                                 for k in ("mark close", "lows")}
    assert spec["layout"]["xaxis"]["range"][0].startswith("2025-10-09T00:00")


def test_no_basis_without_prices_or_outside_oct_10_and_one_coin_runs_are_unchanged(tmp_path, alt_runs):
    mk, runs = alt_runs
    write_report([runs[0][0]], tmp_path / "a", manifest=MANIFEST, progress=False, max_tearsheets=0)
    assert "id='basis'" not in _page(tmp_path / "a") and "id='coins'" in _page(tmp_path / "a")
    # a window that ends before Oct 10
    early = {c: synthetic_market(np.full(30, p), funding_every=0, start_s=1_756_684_800)   # 2025-09-01
             for c, p in (("ETH", 4000.0), ("SOL", 200.0))}
    res = simulate_basket(early, _spec([0.0, 1.0, 0.0, 1.0, 2.0, 99], 30), venue="hyperliquid", margin_mode="cross")
    write_report([_record(res)], tmp_path / "b", manifest=MANIFEST, progress=False, max_tearsheets=0,
                 coin_prices=_coin_prices(early))
    page = _page(tmp_path / "b")
    assert "id='coins'" in page and "id='basis'" not in page
    # one-coin runs: none of the basket sections, with or without coin prices
    write_report(synthetic_runs(), tmp_path / "c", manifest=MANIFEST, progress=False, max_tearsheets=0,
                 coin_prices=_coin_prices(mk))
    page = _page(tmp_path / "c")
    assert not any(f"id='{s}'" in page for s in ("coins", "basis", "coin-liquidations"))
    assert "qty (BTC)" in page and "qty (coin)" not in page


# ---- the page in a browser --------------------------------------------------------------------------------

@pytest.mark.parametrize("width", [800, 1400])
def test_the_basket_sections_fit_the_window_and_draw(browser, tmp_path, alt_runs, width):  # noqa: F811
    mk, runs = alt_runs
    write_report([r for r, _ in runs], tmp_path, manifest=MANIFEST, progress=False, max_tearsheets=0,
                 coin_prices=_coin_prices(mk))
    browser.set_window_size(width, 1000)
    errors, remote = open_offline(browser, tmp_path / "report.html")
    assert errors == [] and remote == []
    view = browser.execute_script("""
        const ids = ['coins', 'coin-liquidations', 'basis', 'chart-coin-exposure', 'chart-basis'];
        return {found: ids.map(id => !!document.getElementById(id)),
                drawn: ['chart-coin-exposure', 'chart-basis'].map(id =>
                    document.getElementById(id).querySelectorAll('.main-svg').length),
                inner: window.innerWidth, scrollW: document.documentElement.scrollWidth,
                tables: Array.from(document.querySelectorAll('#coins table, #basis table, #coin-liquidations table'))
                    .map(t => t.getBoundingClientRect().right)};""")
    assert all(view["found"]) and all(n > 0 for n in view["drawn"])
    assert view["scrollW"] <= view["inner"]
    assert all(right <= view["inner"] for right in view["tables"])
