"""Reports: summary metrics, the comparison page and quantstats tearsheets."""
from .run import RunRecord
from .summary import summary_frame, text_table
from .html import ReportFiles, write_report

__all__ = ["RunRecord", "summary_frame", "text_table", "write_report", "ReportFiles"]
