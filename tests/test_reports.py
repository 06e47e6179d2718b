"""The profitability workbook, the budget alerts and `status`: figures worked out by hand from
small workspaces, read back from the xlsx with openpyxl (values, formats, formulas), recalculated
by LibreOffice, and hostile text that must stay text."""

from __future__ import annotations

import inspect
import json
import re
import shutil
import sqlite3
import subprocess
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest

from auftakt_batch import pipeline
from auftakt_batch.billing import bill, void
from auftakt_batch.check.checks import ADVISORY, BLOCKING, CHECKS
from auftakt_batch.cli import EXIT_ALERT
from auftakt_batch.ingest import ingest
from auftakt_batch.periods import parse_period
from auftakt_batch.reports import report, sheets
from auftakt_batch.reports import status as board
from auftakt_batch.reports.overview import COLUMNS as OVERVIEW_COLUMNS
from auftakt_batch.reports.sheets import Book, Column, table
from auftakt_batch.reports.workbook import _entry_rows, _shown_rows
from auftakt_batch.schemas import ReportEntries as R
from auftakt_batch.units import share

from .conftest import TODAY, copy_demo, status_cells

D = Decimal
HEADER = "date,person,client,job,task,description,hours,billable\n"
NOVEMBER = parse_period("2026-11")
MAY = parse_period("2026-05")
MAY_15 = date(2026, 5, 15)  # a Friday; see `may_ws` for the working days
EUR = '#,##0.00 "€";-#,##0.00 "€"'
USD = '#,##0.00 "$";-#,##0.00 "$"'
HOURS = "#,##0.00"
PCT = "0.0%"
SHEETS = ["Overview", "Clients", "Jobs", "Over-servicing", "Months", "Team", "Billing gap", "Entries", "Invoices",
          "Receivables", "Problems"]

AGENCY = """\
agency:
  name: Test Studio GmbH
  country: DE
  timezone: Europe/Berlin
  currency: EUR
  vat_rate: "19"
  vat_id: DE123456789
  rounding: {minutes: 15, mode: up}
team:
  - name: Anna Schmidt
    email: anna@studio.example
    role: designer
    cost_rate: "50.00"
    hours_per_week: 40
  - name: Ben Okafor
    email: ben@studio.example
    role: developer
    cost_rate: "40.00"
    hours_per_week: 20
"""
STUDIO = """\
  studio:
    name: Studio (internal)
    billable: false
    jobs:
      admin: {name: Administration}
"""
RATES = AGENCY + """\
clients:
  acme:
    name: ACME GmbH
    aliases: ["ACME"]
    rate: "100.00"
    jobs:
      website: {name: Website relaunch}
      internal: {name: Internal coordination, billable: false}
  yankee:
    name: Yankee Inc.
    currency: USD
    rate: "200.00"
    jobs:
      app: {name: App}
""" + STUDIO
NOVEMBER_ENTRIES = (
    "2026-11-03,Anna Schmidt,ACME,website,,Layout,1.1,\n"          # 66 min, billed 75: 125.00; cost 55.00
    "2026-11-04,Anna Schmidt,ACME,website,,Review,0:30,\n"         # 30 min: 50.00; cost 25.00
    "2026-11-04,Anna Schmidt,ACME,website,,Coffee chat,0.25,no\n"  # not billable: cost 12.50 only
    "2026-11-05,Ben Okafor,ACME,internal,,Sync,2,\n"               # a non-billable job: cost 80.00 only
    "2026-11-05,Ben Okafor,yankee,app,,API,1.5,\n"                 # 300.00 USD; cost 60.00 EUR
    "2026-11-06,Anna Schmidt,studio,admin,,Admin,1,\n")            # internal: cost 50.00
BUDGET_RATES = AGENCY + """\
clients:
  acme:
    name: ACME GmbH
    rate: "100.00"
    budget: {hours: 10, per: month}
    jobs:
      website:
        name: Website relaunch
        budget: {hours: 8, per: total}
        alert_at: [0.5, 0.9]
      support: {name: Support}
  globex:
    name: Globex Corporation
    rate: "150.00"
    budget: {amount: "1000", per: month}
    jobs:
      app: {name: Customer app}
  calm:
    name: Calm Ltd
    rate: "100.00"
    budget: {hours: 40, per: month}
    jobs:
      web: {name: Web}
""" + STUDIO
MAY_ENTRIES = (
    "2026-04-20,Anna Schmidt,acme,website,,Earlier work,5,\n"  # before the period: only the total budget sees it
    "2026-05-04,Anna Schmidt,acme,website,,Design,2,\n"
    "2026-05-06,Anna Schmidt,acme,support,,Hotline,2,\n"
    "2026-05-12,Anna Schmidt,acme,website,,Build,1.5,\n"
    "2026-05-05,Ben Okafor,globex,app,,Sprint,7,\n"
    "2026-05-06,Ben Okafor,studio,admin,,Admin,1,\n"
    "2026-05-04,Ben Okafor,calm,web,,Setup,2,\n")


# ---------------------------------------------------------------------------------------------
# helpers


def on(monkeypatch, day: date) -> None:
    """Every command runs on `day` instead of conftest's TODAY."""
    monkeypatch.setenv("AUFTAKT_TODAY", day.isoformat())


def clients_ws(ws):
    ws.rates(RATES)
    ws.input("november.csv", HEADER + NOVEMBER_ENTRIES)
    return ws


def may_ws(ws):
    """May 2026 in Germany: 21 weekdays less Labour Day (1st), Ascension (14th) and Whit Monday (25th)
    = 18 working days; on Friday 15 May, 9 of them have passed (4-8, 11-13, 15), so the pace is 18 / 9 = 2."""
    ws.rates(BUDGET_RATES)
    ws.input("may.csv", HEADER + MAY_ENTRIES)
    return ws


def book(path):
    return openpyxl.load_workbook(path)


def headers(sheet, row: int = 1) -> list:
    return [c.value for c in sheet[row]]


def records(sheet, header_row: int = 1) -> list[dict]:
    """The table under the header at `header_row` as {header: cell}, up to the first empty row."""
    names = headers(sheet, header_row)
    rows = []
    for cells in sheet.iter_rows(min_row=header_row + 1):
        if all(c.value is None for c in cells):
            break
        rows.append({n: c for n, c in zip(names, cells) if n is not None})
    return rows


def row_of(sheet, first: str) -> dict:
    found = [r for r in records(sheet) if r[headers(sheet)[0]].value == first]
    assert len(found) == 1, f"{sheet.title}: {len(found)} rows start with {first!r}"
    return found[0]


def letters(sheet, header_row: int = 1) -> dict:
    return {name: openpyxl.utils.get_column_letter(i) for i, name in enumerate(headers(sheet, header_row), 1)}


def values(row: dict, *names: str) -> tuple:
    return tuple(row[n].value for n in names)


def near(value, expected, places: int = 2) -> bool:
    """value (a float from a cell) equals expected to `places` decimals."""
    return value is not None and value != "" and round(D(str(value)), places) == round(D(str(expected)), places)


SUMIFS = re.compile(r'=SUMIFS\(([A-Z]+)(\d+):\1(\d+),([A-Z]+)\2:\4\3,"([A-Z]{3})"\)')
HEADLINE = re.compile(r'=[A-Z]+\d+|=COUNTIF\(([A-Z]+)\d+:\1\d+,">1"\)')
SUM = re.compile(r"=SUM\(([A-Z]+)(\d+):\1(\d+)\)")
RATIO = re.compile(r'=IF\(([A-Z]+\d+)=0,"",([A-Z]+\d+)/([A-Z]+\d+)\)')


def evaluate(sheet, ref: str):
    """The value of a cell, computing the two kinds of formula the workbook writes (and no other)."""
    cell = sheet[ref]
    if cell.data_type != "f":
        return cell.value
    if m := SUMIFS.fullmatch(cell.value):
        column, first, last, criteria, code = m.groups()
        return sum((D(str(sheet[f"{column}{r}"].value or 0)) for r in range(int(first), int(last) + 1)
                    if sheet[f"{criteria}{r}"].value == code), D(0))
    if m := SUM.fullmatch(cell.value):
        column, first, last = m.groups()
        return sum((D(str(sheet[f"{column}{r}"].value or 0)) for r in range(int(first), int(last) + 1)), D(0))
    if m := RATIO.fullmatch(cell.value):
        whole = evaluate(sheet, m[1])
        return "" if whole == 0 else evaluate(sheet, m[2]) / evaluate(sheet, m[3])
    raise AssertionError(f"{sheet.title}!{ref}: a formula the workbook does not write: {cell.value}")


def totals(sheet, code: str) -> dict:
    """The 'Total CODE' row, evaluated: {header: value}."""
    row = row_of(sheet, f"Total {code}")
    return {name: evaluate(sheet, cell.coordinate) for name, cell in row.items()}


# ---------------------------------------------------------------------------------------------
# Clients and Jobs


def test_clients_sheet_figures_formats_and_per_currency_totals(ws):
    clients_ws(ws)
    result = report(ws.root, NOVEMBER, today=TODAY)
    assert result.path == ws.root / "output" / "2026-11" / "profitability-2026-11.xlsx"
    assert not list(result.path.parent.glob(".*partial"))  # written aside and renamed into place
    wb = book(result.path)
    assert wb.sheetnames == SHEETS
    sheet = wb["Clients"]
    assert [r["client"].value for r in records(sheet)] == ["acme", "yankee", "studio", "Total EUR", "Total USD",
                                                         "Total, all clients"]

    acme = row_of(sheet, "acme")
    # logged 1.1 + 0.5 + 0.25 + 2 = 3.85 h, billable 1.1 + 0.5; value 1.25 h (66 min up to 75) + 0.5 h at 100
    assert values(acme, "name", "currency", "hours logged", "billable hours", "billable value") == (
        "ACME GmbH", "EUR", 3.85, 1.6, 175)
    assert values(acme, "unbilled hours", "unbilled value", "invoiced this period", "invoiced to date") == (
        1.75, 175, 0, 0)
    # the agency rounds up to 15 minutes: billed beside logged, so what rounding adds is in plain sight
    assert values(acme, "billable hours", "billed hours") == (1.6, 1.75)
    assert acme["billed hours"].number_format == HOURS and "rounding" in sheet[f"{letters(sheet)['billed hours']}1"].comment.text
    # cost: 1.85 h × 50 + 2 h × 40 = 172.50; margin 2.50 = 1.4 % of 175; effective rate 175 / 3.85
    assert values(acme, "cost", "margin") == (172.5, 2.5)
    assert near(acme["margin %"].value, "0.0143", 4) and near(acme["effective rate"].value, "45.45")
    assert values(acme, "last invoice", "last invoice date", "budget", "burn %") == (None, None, None, None)

    yankee = row_of(sheet, "yankee")
    assert values(yankee, "currency", "hours logged", "billable hours", "billable value", "cost") == (
        "USD", 1.5, 1.5, 300, 60)
    assert values(yankee, "margin", "margin %") == (None, None)  # no exchange rate: no margin
    assert yankee["effective rate"].value == 200

    studio = row_of(sheet, "studio")
    assert values(studio, "hours logged", "billable hours", "billable value", "cost", "margin", "margin %") == (
        1, 0, 0, 50, -50, None)

    # formats: money in the row's currency, cost always in the agency's, hours and percentages plain
    assert acme["billable value"].number_format == EUR and acme["margin"].number_format == EUR
    assert yankee["billable value"].number_format == USD and yankee["unbilled value"].number_format == USD
    assert yankee["effective rate"].number_format == USD and yankee["cost"].number_format == EUR
    assert acme["hours logged"].number_format == HOURS and acme["margin %"].number_format == PCT
    assert all(isinstance(acme[n].value, (int, float)) for n in ("hours logged", "billable value", "cost"))

    # totals: live formulas, one row per currency, never adding euros and dollars
    euro, col = row_of(sheet, "Total EUR"), letters(sheet)
    r, logged, value, currency = euro["client"].row, col["hours logged"], col["billable value"], col["currency"]
    assert r == 5 and euro["hours logged"].value == f'=SUMIFS({logged}2:{logged}4,{currency}2:{currency}4,"EUR")'
    assert euro["margin %"].value == f'=IF({value}{r}=0,"",{col["margin"]}{r}/{value}{r})'
    assert euro["effective rate"].value == f'=IF({logged}{r}=0,"",{value}{r}/{logged}{r})'
    eur, usd = totals(sheet, "EUR"), totals(sheet, "USD")
    assert (eur["hours logged"], eur["billable hours"], eur["billable value"], eur["cost"], eur["margin"]) == (
        D("4.85"), D("1.6"), D(175), D("222.5"), D("-47.5"))
    assert (eur["billed hours"], usd["billed hours"]) == (D("1.75"), D("1.5"))
    assert near(eur["margin %"], "-0.2714", 4) and near(eur["effective rate"], "36.08")  # 175 / 4.85
    assert (usd["hours logged"], usd["billable value"], usd["unbilled value"], usd["cost"]) == (
        D("1.5"), D(300), D(300), D(60))
    assert usd["effective rate"] == 200
    usd_row = row_of(sheet, "Total USD")
    assert values(usd_row, "margin", "margin %") == (None, None)  # blank, like the client's row: not 0.00 $ / 0 %
    assert usd_row["billable value"].number_format == USD and usd_row["cost"].number_format == EUR
    assert euro["billable value"].number_format == EUR and euro["margin %"].number_format == PCT
    assert euro["client"].font.b and euro["hours logged"].font.b
    everyone = {name: evaluate(sheet, cell.coordinate) for name, cell in row_of(sheet, "Total, all clients").items()}
    assert (everyone["hours logged"], everyone["cost"], everyone["billable value"]) == (D("6.35"), D("282.5"), None)

    # the figures behind the sheet say the same
    figures = result.figures.clients.set_index("client")
    assert figures.loc["acme", "value"] == D("175.00") and figures.loc["acme", "margin_pct"] == D("0.0143")
    assert figures.loc["acme", "effective_rate"] == D("45.45") and figures.loc["yankee", "margin"] is None

    # the margin chart: one bar per billable client in the agency's currency (no internal, no USD one)
    chart, = sheet._charts
    margin = col["margin"]
    assert [(s.cat.strRef.f, s.val.numRef.f) for s in chart.series] == [("Clients!$A$2", f"Clients!${margin}$2")]


def test_jobs_sheet_per_job_with_budget_burn_and_totals(ws):
    ws.rates(RATES.replace("      website: {name: Website relaunch}\n",
                           "      website: {name: Website relaunch, budget: {hours: 4, per: month}}\n"))
    ws.input("november.csv", HEADER + NOVEMBER_ENTRIES)
    sheet = book(report(ws.root, NOVEMBER, today=TODAY).path)["Jobs"]
    assert [(r["client"].value, r["job"].value, r["job name"].value) for r in records(sheet)][:4] == [
        ("acme", "internal", "Internal coordination"), ("acme", "website", "Website relaunch"),
        ("yankee", "app", "App"), ("studio", "admin", "Administration")]  # internal clients last
    website = records(sheet)[1]
    # logged 1.85 h (1.6 billable), value 175.00, cost 92.50, margin 82.50 = 47.1 %, 175 / 1.85 = 94.59 an hour
    assert values(website, "hours logged", "billable hours", "billable value", "cost", "margin") == (
        1.85, 1.6, 175, 92.5, 82.5)
    assert near(website["margin %"].value, "0.4714", 4) and near(website["effective rate"].value, "94.59")
    assert website["budget"].value == "4 h a month"
    # 2.00 of 4 h: the 1.75 h billed (1.6 logged, rounded up: burn counts what the invoice bills) + 0.25 not billable
    assert near(website["burn %"].value, "0.5", 4) and website["burn %"].number_format == PCT
    internal = records(sheet)[0]
    assert values(internal, "hours logged", "billable value", "cost", "margin", "burn %") == (2, 0, 80, -80, None)
    eur = totals(sheet, "EUR")
    assert (eur["hours logged"], eur["billable value"], eur["cost"], eur["margin"]) == (
        D("4.85"), D(175), D("222.5"), D("-47.5"))
    assert values(row_of(sheet, "Total USD"), "margin", "margin %") == (None, None)


# ---------------------------------------------------------------------------------------------
# after billing


def test_billing_fills_the_invoiced_columns_and_writes_the_workbook(ws):
    clients_ws(ws).with_templates()
    before = report(ws.root, NOVEMBER, today=TODAY)
    acme = row_of(book(before.path)["Clients"], "acme")
    assert values(acme, "invoiced this period", "invoiced to date", "unbilled hours", "last invoice") == (
        0, 0, 1.75, None)
    before.path.unlink()

    run = bill(ws.root, NOVEMBER, today=TODAY)
    assert [(i.number, i.client_key, i.net) for i in run.issued] == [
        ("2026-0001", "acme", D("175.00")), ("2026-0002", "yankee", D("300.00"))]
    assert run.report is not None and run.report.path == before.path and run.report.path.exists()
    wb = book(run.report.path)
    clients = wb["Clients"]
    acme, yankee, studio = (row_of(clients, k) for k in ("acme", "yankee", "studio"))
    assert values(acme, "invoiced this period", "invoiced to date", "unbilled hours", "unbilled value") == (
        175, 175, 0, 0)
    assert values(acme, "last invoice", "last invoice date") == ("2026-0001", datetime(2026, 12, 3))
    assert acme["last invoice date"].number_format == "yyyy-mm-dd"
    assert values(yankee, "invoiced this period", "invoiced to date", "last invoice") == (300, 300, "2026-0002")
    assert yankee["invoiced this period"].number_format == USD
    assert values(studio, "invoiced to date", "last invoice") == (0, None)
    assert totals(clients, "EUR")["invoiced this period"] == 175 and totals(clients, "USD")["unbilled value"] == 0

    invoices = records(wb["Invoices"])
    assert [values(r, "number", "kind", "client", "issued", "net", "VAT", "gross", "currency", "status")
            for r in invoices] == [
        ("2026-0001", "invoice", "acme", datetime(2026, 12, 3), 175, 33.25, 208.25, "EUR", "issued"),
        ("2026-0002", "invoice", "yankee", datetime(2026, 12, 3), 300, 57, 357, "USD", "issued")]
    assert invoices[0]["gross"].number_format == EUR and invoices[1]["gross"].number_format == USD
    entries = {r["description"].value: r["invoice"].value for r in records(wb["Entries"])}
    assert entries == {"Layout": "2026-0001", "Review": "2026-0001", "Coffee chat": None, "Sync": None,
                       "API": "2026-0002", "Admin": None}
    gap = row_of(wb["Billing gap"], "acme")
    assert values(gap, "tracked billable value", "invoiced", "not invoiced yet") == (175, 175, 0)

    # a late entry is unbilled until the next run; the invoices stay where they are
    ws.input("late.csv", HEADER + "2026-11-20,Ben Okafor,ACME,website,,Late fix,1,\n")
    acme = row_of(book(report(ws.root, NOVEMBER, today=TODAY).path)["Clients"], "acme")
    assert values(acme, "billable value", "invoiced this period", "unbilled hours", "unbilled value",
                  "last invoice") == (275, 175, 1, 100, "2026-0001")

    # a quarter holds November's invoices; December's month has none of its own, but they count to date
    quarter = row_of(book(report(ws.root, parse_period("2026-Q4"), today=TODAY).path)["Clients"], "acme")
    assert values(quarter, "invoiced this period", "invoiced to date") == (175, 175)
    assert [r["number"].value for r in records(book(ws.root / "output" / "2026-Q4" / "profitability-2026-Q4.xlsx")[
        "Invoices"])] == ["2026-0001", "2026-0002"]
    december = row_of(book(report(ws.root, parse_period("2026-12"), today=TODAY).path)["Clients"], "acme")
    assert values(december, "hours logged", "invoiced this period", "invoiced to date", "last invoice") == (
        0, 0, 175, "2026-0001")

    # status a week later: the last invoice and how long ago
    rows = board.status(ws.root, NOVEMBER, today=date(2026, 12, 10)).clients
    assert [(r.client, r.last_invoice, r.last_invoice_date, r.days_since, r.unbilled_hours) for r in rows] == [
        ("acme", "2026-0001", date(2026, 12, 3), 7, D("1.00")), ("yankee", "2026-0002", date(2026, 12, 3), 7, D(0))]

    # a voided invoice no longer counts, and its entries are unbilled again
    void(ws.root, "2026-0001", "wrong rate", today=TODAY)
    wb = book(report(ws.root, NOVEMBER, today=TODAY).path)
    acme = row_of(wb["Clients"], "acme")
    assert values(acme, "invoiced this period", "invoiced to date", "unbilled hours", "unbilled value") == (
        0, 0, 2.75, 275)
    assert [values(r, "number", "kind", "status", "cancels", "net") for r in records(wb["Invoices"])] == [
        ("2026-0001", "invoice", "void", None, 175), ("2026-0002", "invoice", "issued", None, 300),
        ("2026-0003", "credit-note", "issued", "2026-0001", -175)]


# ---------------------------------------------------------------------------------------------
# budgets


def test_over_servicing_burn_projection_and_value_beyond_budget(ws):
    may_ws(ws)
    result = report(ws.root, MAY, today=MAY_15)
    sheet = book(result.path)["Over-servicing"]
    rows = records(sheet)
    assert [(r["client"].value, r["job"].value) for r in rows] == [
        ("acme", "website"), ("globex", None), ("acme", None), ("calm", None)]  # most burnt first
    website, globex, acme, calm = rows
    # total budget of 8 h: 5 h in April + 3.5 h in May; projected: April + the 3.5 h of May so far × 2
    assert values(website, "budget in rates.yaml", "budget for the period", "used", "projected",
                  "hours beyond budget", "value beyond budget") == ("8 h in total", 8, 8.5, 12, 0.5, 50)
    assert website["budget for the period"].number_format == HOURS
    assert values(website, "burn %", "projected %", "amber at", "red at") == (1.0625, 1.5, 0.5, 0.9)
    # 1,000 EUR a month: 7 h × 150 = 1,050; beyond it 50.00, a third of an hour at 150
    assert values(globex, "budget in rates.yaml", "budget for the period", "used", "burn %", "projected",
                  "projected %") == ("1,000.00 EUR a month", 1000, 1050, 1.05, 2100, 2.1)
    assert globex["used"].number_format == EUR
    assert values(globex, "hours beyond budget", "value beyond budget", "amber at", "red at") == (
        0.33, 50, 0.8, 1)
    # 10 h a month: only May's 5.5 h (April's 5 h are another month), on pace for 11 h
    assert values(acme, "budget for the period", "used", "burn %", "projected", "projected %", "hours beyond budget") == (
        10, 5.5, 0.55, 11, 1.1, 0)
    assert values(calm, "used", "burn %", "projected", "projected %") == (2, 0.05, 4, 0.1)
    assert website["burn %"].number_format == PCT and website["value beyond budget"].number_format == EUR
    assert sheet.freeze_panes == "A2"

    # traffic lights at each row's own thresholds
    rules = [(str(cf.sqref), rule.formula, rule.dxf.fill.fgColor.rgb[-6:], rule.stopIfTrue)
             for cf in sheet.conditional_formatting for rule in cf.rules]
    col = letters(sheet)
    area, burn, amber, red = f"A2:{col[headers(sheet)[-1]]}5", col["burn %"], col["amber at"], col["red at"]
    assert rules == [(area, [f"${burn}2>=${red}2"], "F4B6B6", True), (area, [f"${burn}2>=${amber}2"], "FBE3A6", True),
                     (area, [f"${burn}2<${amber}2"], "CDEBC5", True)]  # red, amber, green

    # the alerts: past the first threshold, or projected past the last
    assert [(a.client, a.job, a.level) for a in result.alerts] == [
        ("acme", "website", "red"), ("globex", "", "red"), ("acme", "", "amber")]
    assert [str(a) for a in result.alerts] == [
        "acme / website: 8.50 of 8.00 h used (106 %), 150 % projected by the end of the period",
        "globex: 1,050.00 of 1,000.00 EUR used (105 %), 210 % projected by the end of the period",
        "acme: 5.50 of 10.00 h used (55 %), 110 % projected by the end of the period"]
    assert result.over_budget

    # the Clients sheet shows each client's most burnt budget (acme's job's), the Jobs sheet each job's own
    clients = book(result.path)["Clients"]
    assert [(r["client"].value, r["budget"].value, r["burn %"].value) for r in records(clients)[:3]] == [
        ("acme", "website: 8 h in total", 1.0625), ("calm", "40 h a month", 0.05),
        ("globex", "1,000.00 EUR a month", 1.05)]
    jobs = {(r["client"].value, r["job"].value): r["burn %"].value for r in records(book(result.path)["Jobs"])}
    assert jobs[("acme", "website")] == 1.0625 and jobs[("acme", "support")] is None

    # the billing gap sees April's unbilled hours
    gap = row_of(book(result.path)["Billing gap"], "acme")
    assert values(gap, "unbilled h, earlier periods", "unbilled value, earlier periods") == (5, 500)


ROUNDED_RATES = AGENCY + """\
clients:
  round:
    name: Round GmbH
    rate: "100.00"
    budget: {hours: 9, per: month}
    jobs:
      web: {name: Web, budget: {amount: "900", per: month}}
""" + STUDIO
# ten entries of 0:50 = 8.33 h logged; 15-minute rounding up bills each as 1:00 = 10 h
ROUNDED_ENTRIES = "".join(f"2026-11-{day:02d},{person},round,web,,Task,0:50,\n" for day, person in zip(
    (2, 3, 4, 5, 6, 9, 10, 11, 12, 13), ["Anna Schmidt", "Ben Okafor"] * 5))


def invoiced_hours(root, client: str, job: str | None = None) -> Decimal:
    """The hours of the live invoices' HUR lines for a client (or one of its jobs), from the ledger."""
    conn = sqlite3.connect(f"file:{root / 'output' / 'ledger.sqlite'}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT l.quantity FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id "
                            "WHERE i.kind = 'invoice' AND i.status = 'issued' AND l.unit = 'HUR' "
                            "AND i.client_key = ? AND (? IS NULL OR l.job_key = ?)", (client, job, job)).fetchall()
    finally:
        conn.close()
    return sum((D(q) for (q,) in rows), D(0))


def test_an_hours_budget_burns_the_hours_invoiced_where_rounding_bills_more_than_was_logged(ws):
    ws.rates(ROUNDED_RATES)
    ws.with_templates().input("november.csv", HEADER + ROUNDED_ENTRIES)
    # before billing: the rounded hours to bill burn the budget, as the invoice will bill them
    before = report(ws.root, NOVEMBER, today=TODAY)
    row = records(book(before.path)["Over-servicing"])[0]
    assert values(row, "job") == (None,)
    assert values(row, "hours logged", "hours billed", "used", "hours beyond budget", "value beyond budget") == (
        8.33, 10, 10, 1, 100)  # not 8.33 used, 0 h beyond
    assert near(row["burn %"].value, "1.1111", 4) and near(row["projected %"].value, "1.1111", 4)
    assert [str(a) for a in before.alerts] == [
        "round: 10.00 of 9.00 h used (111 %), 111 % projected by the end of the period",
        "round / web: 1,000.00 of 900.00 EUR used (111 %), 111 % projected by the end of the period"]
    assert before.over_budget
    before.path.unlink()

    run = bill(ws.root, NOVEMBER, today=TODAY)
    assert [(i.client_key, i.net) for i in run.issued] == [("round", D("1000.00"))]
    assert invoiced_hours(ws.root, "round") == D(10)
    budgets = run.report.figures.budgets.set_index("job")
    budget = budgets.loc[""]
    assert (budget.logged, budget.billed, budget.used, budget.over_hours) == (D("8.33"), D(10), D(10), D(1))
    assert budget.used == invoiced_hours(ws.root, "round") and budget.burn_pct == D("1.1111")  # never < 100 %
    row = records(book(run.report.path)["Over-servicing"])[0]
    assert values(row, "job", "hours logged", "hours billed", "used", "hours beyond budget") == (None, 8.33, 10, 10, 1)
    # the amount budget burns the invoice's value, as it did before: the lines' hours × their price
    assert (budgets.loc["web", "used"], budgets.loc["web", "billed"]) == (D("1000.00"), D(10))


def test_an_hours_budget_weighs_billed_against_logged_over_its_whole_scope_not_per_entry(ws):
    ws.rates(AGENCY + """\
clients:
  round:
    name: Round GmbH
    rate: "100.00"
    jobs:
      web: {name: Web, rounding: {minutes: 15, mode: nearest}, budget: {hours: 2, per: month}}
      seo: {name: SEO, budget: {hours: 2, per: month}}
""" + STUDIO)
    ws.input("november.csv", HEADER + "2026-11-02,Anna Schmidt,round,web,,Up,0:40,\n"  # billed 0:45
                                      "2026-11-03,Anna Schmidt,round,web,,Down,0:50,\n"  # billed 0:45
                                      "2026-11-04,Anna Schmidt,round,web,,Call,0:30,no\n"
                                      "2026-11-02,Ben Okafor,round,seo,,Audit,0:50,\n"  # billed 1:00
                                      "2026-11-03,Ben Okafor,round,seo,,Call,0:30,no\n")
    budgets = report(ws.root, NOVEMBER, today=TODAY).figures.budgets.set_index("job")
    # web: 1.50 h billed = 1.50 h billable logged, so the 2.00 h logged burn (per entry it would be 2.08)
    assert tuple(budgets.loc["web", ["logged", "billed", "used"]]) == (D(2), D("1.50"), D(2))
    # seo: 1.00 h billed beyond 0.83 h billable logged, plus 0.50 h not billable: 1.50 h
    assert tuple(budgets.loc["seo", ["logged", "billed", "used", "burn_pct"]]) == (
        D("1.33"), D(1), D("1.50"), D("0.75"))


def test_no_hours_budget_of_the_demo_burns_less_than_its_invoices_bill(tmp_path):
    root = copy_demo(tmp_path)
    run = bill(root, NOVEMBER, today=TODAY)
    assert run.issued and run.report is not None
    budgets = run.report.figures.budgets
    hourly = budgets[budgets["unit"].eq("h")]
    assert len(hourly) >= 5
    beyond_logs = 0
    for b in hourly.itertuples():
        scope_hours = invoiced_hours(root, b.client, b.job or None)
        assert b.used >= scope_hours - D("0.01"), (b.client, b.job, b.used, scope_hours)
        assert b.burn_pct >= share(scope_hours, b.budget) - D("0.0001")
        beyond_logs += b.used > b.logged
    assert beyond_logs  # the demo's rounding bills more than was logged somewhere


def test_a_monthly_budget_scales_with_the_period_and_a_finished_period_projects_what_was_used(ws):
    may_ws(ws)
    budgets = report(ws.root, parse_period("2026-Q2"), today=date(2026, 7, 1)).figures.budgets
    acme = budgets[budgets["client"].eq("acme") & budgets["job"].eq("")].iloc[0]
    assert (acme.budget, acme.used, acme.projected, acme.burn_pct) == (D(30), D("10.50"), D("10.50"), D("0.35"))
    website = budgets[budgets["job"].eq("website")].iloc[0]  # April is inside the quarter now
    assert (website.budget, website.used, website.projected) == (D(8), D("8.50"), D("8.50"))


def test_report_fail_on_alert_exits_with_its_own_code_past_100_percent(ws, monkeypatch):
    may_ws(ws)
    on(monkeypatch, MAY_15)
    result = ws.cli("report", "--period", "2026-05", "--fail-on-alert")
    assert result.exit_code == EXIT_ALERT == 4, result.output  # not 2: that is a usage error
    lines = result.output.splitlines()
    assert lines[0] == "Report    output/2026-05/profitability-2026-05.xlsx"
    assert lines[lines.index("Budgets past their alert thresholds:") + 1:] == [
        "  !! acme / website: 8.50 of 8.00 h used (106 %), 150 % projected by the end of the period",
        "  !! globex: 1,050.00 of 1,000.00 EUR used (105 %), 210 % projected by the end of the period",
        "   ! acme: 5.50 of 10.00 h used (55 %), 110 % projected by the end of the period",
        "Exit 4: a budget is past 100 % (--fail-on-alert)."]  # on stderr, which the test runner mixes in
    assert (ws.root / "output" / "2026-05" / "profitability-2026-05.xlsx").exists()
    plain = ws.cli("report", "--period", "2026-05")  # without the flag, alerts are news, not failure
    assert plain.exit_code == 0 and "  !! globex: 1,050.00" in plain.output


def test_report_fail_on_alert_exits_0_at_exactly_100_percent_and_below(ws, monkeypatch):
    ws.rates(BUDGET_RATES)
    ws.input("may.csv", HEADER + "".join(f"2026-05-{d:02d},Ben Okafor,calm,web,,Setup,8,\n" for d in range(4, 9))
             + "2026-05-05,Anna Schmidt,acme,support,,Hotline,4.5,\n")  # 45 %, on pace for 90 %: no alert
    on(monkeypatch, MAY_15)
    result = ws.cli("report", "--period", "2026-05", "--fail-on-alert")
    assert result.exit_code == 0, result.output  # 40 of 40 h: red, but not past 100 %
    assert result.output.splitlines()[-2:] == [
        "Budgets past their alert thresholds:",
        "  !! calm: 40.00 of 40.00 h used (100 %), 200 % projected by the end of the period"]
    ws.input("may.csv", HEADER + "2026-05-05,Anna Schmidt,acme,support,,Hotline,1,\n")
    quiet = ws.cli("report", "--period", "2026-05", "--fail-on-alert")
    assert quiet.exit_code == 0 and "Budgets past" not in quiet.output


# ---------------------------------------------------------------------------------------------
# team


ANNA_AWAY = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:test\r\nBEGIN:VEVENT\r\nUID:v\r\nSUMMARY:Urlaub\r\n"
             "DTSTART;VALUE=DATE:20260513\r\nDTEND;VALUE=DATE:20260516\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


def test_team_capacity_utilisation_absences_and_missing_days(ws):
    ws.rates(BUDGET_RATES)
    ws.input("may.csv", HEADER + MAY_ENTRIES.split("\n", 1)[1])  # without April: see the xfail below
    # Anna's holiday covers Wed 13, Thu 14 (Ascension: no working day anyway) and Fri 15 May
    ws.input("anna.ics", ANNA_AWAY)
    sheet = book(report(ws.root, MAY, today=MAY_15).path)["Team"]
    anna, ben, total = records(sheet)
    assert total["person"].value == "Total" and total["capacity"].value == "=SUM(E2:E3)"
    # 18 working days; Anna 40 h a week (8 a day) less 2 days away = 128 h; Ben 20 h (4 a day) × 18 = 72 h
    assert values(anna, "person", "role", "logged", "billable", "capacity", "days away", "cost") == (
        "Anna Schmidt", "designer", 5.5, 5.5, 128, 2, 275)
    assert values(ben, "person", "logged", "billable", "capacity", "days away", "cost") == (
        "Ben Okafor", 10, 9, 72, 0, 400)
    assert near(anna["utilisation %"].value, "0.0430", 4)  # 5.5 / 128
    assert ben["utilisation %"].value == 0.125  # 9 / 72
    assert anna["utilisation %"].number_format == PCT and anna["capacity"].number_format == HOURS
    assert anna["cost"].number_format == EUR
    # up to Friday: Anna worked 4, 5, 6, 7, 8, 11, 12 May (13 and 15 away) and logged half a day on none;
    # Ben logged at least half his 4 h on 4 and 5 May only
    assert values(anna, "missing days") == (7,) and values(ben, "missing days") == (7,)


def test_the_team_sheet_and_status_team_show_each_persons_last_day_logged(ws, monkeypatch):
    ws.rates(BUDGET_RATES)
    ws.input("may.csv", HEADER + MAY_ENTRIES.split("\n", 1)[1])
    anna, ben, total = records(book(report(ws.root, MAY, today=MAY_15).path)["Team"])
    # Anna last logged on 12 May, Ben on 6 May: 3 and 9 days before Friday 15 May
    assert values(anna, "last day logged", "days since") == (datetime(2026, 5, 12), 3)
    assert values(ben, "last day logged", "days since") == (datetime(2026, 5, 6), 9)
    assert total["days since"].value is None  # days do not add up
    monkeypatch.setenv("AUFTAKT_TODAY", "2026-05-15")
    document = json.loads(ws.cli("status", "--period", "2026-05", "--team", "--json").output)
    assert [(p["person"], p["last_logged"], p["days_since"], p["missing_days"]) for p in document["team"]] == [
        ("Anna Schmidt", "2026-05-12", 3, 9), ("Ben Okafor", "2026-05-06", 9, 7)]  # no day with half of 8 h logged
    text = ws.cli("status", "--period", "2026-05", "--team").output
    assert re.search(r"Ben Okafor +│ 2026-05-06 +│ +9 │ +7 │", text), text
    assert "team" not in json.loads(ws.cli("status", "--period", "2026-05", "--json").output)


def test_status_team_shows_someone_who_logged_nothing_as_none_not_nan(ws, monkeypatch):
    ws.rates(BUDGET_RATES)
    ws.input("june.csv", HEADER + "2026-06-01,Anna Schmidt,acme,support,,Hotline,1,\n")
    monkeypatch.setenv("AUFTAKT_TODAY", "2026-06-03")
    output = ws.cli("status", "--period", "2026-06", "--team", "--json").output
    assert "NaN" not in output  # not JSON
    assert [(p["person"], p["last_logged"], p["days_since"]) for p in json.loads(output)["team"]] == [
        ("Anna Schmidt", "2026-06-01", 2), ("Ben Okafor", None, None)]
    text = ws.cli("status", "--period", "2026-06", "--team").output
    assert re.search(r"Ben Okafor +│ none +│ +— │", text) and "nan" not in text, text


def test_team_capacity_counts_each_person_s_regional_holidays(ws):
    ws.rates(BUDGET_RATES.replace("  country: DE\n", "  country: DE\n  region: BY\n").replace(
        "    hours_per_week: 20\n", "    hours_per_week: 20\n    region: BE\n"))
    ws.input("june.csv", HEADER + "2026-06-01,Anna Schmidt,acme,support,,Hotline,1,\n")
    anna, ben, _ = records(book(report(ws.root, parse_period("2026-06"), today=date(2026, 6, 30)).path)["Team"])
    # 22 weekdays in June 2026; Corpus Christi (the 4th) is a holiday in Bavaria, not in Berlin
    assert values(anna, "person", "capacity") == ("Anna Schmidt", 21 * 8)
    assert values(ben, "person", "capacity") == ("Ben Okafor", 22 * 4)


def test_a_calendar_without_events_before_the_period_does_not_break_the_report(ws):
    may_ws(ws).input("anna.ics", ANNA_AWAY)  # May's holiday; the April entry makes the report read April too
    result = report(ws.root, MAY, today=MAY_15)
    assert row_of(book(result.path)["Team"], "Anna Schmidt")["days away"].value == 2


# ---------------------------------------------------------------------------------------------
# entries


def test_entries_sheet_one_row_per_entry_with_file_row_filter_and_frozen_header(ws):
    clients_ws(ws)
    ws.input("sub/more.csv", HEADER + "2026-11-09,Zed Unknown,ACME,website,Fix,Broken row,0.75,\n"
                                      "2026-11-10,Ben Okafor,ACME,website,Dev,Good row,1,\n")
    result = report(ws.root, NOVEMBER, today=TODAY)
    wb = book(result.path)
    sheet = wb["Entries"]
    rows = records(sheet)
    assert len(rows) == 8 == len(result.run.entries)
    assert sorted((r["file"].value, r["row"].value, r["description"].value) for r in rows) == [
        ("input/november.csv", 2, "Layout"), ("input/november.csv", 3, "Review"),
        ("input/november.csv", 4, "Coffee chat"), ("input/november.csv", 5, "Sync"),
        ("input/november.csv", 6, "API"), ("input/november.csv", 7, "Admin"),
        ("input/sub/more.csv", 2, "Broken row"), ("input/sub/more.csv", 3, "Good row")]
    by = {r["description"].value: r for r in rows}
    assert values(by["Layout"], "date", "person", "client", "job", "logged h", "billable", "billed h", "rate",
                  "value", "cost", "problems") == (
        datetime(2026, 11, 3), "Anna Schmidt", "acme", "website", 1.1, "yes", 1.25, 100, 125, 55, None)
    assert by["Layout"]["date"].number_format == "yyyy-mm-dd" and by["Layout"]["value"].number_format == EUR
    assert by["Layout"]["row"].number_format == "0"
    assert values(by["Coffee chat"], "billable", "billed h", "rate", "value", "cost") == ("no", None, None, 0, 12.5)
    assert values(by["API"], "client", "rate", "value", "cost") == ("yankee", 200, 300, 60)
    assert by["API"]["value"].number_format == USD and by["API"]["cost"].number_format == EUR
    assert values(by["Good row"], "task", "value") == ("Dev", 100)
    assert values(by["Broken row"], "problems", "value", "cost") == ("unknown-person", 0, 0)

    assert sheet.auto_filter.ref == f"A1:{letters(sheet)[headers(sheet)[-1]]}9"
    assert sheet.freeze_panes == "A2"
    assert all(wb[name].freeze_panes == "A2" for name in SHEETS if name != "Overview")
    assert headers(sheet)[0] == "date" and sheet["A1"].font.b
    assert int(sheet.column_dimensions[letters(sheet)["description"]].width) == 40  # Excel's 40 characters

    # an entry with an error is listed, counted in no total, and its hours show as held back
    acme = row_of(wb["Clients"], "acme")
    assert values(acme, "hours logged", "billable value") == (4.85, 275)  # 3.85 + Ben's good hour
    assert row_of(wb["Billing gap"], "acme")["hours with errors"].value == 0.75
    problems = records(wb["Problems"])
    assert [values(p, "severity", "code", "file", "row", "column") for p in problems if p["severity"].value == "error"] \
        == [("error", "unknown-person", "input/sub/more.csv", 2, "person")]
    assert wb["Problems"].auto_filter.ref is not None


def pages(wb, name: str) -> list:
    """The sheet `name` and its continuations "name (2)", "name (3)", … in workbook order."""
    return [wb[n] for n in wb.sheetnames if n == name or re.fullmatch(rf"{re.escape(name)} \(\d+\)", n)]


def table_rows(sheets: list, header_row: int = 1) -> list[tuple]:
    return [tuple(c.value for c in r.values()) for sheet in sheets for r in records(sheet, header_row)]


def section_rows(sheets: list, heading: str) -> list[tuple]:
    """The rows of the table under `heading` (and under its "(continued)" on later pages)."""
    return [row for sheet in sheets for (cell,) in sheet.iter_rows(max_col=1)
            if str(cell.value).startswith(heading) for row in table_rows([sheet], cell.row + 1)]


def test_entry_rows_of_no_entries_give_the_general_paths_empty_columns(ws):
    """The Billing gap's lists are mostly empty: _entry_rows skips its per-row work on no rows, and
    must give what that work gives on no rows — same columns, dtypes and index."""
    clients_ws(ws)
    entries = report(ws.root, NOVEMBER, today=TODAY).figures.entries
    assert len(entries)
    for none in (entries.iloc[0:0], entries[entries[R.held_in_review]]):
        assert none.empty
        pd.testing.assert_frame_equal(_entry_rows(none), _shown_rows(none))


def test_a_report_reads_the_inputs_once_for_the_period_and_what_came_before(ws, monkeypatch):
    """The check of the earlier months (total budgets, the gap, the Months sheet) starts from what
    the period's check read: the exports are walked, hashed and read once a run."""
    clients_ws(ws)
    ws.input("october.csv", HEADER + "2026-10-05,Anna Schmidt,ACME,website,,October,2,\n")
    reads = []
    monkeypatch.setattr(pipeline, "ingest", lambda *args, **kwargs: reads.append(args) or ingest(*args, **kwargs))
    made = report(ws.root, NOVEMBER, today=TODAY)
    assert len(reads) == 1
    assert made.run.ingested is None  # once both checks are done, the raw entries are freed before the workbook
    assert row_of(book(made.path)["Billing gap"], "acme")["unbilled h, earlier periods"].value == 2


def test_a_sheet_longer_than_excel_allows_goes_on_in_numbered_sheets(ws, monkeypatch):
    """With a limit of 5 rows a sheet: 11 entries are 4 + 4 + 3 under a header each; the problems
    and the Billing gap's entries of earlier periods go on the same way."""
    clients_ws(ws)
    ws.input("more.csv", HEADER + "2026-11-09,Zed Unknown,ACME,website,Fix,Broken row,0.75,\n"
                                  "2026-11-10,Ben Okafor,ACME,website,Dev,,1,\n"
                                  "2026-11-14,Ben Okafor,ACME,website,Dev,Saturday,1,\n"
                                  "2026-11-11,Anna Schmidt,ACME,website,,Late,2,\n"
                                  "2026-11-12,Anna Schmidt,ACME,website,,Later,2,\n")
    ws.input("earlier.csv", HEADER + "".join(f"2026-{m:02d}-{d:02d},Anna Schmidt,ACME,website,,Day {d},1,\n"
                                             for m in range(6, 11) for d in range(5, 5 + m - 5)))
    whole = book(report(ws.root, NOVEMBER, today=TODAY).path)
    earlier = "Billable entries of earlier periods on no invoice (15), per month: each month's report lists its entries"
    monkeypatch.setattr(sheets, "MAX_ROWS", 5)
    split = book(report(ws.root, NOVEMBER, today=TODAY).path)

    assert [s.title for s in pages(split, "Entries")] == ["Entries", "Entries (2)", "Entries (3)"]
    for name, width in (("Entries", "S"), ("Problems", "G")):
        assert len(table_rows(pages(whole, name))) > 5
        for sheet in pages(split, name):
            assert headers(sheet) == headers(whole[name]) and 2 <= sheet.max_row <= 5
            assert sheet.auto_filter.ref == f"A1:{width}{sheet.max_row}" and sheet.freeze_panes == "A2"
        assert table_rows(pages(split, name)) == table_rows(pages(whole, name))  # each once, in order
    gap = pages(split, "Billing gap")
    assert len(gap) > 3 and all(sheet.max_row <= 5 for sheet in gap)
    assert gap[-1]["A1"].value == f"{earlier} (continued)"
    by_month = section_rows(gap, earlier)  # June 1 entry, July 2, … October 5: a row a month, its command
    assert [row[:4] for row in by_month] == [(f"2026-{m:02d}", "acme", m - 5, m - 5) for m in range(6, 11)]
    assert by_month[0][-1] == "auftakt-batch bill --period 2026-06 --client acme"
    assert by_month == section_rows([whole["Billing gap"]], earlier)


# ---------------------------------------------------------------------------------------------
# status

STATUS_RATES = AGENCY + """\
clients:
  acme:
    name: ACME GmbH
    rate: "100.00"
    budget: {hours: 10, per: month}
    jobs:
      website: {name: Website relaunch, budget: {hours: 2, per: total}}
  globex:
    name: Globex Corporation
    rate: "150.00"
    jobs:
      app: {name: Customer app, budget: {amount: "1000", per: month}}
  calm:
    name: Calm Ltd
    currency: USD
    rate: "100.00"
    jobs:
      web: {name: Web}
""" + STUDIO


def status_ws(ws):
    ws.rates(STATUS_RATES)
    ws.input("november.csv", HEADER + "2026-11-03,Anna Schmidt,acme,website,,Design,3,\n"
                                      "2026-11-04,Ben Okafor,globex,app,,Sprint,7,\n"
                                      "2026-11-05,Ben Okafor,calm,web,,Setup,1.1,\n"
                                      "2026-11-05,Ben Okafor,calm,nonexistent,,Oops,1,\n"
                                      "2026-11-06,Anna Schmidt,studio,admin,,Admin,1,\n")
    return ws


def test_status_json(ws):
    """The Overview's rows by its columns' keys, in its order (the most unbilled value first), and its
    headline per currency. By hand: globex 7 h × 150.00 = 1,050.00, cost 7 h × 40.00 = 280.00, margin
    770 / 1,050 = 73.33 %; acme 3 h × 100.00 = 300.00, cost 3 × 50.00, margin 50 %; calm 1.10 h rounded
    up to 1.25 h × 100.00 = 125.00 USD (no margin: not the agency's currency); its bad row holds it back."""
    status_ws(ws)
    result = ws.cli("status", "--period", "2026-11", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert (doc["period"], doc["today"]) == ("2026-11", "2026-12-03")
    empty = {"invoiced": "0.00", "last_invoice": None, "last_invoice_date": None, "days_since": None}
    assert doc["clients"] == [
        {"client": "globex", "logged": "7.00", "billed": "7.00", "value": "1050.00", **empty,
         "unbilled_hours": "7.00", "unbilled_value": "1050.00", "margin_pct": "0.7333", "burn": "1.0500",
         "name": "Globex Corporation", "currency": "EUR", "budget": "app", "level": "red", "held_back": False},
        {"client": "acme", "logged": "3.00", "billed": "3.00", "value": "300.00", **empty,
         "unbilled_hours": "3.00", "unbilled_value": "300.00", "margin_pct": "0.5000",
         "burn": "1.5000",  # the most burnt budget: acme's job (its own is at 30 %)
         "name": "ACME GmbH", "currency": "EUR", "budget": "website", "level": "red", "held_back": False},
        {"client": "calm", "logged": "1.10", "billed": "1.25", "value": "125.00", **empty,
         "unbilled_hours": "1.25", "unbilled_value": "125.00", "margin_pct": None, "burn": None,
         "name": "Calm Ltd", "currency": "USD", "budget": None, "level": None, "held_back": True}]
    assert [list(c)[:12] for c in doc["clients"]] == [[c.key for c in OVERVIEW_COLUMNS]] * 3  # the Overview's keys
    assert doc["headline"] == {  # internal time (studio's 1 h) is on no client's row; hours add up over currencies
        "logged": "11.10", "billed": "11.25",
        "money": [{"currency": "EUR", "value": "1350.00", "invoiced": "0.00", "unbilled_value": "1350.00",
                   "gap": "1.0000"},
                  {"currency": "USD", "value": "125.00", "invoiced": "0.00", "unbilled_value": "125.00",
                   "gap": "1.0000"}],
        "over_budget": 2, "internal": "1.00", "held_back": ["calm"]}  # its bad row


def test_status_table(ws):
    status_ws(ws)
    result = ws.cli("status", "--period", "2026-11")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:5] == [  # the Overview's headline in its order, and no padding to the width
        "Billing status 2026-11 · 2026-11-01 .. 2026-11-30 · today 2026-12-03",
        "logged 11.10 h · billed 11.25 h",
        "EUR: invoiced 0.00 · unbilled 1,350.00 · not invoiced yet 100.0 %",
        "USD: invoiced 0.00 · unbilled 125.00 · not invoiced yet 100.0 %",
        "2 over budget · internal time, on no row: 1.00 h"]
    assert status_cells(result.output) == [  # the Overview's figures in its order; not billable: no studio
        ["globex", "7.00", "7.00", "1,050.00 €", "0.00 €", "7.00", "1,050.00 €", "—", "—", "—", "73.3 %",
         "█████ 105.0 % app"],
        ["acme", "3.00", "3.00", "300.00 €", "0.00 €", "3.00", "300.00 €", "—", "—", "—", "50.0 %",
         "█████ 150.0 % website"],
        ["calm", "1.10", "1.25", "125.00 $", "0.00 $", "1.25", "125.00 $", "—", "—", "—", "—", "no budget",
         "held back by errors"]]


# ---------------------------------------------------------------------------------------------
# edges


def test_a_workspace_without_entries_still_gets_a_workbook(ws):
    ws.rates(BUDGET_RATES)
    result = ws.cli("report", "--period", "2026-11", "--fail-on-alert")
    assert result.exit_code == 0, result.output
    wb = book(ws.root / "output" / "2026-11" / "profitability-2026-11.xlsx")
    assert wb.sheetnames == SHEETS
    assert [r["client"].value for r in records(wb["Clients"])] == ["acme", "calm", "globex", "studio", "Total EUR"]
    assert totals(wb["Clients"], "EUR")["hours logged"] == 0 and totals(wb["Clients"], "EUR")["margin %"] == ""
    assert records(wb["Entries"]) == [] and headers(wb["Entries"])[0] == "date"
    assert [(r["client"].value, r["used"].value, r["burn %"].value) for r in records(wb["Over-servicing"])] == [
        ("acme", 0, 0), ("acme", 0, 0), ("calm", 0, 0), ("globex", 0, 0)]
    assert [values(r, "person", "logged", "capacity") for r in records(wb["Team"])][:2] == [
        ("Anna Schmidt", 0, 168), ("Ben Okafor", 0, 84)]  # November 2026: 21 working days
    assert records(wb["Invoices"]) == []


def test_a_rates_yaml_error_writes_no_workbook(ws):
    ws.rates(RATES.replace('rate: "200.00"', 'rate: "2OO.00"'))
    ws.input("november.csv", HEADER + NOVEMBER_ENTRIES)
    result = ws.cli("report", "--period", "2026-11")
    assert result.exit_code == 1
    assert "rates.yaml:" in result.output and "clients.yankee.rate: not a number: '2OO.00'" in result.output
    assert not list((ws.root).rglob("*.xlsx"))
    assert report(ws.root, NOVEMBER, today=TODAY).path is None
    assert ws.cli("status", "--period", "2026-11", "--json").exit_code == 1


# ---------------------------------------------------------------------------------------------
# hostile text

HOSTILE_RATES = """\
agency:
  name: Test Studio GmbH
  country: DE
  timezone: Europe/Berlin
  currency: EUR
  vat_rate: "19"
  vat_id: DE123456789
team:
  - name: "=Anna"
    email: anna@studio.example
    aliases: ["=1+1", "@SUM(1)"]
    role: "+designer"
    cost_rate: "50"
  - name: Ben Okafor
clients:
  acme:
    name: '=HYPERLINK("http://x","y")'
    aliases: ["ACME", "-2+3"]
    rate: "100.00"
    jobs:
      website:
        name: "+SUM(A1)"
        aliases: ["=cmd|' /C calc'!A0"]
"""
HOSTILE_ROWS = [
    # person (an alias), client (an alias), job (an alias), task, description
    ("2026-11-02", "=1+1", "-2+3", "=cmd|' /C calc'!A0", "=1+1", "+SUM(A1)"),
    ("2026-11-03", "@SUM(1)", "ACME", "website", "-2+3", "\t=1"),
    ("2026-11-04", "Ben Okafor", "ACME", "website", "\r=1", '=HYPERLINK("http://x","y")'),
    ("2026-11-05", "Ben Okafor", "ACME", "website", "@SUM(1)", "a\x01b\x1fc"),
    ("2026-11-06", "=Mallory", "=Evil Corp", "=job", "", "@SUM(1)"),
    ("2026-11-09", "Ben Okafor", "ACME", "-job", "=task", "-2+3"),
    ("2026-11-10", "Ben Okafor", "ACME", "website", "", "=cmd|' /C calc'!A0"),
]
RISKY_START = ("=", "+", "-", "@")


def csv_cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def all_cells(wb):
    for sheet in wb:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is not None:
                    yield sheet, cell


def test_no_input_text_becomes_a_formula(ws):
    ws.rates(HOSTILE_RATES)
    ws.input("hostile.csv", HEADER + "".join(",".join([d, *(csv_cell(t) for t in rest), "1", ""]) + "\n"
                                             for d, *rest in HOSTILE_ROWS))
    result = report(ws.root, NOVEMBER, today=TODAY)
    wb = book(result.path)

    formulas = [(sheet.title, cell) for sheet, cell in all_cells(wb) if cell.data_type == "f"]
    assert formulas  # the totals rows
    for title, cell in formulas:
        row_label = wb[title].cell(cell.row, 1).value
        if (title, cell.row) == ("Overview", 3):  # the headline figures: a totals row's cells, a ratio, sums, a count
            assert HEADLINE.fullmatch(cell.value) or RATIO.fullmatch(cell.value) or SUM.fullmatch(cell.value), \
                cell.value
            continue
        assert title in ("Overview", "Clients", "Jobs", "Months", "Team") and str(row_label).startswith("Total"), \
            (title, cell.coordinate)
        assert cell.value.startswith(("=SUMIFS(", "=SUM(", "=IF(")), cell.value
        assert SUMIFS.fullmatch(cell.value) or SUM.fullmatch(cell.value) or RATIO.fullmatch(cell.value), cell.value

    for _, cell in all_cells(wb):
        if isinstance(cell.value, str) and cell.data_type != "f":
            assert cell.data_type == "s"
            assert cell.quotePrefix == cell.value.startswith(RISKY_START), (cell.parent.title, cell.coordinate)

    entries = {r["row"].value: r for r in records(wb["Entries"])}
    assert [values(entries[2], "person", "client", "job", "task", "description")] == [
        ("=Anna", "acme", "website", "=1+1", "+SUM(A1)")]
    assert values(entries[3], "person", "task") == ("=Anna", "-2+3")
    assert values(entries[4], "description") == ('=HYPERLINK("http://x","y")',)
    assert values(entries[5], "task", "description") == ("@SUM(1)", "a\\x01b\\x1fc")  # shown escaped, not dropped
    assert values(entries[6], "description", "problems") == ("@SUM(1)", "unknown-client, unknown-person")
    assert values(entries[7], "task", "description", "problems") == ("=task", "-2+3", "unknown-job")
    assert values(entries[8], "description") == ("=cmd|' /C calc'!A0",)
    # the reader trims the tab and carriage return; what it read is what the sheet shows, as text
    as_read = result.run.entries.set_index("source_row")
    assert values(entries[3], "description") == (as_read.loc[3, "description"],) == ("=1",)
    assert values(entries[4], "task") == (as_read.loc[4, "task"],)
    assert entries[3]["description"].quotePrefix and entries[4]["task"].quotePrefix

    assert row_of(wb["Clients"], "acme")["name"].value == '=HYPERLINK("http://x","y")'
    assert records(wb["Jobs"])[0]["job name"].value == "+SUM(A1)"
    assert [values(r, "person", "role") for r in records(wb["Team"])] == [("=Anna", "+designer"),
                                                                         ("Ben Okafor", None), ("Total", None)]
    messages = [r["message"].value for r in records(wb["Problems"])]
    assert any("'=Evil Corp'" in m for m in messages) and any("'-job'" in m for m in messages)
    # the value of the sound entries is still summed by the totals
    assert totals(wb["Clients"], "EUR")["billable value"] == 500


def test_table_keeps_any_text_as_text(tmp_path):
    texts = ["=1+1", "+SUM(A1)", "-2+3", "@SUM(1)", '=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0", "\t=1",
             "\r=1", "\n=1", "nul\x00here", "bell\x07", "plain", "-", "=", "1+1", " =1"]
    frame = pd.DataFrame({"text": texts, "currency": "EUR"})
    book = Book(tmp_path / "t.xlsx")
    first, last = table(book.sheet("t"), frame, [Column("text", "text")])
    assert (first, last) == (2, len(texts) + 1)
    book.close()
    sheet = openpyxl.load_workbook(tmp_path / "t.xlsx").active
    cells = [sheet.cell(r, 1) for r in range(first, last + 1)]
    # a bare carriage return is stored as Excel's escape _x000D_ (XML would turn it into a line feed): Excel and
    # LibreOffice show the carriage return, openpyxl the escape
    assert [c.value.replace("_x000D_", "\n") for c in cells] == [
        "=1+1", "+SUM(A1)", "-2+3", "@SUM(1)", '=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0", "\t=1",
        "\n=1", "\n=1", "nul\\x00here", "bell\\x07", "plain", "-", "=", "1+1", " =1"]
    assert [c.data_type for c in cells] == ["s"] * len(texts)
    assert [c.quotePrefix for c in cells] == [True] * 9 + [False] * 3 + [True, True, False, False]


# ---------------------------------------------------------------------------------------------
# LibreOffice


def test_libreoffice_opens_the_workbook_and_recalculates_the_same_totals(ws, tmp_path):
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    clients_ws(ws)
    result = report(ws.root, NOVEMBER, today=TODAY)
    out = tmp_path / "recalculated"
    done = subprocess.run(
        [soffice, f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}", "--headless", "--norestore",
         "--convert-to", "xlsx", "--outdir", str(out), str(result.path)],
        capture_output=True, text=True, timeout=120)
    converted = out / result.path.name
    assert done.returncode == 0 and converted.exists(), done.stdout + done.stderr
    wb = openpyxl.load_workbook(converted, data_only=True)
    assert wb.sheetnames == SHEETS

    clients = result.figures.clients
    for code in ("EUR", "USD"):
        mine = clients[clients["currency"].eq(code)]
        row = {k: c.value for k, c in row_of(wb["Clients"], f"Total {code}").items()}
        for column, key in (("hours logged", "logged"), ("billable hours", "billable"), ("billable value", "value"),
                            ("invoiced this period", "invoiced_period"), ("unbilled hours", "unbilled"),
                            ("unbilled value", "unbilled_value"), ("cost", "cost")):
            assert near(row[column], sum(mine[key], D(0))), (code, column, row[column])
        value, logged = sum(mine["value"], D(0)), sum(mine["logged"], D(0))
        assert near(row["effective rate"], value / logged, 2)
        if code == "EUR":
            margin = sum(mine["margin"], D(0))
            assert near(row["margin"], margin) and near(row["margin %"], margin / value, 4)
        else:
            assert row["margin"] in (None, "") and row["margin %"] in (None, "")
    # and by hand
    eur = {k: c.value for k, c in row_of(wb["Clients"], "Total EUR").items()}
    assert (eur["hours logged"], eur["billable value"], eur["cost"], eur["margin"]) == (4.85, 175, 222.5, -47.5)
    assert near(eur["margin %"], "-0.2714", 4) and near(eur["effective rate"], "36.08")
    jobs = {k: c.value for k, c in row_of(wb["Jobs"], "Total EUR").items()}
    assert (jobs["hours logged"], jobs["billable value"], jobs["cost"], jobs["margin"]) == (4.85, 175, 222.5, -47.5)
    usd = {k: c.value for k, c in row_of(wb["Jobs"], "Total USD").items()}
    assert (usd["hours logged"], usd["billable value"], usd["effective rate"]) == (1.5, 300, 200)


def test_a_small_workbook_put_together_in_memory_holds_the_same_parts(tmp_path):
    """Book(rows=…) below IN_MEMORY_ROWS skips xlsxwriter's temporary files: every part of the
    workbook (cells, widths, notes, formats) is the same as written the general way."""
    import zipfile

    frame = pd.DataFrame({"name": ["Acme", "=cmd", None], "hours": [Decimal("1.50"), None, Decimal("2")],
                          "day": [date(2026, 11, 3), None, date(2026, 11, 30)], "currency": ["EUR", "USD", "EUR"]})
    columns = [Column("name", "client", note="who"), Column("hours", "hours", "hours"), Column("day", "day", "date")]
    parts = {}
    for rows in (len(frame), None, sheets.IN_MEMORY_ROWS):
        book = Book(tmp_path / f"{rows}.xlsx", rows=rows)
        assert book.book.in_memory is (rows == len(frame))
        table(book.sheet("T"), frame, columns, autofilter=True)
        book.close()
        with zipfile.ZipFile(tmp_path / f"{rows}.xlsx") as z:
            parts[rows] = {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}  # core: the time written
    assert parts[len(frame)] == parts[None] == parts[sheets.IN_MEMORY_ROWS]
    assert openpyxl.load_workbook(tmp_path / f"{len(frame)}.xlsx")["T"]["A3"].value == "=cmd"  # text, not a formula


def test_a_workbook_is_zipped_at_its_level_whichever_way_it_is_put_together(tmp_path):
    """Every part of a workbook is deflated at ZIP_LEVEL, put together in memory or in temporary
    files (xlsxwriter itself would use zlib's default, 6): each part's compressed size is what
    zlib makes of it at that level, and not what it makes at 6."""
    import zipfile
    import zlib

    frame = pd.DataFrame({"name": [f"client {i % 7}" for i in range(3000)], "hours": [Decimal(i % 13) for i in range(3000)]})
    columns = [Column("name", "client"), Column("hours", "hours", "hours")]

    def deflated(data: bytes, level: int) -> int:
        squeeze = zlib.compressobj(level, zlib.DEFLATED, -15)
        return len(squeeze.compress(data) + squeeze.flush())

    for rows in (len(frame), None):
        book = Book(tmp_path / f"{rows}.xlsx", rows=rows)
        assert book.book.in_memory is (rows is not None)
        table(book.sheet("T"), frame, columns)
        book.close()
        with zipfile.ZipFile(tmp_path / f"{rows}.xlsx") as z:
            sizes = {i.filename: (i.compress_size, deflated(z.read(i), sheets.ZIP_LEVEL), deflated(z.read(i), 6))
                     for i in z.infolist()}
        assert all(kept == ours for kept, ours, _ in sizes.values()), sizes
        kept, _, default = sizes["xl/worksheets/sheet1.xml"]
        assert kept != default


def test_the_months_before_the_period_are_checked_for_errors_only_with_the_same_entries_held(ws):
    """check_before (total budgets, the Months sheet, the gap, retainers) skips the checks that only
    warn: its entries, and the rows an error holds back, are a full check's of the same days."""
    clients_ws(ws)
    ws.input("earlier.csv", HEADER + "2026-10-03,Anna Schmidt,ACME,website,,Design,3,\n"
                                     "2026-10-03,Anna Schmidt,ACME,website,,Design,3,\n"  # a repeated row: warns
                                     "2026-10-04,Anna Schmidt,ACME,website,,Saturday,2,\n"  # weekend: warns
                                     "2026-10-05,Zed Unknown,ACME,website,,Who,1,\n"  # unknown person: an error
                                     "2026-10-06,Anna Schmidt,Nobody Inc,website,,Whom,1,\n"  # unknown client
                                     "2026-10-07,Anna Schmidt,ACME,website,,,30,\n")  # impossible, no words
    run = pipeline.check(ws.root, NOVEMBER, TODAY)
    history = pipeline.check_before(run, TODAY)
    full = pipeline.check(ws.root, run.period.before(run.earliest), TODAY)
    pd.testing.assert_frame_equal(history.entries, full.entries)
    assert history.with_errors().tolist() == full.with_errors().tolist() and history.with_errors().sum() == 3
    assert {p.code for p in full.problems} - {p.code for p in history.problems} >= {"repeated-row", "weekend"}
    assert [p for p in history.problems if p.severity.value == "error"] == \
        [p for p in full.problems if p.severity.value == "error"]


def test_the_checks_a_history_check_skips_never_hold_an_entry_back():
    """checks.ADVISORY may only warn or inform: a check that can raise an error must stay in BLOCKING."""
    for skipped in ADVISORY:
        assert "ERROR" not in inspect.getsource(skipped), skipped.__name__
    assert set(BLOCKING) | set(ADVISORY) == set(CHECKS)
