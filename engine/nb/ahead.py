"""The kernel's direct callees, with the signatures the kernel calls them with, in two groups that a
fresh install compiles in two processes at once (``engine/warmup.py``).

numba compiles a callee while typing its caller, one function after another in one process. The
kernel's callees form two subtrees that share almost nothing: the option legs (calendar, surface,
Black-76, option rules; the hook's state) and the perp account (fills, margin, liquidation,
funding, quiet bars; the hook's intent). Compiled ahead, each into numba's disk cache, the kernel's
own compile loads them from there instead. Measured one after the other, each in a new process, on
the 2-core machine (2026-12-05): options 6.5-7.1 s, perp 4.4-5.2 s, then the kernel 8.5-8.8 s; the
two groups run at once.

A signature here that drifts from the kernel's call costs only time (the kernel compiles that
callee itself, as before); ``tests/engine/test_ahead.py`` checks each one is a signature the kernel
compiled.
"""
from numba import float64, int64, types

from hedgelab.engine.nb.option_config import OptCfg
from hedgelab.engine.nb.records import EVENT_RECORD

ACC = float64[::1]               # the column's account
CFG = float64[::1]               # venue and run settings, Cfg.*
TIERS = float64[:, ::1]          # the margin tier table in force
LEGS = float64[:, ::1]           # the option book, Leg.*
OCFG = types.UniTuple(float64, OptCfg.N)
EVENTS = EVENT_RECORD[:, ::1]    # every column's events; a column writes its own row
MARKET = float64[:, ::1]         # one path's market, Mkt.* x bar
VEC = float64[::1]               # state, intent, close times
I, F = int64, float64
AT = (I, I, I)                   # j (the column's row of events), its global column id, bar


def _options():
    from hedgelab.engine.nb import hook_state, legs, option_leg
    return [
        (legs.book_nb, (LEGS, OCFG, F, F, F, F)),
        (legs.book_im_nb, (LEGS, OCFG, F, F, F, F)),
        (legs.next_expiry_nb, (LEGS,)),
        (legs.option_order_nb, (ACC, LEGS, OCFG, EVENTS, *AT) + (F,) * 12),
        (legs.settle_expired_nb, (ACC, LEGS, OCFG, EVENTS, *AT, F, int64[::1], I, float64[::1], float64[::1])),
        (legs.liquidate_shorts_nb, (ACC, LEGS, OCFG, EVENTS, *AT, F, F, F, F)),
        (option_leg.option_config_tuple_nb, (float64[::1],)),
        (hook_state.fill_state_nb, (VEC, ACC, CFG, TIERS, MARKET, I, VEC, F, F, F, F, I, F, LEGS, OCFG)),
    ]


def _perp():
    from hedgelab.engine.nb import account, adl, funding, intent, liquidation, quiet
    return [
        (adl.apply_adl_nb, (ACC, CFG, TIERS, EVENTS, *AT, MARKET)),
        (quiet.calm_until_nb, (float64[:, :, ::1], types.boolean[::1], int64[::1])),
        (account.add_event_nb, (ACC, EVENTS, *AT, I, I, F, F, F)),
        (account.refresh_liq_nb, (ACC, CFG, TIERS)),
        (liquidation.check_triggers_nb, (ACC, CFG, TIERS, EVENTS, *AT, F, F, F, F, F)),
        (funding.funding_payment_nb, (F, F, F)),
        (intent.intent_problem_nb, (VEC,)),
        (intent.option_forms_problem_nb, (VEC, LEGS, OCFG, F, F)),
        (intent.apply_intent_nb, (ACC, CFG, TIERS, EVENTS, *AT, MARKET, VEC, F)),
        (intent.apply_late_intent_nb, (ACC, CFG, TIERS, EVENTS, *AT, MARKET, VEC)),
    ]


GROUPS = {"options": _options, "perp": _perp}


def callees(group: str):
    """[(dispatcher, argument types), ...] of one group."""
    return GROUPS[group]()


def compile_group(group: str) -> None:
    """Compile one group into numba's disk cache (each callee's ``cache=True`` saves it)."""
    for dispatcher, args in callees(group):
        dispatcher.compile(args)
