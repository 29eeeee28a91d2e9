"""``StressResult``: the tables of a stress run (pandas) and ``write(out)`` (stress.csv, stress_paths.csv,
stress.html), written into a temp folder and renamed into place like the backtest reports."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
import os
import shutil
import tempfile

import numpy as np
import pandas as pd

from hedgelab.core.errors import UserError

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


@dataclass
class StressResult:
    table: pd.DataFrame          # one row per strategy / parameter set (survival.COLUMNS + replay columns)
    per_path: pd.DataFrame       # one row per run and path: final equity, liquidation hour, hedge cost, max DD
    fan: dict                    # run -> DataFrame of equity quantiles (index time, columns q05..q95)
    survival: pd.DataFrame       # index time (bar close), one column per run: share of paths alive
    finals: dict                 # run -> final equity per path (USD)
    meta: dict                   # method, description, paths, seed, horizon_h, data, data_kind, venue, ...
    heatmap: dict | None = None  # sweeps: {"x", "y"} parameters of the survival heatmap
    failures: dict = field(default_factory=dict)

    def write(self, out_dir, *, progress: bool = False) -> Path:
        """stress.csv, stress_paths.csv and stress.html into ``out_dir`` (new or empty), atomically."""
        out_dir = Path(out_dir)
        if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
            raise UserError(f"output folder {out_dir} already exists and is not empty; choose another --out")
        parent = out_dir.parent if str(out_dir.parent) else Path(".")
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=parent))
        try:
            self.write_files(tmp)
            if out_dir.exists():
                out_dir.rmdir()
            os.replace(tmp, out_dir)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return out_dir

    def write_files(self, folder) -> None:
        """The three files into an existing folder that the caller publishes (here, or a backtest's
        report folder when the stress test ran with it)."""
        from hedgelab.reports.stress_page import write_stress_page
        folder = Path(folder)
        self.table.to_csv(folder / "stress.csv", index=False)
        self.per_path.to_csv(folder / "stress_paths.csv", index=False)
        write_stress_page(self, folder / "stress.html")

    def __repr__(self) -> str:
        m = self.meta
        return (f"StressResult(runs={len(self.table)}, method={m.get('method')!r}, paths={m.get('paths')}, "
                f"seed={m.get('seed')}, failures={sorted(self.failures)})")


def fan_frame(curves: np.ndarray, time: pd.DatetimeIndex) -> pd.DataFrame:
    """Equity quantiles over paths at each sampled time (curves: paths x samples)."""
    q = np.quantile(curves.astype(np.float64), QUANTILES, axis=0).T
    return pd.DataFrame(q, index=time, columns=[f"q{int(round(x * 100)):02d}" for x in QUANTILES])
