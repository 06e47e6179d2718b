"""Reading a JSON export (Watson's frames file) into a table of text, like a CSV's.

A JSON export is a list of records: lists, whose items the format names by position
(`Format.positions`), or objects, whose keys are the header. Each record is a row, numbered
from 1 in the order of the file (a frame's number, as a problem names it); every value
becomes the text a CSV cell would hold (numbers plain, a list of tags joined by `, `). A record
that is not a list or object, has the wrong number of items, or holds a nested value is an
error on its row and not an entry. The file is read whole, so it may not be larger than
`MAX_BYTES`; nesting deeper than Python's recursion limit is refused by the parser itself.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from ..problems import Problem, Source, error
from .formats import Format, by_name, by_positions, recognise
from .read import FileError, Table, decode
from .tree import cannot_read, open_input

MAX_BYTES = 128 * 1024 * 1024  # a Watson frames file of a busy decade is a few MB
WATSON = "a list of frames [start, stop, project, id, tags, updated_at]"


def read_json(path: Path, label: str) -> tuple[Table, list[Problem]]:
    """The records of a JSON export as a table of text, and an error for each record that is not
    an entry; a file that is not such an export raises FileError."""
    text, encoding = _text(path, label)
    records = _records(text, label)
    fmt, header = _format(records, label)
    rows, problems = [], []
    for number, record in enumerate(records, start=1):
        cells, fault = _cells(record, header, fmt)
        if fault:
            problems.append(error(Source(label, number), "bad-frame", f"{fault} — expected {_shape(fmt)}; correct "
                                                                      "or delete this record"))
        else:
            rows.append((number, cells))
    used = fmt.field_positions(header).values()
    frame = pd.DataFrame({i: pd.Series([cells[i] for _, cells in rows], dtype=str) for i in used})
    table = Table(label, fmt.name, header, frame.assign(source_row=[number for number, _ in rows]), encoding)
    return table, problems


def _text(path: Path, label: str) -> tuple[str, str]:
    try:
        with open_input(path) as handle:
            if os.fstat(handle.fileno()).st_size > MAX_BYTES:
                raise FileError(error(Source(label), "bad-json", f"larger than {MAX_BYTES // 2**20} MB — not a "
                                                                 "timesheet export; not read"))
            data = handle.read()
    except OSError as exc:
        raise FileError(cannot_read(label, exc)) from None
    if not data.strip():
        raise FileError(error(Source(label), "empty-file", "the file is empty — export it again"))
    return decode(data, label)


def _records(text: str, label: str) -> list:
    try:
        records = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileError(error(Source(label, exc.lineno), "bad-json", f"not valid JSON ({exc.msg}, column "
                                                                     f"{exc.colno}) — copy the file again")) from None
    except RecursionError:  # the parser's own limit on nesting
        raise FileError(error(Source(label), "bad-json", "nested too deep to be an export — not read")) from None
    except ValueError:  # a number of more digits than Python converts (4300)
        raise FileError(error(Source(label), "bad-json", "a number thousands of digits long — not an export; not "
                                                         "read")) from None
    if not isinstance(records, list):
        raise FileError(error(Source(label), "unknown-format", f"a JSON {type(records).__name__}, not a list of "
                                                               f"records — a Watson frames file is {WATSON}"))
    return records


def _format(records: list, label: str) -> tuple[Format, tuple[str, ...]]:
    """The format of a file's records, and their header: the positions' names of its list
    records, or the keys of its objects in the order they first appear."""
    lists = [r for r in records if isinstance(r, list)]
    objects = [r for r in records if isinstance(r, dict)]
    if lists and not objects:  # the first record that fits a format decides; the others are checked against it
        fmt = next((f for f in map(by_positions, map(len, lists)) if f is not None), None)
        if fmt is not None:
            return fmt, fmt.positions
    elif objects and not lists:
        header = tuple(dict.fromkeys(str(key) for record in objects for key in record))
        if name := recognise(list(header), "json"):
            return by_name(name), header
    elif not records:
        return by_name("watson"), by_name("watson").positions  # nothing to read: no-rows says so
    raise FileError(error(Source(label), "unknown-format", f"not a known JSON export — a Watson frames file is "
                                                           f"{WATSON}, or the list `watson log --json` writes"))


def _cells(record: object, header: tuple[str, ...], fmt: Format) -> tuple[list[str], str | None]:
    """A record's values as text in the order of the header, or why it is not an entry."""
    if isinstance(record, list):
        if not fmt.shortest <= len(record) <= len(header):
            return [], f"a record of {len(record)} items"
        values = record + [None] * (len(header) - len(record))
    elif isinstance(record, dict):
        values = [record.get(key) for key in header]
    else:
        return [], f"a {type(record).__name__}, not a record"
    cells = [_cell(v) for v in values]
    if None in cells:
        return [], f"item {cells.index(None) + 1} ({header[cells.index(None)]}) holds a nested value"
    return [str(c) for c in cells], None


def _cell(value: object) -> str | None:
    """A JSON value as cell text; None for one no cell could hold (a list of lists, an object)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value).strip()
    if isinstance(value, list) and all(isinstance(v, (int, float, str)) and not isinstance(v, bool) for v in value):
        return ", ".join(str(v).strip() for v in value)
    return None


def _shape(fmt: Format) -> str:
    return f"[{', '.join(fmt.positions)}]" if fmt.positions else "an object"
