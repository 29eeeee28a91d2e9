"""Summary rows of a summary-mode sweep, written to a parquet folder chunk by chunk as they arrive.

Layout: ``_plan.json`` (what sweep the rows belong to) and one ``chunk-NNNNNNN.parquet`` per finished
chunk (written to a temp name and renamed, so a crash never leaves half a chunk). Read together they
are one parquet dataset (``pd.read_parquet(folder)``): position, run, strategy, params (JSON), error
(why a hook's mistake stopped the run, else null) and the engine's summary columns. ``resume`` reads
finished chunks back instead of recomputing them; a folder made by a different sweep (other strategy,
sets, data or engine options) is refused, and the earlier run's chunk plan is reused so the finished
chunks line up.
"""
from __future__ import annotations

from pathlib import Path
import hashlib
import json
import os

import pandas as pd

from hedgelab.core.errors import UserError

PLAN = "_plan.json"   # a leading underscore: parquet readers skip it


ROW_KEYS = ("position", "run", "strategy", "params", "error")   # then the statistics
ROW_OPTIONS = ("data", "store", "start", "end", "venue", "margin_mode", "capital")


def open_rows(folder, *, resume: bool, strategy: str, param_sets: list, identity: dict, summary_only: bool):
    """The rows folder of a summary-mode sweep (None otherwise), checked before anything runs.

    ``identity``: the run's options; those of ROW_OPTIONS name the sweep with the strategy and sets."""
    if folder is None or not summary_only:
        if resume and folder is None:
            raise UserError("--resume: no rows folder to resume from")
        return None
    h = hashlib.blake2b(digest_size=12)
    h.update(json.dumps([strategy, param_sets, {k: identity.get(k) for k in ROW_OPTIONS}], sort_keys=True,
                        default=str).encode())
    return RowsFolder(folder, h.hexdigest(), resume=resume)


class RowsFolder:
    """``bounds``: the chunk plan of the earlier run being resumed (None for a new sweep), reused as
    is so that the finished chunks line up whatever the cluster now is."""

    def __init__(self, folder, sweep: str, *, resume: bool):
        self.folder = Path(folder)
        found = self._plan()
        if found is not None and not resume:
            raise UserError(f"{self.folder} holds the rows of an earlier sweep; add --resume to continue "
                            f"it, or choose another --out")
        if found is not None and found.get("sweep") != sweep:
            raise UserError(f"--resume: {self.folder} belongs to a different sweep (strategy, grid, data or "
                            f"options changed); choose another --out")
        self.sweep = sweep
        self.bounds = [tuple(b) for b in found["bounds"]] if found else None
        self.market = found.get("market") if found else None

    def start(self, bounds, market_key: str) -> None:
        """Record the chunk plan (a new sweep) or check the market is still the same data (resume)."""
        if self.market is not None and self.market != market_key:
            raise UserError(f"--resume: the data changed since {self.folder} was written (market hash "
                            f"{market_key}, was {self.market}); choose another --out")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.bounds, self.market = [tuple(b) for b in bounds], market_key
        self._write_plan(complete=False)

    def read(self, job):
        """The chunk's ``(statistic names, rows, errors)`` if it finished in an earlier run, else None."""
        path = self._part(job)
        if not path.is_file():
            return None
        frame = pd.read_parquet(path)
        if frame["position"].tolist() != list(job.positions):
            raise UserError(f"--resume: {path} does not hold the columns of chunk {job.chunk}")
        names = tuple(c for c in frame.columns if c not in ROW_KEYS)
        errors = {j: text for j, text in enumerate(frame["error"]) if isinstance(text, str)}
        return names, frame[list(names)].to_numpy(dtype="float64"), errors

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

    def _part(self, job) -> Path:
        return self.folder / f"chunk-{job.chunk:07d}.parquet"

    def _plan(self):
        path = self.folder / PLAN
        if not path.is_file():
            return None
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            raise UserError(f"{path}: unreadable sweep plan; delete {self.folder} to start over") from None

    def _write_plan(self, complete: bool) -> None:
        path = self.folder / PLAN
        tmp = path.with_name(f".{PLAN}.tmp")
        tmp.write_text(json.dumps({"sweep": self.sweep, "market": self.market, "complete": complete,
                                   "bounds": self.bounds}))
        os.replace(tmp, path)
