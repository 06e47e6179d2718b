"""A worksheet whose long tables are written a column at a time: each data cell made into its
worksheet XML (`<c …>…</c>`) by list comprehensions over the column, not stored cell by cell in
xlsxwriter (a Python call per cell to store it, and another to write it out when the book closes).

A `Block` holds a table's data cells, per column its cells' formats and XML (but for their
reference and format), made into rows when the book closes and xlsxwriter numbers its formats.
Everything else on the sheet (headers, notes, widths, panes, filters, other cells) xlsxwriter
writes as it would;
`Worksheet._write_rows` writes a block's rows in their place among its rows. The XML is exactly
what xlsxwriter writes per cell (its numbers `%.16G`, its shared strings, its spans), the formats
numbered in the order it would number them (the first cell to use each, row by row).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from io import StringIO

import numpy as np
from xlsxwriter.format import Format
from xlsxwriter.sharedstrings import SharedStringTable
from xlsxwriter.utility import _utf16_len, _utf16_truncate, xl_col_to_name
from xlsxwriter.worksheet import Worksheet as _XlsxWorksheet

EPOCH = date(1899, 12, 31).toordinal()  # Excel's day 0 (its 1900 date system)
LEAP_BUG = 59  # Excel counts a 29 February 1900: serials after it are one more
ROWS_AT_ONCE = 4096  # a block's rows are made into XML and written this many at a time (its memory)
# Functions this package's formulas call, none of them one xlsxwriter prefixes with _xlfn. (a
# dynamic-array or future function): a formula calling only these it leaves as it is, after 30
# regular expressions (153 with future functions expanded, as a conditional format's always are).
PLAIN_FUNCTIONS = frozenset({"AND", "OR", "NOT", "IF", "IFERROR", "ISNUMBER", "ISBLANK", "SUM", "SUMIF", "SUMIFS",
                             "COUNT", "COUNTA", "COUNTIF", "COUNTIFS", "MIN", "MAX", "ROUND", "ABS", "TODAY", "DATE"})
_CALLS = re.compile(r"([A-Za-z_][A-Za-z0-9_.]*)\(")


def text_cells(texts: list[str], strings: SharedStringTable) -> list[str]:
    """The XML (after a cell's reference and format) of text cells, as shared strings: registered
    in `strings` (xlsxwriter's SharedStringTable) in order, as its write_string would; longer
    than a cell holds, cut as it cuts them."""
    cut = texts if not texts or max(map(len, texts)) <= 16383 else \
        [t if len(t) <= 16383 or _utf16_len(t) <= 32767 else _utf16_truncate(t, 32767) for t in texts]
    table = strings.string_table
    for text in dict.fromkeys(cut):
        if text not in table:
            table[text] = strings.unique_count
            strings.unique_count += 1
    strings.count += len(cut)
    return [f' t="s"><v>{table[t]}</v></c>' for t in cut]


def number_cells(numbers: list) -> list[str]:
    """The XML (after a cell's reference and format) of numbers, as xlsxwriter's write_number."""
    if numbers and numbers[0].__class__ is float and not np.isfinite(np.fromiter(numbers, float, len(numbers))).all():
        raise TypeError("NAN/INF not supported in write_number() without 'nan_inf_to_errors' Workbook() option")
    return [f"><v>{n:.16G}</v></c>" for n in numbers]


def date_cells(days: list[date]) -> list[str]:
    """The XML (after a cell's reference and format) of days, as Excel serials."""
    serials = (d.toordinal() - EPOCH for d in days)  # 1 January 1900 is 0, as xlsxwriter has a datetime of it
    return number_cells([float(s + 1 if s > LEAP_BUG else 0 if s == 1 else s) for s in serials])


@dataclass
class Block:
    """A table's data cells from row `first` (counted from 0): per column (from 0) its cells'
    formats and XML after them (None where it has none), and where each format is first used
    (row, column)."""

    first: int
    rows: int
    columns: list[tuple[int, list[Format | None], list[str | None]]] = field(default_factory=list)
    groups: list[tuple[int, range | set[int]]] = field(default_factory=list)  # per column, its 16-row span groups
    firsts: dict[Format, tuple[int, int]] = field(default_factory=dict)

    def add(self, sheet: Worksheet, col: int, formats: list[Format | None], bodies: list[str | None]) -> None:
        """Column `col`'s cells: per row its format and the XML after it (None: no cell)."""
        present = [i for i, b in enumerate(bodies) if b is not None] if None in bodies else range(len(bodies))
        if not present:
            return
        sheet._check_dimensions(self.first + present[0], col)
        sheet._check_dimensions(self.first + present[-1], col)
        self.columns.append((col, formats, bodies))
        self.groups.append((col, range((self.first + present[0]) // 16, (self.first + present[-1]) // 16 + 1)
                            if isinstance(present, range) else {(self.first + i) // 16 for i in present}))
        for f, i in dict(zip(reversed(formats), reversed(range(len(formats))))).items():  # the first of each
            if f is not None:
                where = (self.first + i, col)
                self.firsts[f] = min(where, self.firsts.get(f, where))

    def cells(self, rows: range) -> list[tuple[str, ...]]:
        """Its `rows` (from 0, of the block), each its cells' XML by column ("" where it has none),
        once its formats are numbered."""
        styles = {None: "", **{f: f' s="{f._get_xf_index()}"' for f in self.firsts}}
        return list(zip(*(["" if b is None else f'<c r="{letter}{r}"{styles[f]}{b}' for r, f, b in
                           zip(range(self.first + rows.start + 1, self.first + rows.stop + 1),
                               formats[rows.start:rows.stop], bodies[rows.start:rows.stop])]
                          for letter, formats, bodies in ((xl_col_to_name(c), f, b) for c, f, b in self.columns))))


class Worksheet(_XlsxWorksheet):
    """xlsxwriter's worksheet, with blocks of cells written a column at a time (`Block`)."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[Block] = []
        self._spans_ready = False

    def _prepare_formula(self, formula: str, expand_future_functions: bool = False) -> str:
        """xlsxwriter's, without its 30 to 153 regular expressions for a formula that calls only
        PLAIN_FUNCTIONS (the conditional formats of a 300-client overview: 0.2 s of a report)."""
        bare = formula.removeprefix("{").removeprefix("=").removesuffix("}")  # as xlsxwriter strips it
        if "_xlfn." in bare or not set(_CALLS.findall(bare)) <= PLAIN_FUNCTIONS:
            return super()._prepare_formula(formula, expand_future_functions)
        return bare

    def _calculate_spans(self) -> None:
        if self._spans_ready:  # the whole sheet's, made once by _write_rows
            return
        super()._calculate_spans()
        wide: dict[int, tuple[int, int]] = {}
        for block in self.blocks:
            for col, groups in block.groups:
                for g in groups:
                    lo, hi = wide.get(g, (col, col))
                    wide[g] = (min(lo, col), max(hi, col))
        for g, (lo, hi) in wide.items():
            if g in self.row_spans:
                a, b = self.row_spans[g].split(":")
                lo, hi = min(lo, int(a) - 1), max(hi, int(b) - 1)
            self.row_spans[g] = f"{lo + 1}:{hi + 1}"

    def _write_rows(self) -> None:
        blocks = sorted((b for b in self.blocks if b.columns), key=lambda b: b.first)
        if not blocks:
            super()._write_rows()
            return
        self._calculate_spans()
        low, high = self.dim_rowmin, self.dim_rowmax  # type: ignore[has-type]  # xlsxwriter's, untyped
        self._spans_ready = True
        try:
            row = low
            for block in blocks:
                self._rows_between(row, min(block.first - 1, high))
                self._write_block(block)
                row = max(row, block.first + block.rows)
            self._rows_between(row, high)
        finally:
            self.dim_rowmin, self.dim_rowmax, self._spans_ready = low, high, False

    def _rows_between(self, first: int, last: int) -> None:
        """xlsxwriter's own rows from `first` to `last`."""
        if first <= last:
            self.dim_rowmin, self.dim_rowmax = first, last
            super()._write_rows()

    def _write_block(self, block: Block) -> None:
        for cell_format, _ in sorted(block.firsts.items(), key=lambda item: item[1]):
            cell_format._get_xf_index()  # numbered in the order of their first cells, as xlsxwriter would
        columns = [col for col, _, _ in block.columns]
        plain = self.default_row_height == self.original_row_height and self.excel_version != 2010
        for start in range(0, block.rows, ROWS_AT_ONCE):
            self._write_block_rows(block, range(start, min(start + ROWS_AT_ONCE, block.rows)), columns, plain)
        block.columns.clear()

    def _write_block_rows(self, block: Block, rows: range, columns: list[int], plain: bool) -> None:
        out = []
        for r, cells in enumerate(block.cells(rows), block.first + rows.start):
            xml = self._merged(r, columns, cells) if self.table.get(r) else "".join(cells)
            span = self.row_spans.get(r // 16)
            if xml and plain and r not in self.row_info:
                out.append(f'<row r="{r + 1}" spans="{span}">{xml}</row>' if span else f'<row r="{r + 1}">{xml}</row>')
            elif xml:
                out.append(self._captured(self._write_row, r, span, self.row_info.get(r)) + xml + "</row>")
            elif r in self.row_info or r in self.comments:
                out.append(self._captured(self._write_empty_row, r, span, self.row_info.get(r)))
        self.fh.write("".join(out))

    def _merged(self, row: int, columns: list[int], cells: tuple[str, ...]) -> str:
        """A block's row that other cells were written to as well: all of them, by column."""
        both = {col: xml for col, xml in zip(columns, cells) if xml}
        both.update({col: self._captured(self._write_cell, row, col, cell) for col, cell in self.table[row].items()})
        return "".join(both[col] for col in sorted(both))

    def _captured(self, write: Callable[..., None], *args: object) -> str:
        """What one of xlsxwriter's writers writes, as text."""
        fh, self.fh = self.fh, StringIO()  # type: ignore[has-type]  # xlsxwriter's, untyped
        try:
            write(*args)
            return self.fh.getvalue()
        finally:
            self.fh = fh
