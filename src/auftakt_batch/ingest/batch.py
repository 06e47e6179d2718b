"""Many small tables built at once, each exactly as `build_entries` builds it alone.

pandas costs about the same per operation on one row as on ten thousand, so a folder of
thousands of one-row exports is built per group of alike tables — same format, same header,
same decisions a file takes from all its values (the date order of its slash dates, the
decimal mark of its amounts) — over their rows together, and the result is split back by file.
What one table alone would say differently is never guessed. A problem of one row depends on
that row and the group's decisions only, and each check goes over the rows in order, so a
table's own problems are those the group's build names its rows in, in that order — except
where a table decides from all its rows what a row's problem is (`TABLE_DECIDES`), and for a
table left without entries, all its rows stray (its empty frame is its own): those are built
again alone. A group whose result is not what each of its tables decides alone (a problem
naming several rows, such as one tracker-rounding warning for them all) is built one table at
a time. Slash dates that tell no order give one date-order error for the group, which is said
again for each table without another problem, as it says it alone (one with other problems is
built alone: its error stands between them). Formats that take something from the file itself
(the person of a one-person file, the totals row under the last entry) are always built alone.
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache
from typing import Union

import numpy as np
import pandas as pd

from ..problems import Problem
from .build import NO_PRICE_ANY_CASE, Rules, build_entries, undecided_dates
from .formats import Format, by_name
from .parts import Part, Rows
from .read import FileError, Table
from .values import date_order, decimal_mark, has_slash_dates

Built = tuple[Rows, list[Problem], dict]
Outcome = Union[Built, FileError]  # what building a table gives: its entries, problems and labels, or why not
_GROUPED_FIELDS = (("date", "end_date"), ("amount", "rate"))
BATCH_ROWS = 1000  # rows a table may have to be built with others: a larger one costs pandas' overhead only once
# problems whose rows a table decides from all its rows (durations off their start–end all by a tracker's
# rounding step are its rounding, not mistakes): a table with one is built alone
TABLE_DECIDES = frozenset({"duration-mismatch"})


def build_tables(tables: list[Table], rules: Rules) -> list[Outcome]:
    """`build_entries` of each table (or the FileError it raises), alike tables built together."""
    outcomes: list[Outcome | None] = [None] * len(tables)
    groups: defaultdict[tuple, list[int]] = defaultdict(list)
    for i, table in enumerate(tables):
        fmt = by_name(table.format)
        if 0 < table.size <= BATCH_ROWS and not fmt.person_from_file and not fmt.totals_row:
            groups[(table.format, table.header, decisions(table, fmt))].append(i)
    for members in groups.values():
        if len(members) > 1:
            for i, built in zip(members, _together([tables[i] for i in members], rules)):
                outcomes[i] = built
    return [outcome if outcome is not None else _alone(table, rules) for table, outcome in zip(tables, outcomes)]


def _alone(table: Table, rules: Rules) -> Outcome:
    try:
        return build_entries(table, by_name(table.format), rules)
    except FileError as exc:
        return exc


def decisions(table: Table, fmt: Format, entries: np.ndarray | None = None) -> tuple:
    """What a table decides from all its values, by the evidence in it alone (before any
    setting): whether it has slash dates and their order, and its decimal mark; a table whose
    values contradict each other decides nothing (it is built alone). `entries`: the positions of
    the rows that are entries, once built — as in `build_entries`, a stray row's dates tell nothing
    (its amounts do); every row by default."""
    dates, money = _texts(table, fmt, _GROUPED_FIELDS[0], entries), _texts(table, fmt, _GROUPED_FIELDS[1])
    order, against = date_order(dates)
    money = {v for v in money if v not in NO_PRICE_ANY_CASE}
    mark, contradicting = decimal_mark(money)
    if against or contradicting:
        return (id(table),)  # alone: a group of one
    return has_slash_dates(dates), order, mark


def _texts(table: Table, fmt: Format, fields: tuple[str, ...], rows: np.ndarray | None = None) -> set[str]:
    """The distinct values of the columns that give `fields` (or what the format derives them from),
    in `rows` (positions) or all."""
    return {v for c in _columns(fmt.name, table.header, fields) if c >= 0
            for v in (table.column(c) if rows is None else table.column(c)[rows])}


def entry_rows(table: Table, entries: pd.DataFrame) -> np.ndarray:
    """The positions of the table's rows that its build kept as entries (of the table's own file)."""
    numbers = entries["source_row"].to_numpy()
    if "source_file" in table.cells and "source_file" in entries:  # many tables' rows at once
        files = table.column("source_file")
        kept = set(zip(entries["source_file"].to_numpy(dtype=object).tolist(), numbers.tolist()))
        return np.array([i for i, pair in enumerate(zip(files.tolist(), table.column("source_row").tolist()))
                         if pair in kept], dtype=np.int64)
    return np.flatnonzero(np.isin(table.column("source_row"), numbers))


@lru_cache(maxsize=1024)
def _columns(name: str, header: tuple[str, ...], fields: tuple[str, ...]) -> tuple[int, ...]:
    """The position of the column that gives each field (-1 for none), once per distinct header."""
    fmt = by_name(name)
    positions = fmt.field_positions(header)
    return tuple(positions.get(f, positions.get(fmt.derived.get(f, ""), -1)) for f in fields)


def _undecided_of(table: Table, fmt: Format) -> Problem | None:
    """The date-order error `build_entries` gives a table of slash dates that tell no order,
    when it has no other problem (all its rows are entries): its rows with a slash date."""
    date, end = (table.column(c) if c >= 0 else np.full(table.size, "", dtype=object)
                 for c in _columns(fmt.name, table.header, _GROUPED_FIELDS[0]))
    undecided = [i for i, (a, b) in enumerate(zip(date, end)) if "/" in a or "/" in b]
    if not undecided:
        return None
    numbers = table.column("source_row")
    return undecided_dates(table.file, tuple(int(numbers[i]) for i in undecided), date[undecided[0]], None)


def _stray_decides(tables: list[Table], whole: Table, entries: pd.DataFrame, fmt: Format) -> bool:
    """Whether, without the rows their build left out as stray, a table decides otherwise than the
    group (the group was formed by the evidence of all rows: a stray row's dates tell nothing)."""
    decided = decisions(whole, fmt, entry_rows(whole, entries))
    by_file = entries.groupby("source_file", sort=False)
    own = {file: rows for file, rows in by_file}
    empty = entries.iloc[:0]
    return any(decisions(t, fmt, entry_rows(t, own.get(t.file, empty))) != decided for t in tables)


def _together(tables: list[Table], rules: Rules) -> list[Outcome | None]:
    """Each table's outcome from one build over all their rows; None for those to build alone."""
    fmt = by_name(tables[0].format)
    files = [t.file for t in tables]
    lengths = np.array([t.size for t in tables])
    cells = {key: np.concatenate([t.column(key) for t in tables]) for key in tables[0].cells}
    cells["source_file"] = np.repeat(np.array(files, dtype=object), lengths)
    known = [t.cell_bound for t in tables if t.cell_bound is not None]
    whole = Table(files[0], tables[0].format, tables[0].header, cells,
                  cell_bound=max(known) if len(known) == len(tables) else None)
    if decisions(whole, fmt) != decisions(tables[0], fmt):
        return [None] * len(tables)
    try:
        entries, problems, labels = build_entries(whole, fmt, rules)
    except FileError:
        return [None] * len(tables)
    if len(entries) < whole.size and _stray_decides(tables, whole, entries, fmt):
        return [None] * len(tables)
    index = {file: i for i, file in enumerate(files)}
    undecided = [p for p in problems if p.code == "date-order"]  # one for the slash dates of all the files
    problems = [p for p in problems if p.code != "date-order"]
    if len(undecided) > 1 or any(p.rows or p.source.file not in index for p in problems):  # one for several files
        return [None] * len(tables)
    own: defaultdict[int, list[Problem]] = defaultdict(list)
    for p in problems:
        own[index[p.source.file]].append(p)
    of_row = entries["source_file"].map(index).to_numpy()
    bounds = np.searchsorted(of_row, np.arange(len(tables) + 1))
    outcomes: list[Outcome | None] = []
    for i, table in enumerate(tables):
        lo, hi = int(bounds[i]), int(bounds[i + 1])
        if undecided:  # its date-order error, where it has no other problem
            one = None if i in own else _undecided_of(table, fmt)
            said, alone = ([one], False) if one is not None else ([], True)
        else:  # its own rows' problems, in the order they were found; a table left without entries: alone
            said = own.get(i, [])
            alone = bool(said) and (lo == hi or any(p.code in TABLE_DECIDES for p in said))
        outcomes.append(None if alone else (Part(entries, lo, hi), said, dict(labels)))
    return outcomes
