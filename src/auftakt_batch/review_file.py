"""Where the review workbook of a period is: output/<period>/review-<period>.xlsx.

Apart from reports/review.py, which writes it (xlsxwriter) and reads it (openpyxl), so that a
check run can tell whether there is one without importing the spreadsheet code.
"""

from __future__ import annotations

from pathlib import Path

from .periods import Period


def path_for(workspace: Path, period: Period) -> Path:
    return workspace / "output" / period.label / f"review-{period.label}.xlsx"


def label_for(period: Period) -> str:
    return f"output/{period.label}/review-{period.label}.xlsx"
