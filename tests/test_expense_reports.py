"""Expenses in the reports and the review (issue 20): margin with expenses hand-computed, the
profitability workbook's Expenses sheet, and the review's approve / amount to bill applied by bill."""

from __future__ import annotations

import json
from decimal import Decimal as D

from openpyxl import load_workbook

from auftakt_batch.billing import bill
from auftakt_batch.reports import report, review

from .conftest import RATES, TODAY, edited
from .test_billing_models import NATIVE, NOVEMBER, lines
from .test_reports import book, headers, records, row_of, values
from .test_review import edit, rows_of

MARKUP = edited(RATES, 'rate: "120.00"\n', 'rate: "120.00"\n    expenses: {markup: "10%"}\n', 1)
HOURS = "date,person,client,job,task,description,hours,billable\n2026-11-03,Anna Schmidt,acme,website,,Design,2,\n"
PHOTO = "2026-11-04,Anna Schmidt,ACME,website,Stock photos,Hero image,50.00,EUR,yes,\n"
LUNCH = "2026-11-06,Ben Okafor,ACME,,Meals,Team lunch,30.00,EUR,no,\n"
TRAIN = "2026-11-05,Ben Okafor,ACME,website,Travel,Train,80.00,EUR,yes,\n"


def acme_ws(ws, *expenses: str):
    ws.rates(MARKUP)
    ws.with_templates()
    ws.input("week.csv", HOURS)
    ws.input("expenses.csv", NATIVE + "".join(expenses))
    return ws


def test_expenses_are_cost_and_revenue_with_markup_in_the_margin(ws):
    acme_ws(ws, PHOTO, LUNCH)
    (invoice,) = bill(ws.root, NOVEMBER, today=TODAY).issued
    assert invoice.net == D("295.00")  # 2 h × 120.00 = 240.00, the photo 50.00 × 1.10 = 55.00
    ws.input("later.csv", NATIVE + TRAIN)  # after the invoice: not billed yet
    wb = book(report(ws.root, NOVEMBER, today=TODAY).path)
    acme = row_of(wb["Clients"], "acme")
    # cost: every expense, billable or not: 50.00 + 30.00 + 80.00 = 160.00 (no cost rates: the hours cost 0)
    # expense revenue: the photo as billed, 55.00, and the train at cost plus markup, 80.00 × 1.10 = 88.00: 143.00
    # billable value: 240.00 + 143.00 = 383.00; invoiced: 240.00 + 55.00 = 295.00; unbilled: 88.00
    # margin: 383.00 − 160.00 = 223.00 (the lunch a cost only); effective rate: the time's 240.00 ÷ 2 h = 120.00
    assert values(acme, "expense cost", "expense revenue", "billable value", "invoiced this period",
                  "unbilled value", "cost", "margin", "effective rate") == (160, 143, 383, 295, 88, 160, 223, 120)
    jobs = {r["job"].value: r for r in records(wb["Jobs"]) if r["client"].value == "acme"}
    # website: 50.00 + 80.00 = 130.00 of cost, 55.00 + 88.00 = 143.00 of revenue; the lunch: no job
    assert values(jobs["website"], "expense cost", "expense revenue", "billable value") == (130, 143, 383)
    assert values(jobs[None], "job name", "expense cost", "expense revenue", "margin") == ("(no job)", 30, 0, -30)
    status = json.loads(ws.cli("status", "--period", "2026-11", "--json").output)
    (acme_status,) = [c for c in status["clients"] if c["client"] == "acme"]
    assert acme_status["expenses"] == {"billed": 1, "billed_value": "55.00", "unbilled": 1, "unbilled_value": "88.00"}
    assert "1 · 55.00 EUR" in ws.cli("status", "--period", "2026-11").output


def test_the_expenses_sheet_lists_each_expense_with_its_invoice_and_billed_amount(ws):
    acme_ws(ws, PHOTO, LUNCH)
    (invoice,) = bill(ws.root, NOVEMBER, today=TODAY).issued
    ws.input("later.csv", NATIVE + TRAIN)
    sheet = book(report(ws.root, NOVEMBER, today=TODAY).path)["Expenses"]
    assert headers(sheet)[:14] == ["date", "person", "client", "job", "category", "description", "amount", "currency",
                                   "billable", "receipt", "invoice", "billed", "to bill", "review"]
    rows = [values(r, "person", "client", "job", "description", "amount", "currency", "billable", "invoice",
                   "billed", "to bill") for r in records(sheet)]
    assert rows == [
        ("Anna Schmidt", "acme", "website", "Hero image", 50, "EUR", "yes", invoice.number, 55, 0),
        ("Ben Okafor", "acme", "website", "Train", 80, "EUR", "yes", None, 0, 88),
        ("Ben Okafor", "acme", None, "Team lunch", 30, "EUR", "no", None, 0, 0)]
    assert [r["date"].value.date().isoformat() for r in records(sheet)] == ["2026-11-04", "2026-11-05", "2026-11-06"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref


def test_a_workbook_without_expenses_has_no_expense_sheet_or_columns(ws):
    ws.input("week.csv", HOURS)
    wb = book(report(ws.root, NOVEMBER, today=TODAY).path)
    assert "Expenses" not in wb.sheetnames and "expense cost" not in headers(wb["Clients"])
    assert "expenses" not in json.loads(ws.cli("status", "--period", "2026-11", "--json").output)["clients"][0]


def test_the_review_holds_an_expense_back_and_writes_one_down_and_bill_follows(ws):
    acme_ws(ws, PHOTO, TRAIN, LUNCH)
    path = review(ws.root, NOVEMBER, today=TODAY).path
    listed = rows_of(path, "Expenses")
    # the lunch is not billable: not for review; the photo and the train at cost plus markup
    assert [(r["description"], r["cost"], r["cost plus markup"], r["approve"]) for r in listed] == [
        ("Hero image", 50, 55, "yes"), ("Train", 80, 88, "yes")]
    edit(path, "Expenses", {"Hero image": {"amount to bill": 40}, "Train": {"approve": "no"}})
    run = bill(ws.root, NOVEMBER, today=TODAY)
    (invoice,) = run.issued
    # 2 h × 120.00 = 240.00 and the photo written down to 40.00 (from 55.00: 15.00); the train held back
    assert lines(ws, invoice.number) == [("website", "HUR", "2", "120.00", "240.00"),
                                         ("website", "C62", "1", "40.00", "40.00")]
    assert invoice.net == D("280.00")
    assert run.review == ("1 expense held back (left unbilled) and 1 expense written down by 15.00 EUR, as the "
                          "review workbook says")
    expenses = {r["description"].value: r for r in records(book(run.report.path)["Expenses"])}
    assert values(expenses["Train"], "invoice", "to bill", "review") == (None, 88, "held back")
    assert values(expenses["Hero image"], "billed") == (40,)
    again = review(ws.root, NOVEMBER, today=TODAY).path  # the decision on what is left is kept
    assert [(r["description"], r["approve"]) for r in rows_of(again, "Expenses")] == [("Train", "no")]


def test_an_amount_to_bill_above_cost_plus_markup_is_an_error_at_its_cell(ws):
    acme_ws(ws, PHOTO)
    path = review(ws.root, NOVEMBER, today=TODAY).path
    edit(path, "Expenses", {"Hero image": {"amount to bill": "60,00"}})
    run = bill(ws.root, NOVEMBER, today=TODAY)
    assert run.issued == () and run.skipped[0].client_key == "acme"
    assert [str(p) for p in run.check.problems if p.code == "review"] == [
        "output/2026-11/review-2026-11.xlsx[Expenses]:2:amount to bill: error: 60.00 is more than the 55.00 to bill "
        "(cost plus markup) — a review writes expenses down, never up"]


def test_an_expense_the_review_sheet_lacks_holds_back_its_client(ws):
    acme_ws(ws, PHOTO)
    review(ws.root, NOVEMBER, today=TODAY)
    ws.input("later.csv", NATIVE + TRAIN)  # added since the review was written: not reviewed
    run = bill(ws.root, NOVEMBER, today=TODAY)
    assert run.issued == ()
    (problem,) = [str(p) for p in run.check.problems if p.code == "review"]
    assert "it lacks 1 expense of acme: 2026-11-05 Ben Okafor 80.00 EUR 'Travel — Train'" in problem


def test_a_review_without_an_expense_sheet_bills_the_expenses_as_they_are(ws):
    acme_ws(ws, PHOTO)
    path = review(ws.root, NOVEMBER, today=TODAY).path
    older = load_workbook(path)  # as an older version wrote it: no Expenses sheet
    del older["Expenses"]
    older.save(path)
    run = bill(ws.root, NOVEMBER, today=TODAY)
    assert [p for p in run.check.problems if p.code == "review"] == []
    (invoice,) = run.issued
    assert invoice.net == D("295.00") and run.review is None  # 240.00 + 55.00
