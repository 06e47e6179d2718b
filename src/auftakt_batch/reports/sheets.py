"""Tables into worksheets, the way spreadsheet people expect them: a styled, frozen header with
notes, numbers as numbers in the right format, dates as dates, and text always as text.

Control characters that a worksheet cannot hold are shown escaped (\\x00).
Text from inputs never becomes a formula: a cell holding a string is written as a string (and
quote-prefixed when it starts with a character a spreadsheet would read as a formula), whatever
it starts with. Only the formulas this module writes itself are formulas.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

HEADER_FILL = PatternFill("solid", fgColor="1F3A5F")
HEADER_FONT = Font(name="Calibri", bold=True, color="FFFFFF")
TOTAL_FONT = Font(name="Calibri", bold=True)
TOTAL_BORDER = Border(top=Side(style="thin"), bottom=Side(style="double"))
TITLE_FONT = Font(name="Calibri", bold=True, size=12)
FORMATS = {
    "hours": "#,##0.00",
    "pct": "0.0%",
    "date": "yyyy-mm-dd",
    "int": "0",
    "number": "#,##0.00",
}
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}
RISKY = ("=", "+", "-", "@", "\t", "\r", "\n")  # a spreadsheet reads a typed cell starting so as a formula


def money_format(currency: str) -> str:
    symbol = SYMBOLS.get(currency)
    return f'#,##0.00 "{symbol}";-#,##0.00 "{symbol}"' if symbol else f'#,##0.00 "{currency}";-#,##0.00 "{currency}"'


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str = "text"  # text | hours | money | pct | date | int | number | formula | measure (hours or money by unit)
    width: int | None = None
    note: str | None = None  # shown as a comment on the header cell
    agency_money: bool = False  # money in the agency's currency (costs), not the row's


def put(cell: Cell, value, kind: str = "text", currency: str | None = None) -> Cell:
    """Write one value; text stays text, whatever it starts with."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        cell.value = None
        return cell
    if kind == "formula":
        cell.value = value
    elif kind == "text" or isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", str(value))  # shown, not dropped
        cell.value = text
        cell.data_type = "s"
        if text.startswith(RISKY):
            cell.quotePrefix = True
    elif kind == "date":
        cell.value = value.date() if isinstance(value, (pd.Timestamp, datetime)) else value
    elif kind == "int":
        cell.value = int(value)
    else:
        cell.value = value if isinstance(value, Decimal) else Decimal(str(value))
    if kind == "money":
        cell.number_format = money_format(currency or "")
    elif kind in FORMATS:
        cell.number_format = FORMATS[kind]
    return cell


def header(sheet: Worksheet, row: int, columns: list[Column]) -> None:
    for i, column in enumerate(columns, 1):
        cell = put(sheet.cell(row, i), column.header)
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        if column.note:
            cell.comment = Comment(column.note, "auftakt-batch", width=320, height=140)


def table(sheet: Worksheet, frame: pd.DataFrame, columns: list[Column], *, row: int = 1, freeze: bool = True,
          autofilter: bool = False, agency_currency: str = "") -> tuple[int, int]:
    """Header at `row`, one row per frame row; (first data row, last data row). Money cells take the
    currency of their row's `currency` column, or the agency's for `agency_money` columns."""
    header(sheet, row, columns)
    first = row + 1
    currencies = frame["currency"].tolist() if "currency" in frame else [None] * len(frame)
    for r, (record, currency) in enumerate(zip(frame.to_dict("records"), currencies), first):
        for c, column in enumerate(columns, 1):
            kind = column.kind if column.kind != "measure" else "hours" if record.get("unit") == "h" else "money"
            put(sheet.cell(r, c), record.get(column.key), kind, agency_currency if column.agency_money else currency)
    last = first + len(frame) - 1
    if freeze and row == 1:
        sheet.freeze_panes = sheet.cell(2, 1)
        printable(sheet)
    if autofilter:
        sheet.auto_filter.ref = f"A{row}:{get_column_letter(len(columns))}{max(last, row)}"
    widths(sheet, columns, frame)
    return first, last


def printable(sheet: Worksheet) -> None:
    """Landscape, as wide as one page, the header row on every page."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"


def widths(sheet: Worksheet, columns: list[Column], frame: pd.DataFrame) -> None:
    for i, column in enumerate(columns, 1):
        if column.width is None:
            values = frame[column.key].head(500) if column.key in frame else pd.Series(dtype=object)
            longest = max([len(column.header) * 0.9, *(len(_shown(v)) for v in values)], default=8)
            width = min(max(8, longest + 2), 60)
        else:
            width = column.width
        letter = get_column_letter(i)
        sheet.column_dimensions[letter].width = max(width, sheet.column_dimensions[letter].width or 0)


def _shown(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, (date, pd.Timestamp)):
        return "2026-11-30"
    if isinstance(value, Decimal):
        return f"{value:,.2f} €"
    return str(value)


def title(sheet: Worksheet, row: int, text: str) -> None:
    put(sheet.cell(row, 1), text).font = TITLE_FONT
