"""The comparison page's ``stress`` section: survival odds of each run over generated paths.

Shown only when the backtest also ran a stress test (``--stress``): a compact table per run from the
same rows as stress.csv (survival, 95 % expected shortfall of loss, median time to the first
liquidation, stress rank against replay rank), captioned with the method, paths, seed, horizon and
data kind, and a link to the full stress.html written beside report.html.
"""
from __future__ import annotations

import html

from .sections import finite, usd
from .stress_page import caption

esc = html.escape
STRESS_PAGE = "stress.html"


def survival_pct(x) -> str:
    return f"{x * 100:.1f}%" if finite(x) else "–"


def hours(x) -> str:
    # NaN: no path was liquidated, so there is no time to the first liquidation
    return f"{x:,.0f} h" if finite(x) else "none liquidated"


def stress_section(stress) -> str:
    """``<section id='stress'>`` for a StressResult, or "" when no stress test ran."""
    if stress is None:
        return ""
    rows = []
    for _, r in stress.table.iterrows():
        moved = int(r["rank_replay"]) - int(r["rank_stress"])
        change = "same place" if moved == 0 else f"{'up' if moved > 0 else 'down'} {abs(moved)} place{'s' * (abs(moved) > 1)}"
        rows.append(f"<tr><td>{int(r['rank_stress'])}</td><td class='l'>{esc(str(r['run']))}</td>"
                    f"<td>{survival_pct(r['survival'])}</td><td>{usd(r['es95_loss'])}</td>"
                    f"<td>{hours(r['ttl_median_h'])}</td><td>{int(r['rank_replay'])}</td>"
                    f"<td class='l'>{change}</td></tr>")
    failed = "".join(f"<li><b>{esc(str(k))}</b>: {esc(str(v))}</li>" for k, v in stress.failures.items())
    head = ("<tr><th>stress rank</th><th class='l'>run</th><th>survival (share of paths with no liquidation)</th>"
            "<th>ES 95 % loss (USD, mean of the worst 5 % of paths)</th>"
            "<th>median hours from the start to the first liquidation (liquidated paths)</th><th>replay rank (final equity)</th>"
            "<th class='l'>vs replay</th></tr>")
    return ("<section id='stress'><h2>Stress test</h2>"
            f"<p class='note' id='stress-caption'>{esc(caption(stress.meta))}. Model: "
            f"{esc(str(stress.meta.get('description', '')).rstrip('.'))}. Stress rank: survival first, then ES 95 % loss; "
            "replay rank: final equity of the single replay of the same window.</p>"
            f"<div class='scroll'><table class='stress'><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table></div>"
            + (f"<p class='note'>Not stress-tested:</p><ul>{failed}</ul>" if failed else "")
            + f"<p><a id='stress-link' href='{STRESS_PAGE}'>Full stress report (fan charts, survival curves, "
              f"final equity distribution)</a>; the numbers are in stress.csv and stress_paths.csv.</p></section>")
