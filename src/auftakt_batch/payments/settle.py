"""`payments`: the bank bookings of input/bank/ matched to the ledger's invoices and recorded.

Reads what is open (payments/receivables.py), matches the bookings not recorded yet
(payments/match.py) and records the allocations in one transaction; what it could not match is
returned for a person to decide. Running it again with the same statements records nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from .. import ledger
from ..config import Config
from ..schemas import Bookings as B
from .match import Allocation, Booking, ClientId, Unmatched, match
from .receivables import Standing, receivables, standings

# the bookings frame's columns (schemas.Bookings: one row per booking, the same booking_id in every statement)
BOOKING_COLUMNS = (B.booking_id, B.booking_date, B.amount, B.currency, B.counterparty_name, B.counterparty_iban,
                   B.remittance, B.source_file, B.source_row)


@dataclass(frozen=True)
class Settled:
    recorded: int  # allocations new to the ledger
    allocations: tuple[Allocation, ...]  # made now (recorded, or recorded before by a run that read the same)
    unmatched: tuple[Unmatched, ...]
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


def settle(path: Path, bookings: pd.DataFrame, config: Config, today: date) -> Settled:
    """Match and record the bookings against the ledger at `path` (which must exist)."""
    conn = ledger.connect(path)
    try:
        book = ledger.read_book(path)
        readable = to_bookings(bookings)
        found = match(readable, receivables(standings(book.invoices, book.paid, today)),
                      client_ids(config), ledger.paid_bookings(conn, ledger.SCHEMA_VERSION))
        by_id = {b.booking_id: b for b in readable}
        rows = [{"booking_id": a.booking_id, "number": a.number, "client_key": a.client, "amount": a.amount,
                 "currency": by_id[a.booking_id].currency, "rule": a.rule,
                 "booking_date": by_id[a.booking_id].booking_date, "source": by_id[a.booking_id].place}
                for a in found.allocations]
        recorded = ledger.record_payments(conn, rows) if rows else 0
    finally:
        conn.close()
    after = ledger.read_book(path)
    return Settled(recorded, tuple(found.allocations), tuple(found.unmatched),
                   tuple(standings(after.invoices, after.paid, today)))
