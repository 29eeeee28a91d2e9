"""Summary rows of a summary-mode sweep, written to a parquet folder chunk by chunk as they arrive.

Layout: ``_plan.json`` (what sweep the rows belong to) and one ``chunk-NNNNNNN.parquet`` per finished
chunk (written to a temp name and renamed, so a crash never leaves half a chunk). Read together they
are one parquet dataset (``pd.read_parquet(folder)``): position, run, strategy, params (JSON) and
the engine's summary columns. ``resume`` reads finished chunks back instead of recomputing them;
a folder made by a different sweep (other strategy, sets, data, engine options or chunk plan) is
refused.
"""
from __future__ import annotations

from pathlib import Path
import hashlib
import json
import os

import pandas as pd

from hedgelab.errors import UserError

PLAN = "_plan.json"   # a leading underscore: parquet readers skip it


def fingerprint(strategy, validated, engine, market_key, jobs) -> str:
    """A hash of everything that decides the rows: sets, engine options, market, chunk bounds."""
    h = hashlib.blake2b(digest_size=12)
    h.update(json.dumps([strategy, validated, engine, market_key], sort_keys=True, default=repr).encode())
    h.update(json.dumps([list(job.positions[:1]) + [len(job.positions)] for job in jobs]).encode())
    return h.hexdigest()


class RowsFolder:
    def __init__(self, folder, plan: str, *, resume: bool):
        self.folder = Path(folder)
        found = self._plan()
        if found is not None and not resume:
            raise UserError(f"{self.folder} holds the rows of an earlier sweep; add --resume to continue "
                            f"it, or choose another --out")
        if found is not None and found.get("plan") != plan:
            raise UserError(f"--resume: {self.folder} belongs to a different sweep (strategy, grid, data, "
                            f"options or chunk size changed); choose another --out")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.plan = plan
        self._write_plan(complete=False)

    def read(self, job):
        """The chunk's RunRecords if it finished in an earlier run, else None."""
        path = self._part(job)
        if not path.is_file():
            return None
        from hedgelab.reports.run import RunRecord
        frame = pd.read_parquet(path)
        if frame["position"].tolist() != list(job.positions):
            raise UserError(f"--resume: {path} does not hold the columns of chunk {job.chunk}")
        stats_cols = [c for c in frame.columns if c not in ("position", "run", "strategy", "params")]
        capital = float(job.engine["capital"])
        return [RunRecord(name=row.run, strategy=row.strategy, params=json.loads(row.params), capital=capital,
                          stats={c: float(getattr(row, c)) for c in stats_cols})
                for row in frame.itertuples(index=False)]

    def write(self, job, records) -> None:
        stats = pd.DataFrame([r.stats for r in records])
        frame = pd.concat([pd.DataFrame({
            "position": list(job.positions), "run": [r.name for r in records],
            "strategy": [r.strategy for r in records],
            "params": [json.dumps(r.params, sort_keys=True, default=float) for r in records]}), stats], axis=1)
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
        tmp.write_text(json.dumps({"plan": self.plan, "complete": complete}))
        os.replace(tmp, path)
