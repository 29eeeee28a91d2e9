"""``hedgelab stress``: survival odds over generated paths, and ``hedgelab stress reverse``.

``hedgelab stress STRATEGY... --method M --paths N --seed S`` runs the stress test (the default
sub-command ``run``); ``hedgelab stress reverse STRATEGY --at TIME`` finds the smallest instantaneous
move, down or up, that liquidates it (or loses --max-loss). Backtest flags (--data, --venue, --start, ...) come
from ``cli.backtest.shared_options`` and are merged with --config the same way.
"""
from __future__ import annotations

import click

from hedgelab.cli import cli
from hedgelab.cli.backtest import cli_options, shared_options
from hedgelab.core.errors import UserError
from hedgelab.runner.options import DEFAULT_STRESS_PATHS, params_for, params_per_strategy
from hedgelab.runner.parse import parse_grid, parse_params
from hedgelab.stress.scenarios import NAMES as SCENARIOS

TABLE = (("rank", "rank_stress", "{}"), ("run", "run", "{}"), ("survival", "survival", "{:.1%}"),
         ("VaR95 loss", "var95_loss", "{:,.0f}"), ("ES95 loss", "es95_loss", "{:,.0f}"),
         ("ES99 loss", "es99_loss", "{:,.0f}"), ("median h to liq", "ttl_median_h", "{:,.0f}"),
         ("median hedge cost", "hedge_cost_usd_median", "{:,.0f}"), ("median max DD", "max_dd_median", "{:.1%}"),
         ("replay final", "replay_final_equity", "{:,.0f}"), ("replay rank", "rank_replay", "{}"))


class _DefaultRun(click.Group):
    """``hedgelab stress X ...`` means ``hedgelab stress run X ...`` unless X is a sub-command."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


def scenario_after_method(args: list[str]) -> list[str]:
    """``--method scenario NAME`` (the documented form) as ``--method scenario --scenario NAME``.

    click reads NAME as one more STRATEGY; the word right after ``--method scenario`` is the
    scenario's name unless ``--scenario`` names it elsewhere (then it is a strategy, as written)."""
    if any(a == "--scenario" or a.startswith("--scenario=") for a in args):
        return args
    out = list(args)
    for i, a in enumerate(out):
        if a == "--":
            break
        if a == "--method=scenario":
            k = i + 1
        elif a == "--method" and i + 1 < len(out) and out[i + 1] == "scenario":
            k = i + 2
        else:
            continue
        if k < len(out) and out[k] != "--" and not out[k].startswith("-"):
            out.insert(k, "--scenario")
        break
    return out


class _ScenarioRun(click.Command):
    def parse_args(self, ctx, args):
        return super().parse_args(ctx, scenario_after_method(args))


@cli.group("stress", cls=_DefaultRun)
def stress_group():
    """Stress tests: survival odds over many generated market paths, and reverse stress.

    \b
    Examples:
      hedgelab stress hold perp-hedge leveraged-long --method bootstrap --paths 1000 --seed 1
      hedgelab stress leveraged-long --method scenario support-80k --paths 200 --seed 1
      hedgelab stress perp-hedge -g hedge_ratio=0:1:5 -g leverage=2,5,10 --paths 100
      hedgelab stress reverse leveraged-long --at "2025-10-10 21:00"
    """


def table_text(table) -> str:
    lines = []
    for _, r in table.iterrows():
        cells = []
        for _, key, fmt in TABLE:
            v = r[key]
            # an empty hedge cost is a run that held no hedge (reports/figures.py), as in compare's table
            none = key.startswith("hedge_cost") and r.get("hedge") == "none"
            cells.append("no hedge" if none else "n/a" if v != v else fmt.format(v))
        lines.append(cells)
    head = [h for h, _, _ in TABLE]
    widths = [max(len(h), *(len(line[i]) for line in lines)) if lines else len(h) for i, h in enumerate(head)]

    def fmt(cells):
        return "  ".join(c.ljust(w) if i == 1 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    return "\n".join([fmt(head), fmt(["-" * w for w in widths]), *map(fmt, lines),
                      "hedge cost: USD paid for the hedge (funding + fees + options net; - = the hedge earned), "
                      "for runs whose replay held one"])


@stress_group.command("run", cls=_ScenarioRun)
@click.argument("strategies", nargs=-1)
@click.option("--method", type=click.Choice(["shock", "bootstrap", "garch", "jump", "scenario"]),
              default=None, help="Path generator  [default: bootstrap; scenario with --scenario]. "
                                 "'--method scenario NAME' names the scenario right after it.")
@click.option("--scenario", "scenario", default=None, metavar="NAME",
              help=f"A named scenario (implies --method scenario): {', '.join(SCENARIOS)}.")
@click.option("--paths", type=int, default=DEFAULT_STRESS_PATHS, show_default=True, help="Number of paths.")
@click.option("--seed", type=int, default=0, show_default=True, help="Root seed (path k uses the seed and k).")
@click.option("--horizon", default="30d", show_default=True, help="Length of each path from --start (e.g. 30d, 72h).")
@click.option("--cascade", is_flag=True, help="Deepen crash wicks by a liquidation cascade through an OI book.")
@click.option("--at", "at", default=None, metavar="TIME", help="shock/scenario start (default: random per path).")
@click.option("--drop", type=float, default=-0.107, show_default=True, help="shock size, a decimal (-0.107).")
@click.option("--kind", type=click.Choice(["wick", "gap"]), default="wick", show_default=True, help="shock kind.")
@click.option("--margin", "break_margin", type=float, default=0.05, show_default=True,
              help="support-80k: how far below 80k the break goes (decimal).")
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE", help="A strategy parameter.")
@click.option("-g", "--grid", "grid", multiple=True, metavar="NAME=V1,V2|NAME=START:STOP:COUNT",
              help="Sweep a parameter (one STRATEGY); two axes give a survival heatmap.")
@click.option("--cluster", default=None, metavar="SPEC",
              help="Dask: local, local-processes[:N], tcp://HOST:PORT or a scheduler file (default: in-process).")
@click.option("--chunk", type=click.IntRange(min=1), default=None, help="Paths per chunk (default: automatic).")
@shared_options
def stress_run(strategies, method, scenario, paths, seed, horizon, cascade, at, drop, kind, break_margin, params,
               grid, cluster, chunk, **kwargs):
    """Survival odds of STRATEGIES (default: every built-in) over generated paths."""
    from hedgelab.runner.execute import time_limit
    opts, conf = cli_options(click.get_current_context(), dict(kwargs, cluster=cluster))
    with time_limit(opts.timeout, "--timeout {}"):
        return _stress_run(opts, conf, strategies, method, scenario, paths, seed, horizon, cascade, at, drop, kind,
                           break_margin, params, grid, chunk)


def _stress_run(opts, conf, strategies, method, scenario, paths, seed, horizon, cascade, at, drop, kind, break_margin,
                params, grid, chunk):
    from hedgelab.runner.execute import finish_line
    from hedgelab.runner.stress import StressTest, run_stress
    names = list(strategies)
    if scenario is not None and method not in (None, "scenario"):
        raise UserError(f"--scenario {scenario} goes with --method scenario, not --method {method}")
    method = method or ("scenario" if scenario is not None else "bootstrap")
    if method == "scenario" and scenario is None:
        raise UserError(f"--method scenario needs a NAME right after it (or --scenario NAME): one of "
                        f"{', '.join(SCENARIOS)}")
    if scenario is not None and scenario not in SCENARIOS:
        raise UserError(f"unknown scenario {scenario!r}: one of {', '.join(SCENARIOS)}")
    values = parse_params(params)
    if len(names) > 1 and values:
        raise UserError("stress: -p applies to one STRATEGY; for several use a --config with [params.NAME] tables")
    if len(names) == 1:
        per = dict(params_for(conf, names[0]), **values)
    else:
        per = params_per_strategy({k: v for k, v in (conf.get("params") or {}).items() if isinstance(v, dict)})
    test = StressTest(method=method, scenario=scenario, paths=paths, seed=seed, horizon=horizon, cascade=cascade,
                      at=at, drop=drop, kind=kind, margin=break_margin, chunk=chunk)
    res = run_stress(opts, test, names or None, params=per or None, grid=parse_grid(grid) or None)
    finish_line()   # out of time (--timeout): stopped here, nothing written
    out = res.write(opts.out)
    if not opts.quiet:
        from hedgelab.reports.stress_page import caption
        click.echo(table_text(res.table))
        click.echo("")
        click.echo(caption(res.meta))
        click.echo(f"model: {res.meta['description']}")
    click.echo(f"report: {out / 'stress.html'}")
    for line in res.meta.get("warnings", ()):
        click.echo(f"warning: {line}", err=True)
    for name, reason in res.failures.items():
        click.echo(f"failed: {name}: {reason}", err=True)
    if res.failures:
        raise SystemExit(1)
    return 0


@stress_group.command("reverse")
@click.argument("strategy")
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE", help="A strategy parameter.")
@click.option("--at", "at", required=True, metavar="TIME", help="When the drop hits (UTC bar open).")
@click.option("--max-loss", type=float, default=None,
              help="Instead of liquidation: the drop that loses this share of equity (decimal, e.g. 0.2).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@shared_options
def stress_reverse(strategy, params, at, max_loss, as_json, **kwargs):
    """Smallest instantaneous move at --at, a drop or a rally (with the IV response), that liquidates
    STRATEGY's account: both directions are searched and the smaller move is reported first (a short
    leg is liquidated by a rally)."""
    from hedgelab.runner.execute import time_limit
    opts, conf = cli_options(click.get_current_context(), kwargs)
    with time_limit(opts.timeout, "--timeout {}"):
        return _stress_reverse(opts, conf, strategy, params, at, max_loss, as_json)


def _stress_reverse(opts, conf, strategy, params, at, max_loss, as_json):
    import json
    from hedgelab.runner.execute import finish_line
    from hedgelab.runner.prepare import prepare_run
    from hedgelab.stress.reverse import MAX_DROP, MAX_RALLY, reverse_stress
    from hedgelab.stress.run import Entry
    from hedgelab.stress.window import bar_at
    values = params_for(conf, strategy)
    values.update(parse_params(params))
    run = prepare_run(opts, [(strategy, [values])])
    job = run.jobs[0]
    if job.problem is not None:
        raise UserError(f"strategy {strategy!r}: {job.problem}")
    entry = Entry(strategy, job.cls, job.param_sets, (strategy,), job.margin_mode)
    dataset, market = run.dataset, run.market
    res = reverse_stress(entry, market, bar_at(market, at), venue=opts.venue, capital=opts.capital,
                         max_loss=max_loss, symbol=run.symbol)
    finish_line()
    data = {"move": res.move, "direction": res.direction, "drop": res.drop, "trough_price": res.trough_price,
            "rally": res.rally, "peak_price": res.peak_price, "reference_price": res.reference_price,
            "criterion": res.criterion, "at": res.at, "already_liquidated": res.already,
            "data": dataset.manifest.get("name"), "data_kind": dataset.manifest.get("kind")}
    for line in run.warnings:   # --start/--end beyond the data: the window it ran on, as a backtest says it
        click.echo(f"warning: {line}", err=True)
    if as_json:
        click.echo(json.dumps(data))
        return 0
    if res.already:
        click.echo(f"{strategy}: already liquidated before {res.at} without any shock")
    elif res.direction is None:
        click.echo(f"{strategy}: no move at {res.at} breaches {res.criterion} (no drop up to "
                   f"{MAX_DROP:.0%}, no rally up to +{MAX_RALLY:.0%})")
    else:
        down = (f"a drop of {res.drop:.2%} (mark {res.reference_price:,.0f} -> {res.trough_price:,.0f} USD)"
                if res.drop is not None else f"no drop up to {MAX_DROP:.0%}")
        up = (f"a rally of {res.rally:.2%} (mark {res.reference_price:,.0f} -> {res.peak_price:,.0f} USD)"
              if res.rally is not None else f"no rally up to +{MAX_RALLY:.0%}")
        first, other = (down, up) if res.direction == "down" else (up, down)
        click.echo(f"{strategy}: {first} at {res.at} breaches {res.criterion}; the other way, {other}"
                   + (" does" if other.startswith("a ") else ""))
    click.echo(f"data: {data['data']} ({data['data_kind']})")
    return 0
