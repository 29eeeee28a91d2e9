"""``hedgelab run``, ``hedgelab compare`` and ``hedgelab sweep``: backtests from the command line.

All three take the same data/venue/output options, read them from ``--config FILE`` (TOML, same
keys; flags given on the command line win), write the report files into ``--out`` (default: a new
``./hedgelab-out-YYYYmmdd-HHMMSS`` folder) and end with the ranking table. Exit code 0 when every
strategy ran, 1 when some failed (the rest are written and the failures named on stderr), 2 on a
user error (bad option, parameter or config), checked before anything runs or is written.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
import functools
import os

import click

from hedgelab import _options as opt
from hedgelab.cli import cli
from hedgelab.core.errors import UserError

_PATH_KEYS = ("store", "strategies_dir", "out")
TABLE_ROWS = 15   # rows of the terminal table for big sweeps (summary.csv has them all)

# CLI option name -> (config key, default). A config value is used when the flag was not given.
_SHARED = {
    "data": "crisis-2025", "venue": "binance", "margin_mode": None, "start": None, "end": None,
    "capital": 100_000.0, "out": None, "store": None, "strategies_dir": None, "quiet": False,
    "tearsheets": None, "costs": None, "no_costs": False,
}


def shared_options(func):
    """The options every backtest command takes, in one place so they stay consistent."""
    options = [
        click.option("--data", "data", default=_SHARED["data"], show_default=True, metavar="NAME",
                     help="Dataset: the built-in crisis-2025 or a name in the store."),
        click.option("--venue", default=_SHARED["venue"], show_default=True,
                     help="Venue rules (fees, margin tiers, funding)."),
        click.option("--margin-mode", type=click.Choice(opt.MARGIN_MODES), default=None,
                     help="Margin mode for the perp (default: the strategy's own, else isolated)."),
        click.option("--start", default=None, metavar="DATE", help="First bar (UTC, e.g. 2025-10-01)."),
        click.option("--end", default=None, metavar="DATE", help="Last bar (UTC, inclusive: a date means the whole day)."),
        click.option("--capital", type=float, default=_SHARED["capital"], show_default=True,
                     help="Initial deposit in USD."),
        click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
                     help="Output folder (new or empty; default ./hedgelab-out-YYYYmmdd-HHMMSS)."),
        click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path), default=None,
                     help="TOML file with the same keys as these options (folders in it are relative to "
                          "the file); flags given here win."),
        click.option("--store", type=click.Path(file_okay=False, path_type=Path), default=None,
                     help="Dataset store folder (default $HEDGELAB_HOME or the user data folder)."),
        click.option("--strategies-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                     help="Folder with your own strategy modules."),
        click.option("--tearsheets", type=click.IntRange(min=0), default=None, metavar="N",
                     help="Most quantstats tearsheets to write, best-ranked first, plus hold's "
                          "(default: every run; 5 for a sweep). Each takes seconds."),
        click.option("--quiet", "-q", is_flag=True, default=False,
                     help="No progress bars and no table (for scripts)."),
        click.option("--costs", "costs", type=click.Path(dir_okay=False, path_type=Path), default=None,
                     help="TOML file with a [costs] table: perp_fee, spot_fee (decimals; default the venue's), "
                          "half_spread, impact, impact_exponent (slippage model)."),
        click.option("--no-costs", "no_costs", is_flag=True, default=False,
                     help="No fees and no slippage (frictionless; funding and liquidation still apply)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def stress_options(func):
    """--stress METHOD [--stress-paths N] [--stress-seed S]: run/compare/sweep also stress-test."""
    options = [
        click.option("--stress", "stress", default=None, metavar="METHOD",
                     help="Also run the strategies over generated paths of the same window: bootstrap, garch, "
                          "jump, shock or scenario:NAME (writes stress.csv/stress.html; report section 'stress')."),
        click.option("--stress-paths", "stress_paths", type=int, default=None, metavar="N",
                     help="Paths for --stress (default 200)."),
        click.option("--stress-seed", "stress_seed", type=int, default=None, metavar="S",
                     help="Root seed for --stress (default 0)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def stress_given(kwargs: dict, conf: dict) -> dict | None:
    """The --stress flags, else the config's stress keys; checked before any work (hedgelab.api.stress_spec)."""
    from hedgelab.api import STRESS_PATHS, STRESS_SEED, stress_spec
    method = kwargs.get("stress") if kwargs.get("stress") is not None else conf.get("stress")
    paths = kwargs.get("stress_paths") if kwargs.get("stress_paths") is not None else conf.get("stress_paths")
    seed = kwargs.get("stress_seed") if kwargs.get("stress_seed") is not None else conf.get("stress_seed")
    if method is None:
        if paths is not None or seed is not None:
            raise UserError("--stress-paths/--stress-seed go with --stress METHOD")
        return None
    given = {"method": method, "paths": STRESS_PATHS if paths is None else paths,
             "seed": STRESS_SEED if seed is None else seed}
    stress_spec(given)   # a bad value is one line before the backtest runs
    return given


def merged(ctx: click.Context, kwargs: dict) -> tuple[dict, dict]:
    """Flags given on the command line, else the config file's value, else the default."""
    conf = opt.load_config(kwargs["config"]) if kwargs.get("config") else {}
    o = {}
    for key in _SHARED:
        given = ctx.get_parameter_source(key) not in (click.core.ParameterSource.DEFAULT, None)
        o[key] = kwargs[key] if given or key not in conf else conf[key]
        if not given and key in conf and key in _PATH_KEYS and conf[key] is not None:
            # a folder named in the config file is relative to that file, not to where hedgelab runs
            o[key] = Path(kwargs["config"]).parent / Path(str(conf[key])).expanduser()
    opt.check_margin_mode(o["margin_mode"])
    o["capital"] = opt.check_capital(o["capital"])
    for key in ("store", "strategies_dir"):
        if o[key] is not None:
            o[key] = Path(o[key])
            if not o[key].is_dir():
                raise UserError(f"--{key.replace('_', '-')} {o[key]}: no such folder")
    o["out"] = output_dir(o["out"])
    return o, conf


def output_dir(out) -> Path:
    """The folder to write: the given one (must be new or empty) or a new timestamped one here."""
    if out is not None:  # checked now, before the work: exists, a file, unwritable, being written
        from hedgelab.core.outdir import check_out_dir
        return check_out_dir(out)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    base = Path.cwd() / f"hedgelab-out-{stamp}"
    candidate, k = base, 1
    while candidate.exists():
        k += 1
        candidate = base.with_name(f"{base.name}-{k}")
    return candidate


def api_kwargs(o: dict) -> dict:
    keys = ("data", "venue", "margin_mode", "start", "end", "capital", "store", "strategies_dir", "costs", "no_costs")
    return {k: o[k] for k in keys} | {"quiet": bool(o["quiet"]), "stress": o.get("stress")}


def finish(result, o: dict) -> int:
    """Write the files, print the ranking, name the failures; the exit code."""
    from hedgelab import _runner  # not result.write: --out was checked before the run (output_dir)
    from hedgelab.reports.run import runs_by_name
    out = _runner.write_outputs(result, o["out"], progress=not o["quiet"], tearsheets=o["tearsheets"],
                                checked=True)
    if not o["quiet"]:
        click.echo(short_table(result.summary, stress=getattr(result, "stress", None),
                               runs=runs_by_name(result.runs)))
        click.echo("")
        for line in data_lines(result):
            click.echo(line)
    click.echo(f"report: {out / 'report.html'}")
    for line in result.warnings:
        click.echo(f"warning: {line}", err=True)
    for name, reason in result.failures.items():
        click.echo(f"failed: {name}: {reason}", err=True)
    if result.failures:
        # SystemExit rather than a return value: ``python -m hedgelab.cli`` ignores main()'s result.
        raise SystemExit(1)
    return 0


def check_trace(trace_file) -> None:
    """--trace FILE checked before the run: not a folder, and its folder can be written."""
    if trace_file is not None:
        from hedgelab.core.outdir import check_writable
        path = Path(trace_file)
        if path.is_dir():
            raise UserError(f"--trace {path}: is a folder; give a file name")
        check_writable(path.parent, "--trace")


def write_trace(result, trace_file):
    """--trace FILE: the decision trace as parquet (written whole, then renamed into place)."""
    if trace_file is not None and result.trace is not None:
        path = Path(trace_file)
        path.parent.mkdir(parents=True, exist_ok=True)  # checked writable before the run (check_trace)
        tmp = path.with_name(f".{path.name}.tmp")
        result.trace.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    return result


def params_for(conf: dict, strategy: str) -> dict:
    """A config's parameters for one strategy: flat ``[params]`` keys, plus its own table
    ``[params.<strategy>]`` (the form ``compare`` reads), so one config file serves run, sweep and
    compare; other strategies' tables are not for this run."""
    values = {}
    for key, value in (conf.get("params") or {}).items():
        if not isinstance(value, dict):
            values[key] = value
    own = (conf.get("params") or {}).get(strategy)
    if isinstance(own, dict):
        values.update(own)
    return values


def data_lines(result) -> list[str]:
    """What the table was made from, under it: a reconstruction must not pass for market data in the
    terminal either, and where IV stops before the prices the fill rule is repeated (as in the report)."""
    m = result.manifest or {}
    kind = m.get("kind", "?")
    what = {"reconstruction": f"RECONSTRUCTION anchored to {len(m.get('anchors') or [])} published facts, "
                              "not recorded market data",
            "real": "real market data", "imported": "imported market data"}.get(kind, kind)
    times = [r.equity.index for r in result.runs if getattr(r, "equity", None) is not None and len(r.equity)]
    span = (f"{times[0][0]:%Y-%m-%d %H:%M} to {times[0][-1]:%Y-%m-%d %H:%M} UTC" if times
            else f"{m.get('start')} to {m.get('end')}")
    lines = [f"data: {m.get('name')} ({what}); {m.get('venue')} {m.get('symbol')}, "
             f"{m.get('bar_size')} bars, {span}"]
    if m.get("iv_fill"):
        lines.append(f"IV fill rule: {m['iv_fill']}")
    return lines


def short_table(summary, top: int = TABLE_ROWS, stress=None, runs=None) -> str:
    """The ranking for the terminal; a big sweep shows its best rows and counts the rest. With a
    stress test, a last column: each run's survival (share of stress paths with no liquidation)."""
    from hedgelab.reports.summary import text_table
    width = int(min(60, max(28, summary["run"].astype(str).str.len().max() if len(summary) else 0)))
    limit = None if len(summary) <= top + 5 else top
    text = text_table(summary, width=width, limit=limit, runs=runs)
    if stress is None:
        return text
    odds = dict(zip(stress.table["run"].astype(str), stress.table["survival"]))
    lines = text.split("\n")
    shown = list(summary["run"].astype(str))[: len(summary) if limit is None else limit]
    cells = ["survival", "--------"] + [f"{odds[r]:.1%}" if r in odds else "n/a" for r in shown]
    pad = max(len(line) for line in lines[: len(cells)])
    lines[: len(cells)] = [line.ljust(pad) + "  " + c.rjust(8) for line, c in zip(lines, cells)]
    return "\n".join(lines)


def _command(func):
    @functools.wraps(func)
    def wrapper(**kwargs):
        ctx = click.get_current_context()
        o, conf = merged(ctx, kwargs)
        o["stress"] = stress_given(kwargs, conf)
        check_trace(kwargs.get("trace_file"))
        return finish(func(o, conf, **kwargs), o)
    return wrapper


@cli.command("run")
@click.argument("strategy", required=False)
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE",
              help="A strategy parameter (repeatable), e.g. -p leverage=5.")
@click.option("--trace", "trace_file", default=None, metavar="FILE",
              help="Also write every decision bar's state, intent and events as parquet to FILE "
                   "(replays the run in plain Python: for a run or a small compare).")
@shared_options
@stress_options
@_command
def run_cmd(o, conf, strategy, params, trace_file, **_):
    """Backtest one STRATEGY with its defaults or -p overrides.

    \b
    Example:
      hedgelab run leveraged-long -p leverage=5 --margin-mode cross
    """
    from hedgelab import api
    strategy = strategy or conf.get("strategy")
    if not strategy:
        raise UserError("run: name a STRATEGY (or set 'strategy' in --config)")
    values = params_for(conf, strategy)
    values.update(opt.parse_params(params))
    return write_trace(api.run(strategy, values, trace=trace_file is not None, **api_kwargs(o)), trace_file)


@cli.command("compare")
@click.argument("strategies", nargs=-1)
@click.option("--trace", "trace_file", default=None, metavar="FILE",
              help="Also write every decision bar's state, intent and events as parquet to FILE "
                   "(replays the run in plain Python: for a run or a small compare).")
@shared_options
@stress_options
@_command
def compare_cmd(o, conf, strategies, trace_file, **_):
    """Compare STRATEGIES side by side (default: every strategy found) with default parameters.

    With no STRATEGIES: the built-ins, installed plugins and those in --strategies-dir. Per-strategy
    parameters go in --config as tables, e.g. [params.perp-hedge] hedge_ratio = 0.3. Each strategy is
    named once (its table sets its one parameter set; several sets of one strategy are a sweep).

    \b
    Examples:
      hedgelab compare                                  # the main job on crisis-2025
      hedgelab compare hold perp-hedge --start 2025-10-01 --end 2025-10-31
      hedgelab compare --data mine --store ./store --out ./report
      hedgelab compare --stress bootstrap --stress-paths 200   # plus survival odds over 200 paths
    """
    from hedgelab import api
    names = list(strategies) or conf.get("strategies") or None
    return write_trace(api.compare(names, params=conf.get("params") or None, trace=trace_file is not None,
                                   **api_kwargs(o)), trace_file)


@cli.command("sweep")
@click.argument("strategy", required=False)
@click.option("-g", "--grid", "grid", multiple=True, metavar="NAME=V1,V2,...|NAME=START:STOP:COUNT",
              help="A parameter axis (repeatable): a list of values or COUNT points from START to STOP.")
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE",
              help="A fixed parameter for every point (repeatable).")
@click.option("--metric", default=None, help="Metric for the heatmap (a summary.csv column; default total_return).")
@click.option("--heatmap-x", default=None, help="Grid parameter on the heatmap's x axis.")
@click.option("--heatmap-y", default=None, help="Grid parameter on the heatmap's y axis.")
@click.option("--cluster", default=None, metavar="SPEC",
              help="Where the chunks run: none (here, default), local (threads), local-processes[:N], "
                   "tcp://HOST:PORT or a scheduler file.")
@click.option("--resume", is_flag=True, default=False,
              help="Continue an interrupted big sweep with the same --out: chunks already in OUT-rows/ "
                   "are read back, not recomputed.")
@shared_options
@stress_options
@_command
def sweep_cmd(o, conf, strategy, grid, params, metric, heatmap_x, heatmap_y, cluster, resume, **given):
    """Backtest STRATEGY over a grid of parameter values (the cartesian product of every -g).

    \b
    Examples:
      hedgelab sweep leveraged-long -g leverage=2,5,10,20 -g margin_fraction=0.5,1
      hedgelab sweep perp-hedge -g hedge_ratio=0:1:11 -g leverage=1:25:25 --metric max_drawdown
      hedgelab sweep perp-hedge -g hedge_ratio=0:1:1001 -g leverage=1:25:25 --cluster local

    Summary-mode sweeps (over 5,000 sets) also write their rows, chunk by chunk, to the parquet
    folder OUT-rows/ beside --out.
    """
    from hedgelab import api
    from hedgelab.reports.summary import SUMMARY_COLUMNS
    strategy = strategy or conf.get("strategy")
    if not strategy:
        raise UserError("sweep: name a STRATEGY (or set 'strategy' in --config)")
    axes = dict(conf.get("grid") or {})
    axes.update(opt.parse_grid(grid))
    fixed = params_for(conf, strategy)
    fixed.update(opt.parse_params(params))
    metric = metric or conf.get("metric") or "total_return"
    numeric = [c for c in SUMMARY_COLUMNS if c not in ("rank", "run", "strategy", "params", "error", "survived")]
    if metric not in numeric:
        raise UserError(f"--metric {metric!r}: expected one of {', '.join(numeric)}")
    if resume and given.get("out") is None and not conf.get("out"):
        raise UserError("--resume: give the --out of the interrupted sweep")
    return api.sweep(strategy, axes, params=fixed, metric=metric,
                     heatmap_x=heatmap_x or conf.get("heatmap_x"), heatmap_y=heatmap_y or conf.get("heatmap_y"),
                     cluster=cluster or conf.get("cluster"), rows=o["out"].with_name(o["out"].name + "-rows"),
                     resume=resume, **api_kwargs(o))
