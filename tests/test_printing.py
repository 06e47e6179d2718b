"""The workbook as it is read and printed: every number fits its column (the totals under a column
included), the margin chart names and labels every client with losses in red, and every sheet's
page setup (orientation, pages wide, the rows and columns on every page)."""

from __future__ import annotations

import re
import zipfile

import openpyxl

from auftakt_batch.periods import parse_period
from auftakt_batch.reports import report, sheets

from .conftest import TODAY
from .test_reports import AGENCY, HEADER

NOVEMBER = parse_period("2026-11")
RATES = AGENCY + """\
clients:
  acme:
    name: ACME GmbH
    rate: "2500.00"
    jobs:
      website: {name: Website relaunch}
  bluth:
    name: Bluth Company
    rate: "20.00"
    jobs:
      stand: {name: Banana stand}
  zurich:
    name: Zürich Versicherung
    currency: CHF
    rate: "1900.00"
    jobs:
      app: {name: App}
"""
# 16 days of 100 h for acme (1,600 h, 4,000,000.00 EUR: a total far wider than a row), a loss at bluth
# (10 h at 20.00 cost 500.00 at 50.00), and a client billed in CHF (a code, wider than a symbol)
ENTRIES = HEADER + "".join(f"2026-11-{d:02d},Anna Schmidt,acme,website,,Work,100,\n" for d in range(2, 18)) + \
    "2026-11-18,Anna Schmidt,bluth,stand,,Stand,10,\n" + "2026-11-19,Anna Schmidt,zurich,app,,App,12.5,\n"


def workbook(ws):
    ws.rates(RATES)
    ws.input("november.csv", ENTRIES)
    path = report(ws.root, NOVEMBER, today=TODAY).path
    return path, openpyxl.load_workbook(path)


def shown(value: float, num_format: str) -> str:
    """What Excel shows for `value` in one of the workbook's number formats."""
    if num_format == "0.0%":
        return f"{value:.1%}"
    if num_format == "0":
        return f"{value:.0f}"
    if num_format == "yyyy-mm-dd":
        return "2026-11-30"
    suffix = re.search(r'"([^"]*)"', num_format)
    return f"{value:,.2f}" + (f" {suffix.group(1)}" if suffix else "")


def value_of(sheet, cell) -> float:
    """A cell's number; a formula's estimated from its column: a SUM or SUMIFS at most the sum of the
    numbers above it, a ratio at most the largest of them."""
    if not (isinstance(cell.value, str) and cell.value.startswith("=")):
        return cell.value
    column = [c.value for c in sheet[cell.column_letter][:cell.row - 1] if isinstance(c.value, (int, float))]
    return sum(map(abs, column)) if cell.value.startswith("=SUM") else max(map(abs, column), default=0)


def too_narrow(sheet) -> list[str]:
    """Numeric cells whose shown text, and a character of room, is wider than the column."""
    found = []
    for row in sheet.iter_rows():
        for cell in row:
            numeric = isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool) or \
                cell.number_format == "yyyy-mm-dd" or (isinstance(cell.value, str) and cell.value.startswith("="))
            if not numeric or cell.value is None:
                continue
            text = shown(value_of(sheet, cell), cell.number_format)
            width = sheet.column_dimensions[cell.column_letter].width
            if len(text) + 1 > width:
                found.append(f"{sheet.title}!{cell.coordinate}: {text!r} in {width:.1f}")
    return found


def test_every_number_fits_its_column_totals_and_currency_codes_included(ws):
    _, wb = workbook(ws)
    assert [bad for sheet in wb for bad in too_narrow(sheet)] == []
    clients = wb["Clients"]
    total = next(c for c in clients["A"] if c.value == "Total EUR").row
    assert clients["G1"].value == "billable value" and clients[f"G{total}"].value.startswith("=SUMIFS")
    assert clients.column_dimensions["G"].width >= len("4,000,000.00 €") + 1  # the total, not a row's 250,000.00 €


def test_text_right_of_a_number_is_indented_and_long_messages_wrap(ws):
    _, wb = workbook(ws)
    clients = wb["Clients"]
    last_invoice = next(c.column_letter for c in clients[1] if c.value == "last invoice")
    assert clients[f"{last_invoice}2"].alignment.indent == 1  # right of "unbilled value": never "0.00 €2026-0001"
    assert clients["B2"].alignment.indent == 0
    problems = wb["Problems"]
    assert problems["G1"].value == "message" and problems.column_dimensions["G"].width < 90
    assert all(row[6].alignment.wrap_text for row in problems.iter_rows(min_row=2) if row[6].value)


def test_the_margin_chart_names_and_labels_every_client_and_shows_a_loss_in_red(ws):
    path, wb = workbook(ws)
    with zipfile.ZipFile(path) as xlsx:
        chart = xlsx.read("xl/charts/chart1.xml").decode()
    categories = re.search(r"<c:cat>.*?<c:f>Clients!\$A\$(\d+):\$A\$(\d+)</c:f>", chart).groups()
    charted = int(categories[1]) - int(categories[0]) + 1
    assert [wb["Clients"][f"A{r}"].value for r in range(int(categories[0]), int(categories[1]) + 1)] == [
        "acme", "bluth"] and charted == 2  # zurich, in CHF, has no margin in euros
    assert '<c:tickLblSkip val="1"/>' in chart and '<c:tickLblPos val="low"/>' in chart  # names clear of bars < 0
    labels = re.search(r"<c:dLbls>.*?</c:dLbls>", chart).group()
    assert '<c:showVal val="1"/>' in labels
    assert '<c:invertIfNegative val="1"/>' in chart and "C0392B" in chart.split("<c14:invertSolidFillFmt>")[1]
    point = re.search(r"<c:dPt>.*?</c:dPt>", chart).group()  # bluth's bar, at a loss, coloured red
    assert '<c:idx val="1"/>' in point and 'srgbClr val="C0392B"' in point


def page_setup(sheet) -> tuple:
    setup = sheet.page_setup
    return (setup.orientation, setup.fitToWidth or 1, setup.fitToHeight, sheet.sheet_properties.pageSetUpPr.fitToPage,
            sheet.print_title_rows, sheet.print_title_cols)


def test_every_sheet_prints_fit_to_its_width_with_its_header_on_every_page(ws):
    _, wb = workbook(ws)
    setups = {sheet.title: page_setup(sheet) for sheet in wb}
    assert setups == {
        "Overview": ("landscape", 1, None, True, "$5:$5", None),  # one page tall (unwritten: the default, 1)
        # about 3,000 pixels of columns: two pages wide at 60 % or more, client and name on each page
        "Clients": ("landscape", 2, 0, True, "$1:$1", "$A:$B"),
        "Jobs": ("landscape", 2, 0, True, "$1:$1", "$A:$A"),
        "Over-servicing": ("landscape", 1, 0, True, "$1:$1", None),
        "Months": ("landscape", 1, 0, True, "$1:$1", None),
        "Team": ("landscape", 1, 0, True, "$1:$1", None),
        "Billing gap": ("landscape", 2, 0, True, None, "$A:$A"),  # several tables: none's header on every page
        "Entries": ("landscape", 2, 0, True, "$1:$1", "$A:$A"),
        "Invoices": ("landscape", 1, 0, True, "$1:$1", None),
        "Receivables": ("landscape", 1, 0, True, None, None),  # two tables: no header repeated
        "Problems": ("landscape", 1, 0, True, "$1:$1", None),
    }


def test_a_continued_page_prints_its_heading_and_header_on_every_page(ws, monkeypatch):
    ws.rates(RATES)
    ws.input("november.csv", HEADER + "2026-11-02,Anna Schmidt,acme,website,,Work,1,\n")
    ws.input("earlier.csv", HEADER + "".join(f"2026-{m:02d}-05,Anna Schmidt,acme,website,,Month {m},1,\n"
                                             for m in range(1, 11)))  # a row a month in the Billing gap
    monkeypatch.setattr(sheets, "MAX_ROWS", 6)
    wb = openpyxl.load_workbook(report(ws.root, NOVEMBER, today=TODAY).path)
    last = wb[[n for n in wb.sheetnames if n.startswith("Billing gap")][-1]]
    assert last["A1"].value.endswith("(continued)") and last.print_title_rows == "$1:$2"
