"""`invoices`: the ledger's invoices and credit notes, oldest first, each with where it stands.

Reads the ledger read-only (it never writes, not even a new ledger): a listing runs while a
`bill` writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .. import ledger
from ..ledger import Delivery, InvoiceRecord
from ..periods import Period, parse_period
from .tables import FOLD, WRAP, Column, table_text


@dataclass(frozen=True)
class Listing:
    ledger: bool  # there is a ledger (none before the first `bill`)
    records: tuple[InvoiceRecord, ...]  # oldest first; of the period asked for, if one was
    cancelled_by: dict[str, str]  # invoice number -> the credit note that cancels it
    delivered: dict[str, Delivery] = field(default_factory=dict)  # invoice number -> its mailing (`send`)


def listing(workspace: Path, period: Period | None = None) -> Listing:
    """The invoices of the ledger — those for (part of) `period`, if given."""
    path = workspace / "output" / "ledger.sqlite"
    records = ledger.read_invoices(path)
    cancelled_by = {r.refers_to: r.number for r in records if r.refers_to}
    if period is not None:
        records = [r for r in records if _overlaps(parse_period(r.period), period)]
    return Listing(path.exists(), tuple(records), cancelled_by, ledger.read_deliveries(path))


def state(record: InvoiceRecord, cancelled_by: dict[str, str]) -> str:
    if record.refers_to:
        return f"cancels {record.refers_to}"
    if record.number in cancelled_by:
        return f"void, cancelled by {cancelled_by[record.number]}"
    return record.status


def as_text(found: Listing) -> str:
    columns = [Column("number"), Column("kind", fit=WRAP), Column("client", fit=FOLD), Column("period"),
               Column("issued"), Column("gross", right=True), Column(""), Column("status", fit=WRAP),
               Column("sent", fit=WRAP)]
    return table_text(columns, [
        [r.number, r.kind.replace("-", " "), r.client_key, r.period, r.issue_date.isoformat(), f"{r.gross:,.2f}",
         r.currency, state(r, found.cancelled_by), sent(found.delivered.get(r.number))] for r in found.records])


def sent(delivery: Delivery | None) -> str:
    """When it was mailed (its UTC date), "delivery unknown" for a send interrupted while mailing
    it, "—" if it was not (yet)."""
    if delivery is None or delivery.state == "failed":
        return "—"
    if delivery.state == "sending":
        return "delivery unknown"
    return (delivery.finished_at or delivery.started_at)[:10]


def _overlaps(a: Period, b: Period) -> bool:
    return a.start <= b.end and b.start <= a.end
