"""`payments`: the bank bookings of input/bank/ matched to the ledger's invoices and recorded.

Reads what is open (payments/receivables.py), applies a person's decisions (payments/decide.py:
`--match`), then matches the other bookings not recorded yet (payments/match.py) against what
the decisions left open, and records all of it in one transaction; what it could not match is
returned for a person to decide. Running it again with the same statements records nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd

from .. import ledger
from ..config import Config
from ..ledger.reading import booking_payments
from ..schemas import Bookings as B
from .decide import Decision, decide
from .match import Allocation, Booking, ClientId, Receivable, Unmatched, match
from .receivables import Standing, receivables, standings

# the bookings frame's columns (schemas.Bookings: one row per booking, the same booking_id in every statement)
BOOKING_COLUMNS = (B.booking_id, B.booking_date, B.amount, B.currency, B.counterparty_name, B.counterparty_iban,
                   B.remittance, B.source_file, B.source_row)


@dataclass(frozen=True)
class Settled:
    recorded: int  # allocations new to the ledger
    allocations: tuple[Allocation, ...]  # made now (recorded, or recorded before by a run that read the same)
    unmatched: tuple[Unmatched, ...]
    not_clients: tuple[Booking, ...]  # money paid out to no client: the agency's own spending
    bookings: tuple[Booking, ...]  # every readable booking (to name one to --match)
    standings: tuple[Standing, ...]  # every invoice and credit note after them


def client_ids(config: Config) -> dict[str, ClientId]:
    return {key: ClientId(c.name, c.ibans) for key, c in config.clients.items() if c.billable}


def to_bookings(frame: pd.DataFrame) -> list[Booking]:
    """The readable bookings (one whose amount or date the bank wrote unreadably is a warning of
    `check`, and pays nothing)."""
    readable = frame[frame[B.amount].notna() & frame[B.booking_date].notna()] if len(frame) else frame
    return [Booking(r[B.booking_id], _day(r[B.booking_date]), r[B.amount], r[B.currency], r[B.counterparty_name],
                    r[B.counterparty_iban], r[B.remittance], f"{r[B.source_file]}:{r[B.source_row]}")
            for r in readable[list(BOOKING_COLUMNS)].to_dict("records")]


def _day(value: object) -> date:
    return value.date() if isinstance(value, pd.Timestamp) else value  # type: ignore[return-value]


def settle(path: Path, bookings: pd.DataFrame, config: Config, today: date,
           decisions: Iterable[Decision] = ()) -> Settled:
    """Record the decisions, then match and record the other bookings, against the ledger at
    `path` (which must exist); decide.NotDecidable (nothing recorded) if a decision cannot stand."""
    conn = ledger.connect(path)
    try:
        book = ledger.read_book(path)
        readable = to_bookings(bookings)
        before = standings(book.invoices, book.paid, today)
        recorded = booking_payments(conn, ledger.SCHEMA_VERSION)
        decided = decide(decisions, readable, book.invoices, before, recorded)
        found = match(readable, _left_open(receivables(before), decided), client_ids(config),
                      frozenset(recorded) | {a.booking_id for a in decided})
        allocations = decided + found.allocations
        by_id = {b.booking_id: b for b in readable}
        rows = [{"booking_id": a.booking_id, "number": a.number, "client_key": a.client, "amount": a.amount,
                 "currency": by_id[a.booking_id].currency, "rule": a.rule,
                 "booking_date": by_id[a.booking_id].booking_date, "source": by_id[a.booking_id].place}
                for a in allocations]
        recorded_now = ledger.record_payments(conn, rows) if rows else 0
    finally:
        conn.close()
    after = ledger.read_book(path)
    return Settled(recorded_now, tuple(allocations), tuple(found.unmatched), tuple(found.not_clients),
                   tuple(readable), tuple(standings(after.invoices, after.paid, today)))


def _left_open(opens: list[Receivable], paid: list[Allocation]) -> list[Receivable]:
    """The receivables still open once `paid` is allocated, for what is still open of each (as
    receivables() leaves out what nothing is open of)."""
    taken: dict[str | None, Decimal] = {}
    for a in paid:
        taken[a.number] = taken.get(a.number, Decimal(0)) + a.amount
    left = [Receivable(r.number, r.client, r.currency, r.issue_date, r.open - taken.get(r.number, Decimal(0)))
            for r in opens]
    return [r for r in left if r.open]


def arriving(path: Path, bookings: pd.DataFrame, config: Config, today: date) -> dict[str, Decimal]:
    """Invoice number -> what the statements' bookings not recorded yet would pay of it, matched as
    `payments` matches them; read-only: nothing is recorded (`send` asks, before it mails a reminder)."""
    book = ledger.read_book(path)
    found = match(to_bookings(bookings), receivables(standings(book.invoices, book.paid, today)), client_ids(config),
                  ledger.read_paid_bookings(path))
    paying: dict[str, Decimal] = {}
    for a in found.allocations:
        if a.number is not None:
            paying[a.number] = paying.get(a.number, Decimal(0)) + a.amount
    return paying
