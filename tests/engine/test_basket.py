"""The basket kernel (several coins in one account) against hand-worked numbers and the single-coin
kernel. Every expected number is computed here from the rules (docs: engine/nb/basket.py), not read
back from the kernel."""
import numpy as np
import pytest
from numba import njit

from hedgelab.core.errors import UserError
from hedgelab.engine import Costs, simulate
from hedgelab.engine.basket import simulate_basket
from hedgelab.engine.basket_types import BASKET_HOOK_SIG, Account, Coin, CoinIntent
from hedgelab.engine.spec import StrategySpec
from hedgelab.engine.types import HOOK_SIG, Intent, State
from hedgelab.strategies.testing import synthetic_market

# Hyperliquid (spec §3): BTC MMR 1.25 % below 150M, ETH 2 % below 100M, SOL 2.5 % below 70M, no
# liquidation fee (closed at the mark), so the numbers below need no tier changes.
VENUE = "hyperliquid"
MMR = {"BTC": 0.0125, "ETH": 0.02, "SOL": 0.025}


@njit(BASKET_HOOK_SIG, cache=True)
def open_once_nb(i, coins, account, params, features, intent):
    """At the first decision: perp position k = params[k] * equity / mark (signed), leverage params[-1]."""
    if account[Account.MEM0] == account[Account.MEM0]:
        return
    account[Account.MEM0] = 1.0
    n = coins.shape[0]
    for k in range(n):
        if params[k] != 0.0:
            intent[k, CoinIntent.LEVERAGE] = params[n]
            intent[k, CoinIntent.TARGET_PERP] = params[k] * account[Account.EQUITY] / coins[k, Coin.MARK]


def _spec(rows, n_bars, decide=None):
    params = np.ascontiguousarray(rows, dtype=np.float64)
    rebalance = np.zeros(n_bars, dtype=bool)
    rebalance[0] = True
    return StrategySpec(decide or open_once_nb, params, np.zeros((n_bars, 1)), rebalance,
                        tuple(f"p{k}" for k in range(params.shape[1])), tuple(f"run{j}" for j in range(len(params))))


def _bars(close, low=None, high=None, funding_every=0, rate=0.0):
    m = synthetic_market(close, funding_every=funding_every, rate=rate)
    if low is not None:
        m = m._replace(low=np.asarray(low, float), mark_low=np.asarray(low, float))
    if high is not None:
        m = m._replace(high=np.asarray(high, float), mark_high=np.asarray(high, float))
    return m


def test_cross_basket_is_liquidated_at_the_joint_worst_case_point():
    # Long 2.5x of the equity in ETH and in SOL (5x gross), cross. Bar 1 opens at the entry and its
    # lows are -12 % (ETH) and -20 % (SOL). On the joint path p_k(t) = open_k (1 + t d_k):
    # surplus(t) = W + sum q_k open_k t d_k - sum MMR_k |q_k| open_k (1 + t d_k), with W = 100,000
    # and q_k open_k = 250,000: 100,000 - 250,000 (0.12 t + 0.20 t) - 250,000 (0.02 (1 - 0.12 t)
    # + 0.025 (1 - 0.20 t)) = 88,750 - 80,000 t + 1,850 t -> t* = 88,750 / 78,150.
    eth = _bars([4000.0, 4000.0, 4000.0], low=[4000.0, 3520.0, 4000.0])
    sol = _bars([200.0, 200.0, 200.0], low=[200.0, 160.0, 200.0])
    res = simulate_basket({"ETH": eth, "SOL": sol}, _spec([[2.5, 2.5, 10.0]], 3), venue=VENUE,
                          margin_mode="cross", costs=Costs.zero())
    t = 88_750.0 / 78_150.0
    assert t > 1.0   # ... so this account survives the bar: its worst case leaves a surplus
    assert res.summary["liquidations"].iloc[0] == 0
    # deeper lows: ETH -20 %, SOL -35 %: surplus(t) = 88,750 - 250,000 * 0.55 t + 250,000 (0.02*0.20
    # + 0.025*0.35) t = 88,750 - 137,500 t + 3,187.5 t
    eth = _bars([4000.0, 4000.0, 4000.0], low=[4000.0, 3200.0, 4000.0])
    sol = _bars([200.0, 200.0, 200.0], low=[200.0, 130.0, 200.0])
    res = simulate_basket({"ETH": eth, "SOL": sol}, _spec([[2.5, 2.5, 10.0]], 3), venue=VENUE,
                          margin_mode="cross", costs=Costs.zero())
    t = 88_750.0 / (137_500.0 - 3_187.5)
    p_eth, p_sol = 4000.0 * (1 - 0.20 * t), 200.0 * (1 - 0.35 * t)
    # Hyperliquid closes at the mark, no fee: the account keeps its equity at t*, which equals the MM there
    kept = 100_000.0 + 62.5 * (p_eth - 4000.0) + 1250.0 * (p_sol - 200.0)
    assert kept == pytest.approx(0.02 * 62.5 * p_eth + 0.025 * 1250.0 * p_sol, rel=1e-9)
    row = res.summary.iloc[0]
    assert row["liquidations"] == 2 and row["final_equity"] == pytest.approx(kept, rel=1e-9)
    assert row["first_liquidation"] == res.time[1] and row["tipped_by"] == "SOL"   # SOL lost 87,500 vs ETH 50,000
    liq = res.events[res.events["kind"] == "liquidation"].set_index("symbol")
    assert liq.loc["ETH", "price"] == pytest.approx(p_eth, rel=1e-12)
    assert liq.loc["SOL", "price"] == pytest.approx(p_sol, rel=1e-12)


def test_cross_margin_ratio_and_liquidation_prices_follow_binances_formula():
    # Two positions at the marks of the last bar: margin ratio = sum MM / (W + sum upnl), and each
    # position's liquidation price given the other: LP1 = (W - MM2 + UPNL2 - s1 Q1 EP1) / (Q1 MMR1 - s1 Q1).
    eth = _bars([4000.0, 3900.0])
    sol = _bars([200.0, 210.0])
    res = simulate_basket({"ETH": eth, "SOL": sol}, _spec([[2.0, -1.0, 10.0]], 2), venue=VENUE,
                          margin_mode="cross", costs=Costs.zero())
    q_eth, q_sol = 200_000.0 / 4000.0, -100_000.0 / 200.0
    upnl = q_eth * (3900.0 - 4000.0) + q_sol * (210.0 - 200.0)
    mm_eth, mm_sol = 0.02 * abs(q_eth) * 3900.0, 0.025 * abs(q_sol) * 210.0
    assert res.margin_ratio.iloc[-1, 0] == pytest.approx((mm_eth + mm_sol) / (100_000.0 + upnl), rel=1e-12)
    assert res.equity.iloc[-1, 0] == pytest.approx(100_000.0 + upnl, rel=1e-12)
    assert res.coins["exposure"]["SOL"].iloc[-1, 0] == pytest.approx(q_sol * 210.0, rel=1e-12)


def test_one_coin_basket_in_isolated_margin_equals_the_single_coin_kernel():
    """The same 10x long through both kernels: equity, liquidation and events agree bit for bit."""
    rng = np.random.default_rng(7)
    close = 100_000.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, 400)))
    low = close * (1.0 - np.abs(rng.normal(0.0, 0.01, 400)))
    high = close * (1.0 + np.abs(rng.normal(0.0, 0.01, 400)))
    market = _bars(close, low=low, high=high, funding_every=8, rate=0.0001)

    @njit(HOOK_SIG)
    def single_nb(i, state, params, features, intent):
        if state[State.PERP_QTY] == 0.0 and state[State.LIQUIDATIONS] == 0.0:
            intent[Intent.LEVERAGE] = 10.0
            intent[Intent.TARGET_PERP] = 5.0 * state[State.EQUITY] / state[State.MARK]

    @njit(BASKET_HOOK_SIG)
    def basket_nb(i, coins, account, params, features, intent):
        if coins[0, Coin.PERP_QTY] == 0.0 and account[Account.LIQUIDATIONS] == 0.0:
            intent[0, CoinIntent.LEVERAGE] = 10.0
            intent[0, CoinIntent.TARGET_PERP] = 5.0 * account[Account.EQUITY] / coins[0, Coin.MARK]

    spec = StrategySpec(single_nb, np.zeros((1, 1)), np.zeros((400, 1)), np.ones(400, dtype=bool), ("x",), ("r",))
    one = simulate(market, spec, venue="binance", margin_mode="isolated")
    many = simulate_basket({"BTC": market}, spec._replace(hook=basket_nb), venue="binance", margin_mode="isolated")
    assert one.summary["liquidations"].iloc[0] >= 1   # the path reaches the liquidation price
    np.testing.assert_array_equal(one.equity.iloc[:, 0].to_numpy(), many.equity.iloc[:, 0].to_numpy())
    assert one.summary["fees"].iloc[0] == many.summary["fees"].iloc[0]
    assert one.summary["funding_pnl"].iloc[0] == many.summary["funding_pnl"].iloc[0]
    ev1 = one.events[["kind", "qty", "price", "amount"]].astype({"kind": str}).reset_index(drop=True)
    ev2 = many.events[["kind", "qty", "price", "amount"]].astype({"kind": str}).reset_index(drop=True)
    assert ev1.equals(ev2)


def test_funding_goes_to_each_coins_bucket():
    # isolated: each position's funding to its own margin; cross: to the wallet. Rate 0.01 % at bar 0
    # and bar 8 on the close price; the first settlement (bar 0) comes before the position opens.
    eth = _bars(np.full(10, 4000.0), funding_every=8, rate=0.0001)
    sol = _bars(np.full(10, 200.0), funding_every=8, rate=-0.0003)
    for mode in ("isolated", "cross"):
        res = simulate_basket({"ETH": eth, "SOL": sol}, _spec([[1.0, -1.0, 2.0]], 10), venue=VENUE,
                              margin_mode=mode, costs=Costs.zero())
        q_eth, q_sol = 100_000.0 / 4000.0, -100_000.0 / 200.0
        assert res.summary["funding_pnl.ETH"].iloc[0] == pytest.approx(-q_eth * 4000.0 * 0.0001, rel=1e-12)
        assert res.summary["funding_pnl.SOL"].iloc[0] == pytest.approx(-q_sol * 200.0 * -0.0003, rel=1e-12)
        total = -q_eth * 4000.0 * 0.0001 - q_sol * 200.0 * -0.0003
        assert res.equity.iloc[-1, 0] == pytest.approx(100_000.0 + total, rel=1e-12)


def test_bad_baskets_are_one_line_errors():
    eth = _bars([4000.0, 4000.0, 4000.0])
    short = _bars([200.0, 200.0])
    with pytest.raises(UserError, match="SOL's bars are not on ETH's grid"):
        simulate_basket({"ETH": eth, "SOL": short}, _spec([[1.0, 1.0, 2.0]], 3), venue=VENUE)
    # Bybit's tables are known for BTC only (tiers-2025/SOURCES.md §2): an alt there needs a venue file
    with pytest.raises(UserError, match="no tier table for symbol 'ETH'.*a venue file .* can supply it"):
        simulate_basket({"BTC": eth, "ETH": eth}, _spec([[1.0, 1.0, 2.0]], 3), venue="bybit")


@pytest.mark.parametrize("field, value, fragment", [
    (CoinIntent.TARGET_PERP, 1e300, "TARGET_PERP = 1e+300 is invalid"),
    (CoinIntent.LEVERAGE, 5000.0, "LEVERAGE = 5000.0 is invalid"),
    (CoinIntent.LEVERAGE, -1.0, "LEVERAGE = -1.0 is invalid"),
    (CoinIntent.TARGET_SPOT, np.inf, "TARGET_SPOT = inf is not finite"),
])
def test_an_absurd_intent_stops_the_run_naming_coin_and_field(field, value, fragment):
    @njit(BASKET_HOOK_SIG)
    def absurd_nb(i, coins, account, params, features, intent):
        intent[1, int(params[0])] = params[1]

    eth, sol = _bars([4000.0, 4000.0]), _bars([200.0, 200.0])
    spec = _spec([[float(field), value]], 2, decide=absurd_nb)
    from hedgelab.engine.hook_errors import HookError
    with pytest.raises(HookError, match=r"intent\[SOL\]\." + fragment.replace("+", r"\+").replace(".", r"\.")):
        simulate_basket({"ETH": eth, "SOL": sol}, spec, venue=VENUE, costs=Costs.zero())


def test_a_one_coin_basket_with_rolling_puts_equals_the_single_coin_kernel():
    """Spot held and a 30-day put rolled at each expiry, through both kernels on the embedded BTC bars (IV
    from the data): equity, option PnL and events agree bit for bit."""
    from hedgelab.data import align, load
    market = align(load("crisis-2025"), "2025-09-01", "2025-11-30")

    @njit(HOOK_SIG)
    def single_nb(i, state, params, features, intent):
        if state[State.SPOT_QTY] == 0.0:
            intent[Intent.TARGET_SPOT] = 0.5
        if state[State.OPEN_LEGS] == 0.0:
            intent[Intent.OPT1_ACTION] = 1.0
            intent[Intent.OPT1_TYPE] = -1.0
            intent[Intent.OPT1_STRIKE] = 0.9
            intent[Intent.OPT1_TENOR_DAYS] = 30.0
            intent[Intent.OPT1_QTY] = 0.5

    @njit(BASKET_HOOK_SIG)
    def basket_nb(i, coins, account, params, features, intent):
        if coins[0, Coin.SPOT_QTY] == 0.0:
            intent[0, CoinIntent.TARGET_SPOT] = 0.5
        if account[Account.OPEN_LEGS] == 0.0:
            intent[0, CoinIntent.OPT_ACTION] = 1.0
            intent[0, CoinIntent.OPT_TYPE] = -1.0
            intent[0, CoinIntent.OPT_STRIKE] = 0.9
            intent[0, CoinIntent.OPT_TENOR_DAYS] = 30.0
            intent[0, CoinIntent.OPT_QTY] = 0.5

    n = len(market.close)
    spec = StrategySpec(single_nb, np.zeros((1, 1)), np.zeros((n, 1)), np.ones(n, dtype=bool), ("x",), ("r",))
    one = simulate(market, spec, venue="binance", margin_mode="cross")
    many = simulate_basket({"BTC": market}, spec._replace(hook=basket_nb), venue="binance", margin_mode="cross")
    assert (one.events["kind"] == "option_settlement").sum() >= 2   # the puts were rolled through expiries
    np.testing.assert_array_equal(one.equity.iloc[:, 0].to_numpy(), many.equity.iloc[:, 0].to_numpy())
    assert one.summary["option_pnl"].iloc[0] == many.summary["option_pnl"].iloc[0]
    cols = ["kind", "qty", "price", "amount", "option_type", "strike"]
    ev1 = one.events[cols].astype({"kind": str}).reset_index(drop=True)
    ev2 = many.events[cols].astype({"kind": str}).reset_index(drop=True)
    assert ev1.equals(ev2)


def test_options_on_a_second_coin_while_the_book_is_open_are_cut():
    eth, btc = _bars(np.full(30, 4000.0)), _bars(np.full(30, 100_000.0))

    @njit(BASKET_HOOK_SIG)
    def two_books_nb(i, coins, account, params, features, intent):
        if i == 0:
            for k in range(2):
                intent[k, CoinIntent.OPT_ACTION] = 1.0
                intent[k, CoinIntent.OPT_TYPE] = -1.0
                intent[k, CoinIntent.OPT_STRIKE] = 0.9
                intent[k, CoinIntent.OPT_TENOR_DAYS] = 30.0
                intent[k, CoinIntent.OPT_QTY] = 1.0

    res = simulate_basket({"BTC": btc, "ETH": eth}, _spec([[0.0]], 30, decide=two_books_nb), venue="binance")
    fills = res.events[res.events["kind"] == "option_fill"]
    cut = res.events[res.events["kind"] == "order_trimmed"]
    assert list(fills["symbol"].astype(str)) == ["BTC"]
    assert list(cut["symbol"].astype(str)) == ["ETH"] and list(cut["reason"]) == ["listed_contract"]


@njit(BASKET_HOOK_SIG, cache=True)
def long_alts_short_first_nb(i, coins, account, params, features, intent):
    """Rows 1.. long at params[1]x of the equity each; row 0 short params[0] x that notional."""
    n = coins.shape[0]
    notional = params[1] * account[Account.EQUITY]
    for k in range(1, n):
        intent[k, CoinIntent.LEVERAGE] = params[1]
        intent[k, CoinIntent.TARGET_PERP] = notional / (n - 1) / coins[k, Coin.MARK]
    intent[0, CoinIntent.LEVERAGE] = params[1]
    intent[0, CoinIntent.TARGET_PERP] = -params[0] * notional / coins[0, Coin.MARK]


@pytest.mark.parametrize("margin_mode", ["cross", "isolated"])
def test_a_column_gives_the_same_bits_alone_in_any_group_of_columns_and_threads(margin_mode, monkeypatch):
    # The kernel runs groups of columns through time blocks of bars (nb/basket.py); how the columns are
    # grouped (from the thread count) must change nothing: a column alone, or 20 columns in groups of
    # 16 + 4 (1 thread) or of 1 (20 threads), over 6,000 bars (several blocks), hourly decisions, funding.
    from hedgelab.engine import basket as wrapper
    from hedgelab.engine.synthetic import random_walk_market
    n = 6_000
    markets = {c: random_walk_market(n, seed=s, start_price=p, vol=0.004, funding_every=480, start="2025-10-01")
               for c, s, p in (("BTC", 1, 100_000.0), ("ETH", 2, 4_000.0), ("SOL", 3, 200.0))}
    rows = np.column_stack([np.linspace(0.0, 1.5, 20), np.linspace(2.0, 40.0, 20)])
    rebalance = np.zeros(n, dtype=bool)
    rebalance[::60] = True

    def run(r, threads, summary_only):
        spec = StrategySpec(long_alts_short_first_nb, np.ascontiguousarray(r), np.zeros((n, 1)), rebalance,
                            ("ratio", "leverage"), tuple(f"run{j}" for j in range(len(r))))
        monkeypatch.setattr(wrapper.numba, "get_num_threads", lambda: threads)
        return simulate_basket(markets, spec, venue="binance", margin_mode=margin_mode, summary_only=summary_only)

    one_thread, many = run(rows, 1, False), run(rows, 20, True)
    assert one_thread.summary["liquidations"].sum() > 0 and one_thread.summary["liquidations"].min() == 0
    numbers = one_thread.summary.select_dtypes("number")
    assert numbers.to_numpy().tobytes() == many.summary.select_dtypes("number").to_numpy().tobytes()
    assert one_thread.records.tobytes() == many.records.tobytes()
    for j in (0, 7, 19):
        alone = run(rows[j:j + 1], 1, False)
        assert alone.summary.select_dtypes("number").to_numpy().tobytes() == numbers.iloc[j:j + 1].to_numpy().tobytes()
        assert alone.equity.iloc[:, 0].to_numpy().tobytes() == one_thread.equity.iloc[:, j].to_numpy().tobytes()
        mine = one_thread.records[one_thread.records["column"] == j]
        for field in ("bar", "kind", "instrument", "qty", "price", "amount"):
            assert alone.records[field].tobytes() == mine[field].tobytes()
