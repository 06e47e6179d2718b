"""A person's decision on a booking `payments` could not match (`payments --match PLACE NUMBER`,
payments/decide.py), and the agency's own spending counted, not listed."""

from __future__ import annotations

import sqlite3
from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auftakt_batch.billing import bill
from auftakt_batch.ledger.reading import InvoiceRecord
from auftakt_batch.payments.decide import PERSON, Decision, NotDecidable, decide
from auftakt_batch.payments.match import OVERPAID, Booking, ClientId, match
from auftakt_batch.payments.receivables import receivables, standings

from .conftest import TODAY, dedent, examples
from .test_bank import camt, entry
from .test_billing import HEADER, NOVEMBER, WEEK

BANK = "input/bank/2026-12.xml"
TYPO = f"{BANK}:1"  # 357.00 from Globex naming 2026-0020, no invoice: 2026-0002 meant
ACME = f"{BANK}:2"  # 214.20 paying 2026-0001 by its number
RENT = f"{BANK}:3"  # 1,200.00 paid out for the office's rent
FEE = f"{BANK}:4"  # the bank's fee


def statement(*extra: str) -> str:
    return dedent(camt("08", "\n".join([
        entry("08", amount="357.00", name="Globex Corporation", remittance="Rechnung 2026-0020", ref="r1"),
        entry("08", amount="214.20", name="ACME GmbH", remittance="RE 2026-0001", ref="r2"),
        entry("08", amount="1200.00", sign="DBIT", name="Hausverwaltung Adler", remittance="Miete Dezember", ref="r3"),
        entry("08", amount="9.90", sign="DBIT", name="", remittance="Kontofuehrung 11/2026", ref="r4"),
        *extra])))


@pytest.fixture
def billed(ws, monkeypatch):
    """acme: 2026-0001, 214.20; globex: 2026-0002, 357.00 (both due 17 Dec); the statement above."""
    ws.with_templates().input("week.csv", HEADER + WEEK)
    bill(ws.root, NOVEMBER, today=TODAY)
    ws.input("bank/2026-12.xml", statement())
    monkeypatch.setenv("AUFTAKT_TODAY", "2026-12-10")
    return ws


def payments_rows(ws) -> list[tuple]:
    conn = sqlite3.connect(ws.root / "output" / "ledger.sqlite")
    try:
        return conn.execute("SELECT number, amount, rule, source FROM payments ORDER BY id").fetchall()
    finally:
        conn.close()


def test_a_typo_is_listed_with_the_command_that_decides_it_then_decided_and_the_invoice_is_paid(billed):
    first = billed.cli("payments")
    assert first.exit_code == 0, first.output
    assert first.output.splitlines() == [
        "Read 4 bookings from 1 statement; recorded 1 payment; 2 bookings were not client payments.",
        "        214.20  acme         2026-0001  paid  (by number)",
        "Not matched — yours to decide (1):",
        f'  {TYPO}: 2026-11-27 357.00 EUR from Globex Corporation "Rechnung 2026-0020": names 2026-0020, which is '
        f"no invoice of the ledger — did you mean 2026-0002 or 2026-0001? → auftakt-batch payments --match {TYPO} "
        "2026-0002",
        "Open: 1 invoice (0 overdue)."]
    decided = billed.cli("payments", "--match", TYPO, "2026-0002")
    assert decided.exit_code == 0, decided.output
    assert decided.output.splitlines() == [
        "Read 4 bookings from 1 statement; recorded 1 payment; 2 bookings were not client payments.",
        "        357.00  globex       2026-0002  paid  (by person)",
        "Nothing is open."]
    again = billed.cli("payments")
    assert again.output.splitlines() == [
        "Read 4 bookings from 1 statement; recorded 0 payments; 2 bookings were not client payments.",
        "Nothing is open."]
    assert payments_rows(billed) == [("2026-0001", "214.20", "number", ACME), ("2026-0002", "357.00", PERSON, TYPO)]
    listed = billed.cli("invoices").output.splitlines()
    assert [line.split("  ")[0] for line in listed[1:]] == ["2026-0001", "2026-0002"]
    assert all(line.endswith("issued  —     paid") for line in listed[1:]), listed


def refused(ws, *decisions: tuple[str, str]) -> list[str]:
    before = payments_rows(ws)
    args = [part for d in decisions for part in ("--match", *d)]
    result = ws.cli("payments", *args)
    assert result.exit_code == 2, result.output
    assert payments_rows(ws) == before  # nothing of the decisions, nor of the matching, recorded
    return [line for line in result.output.splitlines() if line and not line.startswith(("Usage:", "Try "))]


def test_each_decision_that_cannot_stand_is_refused_in_one_line_and_nothing_is_recorded(billed):
    assert refused(billed, (f"{BANK}:9", "2026-0002")) == [
        f"Error: Invalid value for --match: {BANK}:9 2026-0002: no booking in input/bank/ is at {BANK}:9 — did you "
        f"mean {BANK}:4 or {BANK}:3 or {BANK}:2?"]
    assert refused(billed, (TYPO, "2026-0020"), (TYPO, "2026-0002"), (RENT, "2026-0002")) == [
        f"Error: Invalid value for --match: {TYPO} 2026-0020: 2026-0020 is no invoice or credit note of the ledger "
        "— did you mean 2026-0002 or 2026-0001?",
        f"{RENT} 2026-0002: the booking is money paid out (-1,200.00 EUR): it pays no invoice — a refund pays a credit "
        "note"]
    assert refused(billed, (TYPO, "2026-0002"), (TYPO, "2026-0001")) == [
        f"Error: Invalid value for --match: {TYPO} 2026-0001: this booking is decided twice — give it once"]
    billed.cli("payments")  # records 2026-0001, paid by ACME's transfer
    assert refused(billed, (ACME, "2026-0002")) == [
        f"Error: Invalid value for --match: {ACME} 2026-0002: this booking is recorded already: it paid 2026-0001 "
        "(by number)"]
    assert refused(billed, (TYPO, "2026-0001")) == [
        f"Error: Invalid value for --match: {TYPO} 2026-0001: invoice 2026-0001 is paid already: nothing of it is "
        "open"]


def test_a_cancelled_invoice_its_credit_note_and_another_currency_are_refused(billed):
    assert billed.cli("void", "2026-0002", "--reason", "wrong rate").exit_code == 0  # credit note 2026-0003
    billed.input("bank/2026-12.xml", statement(entry("08", amount="50.00", name="Globex Corporation",
                                                     remittance="Danke", ref="r5").replace('Ccy="EUR"', 'Ccy="USD"')))
    assert refused(billed, (TYPO, "2026-0002"), (TYPO, "2026-0003"), (f"{BANK}:5", "2026-0001"),
                   (FEE, "2026-0003")) == [
        f"Error: Invalid value for --match: {TYPO} 2026-0002: invoice 2026-0002 is cancelled: nothing of it is open",
        f"{TYPO} 2026-0003: the booking is money received (357.00 EUR): it is no refund of credit note 2026-0003",
        f"{BANK}:5 2026-0001: the booking is in USD, invoice 2026-0001 in EUR: a booking pays only in its own "
        "currency",
        f"{FEE} 2026-0003: credit note 2026-0003 is cancelled: nothing of it is open"]  # nothing was paid to refund


def test_a_booking_is_named_by_its_id_too_and_a_decision_comes_before_the_matching_of_the_others(billed):
    """The typo booking decided for 2026-0002 (by the start of its id); a second transfer naming
    2026-0002 in the same run finds nothing open of it: listed, not paid twice."""
    from auftakt_batch.payments.settle import to_bookings

    billed.input("bank/2026-12.xml", statement(entry("08", amount="357.00", name="Globex Corporation",
                                                     remittance="2026-0002", ref="r5")))
    (typo,) = [b for b in to_bookings(billed.check("2026-12").bookings) if b.place == TYPO]
    result = billed.cli("payments", "--match", typo.booking_id.removeprefix("booking:")[:8], "2026-0002")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:3] == ["Read 5 bookings from 1 statement; recorded 2 payments; 2 bookings were not client payments.",
                         "        357.00  globex       2026-0002  paid  (by person)",
                         "        214.20  acme         2026-0001  paid  (by number)"]
    assert lines[4].startswith(f"  {BANK}:5: ") and lines[4].endswith("names 2026-0002, which is no invoice of the "
                                                                      f"ledger → auftakt-batch payments --match "
                                                                      f"{BANK}:5 NUMBER")


def record(number, client, gross, kind="invoice", status="issued", refers_to=None, currency="EUR"):
    return InvoiceRecord(number=number, kind=kind, client_key=client, period="2026-11", issue_date=date(2026, 11, 3),
                         due_date=date(2026, 11, 17), currency=currency, net=D(gross), vat=D(0), gross=D(gross),
                         status=status, pdf_path=None, pdf_sha256=None, refers_to=refers_to)


LEDGER = [record("2026-0001", "acme", "1190.00"), record("2026-0002", "globex", "357.00", status="void"),
          record("2026-0003", "globex", "-357.00", kind="credit-note", refers_to="2026-0002"),
          record("2026-0004", "acme", "595.00")]
PAID = {"2026-0002": D("357.00")}  # globex paid the invoice its credit note 2026-0003 cancels: a refund is due


def booking(amount: str, n: int = 1, text: str = "", name: str = "") -> Booking:
    return Booking(f"booking:{n:040d}", date(2026, 12, 1), D(amount), "EUR", name, "", text, f"bank.xml:{n}")


def allocations(found) -> list[tuple]:
    return [(a.number, a.client, str(a.amount), a.rule) for a in found]


def test_a_decision_pays_up_to_what_is_open_the_rest_is_a_credit_and_a_refund_pays_a_credit_note():
    rows = standings(LEDGER, PAID, TODAY)
    assert allocations(decide([Decision("bank.xml:1", "2026-0004"), Decision("bank.xml:2", "2026-0004"),
                               Decision("bank.xml:3", "2026-0003")],
                              [booking("500.00", 1), booking("100.00", 2), booking("-357.00", 3)], LEDGER, rows,
                              {})) == [
        ("2026-0004", "acme", "500.00", PERSON), ("2026-0004", "acme", "95.00", PERSON),  # 595 open, then 95
        (None, "acme", "5.00", OVERPAID), ("2026-0003", "globex", "-357.00", PERSON)]
    with pytest.raises(NotDecidable, match="bank.xml:1 2026-0001: this booking is recorded already: it paid "
                                           "2026-0001 \\(by number\\), a credit of the client \\(by overpayment\\)"):
        decide([Decision("bank.xml:1", "2026-0001")], [booking("1200.00", 1)], LEDGER, rows,
               {booking("1", 1).booking_id: (("2026-0001", "number"), (None, "overpayment"))})


def test_money_paid_out_to_no_client_is_not_listed_but_a_refund_to_a_client_still_is():
    owed = receivables(standings(LEDGER, PAID, TODAY))
    clients = {"acme": ClientId("ACME GmbH"), "globex": ClientId("Globex Corporation")}
    found = match([booking("-1200.00", 1, "Miete Dezember", "Hausverwaltung"), booking("-9.90", 2, "Entgelt"),
                   booking("-50.00", 3, "Erstattung", "Globex Corporation"),
                   booking("-357.00", 4, "Gutschrift 2026-0003", "Frau Weber")], owed, clients)
    assert [b.place for b in found.not_clients] == ["bank.xml:1", "bank.xml:2"]
    assert [u.booking.place for u in found.unmatched] == ["bank.xml:3"]  # Globex's: for a person to decide
    assert allocations(found.allocations) == [("2026-0003", "globex", "-357.00", "number")]


@settings(max_examples=examples(150), deadline=None)
@given(st.lists(st.lists(st.tuples(st.integers(0, 5), st.sampled_from(["2026-0001", "2026-0003", "2026-0004"])),
                         max_size=3), min_size=1, max_size=4),
       st.lists(st.tuples(st.sampled_from(["1190.00", "595.00", "100.00", "-357.00", "-20.00", "2000.00"]),
                          st.sampled_from(["", "2026-0001", "2026-0004", "2026-0003"])), min_size=1, max_size=6))
def test_across_decisions_and_runs_no_booking_pays_more_than_its_amount_nor_an_invoice_twice(runs, rows):
    bookings = [booking(amount, n, text, "ACME GmbH") for n, (amount, text) in enumerate(rows)]
    clients = {"acme": ClientId("ACME GmbH")}
    ledger: dict[tuple[str, str | None], tuple] = {}  # as the paid_once index keeps them: (booking, number)
    for decisions in runs:
        paid: dict[str, D] = {}
        recorded: dict[str, tuple] = {}
        for (booking_id, number), (amount, rule) in ledger.items():
            if number:
                paid[number] = paid.get(number, D(0)) + amount
            recorded[booking_id] = (*recorded.get(booking_id, ()), (number, rule))
        rows_now = standings(LEDGER, {**PAID, **{n: PAID.get(n, D(0)) + v for n, v in paid.items()}}, TODAY)
        wanted = [Decision(f"bank.xml:{i}", number) for i, number in decisions if i < len(bookings)]
        try:
            decided = decide(wanted, bookings, LEDGER, rows_now, recorded)
        except NotDecidable:
            decided = []
        left = receivables(rows_now)
        from auftakt_batch.payments.settle import _left_open

        found = match(bookings, _left_open(left, decided), clients, frozenset(recorded) | {a.booking_id
                                                                                            for a in decided})
        for a in decided + found.allocations:
            key = (a.booking_id, a.number)
            assert key not in ledger  # no booking pays one invoice twice
            ledger[key] = (a.amount, a.rule)
    for b in bookings:
        mine = [amount for (booking_id, _), (amount, _) in ledger.items() if booking_id == b.booking_id]
        assert not mine or sum(mine) == b.amount  # all of it, never more
        assert all((m > 0) == (b.amount > 0) for m in mine if m)
    final = {s.number: s for s in standings(LEDGER, {**PAID, **{n: PAID.get(n, D(0)) + a for (_, n), (a, _) in
                                                                ledger.items() if n}}, TODAY)}
    for number in ("2026-0001", "2026-0004"):
        assert final[number].paid <= final[number].gross  # never paid past its amount
    assert final["2026-0003"].paid >= D("-357.00")  # never refunded past what it owes
