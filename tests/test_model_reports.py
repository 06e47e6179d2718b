"""The billing models in the reports (issue 20): the Clients, Jobs and Over-servicing sheets and
`status` show each retainer period, fixed price and cap, hand-computed as a finance lead would;
fees and milestones are revenue of the period they are billed in, never their entries' hours ×
rate; a retainer's or fixed price's entries on no invoice are covered, not unbilled."""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest

from auftakt_batch import ledger
from auftakt_batch.billing import bill
from auftakt_batch.reports import report

from .conftest import RATES, TODAY, bill_once, dedent, edited
from .test_billing_models import HEADER, KAFFEE, NOVEMBER, OCTOBER
from .test_charges import schema_6_ledger
from .test_reports import book, headers, near, records, row_of, values

OCTOBER_ENTRIES = dedent("""\
    2026-10-05,Anna Schmidt,kaffee,care,,Updates,9,
    2026-10-08,Ben Okafor,kaffee,launch,,Wireframes,10,
    """)
NOVEMBER_ENTRIES = dedent("""\
    2026-11-03,Anna Schmidt,kaffee,care,,Updates,8,
    2026-11-10,Anna Schmidt,kaffee,care,,Security fixes,9,
    2026-11-12,Ben Okafor,kaffee,launch,,Checkout,8,
    2026-11-13,Ben Okafor,kaffee,launch,,Payment,8,
    2026-11-04,Ben Okafor,kaffee,seo,,Audit,12,
    2026-11-18,Ben Okafor,kaffee,seo,,Backlinks,13,
    """)


@pytest.fixture
def billed(ws):
    """October and November billed as tests/test_billing_models.py works them out."""
    ws.rates(RATES + KAFFEE)
    ws.with_templates()
    bill_once(ws, ("model reports", (ws.root / "rates.yaml").read_text()), lambda: _billed(ws))
    return ws


def _billed(ws) -> None:
    ws.input("october.csv", HEADER + OCTOBER_ENTRIES)
    bill(ws.root, OCTOBER, today=TODAY)
    ws.input("november.csv", HEADER + NOVEMBER_ENTRIES)
    bill(ws.root, NOVEMBER, today=TODAY)


def workbook(ws):
    path = report(ws.root, NOVEMBER, today=TODAY).path
    return book(path)


def job_row(wb, job: str) -> dict:
    (found,) = [r for r in records(wb["Jobs"]) if r["job"].value == job]
    return found


def section(sheet, heading: str) -> list[dict]:
    """The table under a heading of the Over-servicing sheet."""
    (at,) = [c.row for c in sheet["A"] if c.value == heading]
    return records(sheet, at + 1)


def test_before_billing_each_model_counts_what_the_next_bill_bills_as_unbilled(ws):
    """Before November's run the Clients sheet (and the Overview) already show what `bill` will
    invoice of each model: care's November fee 1,500.00 + 2 h overage × 110.00 (12 h + 3 rolled over
    of October's 12, used 17 h), launch's Beta milestone 3,600.00 (due 2026-11-20), seo's 25 h ×
    95.00 = 2,375.00 less the cap's write-down of 375.00 — 7,320.00 in all, the invoice's net."""
    ws.rates(RATES + KAFFEE)
    ws.with_templates()
    ws.input("october.csv", HEADER + OCTOBER_ENTRIES)
    bill(ws.root, OCTOBER, today=TODAY)
    ws.input("november.csv", HEADER + NOVEMBER_ENTRIES)
    wb = workbook(ws)
    assert values(job_row(wb, "care"), "billable value", "unbilled value") == (1720, 1720)
    assert values(job_row(wb, "launch"), "billable value", "unbilled value") == (3600, 3600)
    assert values(job_row(wb, "seo"), "billable value", "unbilled value", "written down") == (2000, 2000, 375)
    kaffee = row_of(wb["Clients"], "kaffee")
    assert values(kaffee, "billable value", "invoiced this period", "unbilled value") == (7320, 0, 7320)
    (overview,) = [r for r in records(wb["Overview"], 5) if r["client"].value == "kaffee"]
    assert values(overview, "billable value", "unbilled value", "margin %") == (7320, 7320, 1)
    (month,) = [r for r in records(wb["Months"]) if r["month"].value == "2026-11"]
    assert values(month, "billable value", "not invoiced") == (7320, 7320)  # the Months sheet agrees
    issued = bill(ws.root, NOVEMBER, today=TODAY).issued
    assert [(i.client_key, i.net) for i in issued] == [("kaffee", D("7320.00"))]


def test_the_months_sheet_counts_what_an_earlier_months_run_would_still_bill(ws):
    """October never billed: its run would bill care's October fee 1,500.00 and launch's Alpha
    milestone 3,600.00 (done 2026-10-15) — 5,100.00, October's invoice in the billed fixture. November's
    workbook shows them in October's row of the Months sheet, not invoiced, as October's own Clients
    sheet does; November's row is November's Clients sheet."""
    ws.rates(RATES + KAFFEE)
    ws.input("october.csv", HEADER + OCTOBER_ENTRIES)
    ws.input("november.csv", HEADER + NOVEMBER_ENTRIES)
    october = {r["month"].value: r for r in records(workbook(ws)["Months"])}["2026-10"]
    assert values(october, "billable value", "invoiced", "not invoiced") == (5100, 0, 5100)
    own = row_of(book(report(ws.root, OCTOBER, today=TODAY).path)["Clients"], "kaffee")
    assert values(own, "billable value", "unbilled value") == (5100, 5100)
    wb = workbook(ws)
    november = {r["month"].value: r for r in records(wb["Months"])}["2026-11"]
    assert values(november, "billable value") == values(row_of(wb["Clients"], "kaffee"), "billable value")


def test_fees_and_milestones_are_the_revenue_of_their_invoices_period_not_hours_times_rate(billed):
    wb = workbook(billed)
    # care: the November fee 1,500.00 + 2 h overage × 110.00 = 1,720.00 — not its 17 h × 100.00 = 1,700.00
    # on top of the fee; launch: the Beta milestone, 30 % of 12,000.00 = 3,600.00 (its 16 h have no
    # hourly value); seo: 25 h × 95.00 = 2,375.00 less the cap's write-down 375.00 = 2,000.00
    assert values(job_row(wb, "care"), "model", "hours logged", "billable value", "invoiced this period",
                  "unbilled value", "covered hours", "written down") == ("retainer", 17, 1720, 1720, 0, 0, 0)
    assert values(job_row(wb, "launch"), "model", "hours logged", "billable value", "invoiced this period",
                  "covered hours") == ("fixed", 16, 3600, 3600, 0)
    assert values(job_row(wb, "seo"), "model", "billable value", "invoiced this period", "written down") == (
        "cap", 2000, 2000, 375)
    assert near(job_row(wb, "care")["effective rate"].value, D("1720") / 17)  # 101.18 per hour logged
    # the client: 1,720.00 + 3,600.00 + 2,000.00 = 7,320.00, November's invoice net; no cost rates: margin 100 %
    kaffee = row_of(wb["Clients"], "kaffee")
    assert values(kaffee, "billable value", "invoiced this period", "unbilled value", "written down", "margin") == (
        7320, 7320, 0, 375, 7320)
    # to date: October's 1,500.00 + 3,600.00 = 5,100.00, and November's 7,320.00
    assert kaffee["invoiced to date"].value == 12420
    entries = {r["description"].value: values(r, "value", "invoice", "billed as") for r in records(wb["Entries"])}
    assert entries["Updates"] == (0, "2026-0002", "retainer")
    assert entries["Checkout"] == (0, "2026-0002", "fixed price")
    assert entries["Audit"] == (1140, "2026-0002", None)  # 12 h × 95.00


def test_over_servicing_shows_each_retainer_period_fixed_price_and_cap(billed):
    sheet = workbook(billed)["Over-servicing"]
    (care,) = section(sheet, "Retainers")
    # 12 h included + 3 h rolled over (October used 9 of 12) = 15; 8 + 9 = 17 h used: 2 h over, billed at 110.00
    assert values(care, "job", "period", "fee", "fee invoiced on", "included h", "of which rolled over", "used h",
                  "unused h", "overage h", "overage billed h", "overage billed", "overage to bill h",
                  "written down h", "written down value") == (
        "care", "2026-11", 1500, "2026-0002", 15, 3, 17, 0, 2, 2, 220, 0, 0, 0)
    (launch,) = section(sheet, "Fixed prices")
    # billed: 3,600.00 (October) + 3,600.00 (November) = 7,200.00 of 12,000.00, 4,800.00 remaining;
    # hours: 10 (October) + 8 + 8 = 26; notional 26 × 90.00 = 2,340.00 (19.5 % of the price);
    # effective rate 7,200.00 ÷ 26 = 276.92 a hour
    assert values(launch, "job", "price", "milestones billed", "billed so far", "remaining", "hours spent",
                  "notional rate", "notional value") == ("launch", 12000, "2 of 3", 7200, 4800, 26, 90, 2340)
    assert near(launch["burn %"].value, D("0.195"), 4) and near(launch["effective rate"].value, D("276.92"))
    (seo,) = section(sheet, "Caps")
    # 375.00 written down at the lines' 95.00 an hour: 3.95 h
    assert values(seo, "job", "cap", "billed by the hour", "written down") == ("seo", "2,000.00 EUR a month", 2375,
                                                                                 375)
    assert near(seo["written down h"].value, D("375") / 95)


def test_the_effective_rate_of_a_fixed_price_falls_as_hours_grow(billed):
    def effective() -> D:
        (launch,) = section(workbook(billed)["Over-servicing"], "Fixed prices")
        return D(str(launch["effective rate"].value))

    before = effective()  # 7,200.00 ÷ 26 h
    billed.input("more.csv", HEADER + "2026-11-20,Ben Okafor,kaffee,launch,,Launch prep,14,\n")
    assert near(before, D("276.92")) and near(effective(), D("180.00"))  # 7,200.00 ÷ 40 h


def test_an_amount_budget_beside_a_fixed_price_burns_its_hours_at_the_jobs_rate(ws):
    ws.rates(RATES + edited(KAFFEE, 'rate: "90.00"\n', 'rate: "90.00"\n        budget: {amount: "5000.00", per: total}\n'))
    ws.with_templates()
    ws.input("october.csv", HEADER + OCTOBER_ENTRIES)
    bill(ws.root, OCTOBER, today=TODAY)
    ws.input("november.csv", HEADER + NOVEMBER_ENTRIES)
    bill(ws.root, NOVEMBER, today=TODAY)
    (launch,) = [r for r in records(workbook(ws)["Over-servicing"]) if r["job"].value == "launch"]
    # 10 + 8 + 8 = 26 h × 90.00 = 2,340.00 of 5,000.00: 46.8 % — not the milestones' 7,200.00, nor nothing
    assert launch["used"].value == 2340 and near(launch["burn %"].value, D("0.468"), 4)


def test_a_late_retainer_entry_is_overage_to_bill_and_a_fixed_jobs_is_covered(billed):
    billed.input("late.csv", HEADER + dedent("""\
        2026-11-27,Anna Schmidt,kaffee,care,,Hotfix,2,
        2026-11-27,Ben Okafor,kaffee,launch,,Fix,2,
        2026-10-20,Anna Schmidt,kaffee,care,,Small fix,1,
        """))
    wb = workbook(billed)
    # care: October's late hour makes October 9 + 1 = 10 h used, so 12 − 10 = 2 h roll over, not 3:
    # 12 + 2 = 14 h included; November 17 + 2 = 19 h used: 5 h over, 2 billed: 3 h × 110.00 = 330.00 still
    # to bill — unbilled, as `bill` will invoice it; launch's 2 h wait for no invoice of their own: covered
    assert values(job_row(wb, "care"), "unbilled hours", "unbilled value", "covered hours") == (3, 330, 0)
    assert values(job_row(wb, "launch"), "unbilled hours", "unbilled value", "covered hours") == (0, 0, 2)
    (care,) = section(wb["Over-servicing"], "Retainers")
    assert values(care, "included h", "of which rolled over", "used h", "overage h", "overage billed h",
                  "overage to bill h", "overage to bill") == (14, 2, 19, 5, 2, 3, 330)
    entries = {r["description"].value: values(r, "value", "invoice", "billed as") for r in records(wb["Entries"])}
    assert entries["Fix"] == (0, None, "covered by the fixed price")
    # October's late hour fits in October's 12 h (9 + 1): covered by its fee, never unbilled
    gap = row_of(wb["Billing gap"], "kaffee")
    assert values(gap, "unbilled h, earlier periods", "unbilled value, earlier periods") == (0, 0)

    doc = json.loads(billed.cli("status", "--period", "2026-11", "--json").output)
    (kaffee,) = [c for c in doc["clients"] if c["client"] == "kaffee"]
    assert (kaffee["unbilled_hours"], kaffee["unbilled_value"]) == ("3.00", "330.00")
    care_status, launch_status, seo_status = kaffee["models"]
    assert {k: care_status[k] for k in ("job", "model", "period", "included", "rolled_over", "used", "overage_billed",
                                        "overage_to_bill", "overage_to_bill_value")} == {
        "job": "care", "model": "retainer", "period": "2026-11", "included": "14.00", "rolled_over": "2.00",
        "used": "19.00", "overage_billed": "2.00", "overage_to_bill": "3.00", "overage_to_bill_value": "330.00"}
    # 28 h on launch now (26 + 2): 7,200.00 ÷ 28 = 257.14
    assert {k: launch_status[k] for k in ("model", "billed", "remaining", "hours", "effective_rate")} == {
        "model": "fixed", "billed": "7200.00", "remaining": "4800.00", "hours": "28.00", "effective_rate": "257.14"}
    assert (seo_status["model"], seo_status["written_down_value"], seo_status["written_down"]) == (
        "cap", "375.00", "3.95")
    # what the report calls overage to bill is what `bill` bills: the 3 h, nothing else
    (late,) = [i for i in bill(billed.root, NOVEMBER, today=TODAY).issued if i.client_key == "kaffee"]
    assert late.net == D("330.00")


def test_status_prints_where_each_model_stands(billed):
    result = billed.cli("status", "--period", "2026-11")
    assert result.exit_code == 0, result.output
    assert "Billing models" in result.output
    assert model_cells(result.output) == [
        ["kaffee", "care", "retainer", "2026-11: 17.00 of 15.00 h used (3.00 rolled over), 2.00 h overage billed "
                                       "(220.00 EUR)"],
        ["kaffee", "launch", "fixed", "7,200.00 of 12,000.00 EUR billed (2 of 3 milestones), 4,800.00 remaining, "
                                      "26.00 h spent, effective rate 276.92 EUR/h"],
        ["kaffee", "seo", "cap", "cap 2,000.00 EUR a month: 375.00 EUR written down (3.95 h)"]]


def model_cells(output: str) -> list[list[str]]:
    """The rows of the status's models table, a cell folded over lines joined again."""
    rows: list[list[str]] = []
    table = output[output.index("Billing models"):]
    for line in table.splitlines():
        if not line.lstrip().startswith("│"):
            continue
        cells = [c.strip() for c in line.strip().strip("│").split("│")]
        if cells[0]:
            rows.append(cells)
        else:  # the folded rest of the row above
            rows[-1] = [f"{a} {b}".strip() for a, b in zip(rows[-1], cells)]
    return rows


def test_absorbed_overage_is_written_down_at_the_jobs_rate_and_shown(ws):
    ws.rates(RATES + edited(KAFFEE, 'overage: bill\n          overage_rate: "110.00"\n          rollover: {max_hours: 6}\n',
                            "overage: absorb\n"))
    ws.with_templates()
    ws.input("november.csv", HEADER + "2026-11-03,Anna Schmidt,kaffee,care,,Updates,20,\n")
    bill(ws.root, NOVEMBER, today=TODAY)
    wb = workbook(ws)
    # 20 h against 12 included: 8 h absorbed; care has no rate of its own, the client's is 100.00: 800.00
    (care,) = section(wb["Over-servicing"], "Retainers")
    assert values(care, "included h", "used h", "overage h", "overage billed h", "overage to bill h",
                  "written down h", "written down value") == (12, 20, 8, 0, 0, 8, 800)
    # the fee alone is the revenue: 1,500.00, not 20 h × 100.00
    assert values(job_row(wb, "care"), "billable value", "unbilled value", "written down") == (1500, 0, 800)
    doc = json.loads(ws.cli("status", "--period", "2026-11", "--json").output)
    (kaffee,) = [c for c in doc["clients"] if c["client"] == "kaffee"]
    care_status = kaffee["models"][0]
    assert (care_status["job"], care_status["written_down"], care_status["written_down_value"]) == (
        "care", "8.00", "800.00")
    assert "8.00 h written down (800.00 EUR)" in ws.cli("status", "--period", "2026-11").output


def test_a_retainer_not_billed_yet_covers_its_entries_and_says_so(ws):
    ws.rates(RATES + KAFFEE)
    ws.input("november.csv", HEADER + "2026-11-03,Anna Schmidt,kaffee,care,,Updates,5,\n")
    wb = workbook(ws)
    # nothing billed: the fee is due (the next bill bills it), so it is the period's value and unbilled;
    # the 5 h are covered by it, not 5 × 100.00 unbilled
    assert values(job_row(wb, "care"), "billable value", "unbilled hours", "unbilled value", "covered hours") == (
        1500, 0, 1500, 5)
    (care,) = section(wb["Over-servicing"], "Retainers")
    # 12 h + October's 12 unused, rolled over up to 6 (every period of the term counts, billed or not): 18 h
    assert values(care, "fee invoiced on", "included h", "used h", "unused h") == (None, 18, 5, 13)
    assert "fee not billed yet" in ws.cli("status", "--period", "2026-11").output


def test_a_workbook_without_models_has_no_model_columns(ws):
    ws.input("november.csv", HEADER + "2026-11-03,Anna Schmidt,acme,website,,Design,3,\n")
    wb = workbook(ws)
    assert "covered hours" not in headers(wb["Clients"]) and "model" not in headers(wb["Jobs"])
    assert "billed as" not in headers(wb["Entries"])
    assert "models" not in json.loads(ws.cli("status", "--period", "2026-11", "--json").output)["clients"][0]


def test_a_schema_6_ledger_reads_as_hours_lines(tmp_path):
    path = tmp_path / "ledger.sqlite"
    schema_6_ledger(path)
    found = ledger.read_book(path)  # read-only: not migrated, read as it is
    assert set(found.lines["charge"]) == {"hours"} and set(found.lines["unit"]) == {"HUR"}
    assert set(found.billed["charge"]) == {"hours"} and not found.models.charged
