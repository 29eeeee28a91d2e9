"""``hedgelab strategies``: every strategy that loads, its parameters, and the plugins that did not load."""
from __future__ import annotations

from pathlib import Path

import click

from hedgelab.cli import cli


def describe_param(name: str, p) -> str:
    """One parameter line: name, type, default, allowed range or choices, doc."""
    kind = p.type.__name__
    default = p.default
    if isinstance(default, bool):
        default = str(default).lower()
    elif isinstance(default, float):
        default = f"{default:g}"
    if p.choices:
        allowed = "one of " + ", ".join(map(str, p.choices))
    elif p.low is not None or p.high is not None:
        low = "-inf" if p.low is None else f"{p.low:g}"
        high = "inf" if p.high is None else f"{p.high:g}"
        allowed = f"[{low}, {high}]"
    else:
        allowed = ""
    parts = [f"{name}={default}", f"({kind}{', ' + allowed if allowed else ''})"]
    if p.doc:
        parts.append(f"- {p.doc}")
    return " ".join(parts)


def describe(cls, source: str) -> list[str]:
    tags = [cls.margin_mode]
    if getattr(cls, "uses_options", False):
        tags.append("options")
    if source != "builtin":
        tags.append(f"from {source}")
    lines = [f"{cls.name}  [{', '.join(tags)}]", f"    {cls.description or '(no description)'}"]
    params = cls.params()
    if not params:
        lines.append("    (no parameters)")
    for name, p in params.items():
        lines.append("    " + describe_param(name, p))
    return lines


@cli.command("strategies")
@click.option("--strategies-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also list the strategies in this folder.")
def strategies_cmd(strategies_dir):
    """List the strategies with their parameters (default, allowed range) and descriptions."""
    from hedgelab.strategies import discover
    found = discover(strategies_dir)
    blocks = [describe(cls, found.sources.get(name, "builtin")) for name, cls in found.strategies.items()]
    click.echo("\n\n".join("\n".join(b) for b in blocks))
    for failure in found.failures:
        click.echo(f"failed to load: {failure.name} ({failure.source}): {failure.reason}", err=True)
    if found.failures:
        raise SystemExit(1)
    return 0
