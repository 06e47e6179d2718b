"""One large CSV export read on every core: its records in parts, put back together as one.

A year's export in one file (hundreds of megabytes) would be read on one core while the others
wait. Where forking pays (processes.forks) and the export is at least SPLIT_BYTES, its text is
decoded and its header found once; its records are cut into one part per core at record ends
(outside quotes: `read.record_ends`), and each part — the header, then its records — is read and
built by a process forked from the run, exactly as the whole file's reading reads those rows
(numbered as in the file), and encoded as the ingest cache keeps columns. The run reads the first
part itself, then joins the parts' columns end to end (`arrays.joined`) and keeps the export in
the cache (`IngestCache.keep_encoded`), from where the run takes it as a warm run would.

The parts give what the whole gives only where nothing the file decides from all its rows
differs between them, so the parts are joined only where:
- each part decides the same from its own values (`batch.decisions`: whether its entries have
  slash dates and their order — a stray row's dates tell nothing —, its decimal mark), so the
  whole decides that too;
- each problem is one row's own (no problem naming several rows; of a format whose report may
  round durations, at most one duration off its start–end in all the parts, as two or more may be
  the tracker's rounding: `batch.TABLE_DECIDES`), as each check goes over the rows in order and
  the run sorts problems by file and row (the date-order error of slash dates no date tells the
  order of names all their rows: it is the whole file's);
- every part has rows, and each gives the same column labels and dtypes.
Anything else — and a format with a totals row under its last entry, or an expense export, or
quotes only a CSV reader can make sense of — is read whole, as always; so is an export whose part
could not be read (the whole file's reading then says why).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from ..memory import release
from ..problems import Problem
from ..processes import cores, forked_call, forks
from ..schemas import RawEntries
from . import arrays
from .batch import TABLE_DECIDES, decisions, entry_rows
from .build import Rules, build_entries
from .formats import by_name, is_expense
from .read import CsvText, FileError, Recognise, Table, csv_text, field_size_limit, record_ends, records_table

SPLIT_BYTES = 8 * 2**20  # an export this large takes longer to read on one core than to cut and join
_COLUMNS = tuple(RawEntries.columns)


@dataclass(frozen=True)
class Piece:
    """What one part of an export gives: its raw entries as the cache keeps columns, and more."""

    columns: dict[str, arrays.Column]
    dtypes: dict[str, str]
    rows: int
    problems: tuple[Problem, ...]
    labels: dict[str, str]
    decisions: tuple


@dataclass(frozen=True)
class Whole:
    """What the export gives, its parts joined: for `IngestCache.keep_encoded`."""

    table: dict[str, Any]  # file, format, encoding, separator, rows, labels
    problems: tuple[Problem, ...]
    columns: dict[str, arrays.Column]
    dtypes: dict[str, str]


def in_parts(data: bytes, label: str, rules: Rules, recognise: Recognise, describe: Callable[[list[str]], str],
             checked: Callable[[Table], Table]) -> Whole | None:
    """The CSV export `data` read in parts on every core, where that pays and gives what reading it
    whole gives; else None (the caller reads it whole). `checked`: the table as ingest takes it
    (FileError for one it refuses)."""
    parts = cores()
    if len(data) < SPLIT_BYTES or parts < 2 or not forks():
        return None
    with field_size_limit(len(data)):  # as reading it whole: an overlong value is an error at its cell
        try:
            text = csv_text(data, label, recognise, describe)
        except FileError:
            return None
        fmt = by_name(text.format)
        if fmt.totals_row or is_expense(fmt.name):
            return None
        ends = record_ends(text.utf8(), text.separator)
        if ends is None:
            return None
        bounds = _bounds(ends, len(text.utf8()), parts)
        if len(bounds) < 3:
            return None
        pieces = _pieces(partial(_piece, text, ends, bounds, label, rules, checked), len(bounds) - 1)
    read_as = {"file": label, "format": fmt.name, "encoding": text.encoding, "separator": text.separator}
    del text, ends
    release()  # what reading the first part used
    return _whole(pieces, read_as) if pieces is not None else None


def _pieces(work: Callable[[int], Piece | None], parts: int) -> list[Piece | None] | None:
    """work(k) of each part: the first here, the others each by a process forked from this one (a
    part a process died reading is read here); None where a part raised what reading it whole
    would raise (the caller reads the file whole, and meets it there). Every forked process is
    waited for."""
    waiting = [forked_call(partial(work, k)) for k in range(1, parts)]
    pieces: list[Piece | None] = []
    failed = False
    try:
        pieces.append(work(0))
    except Exception:  # noqa: BLE001 — met again, and said, where the file is read whole
        failed = True
    for wait in waiting:
        try:
            pieces.append(wait())
        except Exception:  # noqa: BLE001
            failed = True
    return None if failed else pieces


def _bounds(ends: np.ndarray, size: int, parts: int) -> list[int]:
    """Where each part's records begin (record 0 is the header), and the end: parts of about equal bytes."""
    cuts = np.searchsorted(ends, [size * k // parts for k in range(1, parts)]) + 1
    inner = sorted({int(c) for c in cuts if 1 < c < len(ends)})
    return [1, *inner, len(ends)]


def _piece(text: CsvText, ends: np.ndarray, bounds: list[int], label: str, rules: Rules,
           checked: Callable[[Table], Table], k: int) -> Piece | None:
    """Part `k` read and built, encoded; None where it cannot be (the whole is read then)."""
    try:
        table = checked(records_table(text, label, ends, bounds[k], bounds[k + 1]))
        entries, problems, labels = build_entries(table, by_name(table.format), rules)
    except FileError:
        return None
    columns = {name: arrays.encode(entries[name]) for name in entries.columns}
    if tuple(entries.columns) != _COLUMNS or not table.size or any(c is None for c in columns.values()):
        return None
    decided = decisions(table, by_name(table.format), entry_rows(table, entries))  # a stray row's dates tell nothing
    return Piece({n: c for n, c in columns.items() if c is not None}, {c: str(t) for c, t in entries.dtypes.items()},
                 len(entries), tuple(problems), labels, decided)


def _whole(pieces: list[Piece | None], read_as: dict[str, Any]) -> Whole | None:
    """The pieces joined, where together they give what the whole file gives (see the module's doc)."""
    if any(p is None for p in pieces):
        return None
    parts = [p for p in pieces if p is not None]
    first = parts[0]
    if any(p.decisions != first.decisions or p.labels != first.labels or p.dtypes != first.dtypes for p in parts):
        return None
    if len(first.decisions) == 1:  # a part whose values contradict each other decides nothing
        return None
    problems = tuple(p for part in parts for p in part.problems)
    if any(not _own_row(p, read_as["file"]) for p in problems):
        return None
    if by_name(read_as["format"]).report_rounding and sum(p.code in TABLE_DECIDES for p in problems) > 1:
        return None  # durations off their start–end in several rows: the whole may call that the tracker's rounding
    columns = {name: arrays.joined([p.columns[name] for p in parts]) for name in _COLUMNS}
    if any(c is None for c in columns.values()):
        return None
    table = {**read_as, "rows": sum(p.rows for p in parts), "labels": dict(first.labels)}
    return Whole(table, problems, {n: c for n, c in columns.items() if c is not None}, first.dtypes)


def _own_row(problem: Problem, label: str) -> bool:
    """Whether the problem is about one row of the export alone, whatever the rows beside it."""
    return (problem.source.file == label and problem.source.row is not None and not problem.rows
            and problem.code != "date-order")

