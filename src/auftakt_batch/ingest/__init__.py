"""Ingest: every export under input/ → one frame of canonical raw entries.

Needs: the input folder and the agency's time zone. Gives: raw entries (names still as
typed in the exports, each row with source_file and source_row), the files read, the
header text of each canonical column per file (for messages), and problems. A file that
cannot be read at all is an error on the file; the other files are still read. Which files
there are, and which inputs cannot be read at all (a dangling link, a folder that cannot be
listed, a FIFO), is `tree.walk`'s to say.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Mapping, Sequence

import pandas as pd

from ..memory import release
from ..problems import Problem, Severity, Source, error, plural, warning
from ..schemas import RawEntries, empty
from . import split
from .ahead import read_ahead
from .bank import FOLDER as BANK_FOLDER
from .batch import Built, build_tables
from .build import Rules, build_entries
from .cache import FileRead, IngestCache, ReadTable
from .expenses import RECEIPT_SUFFIXES
from .formats import FORMATS, by_name, describe_unknown, is_expense, recognise
from .jsonfile import read_json
from .parts import joined
from .read import FileError, Table, read_csv, read_workbook
from .tree import (
    CALENDAR_SUFFIXES,
    JSON_SUFFIXES,
    TABLE_SUFFIXES,
    WORKBOOK_SUFFIXES,
    cannot_read,
    label_of,
    read_input,
    size_of,
    suffix,
    walk,
)


@dataclass(frozen=True)
class SourceFile:
    path: str  # as shown to the user, relative to the workspace
    format: str
    rows: int
    encoding: str | None = None
    separator: str | None = None
    modified: float = 0.0  # the file's modification time: which of two overlapping exports is newer
    key: str = field(default="", compare=False)  # the export's key in the ingest cache; "" without one


@dataclass(frozen=True)
class Ingested:
    entries: pd.DataFrame
    files: tuple[SourceFile, ...]
    labels: Mapping[str, Mapping[str, str]]  # file label -> {canonical column: header text}
    problems: tuple[Problem, ...]
    unreadable: tuple[str, ...]  # inputs that could not be read at all: files, folders, links
    calendars: tuple[tuple[Path, str], ...] = ()  # .ics files (path, label): read per period by calendars/
    expenses: tuple[Table, ...] = ()  # the tables of expense exports, as text: read by check/expenses
    attachments: tuple[str, ...] = ()  # PDFs and images (labels): receipts, if an expense names them
    statements: tuple[tuple[Path, str], ...] = ()  # the files in input/bank/ (path, label): read by ingest/bank


def ingest(input_dir: Path, workspace: Path, rules: Rules, cache: IngestCache | None = None) -> Ingested:
    """Every export under `input_dir`; with `cache`, an export read before (same bytes, same rules)
    comes from it instead of being parsed again (see ingest/cache.py). Exports of one timesheet
    table are read first and built together afterwards (ingest/batch.py: thousands of small
    exports cost about what one large one does); what each gives is the same as alone. A large
    CSV export not in the cache is read in parts on every core (ingest/split.py), and gives what
    it gives read whole."""
    frames, files, labels, calendars, attachments, statements = [], [], {}, [], [], []
    expenses: list[Table] = []
    problems: list[Problem] = []
    tree = walk(input_dir, workspace)
    problems += tree.problems
    unreadable = list(tree.unreadable)
    found: list[_Found] = []
    ahead = _read_ahead(tree.files, input_dir, workspace, rules, cache) if cache else {}
    for path in tree.files:
        label, kind = label_of(path, workspace), suffix(path.name)
        if path.relative_to(input_dir).parts[0] == BANK_FOLDER:  # bank statements, never timesheets
            statements.append((path, label))
        elif kind in CALENDAR_SUFFIXES:
            calendars.append((path, label))
        elif kind in RECEIPT_SUFFIXES:  # an expense's receipt; check/expenses reports one no expense names
            attachments.append(label)
        elif kind not in TABLE_SUFFIXES | WORKBOOK_SUFFIXES | JSON_SUFFIXES:
            found.append(_Found(path, label, kind, problems=[
                warning(Source(label), "not-read", "ignored: not a timesheet or calendar file (.csv, .tsv, .xlsx, "
                                                   ".xlsm, .xls, .ods, .json, Watson's frames, .ics)")]))
        else:
            found.append(ahead.pop(path) if path in ahead else _cached_or_read(path, label, kind, rules, cache))
    pending = [f for f in found if f.table is not None]
    for f, outcome in zip(pending, build_tables([f.table for f in pending if f.table is not None], rules)):
        _built(f, outcome, cache)
    for f in found:
        problems += f.problems
        if f.read is None:
            unreadable += [f.label] if f.unreadable else []
            continue
        expenses += f.read.expenses
        problems += f.read.problems
        for table in f.read.tables:
            frames.append(table.built)
            labels[table.file] = table.labels
            files.append(SourceFile(table.file, table.format, table.rows, table.encoding, table.separator,
                                    f.modified, f.key))
    if cache:
        cache.prune()
    problems += _nothing_read(input_dir, files, calendars, problems, expenses)
    entries = joined(frames) if frames else empty(RawEntries)
    release()  # what parsing and keeping the exports used
    return Ingested(entries, tuple(files), MappingProxyType(labels), tuple(problems), tuple(sorted(unreadable)),
                    tuple(calendars), tuple(expenses), tuple(attachments), tuple(statements))


RELEASE_ROWS = 100_000  # a table of this many entries hands back its text's memory once built (memory.release)


@dataclass
class _Found:
    """One input file on its way: what it gives once read and built, or the problems that say why not."""

    path: Path
    label: str
    kind: str
    key: str = ""  # its key in the cache
    read: FileRead | None = None
    table: Table | None = None  # its one timesheet table, read but not built yet
    problems: list[Problem] = field(default_factory=list)  # of reading it: before what `read` holds
    unreadable: bool = False
    modified: float = 0.0
    keyed: bool = False  # its reader was given the very bytes its key was made of (a CSV: read once)


def _nothing_read(input_dir: Path, files: list[SourceFile], calendars: list, problems: list[Problem],
                  expenses: list[Table]) -> list[Problem]:
    """A warning when input/ gives no time entry at all — missing, not a folder, empty, or holding
    only files without entries (the timesheet template `init` writes) —, naming what it reads:
    a check of nothing must not pass for a clean check. Where an error already says why (a file
    that cannot be read, an export without entries, a link to nowhere), or expenses were read,
    nothing more."""
    if (calendars or any(f.rows for f in files) or any(t.size for t in expenses)
            or any(p.severity is Severity.ERROR for p in problems)):
        return []
    if not input_dir.exists():
        state = "the input/ folder is missing — create it"
    elif not input_dir.is_dir():
        state = "input is a file, not a folder — move it away, create the folder input/"
    else:
        state = (f"no time entries in input/ ({plural(len(files), 'file')} read, none with entries) — nothing was "
                 "checked")
    read = ", ".join(f.title for f in FORMATS)
    suffixes = ", ".join(sorted(TABLE_SUFFIXES | WORKBOOK_SUFFIXES | JSON_SUFFIXES))
    return [warning(Source("input/"), "no-input", f"{state}; put the exports there: {read} ({suffixes}), and "
                                                  f"calendars ({', '.join(sorted(CALENDAR_SUFFIXES))})")]


def discover(input_dir: Path) -> list[Path]:
    """Export files under input/, subfolders and symlinked folders included, in a stable order
    (by path under input/); skips junk (`tree.JUNK`, hidden folders). What cannot be read is
    not among them: `walk` gives the problems too."""
    return list(walk(input_dir, input_dir.parent).files)


def _cached_or_read(path: Path, label: str, kind: str, rules: Rules, cache: IngestCache | None,
                    parts: bool = True) -> _Found:
    """The file from the cache where it holds the file's bytes read under these rules; else
    read: built already if it has several tables or expenses, or it is a large CSV read in parts
    on every core (`parts`: ingest/split.py), else its one table to build. A CSV is read once, for
    its key and its reader."""
    try:
        data = read_input(path) if kind in TABLE_SUFFIXES else None
    except OSError as exc:
        return _Found(path, label, kind, problems=[cannot_read(label, exc)], unreadable=True)
    key, read = cache.get(path, label, data) if cache else ("", None)
    found = _Found(path, label, kind, key, keyed=data is not None)
    try:
        if read is None and cache and data is not None and parts:
            read = _in_parts(data, label, rules, key, cache)
        if read is not None:
            return _modified(found, read)
        tables, problems = _read_file(path, label, kind, data)
        expenses = [_no_repeated_columns(t) for t in tables if is_expense(t.format)]
        tables = [t for t in tables if not is_expense(t.format)]
        if len(tables) == 1 and not expenses:
            found.table, found.problems = _no_repeated_columns(tables[0]), problems
            return found
        built = [build_entries(_no_repeated_columns(t), by_name(t.format), rules) for t in tables]
        read = _file_read(label, kind, tables, problems, expenses, built)
        if cache and not read.expenses:  # expense exports are read by check/expenses: not cached yet
            cache.put(key, path, label, read, same_bytes=data is not None)
        return _modified(found, read)
    except FileError as exc:
        found.problems, found.unreadable = list(exc.problems), True
        return found


def read_and_keep(path: Path, label: str, kind: str, rules: Rules, folder: Path) -> str:
    """One export read and kept in the cache at `folder` as `ingest` keeps it (a worker's: ahead.py);
    the key of its bytes, under which it is kept if it is ("" where they could not be read)."""
    cache = IngestCache(folder, rules)
    found = _cached_or_read(path, label, kind, rules, cache, parts=False)
    if found.table is not None:
        _built(found, build_tables([found.table], rules)[0], cache)
    return found.key


def _read_ahead(paths: Sequence[Path], input_dir: Path, workspace: Path, rules: Rules,
                cache: IngestCache) -> dict[Path, _Found]:
    """A cold year's exports read on every core (ahead.py), each taken from the cache once kept."""
    exports = [(path, label_of(path, workspace), suffix(path.name)) for path in paths
               if suffix(path.name) in TABLE_SUFFIXES | WORKBOOK_SUFFIXES | JSON_SUFFIXES
               and path.relative_to(input_dir).parts[0] != BANK_FOLDER and not _splits(path)]
    return {path: _kept_ahead(path, label, kind, key, cache) or _cached_or_read(path, label, kind, rules, cache)
            for (path, label, kind), key in read_ahead(exports, rules, cache, read_and_keep)}


def _kept_ahead(path: Path, label: str, kind: str, key: str, cache: IngestCache) -> _Found | None:
    """The export a read-ahead worker kept under `key` (the digest of the bytes it read: not read and
    hashed again here), from the cache; None where the cache does not hold it (the caller reads it)."""
    read = cache.kept(key) if key else None
    if read is None:
        return None
    try:
        return _modified(_Found(path, label, kind, key), read)
    except FileError as exc:
        return _Found(path, label, kind, problems=list(exc.problems), unreadable=True)


def _in_parts(data: bytes, label: str, rules: Rules, key: str, cache: IngestCache) -> FileRead | None:
    """A large CSV export read in parts on every core and kept in the cache (ingest/split.py); None
    where it is to be read whole."""
    whole = split.in_parts(data, label, rules, _recognise, describe_unknown, _no_repeated_columns)
    return cache.keep_encoded(key, whole.table, whole.problems, whole.columns, whole.dtypes) if whole else None


def _built(found: _Found, outcome: Built | FileError, cache: IngestCache | None) -> None:
    """`found`'s one table built (or why it cannot be), kept in the cache."""
    assert found.table is not None
    table, problems, found.problems = found.table, found.problems, []
    found.table = None
    if isinstance(outcome, FileError):
        found.problems, found.unreadable = list(outcome.problems), True
        return
    read = _file_read(found.label, found.kind, [table], problems, [], [outcome])
    del table  # its text: a year's export's is handed back before its entries are kept (and encoded)
    if cache:
        if len(outcome[0]) >= RELEASE_ROWS:
            release()
        cache.put(found.key, found.path, found.label, read, same_bytes=found.keyed)
    try:
        _modified(found, read)
    except FileError as exc:
        found.problems, found.unreadable = list(exc.problems), True


def _modified(found: _Found, read: FileRead) -> _Found:
    """`found` with what it gives and its modification time; FileError if it is gone since it was read."""
    try:
        found.modified = found.path.stat().st_mtime
    except OSError as exc:  # gone or changed since it was read
        raise FileError(cannot_read(found.label, exc)) from None
    found.read = read
    return found


def _file_read(label: str, kind: str, tables: list[Table], problems: list[Problem], expenses: list[Table],
               built: list[Built]) -> FileRead:
    """What one file gives: its timesheet tables built into raw entries, its expense tables as
    text, and its problems in the order a run reports them."""
    problems = list(problems)
    if tables and all(not t.size and t.format != "native" for t in tables):  # a template may be empty
        has = "no entries" if kind in JSON_SUFFIXES else "a header but no entries"
        problems.append(error(Source(label), "no-rows",
                              f"the export has {has} — export it again; if there really was no time, delete it"))
    read = [ReadTable(t.file, t.format, t.encoding, t.separator, entries, table_labels)
            for t, (entries, _, table_labels) in zip(tables, built)]
    problems += [p for _, table_problems, _ in built for p in table_problems]
    return FileRead(tuple(read), tuple(problems), tuple(expenses))


def _read_file(path: Path, label: str, kind: str, data: bytes | None = None) -> tuple[list[Table], list[Problem]]:
    """(tables, problems) of a file, as text (`data`: a CSV's bytes, if read already); a file that
    cannot be read raises FileError."""
    try:
        if kind in WORKBOOK_SUFFIXES:
            tables, problems = read_workbook(path, label, _recognise, describe_unknown)
        elif kind in JSON_SUFFIXES:
            table, problems = read_json(path, label)
            tables = [table]
        else:
            tables, problems = [read_csv(path, label, _recognise, describe_unknown, data)], []
        return tables, problems
    except OSError as exc:  # the readers say why a file cannot be opened; this is for one that changed since
        raise FileError(cannot_read(label, exc)) from None


def _recognise(header: list[str]) -> str | None:
    """`formats.recognise` of a table's header, once per distinct header (thousands of exports share a few)."""
    return _recognised(tuple(header))


@lru_cache(maxsize=1024)
def _recognised(header: tuple[str, ...]) -> str | None:
    return recognise(list(header))


def _splits(path: Path) -> bool:
    """Whether the export is a CSV large enough to be read in parts on every core by the run itself
    (ingest/split.py), not by one of the workers reading exports ahead of it."""
    return suffix(path.name) in TABLE_SUFFIXES and size_of(path) >= split.SPLIT_BYTES


def _no_repeated_columns(table: Table) -> Table:
    """A column the format knows, given twice, makes the file ambiguous: which one is the hours?"""
    repeated = _repeated(table.format, table.header)
    if repeated:
        raise FileError(*(error(Source(table.file, 1, table.header[positions[0]]), "repeated-column",
                                f"column '{table.header[positions[0]]}' appears {len(positions)} times "
                                f"(columns {', '.join(str(p + 1) for p in positions)}) — keep one")
                          for positions in repeated))
    return table


@lru_cache(maxsize=1024)
def _repeated(fmt: str, header: tuple[str, ...]) -> list[list[int]]:  # once per distinct header
    return by_name(fmt).repeated(header)
