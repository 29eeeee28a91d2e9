"""The scenario matrix of a comparison, on the page (``<section id='scenarios'>``, after the ranking) and in
the terminal (after the ranking table): survival and loss per run x named scenario.

It reads a ``stress.matrix.ScenarioMatrix`` (``cells``, ``scenarios``, ``meta``, ``failures``; this layer
does not import stress). The words that say how a cell is made are written once here, for both outputs.
"""
from __future__ import annotations

import html
import math

esc = html.escape


def _kind(meta) -> str:
    kind = str(meta.get("data_kind", "?"))
    return {"reconstruction": "a RECONSTRUCTION, not recorded market data", "real": "real market data",
            "imported": "imported market data"}.get(kind, kind)


def paths_text(meta) -> str:
    """What the paths are and where the scenarios start."""
    return (f"SYNTHETIC scenario paths (not what happened) built on {meta.get('data')} ({_kind(meta)}): each "
            f"scenario applied once, deterministically, from {meta['start']} UTC, {meta['lead_days']:g} days after "
            f"the window's first bar ({meta['first_bar']} UTC; every strategy then holds its positions), to the "
            f"runs above (same parameters, venue, margin mode, capital and costs; ADL off)")


def cells_text(meta) -> str:
    """What a cell says: survival and loss, with their unit and window."""
    return (f"survival: survived or LIQUIDATED (a perp liquidation from the window's first bar to the cell's end), "
            f"{meta['starts']} start per cell; loss: USD, equity at the scenario's start (the close before "
            f"{meta['start']}) minus equity {meta['after_h']:g} h after the scenario's last point (+ = lost, - = gained)")


def how(meta) -> str:
    return f"{paths_text(meta)}. {cells_text(meta)}"


def reproduce(meta, name: str = "NAME", horizon: str = "H") -> str:
    """The stress command whose path and run a column's cells are (its final equity and survival)."""
    return f"hedgelab stress STRATEGY --method scenario {name} --at \"{meta['start']}\" --horizon {horizon}h --paths 1"


def _loss(x) -> str:
    return f"{x:,.0f}" if math.isfinite(x) else "–"


def _ordered(matrix, order):
    runs = list(dict.fromkeys(matrix.cells["run"]))
    first = [r for r in (order or []) if r in runs]
    return first + [r for r in runs if r not in first]


def _ran(matrix):
    return [r for _, r in matrix.scenarios.iterrows() if not r["skipped"]]


def lines(matrix, order=None) -> list[str]:
    """The terminal block: a caption, the table (a cell: ok or LIQ, then the loss in USD), what was left out."""
    if matrix is None:
        return []
    meta = matrix.meta
    ran = _ran(matrix)
    if not ran:
        return [f"scenario matrix: not made: {none_ran(matrix)}"]
    out = [f"scenario matrix: {paths_text(meta)}", cells_text(meta)]
    if ran and len(matrix.cells):
        by = {(c["run"], c["scenario"]): c for _, c in matrix.cells.iterrows()}
        runs = _ordered(matrix, order)
        head = ["run"] + [s["name"] for s in ran]
        rows = []
        for run in runs:
            row = [run]
            for s in ran:
                c = by.get((run, s["name"]))
                row.append("" if c is None else f"{'ok' if c['survival'] == 1 else 'LIQ'} {_loss(c['loss_usd'])}")
            rows.append(row)
        width = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]

        def fmt(cells):
            return "  ".join(c.ljust(w) if i == 0 else _spread(c, w) for i, (c, w) in enumerate(zip(cells, width))).rstrip()
        out += [fmt(head), fmt(["-" * w for w in width]), *map(fmt, rows)]
        out.append("cell: ok (survived) or LIQ (liquidated), then the loss in USD; a column's paths and runs are "
                   + reproduce(meta) + " (H: " + ", ".join(f"{s['name']} {s['horizon_h']:g}" for s in ran) + ")")
    for _, s in matrix.scenarios.iterrows():
        if s["skipped"]:
            out.append(f"scenario {s['name']} not run: {s['skipped']}")
    for run, reason in matrix.failures.items():
        out.append(f"scenario matrix: {run} failed: {reason}")
    return out


def none_ran(matrix) -> str:
    """Why no scenario ran, in one line: the window too short for each (how many days each needs), or its own
    reason."""
    meta, sc = matrix.meta, matrix.scenarios
    short = sc["skipped"].str.startswith("needs ")
    out = []
    if short.any():
        out.append(f"the window has {math.floor(meta['window_days'] * 10) / 10:.1f} days of bars; a scenario needs {meta['lead_days']:g} days "
                   f"before its start and {meta['after_h']:g} h after its last point: "
                   + ", ".join(f"{r['name']} {r['need_days']:.1f} days" for _, r in sc[short].iterrows()))
    out += [f"{r['name']}: {r['skipped']}" for _, r in sc[~short].iterrows()]
    return "; ".join(out)


def _spread(cell: str, width: int) -> str:
    """'ok 1,234' with the word on the left and the number on the right of its column."""
    word, _, num = cell.partition(" ")
    return word + num.rjust(width - len(word)) if num else cell.rjust(width)


def section(matrix, order=None) -> str:
    """``<section id='scenarios'>``, or "" without a matrix (``--no-scenarios``, a basket run)."""
    if matrix is None:
        return ""
    meta = matrix.meta
    ran = _ran(matrix)
    if not ran:
        return ("<section id='scenarios'><h2>Scenario matrix</h2><p class='note' id='scenarios-caption'>Not made: "
                f"{esc(none_ran(matrix))}.</p></section>")
    parts = ["<section id='scenarios'><h2>Scenario matrix</h2>",
             f"<p class='note' id='scenarios-caption'>{esc(how(meta))}.</p>"]
    if ran and len(matrix.cells):
        by = {(c["run"], c["scenario"]): c for _, c in matrix.cells.iterrows()}
        heads = "".join(f"<th>{esc(s['name'])}<br><span class='note'>to {esc(s['end'])} UTC; survival, loss "
                        f"(USD)</span></th>" for s in ran)
        body = []
        for run in _ordered(matrix, order):
            first = next((c for (r, _), c in by.items() if r == run), None)
            tds = []
            for s in ran:
                c = by.get((run, s["name"]))
                if c is None:
                    tds.append("<td>–</td>")
                    continue
                when = (f"at +{c['liquidation_h']:,.0f} h" if c["liquidation_h"] > 0 else
                        "before the start")   # in the week before it, on the window's own bars
                tag = ("<span class='tag ok'>survived</span>" if c["survival"] == 1 else
                       f"<span class='tag liq'>LIQUIDATED</span><br><span class='note'>{when}</span>")
                tds.append(f"<td>{tag}<br>loss {esc(_loss(c['loss_usd']))}</td>")
            start = "–" if first is None else _loss(first["start_equity_usd"])
            body.append(f"<tr><td class='l'>{esc(str(run))}</td><td>{start}</td>{''.join(tds)}</tr>")
        parts.append("<div class='scroll'><table class='scenarios' id='scenario-matrix'><thead><tr><th class='l'>run</th>"
                     f"<th>equity at the start (USD, close before {esc(meta['start'])} UTC)</th>{heads}</tr></thead>"
                     f"<tbody>{''.join(body)}</tbody></table></div>")
        parts.append("<p class='note'>The hours of a liquidation count from the scenario's start. Each column's path and "
                     f"run are those of <code>{esc(reproduce(meta))}</code> with the "
                     "column's horizon below (its final equity and survival; the loss is the equity at the start "
                     "minus that final equity).</p>")
    items = []
    for _, s in matrix.scenarios.iterrows():
        where = (f"<b>not run</b>: {esc(s['skipped'])}" if s["skipped"] else
                 f"from {esc(s['start'])} to {esc(s['end'])} UTC, horizon {s['horizon_h']:g} h from the window's first "
                 f"bar: <code>{esc(reproduce(meta, s['name'], format(s['horizon_h'], 'g')))}</code>")
        items.append(f"<li><b>{esc(s['name'])}</b>: {esc(s['facts'])} <span class='note'>{where}</span></li>")
    parts.append(f"<details><summary>The scenarios: shapes and sources</summary><ul id='scenario-facts'>{''.join(items)}"
                 "</ul></details>")
    if matrix.failures:
        failed = "".join(f"<li><b>{esc(str(k))}</b>: {esc(str(v))}</li>" for k, v in matrix.failures.items())
        parts.append(f"<p class='note'>Not in the matrix (failed on a scenario path):</p><ul>{failed}</ul>")
    return "".join(parts) + "</section>"
