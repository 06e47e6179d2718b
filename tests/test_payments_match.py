"""Matching bank bookings to invoices (payments/match.py): most certain first, never a guess."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from auftakt_batch.payments.match import ACCOUNT, NAME, NUMBER, OVERPAID, Booking, ClientId, Receivable, match

from .conftest import examples

CLIENTS = {"acme": ClientId("ACME GmbH", ("DE89 3704 0044 0532 0130 00",)),
           "globex": ClientId("Globex Corporation"), "muller": ClientId("Müller & Söhne KG")}
OPEN = [Receivable("2026-0001", "acme", "EUR", date(2026, 10, 2), D("1190.00")),
        Receivable("2026-0002", "globex", "EUR", date(2026, 10, 2), D("357.00")),
        Receivable("2026-0005", "acme", "EUR", date(2026, 11, 3), D("595.00")),
        Receivable("2026-0006", "muller", "EUR", date(2026, 11, 3), D("238.00")),
        Receivable("2026-0007", "acme", "EUR", date(2026, 11, 3), D("-119.00"))]  # a credit note


def booking(amount: str, text: str = "", name: str = "", iban: str = "", n: int = 1, currency: str = "EUR",
            day: date = date(2026, 12, 1)) -> Booking:
    return Booking(f"b{n}", day, D(amount), currency, name, iban, text, f"bank.xml:{n}")


def paid(found) -> list[tuple]:
    return [(a.booking_id, a.number, a.client, str(a.amount), a.rule) for a in found.allocations]


def test_the_number_in_the_text_pays_that_invoice_however_the_bank_wrote_it():
    for text in ("Rechnung 2026-0002", "RE 2026 0002 Danke", "INV20260002", "2026/0002"):
        assert paid(match([booking("357.00", text)], OPEN, CLIENTS)) == [("b1", "2026-0002", "globex", "357.00",
                                                                          NUMBER)]


def test_one_transfer_for_two_invoices_pays_both_oldest_first_and_a_rest_is_an_overpayment():
    found = match([booking("1800.00", "2026-0005, 2026-0001")], OPEN, CLIENTS)
    assert paid(found) == [("b1", "2026-0001", "acme", "1190.00", NUMBER), ("b1", "2026-0005", "acme", "595.00",
                                                                            NUMBER),
                           ("b1", None, "acme", "15.00", OVERPAID)]  # 1,800 − 1,190 − 595


def test_a_part_payment_and_then_the_rest_pay_the_invoice_in_two():
    found = match([booking("200.00", "2026-0002", n=1), booking("157.00", "Rest 2026-0002", n=2,
                                                                 day=date(2026, 12, 8))], OPEN, CLIENTS)
    assert paid(found) == [("b1", "2026-0002", "globex", "200.00", NUMBER), ("b2", "2026-0002", "globex", "157.00",
                                                                            NUMBER)]


def test_a_typo_in_the_number_is_listed_with_the_closest_numbers_never_guessed():
    (problem,) = match([booking("357.00", "Rechnung 2026-0020")], OPEN, CLIENTS).unmatched
    assert problem.reason == "names 2026-0020, which is no invoice of the ledger"
    assert problem.suggestions[0] == "2026-0002"


def test_the_exact_open_amount_from_a_clients_iban_or_name():
    assert paid(match([booking("595.00", "Zahlung", iban="DE89370400440532013000")], OPEN, CLIENTS)) == [
        ("b1", "2026-0005", "acme", "595.00", ACCOUNT)]
    assert paid(match([booking("238.00", "Danke", name="Mueller & Soehne KG")], OPEN, CLIENTS)) == []  # ue is
    # not ü: listed for a person, not guessed
    assert paid(match([booking("238.00", "Danke", name="MÜLLER & SÖHNE")], OPEN, CLIENTS)) == [
        ("b1", "2026-0006", "muller", "238.00", NAME)]


def test_the_sum_of_all_open_invoices_from_the_account_pays_them_all():
    assert paid(match([booking("1785.00", iban="DE89370400440532013000")], OPEN, CLIENTS)) == [
        ("b1", "2026-0001", "acme", "1190.00", ACCOUNT), ("b1", "2026-0005", "acme", "595.00", ACCOUNT)]


def test_an_amount_two_invoices_are_open_for_is_listed_not_guessed():
    twins = [*OPEN, Receivable("2026-0008", "globex", "EUR", date(2026, 11, 3), D("357.00"))]
    (problem,) = match([booking("357.00", name="Globex Corp.")], twins, CLIENTS).unmatched
    assert problem.reason == "pays exactly what is open of 2 invoices: 2026-0002, 2026-0008 — which?"


def test_a_refund_pays_a_credit_note_and_another_currency_pays_nothing():
    assert paid(match([booking("-119.00", "Gutschrift 2026-0007")], OPEN, CLIENTS)) == [
        ("b1", "2026-0007", "acme", "-119.00", NUMBER)]
    (problem,) = match([booking("357.00", "2026-0002", currency="USD")], OPEN, CLIENTS).unmatched
    assert "another currency" in problem.reason


def test_unknown_money_is_listed_and_a_statement_read_again_changes_nothing():
    (problem,) = match([booking("50.00", "Miete Dezember", name="Hausverwaltung")], OPEN, CLIENTS).unmatched
    assert problem.reason == "no invoice number in its text, and its account and name are no client's"
    assert match([booking("357.00", "2026-0002")], OPEN, CLIENTS, done=frozenset({"b1"})).allocations == []


amounts = st.decimals(min_value=D("-2000"), max_value=D("3000"), places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=examples(200))
@given(st.lists(st.tuples(amounts, st.sampled_from(["2026-0001", "2026-0002 2026-0005", "", "2026-0007", "x"]),
                          st.sampled_from(["", "DE89370400440532013000"]),
                          st.sampled_from(["", "Globex", "Müller & Söhne"])), max_size=8))
def test_no_booking_is_lost_or_counted_twice_and_no_invoice_is_paid_past_its_amount(rows):
    bookings = [booking(str(a), text, name, iban, n=i) for i, (a, text, iban, name) in enumerate(rows)]
    found = match(bookings, OPEN, CLIENTS)
    unmatched = {u.booking.booking_id for u in found.unmatched}
    spent = {b.booking_id for b in found.not_clients}
    for b in bookings:
        mine = [a.amount for a in found.allocations if a.booking_id == b.booking_id]
        # matched, listed or the agency's own spending: exactly one of them
        assert (b.booking_id in unmatched) + bool(mine) + (b.booking_id in spent) == (b.amount != 0)
        assert not mine or sum(mine) == b.amount  # every cent of a matched booking is allocated
    for r in OPEN:
        total = sum((a.amount for a in found.allocations if a.number == r.number), D(0))
        assert abs(total) <= abs(r.open) and (total == 0 or (total > 0) == (r.open > 0))
    assert match(bookings, OPEN, CLIENTS, done=frozenset(b.booking_id for b in bookings)).allocations == []

