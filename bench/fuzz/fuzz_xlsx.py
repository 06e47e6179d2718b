"""XLSX workbooks: saved as input/book.xlsx and read by `ingest()` through read_workbook
(the zip-bomb guard, calamine, header search, typed cells as text, build_entries).

An input is one of three things, by how it starts:
  b"PK"  the workbook file itself (mutated zips: the guard and calamine's error paths);
  b"<"   the XML of its only worksheet, zipped into a tiny workbook made by openpyxl
         (a valid zip around broken or hostile sheet XML: calamine's parser);
  else   a grid of text, one row a line, cells split by tabs, written by openpyxl with typed
         cells: `#1.5` a number, `@2026-11-03 09:00` a date-time, `@2026-11-03` a date,
         `%01:30:00` a duration, `~09:30` a time, `?1` / `?0` a bool; a line `=== Name`
         starts a sheet, `=== hidden Name` a hidden one (what the header search and _cell_text see).

Invariant: as for CSV (fuzz_csv.check_ingested) — ingest never raises; a bad workbook is
unreadable with an error naming it; entries meet the RawEntries contract, prices Decimal.
"""

import io
import re
import zipfile
from datetime import datetime, time, timedelta

import atheris
import openpyxl
import pandas as pd  # noqa: F401  (imported before instrumenting: only auftakt_batch is)
from openpyxl.utils.exceptions import IllegalCharacterError

with atheris.instrument_imports(include=["auftakt_batch"]):
    from auftakt_batch.ingest import ingest
    from auftakt_batch.ingest.build import Rules

from common import Scratch, run
from fuzz_csv import check_ingested

RULES = Rules("Europe/Berlin")
SCRATCH = Scratch()
SHEET_XML = "xl/worksheets/sheet1.xml"


def _template() -> dict[str, bytes]:
    book = openpyxl.Workbook()
    book.active.append(["date"])
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


TEMPLATE = _template()


def with_sheet_xml(xml: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in TEMPLATE.items():
            archive.writestr(name, xml if name == SHEET_XML else content)
    return buffer.getvalue()


def cell(text: str):
    """A grid cell's text → the typed value openpyxl writes (unparseable stays text)."""
    kind, rest = text[:1], text[1:]
    try:
        if kind == "#":
            return float(rest) if re.fullmatch(r"-?\d{1,12}(\.\d{1,6})?", rest) else text
        if kind == "@":
            return datetime.fromisoformat(rest).replace(tzinfo=None)  # Excel has no time zones
        if kind == "%":
            h, m, s = (int(p) for p in rest.split(":"))
            return timedelta(hours=h, minutes=m, seconds=s)
        if kind == "~":
            return time.fromisoformat(rest).replace(tzinfo=None)
        if kind == "?":
            return rest == "1"
    except (ValueError, OverflowError):
        return text
    return text


def from_grid(text: str) -> bytes:
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", text)  # no XML file can hold these
    book = openpyxl.Workbook()
    sheet = book.active
    for line in text.split("\n")[:200]:
        if m := re.fullmatch(r"=== (hidden )?(.+)", line):
            name = re.sub(r"[\\/?*\[\]:]", "_", m[2])[:31].strip("'") or "Sheet"
            if name in book.sheetnames:
                continue
            sheet = book.create_sheet(name)
            sheet.sheet_state = "hidden" if m[1] else "visible"
            continue
        sheet.append([cell(v) for v in line.split("\t")[:40]])
    if all(s.sheet_state == "hidden" for s in book.worksheets):
        book.worksheets[0].sheet_state = "visible"  # openpyxl cannot save a book with no visible sheet
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def workbook(data: bytes) -> bytes:
    if data.startswith(b"PK"):
        return data
    if data.startswith(b"<"):
        return with_sheet_xml(data)
    return from_grid(data.decode("utf-8", "replace"))


def test_one_input(data: bytes) -> None:
    try:
        content = workbook(data)
    except (ValueError, TypeError, OverflowError, IllegalCharacterError):
        return  # a grid openpyxl cannot write is no workbook anyone has: not an input to ingest
    path = SCRATCH.write("book.xlsx", content)
    check_ingested(ingest(SCRATCH.input, SCRATCH.root, RULES), SCRATCH.label(path))


if __name__ == "__main__":
    run("xlsx", test_one_input)
