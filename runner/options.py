"""``RunOptions``: how a backtest runs, resolved once from the defaults, a config file and the flags
(CLI) or keyword arguments (API), in that order of precedence, and frozen.

The CLI and the API resolve through the same function, so one config file is read the same way by
``hedgelab run`` and ``hedgelab.run``: the same keys, the same rules (``runner/config.py``), folders
relative to the file, and every mistake one ``UserError`` naming the key (``config file F: capital``,
``--capital``, ``run(): capital``). Live objects (a Dask client, a rows folder being written) are not
options: they travel apart (``execute(..., live=Live(...))``).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, NamedTuple
import math

from hedgelab.core.errors import UserError
from hedgelab.core.schema import Bad, Rule, show
from hedgelab.runner.config import CONFIG, MAX_CAPITAL, MAX_TIMEOUT, MIN_CAPITAL, check_config_keys, load_config

DEFAULT_STRESS_PATHS = 200   # paths of a stress test run with a backtest (--stress), as of `hedgelab stress`
DEFAULT_STRESS_SEED = 0
MAX_STRESS_PATHS = 1_000_000
_FOLDERS = ("store", "strategies_dir", "out")   # a folder named in a config file is relative to the file


@dataclass(frozen=True)
class StressSpec:
    """A stress test run with the backtest (``--stress METHOD``, ``stress=...``)."""
    method: str                 # bootstrap, garch, jump, shock or scenario
    scenario: str | None        # the scenario's name (method scenario)
    paths: int = DEFAULT_STRESS_PATHS
    seed: int = DEFAULT_STRESS_SEED


@dataclass(frozen=True)
class RunOptions:
    """Every option of run, compare and sweep; the field defaults are the defaults."""
    data: str = "crisis-2025"
    venue: str = "binance"
    margin_mode: str | None = None      # None: each strategy's own, else isolated
    start: Any = None                   # first bar (a date or time; None: the data's first)
    end: Any = None                     # last bar, inclusive (a date means the whole day)
    capital: float = 100_000.0          # USD per run
    store: Path | None = None           # dataset store (None: $HEDGELAB_HOME or the user data folder)
    strategies_dir: Path | None = None  # folder of the user's strategy modules
    costs: str | Path | dict | None = None  # a costs TOML file or a [costs] table (None: the venue's fees)
    no_costs: bool = False              # frictionless: no fees, no slippage
    quiet: bool = True                  # no progress bars (the CLI sets it from -q)
    out: Path | None = None             # output folder (the CLI's --out)
    tearsheets: int | None = None       # most quantstats tearsheets (None: every run; 5 for a sweep)
    metric: str = "total_return"        # a sweep's heatmap metric
    heatmap_x: str | None = None
    heatmap_y: str | None = None
    cluster: str | None = None          # where sweep and stress chunks run (hedgelab.scale.parse_spec)
    chunk_size: int | None = None       # columns per chunk of a sweep (None: ~2 s of kernel work)
    trace: bool = False                 # replay every run in plain Python and keep its decision trace
    debug: bool = False                 # run in plain Python only, strict: a hook's exception propagates (engine/debug.py)
    stress: StressSpec | None = None    # also stress-test the strategies that ran
    basket: dict | None = None          # coin -> weight of a basket run (basket strategies), in the order given
    symbol: str | None = None           # the coin a one-coin run trades in a dataset of several (None: its first)
    timeout: float | None = None        # seconds the whole run may take (None: no limit; runner.execute.time_limit)
    adl: str | None = None              # off, worst or share (None: share when the data carries ADL events for the
                                        # venue, else off; runner.prepare.adl_mode)
    scenarios: bool = True              # a comparison's scenario matrix (runner/scenarios.py); compare only

    def replace(self, **changes: Any) -> RunOptions:
        return replace(self, **changes)

    def record(self) -> dict[str, Any]:
        """The options as plain values, for the record (``Result.settings``)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["stress"] = None if self.stress is None else vars(self.stress).copy()
        return out


class Live(NamedTuple):
    """What a run uses but is not an option: an open Dask client, a sweep's rows folder being written."""
    client: Any = None
    rows: Any = None


OPTION_NAMES = frozenset(f.name for f in fields(RunOptions)) - {"stress"}
STRESS_KEYS = ("stress", "stress_paths", "stress_seed")


def api_name(key: str) -> str:
    return key


def flag_name(key: str) -> str:
    return "--" + key.replace("_", "-")


def resolve(config: str | Path | Mapping[str, Any] | None = None, given: Mapping[str, Any] | None = None, *,
            where: str, name: Callable[[str], str] = api_name, defaults: Mapping[str, Any] | None = None
            ) -> tuple[RunOptions, dict[str, Any]]:
    """(RunOptions, the config's table) from the defaults < ``config`` < ``given``.

    ``defaults``: an interface's own defaults over RunOptions' (the CLI prints progress: quiet=False).
    ``config``: a TOML path, a dict with the same keys, or None. ``given``: the options the caller set
    (CLI flags given on the command line, API keyword arguments given), option name -> value, plus
    ``stress``, ``stress_paths``, ``stress_seed`` as the CLI and config name them (or ``stress`` as a
    dict). ``where`` and ``name`` word the errors about given values (``run()`` and ``capital``, or
    ``""`` and ``--capital``). The config's job keys (strategy, strategies, params, grid) are the
    caller's to read, through ``params_for`` and ``params_per_strategy``.
    """
    given = dict(given or {})
    conf, base = _read(config)
    unknown = sorted(set(given) - OPTION_NAMES - set(STRESS_KEYS))
    if unknown:
        raise UserError(f"{where or 'options'}: unknown option {unknown[0]!r}")
    for key, value in given.items():
        if key in CONFIG and value is not None and key not in ("capital", "timeout") and not isinstance(value, dict | Path):
            _check(CONFIG[key], value, name(key), where)
    values = dict(defaults or {})
    for key in OPTION_NAMES:
        if key in given:
            values[key] = given[key]
        elif key in conf:
            value = conf[key]
            if key in _FOLDERS and base is not None and value is not None:
                value = base / Path(str(value)).expanduser()
            elif key == "costs" and isinstance(value, str) and base is not None:
                value = base / Path(value).expanduser()
            values[key] = value
    values["stress"] = stress_spec({k: given[k] for k in STRESS_KEYS if k in given},
                                   {k: conf[k] for k in STRESS_KEYS if k in conf}, name, where)
    return RunOptions(**_normalized(values, name, where)), conf


def _read(config: str | Path | Mapping[str, Any] | None) -> tuple[dict[str, Any], Path | None]:
    if config is None:
        return {}, None
    if isinstance(config, Mapping):
        conf = dict(config)
        check_config_keys(conf, "config")
        return conf, None
    if isinstance(config, (str, Path)):
        return load_config(config), Path(config).parent
    raise UserError(f"config={config!r}: expected a TOML file path or a dict")


def _check(rule: Rule, value: object, key: str, where: str) -> None:
    try:
        rule(value, key)
    except Bad as exc:
        raise UserError(f"{where}: {exc}" if where else str(exc)) from None


def _normalized(values: dict[str, Any], name: Callable[[str], str], where: str) -> dict[str, Any]:
    out = dict(values)
    if out.get("basket") is not None:
        from hedgelab.strategies.basket import parse_basket
        with _said_by(where):
            out["basket"] = parse_basket(out["basket"])
    with _said_by(where):
        out["capital"] = check_capital(out.get("capital", RunOptions.capital), name("capital"))
    for key in ("store", "strategies_dir"):
        if out.get(key) is not None:
            folder = Path(out[key]).expanduser()
            if not folder.is_dir():
                raise UserError(f"{name(key)} {folder}: no such folder")
            out[key] = folder
    if out.get("out") is not None:
        if isinstance(out["out"], str) and not out["out"].strip():   # Path("") would be "." (here)
            raise UserError(f"{name('out')} {out['out']!r}: empty; give a folder name, e.g. ./out")
        out["out"] = Path(out["out"])
    for key in ("quiet", "no_costs", "trace", "debug", "scenarios"):
        if key in out and not isinstance(out[key], bool):
            raise UserError(f"{_prefix(where)}{name(key)}={out[key]!r}: expected True or False")
    if out.get("timeout") is not None:
        with _said_by(where):
            out["timeout"] = check_timeout(out["timeout"], name("timeout"))
    size = out.get("chunk_size")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 1):
        raise UserError(f"{_prefix(where)}{name('chunk_size')} {size!r}: expected a whole number of columns >= 1")
    if out.get("metric") is None:
        out.pop("metric", None)
    return out


def _prefix(where: str) -> str:
    return f"{where}: " if where else ""


@contextmanager
def _said_by(where: str) -> Iterator[None]:
    """A UserError raised inside names the call it came from (``run(): ...``; the CLI's flags need none)."""
    try:
        yield
    except UserError as exc:
        raise UserError(f"{_prefix(where)}{exc}") from None


def check_capital(capital: Any, key: str = "capital") -> float:
    """USD per run: a number from MIN_CAPITAL (1 USD: less buys nothing and reports 0 %) to MAX_CAPITAL."""
    if isinstance(capital, bool) or (not isinstance(capital, (int, float, str)) and not hasattr(capital, "__float__")):
        raise UserError(f"{key} {show(capital)} is not a number")
    try:
        value = float(capital)
    except (TypeError, ValueError):
        raise UserError(f"{key} {show(capital)} is not a number") from None
    except OverflowError:
        value = math.inf
    if not math.isfinite(value) or value <= 0 or value > MAX_CAPITAL:
        raise UserError(f"{key.lstrip('-')} {show(capital)} must be a positive number of USD, at most {MAX_CAPITAL:g}")
    if value < MIN_CAPITAL:
        raise UserError(f"{key.lstrip('-')} {show(capital)} must be at least {MIN_CAPITAL:g} USD (less buys nothing "
                        f"and reports 0 %), at most {MAX_CAPITAL:g}")
    return value


def _shown(value: Any) -> str:
    """A number as the user wrote it (a float with :g, 5.0 as 5), anything else as ``show`` quotes it."""
    return f"{value:g}" if isinstance(value, float) else show(value)


def check_timeout(timeout: Any, key: str = "timeout") -> float:
    """Seconds a whole run may take: a number in (0, MAX_TIMEOUT] (30 days)."""
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise UserError(f"{key} {show(timeout)}: expected a number of seconds")
    try:
        value = float(timeout)
    except OverflowError:
        value = math.inf
    if not math.isfinite(value) or value <= 0 or value > MAX_TIMEOUT:
        raise UserError(f"{key} {_shown(timeout)}: expected a number of seconds in (0, {MAX_TIMEOUT:,}]")
    return value


def stress_spec(given: Mapping[str, Any], conf: Mapping[str, Any], name: Callable[[str], str] = flag_name,
                where: str = "") -> StressSpec | None:
    """The stress test asked for: the given ``stress`` (a method name or a dict(method, paths, seed)),
    ``stress_paths``, ``stress_seed``, else the config's keys; checked before any work."""
    with _said_by(where):
        return _stress_spec(given, conf, name)


def _stress_spec(given: Mapping[str, Any], conf: Mapping[str, Any], name: Callable[[str], str]) -> StressSpec | None:
    stress = given.get("stress")
    if isinstance(stress, Mapping):
        extra = set(stress) - {"method", "paths", "seed"}
        if extra:
            raise UserError(f"stress={dict(stress)!r}: expected a method name or dict(method=..., paths=..., "
                            f"seed=...)")
        given = {"stress": stress.get("method"), "stress_paths": stress.get("paths"),
                 "stress_seed": stress.get("seed")}
    elif stress is not None and not isinstance(stress, str):
        raise UserError(f"stress={stress!r}: expected a method name or dict(method=..., paths=..., seed=...)")

    def pick(key: str) -> Any:
        return given[key] if given.get(key) is not None else conf.get(key)
    method, paths, seed = pick("stress"), pick("stress_paths"), pick("stress_seed")
    if method is None:
        if given.get("stress_paths") is not None or given.get("stress_seed") is not None:
            raise UserError(f"{name('stress_paths')}/{name('stress_seed')} go with {name('stress')} METHOD")
        return None
    from hedgelab.stress.generators import METHODS
    from hedgelab.stress.scenarios import NAMES
    kind, _, scenario = str(method).partition(":")
    choices = ", ".join(m for m in METHODS if m != "scenario") + ", scenario:NAME"
    if kind not in METHODS or (kind == "scenario") != bool(scenario) or (scenario and scenario not in NAMES):
        raise UserError(f"{name('stress')} {method!r}: expected one of {choices} (NAME one of {', '.join(NAMES)})")
    paths = DEFAULT_STRESS_PATHS if paths is None else paths
    if isinstance(paths, bool) or not isinstance(paths, int) or not 1 <= paths <= MAX_STRESS_PATHS:
        raise UserError(f"{name('stress_paths')} must be an integer in [1, {MAX_STRESS_PATHS:,}], got {paths!r}")
    seed = DEFAULT_STRESS_SEED if seed is None else seed
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise UserError(f"{name('stress_seed')} must be a non-negative integer, got {seed!r}")
    return StressSpec(kind, scenario or None, int(paths), int(seed))


def params_for(conf: Mapping[str, Any], strategy: str) -> dict[str, Any]:
    """A config's parameters for one strategy: flat ``[params]`` keys, plus its own table
    ``[params.<strategy>]`` (the form ``compare`` reads), so one config file serves run, sweep and
    compare; other strategies' tables are not for this run."""
    values: dict[str, Any] = {}
    table = conf.get("params") or {}
    own = table.get(strategy)
    if own is not None and not isinstance(own, dict):
        raise UserError(f"params.{strategy} = {show(own)}: {strategy}'s parameters go in a table of name = value, "
                        f"e.g. [params.{strategy}] then leverage = 5 (or flat: [params] leverage = 5)")
    for key, value in table.items():
        if not isinstance(value, dict):
            values[key] = value
    if isinstance(own, dict):
        values.update(own)
    return values


def params_per_strategy(*sources: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Per-strategy parameter tables ({"perp-hedge": {"hedge_ratio": 0.3}}), later sources winning key
    by key; a flat value is refused (a comparison takes one table per strategy)."""
    per: dict[str, dict[str, Any]] = {}
    for source in sources:
        for strategy, values in (source or {}).items():
            if not isinstance(values, Mapping):
                raise UserError(f"params.{strategy}: a comparison takes one table per strategy, "
                                f"e.g. [params.perp-hedge] hedge_ratio = 0.3")
            per.setdefault(strategy, {}).update(values)
    return per
