"""What is open of each invoice, its state and its age (payments/receivables.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auftakt_batch.ledger.reading import InvoiceRecord
from auftakt_batch.payments.receivables import aging, receivables, standings

from .conftest import examples

TODAY = date(2026, 12, 20)


def record(number, client, gross, issued, due, kind="invoice", status="issued", refers_to=None, currency="EUR"):
    return InvoiceRecord(number=number, kind=kind, client_key=client, period="2026-11", issue_date=issued,
                         due_date=due, currency=currency, net=D(gross), vat=D(0), gross=D(gross), status=status,
                         pdf_path=None, pdf_sha256=None, refers_to=refers_to)


LEDGER = [
    record("2026-0001", "acme", "1190.00", date(2026, 9, 1), date(2026, 9, 15)),  # 96 days past due
    record("2026-0002", "globex", "357.00", date(2026, 11, 3), date(2026, 11, 17)),  # 33 days
    record("2026-0003", "acme", "595.00", date(2026, 12, 3), date(2026, 12, 17)),  # 3 days
    record("2026-0004", "acme", "238.00", date(2026, 12, 10), date(2026, 12, 24)),  # not yet due
    record("2026-0005", "globex", "119.00", date(2026, 11, 3), date(2026, 11, 17), status="void"),
    record("2026-0006", "globex", "-119.00", date(2026, 11, 10), date(2026, 11, 24), kind="credit-note",
           refers_to="2026-0005"),
]


def test_each_invoice_is_paid_part_paid_open_or_overdue_and_a_void_one_with_its_credit_note_cancelled():
    paid = {"2026-0001": D("190.00"), "2026-0003": D("595.00"), "2026-0005": D("119.00")}
    rows = {s.number: (s.state, str(s.open), s.days_overdue) for s in standings(LEDGER, paid, TODAY)}
    assert rows == {"2026-0001": ("overdue", "1000.00", 96), "2026-0002": ("overdue", "357.00", 33),
                    "2026-0003": ("paid", "0.00", 0), "2026-0004": ("open", "238.00", 0),
                    "2026-0005": ("cancelled", "0.00", 0),
                    "2026-0006": ("refund due", "-119.00", 0)}  # globex paid the invoice its credit note cancels
    assert [(r.number, str(r.open)) for r in receivables(standings(LEDGER, paid, TODAY))] == [
        ("2026-0001", "1000.00"), ("2026-0002", "357.00"), ("2026-0004", "238.00"), ("2026-0006", "-119.00")]
    refunded = {**paid, "2026-0006": D("-119.00")}
    assert {s.number: s.state for s in standings(LEDGER, refunded, TODAY)}["2026-0006"] == "refunded"


def test_aging_buckets_the_open_money_by_days_past_due_and_dso():
    (eur,) = aging(standings(LEDGER, {"2026-0001": D("190.00")}, TODAY), LEDGER, TODAY)
    assert [(label, str(v)) for label, v in eur.buckets] == [
        ("not due", "238.00"), ("1–30", "595.00"), ("31–60", "357.00"), ("61–90", "0.00"), ("over 90", "1000.00")]
    # DSO: 2,190.00 open ÷ (357 + 595 + 238 + 119 − 119 invoiced since 21 Sep) × 90 = 165.6 days
    assert str(eur.open) == "2190.00" and str(eur.dso) == "165.6"


def test_the_ledger_records_each_payment_once_however_often_its_statement_is_read(tmp_path):
    import sqlite3

    from auftakt_batch import ledger

    conn = ledger.connect(tmp_path / "ledger.sqlite")
    for number in ("2026-0001", "2026-0002"):
        conn.execute("INSERT INTO invoices (number, year, seq, kind, client_key, period, issue_date, due_date, "
                     "stamped_at, currency, vat_mode, vat_rate, net, vat, gross, status) VALUES (?, 2026, ?, "
                     "'invoice', 'acme', '2026-11', '2026-12-01', '2026-12-15', '2026-12-01T12:00:00+01:00', 'EUR', "
                     "'standard', '19', '100', '19', '119', 'issued')", (number, int(number[-1])))
    conn.commit()
    rows = [{"booking_id": "b1", "number": "2026-0001", "client_key": "acme", "amount": D("119.00"),
             "currency": "EUR", "rule": "number", "booking_date": date(2026, 12, 10), "source": "bank.xml:1"},
            {"booking_id": "b1", "number": None, "client_key": "acme", "amount": D("1.00"), "currency": "EUR",
             "rule": "overpayment", "booking_date": date(2026, 12, 10), "source": "bank.xml:1"},
            {"booking_id": "b2", "number": "2026-0002", "client_key": "acme", "amount": D("50"), "currency": "EUR",
             "rule": "account", "booking_date": date(2026, 12, 11), "source": "bank.csv:3"}]
    assert ledger.record_payments(conn, rows) == 3
    assert ledger.record_payments(conn, rows) == 0  # the same statement read again
    book = ledger.read_book(tmp_path / "ledger.sqlite")
    assert book.paid == {"2026-0001": D("119.00"), "2026-0002": D("50")}
    assert ledger.paid_bookings(conn, ledger.SCHEMA_VERSION) == {"b1", "b2"}
    with pytest.raises(sqlite3.IntegrityError):  # the database itself refuses a second payment of b2 to 2026-0002
        conn.execute("INSERT INTO payments (booking_id, number, client_key, amount, currency, rule, booking_date, "
                     "source, recorded_at) VALUES ('b2', '2026-0002', 'acme', '50', 'EUR', 'account', '2026-12-11', "
                     "'x', '2026-12-11T10:00:00Z')")


def test_a_reminder_is_due_once_per_level_the_highest_the_days_reach_a_fee_from_the_second():
    from auftakt_batch.config import Reminders
    from auftakt_batch.payments.reminders import due_reminders

    rule = Reminders(after_days=(7, 21, 35), fee=D("5.00"))
    rows = standings(LEDGER, {"2026-0001": D("190.00")}, TODAY)  # 0001: 96 days, 0002: 33, 0003: 3, 0004: not due
    found = [(r.number, r.level, str(r.open + r.fee)) for r in due_reminders(rows, {}, rule)]
    assert found == [("2026-0001", 3, "1005.00"), ("2026-0002", 2, "362.00")]  # 0003: 3 days, under 7
    assert [(r.number, r.level) for r in due_reminders(rows, {"2026-0001": 3, "2026-0002": 1}, rule)] == [
        ("2026-0002", 2)]  # 0001 had its third; 0002 its first, and is 33 days late now
    first = due_reminders(standings(LEDGER, {}, date(2026, 12, 24)), {}, rule)  # 0003: 7 days late
    assert [(r.number, r.level, r.fee) for r in first if r.number == "2026-0003"] == [("2026-0003", 1, D("0.00"))]


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 3), st.integers(0, 40000)), max_size=12),
       st.lists(st.integers(1, 60), min_size=1, max_size=4, unique=True))
def test_a_reminder_is_never_issued_twice_for_a_level_nor_for_money_not_open(steps, days):
    """Across any run of days and part payments, reminding each day as `remind` does: every level of
    an invoice at most once, each higher than the last, only while money is open and past due, with
    the level its days reach and the fee from the second level on."""
    from auftakt_batch.config import Reminders
    from auftakt_batch.payments.reminders import due_reminders

    rule = Reminders(after_days=tuple(sorted(days)), fee=D("5.00"))
    today, paid, issued, seen = date(2026, 12, 1), {}, {}, set()
    for skip, which, cents in steps:
        today = date.fromordinal(today.toordinal() + skip)
        number = LEDGER[which].number
        paid[number] = paid.get(number, D(0)) + D(cents) / 100
        rows = {s.number: s for s in standings(LEDGER, paid, today)}
        for r in due_reminders(rows.values(), issued, rule):
            s = rows[r.number]
            assert (r.number, r.level) not in seen and r.level > issued.get(r.number, 0)
            assert s.kind == "invoice" and s.state == "overdue" and r.open == s.open > 0
            assert r.level == sum(1 for d in rule.after_days if s.days_overdue >= d)
            assert r.fee == (D("5.00") if r.level > 1 else D("0.00"))
            seen.add((r.number, r.level))
            issued[r.number] = r.level
