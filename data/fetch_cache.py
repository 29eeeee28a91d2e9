"""Raw pages of a fetch, kept on disk so that an interrupted or repeated fetch resumes where it stopped.

Each fetched page is one parquet file named by the half-open time range it *covers*
(``<from_ms>-<to_ms>.parquet``, rows with from <= ts < to), written to a temp file and renamed into
place (the temp file carries the writer's pid and start time: a page in flight when its process was
killed is deleted when the series is next opened). A crash therefore loses at most the page in
flight, and the names alone say which time ranges
are done -- including ranges that had no rows (an empty page still records that it was asked).
A later fetch asks only for the ranges not covered yet.

The cache lives in ``<store>/.fetch/<dataset>/<series>/`` (the leading dot keeps it out of
``hedgelab data list``).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from hedgelab.core import tempdirs as _tempdirs

_CHUNK = re.compile(r"^(\d{13,})-(\d{13,})\.parquet$")


def cache_root(store: Path, name: str) -> Path:
    return Path(store) / ".fetch" / name


def atomic_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` to ``path`` through a temp file in the same folder and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / _tempdirs.temp_name(path.name, "tmp")
    try:
        frame.to_parquet(tmp, engine="pyarrow", index=isinstance(frame.index, pd.DatetimeIndex))
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def merge_intervals(intervals) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


class SeriesCache:
    """The cached pages of one series (e.g. Binance BTCUSDT 1h mark klines) of one dataset."""

    def __init__(self, root: Path, key: str, columns: list[str], unique: str = "ts"):
        self.dir = Path(root) / key
        self.columns = ["ts", *columns]
        self.unique = unique  # column that identifies a row (ts for candles, trade_id for trades)
        for page, _, _ in _tempdirs.orphans(self.dir):  # pages in flight when their fetch was killed
            page.unlink(missing_ok=True)

    def _chunks(self) -> list[tuple[int, int, Path]]:
        if not self.dir.is_dir():
            return []
        out = []
        for p in self.dir.iterdir():
            m = _CHUNK.match(p.name)
            if m:
                out.append((int(m.group(1)), int(m.group(2)), p))
        return sorted(out)

    def covered(self) -> list[tuple[int, int]]:
        return merge_intervals((a, b) for a, b, _ in self._chunks())

    def missing(self, start: int, end: int) -> list[tuple[int, int]]:
        """Sub-ranges of [start, end) that no page covers yet, oldest first."""
        gaps, cursor = [], start
        for a, b in self.covered():
            if b <= cursor or a >= end:
                continue
            if a > cursor:
                gaps.append((cursor, a))
            cursor = max(cursor, b)
        if cursor < end:
            gaps.append((cursor, end))
        return gaps

    def append(self, a: int, b: int, rows: list) -> None:
        """Record one page: ``rows`` (tuples in ``columns`` order, ts first) covering [a, b)."""
        frame = pd.DataFrame.from_records(rows, columns=self.columns) if rows else self._empty()
        frame["ts"] = frame["ts"].astype("int64")
        atomic_parquet(frame, self.dir / f"{a:013d}-{b:013d}.parquet")

    def _empty(self) -> pd.DataFrame:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "ts" else "object") for c in self.columns})

    def read(self, start: int | None = None, end: int | None = None) -> pd.DataFrame:
        """All cached rows with start <= ts < end, sorted by ts, without duplicates."""
        frames = [pd.read_parquet(p) for _, _, p in self._chunks()]
        frames = [f for f in frames if len(f)]
        if not frames:
            return self._empty()
        frame = pd.concat(frames, ignore_index=True)
        frame = frame.drop_duplicates(subset=[self.unique], keep="last").sort_values(["ts", self.unique])
        if start is not None:
            frame = frame[frame["ts"] >= start]
        if end is not None:
            frame = frame[frame["ts"] < end]
        return frame.reset_index(drop=True)

    def compact(self) -> None:
        """Merge the pages of each contiguous covered range into one file (then drop the pages).

        The merged file is in place before any page is removed, so a crash in between leaves
        duplicates (removed on read), never a hole.
        """
        chunks = self._chunks()
        for a, b in self.covered():
            parts = [(x, y, p) for x, y, p in chunks if a <= x and y <= b]
            if len(parts) < 2:
                continue
            frames = [f for f in (pd.read_parquet(p) for _, _, p in parts) if len(f)]
            merged = (pd.concat(frames, ignore_index=True).drop_duplicates(subset=[self.unique], keep="last")
                      .sort_values(["ts", self.unique]).reset_index(drop=True)) if frames else self._empty()
            target = self.dir / f"{a:013d}-{b:013d}.parquet"
            atomic_parquet(merged, target)
            for _, _, p in parts:
                if p != target:
                    p.unlink(missing_ok=True)
