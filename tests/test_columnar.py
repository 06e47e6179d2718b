"""Long tables written a column at a time (reports/sheetxml.py) hold exactly the cells the per-cell
path writes: the same values, types, formats, quote prefixes, looks, dimensions and row heights,
whatever the text (formula-like, control characters, XML specials, spaces at either end, very
long), the numbers, the dates, the missing values, the currencies and units; the whole workbook's
parts are the same bytes but for the time it was written. Both paths are forced here: the old one
by a COLUMNAR_CELLS no table reaches, the new one by 0."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auftakt_batch.periods import parse_period
from auftakt_batch.reports import report, sheets, sheetxml
from auftakt_batch.reports.sheets import Book, Column, Pages, long_table

from .conftest import TODAY, copy_demo, examples

PER_CELL, COLUMNAR = 10**12, 0  # COLUMNAR_CELLS for each path
COLUMNS = [
    Column("text", "text", note="any text"), Column("date", "date", "date"), Column("money", "money", "money"),
    Column("cost", "cost", "money", agency_money=True), Column("measure", "measure", "measure", fill="#FFF2CC"),
    Column("wrapped", "wrapped", wrap=True), Column("hours", "hours", "hours"), Column("int", "int", "int"),
    Column("pct", "pct", "pct"), Column("float64", "float64", "number"), Column("datetime64", "datetime64", "date"),
    Column("absent", "absent"),  # no such key in the frame: all blank
]
RICH_LOOKING = ["<r>Tom & Jerry</r>", "<r>a<b</r>", "<r></r>", "<r><t>bold?</t></r>"]  # xlsxwriter's rich marker
MISSING = st.sampled_from([None, pd.NA, pd.NaT, float("nan"), ""])
RISKY_TEXT = st.sampled_from(["=1+1", "+x", "-", "@SUM(1)", "\tx", "\r", "\nx", " =1", "<&>\"'", "a & b < c",
                              "nul\x00here", "bell\x07", "_x0041_", " lead", "trail ", "  ", "\ufffe", "Zoë ☃ 🎉",
                              "x" * 40_000, "é" * 17_000 + "🎉" * 9_000, *RICH_LOOKING])
TEXT = st.one_of(RISKY_TEXT, st.text(st.characters(blacklist_categories=("Cs",)), max_size=30))
NUMBER = st.one_of(st.integers(-10**15, 10**15), st.floats(allow_nan=False, allow_infinity=False),
                   st.decimals(allow_nan=False, allow_infinity=False, places=12, min_value=-10**9, max_value=10**9),
                   st.just(0), st.just(-0.0), st.just(Decimal("0.1000000000000000055511151231257827")))
DAY = st.one_of(st.dates(date(1899, 12, 1), date(2100, 1, 1)),  # and the days about Excel's 29 February 1900
                st.sampled_from([date(1899, 12, 31), date(1900, 1, 1), date(1900, 2, 28), date(1900, 3, 1)]))
DATE = st.one_of(DAY, st.datetimes(datetime(1900, 1, 1), datetime(2100, 1, 1)), DAY.map(pd.Timestamp))


@st.composite
def frames(draw) -> pd.DataFrame:
    n = draw(st.integers(0, 12))

    def cells(values) -> list:
        return draw(st.lists(st.one_of(values, MISSING), min_size=n, max_size=n))

    floats = draw(st.lists(st.one_of(st.floats(-1e9, 1e9), st.just(float("nan"))), min_size=n, max_size=n))
    days = draw(st.lists(st.one_of(DAY, st.none()), min_size=n, max_size=n))
    return pd.DataFrame({
        "text": pd.Series(cells(st.one_of(TEXT, NUMBER, DAY)), dtype=object),
        "date": pd.Series(cells(st.one_of(DATE, TEXT)), dtype=object),
        "money": pd.Series(cells(st.one_of(NUMBER, TEXT)), dtype=object),
        "cost": pd.Series(cells(NUMBER), dtype=object),
        "measure": pd.Series(cells(NUMBER), dtype=object),
        "wrapped": pd.Series(cells(st.one_of(TEXT, st.just("one\ntwo\nthree"), st.just("word " * 30))), dtype=object),
        "hours": pd.Series(cells(NUMBER), dtype=object),
        "int": pd.Series(cells(st.one_of(st.integers(-10**17, 10**17), NUMBER)), dtype=object),
        "pct": pd.Series(cells(NUMBER), dtype=object),
        "float64": pd.Series(floats, dtype="float64"),
        "datetime64": pd.to_datetime(pd.Series(days, dtype=object)),
        "currency": pd.Series(draw(st.lists(st.sampled_from(["EUR", "USD", "GBP", "CHF", "JPY", None]), min_size=n,
                                            max_size=n)), dtype=object),
        "unit": pd.Series(draw(st.lists(st.sampled_from(["h", "EUR", "USD", None]), min_size=n, max_size=n)),
                          dtype=object),
    })


def write(path: Path, parts: list[pd.DataFrame], cells: int, monkeypatch) -> Path:
    """`parts` as long tables one under another on pages "T", "T (2)", …, through one path."""
    monkeypatch.setattr(sheets, "COLUMNAR_CELLS", cells)
    book, pages, row = Book(path, rows=sum(map(len, parts))), None, 1
    pages = Pages(book, "T")
    for i, frame in enumerate(parts):
        row = long_table(pages, frame, COLUMNS, row=row, heading=f"Part {i}" if i else None, autofilter=True,
                         agency_currency="EUR") + 3
    book.close()
    return path


def parts_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}  # core: the time written


def cells_of(path: Path) -> dict:
    """Every cell of every sheet as openpyxl reads it, with its look, and each sheet's frame."""
    wb = openpyxl.load_workbook(path)
    found = {}
    for sheet in wb.worksheets:
        found[sheet.title] = (sheet.dimensions, sheet.freeze_panes, sheet.auto_filter.ref,
                              {r: (d.height, d.customHeight) for r, d in sheet.row_dimensions.items()})
        for row in sheet.iter_rows():
            for c in row:
                found[sheet.title, c.coordinate] = (
                    c.value, c.data_type, c.number_format, c.font.b, c.fill.fgColor.rgb, c.quotePrefix,
                    c.alignment.indent, c.alignment.wrap_text)
    return found


def calamine_of(path: Path) -> dict:
    import python_calamine

    book = python_calamine.CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                           HealthCheck.too_slow,
                                                                           HealthCheck.data_too_large])
@given(parts=st.lists(frames(), min_size=1, max_size=3), max_rows=st.sampled_from([4, 7, 30, sheets.MAX_ROWS]),
       at_once=st.sampled_from([1, 5, sheetxml.ROWS_AT_ONCE]))
def test_a_long_table_written_a_column_at_a_time_is_the_same_workbook(parts, max_rows, at_once, tmp_path,
                                                                       monkeypatch):
    """On sheets of at most `max_rows` rows, the block's rows made into XML `at_once` at a time."""
    monkeypatch.setattr(sheets, "MAX_ROWS", max_rows)
    monkeypatch.setattr(sheetxml, "ROWS_AT_ONCE", at_once)
    old = write(tmp_path / "old.xlsx", parts, PER_CELL, monkeypatch)
    new = write(tmp_path / "new.xlsx", parts, COLUMNAR, monkeypatch)
    assert parts_of(new) == parts_of(old)
    assert cells_of(new) == cells_of(old)
    assert calamine_of(new) == calamine_of(old)


def test_a_cell_put_into_a_column_written_table_is_written_with_it(tmp_path, monkeypatch):
    """A cell written by `Sheet.put` in a row of a table written a column at a time (here: over
    one of its cells, and right of it) is in its row, in column order, as on the per-cell path.
    No table does that today; the cells would still be right."""
    frame = pd.DataFrame({"text": ["a", "=b", None], "money": [Decimal("1.50"), None, 2.25], "currency": ["EUR"] * 3})
    columns = [Column("text", "text"), Column("money", "money", "money")]
    written = {}
    for cells in (PER_CELL, COLUMNAR):
        monkeypatch.setattr(sheets, "COLUMNAR_CELLS", cells)
        book = Book(tmp_path / f"{cells}.xlsx", rows=3)
        pages = Pages(book, "T")
        long_table(pages, frame, columns)
        pages.sheet.put(3, 1, "over")
        pages.sheet.put(3, 4, 7, "int")
        pages.sheet.put(4, 3, "=1+1", "formula")
        book.close()
        written[cells] = book
    old, new = tmp_path / f"{PER_CELL}.xlsx", tmp_path / f"{COLUMNAR}.xlsx"
    assert written[COLUMNAR].sheets[0].ws.blocks  # the table did go the columnar way
    assert cells_of(new) == cells_of(old)  # the same cells (its formats numbered in another order)
    rows = [[c.value for c in r] for r in openpyxl.load_workbook(new)["T"].iter_rows()]
    assert rows == [["text", "money", None, None], ["a", 1.5, None, None], ["over", None, None, 7],
                    [None, 2.25, "=1+1", None]]


@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(instants=st.lists(st.one_of(st.datetimes(datetime(1900, 1, 1), datetime(2100, 1, 1)), st.none()), min_size=1,
                         max_size=20), cells=st.sampled_from([PER_CELL, COLUMNAR]))
def test_a_date_column_of_instants_is_written_as_their_timestamps_are(instants, cells, tmp_path, monkeypatch):
    """A date column of naive instants is taken as its days at once (sheets._cells), not a Timestamp
    each: the same workbook as the same instants held as Timestamps, their time of day dropped, NaT blank."""
    columns = [Column("day", "day", "date")]
    held = pd.to_datetime(pd.Series(instants, dtype=object))
    assert held.dtype.kind == "M"
    written = {}
    for name, frame in (("instants", pd.DataFrame({"day": held})),
                        ("timestamps", pd.DataFrame({"day": pd.Series(held.tolist(), dtype=object)}))):
        monkeypatch.setattr(sheets, "COLUMNAR_CELLS", cells)
        book = Book(tmp_path / f"{name}.xlsx", rows=len(frame))
        long_table(Pages(book, "T"), frame, columns)
        book.close()
        written[name] = tmp_path / f"{name}.xlsx"
    assert parts_of(written["instants"]) == parts_of(written["timestamps"])
    sheet = openpyxl.load_workbook(written["instants"])["T"]
    days = [sheet.cell(row, 1).value for row in range(2, len(instants) + 2)]
    assert days == [None if i is None else datetime(i.year, i.month, i.day) for i in instants]

NOVEMBER = parse_period("2026-11")


@pytest.fixture(scope="module")
def demo_books(tmp_path_factory):
    """The demo's profitability workbook written through each path (its Entries, Billing gap and
    Problems sheets are long tables)."""
    books = {}
    with pytest.MonkeyPatch.context() as patch:
        for cells in (PER_CELL, COLUMNAR):
            patch.setattr(sheets, "COLUMNAR_CELLS", cells)
            root = copy_demo(tmp_path_factory.mktemp(f"demo{cells}"))
            books[cells] = report(root, NOVEMBER, today=TODAY).path
    return books


def test_the_demo_workbook_is_the_same_written_a_column_at_a_time(demo_books):
    old, new = demo_books[PER_CELL], demo_books[COLUMNAR]
    entries = openpyxl.load_workbook(new)["Entries"]
    assert entries.max_row > 100  # the demo's month: a real table
    assert parts_of(new) == parts_of(old)
    assert cells_of(new) == cells_of(old)
    assert calamine_of(new) == calamine_of(old)


def test_libreoffice_opens_the_demo_workbook_written_a_column_at_a_time(demo_books, tmp_path):
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    new = demo_books[COLUMNAR]
    out = tmp_path / "converted"
    done = subprocess.run(
        [soffice, f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}", "--headless", "--norestore",
         "--convert-to", "xlsx", "--outdir", str(out), str(new)],
        capture_output=True, text=True, timeout=180)
    converted = out / new.name
    assert done.returncode == 0 and converted.exists(), done.stdout + done.stderr
    mine, theirs = openpyxl.load_workbook(new), openpyxl.load_workbook(converted)
    assert theirs.sheetnames == mine.sheetnames
    for name in ("Entries", "Billing gap", "Problems"):
        shown = [[c.value for c in row] for row in mine[name].iter_rows()]
        read = [[c.value for c in row] for row in theirs[name].iter_rows()]
        assert len(read) == len(shown) > 1
        assert read == shown, name


@pytest.mark.parametrize("cells", [PER_CELL, COLUMNAR])
def test_text_that_looks_like_rich_text_xml_shows_as_typed(tmp_path, monkeypatch, cells):
    """xlsxwriter writes a string that starts with <r> and ends with </r> as raw XML: from an export's
    description it would break the workbook (an & unescaped) or show something else."""
    frame = pd.DataFrame({"text": RICH_LOOKING * 2, "hours": [1.5] * 8})
    path = write(tmp_path / "rich.xlsx", [frame], cells, monkeypatch)
    shown = [c.value for c in openpyxl.load_workbook(path)["T"]["A"][1:]]
    assert shown == RICH_LOOKING * 2
    assert [row[0] for row in calamine_of(path)["T"][1:]] == RICH_LOOKING * 2


FORMULA_PARTS = [*sorted(sheetxml.PLAIN_FUNCTIONS), "XLOOKUP", "FILTER", "SORT", "SINGLE", "XSINGLE", "UNIQUE", "XOR",
                 "T.TEST", "T", "TEST", "VAR", "P", "CONCAT", "DAYS",
                 "STDEV.S", "_xlfn.XLOOKUP", "sum", "Sheet1!A1", "$B$2", "J5", "2", "0.5", "\"x(y\""]


@given(st.lists(st.tuples(st.sampled_from(FORMULA_PARTS), st.booleans(), st.sampled_from(["", ",", "<", ">=", "+"])),
                min_size=1, max_size=6), st.sampled_from(["", "=", "{=", "{"]), st.booleans(), st.booleans())
def test_a_formula_is_prepared_as_xlsxwriter_prepares_it(parts, head, closed, future):
    """The worksheet skips xlsxwriter's rewriting of a formula that calls only plain functions (its
    _xlfn. prefixes of dynamic-array and future functions): whatever the formula, with or without
    future functions expanded, it comes out as xlsxwriter makes it."""
    from xlsxwriter.worksheet import Worksheet as Theirs

    body = "".join(f"{name}(" if call else f"{name}{op}" for name, call, op in parts)
    formula = head + body + ")" * sum(call for _, call, _ in parts) + ("}" if closed else "")
    ours, theirs = sheetxml.Worksheet(), Theirs()
    ours.use_future_functions = theirs.use_future_functions = future
    assert ours._prepare_formula(formula) == theirs._prepare_formula(formula)
    assert ours._prepare_formula(formula, True) == theirs._prepare_formula(formula, True)
