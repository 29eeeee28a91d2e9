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

from hedgelab.cli import cli
from hedgelab.core.errors import UserError
from hedgelab.engine import MARGIN_MODES
from hedgelab.runner.options import (DEFAULT_STRESS_PATHS, DEFAULT_STRESS_SEED, OPTION_NAMES, STRESS_KEYS,
                                     RunOptions, flag_name, resolve)
from hedgelab.runner.parse import parse_grid, parse_params, parse_strategy_params

TABLE_ROWS = 15   # rows of the terminal table for big sweeps (summary.csv has them all)
_DEFAULT = (click.core.ParameterSource.DEFAULT, None)


def shared_options(func):
    """The options every backtest command takes, in one place so they stay consistent."""
    options = [
        click.option("--data", "data", default=RunOptions.data, show_default=True, metavar="NAME",
                     help="Dataset: the built-in crisis-2025 or a name in the store."),
        click.option("--venue", default=RunOptions.venue, show_default=True,
                     help="Venue rules (fees, margin tiers, funding)."),
        click.option("--margin-mode", type=click.Choice(MARGIN_MODES), default=None,
                     help="Margin mode for the perp (default: the strategy's own, else isolated)."),
        click.option("--adl", type=click.Choice(("off", "worst", "share")), default=None,
                     help="What the venue's auto-deleveraging events do to a profitable perp: off, worst (closed "
                          "in full) or share (a part that grows with its ADL rank); default share when the data "
                          "carries ADL events for the venue, else off."),
        click.option("--start", default=None, metavar="DATE", help="First bar (UTC, e.g. 2025-10-01)."),
        click.option("--end", default=None, metavar="DATE", help="Last bar (UTC, inclusive: a date means the whole day)."),
        click.option("--capital", type=float, default=RunOptions.capital, show_default=True,
                     help="Initial deposit in USD."),
        click.option("--out", type=str, default=None, metavar="DIR",  # checked by core.outdir (an empty name too)
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
        click.option("--basket", "basket", default=None, metavar="COIN=W,...",
                     help="Coins and weights of a basket run, e.g. BTC=0.3,ETH=0.4,SOL=0.3 (weights sum to 1): "
                          "runs the basket strategies (basket-hold, basket-btc-short, basket-own-perps) on "
                          "the dataset's coins in one account."),
        click.option("--symbol", "symbol", default=None, metavar="COIN",
                     help="In a dataset of several coins, the coin a one-coin strategy trades (default: the "
                          "dataset's first, e.g. BTC in crisis-2025; also ETH, SOL, XRP, DOGE, BNB there)."),
        click.option("--no-costs", "no_costs", is_flag=True, default=False,
                     help="No fees and no slippage (frictionless; funding and liquidation still apply)."),
        click.option("--timeout", "timeout", type=float, default=None, metavar="SECONDS",
                     help="Stop the whole run after SECONDS (exit 2, nothing written). Checked between "
                          "strategies and chunks of runs and wherever Python runs; a compiled hook's call "
                          "is not interrupted."),
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
                     help=f"Paths for --stress (default {DEFAULT_STRESS_PATHS})."),
        click.option("--stress-seed", "stress_seed", type=int, default=None, metavar="S",
                     help=f"Root seed for --stress (default {DEFAULT_STRESS_SEED})."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def cli_options(ctx: click.Context, kwargs: dict) -> tuple[RunOptions, dict]:
    """RunOptions from the flags given on the command line, else --config, else the defaults (as the
    API resolves its keyword arguments), with --out made or checked before the work."""
    given = {key: kwargs[key] for key in OPTION_NAMES.union(STRESS_KEYS) & set(kwargs)
             if ctx.get_parameter_source(key) not in _DEFAULT}
    if kwargs.get("trace"):
        given["trace"] = True   # --trace FILE
    opts, conf = resolve(kwargs.get("config"), given, where="", name=flag_name, defaults={"quiet": False})
    return opts.replace(out=output_dir(opts.out)), conf


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


def finish(result, opts: RunOptions, trace_file=None) -> int:
    """Write the files (and the --trace file after them), print the ranking, name the failures; the
    exit code."""
    from hedgelab.reports.run import SummaryRuns
    from hedgelab.runner.outputs import write_outputs  # not result.write: --out was checked before the run
    out = write_outputs(result, opts.out, progress=not opts.quiet, tearsheets=opts.tearsheets, checked=True)
    traced = write_trace(result, trace_file, opts.out, out)
    if not opts.quiet:
        click.echo(short_table(result.summary, stress=getattr(result, "stress", None)))
        click.echo("")
        from hedgelab.reports.scenario_matrix import lines as matrix_lines
        block = matrix_lines(getattr(result, "scenarios", None), list(result.summary["run"]))
        for line in block + [""] * bool(block):
            click.echo(line)
        from hedgelab.reports import adl
        runs = [] if isinstance(result.runs, SummaryRuns) else list(result.runs)
        for line in adl.lines(runs, adl.mode_of(runs) or "off"):
            click.echo(line)
        from hedgelab.reports import liquidation_story
        for line in liquidation_story.lines(runs):
            click.echo(line)
        for line in data_lines(result):
            click.echo(line)
    click.echo(f"report: {out / 'report.html'}")
    for line in traced:
        click.echo(line)
    for line in result.warnings:
        click.echo(f"warning: {line}", err=True)
    for name, reason in result.failures.items():
        click.echo(f"failed: {name}: {reason}", err=True)
    if result.failures:
        # SystemExit rather than a return value: ``python -m hedgelab.cli`` ignores main()'s result.
        raise SystemExit(1)
    return 0


def check_trace(trace_file, out: Path | None = None) -> Path | None:
    """--trace FILE checked before the run: a usable name, not an existing file or folder (a user's
    file is never replaced, as --out never writes over a folder), not --out itself, its folder
    writable. A FILE inside --out is written there once the report is published."""
    if trace_file is None:
        return None
    from hedgelab.core.outdir import check_path_name, check_writable
    path = check_path_name(trace_file, "--trace", "file")
    try:
        if path.is_dir():
            raise UserError(f"--trace {path}: is a folder; give a file name")
        if path.exists() or path.is_symlink():
            raise UserError(f"--trace {path}: a file of that name exists; a trace is never written over a file "
                            f"(give a new name)")
    except OSError as exc:
        raise UserError(f"--trace {path}: not usable ({exc.strerror or exc})") from None
    if out is not None and path.absolute() == Path(out).absolute():
        raise UserError(f"--trace {path}: is the --out folder; give a file name (inside it if you like)")
    check_writable(path.parent, "--trace")
    return path


def write_trace(result, trace_file, wanted: Path | None = None, out: Path | None = None) -> list[str]:
    """--trace FILE: the decision trace as parquet, written whole to a temp name and linked into place
    (never over a file made meanwhile); a FILE inside --out follows the report if it went to OUT-2.
    Lines for the terminal: where the trace is and, for a run a hook's mistake stopped, where its
    trace ends."""
    if trace_file is None:
        return []
    path = Path(trace_file)
    if wanted is not None and out is not None and out != wanted:
        try:   # the report went to a sibling (another run filled --out meanwhile): the trace goes with it
            path = out / path.absolute().relative_to(Path(wanted).absolute())
        except ValueError:
            pass
    trace = result.trace
    if trace is None or not len(trace):
        return [f"trace: none written to {path} (no run kept decision bars)"]
    _write_parquet(trace, path, f"(the report is in {out})")
    lines = [f"trace: {path} ({len(trace):,} decision bar{'s' if len(trace) != 1 else ''})"]
    for run in result.runs:
        part = getattr(run, "trace", None)
        if getattr(run, "error", None) and part is not None and len(part):
            last = part.iloc[-1]
            lines.append(f"trace: {run.name} stopped: its trace ends at bar {int(last['bar'])} (opened "
                         f"{last['bar_open']:%Y-%m-%d %H:%M} UTC), the bar that stopped it")
    return lines


def _write_parquet(trace, path: Path, where: str) -> None:
    """``trace`` to ``path``, whole to a temp name and linked into place (never over a file made meanwhile)."""
    path.parent.mkdir(parents=True, exist_ok=True)  # checked writable before the run (check_trace)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        trace.to_parquet(tmp, index=False)
        os.link(tmp, path)   # fails if a file of that name appeared meanwhile: it is not replaced
    except FileExistsError:
        raise UserError(f"--trace {path}: a file of that name appeared during the run; not replaced {where}") from None
    finally:
        tmp.unlink(missing_ok=True)


def debug_stop(exc: BaseException, trace_file) -> int:
    """--debug: a strategy raised. Its traceback (at the author's line), what the trace has up to the bar
    that raised and where it was written; nothing else is written. Exit code 1 (a strategy failed)."""
    import traceback
    click.echo("".join(traceback.format_exception(exc)).rstrip(), err=True)
    partial = getattr(exc, "hedgelab_trace", None)
    if trace_file is not None:
        path = Path(trace_file)
        if partial is None or not len(partial):
            click.echo(f"trace: none written to {path} (the run stopped before its first decision bar)", err=True)
        else:
            _write_parquet(partial, path, "")
            last = partial.iloc[-1]
            click.echo(f"trace: {path} ({len(partial):,} decision bar{'s' if len(partial) != 1 else ''} of "
                       f"{last['run']}, up to bar {int(last['bar'])} (opened {last['bar_open']:%Y-%m-%d %H:%M} UTC), "
                       f"the bar that raised)", err=True)
    click.echo(f"failed (--debug): {type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
               f"; no report written", err=True)
    return 1


def data_lines(result) -> list[str]:
    """What the table was made from, under it: a reconstruction must not pass for market data in the
    terminal either, and where IV stops before the prices the fill rule is repeated (as in the report)."""
    m = result.manifest or {}
    kind = m.get("kind", "?")
    basket = (result.settings or {}).get("basket")
    held = list(result.coin_prices or {})   # a basket run: every coin its accounts hold, hedges included
    entries = {c: e for c, e in (m.get("coins") or {}).items() if c in held}
    primary = not held or any(c not in entries for c in held)   # the dataset's first coin is among them
    anchors = (len(m.get("anchors") or []) if primary else 0) + sum(len(e.get("anchors") or [])
                                                                    for e in entries.values())
    what = {"reconstruction": f"RECONSTRUCTION anchored to {anchors} published facts, "
                              "not recorded market data",
            "real": "real market data", "imported": "imported market data"}.get(kind, kind)
    first, last = run_window(result)
    # bars are stamped at their open (README, Conventions): the span is first to last bar open, as
    # `hedgelab data list` and `data show` say it
    span = f"{first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} UTC (bar opens)"
    symbols = ", ".join(([str(m.get("symbol"))] if primary else []) + [str(e.get("symbol")) for e in entries.values()])
    weights = f" (basket {', '.join(f'{c} {w:.0%}' for c, w in basket.items())})" if basket else ""
    lines = [f"data: {m.get('name')} ({what}); {m.get('venue')} {symbols}{weights}, "
             f"{m.get('bar_size')} bars, {span}"]
    if m.get("iv_fill") and uses_options(result):   # IV prices options only: no word for runs without
        lines.append(f"IV fill rule: {m['iv_fill']}")
    return lines


def run_window(result):
    """(first, last) bar open the runs covered: from an equity curve, else (a summary-mode sweep keeps
    none) the dataset's bars in the run's --start/--end, as the run sliced them."""
    from hedgelab.reports.run import SummaryRuns
    runs = result.runs
    if not isinstance(runs, SummaryRuns):
        for r in runs:
            if getattr(r, "equity", None) is not None and len(r.equity):
                return r.equity.index[0], r.equity.index[-1]
    from hedgelab.data import load
    from hedgelab.data.align import slice_bars
    o = result.settings or {}
    bars = slice_bars(load(o.get("data") or (result.manifest or {}).get("name"), o.get("store")), o.get("start"),
                      o.get("end"))
    return bars.index[0], bars.index[-1]


def uses_options(result) -> bool:
    """Whether a strategy of the result trades options (its class says ``uses_options``)."""
    from hedgelab.reports.run import SummaryRuns
    from hedgelab.runner.prepare import discover_all
    runs = result.runs
    names = {runs.strategy} if isinstance(runs, SummaryRuns) else {r.strategy for r in runs}
    registry, _ = discover_all((result.settings or {}).get("strategies_dir"))
    return any(getattr(registry.get(n), "uses_options", False) for n in names)


def short_table(summary, top: int = TABLE_ROWS, stress=None) -> str:
    """The ranking for the terminal; a big sweep shows its best rows and counts the rest. With a
    stress test, a last column: each run's survival (share of stress paths with no liquidation)."""
    from hedgelab.reports.summary import text_table
    limit = None if len(summary) <= top + 5 else top
    odds = None if stress is None else dict(zip(stress.table["run"].astype(str), stress.table["survival"]))
    return text_table(summary, limit=limit, survival=odds)


def _command(func):
    @functools.wraps(func)
    def wrapper(**kwargs):
        from hedgelab.runner.execute import time_limit
        trace_file = kwargs.get("trace_file")
        opts, conf = cli_options(click.get_current_context(), dict(kwargs, trace=trace_file is not None))
        trace_file = check_trace(trace_file, opts.out)
        with time_limit(opts.timeout, "--timeout {}"):   # the whole command, up to the files' publication
            try:
                result = func(opts, conf, **kwargs)
            except UserError:
                raise
            except Exception as exc:
                if not opts.debug:
                    raise
                raise SystemExit(debug_stop(exc, trace_file)) from None
            return finish(result, opts, trace_file)
    return wrapper


def debug_option(func):
    """--debug on run, compare and sweep."""
    return click.option("--debug", "debug", is_flag=True, default=False,
                        help="Run in plain Python, strict: an exception or a 0/0 in a strategy's hook is a "
                             "traceback at its line, an index past params/features/state/intent an IndexError "
                             "naming the array (slow; with --trace FILE the trace up to that bar).")(func)


@cli.command("run")
@click.argument("strategy", required=False)
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE",
              help="A strategy parameter (repeatable), e.g. -p leverage=5.")
@click.option("--trace", "trace_file", default=None, metavar="FILE",
              help="Also write every decision bar's state, intent and events as parquet to FILE "
                   "(replays the run in plain Python: for a run or a small compare).")
@debug_option
@shared_options
@stress_options
@_command
def run_cmd(opts, conf, strategy, params, **_):
    """Backtest one STRATEGY with its defaults or -p overrides.

    \b
    Example:
      hedgelab run leveraged-long -p leverage=5 --margin-mode cross
    """
    from hedgelab import api
    return api.run_with(opts, conf, strategy, parse_params(params))


@cli.command("compare")
@click.argument("strategies", nargs=-1)
@click.option("-p", "--param", "params", multiple=True, metavar="STRATEGY.NAME=VALUE",
              help="A parameter of one of the strategies (repeatable), e.g. -p perp-hedge.hedge_ratio=0.3.")
@click.option("--trace", "trace_file", default=None, metavar="FILE",
              help="Also write every decision bar's state, intent and events as parquet to FILE "
                   "(replays the run in plain Python: for a run or a small compare).")
@click.option("--scenarios/--no-scenarios", "scenarios", default=RunOptions.scenarios, show_default=True,
              help="The scenario matrix after the ranking (page and terminal): every strategy through oct10-2025, "
                   "oct10-2025-x1.5, covid-mar2020, ftx-nov2022, support-80k and squeeze-40, survival and loss per "
                   "cell (docs/stress.md).")
@debug_option
@shared_options
@stress_options
@_command
def compare_cmd(opts, conf, strategies, params, **_):
    """Compare STRATEGIES side by side (default: every strategy found) with default parameters.

    With no STRATEGIES: the built-ins, installed plugins and those in --strategies-dir. Per-strategy
    parameters: -p STRATEGY.NAME=VALUE, or in --config as tables, e.g. [params.perp-hedge]
    hedge_ratio = 0.3 (-p wins). Each strategy is named once (one parameter set each; several sets
    of one strategy are a sweep).

    \b
    Examples:
      hedgelab compare                                  # the main job on crisis-2025
      hedgelab compare hold perp-hedge --start 2025-10-01 --end 2025-10-31
      hedgelab compare hold perp-hedge -p perp-hedge.hedge_ratio=0.3
      hedgelab compare --data mine --store ./store --out ./report
      hedgelab compare --stress bootstrap --stress-paths 200   # plus survival odds over 200 paths
      hedgelab compare hold perp-hedge --no-scenarios          # without the scenario matrix
    """
    from hedgelab import api
    return api.compare_with(opts, conf, list(strategies) or None, parse_strategy_params(params))


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
@debug_option
@shared_options
@stress_options
@_command
def sweep_cmd(opts, conf, strategy, grid, params, resume, **given):
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
    if resume and given.get("out") is None and not conf.get("out"):
        raise UserError("--resume: give the --out of the interrupted sweep")
    return api.sweep_with(opts, conf, strategy, parse_grid(grid), parse_params(params),
                          rows=opts.out.with_name(opts.out.name + "-rows"), resume=resume)
