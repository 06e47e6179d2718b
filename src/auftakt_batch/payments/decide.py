"""A person's decisions on bank bookings: `payments --match PLACE NUMBER`.

A decision names a booking — by its place as `payments` lists it (`input/bank/x.xml:4`), or by
its id (or a prefix of it of at least 8 characters) — and the invoice or credit note it pays.
It pays up to what is open of that number (a credit note: the refund it owes), the rest is an
overpayment, a credit of the client — as a number in the booking's text would (match.py). The
decisions are checked all together before anything is recorded: one that cannot stand (a place
that is no booking, a number not in the ledger or with nothing open, another currency, money
going the wrong way, a booking recorded already or decided twice) refuses them all, each with
one line saying why.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from ..errors import BadArgument
from ..ledger.reading import InvoiceRecord
from .match import OVERPAID, Allocation, Booking, Receivable, _towards
from .receivables import Standing

PERSON = "person"
MIN_PREFIX = 8  # characters of a booking id's digest that name it
ID_PREFIX = "booking:"


@dataclass(frozen=True)
class Decision:
    booking: str  # a place (input/bank/x.xml:4) or a booking id, as given
    number: str


class NotDecidable(BadArgument):
    """Decisions that cannot be recorded: one line each (a usage error: nothing is recorded)."""

    argument = "--match"


class _Refused(Exception):
    pass


def decide(decisions: Iterable[Decision], bookings: Sequence[Booking], invoices: Iterable[InvoiceRecord],
           rows: Iterable[Standing], recorded: Mapping[str, tuple[tuple[str | None, str], ...]]) -> list[Allocation]:
    """The allocations of `decisions`, in order, each against what the ones before it left open;
    NotDecidable naming every decision that cannot stand."""
    numbers = {r.number for r in invoices}
    standing = {s.number: s for s in rows}
    opens = {s.number: s.open for s in rows}
    taken: set[str] = set()
    allocations, refusals = [], []
    for d in decisions:
        try:
            booking = find_booking(d.booking, bookings)
            _not_recorded(booking, recorded, taken)
            s = _payable(booking, d.number, numbers, standing, opens)
        except _Refused as exc:
            refusals.append(f"{d.booking} {d.number}: {exc}")
            continue
        mine = pay(booking, Receivable(s.number, s.client, s.currency, s.issue_date, opens[s.number]))
        taken.add(booking.booking_id)
        opens[s.number] -= sum((a.amount for a in mine if a.number), Decimal(0))
        allocations += mine
    if refusals:
        raise NotDecidable("\n".join(refusals))
    return allocations


def pay(booking: Booking, r: Receivable) -> list[Allocation]:
    """The booking against `r`: up to what is open of it, the rest an overpayment of its client."""
    take = _towards(booking.amount, r.open)
    rest = booking.amount - take
    return ([Allocation(booking.booking_id, r.number, r.client, take, PERSON)] if take else []) + (
        [Allocation(booking.booking_id, None, r.client, rest, OVERPAID)] if rest else [])


def find_booking(given: str, bookings: Sequence[Booking]) -> Booking:
    """The booking at place `given`, or with id (or id prefix) `given`."""
    at = [b for b in bookings if b.place == given]
    if len(at) > 1:
        raise _Refused(f"{given} holds {len(at)} bookings (a collective transfer) — give one by its id: "
                       + ", ".join(f"{b.booking_id} ({b.amount:,.2f} {b.currency})" for b in at))
    if at:
        return at[0]
    digest = given.strip().removeprefix(ID_PREFIX).lower()
    ids = [b for b in bookings if len(digest) >= MIN_PREFIX and b.booking_id.removeprefix(ID_PREFIX).startswith(digest)]
    if len(ids) == 1:
        return ids[0]
    if ids:
        raise _Refused(f"the id {given} is the start of {len(ids)} bookings' ids — give more of it")
    close = difflib.get_close_matches(given, sorted({b.place for b in bookings}), n=3, cutoff=0.6)
    hint = f" — did you mean {' or '.join(close)}?" if close else " — `auftakt-batch payments` lists the places"
    raise _Refused(f"no booking in input/bank/ is at {given}{hint}")


def handle(booking: Booking, bookings: Sequence[Booking]) -> str:
    """How to name `booking` to --match: its place, or its id where its place holds others too."""
    return booking.place if sum(b.place == booking.place for b in bookings) == 1 else booking.booking_id


def _not_recorded(booking: Booking, recorded: Mapping[str, tuple[tuple[str | None, str], ...]],
                  taken: set[str]) -> None:
    if booking.booking_id in taken:
        raise _Refused("this booking is decided twice — give it once")
    if booking.booking_id in recorded:
        paid = ", ".join(f"{number or 'a credit of the client'} (by {rule})"
                         for number, rule in recorded[booking.booking_id])
        raise _Refused(f"this booking is recorded already: it paid {paid}")


def _payable(booking: Booking, number: str, numbers: set[str], standing: Mapping[str, Standing],
             opens: Mapping[str, Decimal]) -> Standing:
    if number not in numbers:
        close = difflib.get_close_matches(number, sorted(numbers), n=2, cutoff=0.6)
        hint = f" — did you mean {' or '.join(close)}?" if close else ""
        raise _Refused(f"{number} is no invoice or credit note of the ledger{hint}")
    s = standing.get(number)
    if s is None:
        raise _Refused(f"{number} is not issued yet: only an issued invoice or credit note can be paid")
    kind = "credit note" if s.kind == "credit-note" else "invoice"
    if s.currency != booking.currency:
        raise _Refused(f"the booking is in {booking.currency}, {kind} {number} in {s.currency}: a booking pays only "
                       "in its own currency")
    if s.kind == "invoice" and booking.amount < 0:
        raise _Refused(f"the booking is money paid out ({booking.amount:,.2f} {booking.currency}): it pays no "
                       f"invoice — a refund pays a credit note")
    if s.kind == "credit-note" and booking.amount > 0:
        raise _Refused(f"the booking is money received ({booking.amount:,.2f} {booking.currency}): it is no refund "
                       f"of credit note {number}")
    if not opens[number]:
        state = "cancelled" if s.state == "cancelled" else f"{s.state} already"
        raise _Refused(f"{kind} {number} is {state}: nothing of it is open")
    return s
