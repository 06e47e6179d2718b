"""The review workbook's contract, shared by the writer (reports/review.py) and the reader
(check/decisions.py): where it is — output/<period>/review-<period>.xlsx, as `review` writes it,
or review-<period>.ods, as LibreOffice saves it in its own format — its sheets (one per client,
and "Expenses" when the period has expenses to bill), the headers of its id and amount columns,
and the answers its approve column takes."""

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

ANSWERS = {"yes": True, "y": True, "ja": True, "j": True, "true": True, "1": True, "x": True, "ok": True,
           "no": False, "n": False, "nein": False, "false": False, "0": False}
ID_HEADER = "entry id (do not edit)"
EXPENSE_SHEET = "Expenses"  # the expenses' sheet: no client key has a capital letter
EXPENSE_ID_HEADER = "expense id (do not edit)"
AMOUNT_HEADER = "amount to bill"


def sheet_name(key: str) -> str:
    return key[:31]


# --- writing --------------------------------------------------------------------------------


def said_yes(approve: object) -> bool:
    """The reviewer typed yes, not merely left the default: what approves an entry the tracker has
    not approved (imports.require_approval)."""
    return not blank(approve) and ANSWERS.get(str(approve).strip().lower()) is True


def said_no(approve: object) -> bool:
    return not blank(approve) and ANSWERS.get(str(approve).strip().lower()) is False


def blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (
        isinstance(value, float) and value != value)  # NaN: an empty cell, as pandas holds it
