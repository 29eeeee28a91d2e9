"""Summary rows of a summary-mode sweep, written to a parquet folder chunk by chunk as they arrive.

Layout: ``_plan.json`` (what sweep the rows belong to) and one ``chunk-NNNNNNN.parquet`` per finished
chunk (written to a temp name and renamed, so a crash never leaves half a chunk). Read together they
are one parquet dataset (``pd.read_parquet(folder)``): position, run, strategy, params (JSON), error
(why a hook's mistake stopped the run, else null) and the engine's summary columns. ``resume`` reads
finished chunks back instead of recomputing them; a folder made by a different sweep (other strategy,
sets, data or engine options) is refused, and the earlier run's chunk plan is reused so the finished
chunks line up.

While a sweep writes the folder, ``_owner`` names it (``<pid>-<start>``, as ``core/tempdirs`` tags temp
folders): a second sweep given the same folder (two ``hedgelab sweep`` with one ``--out``) is refused
instead of mixing its rows in; an owner that is gone (killed) is taken over. A folder that cannot be
what a sweep wrote (a plan without ``bounds``, a chunk without ``position``, NaN statistics in a run
without an error) is a ``RowsError``: one line, exit 2, the whole sweep stops (not one strategy).
"""
from __future__ import annotations

from pathlib import Path
import hashlib
import json
import os

import numpy as np
import pandas as pd

from hedgelab.core import tempdirs
from hedgelab.core.errors import UserError, one_line

PLAN = "_plan.json"   # a leading underscore: parquet readers skip it
OWNER = "_owner"      # the live sweep writing the folder: "<pid>-<start>"


class RowsError(UserError):
    """The rows folder itself cannot be used (damaged, another sweep's, written by another run now):
    the whole sweep stops with one line (exit 2), it is not one strategy's failure."""


ROW_KEYS = ("position", "run", "strategy", "params", "error")   # then the statistics
ROW_OPTIONS = ("data", "store", "start", "end", "venue", "margin_mode", "capital")


def open_rows(folder, *, resume: bool, strategy: str, param_sets: list, identity: dict, summary_only: bool):
    """The rows folder of a summary-mode sweep (None otherwise), checked before anything runs.

    ``identity``: the run's options; those of ROW_OPTIONS name the sweep with the strategy and sets."""
    if folder is None or not summary_only:
        if resume and folder is None:
            raise RowsError("--resume: no rows folder to resume from")
        return None
    h = hashlib.blake2b(digest_size=12)
    h.update(json.dumps([strategy, param_sets, {k: identity.get(k) for k in ROW_OPTIONS}], sort_keys=True,
                        default=str).encode())
    return RowsFolder(folder, h.hexdigest(), resume=resume, count=len(param_sets))


class RowsFolder:
    """``bounds``: the chunk plan of the earlier run being resumed (None for a new sweep), reused as
    is so that the finished chunks line up whatever the cluster now is."""

    def __init__(self, folder, sweep: str, *, resume: bool, count: int | None = None):
        self.folder = Path(folder)
        self.count = count
        if self.folder.exists() and not self.folder.is_dir():
            raise RowsError(f"{self.folder}: a file, where a sweep keeps its rows folder; move it or choose "
                            f"another --out")
        self._check_owner()   # another live sweep writing it: refused before any work
        found = self._plan()
        if found is not None and not resume:
            raise RowsError(f"{self.folder} holds the rows of an earlier sweep; add --resume to continue "
                            f"it, or choose another --out")
        if found is not None and found.get("sweep") != sweep:
            raise RowsError(f"--resume: {self.folder} belongs to a different sweep (strategy, grid, data or "
                            f"options changed); choose another --out")
        self.sweep = sweep
        self.found = found is not None
        self.bounds = [tuple(b) for b in found["bounds"]] if found else None
        self.market = found.get("market") if found else None

    def start(self, bounds, market_key: str) -> None:
        """Take the folder for this process, then record the chunk plan (a new sweep) or check the
        market is still the same data (resume)."""
        if self.market is not None and self.market != market_key:
            raise RowsError(f"--resume: the data changed since {self.folder} was written (market hash "
                            f"{market_key}, was {self.market}); choose another --out")
        self.folder.mkdir(parents=True, exist_ok=True)
        self._take()
        now = self._plan()
        if now is not None and (not self.found or now.get("sweep") != self.sweep):
            raise RowsError(f"{self.folder}: another sweep wrote its rows there since this one started; "
                            f"choose another --out")
        self.bounds, self.market = [tuple(b) for b in bounds], market_key
        self._write_plan(complete=False)

    def read(self, job):
        """The chunk's ``(statistic names, rows, errors)`` if it finished in an earlier run, else None;
        a chunk that is not what a sweep writes is a RowsError naming the file and what is wrong."""
        path = self._part(job)
        if not path.is_file():
            return None
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:  # noqa: BLE001 -- pyarrow's errors have no common base: any is damage
            raise self._damaged(path, f"unreadable ({one_line(exc)})") from None
        missing = [c for c in ROW_KEYS if c not in frame.columns]
        if missing:
            raise self._damaged(path, f"no column {missing[0]!r}")
        if frame["position"].tolist() != list(job.positions):
            raise RowsError(f"--resume: {path} does not hold the columns of chunk {job.chunk}; delete "
                            f"{self.folder} to start over")
        names = tuple(c for c in frame.columns if c not in ROW_KEYS)
        if "final_equity" not in names:
            raise self._damaged(path, "no column 'final_equity'")
        try:
            values = frame[list(names)].to_numpy(dtype="float64")
        except (TypeError, ValueError):
            bad = next(c for c in names if not pd.api.types.is_numeric_dtype(frame[c]))
            raise self._damaged(path, f"column {bad!r} is not numbers") from None
        errors = {}
        for j, text in enumerate(frame["error"]):
            if isinstance(text, str):
                errors[j] = text
            elif text is not None and not (isinstance(text, float) and np.isnan(text)):
                raise self._damaged(path, f"row {j}: error {text!r} is not a message")
        unsound = ~np.isfinite(values)
        unsound[list(errors)] = False
        if unsound.any():
            j, k = (int(x) for x in np.argwhere(unsound)[0])
            raise self._damaged(path, f"row {j} ({frame['run'].iloc[j]}): {names[k]} is {float(values[j, k])!r} in a run "
                                      f"without an error")
        return names, values, errors

    def _damaged(self, path: Path, what: str) -> RowsError:
        return RowsError(f"--resume: {path}: {what}; the rows folder is damaged: delete {self.folder} to start "
                         f"over")

    # ---- the owner: one live sweep writes the folder
    def _owner(self) -> tuple[str, int, int] | None:
        """(tag, pid, start) of the sweep named in ``_owner``, or None."""
        try:
            tag = (self.folder / OWNER).read_text().strip()
        except (OSError, UnicodeDecodeError):
            return None
        pid, _, start = tag.partition("-")
        if not (pid.isdigit() and start.isdigit()):
            return None   # not a tag: nobody's (a damaged file is taken over)
        return tag, int(pid), int(start)

    def _check_owner(self) -> None:
        held = self._owner()
        if held is not None and held[0] != tempdirs.owner_tag() and tempdirs.alive(held[1], held[2]):
            raise RowsError(f"{self.folder}: another hedgelab sweep (pid {held[1]}) is writing its rows there now; "
                            f"choose another --out")

    def _take(self) -> None:
        """Name this process in ``_owner``, atomically (a link never replaces a file another made)."""
        tag = tempdirs.owner_tag()
        lock = self.folder / OWNER
        tmp = self.folder / f".{OWNER}.{tag}"
        tmp.write_text(tag)
        try:
            for _ in range(3):
                try:
                    os.link(tmp, lock)
                    return
                except FileExistsError:
                    self._check_owner()   # a live other owner: refused
                    held = self._owner()
                    if held is not None and held[0] == tag:
                        return
                    lock.unlink(missing_ok=True)   # a killed sweep's: taken over
            self._check_owner()
        finally:
            tmp.unlink(missing_ok=True)

    def _release(self) -> None:
        held = self._owner()
        if held is not None and held[0] == tempdirs.owner_tag():
            (self.folder / OWNER).unlink(missing_ok=True)

    def write(self, job, names, values, errors) -> None:
        frame = pd.concat([pd.DataFrame({
            "position": list(job.positions), "run": list(job.labels), "strategy": job.strategy,
            # declaration order kept (not sorted): the summary adds one column per parameter in it
            "params": [json.dumps(p, default=float) for p in job.param_sets],
            "error": pd.Series([errors.get(j) for j in range(len(job.positions))], dtype=object)}),
            pd.DataFrame(values, columns=list(names))], axis=1)
        path = self._part(job)
        tmp = path.with_name(f".{path.name}.tmp")
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, path)

    def complete(self) -> None:
        self._write_plan(complete=True)
        self._release()

    def _part(self, job) -> Path:
        return self.folder / f"chunk-{job.chunk:07d}.parquet"

    def _plan(self):
        path = self.folder / PLAN
        if not path.is_file():
            return None
        try:
            plan = json.loads(path.read_text())
        except (OSError, ValueError):
            raise RowsError(f"{path}: unreadable sweep plan; delete {self.folder} to start over") from None
        problem = _plan_problem(plan, self.count)
        if problem:
            raise RowsError(f"{path}: not a sweep plan ({problem}); delete {self.folder} to start over")
        return plan

    def _write_plan(self, complete: bool) -> None:
        path = self.folder / PLAN
        tmp = path.with_name(f".{PLAN}.tmp")
        tmp.write_text(json.dumps({"sweep": self.sweep, "market": self.market, "complete": complete,
                                   "bounds": self.bounds}))
        os.replace(tmp, path)


def _plan_problem(plan: object, count: int | None) -> str | None:
    """What makes ``plan`` not one ``_write_plan`` wrote (for ``count`` parameter sets), or None."""
    if not isinstance(plan, dict):
        return f"a JSON {type(plan).__name__}, not an object"
    if not isinstance(plan.get("sweep"), str):
        return "no 'sweep'"
    if plan.get("market") is not None and not isinstance(plan["market"], str):
        return "'market' is not a hash"
    bounds = plan.get("bounds")
    if not isinstance(bounds, list):
        return "no 'bounds'"
    total = 0
    for k, b in enumerate(bounds):
        if (not isinstance(b, list) or len(b) != 3 or not all(isinstance(x, int) and not isinstance(x, bool) for x in b)
                or b[0] < 0 or not 0 <= b[1] < b[2]):
            return f"bounds[{k}] = {json.dumps(b)[:40]} is not [group, first, end] with 0 <= first < end"
        total += b[2] - b[1]
    if count is not None and total != count:
        return f"its chunks hold {total:,} columns, the sweep {count:,}"
    return None
