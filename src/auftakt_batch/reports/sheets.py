"""Tables into worksheets, the way spreadsheet people expect them: a styled, frozen header with
notes, numbers as numbers in the right format, dates as dates, and text always as text.

Workbooks are written with xlsxwriter, which streams a month's entries several times faster
than building them cell by cell in openpyxl (openpyxl still reads the review workbook back).
Rows and columns are counted from 1, as a spreadsheet shows them.

A long table (`long_table`, of COLUMNAR_CELLS cells or more) is written a column at a time
(reports/sheetxml.py): the same worksheet XML, several times faster than cell by cell.

A table longer than a worksheet (MAX_ROWS, Excel's 1,048,576 rows, which xlsxwriter would cut
without a word) goes on in "NAME (2)", "NAME (3)", … with its header on each (`long_table`).

Every sheet prints (`page_setup`, when the book closes): as wide as one page, landscape when it is
wider than a portrait page, and when one page would shrink it below MIN_SCALE, as few pages wide
as keep it at that scale or larger, its first columns (`key_columns`) on each; the header of a
sheet's one table on every page. A column is as wide as the numbers it shows, totals included.

A workbook's parts are deflated at zlib level ZIP_LEVEL, not Python's default 6: a year's Entries
sheet (52 MB of XML) zips in 0.28 s rather than 0.73 s, to 7.2 MB rather than 6.2 MB.

Control characters that a worksheet cannot hold are shown escaped (\\x00).
Text from inputs never becomes a formula: a cell holding a string is written as a string (and
quote-prefixed when it starts with a character a spreadsheet would read as a formula), whatever
it starts with. Only the formulas this module writes itself are formulas.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
import xlsxwriter
import xlsxwriter.workbook
from xlsxwriter.exceptions import FileCreateError

from .sheetxml import Block, Worksheet, date_cells, number_cells, text_cells

if TYPE_CHECKING:
    from xlsxwriter.format import Format

HEADER_LOOK = {"bold": True, "font_color": "#FFFFFF", "bg_color": "#1F3A5F", "valign": "vcenter", "text_wrap": True}
TOTAL_LOOK = {"bold": True, "top": 1, "bottom": 6}  # thin above, double below
TITLE_LOOK = {"bold": True, "font_size": 12}
FORMATS = {
    "hours": "#,##0.00",
    "pct": "0.0%",
    "date": "yyyy-mm-dd",
    "int": "0",
    "number": "#,##0.00",
}
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}
RED, AMBER, GREEN = "#F4B6B6", "#FBE3A6", "#CDEBC5"  # the fills of a traffic light
RISKY = ("=", "+", "-", "@", "\t", "\r", "\n")  # a spreadsheet reads a typed cell starting so as a formula
RICH = "<r>"  # xlsxwriter writes a string starting so (and ending with </r>) as raw rich-text XML
ILLEGAL = re.compile(r"[\000-\010\013\014\016-\037]")  # characters no worksheet XML may hold
PIXELS_PER_CM = 37.8
PORTRAIT_PX, LANDSCAPE_PX = 659, 921  # printable width of A4 portrait, of Letter landscape (the narrower), margins off
LINE_HEIGHT = 15  # points: a line of Calibri 11
MIN_SCALE = 0.6  # smaller than this, a printed sheet goes on to a second page wide rather than shrinking
MAX_ROWS = 1_048_576  # rows of an Excel worksheet, the header's included; tests lower it
NEVER_MISSING = frozenset({int, bool, Decimal, date, datetime, pd.Timestamp})  # types of which no value is missing
IN_MEMORY_ROWS = 100_000  # a workbook of fewer rows is assembled in memory, a larger one in temporary files
COLUMNAR_CELLS = 5_000  # a table of this many cells or more is written a column at a time (sheetxml); tests change it
ZIP_LEVEL = 3  # zlib's level for a workbook's parts: 2.6x as fast as its default 6, 15 % larger


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
    fill: str | None = None  # a background for the column's cells, e.g. the columns a reviewer edits
    wrap: bool = False  # long text wraps within the column's width (the row grows) rather than running on


class _Zip(zipfile.ZipFile):
    """The zip file xlsxwriter writes a workbook into, its parts deflated at ZIP_LEVEL (xlsxwriter
    offers no setting: it makes its ZipFile with the default level, and passes a ZipInfo of its own
    for each part it has assembled in memory, which takes no level from the file)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{"compresslevel": ZIP_LEVEL, **kwargs})

    def writestr(self, zinfo_or_arcname: Any, data: Any, compress_type: int | None = None,
                 compresslevel: int | None = None) -> None:
        super().writestr(zinfo_or_arcname, data, compress_type, ZIP_LEVEL if compresslevel is None else compresslevel)


xlsxwriter.workbook.ZipFile = _Zip  # the name its Workbook._store_workbook makes its zip with


class Book:
    """A workbook being written to `path` (on `close`), its cell formats made once per look. One of
    about `rows` rows, fewer than IN_MEMORY_ROWS, is put together in memory: the same cells, without
    the temporary file per part that xlsxwriter otherwise writes, zips and removes (most of the time
    a small workbook takes); a larger one, or one of unknown size, keeps its memory down that way."""

    def __init__(self, path: Path, rows: int | None = None) -> None:
        self.book = xlsxwriter.Workbook(str(path), {"remove_timezone": True, "strings_to_formulas": False,
                                                    "strings_to_numbers": False, "strings_to_urls": False,
                                                    "in_memory": rows is not None and rows < IN_MEMORY_ROWS})
        self.sheets: list[Sheet] = []
        self._formats: dict[tuple, object] = {}

    def format(self, look: dict | None = None, num_format: str | None = None,
               quote_prefix: bool = False) -> Format | None:
        """The format of a look (xlsxwriter format properties), with a number format and a quote prefix."""
        key = (tuple(look.items()) if look else (), num_format, quote_prefix)
        found = self._formats.get(key)
        if found is None:
            props = {**(look or {}), **({"num_format": num_format} if num_format else {}),
                     **({"quote_prefix": True} if quote_prefix else {})}
            found = self._formats[key] = self.book.add_format(props) if props else None
        return found

    def sheet(self, name: str) -> Sheet:
        sheet = Sheet(self, self.book.add_worksheet(name, worksheet_class=Worksheet))
        self.sheets.append(sheet)
        return sheet

    def close(self) -> None:
        for sheet in self.sheets:
            sheet.apply_widths()
            sheet.page_setup()
        try:
            self.book.close()
        except FileCreateError as exc:  # it wraps the OSError of creating the file
            cause = exc.args[0] if exc.args and isinstance(exc.args[0], OSError) else OSError(str(exc))
            raise cause from None


class Sheet:
    def __init__(self, book: Book, worksheet: Worksheet) -> None:
        self.book, self.ws = book, worksheet
        self.max_row = 0  # the last row written to
        self.widths: dict[int, float] = {}
        self.hidden: set[int] = set()
        self.sums: dict[int, float] = {}  # per column, the sum of the numbers measured: what a total there shows
        self.totals: dict[int, str] = {}  # per column, the number format of a formula (a total) written there
        self.titles: list[tuple[int, int]] = []  # per table, its first row (a heading's, or its header's) and header
        self.wrapped: list[tuple[int, int, str]] = []  # (row, column, text) of cells that wrap: their rows grow
        self.key_columns = 1  # the columns printed on each page when the sheet prints more than one page wide
        self.pages_tall = 0  # pages it prints on, top to bottom: 0, as many as it needs; 1, one page (the Overview)
        self.columnar = False  # its large tables are written a column at a time (sheetxml): no chart may show them

    def put(self, row: int, col: int, value: Any, kind: str = "text", currency: str | None = None,
            look: dict | None = None, num_format: str | None = None) -> None:
        """Write one value (and its look); text stays text, whatever it starts with."""
        if row > self.max_row:
            self.max_row = row
        if kind == "formula" and not _missing(value):
            if num_format:
                self.totals[col] = num_format
            # no cached result: every spreadsheet program then computes it on opening (LibreOffice trusts a cached 0)
            self.ws.write_formula(row - 1, col - 1, value, self.book.format(look, num_format), "")
        else:
            _Cells(self, look, num_format).write(row - 1, col - 1, value, kind, currency)

    def width(self, col: int, width: float) -> None:
        self.widths[col] = max(width, self.widths.get(col, 0))

    def hide(self, col: int) -> None:
        self.hidden.add(col)

    def apply_widths(self) -> None:
        for col, num_format in self.totals.items():  # a total shows about the sum of its column
            self.width(col, len(shown(self.sums.get(col, 0), num_format)) + 2)
        for col in sorted(self.widths.keys() | self.hidden):
            self.ws.set_column(col - 1, col - 1, self.widths.get(col), None, {"hidden": col in self.hidden})
        lines: dict[int, int] = {}  # spreadsheet programs do not grow a row for wrapped text on opening: set here
        for row, col, text in self.wrapped:
            lines[row] = max(lines.get(row, 1), _lines(text, self.widths.get(col, 8)))
        for row, count in lines.items():
            if count > 1:
                self.ws.set_row(row - 1, LINE_HEIGHT * count)

    def page_setup(self) -> None:
        """Printable: see the module's docstring."""
        shown_px = [_pixels(w) for c, w in sorted(self.widths.items()) if c not in self.hidden]
        wide = sum(shown_px)
        if wide > PORTRAIT_PX:
            self.ws.set_landscape()
        key = sum(shown_px[:self.key_columns])
        pages = 1 if wide * MIN_SCALE <= LANDSCAPE_PX or key >= LANDSCAPE_PX / MIN_SCALE else \
            -(-(wide - key) // (LANDSCAPE_PX / MIN_SCALE - key))
        if pages > 1:
            self.ws.repeat_columns(0, self.key_columns - 1)
        self.ws.fit_to_pages(int(pages), self.pages_tall)
        if len(self.titles) == 1:  # several tables: one header repeated over the others would mislabel them
            self.ws.repeat_rows(self.titles[0][0] - 1, self.titles[0][1] - 1)


def _writable(text: str) -> str:
    """Text as a worksheet can hold it: characters it cannot are shown escaped (\\x00), not dropped.
    Text that xlsxwriter would write as rich-text XML as it stands (starting with <r> and ending
    with </r>: a description "<r>Tom & Jerry</r>" would break the workbook) becomes one run of
    rich text that holds it, escaped: the cell shows it as typed."""
    text = ILLEGAL.sub(lambda m: f"\\x{ord(m.group()):02x}", text) if ILLEGAL.search(text) else text
    if text.startswith(RICH) and text.endswith("</r>"):
        return f'<r><t xml:space="preserve">{escape(text)}</t></r>'
    return text


def _missing(value: object) -> bool:
    """None, NA, NaT, NaN or empty text: a cell with nothing to show (cheaper than pd.isna, cell by cell)."""
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value) or \
        (isinstance(value, str) and not value)


def _lines(text: str, width: float) -> int:
    """About how many lines `text` wraps to in a column `width` characters wide."""
    return sum(-(-len(part) // max(1, int(width) - 2)) or 1 for part in text.split("\n"))


def _pixels(width: float) -> int:
    """A column's width in pixels (Calibri 11: 7 a character, 5 of padding)."""
    return int(width * 7 + 5)


def header(sheet: Sheet, row: int, columns: list[Column]) -> None:
    for i, column in enumerate(columns, 1):
        sheet.put(row, i, column.header, look=HEADER_LOOK)
        sheet.wrapped.append((row, i, column.header))
        if column.note:
            sheet.ws.write_comment(row - 1, i - 1, column.note, {"author": "auftakt-batch", "width": 320,
                                                                  "height": 140})


def table(sheet: Sheet, frame: pd.DataFrame, columns: list[Column], *, row: int = 1, freeze: bool = True,
          autofilter: bool = False, agency_currency: str = "") -> tuple[int, int]:
    """Header at `row`, one row per frame row; (first data row, last data row). Money cells take the
    currency of their row's `currency` column, or the agency's for `agency_money` columns. A text
    column right of a number or a date is indented, so the two never read as one. On a sheet of
    `Pages`, a table of COLUMNAR_CELLS or more is written a column at a time (`_Cells.column`)."""
    header(sheet, row, columns)
    sheet.titles.append((row, row))
    first = row + 1
    currencies = frame["currency"].tolist() if "currency" in frame else [None] * len(frame)
    values = [_cells(frame[c.key], c.kind) if c.key in frame else [None] * len(frame) for c in columns]
    units = frame["unit"].tolist() if "unit" in frame else [None] * len(frame)
    columnar = sheet.columnar and len(frame) * len(columns) >= COLUMNAR_CELLS and \
        all(c.kind != "formula" for c in columns)
    block = Block(first - 1, len(frame))
    for c, (column, cells) in enumerate(zip(columns, values), 1):
        look = _look(column, columns[c - 2] if c > 1 else None)
        if column.kind == "formula":
            for r, value in enumerate(cells, first):
                sheet.put(r, c, value, column.kind, look=look)
        elif columnar:
            _Cells(sheet, look).column(block, c - 1, column.kind, cells, [agency_currency] * len(cells)
                                       if column.agency_money else currencies, units)
        else:
            _column(sheet, (first, c), column, cells, [agency_currency] * len(cells) if column.agency_money
                    else currencies, units, look)
        if column.wrap:
            sheet.wrapped.extend((r, c, str(v)) for r, v in enumerate(cells, first) if isinstance(v, str))
    if block.columns:
        sheet.ws.blocks.append(block)
    last = first + len(frame) - 1
    sheet.max_row = max(sheet.max_row, last)
    if freeze and row == 1:
        sheet.ws.freeze_panes(1, 0)
    if autofilter:
        sheet.ws.autofilter(row - 1, 0, max(last, row) - 1, len(columns) - 1)
    suffixes = {SYMBOLS.get(code, code) for code in {*currencies, agency_currency} if isinstance(code, str)}
    widths(sheet, columns, values, max(suffixes, key=len, default=""))
    return first, last


def _cells(values: pd.Series, kind: str) -> list:
    """A column's values as its cells take them: the days of a date column of naive instants as `date`s
    (None for none), not a Timestamp made for each (0.18 s for a month's 82,000 entries)."""
    if kind == "date" and isinstance(values.dtype, np.dtype) and values.dtype.kind == "M":
        return values.to_numpy(dtype="datetime64[D]").tolist()
    return values.tolist()


def _column(sheet: Sheet, at: tuple[int, int], column: Column, cells: list, currencies: list, units: list,
            look: dict | None) -> None:
    """A table's column from `at` (its first row, its column), each cell as `Sheet.put` writes it,
    by one `_Cells` (a month's Entries sheet is millions of cells: its formats are looked up once)."""
    (first, col), writer = at, _Cells(sheet, look)
    for r, (value, currency, unit) in enumerate(zip(cells, currencies, units), first - 1):
        kind = column.kind if column.kind != "measure" else "hours" if unit == "h" else "money"
        writer.write(r, col - 1, value, kind, currency)


class _Cells:
    """Writes cells of one look (and, if given, one number format) to a sheet: text stays text,
    whatever it starts with; a missing value is a blank (styled if there is a look); dates as
    dates; numbers in their kind's format. Each format is made once per writer."""

    def __init__(self, sheet: Sheet, look: dict | None, num_format: str | None = None) -> None:
        self.ws, self.book, self.look, self.num_format = sheet.ws, sheet.book, look, num_format
        self.numbers: dict[tuple[str, object], Format | None] = {}  # (kind, currency) -> format

    @cached_property
    def plain(self) -> Format | None:
        return self.book.format(self.look)

    @cached_property
    def quoted(self) -> Format | None:  # text a spreadsheet would read as a formula, were it typed
        return self.book.format(self.look, None, True)

    def write(self, r: int, c: int, value: Any, kind: str, currency: str | None) -> None:
        """One value at row `r`, column `c` (counted from 0, as xlsxwriter counts)."""
        if _missing(value):
            if self.look:
                self.ws.write_blank(r, c, None, self.book.format(self.look, self.num_format))
        elif kind == "text" or isinstance(value, str):
            text = _writable(str(value))
            self.ws.write_string(r, c, text, self.quoted if text.startswith(RISKY) else self.plain)
        elif kind == "date":
            day = value.date() if isinstance(value, (pd.Timestamp, datetime)) else value
            self.ws.write_datetime(r, c, datetime(day.year, day.month, day.day),
                                   self.book.format(self.look, FORMATS["date"]))
        else:
            self.ws.write_number(r, c, int(value) if kind == "int" else float(value), self.number(kind, currency))

    def number(self, kind: str, currency: str | None) -> Format | None:
        """The format of a number of `kind` (money in `currency`)."""
        key = (kind, currency if kind == "money" else None)
        found = self.numbers.get(key, False)
        if found is False:
            number = self.num_format or (money_format(currency or "") if kind == "money" else FORMATS.get(kind))
            found = self.numbers[key] = self.book.format(self.look, number)
        return found

    def column(self, block: Block, c: int, kind: str, cells: list, currencies: list, units: list) -> None:
        """A table's column `c` (from 0) into `block`, all at once: each cell as `write` writes it."""
        kinds = [("hours" if u == "h" else "money") for u in units] if kind == "measure" else [kind] * len(cells)
        shown = [(("text" if v else None) if (t := v.__class__) is str else  # the usual cases first, inline
                  (None if v != v else "text" if k == "text" else k) if t is float else
                  ("text" if k == "text" else k) if t in NEVER_MISSING else
                  None if _missing(v) else "text" if k == "text" or isinstance(v, str) else k)
                 for v, k in zip(cells, kinds)]
        formats: list = [None] * len(cells)
        bodies: list = [None] * len(cells)
        for what, rows in _groups(shown).items():
            values = [cells[i] for i in rows]
            if what is None and not self.look:
                continue
            found, xml = (
                ([self.book.format(self.look, self.num_format)] * len(rows), ["/>"] * len(rows)) if what is None else
                self._texts(values) if what == "text" else
                ([self.book.format(self.look, FORMATS["date"])] * len(rows),
                 date_cells([v.date() if isinstance(v, (pd.Timestamp, datetime)) else v for v in values]))
                if what == "date" else
                (self._numbers(what, [currencies[i] for i in rows]),
                 number_cells([int(v) for v in values] if what == "int" else [float(v) for v in values])))
            if len(rows) == len(cells):
                formats, bodies = found, xml
            else:
                for i, f, b in zip(rows, found, xml):
                    formats[i], bodies[i] = f, b
        block.add(self.ws, c, formats, bodies)

    def _numbers(self, kind: str, currencies: list) -> list[Format | None]:
        """The formats of numbers of `kind`, money in these `currencies`."""
        if kind != "money":
            return [self.number(kind, None)] * len(currencies)
        found = {currency: self.number(kind, currency) for currency in set(currencies)}
        return [found[currency] for currency in currencies]

    def _texts(self, values: list) -> tuple[list, list[str]]:
        """Text cells, as `write` writes them: their formats and their XML."""
        texts = [str(v) for v in values]
        joined = "".join(texts)
        if ILLEGAL.search(joined) or RICH in joined:
            texts = [_writable(t) for t in texts]
        plain, quoted = self.plain, self.quoted
        return [quoted if t.startswith(RISKY) else plain for t in texts], text_cells(texts, self.ws.str_table)


def _groups(shown: list) -> dict[str | None, list[int] | range]:
    """The rows (from 0) of each kind of cell shown (None: missing)."""
    if shown and shown.count(shown[0]) == len(shown):
        return {shown[0]: range(len(shown))}
    return {what: [i for i, s in enumerate(shown) if s == what] for what in dict.fromkeys(shown)}


def _look(column: Column, left: Column | None) -> dict | None:
    """The look of a column's cells: its fill; wrapped; indented when it is text right of a number."""
    look = {**({"bg_color": column.fill} if column.fill else {}), **({"text_wrap": True} if column.wrap else {}),
            **({"indent": 1} if column.kind == "text" and left is not None and left.kind != "text" else {})}
    return look or None


class Pages:
    """A sheet that goes on as "NAME (2)", "NAME (3)", … when what is written on it reaches MAX_ROWS.
    Its tables (long ones, no chart shows them) are written a column at a time (`Sheet.columnar`):
    xlsxwriter caches the cells a chart shows from those it holds itself."""

    def __init__(self, book: Book, name: str) -> None:
        self.book, self.name = book, name
        self.sheets = [self._sheet(name)]

    def _sheet(self, name: str) -> Sheet:
        sheet = self.book.sheet(name)
        sheet.columnar = True
        return sheet

    @property
    def sheet(self) -> Sheet:
        return self.sheets[-1]

    def turn(self) -> None:
        self.sheets.append(self._sheet(f"{self.name} ({len(self.sheets) + 1})"))


def long_table(pages: Pages, frame: pd.DataFrame, columns: list[Column], *, row: int = 1,
               heading: str | None = None, **options: Any) -> int:
    """`table` (with `heading` above it) from `row` of the last page, going on to new pages as
    it fills them: each page at most MAX_ROWS rows, the heading and header on each, the rows in
    order, each once. Returns the header's row, or the last data row, on the last page."""
    done = 0
    while True:
        top = row + (heading is not None)  # the header's row
        room = MAX_ROWS - top  # data rows that fit under it
        if room < 0 or (room == 0 and done < len(frame)):
            pages.turn()
            row = 1
            continue
        if heading is not None:
            title(pages.sheet, row, heading if not done else f"{heading} (continued)")
        part = frame.iloc[done:done + room]
        _, last = table(pages.sheet, part, columns, row=top, **options)
        pages.sheet.titles[-1] = (row, top)  # the heading prints with the header
        done += len(part)
        if done >= len(frame):
            return max(last, top)
        pages.turn()
        row = 1


def widths(sheet: Sheet, columns: list[Column], values: list[list], suffix: str = "") -> None:
    """Each column as wide as its header or the longest of its first 500 cells (`values`: the cells
    of each column, as `table` writes them) as its number format shows them (money with `suffix`,
    the longest currency symbol or code of the table), within 8 to 60. The sum of those cells is
    kept for a total written under them (`Sheet.apply_widths`)."""
    for i, (column, cells) in enumerate(zip(columns, values), 1):
        measured = cells[:500]
        if column.kind in NUMERIC:
            numbers = (abs(float(v)) for v in measured if isinstance(v, (int, float, Decimal)) and not _missing(v))
            sheet.sums[i] = max(sheet.sums.get(i, 0), sum(numbers))
        if column.width is None:
            num_format = number_format(column.kind, suffix)
            texts = (shown(v, num_format) for v in measured) if num_format else (_text(v) for v in measured)
            longest = max([_header_width(column.header), *map(len, texts)], default=8)
            width = min(max(8, longest + 2), 60)
        else:
            width = column.width
        sheet.width(i, width)


def _header_width(text: str) -> float:
    """A header's width: its text, or a long one's half (it wraps on two lines or three), never less
    than its longest word."""
    wide = len(text) if len(text) <= HEADER_WRAPS_AT else max(len(text) / 2, *map(len, text.split()))
    return wide * 0.9


HEADER_WRAPS_AT = 16
NUMERIC = ("hours", "money", "measure", "pct", "int", "number")


def number_format(kind: str, suffix: str) -> str | None:
    """The number format of a kind of column (a measure: as money, the wider), money with `suffix`."""
    if kind in ("money", "measure"):
        return f'#,##0.00 "{suffix}";-#,##0.00 "{suffix}"' if suffix else FORMATS["number"]
    return FORMATS.get(kind)


def shown(value: object, num_format: str) -> str:
    """The text a cell of one of this module's number formats shows for `value`."""
    if _missing(value) or isinstance(value, str):
        return _text(value)
    if num_format == FORMATS["date"]:
        return "2026-11-30"
    number = float(value)  # type: ignore[arg-type]
    if num_format == FORMATS["pct"]:
        return f"{number:.1%}"
    if num_format == FORMATS["int"]:
        return f"{number:.0f}"
    suffix = re.search(r'"([^"]*)"', num_format)
    return f"{number:,.2f}" + (f" {suffix.group(1)}" if suffix else "")


def _text(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, (date, pd.Timestamp)):
        return "2026-11-30"
    return str(value)


def title(sheet: Sheet, row: int, text: str) -> None:
    sheet.put(row, 1, text, look=TITLE_LOOK)
