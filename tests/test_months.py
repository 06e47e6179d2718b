"""Trends (issue 21): the Months sheet — the last twelve months, hand-computed from a workspace
billed in October and looked at in November, reconciling with the Clients sheet and the ledger —
its line chart, and the burn chart of the most burnt budgets on the Over-servicing sheet (charts
read from the xlsx's XML)."""

from __future__ import annotations

import re
import zipfile
from decimal import Decimal as D

from auftakt_batch import ledger
from auftakt_batch.billing import bill
from auftakt_batch.periods import parse_period
from auftakt_batch.reports import report

from .conftest import TODAY
from .test_model_reports import billed  # noqa: F401 (a fixture: October and November billed, with the models)
from .test_reports import (
    AGENCY,
    HEADER,
    MAY,
    MAY_15,
    NOVEMBER,
    NOVEMBER_ENTRIES,
    RATES,
    book,
    evaluate,
    letters,
    may_ws,
    near,
    records,
    row_of,
)

OCTOBER = parse_period("2026-10")
COLUMNS = ["month", "logged h", "billable h", "billed h", "billable value", "invoiced", "not invoiced",
           "not invoiced %", "cost", "margin", "margin %"]
EARLIER = (
    "2026-08-10,Anna Schmidt,ACME,website,,Concept,2,\n"  # 2 h at 100: 200.00, never billed; cost 100.00
    "2026-10-05,Anna Schmidt,ACME,website,,Layout,1.1,\n"  # 66 min, billed 75: 125.00; cost 55.00
    "2026-10-06,Ben Okafor,yankee,app,,API,1.5,\n")  # 300.00 USD: hours only; cost 60.00 EUR of a USD client


def months_of(path) -> dict[str, dict]:
    """The Months sheet's rows by month, {header: value}."""
    return {r["month"].value: {k: c.value for k, c in r.items()} for r in records(book(path)["Months"])}


def charts(path) -> dict[str, str]:
    """Every chart's XML in the workbook, by part name."""
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")}


def refs(xml: str) -> list[str]:
    return re.findall(r"<c:f>([^<]+)</c:f>", xml)


def test_months_from_the_exports_and_the_ledger_reconcile_with_clients_and_the_invoices(ws):
    ws.rates(RATES)
    ws.with_templates()
    ws.input("earlier.csv", HEADER + EARLIER)
    october = bill(ws.root, OCTOBER, today=TODAY)
    assert [(i.client_key, i.net) for i in october.issued] == [("acme", D("125.00")), ("yankee", D("300.00"))]
    ws.input("november.csv", HEADER + NOVEMBER_ENTRIES)
    result = report(ws.root, NOVEMBER, today=TODAY)
    wb = book(result.path)
    assert wb.sheetnames.index("Months") == wb.sheetnames.index("Over-servicing") + 1
    sheet = wb["Months"]
    assert [c.value for c in sheet[1]] == COLUMNS
    assert all(sheet.cell(1, i).comment is not None for i in range(1, len(COLUMNS) + 1))  # a note on every header
    assert "exchange rate" in sheet["E1"].comment.text and "Clients" in sheet["F1"].comment.text

    rows = months_of(result.path)
    assert list(rows) == ["2026-08", "2026-09", "2026-10", "2026-11", "Total"]  # from the first month with data
    money = ("billable value", "invoiced", "not invoiced", "cost", "margin")
    # August: 2 h never billed — all of it the gap
    assert values_of(rows["2026-08"], "logged h", "billable h", "billed h", *money) == (2, 2, 2, 200, 0, 200, 100, 100)
    assert near(rows["2026-08"]["not invoiced %"], 1) and near(rows["2026-08"]["margin %"], "0.5")
    # September: nothing logged, nothing invoiced — zeros, not a gap in the table
    assert values_of(rows["2026-09"], "logged h", "billable h", "billed h", *money) == (0,) * 8
    assert rows["2026-09"]["margin %"] is None
    # October: 1.1 + 1.5 h logged, billed 1.25 + 1.5; the money only of acme (yankee is billed in USD)
    assert values_of(rows["2026-10"], "logged h", "billable h", "billed h", *money) == (
        2.6, 2.6, 2.75, 125, 125, 0, 55, 70)
    euro_invoices = sum(i.net for i in ledger.read_invoices(ws.root / "output" / "ledger.sqlite")
                        if i.period == "2026-10" and i.currency == "EUR" and i.status == "issued")
    assert rows["2026-10"]["invoiced"] == euro_invoices == D("125.00")
    # November: as test_reports works it out — value 175.00, nothing invoiced, cost 222.50 (acme 172.50, studio 50)
    november = rows["2026-11"]
    assert values_of(november, "logged h", "billable h", "billed h", *money) == (
        6.35, 3.1, 3.25, 175, 0, 175, 222.5, -47.5)
    assert near(november["margin %"], "-0.2714", 4) and near(november["not invoiced %"], 1)

    # the period's month is the Clients sheet's totals
    clients = wb["Clients"]
    eur = {name: evaluate(clients, cell.coordinate) for name, cell in row_of(clients, "Total EUR").items()}
    everyone = {name: evaluate(clients, cell.coordinate) for name, cell in row_of(clients, "Total, all clients").items()}
    assert (november["billable value"], november["cost"], november["margin"]) == (
        eur["billable value"], eur["cost"], eur["margin"])
    assert november["invoiced"] == eur["billable value"] - eur["unbilled value"] == eur["invoiced this period"]
    assert (D(str(november["logged h"])), D(str(november["billable h"])), D(str(november["billed h"]))) == (
        everyone["hours logged"], everyone["billable hours"], everyone["billed hours"])

    # the totals: live formulas, the percentages from the totals
    total, col = row_of(sheet, "Total"), letters(sheet)
    assert total["logged h"].value == f"=SUM({col['logged h']}2:{col['logged h']}5)"
    assert total["margin %"].value == (f'=IF({col["billable value"]}6=0,"",'
                                       f'{col["margin"]}6/{col["billable value"]}6)')
    summed = {name: evaluate(sheet, cell.coordinate) for name, cell in total.items()}
    assert (summed["logged h"], summed["billable value"], summed["invoiced"], summed["cost"]) == (
        D("10.95"), D(500), D(125), D("377.5"))
    assert near(summed["not invoiced %"], "0.75", 4) and near(summed["margin %"], "0.245", 4)  # 375 / 500, 122.5 / 500
    assert total["billable value"].number_format == '#,##0.00 "€";-#,##0.00 "€"' and total["month"].font.b

    # the line chart under the table: value, invoiced and cost, one point per month
    (chart,) = [xml for xml in charts(result.path).values() if "Months!" in xml]
    assert "<c:lineChart>" in chart
    assert refs(chart) == [ref for c in ("E", "F", "I")  # billable value, invoiced, cost
                           for ref in (f"Months!${c}$1", "Months!$A$2:$A$5", f"Months!${c}$2:${c}$5")]
    assert chart.count("<c:title>") == 3 and "<c:legend>" in chart  # the chart's and both axes' titles


def values_of(row: dict, *names: str) -> tuple:
    return tuple(row[n] for n in names)


def test_each_month_reconciles_with_its_own_clients_sheet_with_fees_milestones_and_overage(billed):  # noqa: F811
    """Retainer fees, overage and milestones count in the month of their invoice's period: each
    month's row of November's workbook is that month's Clients sheet."""
    rows = months_of(report(billed.root, NOVEMBER, today=TODAY).path)
    assert list(rows) == ["2026-10", "2026-11", "Total"]
    for period in (OCTOBER, NOVEMBER):
        clients = book(report(billed.root, period, today=TODAY).path)["Clients"]
        eur = {name: evaluate(clients, cell.coordinate) for name, cell in row_of(clients, "Total EUR").items()}
        month = rows[period.label]
        assert month["billable value"] == eur["billable value"] and month["billable value"] > 0, period
        assert month["invoiced"] == eur["billable value"] - eur["unbilled value"], period
        assert (month["cost"], month["margin"], month["logged h"]) == (eur["cost"], eur["margin"],
                                                                       eur["hours logged"]), period


def test_the_window_is_the_last_twelve_months_up_to_the_period(ws):
    ws.rates(RATES)
    ws.input("year.csv", HEADER + "".join(f"{m}-15,Anna Schmidt,ACME,website,,Work,1,\n" for m in (
        "2025-09", "2025-11", "2025-12", "2026-06", "2026-11")))
    result = report(ws.root, NOVEMBER, today=TODAY)
    months = result.figures.months
    assert months["month"].tolist() == [f"2025-{m}" for m in ("12",)] + [f"2026-{m:02d}" for m in range(1, 12)]
    assert [float(h) for h in months["logged"]] == [1] + [0] * 5 + [1] + [0] * 4 + [1]  # Sept, Nov 2025 are older
    assert months.loc[months["month"].eq("2025-12"), "value"].item() == D("100.00")

    # a quarter's workbook ends with its last month; a week's with the month it ends in (up to its end)
    assert report(ws.root, parse_period("2026-Q2"), today=TODAY).figures.months["month"].tolist() == [
        f"2025-{m}" for m in ("09", "10", "11", "12")] + [f"2026-{m:02d}" for m in range(1, 7)]
    week = report(ws.root, parse_period("2026-W24"), today=TODAY).figures.months  # 8–14 June: the 15th is after it
    assert week["month"].tolist()[-1] == "2026-06" and week["logged"].tolist()[-1] == 0


def test_a_workspace_without_entries_gets_an_empty_months_sheet(ws):
    result = report(ws.root, NOVEMBER, today=TODAY)
    rows = months_of(result.path)
    assert list(rows) == ["2026-11", "Total"]  # the period's month, of zeros
    assert values_of(rows["2026-11"], "logged h", "billable value", "cost", "margin", "margin %") == (0, 0, 0, 0, None)


def test_the_burn_chart_shows_the_most_burnt_budgets_each_labelled_in_its_traffic_light(ws):
    may_ws(ws)
    path = report(ws.root, MAY, today=MAY_15).path
    sheet = book(path)["Over-servicing"]
    (at,) = [c.row for c in sheet["A"] if c.value and str(c.value).startswith("Budget burn")]
    assert sheet.cell(at, 1).value == "Budget burn, most burnt first (4 of 4)"
    table = [(r["budget"].value, r["burn %"].value, r["limit"].value) for r in records(sheet, at + 1)]
    assert table == [("acme / website", 1.0625, 1), ("globex", 1.05, 1), ("acme", 0.55, 1), ("calm", 0.05, 1)]

    (chart,) = [xml for xml in charts(path).values() if "Over-servicing" in xml]
    first, last = at + 2, at + 5
    assert '<c:barDir val="bar"/>' in chart
    assert refs(chart) == [f"'Over-servicing'!$A${first}:$A${last}", f"'Over-servicing'!$C${first}:$C${last}",
                           f"'Over-servicing'!$A${first}:$A${last}", f"'Over-servicing'!$B${first}:$B${last}"]
    assert '<c:showVal val="1"/>' in chart and 'formatCode="0%"' in chart  # every burn bar labelled
    # red past the red threshold (website 0.9, globex 1), green below amber: in the order of the bars
    assert re.findall(r'<c:dPt>.*?<a:srgbClr val="([0-9A-F]{6})"/>', chart) == ["D9534F", "D9534F", "5CB85C",
                                                                              "5CB85C"]
    assert '<c:orientation val="maxMin"/>' in chart  # the most burnt on top, as in the table


def test_the_burn_chart_shows_at_most_twelve_budgets(ws):
    clients = "".join(f"  c{n:02d}:\n    name: Client {n}\n    rate: \"100.00\"\n    budget: {{hours: 10, per: month}}\n"
                      for n in range(1, 14))
    ws.rates(AGENCY + "clients:\n" + clients)
    ws.input("november.csv", HEADER + "".join(f"2026-11-{n + 2:02d},Anna Schmidt,c{n:02d},,,Work,{n / 2},\n"
                                              for n in range(1, 14)))
    path = report(ws.root, NOVEMBER, today=TODAY).path
    sheet = book(path)["Over-servicing"]
    (at,) = [c.row for c in sheet["A"] if c.value and str(c.value).startswith("Budget burn")]
    assert sheet.cell(at, 1).value == "Budget burn, most burnt first (12 of 13)"
    assert [r["budget"].value for r in records(sheet, at + 1)] == [f"c{n:02d}" for n in range(13, 1, -1)]
    (chart,) = [xml for xml in charts(path).values() if "Over-servicing" in xml]
    assert f"'Over-servicing'!$B${at + 2}:$B${at + 13}" in refs(chart)


def test_no_budgets_no_burn_chart(ws):
    ws.rates(RATES)
    ws.input("november.csv", HEADER + NOVEMBER_ENTRIES)
    path = report(ws.root, NOVEMBER, today=TODAY).path
    assert not [c.value for c in book(path)["Over-servicing"]["A"] if c.value and str(c.value).startswith("Budget burn")]
    assert not [xml for xml in charts(path).values() if "Over-servicing" in xml]


def test_a_month_whose_export_is_archived_counts_what_the_ledger_billed_of_it(ws):
    ws.rates(RATES)
    ws.with_templates()
    october = ws.input("october.csv", HEADER + EARLIER.split("\n", 1)[1])  # October's two entries
    bill(ws.root, OCTOBER, today=TODAY)
    ws.input("november.csv", HEADER + NOVEMBER_ENTRIES)
    with_export = report(ws.root, NOVEMBER, today=TODAY).figures.months
    october.unlink()  # archived: only the ledger knows October now
    months = report(ws.root, NOVEMBER, today=TODAY).figures.months
    assert months.equals(with_export)
    assert months.iloc[0][["month", "logged", "billed", "value", "invoiced", "gap", "cost", "margin"]].tolist() == [
        "2026-10", D("2.60"), D("2.75"), D("125.00"), D("125.00"), D("0.00"), D("55.00"), D("70.00")]


def test_an_archived_month_counts_what_the_ledger_billed_of_it_beside_months_an_export_still_holds(ws):
    """As above, with August still in an export: the months before the period are checked (in a
    process of their own), and what they hold decides which billed entries are archived."""
    ws.rates(RATES)
    ws.with_templates()
    august, october = EARLIER.split("\n", 1)
    ws.input("august.csv", HEADER + august + "\n")
    archived = ws.input("october.csv", HEADER + october)
    bill(ws.root, OCTOBER, today=TODAY)
    ws.input("november.csv", HEADER + NOVEMBER_ENTRIES)
    with_export = report(ws.root, NOVEMBER, today=TODAY).figures.months
    archived.unlink()
    months = report(ws.root, NOVEMBER, today=TODAY).figures.months
    assert months.equals(with_export)
    assert [row[["month", "logged", "billed", "value", "invoiced", "gap"]].tolist() for _, row in months.iterrows()
            if row["month"] in ("2026-08", "2026-10")] == [
        ["2026-08", D("2.00"), D("2.00"), D("200.00"), D("0.00"), D("200.00")],
        ["2026-10", D("2.60"), D("2.75"), D("125.00"), D("125.00"), D("0.00")]]


def test_a_billed_entry_edited_after_billing_counts_once_with_its_export_and_once_archived(ws):
    """October billed, then its Layout entry's words edited in the export and the change accepted: the
    ledger holds the billed entry (gone: edited) and its edited version in its place. With the export,
    the month counts the edited version and not the billed entry besides; archived, the billed entry
    once, not its edited version too."""
    ws.rates(RATES)
    ws.with_templates()
    october = ws.input("october.csv", HEADER + EARLIER.split("\n", 1)[1])
    bill(ws.root, OCTOBER, today=TODAY)
    ws.input("november.csv", HEADER + NOVEMBER_ENTRIES)
    billed_as = report(ws.root, NOVEMBER, today=TODAY).figures.months
    october.write_text(october.read_text().replace("Layout", "Layout reworked"))
    assert ws.cli("accept", "--period", "2026-10").exit_code == 0
    conn = ledger.connect(ws.root / "output" / "ledger.sqlite")
    assert conn.execute("SELECT count(*) FROM billed_entries WHERE replaces IS NOT NULL").fetchone() == (1,)
    conn.close()
    with_export = report(ws.root, NOVEMBER, today=TODAY).figures.months
    october.unlink()
    archived = report(ws.root, NOVEMBER, today=TODAY).figures.months
    columns = ["month", "logged", "billed", "value", "invoiced", "gap"]
    assert with_export[columns].equals(billed_as[columns]) and archived[columns].equals(billed_as[columns])


def test_an_edited_version_whose_hours_do_not_read_is_not_accepted_and_says_where(ws):
    """A comma typed into the words shifts the row's columns: its hours no longer read. `accept` says
    which row, and records nothing (it ended in a traceback)."""
    ws.rates(RATES)
    ws.with_templates()
    october = ws.input("october.csv", HEADER + EARLIER.split("\n", 1)[1])
    bill(ws.root, OCTOBER, today=TODAY)
    october.write_text(october.read_text().replace("Layout", "Layout, reworked"))
    before = ledger_rows(ws)
    result = ws.cli("accept", "--period", "2026-10")
    assert result.exit_code == 1, result.output
    assert "input/october.csv:2: the edited version of a billed entry has no hours that can be read" in result.output
    assert ledger_rows(ws) == before


def ledger_rows(ws) -> list:
    conn = ledger.connect(ws.root / "output" / "ledger.sqlite")
    try:
        return conn.execute("SELECT entry_id, gone, replaces FROM billed_entries ORDER BY rowid").fetchall()
    finally:
        conn.close()
