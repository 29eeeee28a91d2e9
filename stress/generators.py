"""Method name -> a fitted generator with ``path(window, rng) -> MarketArrays``."""
from __future__ import annotations

from hedgelab.core.errors import UserError

METHODS = ("shock", "bootstrap", "garch", "jump", "scenario")


def make_generator(method: str, history, window, *, scenario=None, drop=-0.107, kind="wick", at=None,
                   block=None, garch_start=None, margin=0.05, walk_days=14.0):
    """``at``: bar index in the window (shock and scenario; None = drawn per path)."""
    if method == "shock":
        from hedgelab.stress.shock import Shock
        return Shock(drop=drop, at=at, kind=kind)
    if method == "bootstrap":
        from hedgelab.stress.bootstrap import Bootstrap
        return Bootstrap.fit(history, block)
    if method == "garch":
        from hedgelab.stress.garch import Garch
        return Garch.fit(history, garch_start)
    if method == "jump":
        from hedgelab.stress.jump import Jump
        return Jump.fit(history)
    if method == "scenario":
        from hedgelab.stress.scenarios import Scenario
        if not scenario:
            raise UserError("--method scenario needs a scenario NAME (e.g. --method scenario oct10-2025)")
        return Scenario(scenario, at=at, margin=margin, walk_days=walk_days)
    raise UserError(f"--method {method!r}: expected one of {', '.join(METHODS)}")


def describe(gen) -> str:
    """One line naming the model and its calibration, for tables and figure captions (a basket's joint
    generator, stress/basket.py, describes itself)."""
    own = getattr(gen, "describe", None)
    if callable(own):
        return own()
    name = type(gen).__name__
    if name == "Bootstrap":
        return f"stationary bootstrap, mean block {gen.block:.1f} bars"
    if name == "Garch":
        return (f"GJR-GARCH(1,1,1)-t FHS: alpha {gen.alpha:.3f}, gamma {gen.gamma:.3f}, beta {gen.beta:.3f}, "
                f"nu {gen.nu:.2f}, persistence {gen.persistence:.3f}")
    if name == "Jump":
        return (f"Merton jumps: {gen.per_year:.0f}/year, mean {gen.mu_j:+.2%}, sd {gen.sigma_j:.2%}; "
                f"diffusion sd {gen.sigma:.3%} per bar")
    if name == "Shock":
        when = "a random bar per path" if gen.at is None else f"bar {gen.at}"
        return f"{gen.kind} shock {gen.drop:+.1%} at {when}"
    if name == "Scenario":
        return f"scenario {gen.name}: {gen.facts}"
    return name
