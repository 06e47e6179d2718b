"""The tables the commands print (`bill`'s summary, `invoices`): columns sized to their content.

Numbers, dates, periods and amounts are never cut or wrapped — a user copies an invoice number
from here; notes wrap between words, names fold inside a long word, to fit the terminal. The
width is COLUMNS when it is set, else the terminal's; output that goes to a file or a program is
as wide as the table (one line per row, for grep). A table too wide for the terminal even with
its names folded is printed wider: the terminal wraps the line, nothing is lost.
"""

from __future__ import annotations

import io
import os
import shutil
import sys
from dataclasses import dataclass

GAP = 2  # spaces between columns
NARROWEST = 10  # characters a name keeps however narrow the terminal
KEEP, WRAP, FOLD = "keep", "wrap", "fold"


@dataclass(frozen=True)
class Column:
    header: str
    right: bool = False  # right-aligned (numbers)
    fit: str = KEEP  # KEEP: never wrapped (numbers, dates, amounts); WRAP: between words; FOLD: inside words too


def table_text(columns: list[Column], rows: list[list[str]], indent: int = 0) -> str:
    """The rows under their headers, as plain text lines (no trailing spaces)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    widest = [_widest([c.header, *(row[i] for row in rows)]) for i, c in enumerate(columns)]
    least = [_least(c, [row[i] for row in rows], w) for i, (c, w) in enumerate(zip(columns, widest))]
    available = _width()
    widths = widest if available is None else _fitted(widest, least, available - indent - GAP * (len(columns) - 1))
    grid = Table(box=None, pad_edge=False, padding=(0, GAP // 2), show_edge=False, header_style=None)
    for column, width in zip(columns, widths):
        grid.add_column(Text(column.header), justify="right" if column.right else "left", width=width,
                        no_wrap=column.fit == KEEP, overflow="fold")
    for row in rows:
        grid.add_row(*map(Text, row))  # as text: a client named "[bold]" is printed as it is
    out = io.StringIO()
    Console(file=out, width=sum(widths) + GAP * (len(columns) - 1), color_system=None, highlight=False, emoji=False,
            markup=False).print(grid)
    return "\n".join(" " * indent + line.rstrip() for line in out.getvalue().splitlines())


def _fitted(widest: list[int], least: list[int], room: int) -> list[int]:
    """Column widths that fit `room` characters where they can: the widest column that may give
    way narrows first, none below its least."""
    widths = list(widest)
    while sum(widths) > room:
        slack = [w - low for w, low in zip(widths, least)]
        if max(slack) <= 0:
            break  # as narrow as it may get: printed wider than the room
        widest_flexible = max((w, i) for i, w in enumerate(widths) if slack[i] > 0)[1]
        widths[widest_flexible] -= 1
    return widths


def _widest(texts: list[str]) -> int:
    from rich.cells import cell_len

    return max(cell_len(text) for text in texts)


def _least(column: Column, cells: list[str], widest: int) -> int:
    """The narrowest the column may get: all of it (KEEP), its longest word (WRAP), a few characters (FOLD)."""
    if column.fit == KEEP:
        return widest
    if column.fit == WRAP:
        return _widest([column.header, *(word for cell in cells for word in cell.split())])
    return min(widest, NARROWEST)


def _width() -> int | None:
    """The width to fit: COLUMNS, else the terminal's; None when stdout is not a terminal."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if sys.stdout.isatty():
        return shutil.get_terminal_size().columns
    return None
