"""Ingest: every export under input/ → one frame of canonical raw entries.

Needs: the input folder and the agency's time zone. Gives: raw entries (names still as
typed in the exports, each row with source_file and source_row), the files read, the
header text of each canonical column per file (for messages), and problems. A file that
cannot be read at all is an error on the file; the other files are still read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

import pandas as pd

from ..problems import Problem, Source, error, warning
from ..schemas import RawEntries, empty
from .build import Rules, build_entries
from .formats import by_name, describe_unknown, recognise
from .read import FileError, Table, read_csv, read_workbook

TABLE_SUFFIXES = {".csv", ".tsv"}
WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
CALENDAR_SUFFIXES = {".ics"}


@dataclass(frozen=True)
class SourceFile:
    path: str  # as shown to the user, relative to the workspace
    format: str
    rows: int
    encoding: str | None = None
    separator: str | None = None
    modified: float = 0.0  # the file's modification time: which of two overlapping exports is newer


@dataclass(frozen=True)
class Ingested:
    entries: pd.DataFrame
    files: tuple[SourceFile, ...]
    labels: Mapping[str, Mapping[str, str]]  # file label -> {canonical column: header text}
    problems: tuple[Problem, ...]
    unreadable: tuple[str, ...]  # files that could not be read at all
    calendars: tuple[tuple[Path, str], ...] = ()  # .ics files (path, label): read per period by calendars/


def ingest(input_dir: Path, workspace: Path, rules: Rules) -> Ingested:
    frames, files, labels, problems, unreadable, calendars = [], [], {}, [], [], []
    if not input_dir.is_dir():
        problems.append(warning(Source("input/"), "no-input", "the input/ folder is missing — create it and drop "
                                                              "the timesheet exports into it"))
    for path in discover(input_dir):
        label = path.relative_to(workspace).as_posix() if path.is_relative_to(workspace) else str(path)
        suffix = path.suffix.lower()
        if suffix in CALENDAR_SUFFIXES:
            calendars.append((path, label))
            continue
        if suffix not in TABLE_SUFFIXES | WORKBOOK_SUFFIXES:
            problems.append(warning(Source(label), "not-read", "ignored: not a timesheet or calendar file "
                                                               "(.csv, .tsv, .xlsx, .xlsm, .xls, .ods, .ics)"))
            continue
        try:
            tables, sheet_problems = _read(path, label, suffix)
            built = [(t, *build_entries(_no_repeated_columns(t), by_name(t.format), rules)) for t in tables]
        except FileError as exc:
            problems += exc.problems
            unreadable.append(label)
            continue
        problems += sheet_problems
        if tables and all(t.rows.empty and t.format != "native" for t in tables):  # a template may be empty
            problems.append(error(Source(label), "no-rows", "the export has a header but no entries — export it "
                                                            "again; if there really was no time, delete it"))
        for table, entries, table_problems, table_labels in built:
            frames.append(entries)
            problems += table_problems
            labels[table.file] = table_labels
            files.append(SourceFile(table.file, table.format, len(entries), table.encoding, table.separator,
                                    path.stat().st_mtime))
    entries = pd.concat(frames, ignore_index=True) if frames else empty(RawEntries)
    return Ingested(entries, tuple(files), MappingProxyType(labels), tuple(problems), tuple(unreadable),
                    tuple(calendars))


def discover(input_dir: Path) -> list[Path]:
    """Export files under input/, subfolders included, in a stable order; skips hidden and lock files."""
    if not input_dir.is_dir():
        return []
    found = (p for p in input_dir.rglob("*") if p.is_file())
    visible = (p for p in found if not any(part.startswith((".", "~$")) for part in p.relative_to(input_dir).parts))
    return sorted(visible, key=lambda p: p.relative_to(input_dir).as_posix())


def _read(path: Path, label: str, suffix: str) -> tuple[list[Table], list[Problem]]:
    if suffix in WORKBOOK_SUFFIXES:
        return read_workbook(path, label, recognise, describe_unknown)
    return [read_csv(path, label, recognise, describe_unknown)], []


def _no_repeated_columns(table: Table) -> Table:
    """A column the format knows, given twice, makes the file ambiguous: which one is the hours?"""
    repeated = by_name(table.format).repeated(table.header)
    if repeated:
        raise FileError(*(error(Source(table.file, 1, table.header[positions[0]]), "repeated-column",
                                f"column '{table.header[positions[0]]}' appears {len(positions)} times "
                                f"(columns {', '.join(str(p + 1) for p in positions)}) — keep one")
                          for positions in repeated))
    return table
