"""A stress run: paths generated and simulated in chunks of path ids, then summarised.

Each chunk is ``run_chunk((plan, lo, hi))``, a module-level function, so ``hedgelab.scale.map_chunks``
can run chunks in this process or on Dask workers. Path k is drawn from ``rng_for(seed, k)`` alone,
so results do not depend on the chunking. Per path, every strategy builds its spec on that path
(features such as volatility see the stressed prices) and the engine runs all its parameter sets as
columns. A chunk returns small arrays only: per path and column the final equity, first
liquidation bar, funding, fees, option cash, max drawdown, and the equity sampled on ``stride`` bars.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hedgelab.engine.nb.records import EventKind, Instrument
from hedgelab.stress.seeds import rng_for

CURVE_POINTS = 240   # equity samples kept per path (bounded memory whatever the horizon)


@dataclass(frozen=True)
class Entry:
    """One strategy of the run with its validated parameter sets."""
    name: str
    cls: type
    param_sets: tuple
    labels: tuple
    margin_mode: str


@dataclass(frozen=True)
class Plan:
    generator: object
    window: object          # MarketArrays the paths replace
    cascade: object         # Cascade or None
    seed: int
    entries: tuple
    venue: str
    capital: float
    costs: object = None    # engine Costs (None: the venue's defaults), as the backtest's --costs
    symbol: str = "BTC"     # the dataset's symbol: picks the venue's tier table, as in the backtest
    adl: str = "off"        # ADL mode of the "with ADL" figures (off: none); the paths' events come from the cascade

    @property
    def stride(self) -> int:
        return max(1, -(-len(self.window.close) // CURVE_POINTS))


def make_path(plan: Plan, path_id: int):
    path = plan.generator.path(plan.window, rng_for(plan.seed, path_id))
    return plan.cascade.apply(path) if plan.cascade is not None else path


def simulate_entry(entry: Entry, market, venue: str, capital: float, summary_only: bool = False, costs=None,
                   symbol: str = "BTC", adl: str = "off"):
    """[(column indices, SimResult)] for one strategy on one market path (one call per feature group)."""
    from hedgelab.engine import simulate
    strategy = entry.cls()
    out = []
    for group in entry.cls.feature_groups(list(entry.param_sets)):
        spec = strategy.spec(market, [entry.param_sets[k] for k in group])
        out.append((group, simulate(market, spec, venue=venue, margin_mode=entry.margin_mode, capital=capital,
                                    summary_only=summary_only, costs=costs, symbol=symbol, adl=adl)))
    return out


def first_liquidation_bars(records, ncols: int) -> np.ndarray:
    """First bar with a perp liquidation per column (-1: none)."""
    first = np.full(ncols, -1, dtype=np.int64)
    liq = records[(records["kind"] == EventKind.LIQUIDATION) & (records["instrument"] == Instrument.PERP)]
    for col, bar in zip(liq["column"][::-1], liq["bar"][::-1]):
        first[col] = bar
    return first


def run_chunk(item):
    """(plan, lo, hi) -> {strategy: dict of arrays shaped (paths in [lo, hi), columns[, samples])}."""
    plan, lo, hi = item
    with_adl = None if plan.adl == "off" else (lambda e, market: simulate_entry(
        e, market, plan.venue, plan.capital, summary_only=True, costs=plan.costs, symbol=plan.symbol, adl=plan.adl))
    return chunk_of(plan, lo, hi, make_path, lambda e, market: simulate_entry(
        e, market, plan.venue, plan.capital, costs=plan.costs, symbol=plan.symbol), with_adl)


def sampled_bars(n: int, stride: int) -> np.ndarray:
    """The bars whose equity a path keeps: every ``stride``-th and the last."""
    take = np.arange(0, n, stride)
    return take if take[-1] == n - 1 else np.append(take, n - 1)


def chunk_of(plan, lo: int, hi: int, make, simulate, with_adl=None) -> dict:
    """Paths [lo, hi) of ``plan``: ``make(plan, k)`` is path k, ``simulate(entry, path)`` its
    [(column indices, result)]; a result has ``summary`` (final_equity, funding_pnl, fees, option_pnl
    (optional), max_drawdown), ``records`` and ``equity``. Shared by one-coin and basket plans.
    ``with_adl``: the same run with the path's ADL events applied (its final equity and first
    liquidation kept as ``final_adl`` / ``first_liq_adl``), or None."""
    take = sampled_bars(len(plan.window.close), plan.stride)
    out = {}
    for e in plan.entries:
        ncols = len(e.param_sets)
        out[e.name] = {k: np.empty((hi - lo, ncols)) for k in ("final", "funding", "fees", "option", "max_dd")}
        out[e.name]["first_liq"] = np.empty((hi - lo, ncols), dtype=np.int64)
        out[e.name]["curve"] = np.empty((hi - lo, ncols, len(take)), dtype=np.float32)
        if with_adl is not None:
            out[e.name]["final_adl"] = np.empty((hi - lo, ncols))
            out[e.name]["first_liq_adl"] = np.empty((hi - lo, ncols), dtype=np.int64)
    errors = {}
    for p in range(lo, hi):
        market = make(plan, p)
        for e in plan.entries:
            if e.name in errors:
                continue
            o = out[e.name]
            try:
                sims = simulate(e, market)
                adl_sims = with_adl(e, market) if with_adl is not None else []
            except Exception as exc:  # noqa: BLE001 -- one broken strategy must not stop the others
                from hedgelab.core.errors import one_line
                errors[e.name] = f"path {p}: {one_line(exc)}"
                continue
            for group, sim in sims:
                s = sim.summary
                g = np.asarray(group)
                o["final"][p - lo, g] = s["final_equity"].to_numpy()
                o["funding"][p - lo, g] = s["funding_pnl"].to_numpy()
                o["fees"][p - lo, g] = s["fees"].to_numpy()
                o["option"][p - lo, g] = s["option_pnl"].to_numpy() if "option_pnl" in s else 0.0
                o["max_dd"][p - lo, g] = -np.abs(s["max_drawdown"].to_numpy())
                o["first_liq"][p - lo, g] = first_liquidation_bars(sim.records, len(group))
                o["curve"][p - lo, g] = sim.equity.to_numpy()[take].T.astype(np.float32)
            for group, sim in adl_sims:
                g = np.asarray(group)
                o["final_adl"][p - lo, g] = sim.summary["final_equity"].to_numpy()
                o["first_liq_adl"][p - lo, g] = first_liquidation_bars(sim.records, len(group))
    for name, reason in errors.items():
        out[name] = {"error": reason}
    return out


def merge_chunks(parts: list) -> dict:
    """Chunk outputs (in path order) -> one dict per strategy with all paths; a strategy that failed
    on any path is {"error": first reason} (first in path order)."""
    if not parts:
        return {}
    merged = {}
    for name in parts[0]:
        failed = [p[name]["error"] for p in parts if "error" in p[name]]
        merged[name] = ({"error": failed[0]} if failed else
                        {k: np.concatenate([p[name][k] for p in parts]) for k in parts[0][name]})
    return merged


def run_paths(plan: Plan, n_paths: int, *, chunk: int | None = None, client=None, progress=False):
    """Every path in chunks of ``chunk`` ids (default: about 8 chunks, at most 50 paths each)."""
    from hedgelab.scale import map_chunks, split
    size = chunk or max(1, min(50, -(-n_paths // 8)))
    items = [(plan, lo, hi) for lo, hi in split(n_paths, size)]
    return merge_chunks(list(map_chunks(run_chunk, items, client=client, desc=f"stress ({n_paths} paths)",
                                        progress=progress)))
