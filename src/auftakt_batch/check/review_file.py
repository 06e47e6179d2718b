"""Where the review workbook of a period is: output/<period>/review-<period>.xlsx, as `review`
writes it, or review-<period>.ods, as LibreOffice saves it in its own format.

Apart from reports/review.py, which writes it (xlsxwriter) and reads it (calamine, either
format), so that a check run can tell whether there is one without importing the spreadsheet code.
"""

from __future__ import annotations

from pathlib import Path

from ..periods import Period

SAVED_AS = (".xlsx", ".ods")  # as `review` writes it; as LibreOffice saves it when told to keep its own format


def path_for(workspace: Path, period: Period, suffix: str = ".xlsx") -> Path:
    return workspace / "output" / period.label / f"review-{period.label}{suffix}"


def saved(workspace: Path, period: Period) -> list[Path]:
    """The period's review workbooks there are: none, one, or both formats (the newer is followed)."""
    return [path for suffix in SAVED_AS if (path := path_for(workspace, period, suffix)).exists()]


def label_for(period: Period, suffix: str = ".xlsx") -> str:
    return f"output/{period.label}/review-{period.label}{suffix}"
