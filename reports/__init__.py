"""Reports: summary metrics, the comparison page and quantstats tearsheets.

``write_report(runs, out_dir, manifest=..., ...)`` writes report.html, summary.csv, events.csv and
tearsheets/<run>.html from a list of ``RunRecord``s; ``summary_frame(runs)`` and ``text_table(summary)``
give the ranking as a DataFrame and as the terminal table. Metric definitions: ``reports.metrics``.
"""
from .html import ReportFiles, write_report
from .run import RunRecord
from .summary import summary_frame, text_table

__all__ = ["RunRecord", "summary_frame", "text_table", "write_report", "ReportFiles"]
