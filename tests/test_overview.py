"""The Overview, the workbook's first sheet: the five-second view of every active client."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date
from decimal import Decimal as D

import openpyxl
import pytest

from auftakt_batch import ledger
from auftakt_batch.billing import bill
from auftakt_batch.periods import parse_period
from auftakt_batch.reports import report

from .conftest import TODAY, dedent
from .test_reports import AGENCY, HEADER, STUDIO, near

NOVEMBER = parse_period("2026-11")
RATES = AGENCY + """\
clients:
  acme:
    name: ACME GmbH
    rate: "100.00"
    budget: {hours: 5, per: month}
    alert_at: [0.5, 0.9]
    jobs:
      website: {name: Website relaunch}
  calm:
    name: Calm Ltd
    currency: USD
    rate: "100.00"
    jobs:
      web: {name: Web}
  duff:
    name: Duff Beer
    rate: "120.00"
    jobs:
      ads: {name: Ads}
  globex:
    name: Globex Corporation
    rate: "150.00"
    jobs:
      app: {name: Customer app, budget: {hours: 20, per: month}}
  idle:
    name: Idle Inc
    rate: "100.00"
    jobs:
      web: {name: Web}
""" + STUDIO
COLUMNS = ["client", "logged h", "billed h", "billable value", "invoiced", "unbilled h", "unbilled value",
           "last invoice", "issued", "days since", "margin %", "budget burn"]


@pytest.fixture
def overview_ws(ws):
    """duff billed in September (64 days before today), the others in November; then late entries
    of duff and acme, unbilled. idle logged nothing: not on the Overview; studio is internal."""
    ws.with_templates().rates(RATES)
    ws.input("september.csv", HEADER + "2026-09-07,Anna Schmidt,duff,ads,,Spots,2,\n")
    bill(ws.root, parse_period("2026-09"), today=date(2026, 9, 30))
    ws.input("november.csv", HEADER + dedent("""\
        2026-11-03,Anna Schmidt,acme,website,,Design,3,
        2026-11-04,Ben Okafor,globex,app,,Sprint,7,
        2026-11-05,Ben Okafor,calm,web,,Setup,1.1,
        2026-11-06,Anna Schmidt,studio,admin,,Admin,1,
        """))
    bill(ws.root, NOVEMBER, today=TODAY)
    ws.input("late.csv", HEADER + dedent("""\
        2026-11-20,Ben Okafor,duff,ads,,Spots,4,
        2026-11-27,Anna Schmidt,acme,website,,Fixes,1.1,
        """))
    return ws


def overview(wb) -> tuple[list[str], list[dict], dict[str, dict]]:
    """The header, the client rows and the totals rows (by currency) of the Overview, by header."""
    sheet = wb["Overview"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=5)]
    head = rows[0]
    named = [dict(zip(head, r)) for r in rows[1:] if r[0]]
    clients = [r for r in named if not str(r["client"]).startswith(("Total", "No client"))]
    totals = {r["client"].removeprefix("Total "): r for r in named if str(r["client"]).startswith("Total")}
    return head, clients, totals


def test_the_overview_is_the_first_sheet_with_the_clients_figures_colours_and_totals(overview_ws):
    """By hand: duff 4 h × 120.00 = 480.00 unbilled (cost 4 h × 40.00), last invoiced 30 Sep (64 days:
    past twice its monthly rhythm, red); acme 3 h × 100.00 billed + 1.10 h → 1.25 h × 100.00 = 125.00 unbilled, its
    budget burns 4.10 h logged + 0.15 h the invoices bill beyond it (4.25 h billed) of 5 h = 85 %
    (past amber at 50 %, short of red at 90 %), margin (425 − 4.1 h × 50.00)
    ÷ 425 = 51.76 %; globex 7 h × 150.00 and calm 1.10 → 1.25 h × 100.00 USD, billed."""
    result = report(overview_ws.root, NOVEMBER, today=TODAY)
    wb = openpyxl.load_workbook(result.path)
    assert wb.sheetnames[0] == "Overview" and wb.active.title == "Overview"
    sheet = wb["Overview"]
    head, clients, totals = overview(wb)
    assert head[:12] == COLUMNS and sheet.freeze_panes == "B6"  # the headline and header, and the client column
    assert [sheet.column_dimensions[c].hidden for c in "MN"] == [True, True]  # what the totals add up by
    # the agency's currency first, the most unbilled first; no idle
    assert [c["client"] for c in clients] == ["duff", "acme", "globex", "calm"]
    by = {c["client"]: c for c in clients}
    assert [by["duff"][k] for k in COLUMNS[1:8]] == [4, 4, 480, 0, 4, 480, "2026-0001"]
    assert by["duff"]["days since"] == 64 and near(by["duff"]["margin %"], D(480 - 4 * 40) / 480, 4)
    assert [by["acme"][k] for k in COLUMNS[1:8] + ["days since"]] == [4.1, 4.25, 425, 300, 1.25, 125, "2026-0002",
                                                                     0]
    assert near(by["acme"]["margin %"], (D(425) - D("4.1") * 50) / 425, 4) and near(by["acme"]["budget burn"], "0.85")
    assert [by["globex"][k] for k in ("logged h", "billable value", "invoiced", "unbilled value", "budget burn")] == [
        7, 1050, 1050, 0, 0.35]
    assert [by["calm"][k] for k in ("billed h", "billable value", "invoiced", "margin %", "budget burn")] == [
        1.25, 125, 125, None, None]

    # the totals are live formulas, per currency; what they add up to is the ledger's
    assert totals["EUR"]["invoiced"].startswith("=SUMIFS(") and set(totals) == {"EUR", "USD", "Total, all clients"}
    assert totals["Total, all clients"]["logged h"] == "=SUM(B6:B9)"  # hours add up across currencies, money does not
    assert sheet.column_dimensions["A"].width >= len("Total, all clients")  # its label shows whole
    book = ledger.read_book(overview_ws.root / "output" / "ledger.sqlite")
    for code in ("EUR", "USD"):
        invoiced = sum((r.net for r in book.invoices if r.period == "2026-11" and r.currency == code
                        and r.status == "issued"), D(0))
        mine = result.figures.clients[result.figures.clients["currency"].eq(code)]
        assert sum(by[c]["invoiced"] for c in by if c in set(mine["client"])) == invoiced
    assert invoiced == 125 and sum(by[c]["invoiced"] for c in ("acme", "globex", "duff")) == 1350  # 300 + 1,050

    # headline: the EUR totals row's figures, the share not invoiced yet, clients over budget
    # (hours and clients of every currency)
    figures = [sheet.cell(3, c).value for c in (1, 3, 5, 7, 9, 11)]
    total = next(r for r in range(6, 20) if sheet.cell(r, 1).value == "Total EUR")
    assert figures[:4] == ["=SUM(B6:B9)", "=SUM(C6:C9)", f"=E{total}", f"=G{total}"]
    assert figures[4] == f'=IF(D{total}=0,"",G{total}/D{total})' and figures[5] == '=COUNTIF(L6:L9,">1")'
    assert [sheet.cell(2, c).value for c in (1, 3, 5, 7, 9, 11)] == [
        "logged h", "billed h", "invoiced (EUR)", "unbilled value (EUR)", "not invoiced yet (EUR)",
        "clients over budget"]
    assert sheet.cell(4, 1).value == ("USD: invoiced 125.00, unbilled 0.00 · internal time, on no row: 1.00 h (the "
                                      "Clients and Months sheets count it)")

    # conditional formats: data bars on unbilled value (per currency) and burn (in its level's colour),
    # and red, amber, green at each row's own thresholds
    rules = {str(cf.sqref): [(r.type, r.formula, r.dxf.fill.bgColor.rgb if r.dxf and r.dxf.fill else None)
                             for r in cf.rules] for cf in sheet.conditional_formatting}
    assert rules["G6:G8"] == rules["G9"] == [("dataBar", [], None)]  # EUR, then USD: no rate ranks one by the other
    red, amber, green = "FFF4B6B6", "FFFBE3A6", "FFCDEBC5"
    assert rules["J6"] == [("expression", ["AND(ISNUMBER(J6),J6>62)"], red),  # duff: 64 days, red
                           ("expression", ["OR(AND(ISNUMBER(J6),J6>31),AND(ISBLANK(J6),G6>0))"], amber),
                           ("expression", ["ISNUMBER(J6)"], green)]
    assert rules["K7"] == [("expression", ["AND(ISNUMBER(K7),K7<0)"], red), ("expression", ["AND(ISNUMBER(K7),K7>=0)"],
                                                                              green)]
    bars = {str(cf.sqref): r.dataBar.color.rgb for cf in sheet.conditional_formatting for r in cf.rules if r.dataBar
            and str(cf.sqref).startswith("L")}
    assert bars == {"L7": "FFF6B26B", "L8": "FF93C47D"}  # acme 85 %: amber (50–90 %); globex 35 %: green; calm: none

    # one landscape page
    assert sheet.page_setup.orientation == "landscape" and sheet.sheet_properties.pageSetUpPr.fitToPage
    fit = [sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight]
    assert [1 if n is None else n for n in fit] == [1, 1]  # unwritten: Excel's default, 1
    assert sheet.print_area == "'Overview'!$A$1:$L$12"


def test_status_shows_the_overviews_figures_in_its_order(overview_ws):
    wb = openpyxl.load_workbook(report(overview_ws.root, NOVEMBER, today=TODAY).path)
    _, clients, _ = overview(wb)
    output = overview_ws.cli("status", "--period", "2026-11", "--json").output
    doc = json.loads(output)
    assert [(c["client"], c["days_since"]) for c in doc["clients"]] == [("duff", 64), ("acme", 0), ("globex", 0),
                                                                         ("calm", 0)]
    assert '"days_since": 64,' in output  # a whole number of days, not 64.0
    keys = ["client", "logged", "billed", "value", "invoiced", "unbilled_hours", "unbilled_value", "last_invoice",
            "last_invoice_date", "days_since", "margin_pct", "burn"]
    for row, shown in zip(doc["clients"], clients, strict=True):
        assert list(row)[:12] == keys
        for key, column in zip(keys, COLUMNS):
            cell, value = shown[column], row[key]
            if hasattr(cell, "date"):
                assert value == cell.date().isoformat()
            elif isinstance(value, str) and isinstance(cell, (int, float)):
                assert near(cell, value, 4), (row["client"], key)
            else:
                assert value == cell, (row["client"], key)
    assert doc["headline"] == {  # hours of every currency (EUR 15.10 + USD 1.10), money per currency
        "logged": "16.20", "billed": "16.50",
        "money": [{"currency": "EUR", "value": "1955.00", "invoiced": "1350.00", "unbilled_value": "605.00",
                   "gap": "0.3095"},  # 605 ÷ 1,955
                  {"currency": "USD", "value": "125.00", "invoiced": "125.00", "unbilled_value": "0.00",
                   "gap": "0.0000"}],
        "over_budget": 0, "internal": "1.00", "held_back": []}


def test_a_workspace_with_no_active_client_has_an_empty_overview(ws):
    ws.rates(RATES)
    result = report(ws.root, NOVEMBER, today=TODAY)
    wb = openpyxl.load_workbook(result.path)
    head, clients, totals = overview(wb)
    assert head[:12] == COLUMNS and clients == [] and totals == {}
    assert [wb["Overview"].cell(3, c).value for c in (1, 3, 9)] == [0, 0, None]  # no share of nothing
    assert wb["Overview"].cell(2, 5).value == "invoiced (EUR)"  # the agency's currency
    assert wb["Overview"].cell(6, 1).value == "No client logged time, was invoiced or has anything to bill in 2026-11."
    assert overview_ws_empty_status(ws) == "No client logged time, was invoiced or has anything to bill in 2026-11."
    assert json.loads(ws.cli("status", "--period", "2026-11", "--json").output)["clients"] == []


def overview_ws_empty_status(ws) -> str:
    return ws.cli("status", "--period", "2026-11").output.splitlines()[-1]


def test_libreoffice_recalculates_the_overview_to_the_same_figures(overview_ws, tmp_path):
    """Every formula of every sheet recalculates without an error, and the Overview's totals and
    headline come out as the figures say."""
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed: make libreoffice")
    result = report(overview_ws.root, NOVEMBER, today=TODAY)
    out = tmp_path / "recalculated"
    done = subprocess.run(
        [soffice, f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}", "--headless", "--norestore",
         "--convert-to", "xlsx", "--outdir", str(out), str(result.path)], capture_output=True, text=True, timeout=120)
    converted = out / result.path.name
    assert done.returncode == 0 and converted.exists(), done.stdout + done.stderr
    wb = openpyxl.load_workbook(converted, data_only=True)
    errors = [(s.title, c.coordinate, c.value) for s in wb for row in s.iter_rows() for c in row
              if c.data_type == "e" or (isinstance(c.value, str) and c.value.startswith(("#", "Err:")))]
    assert errors == []
    _, _, totals = overview(wb)
    assert [totals["EUR"][k] for k in ("logged h", "billed h", "billable value", "invoiced", "unbilled h",
                                       "unbilled value")] == [15.1, 15.25, 1955, 1350, 5.25, 605]
    cost = D("4.1") * 50 + 7 * 40 + 4 * 40  # acme by Anna; globex and duff by Ben
    assert near(totals["EUR"]["margin %"], (1955 - cost) / 1955, 4)
    assert [totals["USD"][k] for k in ("logged h", "billed h", "invoiced", "unbilled value")] == [1.1, 1.25, 125, 0]
    sheet = wb["Overview"]
    assert [sheet.cell(3, c).value for c in (1, 3, 5, 7, 11)] == [16.2, 16.5, 1350, 605, 0]
    assert near(sheet.cell(3, 9).value, D(605) / 1955, 4)


def test_status_in_a_narrow_terminal_splits_its_table_and_cuts_no_figure(overview_ws):
    from rich.console import Console

    from auftakt_batch.reports import status as board

    found = board.status(overview_ws.root, NOVEMBER, TODAY)
    text = {}
    for width in (160, 100):
        console = Console(width=width, record=True, color_system=None)
        console.print(board.table(NOVEMBER, TODAY, found.clients, found.headline, width))
        text[width] = console.export_text()
    assert all(len(line.rstrip()) <= 100 for line in text[100].splitlines())
    for width, tables in ((160, 1), (100, 2)):
        assert text[width].count(" client ") == tables  # each table's header
        assert "480.00 €" in text[width] and "64" in text[width] and "66.7 %" in text[width]  # duff, all its figures
        assert "█████" in text[width] or "████░" in text[width]  # acme's burn bar


def test_more_clients_than_one_page_holds_print_one_page_wide(overview_ws, monkeypatch):
    from auftakt_batch.reports import overview as sheet

    monkeypatch.setattr(sheet, "ONE_PAGE", 3)
    wb = openpyxl.load_workbook(report(overview_ws.root, NOVEMBER, today=TODAY).path)
    setup = wb["Overview"].page_setup
    assert (setup.fitToWidth in (None, 1), setup.fitToHeight) == (True, 0)  # four clients: as many pages as it takes


def test_the_overview_says_which_clients_errors_hold_back_and_colours_clients_over_budget(ws):
    from .test_reports import status_ws

    status_ws(ws)  # calm's bad row holds it back; acme's and globex's budgets are past 100 %
    sheet = openpyxl.load_workbook(report(ws.root, NOVEMBER, today=TODAY).path)["Overview"]
    assert sheet.cell(4, 1).value.endswith("held back by errors (see Problems): calm")
    (rule,) = [r for cf in sheet.conditional_formatting if str(cf.sqref) == "K3" for r in cf.rules]
    assert (rule.type, rule.operator, rule.formula, rule.dxf.font.color.rgb) == ("cellIs", "greaterThan", ["0"],
                                                                                 "FFB00020")
