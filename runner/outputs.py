"""``write_outputs``: a Result's report files written into a temp folder, then renamed into place."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
import shutil

if TYPE_CHECKING:
    from hedgelab.runner.result import Result

SWEEP_TEARSHEETS = 5


def write_outputs(result: Result, out_dir: Path, *, progress: bool = False, tearsheets: int | None = None,
                  checked: bool = False) -> Path:
    """Write report.html, summary.csv, events.csv and tearsheets/ (and a stress test's files).

    ``out_dir`` must not exist yet or be an empty folder: results are never written over old ones.
    ``checked``: the caller checked ``out_dir`` before the work (the CLI), so if another run filled it
    meanwhile the results go to the sibling OUT-2 (with a warning) instead of being lost.
    ``tearsheets``: most tearsheets (best-ranked runs, plus hold); None = every run of a comparison,
    SWEEP_TEARSHEETS for a sweep (each takes seconds).
    """
    from hedgelab.core import outdir
    from hedgelab.core.errors import UserError
    from hedgelab.reports.html import write_report
    from hedgelab.runner.execute import check_time, finish_line
    if tearsheets is not None and (isinstance(tearsheets, bool) or not isinstance(tearsheets, int) or tearsheets < 0):
        raise UserError(f"write(): tearsheets={tearsheets!r}: expected a whole number >= 0 or None")
    if not isinstance(progress, bool):
        raise UserError(f"write(): progress={progress!r}: expected True or False")
    out_dir = outdir.check_out_dir(out_dir, "output folder", taken_ok=checked)
    check_time()
    if tearsheets is None and result.heatmap is not None:
        tearsheets = SWEEP_TEARSHEETS
    tmp = outdir.make_temp(out_dir)  # named with this process's id: a killed run's is swept later
    stress = result.stress  # a stress test run with the backtest (--stress)
    try:
        if stress is not None:  # same temp folder: report.html never links a stress.html not yet there
            stress.write_files(tmp)
        # write_report takes a SummaryRuns too (reports/html.py: unique_names keeps it by column), but its
        # annotation says list[RunRecord]; that file is the reports layer's to widen
        write_report(result.runs, tmp, manifest=result.manifest,  # type: ignore[arg-type]
                             crash_windows=result.crash_windows, heatmap=result.heatmap,
                             assumptions=result.assumptions, progress=progress, max_tearsheets=tearsheets,
                             stress=stress, coin_prices=getattr(result, "coin_prices", None),
                             scenarios=getattr(result, "scenarios", None))
        finish_line()   # a run out of time stops here, before anything is published (--timeout)
        wanted, out_dir = out_dir, outdir.publish(tmp, out_dir)
        if out_dir != wanted:  # another run filled it meanwhile: a sibling instead of lost results
            result.warnings.append(f"{wanted} was filled by another run meanwhile; results written to {out_dir}")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir
