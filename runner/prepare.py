"""``prepare_run``: what run, compare, sweep and stress do before any simulation, in one place.

Find the strategies (built-ins, entry points, the user's folder), check every parameter set, load
and align the data once, read the costs and check the venue for the dataset's symbol. The user's
mistakes stop everything here, before any run or file (a ``UserError``); a plugin that cannot load
or whose own check crashes fails only its own runs (``Job.problem``).
"""
from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from hedgelab.core.errors import UserError, one_line
from hedgelab.runner.options import RunOptions

if TYPE_CHECKING:  # for the annotations only: the runtime imports stay lazy (CLI start-up time)
    from hedgelab.data import Dataset, MarketArrays
    from hedgelab.engine.costs import Costs
    from hedgelab.engine.venues import Venue
    from hedgelab.strategies import Strategy


@dataclass(frozen=True)
class Job:
    """One strategy to run over its parameter sets (validated: typed, defaults filled in)."""
    name: str
    cls: type[Strategy] | None      # None: the plugin could not be loaded (``problem`` says why)
    param_sets: tuple[dict[str, Any], ...]
    problem: str | None = None      # why none of its runs can happen
    margin_mode: str = "isolated"   # the --margin-mode flag, else the strategy's own, else isolated


@dataclass
class Prepared:
    opts: RunOptions
    jobs: list[Job]
    dataset: Dataset
    market: MarketArrays            # the dataset aligned, bars of [start, end]
    symbol: str                     # the dataset's symbol: picks the venue's tier table
    costs: Costs | None             # None for the venue's own fees
    warnings: list[str] = field(default_factory=list)
    markets: dict[str, MarketArrays] = field(default_factory=dict)   # a basket run's coins, aligned alike
    adl: str = "off"                # what the venue's ADL events do (off, worst, share; adl_mode)
    adl_notes: list[str] = field(default_factory=list)   # why ADL is off, or its events and rule (assumptions)

    @property
    def modes(self) -> dict[str, str]:
        """strategy -> the margin mode it runs in."""
        return {job.name: job.margin_mode for job in self.jobs if job.cls is not None}

    @property
    def uses_options(self) -> bool:
        return any(getattr(job.cls, "uses_options", False) for job in self.jobs)


def prepare_run(opts: RunOptions, jobs: list[tuple[str, list[dict[str, Any]]]], *, validate: bool = True) -> Prepared:
    """``jobs`` = [(strategy name, [param dict, ...]), ...] -> a ``Prepared`` run.

    ``validate=False`` keeps the parameter sets as given (the caller validates them per chunk)."""
    from hedgelab.engine.warmup import start_kernel_compile
    start_kernel_compile(quiet=opts.quiet)   # a cold cache compiles while plugins and data load
    registry, load_failures = discover_all(opts.strategies_dir)
    asked = {name for name, _ in jobs}
    warnings = [f"{name} not loaded: {reason}" for name, reason in load_failures.items() if name not in asked]
    classes = [resolve_class(name, registry, load_failures, opts.strategies_dir) for name, _ in jobs]
    check_kinds(opts, [(name, cls) for (name, _), cls in zip(jobs, classes)])
    ready = [_job(name, cls, sets, load_failures, opts, validate) for (name, sets), cls in zip(jobs, classes)]
    dataset, market = load_market(opts)
    clipped = clipped_window(opts, dataset)
    if clipped:
        warnings.append(clipped)
    symbol = str(dataset.manifest.get("symbol") or "BTC")
    costs = run_costs(opts)   # a bad costs file or table stops everything before any run
    modes = {job.margin_mode for job in ready if job.cls is not None}
    markets = basket_markets(opts, dataset, [job.cls for job in ready if job.cls is not None], modes)
    if not markets:
        check_venue(opts.venue, market, modes, symbol)
    adl, adl_notes, market = adl_mode(opts, dataset, market, symbol, bool(markets))
    return Prepared(opts, ready, dataset, market, symbol, costs, warnings, markets, adl, adl_notes)


def adl_mode(opts: RunOptions, dataset: Dataset, market: MarketArrays, symbol: str,
             basket: bool) -> tuple[str, list[str], MarketArrays]:
    """(the ADL mode of the run, what the assumptions say about it, the market with the venue's events
    of the run's coin). ``--adl`` unset: share when the data carries events for the venue and coin, else
    off. A venue without a queue (Deribit) or a basket run keeps it off and says why."""
    if opts.adl == "off":
        return "off", ["ADL off (--adl off): hedges are closed only by their strategy, a stop or their liquidation"], market
    if basket:
        return "off", ["ADL is not modelled in basket runs yet (one-coin runs only)"], market
    from hedgelab.data.adl import adl_arrays, events_for, venues_with_events
    from hedgelab.data.dataset import base_coin
    venue = venue_at_start(opts.venue, market, symbol)
    if not venue.adl_rule:
        return "off", [f"ADL: {venue.adl_note or venue.id + ' has no ADL queue'}"], market
    coin = base_coin(symbol)
    first, last = int(market.time_ns[0]), int(market.time_ns[-1]) + market.bar_seconds * 10**9
    inside = [e for e in events_for(dataset.manifest, venue.id, coin) if first <= pd.Timestamp(e["start"]).value < last]
    if not inside:
        others = [v for v in venues_with_events(dataset.manifest) if v != venue.id]
        where = f" (it has events for {', '.join(others)})" if others else ""
        note = (f"ADL: the data carries no ADL events for {venue.id} {coin} in this window{where}, so none "
                f"happen (--adl {opts.adl or 'share'} has nothing to apply)")
        return ("off" if opts.adl is None else opts.adl), [note], market
    mode = opts.adl or "share"
    side, share, price = adl_arrays(inside, market.time_ns, market.bar_seconds)
    said = "; ".join(f"{e['start'][:16]} UTC {e['side']}s closed, {e['notional_usd'] / 1e6:,.1f}M USD of "
                     f"{e['open_interest_usd'] / 1e6:,.0f}M open interest ({e['notional_usd'] / e['open_interest_usd']:.1%}; "
                     f"open interest: {e.get('open_interest_source', 'given')})" for e in inside)
    rule = ("a profitable position on the closed side is closed in full" if mode == "worst" else
            "a profitable position on the closed side loses min(1, 2 x pct x share) of its size, pct = score / "
            f"(score + {venue.adl_reference_score:.4g}) its place in the queue by the venue's ADL score, share = the "
            "event's notional / the side's open interest (a position at the reference score loses exactly share)")
    notes = [f"ADL --adl {mode} on {venue.id} {coin}: {said}",
             f"ADL rule ({mode}): {rule}; price: {venue.adl_price or 'the venue rule'}, taken at bar level as the "
             "bar's mark extreme in the closed position's favour (the move that liquidated the other side); "
             "positions at a loss are never closed; the hook is called at the ADL bar's close."]
    return mode, notes, market._replace(adl_side=side, adl_share=share, adl_price=price)


def check_kinds(opts: RunOptions, classes: Sequence[tuple[str, type[Strategy] | None]]) -> None:
    """Basket strategies run with a --basket, one-coin strategies without; one run is of one kind."""
    basket = sorted(n for n, c in classes if c is not None and getattr(c, "kind", "single") == "basket")
    single = sorted(n for n, c in classes if c is not None and getattr(c, "kind", "single") != "basket")
    if basket and single:
        raise UserError(f"{', '.join(basket)} hold a basket of coins and {', '.join(single)} one coin: compare "
                        f"them in separate runs (basket strategies with --basket COIN=WEIGHT,...)")
    if basket and opts.basket is None:
        raise UserError(f"{basket[0]} is a basket strategy: give its coins and weights, e.g. "
                        f"--basket BTC=0.3,ETH=0.4,SOL=0.3 (basket= in the API, 'basket' in a config)")
    if single and opts.basket is not None:
        raise UserError(f"--basket is for basket strategies (basket-hold, basket-btc-short, basket-own-perps, "
                        f"or your own); {single[0]} runs on one coin")


def basket_markets(opts: RunOptions, dataset: Dataset, classes: Sequence[type[Strategy]],
                   modes: Collection[str]) -> dict[str, MarketArrays]:
    """Every coin a basket run's accounts hold (the basket's, then hedge coins), aligned on one grid, each
    checked against the venue's tier tables; {} for a one-coin run."""
    if opts.basket is None:
        return {}
    from hedgelab.data import align_coins
    coins = list(opts.basket)
    for cls in classes:
        coins += [c for c in getattr(cls, "coins")(opts.basket) if c not in coins]
    markets = align_coins(dataset, coins, opts.start, opts.end)
    first = next(iter(markets.values()))
    if len(first.time_ns) < 2:
        raise UserError(f"data {opts.data!r}: fewer than 2 bars between start and end (--start/--end)")
    for coin, market in markets.items():
        check_venue(opts.venue, market, modes, coin)
        check_funding(opts, coin, market)
    return markets


def check_funding(opts: RunOptions, coin: str, market: MarketArrays) -> None:
    """A basket coin whose data has no funding settlement in a window that spans a day would trade a perp
    that never pays or receives funding: the user's data is incomplete, said in one line."""
    import numpy as np
    span_h = (int(market.time_ns[-1]) - int(market.time_ns[0])) / 3.6e12 + market.bar_seconds / 3600
    if span_h >= 24 and not np.isfinite(np.asarray(market.funding_rate, dtype=float)).any():
        first = pd.Timestamp(int(market.time_ns[0]), tz="UTC")
        raise UserError(f"data {opts.data!r}: {coin} has no funding settlement from {first:%Y-%m-%d %H:%M} UTC over "
                        f"{span_h:,.0f} h, so its perp would pay none; import its funding (hedgelab data import ... "
                        f"--funding {coin}=FILE) or leave {coin} out of --basket")


def _job(name: str, cls: type[Strategy] | None, param_sets: Sequence[dict[str, Any]], load_failures: Mapping[str, str],
         opts: RunOptions, validate: bool) -> Job:
    if cls is None:
        return Job(name, None, tuple(param_sets), f"could not be loaded: {load_failures[name]}")
    mode = margin_mode(opts, cls)
    try:
        sets = tuple(cls.validate(p) for p in param_sets) if validate else tuple(param_sets)
    except UserError:
        raise   # the user's parameter mistakes stop everything before any run
    except Exception as exc:  # noqa: BLE001 -- a plugin's own check() crashing is the plugin's failure
        return Job(name, cls, tuple(param_sets), f"parameter check crashed: {one_line(exc)}", mode)
    return Job(name, cls, sets, None, mode)


def builtin_names(strategies_dir: str | Path | None = None, *, basket: bool = False) -> list[str]:
    """Every discovered strategy name of one kind (built-ins, entry points, the user folder): basket
    strategies when ``basket``, else one-coin strategies and the plugins that failed to load."""
    registry, failures = discover_all(strategies_dir)
    names = [n for n, cls in registry.items() if (getattr(cls, "kind", "single") == "basket") == basket]
    return names + ([] if basket else [name for name in failures if name not in registry])


def discover_all(strategies_dir: str | Path | None = None) -> tuple[dict[str, type[Strategy]], dict[str, str]]:
    """(name -> Strategy class, name -> why it failed to load)."""
    from hedgelab.strategies import discover
    found = discover(strategies_dir)
    failures: dict[str, str] = {}
    for f in found.failures:
        # a plugin whose name is taken is listed under its source, so it is not silently dropped
        key = f.name if f.name not in found.strategies else f"{f.name} ({f.source})"
        failures.setdefault(key, f"{f.reason} (from {f.source})")
    return dict(found.strategies), failures


def resolve_class(name: str, registry: Mapping[str, type[Strategy]], load_failures: Mapping[str, str],
                  strategies_dir: str | Path | None = None) -> type[Strategy] | None:
    """The Strategy class, None for a plugin that failed to load, UserError for an unknown name."""
    if name in registry:
        return registry[name]
    if name in load_failures:
        return None
    from hedgelab.strategies import get_strategy
    return get_strategy(name, strategies_dir)  # raises UserError with "did you mean ...?"


def load_market(opts: RunOptions) -> tuple[Dataset, MarketArrays]:
    """(dataset, its aligned market between start and end)."""
    from hedgelab.data import align, load
    dataset = load(opts.data, opts.store)
    if opts.symbol is not None:   # one coin of a dataset of several: it runs as that coin's own dataset
        if opts.basket is not None:
            raise UserError("--symbol picks the coin of a one-coin run; a basket run names its coins in --basket")
        dataset = dataset.coin(opts.symbol)
    market = align(dataset, opts.start, opts.end)
    if len(market.time_ns) < 2:
        raise UserError(f"data {opts.data!r}: fewer than 2 bars between start and end (--start/--end)")
    return dataset, market


def venue_at_start(venue: str, market: MarketArrays, symbol: str) -> Venue:
    """The venue's rules with the symbol's tier table in force at the market's first bar."""
    from hedgelab.engine import load_venue
    return load_venue(venue, at=pd.Timestamp(int(market.time_ns[0]), tz="UTC").date(), symbol=symbol)


def check_venue(venue: str, market: MarketArrays, modes: Collection[str] = (), symbol: str = "BTC") -> None:
    """An unknown or unusable venue (or a symbol it has no tiers for) is the user's mistake (exit 2)."""
    v = venue_at_start(venue, market, symbol)
    if getattr(v, "inverse", False) and "cross" in modes:
        raise UserError(f"venue {v.id!r} is an inverse perp, which runs in isolated margin only "
                        f"(margin_mode='isolated', --margin-mode isolated)")


def run_costs(opts: RunOptions) -> Costs | None:
    """--no-costs, else --costs FILE or the config's [costs] table, else None (the engine's defaults).

    A costs file or table given with --no-costs is still read and checked: a mistake in it is said now,
    not when --no-costs is dropped."""
    from hedgelab.engine.costs import Costs, read_costs
    costs = read_costs(opts.costs) if opts.costs is not None else None
    return Costs.zero() if opts.no_costs else costs


def clipped_window(opts: RunOptions, dataset: Dataset) -> str | None:
    """A warning line when --start/--end reach beyond the data (the run is clipped to its bars)."""
    from hedgelab.data.align import clipped_window as clipped
    return clipped(dataset, opts.start, opts.end)


def margin_mode(opts: RunOptions, cls: type[Strategy]) -> str:
    """The --margin-mode flag, else the mode the strategy declares, else isolated."""
    return opts.margin_mode or getattr(cls, "margin_mode", None) or "isolated"
