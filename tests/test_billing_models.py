"""Billing models (issue 20): retainers, fixed prices by milestone, caps — each a hand-computed
example, written as the arithmetic a person would do, checked against the ledger, and billed
exactly once through late entries, re-runs and voids."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from auftakt_batch import ledger
from auftakt_batch.billing import bill, void
from auftakt_batch.periods import parse_period

from .conftest import RATES, TODAY, dedent, edited

HEADER = "date,person,client,job,task,description,hours,billable\n"
OCTOBER, NOVEMBER, DECEMBER = (parse_period(p) for p in ("2026-10", "2026-11", "2026-12"))
KAFFEE = """\
  kaffee:
    name: Kaffee & Kuchen KG
    rate: "100.00"
    jobs:
      care:
        name: Website care
        retainer:
          fee: "1500.00"
          hours: 12
          per: month
          overage: bill
          overage_rate: "110.00"
          rollover: {max_hours: 6}
          from: 2026-10-01
      launch:
        name: Shop launch
        rate: "90.00"
        fixed:
          price: "12000.00"
          milestones:
            - {name: Design sign-off, share: "30%", done: 2026-10-15}
            - {name: Beta, share: "30%", done: 2026-11-20}
            - {name: Launch, share: "40%"}
      seo:
        name: SEO
        rate: "95.00"
        cap: {amount: "2000.00", per: month}
"""


@pytest.fixture
def kaffee(ws):
    ws.rates(RATES + KAFFEE)
    ws.with_templates()
    return ws


def lines(ws, number: str) -> list[tuple[str, str, str, str, str]]:
    """(job, unit, quantity, unit price, amount) of each line of invoice `number`, as the ledger holds it."""
    draft = ledger_draft(ws, number)
    return [(line.job_key, line.unit, str(line.quantity), str(line.unit_price), str(line.amount))
            for line in draft.lines]


def ledger_draft(ws, number: str):
    conn = ledger.connect(ws.root / "output" / "ledger.sqlite")
    try:
        return ledger.stored_draft(conn, number).draft
    finally:
        conn.close()


def charges(ws) -> list[tuple[str, str, str]]:
    conn = ledger.connect(ws.root / "output" / "ledger.sqlite")
    try:
        return [tuple(r) for r in conn.execute(
            "SELECT c.kind, c.key, i.number FROM charges c JOIN invoices i ON i.id = c.invoice_id "
            "WHERE c.live = 1 AND c.kind <> 'hours' ORDER BY i.seq, c.rowid")]
    finally:
        conn.close()


def of(issued, client: str):
    (found,) = [i for i in issued if i.client_key == client]
    return found


def test_october_bills_the_retainer_fee_and_the_milestone_done_in_it(kaffee):
    kaffee.input("october.csv", HEADER + dedent("""\
        2026-10-05,Anna Schmidt,kaffee,care,,Updates,4,
        2026-10-19,Anna Schmidt,kaffee,care,,Plugin updates,5,
        2026-10-08,Ben Okafor,kaffee,launch,,Wireframes,10,
        """))
    run = bill(kaffee.root, OCTOBER, today=TODAY)
    invoice = of(run.issued, "kaffee")
    # the fee (9 h of the 12 included: no overage) and 30 % of 12,000.00; the 10 h on the fixed job ride on
    # the milestone's line, never billed by the hour
    assert lines(kaffee, invoice.number) == [
        ("care", "MON", "1", "1500.00", "1500.00"),
        ("launch", "C62", "1", "3600.00", "3600.00"),
    ]
    assert (invoice.net, invoice.gross) == (Decimal("5100.00"), Decimal("6069.00"))  # 5,100.00 + 19 % = 969.00
    assert charges(kaffee) == [("retainer", "retainer:kaffee/care:2026-10", invoice.number),
                               ("milestone", "milestone:kaffee/launch:Design sign-off", invoice.number)]
    draft = ledger_draft(kaffee, invoice.number)
    assert sorted(b.description for line in draft.lines for b in line.entries) == [
        "Plugin updates", "Updates", "Wireframes"]
    assert bill(kaffee.root, OCTOBER, today=TODAY).issued == ()  # a re-run bills nothing


def test_november_rolls_over_bills_overage_the_milestone_and_writes_down_past_the_cap(kaffee):
    kaffee.input("october.csv", HEADER + "2026-10-05,Anna Schmidt,kaffee,care,,Updates,9,\n")
    bill(kaffee.root, OCTOBER, today=TODAY)
    kaffee.input("november.csv", HEADER + dedent("""\
        2026-11-03,Anna Schmidt,kaffee,care,,Updates,8,
        2026-11-10,Anna Schmidt,kaffee,care,,Security fixes,9,
        2026-11-12,Ben Okafor,kaffee,launch,,Checkout,8,
        2026-11-13,Ben Okafor,kaffee,launch,,Payment,8,
        2026-11-04,Ben Okafor,kaffee,seo,,Audit,12,
        2026-11-18,Ben Okafor,kaffee,seo,,Backlinks,13,
        """))
    november = of(bill(kaffee.root, NOVEMBER, today=TODAY).issued, "kaffee")
    # care: 12 h included + 3 h rolled over from October (12 − 9, under the 6 h cap) = 15 h; 17 h logged:
    # 2 h × 110.00 = 220.00. seo: 25 h × 95.00 = 2,375.00, capped at 2,000.00: 375.00 written down.
    # launch: the Beta milestone (done 2026-11-20), 30 % of 12,000.00 = 3,600.00.
    assert lines(kaffee, november.number) == [
        ("seo", "HUR", "25", "95.00", "2375.00"),
        ("seo", "C62", "-1", "375.00", "-375.00"),
        ("care", "MON", "1", "1500.00", "1500.00"),
        ("care", "HUR", "2", "110.00", "220.00"),
        ("launch", "C62", "1", "3600.00", "3600.00"),
    ]
    # 2,375.00 − 375.00 + 1,500.00 + 220.00 + 3,600.00 = 7,320.00; VAT 19 % = 1,390.80
    assert (november.net, november.gross) == (Decimal("7320.00"), Decimal("8710.80"))
    assert november.hours == Decimal("27")  # the hours lines: 25 + 2

    # a late entry of November: 19 h against 15 included is 4 h over, 2 billed: 2 h more, nothing else
    kaffee.input("late.csv", HEADER + "2026-11-28,Anna Schmidt,kaffee,care,,Hotfix,2,\n")
    late = of(bill(kaffee.root, NOVEMBER, today=TODAY).issued, "kaffee")
    assert lines(kaffee, late.number) == [("care", "HUR", "2", "110.00", "220.00")]
    assert late.gross == Decimal("261.80")
    assert bill(kaffee.root, NOVEMBER, today=TODAY).issued == ()

    # voiding the first November invoice frees its charges: billed again, the late overage not twice
    void(kaffee.root, november.number, "wrong cap", today=TODAY)
    again = of(bill(kaffee.root, NOVEMBER, today=TODAY).issued, "kaffee")
    assert [line[:3] for line in lines(kaffee, again.number)] == [
        ("seo", "HUR", "25"), ("seo", "C62", "-1"), ("care", "MON", "1"), ("care", "HUR", "2"), ("launch", "C62", "1")]
    kinds = [c[:2] for c in charges(kaffee)]
    assert len(kinds) == len(set(kinds))
    assert kinds.count(("retainer", "retainer:kaffee/care:2026-11")) == 1


def test_a_retainer_period_without_hours_is_billed_and_absorbed_overage_is_not(ws):
    ws.rates(RATES + edited(KAFFEE, 'overage: bill\n          overage_rate: "110.00"\n          rollover: {max_hours: 6}\n',
                            "overage: absorb\n"))
    ws.with_templates()
    ws.input("november.csv", HEADER + "2026-11-03,Anna Schmidt,kaffee,care,,Updates,20,\n")
    november = of(bill(ws.root, NOVEMBER, today=TODAY).issued, "kaffee")
    assert lines(ws, november.number)[0] == ("care", "MON", "1", "1500.00", "1500.00")
    assert [line for line in lines(ws, november.number) if line[0] == "care"] == [
        ("care", "MON", "1", "1500.00", "1500.00")]  # 8 h over the 12 included, absorbed: no line
    december = of(bill(ws.root, DECEMBER, today=TODAY).issued, "kaffee")  # no entries: availability is billed
    assert lines(ws, december.number) == [("care", "MON", "1", "1500.00", "1500.00")]


def test_a_quarterly_retainer_is_billed_once_per_quarter_in_a_month_run(ws):
    ws.rates(RATES + edited(KAFFEE, "per: month\n", "per: quarter\n").replace(
        "rollover: {max_hours: 6}\n          ", ""))
    ws.with_templates()
    ws.input("autumn.csv", HEADER + dedent("""\
        2026-10-05,Anna Schmidt,kaffee,care,,Updates,10,
        2026-11-05,Anna Schmidt,kaffee,care,,Updates,3,
        """))
    october = of(bill(ws.root, OCTOBER, today=TODAY).issued, "kaffee")
    assert lines(ws, october.number)[0] == ("care", "QAN", "1", "1500.00", "1500.00")
    assert ledger_draft(ws, october.number).service == (date(2026, 10, 1), date(2026, 12, 31))  # the quarter
    # November's 3 h: 13 h in Q4 against 12 included: 1 h over, on a new invoice; no second fee
    november = of(bill(ws.root, NOVEMBER, today=TODAY).issued, "kaffee")
    assert [line for line in lines(ws, november.number) if line[0] == "care"] == [
        ("care", "HUR", "1", "110.00", "110.00")]


def test_a_cap_in_total_counts_what_earlier_invoices_billed(ws):
    ws.rates(RATES + edited(KAFFEE, "cap: {amount: \"2000.00\", per: month}", "cap: {amount: \"3000.00\", per: total}"))
    ws.with_templates()
    ws.input("hours.csv", HEADER + dedent("""\
        2026-10-05,Ben Okafor,kaffee,seo,,Audit,20,
        2026-11-05,Ben Okafor,kaffee,seo,,Backlinks,20,
        """))
    october = of(bill(ws.root, OCTOBER, today=TODAY).issued, "kaffee")
    assert [line for line in lines(ws, october.number) if line[0] == "seo"] == [
        ("seo", "HUR", "20", "95.00", "1900.00")]  # under the 3,000.00
    november = of(bill(ws.root, NOVEMBER, today=TODAY).issued, "kaffee")
    # 1,900.00 billed; 1,100.00 left of 3,000.00; November's 1,900.00: 800.00 written down
    assert [line for line in lines(ws, november.number) if line[0] == "seo"] == [
        ("seo", "HUR", "20", "95.00", "1900.00"), ("seo", "C62", "-1", "800.00", "-800.00")]


# ---- expenses

NATIVE = "date,person,client,job,category,description,amount,currency,billable,receipt\n"


def test_expenses_are_billed_at_cost_plus_markup_once_with_their_receipts(ws):
    ws.rates(RATES + edited(KAFFEE, 'rate: "100.00"\n', 'rate: "100.00"\n    expenses: {markup: "10%"}\n', 1))
    ws.with_templates()
    ws.input("receipts/photo.pdf", "%PDF-1.4 a stock photo licence\n")
    ws.input("expenses.csv", NATIVE + dedent("""\
        2026-11-04,Anna Schmidt,kaffee,launch,Stock photos,Hero image,49.99,EUR,yes,receipts/photo.pdf
        2026-11-06,Ben Okafor,kaffee,,Travel,Train to the workshop,89.90,,,
        2026-11-07,Ben Okafor,kaffee,,Meals,Team lunch,45.00,EUR,no,
        2026-11-05,Anna Schmidt,ACME,website,Fonts,Webfont licence,120.00,EUR,yes,
        """))
    run = bill(ws.root, NOVEMBER, today=TODAY)
    kaffee, acme = of(run.issued, "kaffee"), of(run.issued, "acme")
    # kaffee: 49.99 × 1.10 = 54.989 → 54.99; 89.90 × 1.10 = 98.89; the lunch is not billable (a cost only);
    # November's retainer fee and the Beta milestone (done 2026-11-20) are on the invoice too
    assert lines(ws, kaffee.number) == [
        ("care", "MON", "1", "1500.00", "1500.00"),
        ("launch", "C62", "1", "3600.00", "3600.00"),
        ("launch", "C62", "1", "54.99", "54.99"),
        ("", "C62", "1", "98.89", "98.89"),
    ]
    assert kaffee.net == Decimal("5253.88")  # 1,500.00 + 3,600.00 + 54.99 + 98.89
    assert lines(ws, acme.number) == [("website", "C62", "1", "120.00", "120.00")]  # ACME: no markup
    draft = ledger_draft(ws, kaffee.number)
    assert draft.lines[2].detail == "Stock photos — Hero image (receipt attached: photo.pdf)"
    assert draft.lines[3].job_name == "Expenses"  # the train of no job
    assert [c.receipt for line in draft.lines for c in line.charges] == [None, None, "receipts/photo.pdf", None]
    assert [k for k, _key, _n in charges(ws)].count("expense") == 3
    assert bill(ws.root, NOVEMBER, today=TODAY).issued == ()  # billed once
    void(ws.root, kaffee.number, "wrong markup", today=TODAY)
    again = of(bill(ws.root, NOVEMBER, today=TODAY).issued, "kaffee")
    assert again.net == Decimal("5253.88")


def test_an_expense_in_another_currency_is_an_error_that_holds_back_its_client(ws):
    ws.with_templates().input("expenses.csv", NATIVE + "2026-11-04,Anna Schmidt,ACME,website,Fonts,Licence,"
                                                      "120.00,USD,yes,\n")
    run = bill(ws.root, NOVEMBER, today=TODAY)
    assert run.issued == () and run.skipped[0].client_key == "acme"
    assert [str(p) for p in run.check.problems if p.code == "other-currency"] == [
        "input/expenses.csv:2:currency: error: a billable expense in USD, but acme is billed in EUR — convert it (at "
        "the rate your bank charged) and write the amount in EUR, or mark it not billable"]


def test_an_expense_edited_after_billing_is_held_back_naming_its_invoice(ws):
    ws.with_templates().input("expenses.csv", NATIVE + "2026-11-04,Anna Schmidt,ACME,website,Fonts,Webfont licence,"
                                                      "120.00,EUR,yes,\n")
    (first,) = bill(ws.root, NOVEMBER, today=TODAY).issued
    ws.input("expenses.csv", NATIVE + "2026-11-04,Anna Schmidt,ACME,website,Fonts,Webfont licence,135.00,EUR,yes,\n")
    held = bill(ws.root, NOVEMBER, today=TODAY)
    assert held.issued == () and [str(p) for p in held.check.problems if p.code == "expense-changed"] == [
        f"input/expenses.csv:2: error: looks like an expense billed on invoice {first.number} edited since: invoiced "
        "2026-11-04 'Fonts — Webfont licence' at 120.00 (as billed, with any markup), now 'Fonts — Webfont licence' "
        "costing 135.00 — restore the export as "
        f"it was, or cancel the invoice with `auftakt-batch void {first.number} --reason ...` and bill again"]
    void(ws.root, first.number, "licence price", today=TODAY)  # as the error says: billed again, once, as it is now
    (again,) = bill(ws.root, NOVEMBER, today=TODAY).issued
    assert again.net == Decimal("135.00")


def test_an_expense_with_its_own_vat_rate_is_taxed_at_it(ws):
    ws.with_templates().input("expenses.csv", dedent("""\
        date,person,client,job,category,description,amount,currency,billable,receipt,vat
        2026-11-04,Anna Schmidt,ACME,website,Books,Style guide,40.00,EUR,yes,,7%
        2026-11-05,Anna Schmidt,ACME,website,Fonts,Webfont licence,100.00,EUR,yes,,
        """))
    (invoice,) = bill(ws.root, NOVEMBER, today=TODAY).issued
    draft = ledger_draft(ws, invoice.number)
    # 100.00 at 19 % = 19.00 and 40.00 at 7 % = 2.80: 140.00 + 21.80 = 161.80
    assert [(s.rate, s.basis, s.vat) for s in draft.breakdown] == [
        (Decimal("19"), Decimal("100.00"), Decimal("19.00")), (Decimal("7"), Decimal("40.00"), Decimal("2.80"))]
    assert invoice.gross == Decimal("161.80")


def test_an_unreadable_expense_vat_rate_is_an_error_at_its_cell(ws):
    ws.input("expenses.csv", "date,person,client,job,category,description,amount,currency,billable,receipt,vat\n"
                             "2026-11-04,Anna Schmidt,ACME,website,Books,Style guide,40.00,EUR,yes,,seven\n")
    assert [str(p) for p in ws.check().problems if p.code == "bad-vat"] == [
        "input/expenses.csv:2:vat: error: unreadable vat 'seven' — use a percent from 0 to 100 such as 19, 7% or 0"]


def test_a_milestone_added_at_the_front_after_billing_bills_no_milestone_twice(kaffee):
    bill(kaffee.root, OCTOBER, today=TODAY)  # Design sign-off
    bill(kaffee.root, NOVEMBER, today=TODAY)  # Beta
    kaffee.edit_rates('            - {name: Design sign-off, share: "30%", done: 2026-10-15}\n',
                      '            - {name: Kickoff, amount: "1000.00", done: 2026-10-05}\n'
                      '            - {name: Design sign-off, amount: "3600.00", done: 2026-10-15}\n')
    kaffee.edit_rates('            - {name: Beta, share: "30%", done: 2026-11-20}\n'
                      '            - {name: Launch, share: "40%"}\n',
                      '            - {name: Beta, amount: "3600.00", done: 2026-11-20}\n'
                      '            - {name: Launch, amount: "3800.00"}\n')
    assert bill(kaffee.root, NOVEMBER, today=TODAY).issued == ()  # Beta is billed: nothing moves with the list
    october = of(bill(kaffee.root, OCTOBER, today=TODAY).issued, "kaffee")  # Kickoff is new: billed in its period
    assert lines(kaffee, october.number) == [("launch", "C62", "1", "1000.00", "1000.00")]


def test_a_billed_milestone_renamed_holds_its_client_back_saying_why(kaffee):
    bill(kaffee.root, OCTOBER, today=TODAY)
    kaffee.edit_rates("{name: Design sign-off,", "{name: Design approval,")
    kaffee.input("november.csv", HEADER + "2026-11-03,Anna Schmidt,kaffee,care,,Updates,2,\n")
    run = bill(kaffee.root, NOVEMBER, today=TODAY)
    assert run.issued == () and run.skipped == ((
        "kaffee", "the milestone 'Design sign-off' of kaffee/launch is on a live invoice, but rates.yaml no longer "
                  "names it — put its name back (renamed milestones would be billed again), or void that invoice"),)


def test_hours_past_a_cap_written_down_in_full_make_no_invoice_of_nothing(kaffee):
    kaffee.input("november.csv", HEADER + "2026-11-04,Ben Okafor,kaffee,seo,,Audit,12,\n"
                                          "2026-11-18,Ben Okafor,kaffee,seo,,Backlinks,13,\n")
    bill(kaffee.root, NOVEMBER, today=TODAY)
    kaffee.input("late.csv", HEADER + "2026-11-27,Ben Okafor,kaffee,seo,,Report,2,\n")
    late = bill(kaffee.root, NOVEMBER, today=TODAY)  # 2 h × 95.00 = 190.00, all past the 2,000.00 cap
    assert late.issued == () and late.skipped == (
        ("kaffee", "nothing to pay: its hours are past a cap and written down in full — no invoice"),)


def test_a_credit_note_prints_every_lines_rate_and_only_the_write_down_as_its_amount(kaffee):
    from auftakt_batch.config import load_config
    from auftakt_batch.render.invoice import Issue, context

    kaffee.input("november.csv", HEADER + "2026-11-04,Ben Okafor,kaffee,seo,,Audit,12,\n"
                                          "2026-11-18,Ben Okafor,kaffee,seo,,Backlinks,13,\n")
    november = of(bill(kaffee.root, NOVEMBER, today=TODAY).issued, "kaffee")
    note = void(kaffee.root, november.number, "wrong cap", today=TODAY)
    config, _ = load_config(kaffee.root / "rates.yaml")
    draft = ledger_draft(kaffee, note.number)
    shown = context(draft, config, Issue(note.number, TODAY, TODAY, TODAY, kind="credit-note",
                                         refers_to=november.number))["lines"]
    # seo's hours, their write-down cancelled, the retainer's fee, the milestone: a rate on each but the write-down
    assert [(line["quantity"], line["unit_price"]) for line in shown] == [
        ("-25.00\u00a0h", "€95.00"), ("", ""), ("-1\u00a0month", "€1,500.00"), ("-1", "€3,600.00")]


def test_bill_shows_no_hours_for_an_invoice_of_a_fee_and_a_milestone(kaffee):
    out = kaffee.cli("bill", "--period", "2026-10").output
    assert "  2026-0001  kaffee      —  5,100.00  6,069.00  EUR\n" in out  # the fee and the milestone: no hours


def test_retainer_period_labels_of_many_days_at_once_are_unit_periods_labels():
    import pandas as pd

    from auftakt_batch.pricing.models import _labels, unit_period

    days = pd.Series(pd.date_range("2025-01-01", "2026-12-31"))
    for per in ("month", "quarter"):
        assert list(_labels(days, per)) == [unit_period(d.date(), per).label for d in days], per
