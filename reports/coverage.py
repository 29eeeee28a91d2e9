"""How much of a window the funding settlements and IV prints cover: first, last and missing ranges.

Expected settlements are the venue clock's (every ``hours`` from 00:00 UTC) inside the price bars' range,
so a funding file that starts two weeks after the prices reports those two weeks as missing instead
of "missing settlements: 0". IV is a level carried forward between prints: a gap is a stretch longer
than ``max_gap`` without a print.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass
class Coverage:
    what: str
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    expected: int
    present: int
    missing: list = field(default_factory=list)   # [(first missing, last missing, count)]
    unit: str = "due in the window"

    @property
    def complete(self) -> bool:
        return not self.missing

    def lines(self) -> list[str]:
        span = f"{self.first:%Y-%m-%d %H:%M} .. {self.last:%Y-%m-%d %H:%M} UTC" if self.first is not None else "none"
        out = [f"{self.what}: {span}; {self.present} of {self.expected} {self.unit} covered, "
               f"{sum(n for *_, n in self.missing)} missing"]
        out += [f"  missing {a:%Y-%m-%d %H:%M} .. {b:%Y-%m-%d %H:%M} UTC ({n})" for a, b, n in self.missing]
        return out


def funding_coverage(settlements: pd.DatetimeIndex, hours: float, start, end) -> Coverage:
    """Settlements due every ``hours`` h (from 00:00 UTC) in [start, end] against those present."""
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    step = pd.Timedelta(hours=float(hours))
    first_due = start.floor("D") + step * -(-(start - start.floor("D")) // step)
    due = pd.date_range(first_due, end, freq=step)
    have = settlements[(settlements >= start) & (settlements <= end)]
    missing = due.difference(have)
    # a missing stretch on the regular grid, split where the grid is interrupted by settlements present
    runs = []
    if len(missing):
        pos = due.get_indexer(missing)
        cut = [0] + [i for i in range(1, len(pos)) if pos[i] != pos[i - 1] + 1] + [len(pos)]
        runs = [(missing[a], missing[b - 1], b - a) for a, b in zip(cut[:-1], cut[1:])]
    return Coverage("funding settlements", have[0] if len(have) else None, have[-1] if len(have) else None,
                    len(due), len(due) - len(missing), runs)


def iv_coverage(prints: pd.DatetimeIndex, start, end, max_gap=pd.Timedelta(hours=2)) -> Coverage:
    """Stretches of [start, end] longer than ``max_gap`` without an IV print (before the first, between
    prints, after the last)."""
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    have = prints[(prints >= start) & (prints <= end)]
    edges = [start] + list(have) + [end]
    gaps = []
    for a, b in zip(edges[:-1], edges[1:]):
        if b - a > max_gap:
            gaps.append((a, b, int((b - a) // pd.Timedelta(hours=1))))
    hours = int((end - start) // pd.Timedelta(hours=1))
    return Coverage("IV prints", have[0] if len(have) else None, have[-1] if len(have) else None,
                    hours, hours - sum(n for *_, n in gaps), gaps, unit="hours of the window (a gap: over 2 h "
                    "without a print)")


def warnings(dataset, start, end) -> list[str]:
    """One-line warnings for a run's window [start, end] when funding or IV does not cover it."""
    out = []
    hours = (dataset.manifest or {}).get("funding_interval_hours")
    if hours:
        cov = funding_coverage(dataset.funding.index, hours, start, end)
        if not cov.complete:
            ranges = "; ".join(f"{a:%Y-%m-%d %H:%M} to {b:%Y-%m-%d %H:%M} UTC ({n})" for a, b, n in cov.missing[:5])
            out.append(f"WARNING funding: {cov.expected - cov.present} of {cov.expected} settlements due in the "
                       f"window are missing ({ranges}); no funding is paid or received there.")
    if len(dataset.iv):
        cov = iv_coverage(dataset.iv.index, start, end)
        if not cov.complete:
            ranges = "; ".join(f"{a:%Y-%m-%d %H:%M} to {b:%Y-%m-%d %H:%M} UTC" for a, b, _ in cov.missing[:5])
            out.append(f"WARNING IV: no print for more than 2 h in {len(cov.missing)} stretch(es) of the window "
                       f"({ranges}); the last IV is carried across them (see the IV fill rule).")
    return out
