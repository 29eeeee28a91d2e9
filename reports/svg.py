"""Tiny static SVG charts for the tearsheets: a few polylines or bars, drawn in microseconds.

The tearsheets used to draw a dozen matplotlib figures each (about a second per page); a daily curve
of a few hundred points needs none of that. Labels go through ``html.escape``; numbers are plain.
"""
from __future__ import annotations

import html

import numpy as np
import pandas as pd

W, H, PAD_L, PAD_R, PAD_T, PAD_B = 860, 220, 64, 12, 26, 28


def _ticks(lo: float, hi: float, n: int = 5) -> np.ndarray:
    """Round tick values covering [lo, hi] (1, 2, 2.5, 5 x 10^k steps)."""
    span = hi - lo if hi > lo else abs(hi) or 1.0
    raw = span / n
    mag = 10 ** np.floor(np.log10(raw))
    step = next(s * mag for s in (1, 2, 2.5, 5, 10) if s * mag >= raw)
    return np.arange(np.ceil(lo / step) * step, hi + step * 0.5, step)


def _fmt(v: float, pct: bool) -> str:
    v = 0.0 if abs(v) < 1e-12 else v  # no "-0%"
    if pct:
        return f"{v * 100:.0f}%" if abs(v) >= 0.1 or v == 0 else f"{v * 100:.1f}%"
    return f"{v:,.0f}"


def chart(series: list[pd.Series], names: list[str], colors: list[str], title: str, *, pct: bool = False,
          bars: bool = False, zero: bool = True) -> str:
    """One SVG with a line (or bar) per series on a shared time axis; NaN points break the line."""
    idx = series[0].index
    t = (idx - idx[0]).total_seconds().to_numpy() if len(idx) else np.zeros(0)
    t_hi = t[-1] if len(t) and t[-1] > 0 else 1.0
    values = np.concatenate([s.to_numpy(dtype="float64") for s in series])
    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    if zero:
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    if hi == lo:
        hi = lo + (abs(lo) or 1.0)
    ticks = _ticks(lo, hi)
    lo, hi = min(lo, ticks[0]), max(hi, ticks[-1])
    x = lambda v: PAD_L + (W - PAD_L - PAD_R) * v / t_hi  # noqa: E731
    y = lambda v: PAD_T + (H - PAD_T - PAD_B) * (hi - v) / (hi - lo)  # noqa: E731
    out = [f'<svg class="chart" viewBox="0 0 {W} {H}" width="100%" role="img" xmlns="http://www.w3.org/2000/svg">',
           f'<text x="{PAD_L}" y="16" font-size="13" font-weight="600">{html.escape(title)}</text>']
    for v in ticks:
        out.append(f'<line x1="{PAD_L}" x2="{W - PAD_R}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#eee"/>'
                   f'<text x="{PAD_L - 6}" y="{y(v) + 4:.1f}" font-size="11" text-anchor="end" fill="#666">'
                   f"{_fmt(v, pct)}</text>")
    if len(idx):
        for frac in (0.0, 0.5, 1.0):
            k = int(round(frac * (len(idx) - 1)))
            anchor = "start" if frac == 0 else "end" if frac == 1 else "middle"
            out.append(f'<text x="{x(t[k]):.1f}" y="{H - 8}" font-size="11" text-anchor="{anchor}" fill="#666">'
                       f"{idx[k]:%Y-%m-%d}</text>")
    if zero and lo < 0 < hi:
        out.append(f'<line x1="{PAD_L}" x2="{W - PAD_R}" y1="{y(0):.1f}" y2="{y(0):.1f}" stroke="#999"/>')
    for s, color in zip(series, colors):
        v = s.to_numpy(dtype="float64")
        if bars:
            bw = max((W - PAD_L - PAD_R) / max(len(v), 1) - 1, 1)
            out.extend(f'<rect x="{x(t[i]) - bw / 2:.1f}" y="{min(y(v[i]), y(0)):.1f}" width="{bw:.1f}" '
                       f'height="{abs(y(v[i]) - y(0)):.1f}" fill="{"#b00" if v[i] < 0 else "#070"}"/>'
                       for i in range(len(v)) if np.isfinite(v[i]))
            continue
        pts, runs = [], []
        for i in range(len(v)):
            if np.isfinite(v[i]):
                pts.append(f"{x(t[i]):.1f},{y(v[i]):.1f}")
            elif pts:
                runs.append(pts)
                pts = []
        runs.append(pts)
        out.extend(f'<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{" ".join(p)}"/>'
                   for p in runs if p)
    legend_x = PAD_L + 8
    if len(series) > 1:
        for name, color in zip(names, colors):
            out.append(f'<text x="{legend_x}" y="{PAD_T + 14}" font-size="11" fill="{color}">'
                       f"&#8212; {html.escape(name)}</text>")
            legend_x += 16 + 7 * len(name)
    out.append("</svg>")
    return "".join(out)
