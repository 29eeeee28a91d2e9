"""Event callbacks (strategies/callbacks.py, engine/event_calls.py): each callback is called at exactly
the events ``res.events`` lists, reads the account the kernel records at that bar, and what it returns
is executed at the close the rule names (the event's bar; the next bar for a fill)."""
import numpy as np
import pandas as pd
import pytest

from hedgelab.data import align, load
from hedgelab.data.adl import adl_arrays, events_for
from hedgelab.engine import simulate
from hedgelab.engine.costs import Costs
from hedgelab.engine.hook_errors import HookError
from hedgelab.strategies import Param, Strategy
from hedgelab.strategies.builtin.protective_put import ProtectivePut
from hedgelab.strategies.testing import synthetic_market

NO_COSTS = Costs(perp_fee=0.0, spot_fee=0.0, half_spread=0.0, impact=0.0)
FIELDS = ["time", "bar", "instrument", "kind", "qty", "price", "amount"]


def _rows(events, kinds):
    """The events of ``kinds`` as plain tuples of FIELDS (what a callback must have been called with)."""
    part = events[events["kind"].isin(kinds)]
    return [tuple(r) for r in part[FIELDS].itertuples(index=False)]


def _same_records(a, b):
    """Bitwise-equal event records, field by field (NaN strikes equal; padding bytes ignored)."""
    return len(a) == len(b) and all(np.array_equal(np.ascontiguousarray(a[f]).view(np.uint8),
                                                   np.ascontiguousarray(b[f]).view(np.uint8))
                                    for f in a.dtype.names)


def _called(log):
    return [tuple(getattr(e, f) for f in FIELDS) for e, *_ in log]


# ---- on_adl: the hedge the venue closed is re-opened at the ADL bar's close --------------------------------
class Hedged(Strategy):
    """Spot long, hedged by a short perp opened once."""
    name = "hedged"
    hedge = Param(0.5, low=0.0, high=1.0)

    def targets(self, market, params):
        out = np.full((len(market.close), 3), np.nan)
        out[0] = 0.5, -params["hedge"], 3.0
        return out


class Rehedged(Hedged):
    """Hedged, and re-opens the hedge when the venue's ADL closes it."""
    name = "rehedged"

    def on_adl(self, ctx, event):
        self.log.append((event, ctx.equity, ctx.perp_qty, ctx.mark, ctx.takes_effect))
        return {"perp": -ctx.params["hedge"]}


@pytest.fixture(scope="module")
def crisis():
    ds = load("crisis-2025")
    m = align(ds, "2025-10-09", "2025-10-12")
    side, share, price = adl_arrays(events_for(ds.manifest, "hyperliquid", "BTC"), m.time_ns, m.bar_seconds)
    return m._replace(adl_side=side, adl_share=share, adl_price=price)


def test_on_adl_reopens_the_hedge_at_the_adl_bars_close(crisis):
    engine = dict(venue="hyperliquid", adl="worst", at="2025-10-10")
    plain = simulate(crisis, Hedged().spec(crisis, [{}]), **engine)
    strategy = Rehedged()
    strategy.log = []
    res = simulate(crisis, strategy.spec(crisis, [{}]), **engine)
    # one ADL in the data (2025-10-10 21:00, shorts closed): called once, with that event's row
    adl = _rows(res.events, ["adl"])
    assert len(adl) == 1 and adl[0][0] == pd.Timestamp("2025-10-10 21:00", tz="UTC")
    assert _called(strategy.log) == adl
    (event, equity, perp, mark, effect), = strategy.log
    k = event.bar
    # the account it read is the run without the callback at that bar ('worst': the short closed in full)
    assert perp == 0.0 == plain.perp_qty.iloc[k, 0] and plain.perp_qty.iloc[-1, 0] == 0.0
    assert equity == plain.equity.iloc[k, 0]
    # re-opened at that close: perp notional = -hedge x equity at the mark (targets' rule), then held
    assert effect == res.time[k] + pd.Timedelta(hours=1)
    assert res.perp_qty.iloc[k, 0] == pytest.approx(-0.5 * equity / mark, rel=1e-12)
    assert (res.perp_qty.iloc[k:, 0] == res.perp_qty.iloc[k, 0]).all()
    # nothing before the ADL bar's decision changed
    assert res.equity.iloc[:k, 0].equals(plain.equity.iloc[:k, 0])


# ---- on_liquidation: re-open at half the leverage (isolated) ---------------------------------------------
class Levered(Strategy):
    """A 10x long opened once; after a liquidation re-opened at ``factor`` times the leverage."""
    name = "levered"
    leverage = Param(10.0, low=1.0, high=50.0)
    factor = Param(0.5, low=0.1, high=1.0)

    def targets(self, market, params):
        out = np.full((len(market.close), 3), np.nan)
        out[0] = 0.0, 1.0, params["leverage"]
        return out

    def on_liquidation(self, ctx, event):
        return {"perp": 1.0, "leverage": ctx.params["leverage"] * ctx.params["factor"]}


def test_on_liquidation_reopens_at_half_the_leverage():
    # 100 -> 85 (-15 %) liquidates a 10x long (~-9.6 %); 85 -> 75 (-11.8 %) would liquidate 10x again,
    # not 5x (~-19.6 %)
    m = synthetic_market([100.0] * 3 + [85.0] * 3 + [75.0] * 3, funding_every=0)
    res = simulate(m, Levered().spec(m, [{}, {"factor": 1.0}]), costs=NO_COSTS, margin_mode="isolated")
    assert list(res.summary["liquidations"]) == [1, 2]
    first = res.events.query("column == 0")
    liq, = _rows(first, ["liquidation"])
    assert liq[1] == 3   # the bar of 85
    # flat after it, the equity is capital plus every cash flow so far; re-opened 1 x that / 85 at bar 3's close
    equity = 100_000.0 + first.loc[first["bar"] <= 3, "amount"].sum()   # no costs: bar 3's orders pay nothing
    fill = first[(first["kind"] == "fill") & (first["bar"] == 3)]
    assert fill["time"].iloc[0] == m_close(m, 3)
    assert fill["qty"].iloc[0] == pytest.approx(equity / 85.0, rel=1e-12)
    assert res.perp_qty.iloc[3:, 0].eq(fill["qty"].iloc[0]).all()


def m_close(m, bar):
    return pd.Timestamp(int(m.time_ns[bar]) + m.bar_seconds * 10**9, tz="UTC")


# ---- on_fill: called at every fill; its targets go to the next bar's close --------------------------------
class Stepper(Strategy):
    """Spot and perp targets changed at a few bars."""
    name = "stepper"

    def targets(self, market, params):
        out = np.full((len(market.close), 3), np.nan)
        out[0] = 0.5, -0.2, 2.0
        out[3] = 0.6, np.nan, np.nan
        out[5] = np.nan, -0.4, np.nan
        return out


class FillLog(Stepper):
    """Stepper, logging its fills."""
    name = "fill-log"

    def on_fill(self, ctx, event):
        self.log.append((event, ctx.spot_qty, ctx.perp_qty, ctx.equity))


class FillAnswer(Stepper):
    """Stepper; after its first fill it asks for a perp of -0.3."""
    name = "fill-answer"

    def on_fill(self, ctx, event):
        if not ctx.memory:
            ctx.memory["answered"] = event.bar
            return {"perp": -0.3}
        return None


def test_on_fill_is_called_at_every_fill_with_the_account_after_it():
    m = synthetic_market([100.0, 101.0, 99.0, 98.0, 102.0, 103.0, 104.0, 100.0])
    plain = simulate(m, Stepper().spec(m, [{}]))
    logger = FillLog()
    logger.log = []
    res = simulate(m, logger.spec(m, [{}]))
    fills = _rows(res.events, ["fill", "option_fill"])
    assert _called(logger.log) == fills and len(fills) == 4   # spot + perp at bar 0, spot at 3, perp at 5
    for event, spot, perp, equity in logger.log:   # the account as the kernel recorded that bar's close
        assert (spot, perp, equity) == (res.spot_qty.iloc[event.bar, 0], res.perp_qty.iloc[event.bar, 0],
                                        res.equity.iloc[event.bar, 0])
    # a callback that returns nothing changes nothing: bitwise the strategy without it
    assert np.array_equal(res.equity.to_numpy(), plain.equity.to_numpy()) and _same_records(res.records, plain.records)


def test_what_on_fill_returns_is_executed_at_the_next_bars_close():
    m = synthetic_market([100.0, 101.0, 99.0, 98.0, 102.0, 103.0, 104.0, 100.0])
    res = simulate(m, FillAnswer().spec(m, [{}]), costs=NO_COSTS)
    perp = res.events.query("kind == 'fill' and instrument == 'perp'")
    assert list(perp["bar"]) == [0, 1, 5]
    assert perp["time"].iloc[1] == m_close(m, 1)
    # no costs: the equity after a close's orders is the equity they were sized on (perp notional / equity)
    assert res.perp_qty.iloc[1, 0] == pytest.approx(-0.3 * res.equity.iloc[1, 0] / 101.0, rel=1e-12)
    assert res.perp_qty.iloc[5, 0] == pytest.approx(-0.4 * res.equity.iloc[5, 0] / 103.0, rel=1e-12)


def test_columns_answer_alone_and_chunks_agree():
    m = synthetic_market([100.0] * 3 + [85.0] * 3 + [75.0] * 3, funding_every=0)
    sets = [{"factor": 1.0}, {}, {"leverage": 2.0}]
    whole = simulate(m, Levered().spec(m, sets))
    chunked = simulate(m, Levered().spec(m, sets), chunk_size=1)
    assert whole.equity.equals(chunked.equity) and _same_records(whole.records, chunked.records)
    summary = simulate(m, Levered().spec(m, sets), summary_only=True).summary
    assert summary.equals(whole.summary) and list(summary["liquidations"]) == [2, 1, 0]
    for j, values in enumerate(sets):
        alone = simulate(m, Levered().spec(m, [values]))
        assert np.array_equal(whole.equity.iloc[:, j].to_numpy(), alone.equity.iloc[:, 0].to_numpy())


# ---- on_expiry on a decide_nb strategy: observing ----------------------------------------------------------
class PutLog(ProtectivePut):
    """protective-put, logging its expiries."""
    name = "put-log"

    def on_expiry(self, ctx, event):
        self.log.append((event,))


def test_on_expiry_observes_a_hook_strategys_settlements():
    ds = load("crisis-2025")
    m = align(ds, "2025-09-01", "2025-11-30")
    logger = PutLog()
    logger.log = []
    res = simulate(m, logger.spec(m, [{"tenor_days": 14.0, "roll_days": 0.0}]))
    settled = _rows(res.events, ["option_settlement"])
    assert settled and _called(logger.log) == settled


# ---- mistakes ----------------------------------------------------------------------------------------------
class Broken(Levered):
    """Levered, whose on_liquidation divides by zero."""
    name = "broken"

    def on_liquidation(self, ctx, event):
        return {"perp": 1.0 / ctx.perp_qty}


class BadKey(Levered):
    """Levered, returning a misspelt target."""
    name = "bad-key"

    def on_liquidation(self, ctx, event):
        return {"prep": 1.0}


def test_an_exception_in_a_callback_names_strategy_callback_and_bar():
    m = synthetic_market([100.0] * 3 + [85.0] * 3, funding_every=0)
    with pytest.raises(HookError) as caught:
        simulate(m, Broken().spec(m, [{}]))
    message = str(caught.value)
    assert "broken (column 0) at bar 3 (opened 2025-" in message
    assert "broken.on_liquidation, called for the liquidation perp -" in message
    assert "raised ZeroDivisionError: float division by zero" in message and "\n" not in message
    kept = simulate(m, Broken().spec(m, [{}]), column_errors="keep")
    assert kept.errors[0] == message
    with pytest.raises(ZeroDivisionError) as raw:   # debug: the exception itself, at the author's line
        simulate(m, Broken().spec(m, [{}]), debug=True)
    assert any("broken.on_liquidation" in note for note in raw.value.__notes__)


def test_a_return_that_is_not_targets_says_what_is_allowed():
    m = synthetic_market([100.0] * 3 + [85.0] * 3, funding_every=0)
    with pytest.raises(HookError, match=r"bad-key.on_liquidation, .* returned the key 'prep'; the targets a "
                                        r"callback may return are spot, perp, leverage"):
        simulate(m, BadKey().spec(m, [{}]))


def test_callbacks_the_engine_cannot_call_are_refused_at_import():
    with pytest.raises(TypeError, match="on_fill must take"):
        type("Wrong", (Stepper,), {"name": "wrong", "on_fill": lambda self, event: None})
    with pytest.raises(TypeError, match="needs targets"):
        type("Idle", (Strategy,), {"name": "idle", "on_fill": lambda self, ctx, event: None})
