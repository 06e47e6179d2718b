"""Reading export files into tables of text, keeping the row number a spreadsheet shows.

CSV: the encoding (UTF-8 with or without BOM, UTF-16 with BOM, Windows-1252) and the
separator (`,` `;` or tab) are detected, never guessed: the separator is the one under
which the header is a known export format, and a file where no or several separators
qualify is an error naming the file. XLSX/ODS: every visible sheet whose header (in its
first rows) is a known format is read; values that Excel typed (dates, times, numbers) are
written back as text so one set of parsers serves both.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Callable, NamedTuple

import pandas as pd

from ..problems import Problem, Source, error, info, warning
from .tree import cannot_read, open_input, read_input

if TYPE_CHECKING:
    import numpy as np

SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab"}
HEADER_SEARCH_ROWS = 20  # exports from some tools put a title above the header
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_EXCEL_SEP_HINT = re.compile(r"sep=([,;\t])")
_LEADING_BLANK_LINES = re.compile(r"(?:[ \t]*\n)*")


Cells = Mapping[Hashable, "np.ndarray"]  # a table's columns as plain arrays: text as objects, source_row int64


@dataclass(frozen=True)
class Table:
    """One block of rows under a recognised header, all values as text: one column per header
    position the format reads, plus source_row (and source_file, for many tables' rows at once:
    ingest/batch.py). Readers give the columns as plain arrays (`Cells`): the frame (`rows`) is
    made only when asked for, since pandas costs about as much per frame of one row as of many."""

    file: str  # as shown to the user, e.g. input/team/anna.csv or input/book.xlsx[Week 47]
    format: str
    header: tuple[str, ...]
    cells: pd.DataFrame | Cells  # the columns, as a frame or as plain arrays
    encoding: str | None = None
    separator: str | None = None
    # no cell has more characters than this, where the reader knows: a CSV's longest record in UTF-8 bytes
    # (a character is a byte or more, and reading only shortens a field), or a small CSV's whole text
    cell_bound: int | None = None

    @cached_property
    def rows(self) -> pd.DataFrame:
        """The columns as a frame: text as pandas' `str`, source_row as int64."""
        if isinstance(self.cells, pd.DataFrame):
            return self.cells
        return pd.DataFrame({k: v if v.dtype != object else pd.array(v, dtype="str") for k, v in self.cells.items()},
                            copy=False)

    @property
    def size(self) -> int:
        """Its number of rows, without making the frame."""
        return len(self.cells) if isinstance(self.cells, pd.DataFrame) else len(self.cells["source_row"])

    def column(self, key: Hashable) -> np.ndarray:
        """One column as a plain array (text as objects), without making the frame."""
        if not isinstance(self.cells, pd.DataFrame):
            return self.cells[key]
        values = self.cells[key]
        return values.to_numpy(dtype=object) if isinstance(values.dtype, pd.StringDtype) else values.to_numpy()


Recognise = Callable[[list[str]], "str | None"]


class FileError(Exception):
    """A file that cannot be read at all: stops the billing run."""

    def __init__(self, *problems: Problem) -> None:
        super().__init__("; ".join(map(str, problems)))
        self.problems = problems


def read_csv(path: Path, label: str, recognise: Recognise, describe: Callable[[list[str]], str],
             data: bytes | None = None) -> Table:
    """The CSV at `path` (`data`: its bytes, if the caller has read them) as a table of text."""
    try:
        data = read_input(path) if data is None else data
    except OSError as exc:
        raise FileError(cannot_read(label, exc)) from None
    with field_size_limit(len(data)):  # an overlong value is an error at its cell
        return _read_text(data, label, recognise, describe)


@contextmanager
def field_size_limit(size: int) -> Iterator[None]:
    """The csv module's limit (process-wide) raised to `size` for the block, and put back after."""
    before = csv.field_size_limit()
    csv.field_size_limit(max(before, size))
    try:
        yield
    finally:
        csv.field_size_limit(before)


@dataclass
class CsvText:
    """A CSV decoded, its header found: its records, header first, as text — or as UTF-8 once
    `utf8()` was asked for (the text is let go then: a 200 MB export's is two or four bytes a character)."""

    body: str | bytes
    first: int  # lines above the header: blank ones, Excel's "sep=" line
    format: str
    separator: str
    encoding: str

    def utf8(self) -> bytes:
        if isinstance(self.body, str):
            self.body = self.body.encode("utf-8")
        return self.body


def _read_text(data: bytes, label: str, recognise: Recognise, describe: Callable[[list[str]], str]) -> Table:
    text = csv_text(data, label, recognise, describe)
    cells = _small_cells(text.body, text.separator) if isinstance(text.body, str) and len(text.body) <= SMALL_CSV \
        else None
    if cells is not None:  # no cell is longer than the whole text
        return _table(cells, label, text, text.first + 2, len(text.body))
    frame, bound = _parsed(text.utf8(), text.separator, label, text.first)
    return _table(frame.to_numpy(dtype=object), label, text, text.first + 2, bound)  # one array: columns cost more


def csv_text(data: bytes, label: str, recognise: Recognise, describe: Callable[[list[str]], str]) -> CsvText:
    """The CSV's bytes decoded, its line ends made one kind, its header's line, format and separator
    found; FileError for a file that is empty, not text, or whose header is no known format."""
    text, encoding = decode(data, label)
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # one kind of line end: csv and pandas count rows alike
    start = _LEADING_BLANK_LINES.match(text).end()  # type: ignore[union-attr]  # matches the empty string
    if start == len(text) or text.isspace():
        raise FileError(error(Source(label), "empty-file", "the file is empty — export it again"))
    first = text.count("\n", 0, start)
    first_line = _line_at(text, start)
    if m := _EXCEL_SEP_HINT.fullmatch(first_line.strip()):  # Excel's "sep=;" line: it names the separator
        start += len(first_line) + 1  # and Excel does not show it as a row
        fmt, sep = _detect_separator(_line_at(text, start), label, recognise, describe, only=m[1])
    else:
        fmt, sep = _detect_separator(first_line, label, recognise, describe)
    return CsvText(text[start:] if start else text, first, fmt, sep, encoding)


def records_table(text: CsvText, label: str, ends: np.ndarray, lo: int, hi: int) -> Table:
    """Records lo to hi - 1 of the CSV (record 0 is its header; `ends`: where each ends, from
    `record_ends`) as the table reading the whole file gives for those rows, numbered as in the file."""
    raw = text.utf8()
    head = raw[:int(ends[0]) + 1]
    end = int(ends[hi - 1]) + 1
    part = raw[:end] if lo == 1 else head + raw[int(ends[lo - 1]) + 1:end]
    frame, bound = _parsed(part, text.separator, label, text.first + lo - 1)
    return _table(frame.to_numpy(dtype=object), label, text, text.first + 1 + lo, bound)


def _table(cells: np.ndarray, label: str, text: CsvText, first_row: int, cell_bound: int | None) -> Table:
    """The records' cells (header first) as a table, its first row numbered `first_row`, no cell
    longer than `cell_bound` (None: not known)."""
    header = tuple(v.strip() for v in cells[0])
    width = len(header)
    while width > 1 and not header[width - 1]:
        width -= 1
    rows = _text_rows([cells[1:, c] for c in range(width)], first_row, _used(text.format, header))
    return Table(label, text.format, header[:width], rows, text.encoding, text.separator, cell_bound)


def _line_at(text: str, start: int) -> str:
    """The line that begins at `start` (without its end): not a copy of the rest of the text."""
    end = text.find("\n", start)
    return text[start:] if end < 0 else text[start:end]


SMALL_CSV = 16 * 1024  # characters up to which the csv module reads a regular file faster than pandas


def _small_cells(body: str, sep: str) -> np.ndarray | None:
    """The records of a small CSV as one array of text, header first, where all have the header's
    number of fields and its quotes all stand around fields: read by the csv module (pandas costs
    milliseconds a call, whatever the size; on such a file both read the same fields). None for any
    other file: `_parsed` reads it."""
    import numpy as np

    per_line = _per_line(body, sep)
    counts: np.ndarray | None
    if per_line is not None:
        counts = np.array(per_line, dtype=np.int64)
    else:
        counted = _records(body.encode("utf-8"), sep)
        counts = counted.fields if counted is not None else None
    if counts is None or not len(counts) or not (counts == counts[0]).all():
        return None
    records = list(csv.reader(io.StringIO(body), delimiter=sep))
    if len(records) != len(counts) or any(len(r) != counts[0] for r in records):
        return None
    cells = np.empty((len(records), int(counts[0])), dtype=object)
    cells[:] = records
    return cells


def _parsed(body: bytes, sep: str, label: str, offset: int) -> tuple[pd.DataFrame, int | None]:
    """(the records of a CSV (`body`: its text as UTF-8), header first, every value text; the bytes
    of its longest record where they were counted). Parsed by pandas; a file whose records do not
    all have the header's number of fields (or whose quoting is irregular) is read again record by
    record, to name the rows at fault."""
    records = _records(body, sep)
    if records is not None and len(counts := records.fields) and ((counts[1:] == counts[0]) | (counts[1:] == 0)).all():
        frame = _read_csv(body, sep, int(counts[0]))
        if len(frame) == len(counts):
            return frame, records.longest
    width, fields, ragged = _field_counts(body.decode("utf-8"), sep, label, offset)
    if ragged:
        raise FileError(*ragged)
    try:
        return _read_csv(body, sep, fields).fillna(""), None
    except pd.errors.ParserError as exc:
        raise FileError(_parser_problem(exc, label, offset)) from None


BLOCK_BYTES = 1 << 24  # bytes compared at once: a 200 MB export is not compared into 200 MB arrays
BLOCK_LINES = 1 << 18  # records whose separators are counted at once


class Records(NamedTuple):
    """A CSV's records as its bytes tell them."""

    fields: np.ndarray  # in each record (0 for a blank line)
    longest: int  # the UTF-8 bytes of the longest record


def _records(body: bytes, sep: str) -> Records | None:
    """The records of a CSV's text as UTF-8, counted at C speed over the bytes, a block at a time;
    None if a double quote stands anywhere but around a field or doubled inside one, where only a
    CSV reader can tell what the file means."""
    import numpy as np

    buf = np.frombuffer(body, dtype=np.uint8)
    quotes = _quotes(buf, sep)
    if quotes is None:
        return None
    line_end = _line_ends(buf, quotes)
    line_start = np.concatenate(([0], line_end[:-1] + 1))
    comma = ord(sep)
    fields = np.empty(len(line_end), dtype=np.int64)
    for lo in range(0, len(line_end), BLOCK_LINES):  # a block of records: its separators, not the file's
        hi = min(lo + BLOCK_LINES, len(line_end))
        seps = _unquoted(quotes, _where(buf[line_start[lo]:line_end[hi - 1]], comma) + line_start[lo])
        fields[lo:hi] = np.searchsorted(seps, line_end[lo:hi]) - np.searchsorted(seps, line_start[lo:hi]) + 1
    return Records(np.where(line_end > line_start, fields, 0), int((line_end - line_start).max(initial=0)))


def record_ends(body: bytes, sep: str) -> np.ndarray | None:
    """Where each record of a CSV's text as UTF-8 ends: its line end outside quotes, or the end of
    the text; None where its quotes are irregular (see `_records`)."""
    import numpy as np

    buf = np.frombuffer(body, dtype=np.uint8)
    quotes = _quotes(buf, sep)
    return None if quotes is None else _line_ends(buf, quotes)


def _quotes(buf: np.ndarray, sep: str) -> np.ndarray | None:
    """Where the double quotes are, if each stands around a field or is doubled inside one; else None."""
    import numpy as np

    end, line, comma = len(buf), ord("\n"), ord(sep)
    quotes = _where(buf, ord('"'))
    if len(quotes) % 2:
        return None
    opens, closes = quotes[0::2], quotes[1::2]
    # a field's opening quote follows a separator, a line end or the start, or closes a doubled ""
    after_close = np.concatenate(([-2], closes[:-1])) == opens - 1
    if not ((opens == 0) | np.isin(buf[opens - 1], (comma, line)) | after_close).all():
        return None
    before_open = np.concatenate((opens[1:], [-2])) == closes + 1
    if not ((closes == end - 1) | np.isin(buf[np.minimum(closes + 1, end - 1)], (comma, line)) | before_open).all():
        return None
    return quotes


def _line_ends(buf: np.ndarray, quotes: np.ndarray) -> np.ndarray:
    """The line ends outside quotes, and the end of the text where it does not end a line."""
    import numpy as np

    line_end = _unquoted(quotes, _where(buf, ord("\n")))
    if not len(buf) or buf[-1] != ord("\n"):
        line_end = np.append(line_end, len(buf))
    return line_end


def _unquoted(quotes: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """The positions with an even number of quotes before them: not inside a quoted field."""
    import numpy as np

    return positions[np.searchsorted(quotes, positions) % 2 == 0] if len(quotes) else positions


def _where(buf: np.ndarray, byte: int) -> np.ndarray:
    """The positions of `byte` in `buf` (int64), compared BLOCK_BYTES at a time."""
    import numpy as np

    found = [np.flatnonzero(buf[at:at + BLOCK_BYTES] == byte) + at for at in range(0, len(buf), BLOCK_BYTES)]
    return np.concatenate(found) if found else np.empty(0, dtype=np.int64)


def _per_line(body: str, sep: str) -> list[int] | None:
    """Fields in each line (0 for a blank one), where each line is a record whose quoted fields
    hold no quote and no line end (their separators part nothing); None for any other text."""
    lines = body.split("\n")
    simple, counts = _simple_line(sep), []
    for line in lines[:-1] if body.endswith("\n") else lines:
        if '"' in line and not simple.fullmatch(line):
            return None
        counts.append((_QUOTED.sub("", line) if '"' in line else line).count(sep) + 1 if line else 0)
    return counts


_QUOTED = re.compile(r'"[^"\n]*"')


@lru_cache(maxsize=8)
def _simple_line(sep: str) -> re.Pattern:
    field = rf'(?:"[^"\n]*"|[^"\n{re.escape(sep)}]*)'
    return re.compile(rf"{field}(?:{re.escape(sep)}{field})*")


def _read_csv(body: bytes, sep: str, fields: int) -> pd.DataFrame:
    """pandas' C parser on the text as UTF-8 bytes (as a StringIO it would hold four bytes a character:
    800 MB for a 200 MB export)."""
    return pd.read_csv(io.BytesIO(body), encoding="utf-8", sep=sep, header=None,
                       names=range(max(1, fields)), dtype=object, keep_default_na=False, na_filter=False,
                       skip_blank_lines=False, engine="c", quotechar='"')


def _text_rows(columns: list, first_row: int, used: set[int]) -> Cells:
    """Columns of cell text → the rows of the columns the format reads (`used`), without
    surrounding spaces (stripped once, so no later stage strips again), each with its row
    number, as plain arrays; a row is dropped only if blank in every column, read or not."""
    import numpy as np

    count = len(columns[0]) if columns else 0
    order = sorted(used)
    stripped = np.empty((len(order), count), dtype=object)  # the columns read, one array: a small file's costs
    for j, i in enumerate(order):
        stripped[j] = [v.strip() for v in columns[i]]
    blank = (stripped == "").all(axis=0)
    for i, column in enumerate(columns):
        if i not in used and blank.any():
            rows = np.flatnonzero(blank)
            blank[rows] = [not column[r].strip() for r in rows]
    numbers = np.arange(first_row, first_row + count)
    if blank.any():
        stripped, numbers = stripped[:, ~blank], numbers[~blank]
    kept: dict = dict(zip(order, stripped))
    kept["source_row"] = numbers
    return kept


def _used(fmt: str, header: Sequence[str]) -> set[int]:
    """The positions of the columns the format reads (the others are only looked at for blank rows)."""
    return set(_used_by(fmt, tuple(header)))


@lru_cache(maxsize=1024)
def _used_by(fmt: str, header: tuple[str, ...]) -> frozenset[int]:  # once per distinct header
    from .formats import by_name

    return frozenset(by_name(fmt).field_positions(header).values())


def decode(data: bytes, label: str) -> tuple[str, str]:
    """Bytes → text. UTF-8 (BOM or not), UTF-16 with BOM, else Windows-1252; never silently lossy."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    elif b"\x00" in data[:8192]:
        head = data[:8192]
        for encoding, zeros in (("utf-16-le", head[1::2]), ("utf-16-be", head[0::2])):
            if zeros.count(0) > 0.9 * len(zeros):  # ASCII text stored as UTF-16 without its BOM
                try:
                    return data.decode(encoding), encoding
                except UnicodeDecodeError:
                    break
        raise FileError(error(Source(label), "not-text", "this is not a text file (it holds binary data) — "
                                                         "export the timesheet as CSV or XLSX"))
    else:
        try:
            return data.decode("utf-8-sig"), "utf-8"
        except UnicodeDecodeError as exc:
            if _UTF8_SEQUENCE.search(data):  # UTF-8 text with a foreign byte: decoding it as cp1252 garbles it
                line = data[:exc.start].count(b"\n") + 1
                message = (f"this line is not UTF-8 although the rest of the file is (byte 0x{data[exc.start]:02x}) "
                           "— save the file again as CSV UTF-8")
                raise FileError(error(Source(label, line), "encoding", message)) from None
        try:
            return data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            pass
    again = "copy or export it again as UTF-8" if label.endswith((".json", "frames")) else "save it as CSV UTF-8"
    raise FileError(error(Source(label), "encoding", "cannot decode the file as UTF-8, UTF-16 or Windows-1252 "
                                                     f"text — {again}"))


def _detect_separator(line: str, label: str, recognise: Recognise, describe: Callable[[list[str]], str],
                      only: str | None = None) -> tuple[str, str]:
    found = {}
    for sep in [only] if only else SEPARATORS:
        fields = next(csv.reader([line], delimiter=sep))
        if fmt := recognise(fields):
            found[sep] = fmt
    if len(found) == 1:
        sep, fmt = next(iter(found.items()))
        return fmt, sep
    if len(found) > 1:
        names = " and ".join(SEPARATORS[s] for s in found)
        raise FileError(error(Source(label, 1), "ambiguous-format", f"the header reads as a timesheet with {names} "
                                                                    "separators — save it with one separator"))
    widest = max(SEPARATORS, key=lambda s: len(next(csv.reader([line], delimiter=s))))
    fields = next(csv.reader([line], delimiter=widest))
    raise FileError(error(Source(label, 1), "unknown-format", describe(fields)))


def _field_counts(body: str, sep: str, label: str, offset: int, limit: int = 20) -> tuple[int, int, list[Problem]]:
    """(header width without trailing empty names, most fields in a record, problems for up to `limit` rows whose
    values would land in the wrong columns: too few fields, or values beyond the last header)."""
    reader = csv.reader(io.StringIO(body), delimiter=sep)
    header = next(reader, [])
    width = len(header)
    while width > 1 and not header[width - 1].strip():
        width -= 1
    longest, problems = len(header), list[Problem]()
    unclosed = body.count('"') % 2 == 1  # the csv module then reads the rest of the file as one value
    for row, record in enumerate(reader, start=offset + 2):
        longest = max(longest, len(record))
        if unclosed and any("\n" in value for value in record):
            return width, longest, [error(Source(label, row), "bad-csv", 'a double quote (") opened in this row is '
                                          "never closed, so the rest of the file would be one value — close or "
                                          "remove the quote")]
        if not record or len(problems) == limit:
            continue
        if len(record) < width:
            problems.append(error(Source(label, row), "bad-csv", f"this row has {len(record)} fields but the header "
                                                                 f"has {width} — a value or a separator is missing"))
        elif any(value.strip() for value in record[width:]):
            problems.append(error(Source(label, row), "bad-csv", f"this row has {len(record)} fields but the header "
                                                                 f"has {width} — a value containing '{sep}' must be "
                                                                 "in double quotes"))
    return width, longest, problems


def _parser_problem(exc: Exception, label: str, offset: int) -> Problem:
    if m := re.search(r"EOF inside string starting at row (\d+)", str(exc)):
        return error(Source(label, int(m[1]) + 1 + offset), "bad-csv",
                     'a double quote (") opened in this row is never closed, so the rest of the file would be one '
                     "value — close or remove the quote")
    return error(Source(label), "bad-csv", f"cannot read the CSV ({str(exc).strip()}) — export it again")


def read_workbook(path: Path, label: str, recognise: Recognise,
                  describe: Callable[[list[str]], str]) -> tuple[list[Table], list[Problem]]:
    """Every sheet with a recognised header becomes a table (hidden ones too: data is never
    dropped unseen); visible sheets with other content are reported."""
    import python_calamine

    try:
        with open_input(path) as handle:
            _not_a_bomb(handle, path, label)
    except OSError as exc:
        raise FileError(cannot_read(label, exc)) from None
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        sheets = {m.name: str(m.visible).endswith(".Visible") for m in book.sheets_metadata
                  if str(m.typ).endswith("WorkSheet")}
        grids = {name: book.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in sheets}
    except Exception as exc:  # calamine raises its own types for zip, XML and format errors
        raise FileError(error(Source(label), "bad-workbook", f"cannot read this workbook ({exc}) — "
                                                             "save it again as .xlsx")) from None
    tables, problems, unknown = [], [], []
    for name, grid in grids.items():
        sheet_label = label if len(sheets) == 1 else f"{label}[{name}]"
        table = _sheet_table(grid, sheet_label, recognise)
        if table is not None:
            tables.append(table)
            if not sheets[name]:
                problems.append(info(Source(sheet_label), "hidden-sheet", "hidden sheet read"))
        elif sheets[name] and any(_cell_text(v).strip() for row in grid[:HEADER_SEARCH_ROWS] for v in row):
            unknown.append((sheet_label, grid))
    for sheet_label, grid in unknown:
        first = next(row for row in grid if any(_cell_text(v).strip() for v in row))
        message = describe([_cell_text(v) for v in first])
        if tables and not message.startswith("looks like"):
            problems.append(warning(Source(sheet_label), "sheet-skipped",
                                    "sheet not read: its header is not a timesheet format"))
        else:  # a sheet that nearly is a timesheet must not be skipped: its hours would be lost
            message = describe([_cell_text(v) for v in first])
            raise FileError(error(Source(sheet_label, 1), "unknown-format",
                                  f"{message} (looked for it in the first {HEADER_SEARCH_ROWS} rows)"))
    if not tables and not unknown:
        raise FileError(error(Source(label), "empty-file", "the workbook has no data — export it again"))
    return tables, problems


MAX_UNPACKED = 512 * 1024 * 1024  # bytes a workbook may unpack to: far beyond any month's timesheet
MAX_RATIO = 200  # XML compresses well, but not this well


def _not_a_bomb(handle: BinaryIO, path: Path, label: str) -> None:
    """An .xlsx/.ods is a zip: refuse one that would unpack to an absurd size before reading it.
    `handle`: the file, open (a file that cannot be opened is refused before this)."""
    import zipfile

    if not zipfile.is_zipfile(handle):
        handle.seek(0)
        head = handle.read(8192)
        if path.suffix.lower() != ".xls" and head and not head.startswith(b"PK") and b"\x00" not in head:
            raise FileError(error(Source(label), "bad-workbook", "this is a text file, not a workbook — if it is a "
                                                                 "CSV export, rename it to .csv"))
        return  # .xls is not a zip; anything else calamine rejects itself
    try:
        with zipfile.ZipFile(handle) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise FileError(error(Source(label), "bad-workbook", f"cannot read this workbook ({exc}) — "
                                                             "save it again as .xlsx")) from None
    unpacked = sum(m.file_size for m in members)
    packed = max(1, sum(m.compress_size for m in members))
    if unpacked > MAX_UNPACKED or (unpacked > 10 * 1024 * 1024 and unpacked / packed > MAX_RATIO):
        raise FileError(error(Source(label), "bad-workbook", f"this workbook would unpack to {unpacked // 2**20} MB "
                                                             f"from {packed // 1024} KB — not a timesheet export; "
                                                             "not read"))


def _sheet_table(grid: list[list], label: str, recognise: Recognise) -> Table | None:
    for i, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        header = [_cell_text(v).strip() for v in row]
        if fmt := recognise(header):
            body = [[_cell_text(v) for v in r] for r in grid[i + 1:]]
            columns = [[r[c] for r in body] for c in range(len(header))]
            return Table(label, fmt, tuple(header), _text_rows(columns, i + 2, _used(fmt, header)))
    return None


def _cell_text(value: object) -> str:
    """A typed cell as the text the parsers read (dates ISO, times HH:MM:SS, numbers plain)."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        seconds = round(value.total_seconds())
        sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
        return f"{sign}{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return str(value)
