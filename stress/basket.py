"""Stress paths of a basket: every coin of the account on one grid, generated together so that the
coins keep their dependence, and basket strategies run over them (the basket engine).

A joint path is ``{coin: MarketArrays}`` in the account's order, from a joint history (one
``History`` per coin, all on one grid). Per method:

- ``bootstrap``: one stationary block bootstrap of time indices per path, and every coin takes its own
  bar at the SAME index (returns, wicks, basis, funding level, IV change), so co-movement, joint
  crashes and cross-volatility clustering are those of the data. The mean block is the mean of the
  coins' Politis-White lengths.
- ``garch``: filtered historical simulation with a GJR-GARCH(1,1,1)-t fit per coin; one draw of
  residual hours per path, every coin redrawing its own standardized residual of that hour (the
  multivariate FHS of Barone-Adesi et al.: the residual vector of one date keeps the cross-correlation),
  each coin's sigma rebuilt by its own fit from the window's first bar.
- ``shock``: the same move (``--drop``, ``--kind``) at the same bar for every coin.
- ``scenario NAME``: one start bar per path for every coin. ``oct10-2025`` moves each coin by its own
  measured drop (``OCT10``): the template is BTC's (stress/scenarios.py), and after the 20:00 open
  every level relative to that open is raised to the power k = log(1 + drop) / log(1 + BTC's drop), so
  the 21:00 bar's low is the 20:00 level times (1 + drop) for that coin, and its closes follow the
  same scaled shape. (Check against the data: k scales BTC's 22:00 close of -2.7 % from the 20:00
  open to ETH -3.3 % (spot -1.2 %), SOL -7.5 % (spot -5.8 %), XRP -15.7 % (spot -13.1 %), BNB -8.1 %
  (spot -10.4 %), Binance spot 22:00 opens in TIMELINE-alts.md.) The traded and mark prices take the
  perpetual's drop; the index (spot) keeps the basis at opens and closes and its lows take the spot
  drop, so SOL's perp falls -31.1 % while its spot falls -17.8 %. The other named scenarios have BTC
  facts only: every coin follows the template as it is (a market-wide move). ``support-80k`` is a
  BTC price level and is refused for a basket.
- ``jump``: refused (the Merton fit is per coin, with no joint jump model yet).

Cascades (``--cascade``) act per coin: each coin's own wicks trigger them, through a book with the
coin's own hourly sigma and median hourly USD volume. No per-coin open interest is in the data: each
coin's book is the calibrated one in units of its own volume (OI = ``OI_USD`` x the coin's volume /
``CAL_VOLUME_USD``, the volume of the data the cascade was calibrated on), an assumption.

Path k draws from ``rng_for(seed, k)`` alone, as one-coin paths do, so any chunking gives bitwise the
same paths and results.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
import math

import numpy as np

from hedgelab.core.errors import UserError
from hedgelab.stress.bootstrap import Bootstrap, block_length
from hedgelab.stress.cascade import OI_USD, Cascade
from hedgelab.stress.garch import Garch
from hedgelab.stress.history import INDEX_FIELDS
from hedgelab.stress.paths import scaled
from hedgelab.stress.run import CURVE_POINTS, chunk_of, merge_chunks
from hedgelab.stress.scenarios import TEMPLATES, Scenario, levels_in_bars
from hedgelab.stress.seeds import rng_for
from hedgelab.stress.shock import Shock

OCT10 = "oct10-2025"
# Oct 10 2025, from the 20:00 UTC open to the low (TIMELINE-alts.md in ../shared/data/crisis-2025-alts,
# [D] figures): coin -> ((perp open, perp low), (spot open, spot low)). Perp: Binance USDⓈ-M 5m; spot:
# Binance 1h. BTC: the oct10-2025 template's own figures (Binance spot 1h, 116,661.5 -> 102,000), for
# both. DOGE: the files have no spot open at 20:00, the perp figure stands for both.
OCT10_PRICES = {
    "BTC": ((116_661.5, 102_000.0), (116_661.5, 102_000.0)),
    "ETH": ((3994.99, 3400.00), (3997.56, 3435.0)),        # perp -14.89 %, spot -14.07 %
    "SOL": ((205.16, 141.28), (205.31, 168.79)),           # perp -31.14 %, spot -17.79 %
    "XRP": ((2.6752, 1.1792), (2.6768, 1.2543)),           # perp -55.92 %, spot -53.14 %
    "DOGE": ((0.23173, 0.08385), (0.23173, 0.08385)),      # perp -63.82 %
    "BNB": ((1236.53, 823.6), (1235.58, 860.11)),          # perp -33.39 %, spot -30.39 %
}
OCT10_OPEN_HOUR = 19     # the template point whose close is the 20:00 open
OCT10_LOW_HOUR = 21      # the 21:00 bar holds every coin's low (5m: 21:15-21:25)
# median hourly USD volume of the cascade's calibration data (Binance BTCUSDT spot 1h, Sep 1 - Dec 15
# 2025, ../shared/data/crisis-2025; tests/stress/test_stress_scenarios.py replays Oct 10 on it)
CAL_VOLUME_USD = 63.07e6


def oct10_drops(coin: str) -> tuple[float, float]:
    """(perp drop, spot drop) of ``coin`` on Oct 10 2025 from the 20:00 open to the low (decimals)."""
    if coin not in OCT10_PRICES:
        raise UserError(f"scenario {OCT10}: no measured Oct 10 drop for {coin} (known: {', '.join(OCT10_PRICES)}); "
                        f"use another method for this basket")
    (po, pl), (so, sl) = OCT10_PRICES[coin]
    return pl / po - 1.0, sl / so - 1.0


def oct10_points(drop: float):
    """The oct10-2025 template for a coin that fell ``drop`` from the 20:00 open: before it BTC's points,
    after it every level relative to the 20:00 level raised to the power log(1 + drop) / log(1 + BTC's).
    BTC's own drop gives BTC's points unchanged."""
    points = TEMPLATES[OCT10][1]
    anchor = 1.0 + next(c for h, c, _ in points if h == OCT10_OPEN_HOUR)
    low = next(lo for h, _, lo in points if h == OCT10_LOW_HOUR)
    k = math.log1p(drop) / math.log((1.0 + low) / anchor)
    if k == 1.0:
        return points

    def move(level):
        return anchor * ((1.0 + level) / anchor) ** k - 1.0
    return [(h, c, lo) if h <= OCT10_OPEN_HOUR else (h, move(c), None if lo is None else move(lo))
            for h, c, lo in points]


def _first(d: dict):
    return next(iter(d.values()))


def _same_grid(histories: dict) -> None:
    sizes = {c: len(h.log_ret) for c, h in histories.items()}
    if len(set(sizes.values())) != 1:
        raise UserError(f"basket stress: the coins' histories are not on one grid ({sizes})")


@dataclass(frozen=True)
class JointBootstrap:
    parts: dict      # coin -> Bootstrap (one block length)

    @classmethod
    def fit(cls, histories: dict, block: float | None = None) -> "JointBootstrap":
        _same_grid(histories)
        mean = float(block) if block else float(np.mean([block_length(h) for h in histories.values()]))
        return cls({c: Bootstrap(h, mean) for c, h in histories.items()})

    @property
    def block(self) -> float:
        return _first(self.parts).block

    def path(self, windows: dict, rng) -> dict:
        idx = _first(self.parts).indices(len(_first(windows).close), rng)
        return {c: b.path_at(windows[c], idx) for c, b in self.parts.items()}

    def describe(self) -> str:
        return (f"stationary bootstrap, the same hours for {', '.join(self.parts)}, mean block "
                f"{self.block:.1f} bars")


@dataclass(frozen=True)
class JointGarch:
    parts: dict      # coin -> Garch

    @classmethod
    def fit(cls, histories: dict, start: int | None = None) -> "JointGarch":
        _same_grid(histories)
        return cls({c: Garch.fit(h, start) for c, h in histories.items()})

    def path(self, windows: dict, rng) -> dict:
        j = rng.integers(1, len(_first(self.parts).z), size=len(_first(windows).close))
        return {c: g.path_at(windows[c], j) for c, g in self.parts.items()}

    def describe(self) -> str:
        fits = "; ".join(f"{c} alpha {g.alpha:.3f}, gamma {g.gamma:.3f}, beta {g.beta:.3f}, nu {g.nu:.2f}"
                         for c, g in self.parts.items())
        return f"GJR-GARCH(1,1,1)-t FHS per coin, residuals of the same hours: {fits}"


@dataclass(frozen=True)
class JointShock:
    shock: Shock
    coins: tuple

    def path(self, windows: dict, rng) -> dict:
        first = windows[self.coins[0]]
        n = len(first.close)
        t0 = self.shock.at if self.shock.at is not None else int(rng.integers(0, n))
        f = self.shock.factors(n, t0, int(first.bar_seconds))
        return {c: scaled(windows[c], *f) for c in self.coins}

    def describe(self) -> str:
        s = self.shock
        when = "a random bar per path" if s.at is None else f"bar {s.at}"
        return f"{s.kind} shock {s.drop:+.1%} at {when}, every coin ({', '.join(self.coins)}) at the same bar"


@dataclass(frozen=True)
class JointScenario:
    scenario: Scenario
    points: dict     # coin -> (traded points, index low points or None: the traded ones)

    @classmethod
    def of(cls, scenario: Scenario, coins) -> "JointScenario":
        if scenario.name == "support-80k":
            raise UserError("scenario support-80k is a BTC price level; for a basket use oct10-2025 (each coin's "
                            "own Oct 10 drop) or another scenario")
        points = {}
        for c in coins:
            if scenario.name == OCT10:
                perp, spot = oct10_drops(c)
                points[c] = (oct10_points(perp), None if spot == perp else oct10_points(spot))
            else:
                points[c] = (TEMPLATES[scenario.name][1], None)
        return cls(scenario, points)

    def path(self, windows: dict, rng) -> dict:
        n = len(_first(windows).close)
        at = self.scenario.at
        t0 = at if at is not None else int(rng.integers(0, max(n // 2, 1)))
        return {c: self.coin_path(windows[c], t0, *pts) for c, pts in self.points.items()}

    def coin_path(self, window, t0: int, points, index_points):
        f = self.scenario.factors(window, t0, points)
        path = scaled(window, *f)
        if index_points is None:
            return path
        m_open, m_high, m_low, m_close = f
        _, low_l, k = levels_in_bars(index_points, int(window.bar_seconds), len(window.close) - t0)
        lows = np.flatnonzero(np.isfinite(low_l[:k]))
        m_low = m_low.copy()
        m_low[t0 + lows] = (float(window.index_open[t0]) * (1 + low_l[lows])
                            / np.asarray(window.index_low, dtype=float)[t0 + lows])
        o, h, lo, c = (np.asarray(getattr(window, name), dtype=np.float64) * m
                       for name, m in zip(INDEX_FIELDS, (m_open, m_high, m_low, m_close)))
        return path._replace(**dict(zip(INDEX_FIELDS, (o, np.maximum.reduce([h, o, c]),
                                                       np.minimum.reduce([lo, o, c]), c))))

    def describe(self) -> str:
        s = self.scenario
        if s.name != OCT10:
            return f"scenario {s.name}, every coin at the template's levels: {s.facts}"
        drops = []
        for c in self.points:
            perp, spot = oct10_drops(c)
            drops.append(f"{c} {perp:+.1%}" + ("" if spot == perp else f" (spot {spot:+.1%})"))
        return (f"scenario {OCT10} per coin, the low from the 20:00 open: {', '.join(drops)}; "
                f"BTC's shape scaled per coin. {s.facts}")


@dataclass(frozen=True)
class JointCascade:
    parts: dict      # coin -> Cascade

    @classmethod
    def fit(cls, histories: dict, fulls: dict) -> "JointCascade":
        out = {}
        for c, h in histories.items():
            base = Cascade.fit(h, fulls[c])
            out[c] = replace(base, oi_usd=OI_USD * base.volume_usd / CAL_VOLUME_USD)
        return cls(out)

    def apply(self, paths: dict) -> dict:
        return {c: self.parts[c].apply(p) for c, p in paths.items()}


def make_joint_generator(method: str, histories: dict, windows: dict, *, scenario=None, drop=-0.107, kind="wick",
                         at=None, block=None, garch_start=None, margin=0.05, walk_days=14.0):
    """A joint generator with ``path(windows, rng) -> {coin: MarketArrays}`` (coins in ``windows``' order)."""
    coins = tuple(windows)
    if tuple(histories) != coins:
        raise UserError(f"basket stress: history coins {', '.join(histories)} differ from {', '.join(coins)}")
    if method == "shock":
        return JointShock(Shock(drop=drop, at=at, kind=kind), coins)
    if method == "bootstrap":
        return JointBootstrap.fit(histories, block)
    if method == "garch":
        return JointGarch.fit(histories, garch_start)
    if method == "jump":
        raise UserError("--method jump is for one coin (its Merton fit has no joint jumps); for a basket use "
                        "bootstrap or garch (the same hours for every coin), shock or scenario")
    if method == "scenario":
        if not scenario:
            raise UserError("--method scenario needs a scenario NAME (e.g. --method scenario oct10-2025)")
        return JointScenario.of(Scenario(scenario, at=at, margin=margin, walk_days=walk_days), coins)
    from hedgelab.stress.generators import METHODS
    raise UserError(f"--method {method!r}: expected one of {', '.join(METHODS)}")


@dataclass(frozen=True)
class BasketPlan:
    """A stress run of basket strategies: the one-coin ``Plan``'s fields with one window per coin."""
    generator: object
    windows: dict           # coin -> MarketArrays the paths replace (one grid, the account's coins)
    cascade: object         # JointCascade or None
    seed: int
    entries: tuple
    venue: str
    capital: float
    costs: object = None
    basket: dict | None = None   # coin -> weight

    @property
    def window(self):
        """The first coin's window: the grid every coin shares (times, bar size)."""
        return _first(self.windows)

    @property
    def stride(self) -> int:
        return max(1, -(-len(self.window.close) // CURVE_POINTS))

    def replay(self, e) -> dict:
        """Column -> (final equity, liquidations, hedge held) of ``e`` on the unmodified windows (positions
        kept: the hedge cost follows the backtest's rule, reports/figures.py)."""
        from hedgelab.reports import figures
        from hedgelab.reports.record import basket_record
        out = {}
        for group, res in simulate_basket_entry(e, self.windows, self.basket, self.venue, self.capital,
                                                costs=self.costs):
            for j, k in enumerate(group):
                record = basket_record(res, j, e.labels[k], e.name, e.param_sets[k], self.capital)
                out[k] = (float(res.summary["final_equity"].iloc[j]), int(res.summary["liquidations"].iloc[j]),
                          figures.hedge(record))
        return out


def make_basket_path(plan: BasketPlan, path_id: int) -> dict:
    paths = plan.generator.path(plan.windows, rng_for(plan.seed, path_id))
    return plan.cascade.apply(paths) if plan.cascade is not None else paths


def simulate_basket_entry(entry, markets: dict, basket: dict, venue: str, capital: float, summary_only: bool = False,
                          costs=None):
    """[(column indices, BasketResult)] for one basket strategy on one joint path (one call per feature group)."""
    from hedgelab.engine.basket import simulate_basket
    cls = entry.cls
    account = {c: markets[c] for c in cls.coins(basket)}
    strategy = cls()
    out = []
    for group in cls.feature_groups(list(entry.param_sets), validated=True):
        spec = strategy.basket_spec(account, basket, [entry.param_sets[k] for k in group])
        out.append((group, simulate_basket(account, spec, venue=venue, margin_mode=entry.margin_mode,
                                           capital=capital, costs=costs, summary_only=summary_only)))
    return out


def run_basket_chunk(item):
    """(BasketPlan, lo, hi) -> the arrays of ``stress.run.run_chunk`` for paths [lo, hi)."""
    plan, lo, hi = item
    return chunk_of(plan, lo, hi, make_basket_path, lambda e, markets: simulate_basket_entry(
        e, markets, plan.basket, plan.venue, plan.capital, costs=plan.costs))


def run_basket_paths(plan: BasketPlan, n_paths: int, *, chunk: int | None = None, client=None, progress=False):
    """Every joint path in chunks of ``chunk`` ids (as ``stress.run.run_paths``)."""
    from hedgelab.scale import map_chunks, split
    size = chunk or max(1, min(50, -(-n_paths // 8)))
    items = [(plan, lo, hi) for lo, hi in split(n_paths, size)]
    return merge_chunks(list(map_chunks(run_basket_chunk, items, client=client,
                                        desc=f"basket stress ({n_paths} paths)", progress=progress)))
