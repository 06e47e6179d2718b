"""`invoices`: the ledger's invoices and credit notes, oldest first, each with where it stands.

Reads the ledger read-only (it never writes, not even a new ledger): a listing runs while a
`bill` writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .. import ledger
from ..ledger import Delivery, InvoiceRecord
from ..payments.receivables import Standing, standings
from ..periods import Period, parse_period
from .tables import FOLD, WRAP, Column, table_text


@dataclass(frozen=True)
class Listing:
    ledger: bool  # there is a ledger (none before the first `bill`)
    records: tuple[InvoiceRecord, ...]  # oldest first; of the period asked for, if one was
    cancelled_by: dict[str, str]  # invoice number -> the credit note that cancels it
    standing: dict[str, Standing]  # number -> as far as payments go (payments/receivables.py)
    delivered: dict[str, Delivery] = field(default_factory=dict)  # invoice number -> its mailing (`send`)
    reminded: dict[str, int] = field(default_factory=dict)  # invoice number -> its latest reminder's level


def listing(workspace: Path, today: date, period: Period | None = None) -> Listing:
    """The invoices of the ledger — those for (part of) `period`, if given — and, as of `today`,
    what is paid and open of each."""
    path = workspace / "output" / "ledger.sqlite"
    records = ledger.read_invoices(path)
    cancelled_by = {r.refers_to: r.number for r in records if r.refers_to}
    standing = {s.number: s for s in standings(records, ledger.read_paid(path), today)}
    if period is not None:
        records = [r for r in records if _overlaps(parse_period(r.period), period)]
    reminded = {r.number: r.level for r in ledger.read_reminders(path) if r.status == "issued"}  # by level
    return Listing(path.exists(), tuple(records), cancelled_by, standing, ledger.read_deliveries(path), reminded)


def state(record: InvoiceRecord, cancelled_by: dict[str, str]) -> str:
    if record.refers_to:
        return f"cancels {record.refers_to}"
    if record.number in cancelled_by:
        return f"void, cancelled by {cancelled_by[record.number]}"
    return record.status


def paid_text(standing: Standing | None) -> str:
    """paid; 100.00 of 357.00 paid; open; overdue 3 d (257.00 open); refund due 119.00; "" (cancelled, pending)."""
    if standing is None or standing.state == "cancelled":
        return ""
    s = standing
    if s.state == "overdue":
        return f"overdue {s.days_overdue} d" + (f", {s.open:,.2f} open" if s.paid else "")
    if s.state == "part-paid":
        return f"{s.paid:,.2f} of {s.gross:,.2f} paid"
    if s.state == "refund due":
        return f"refund due {-s.open:,.2f}"
    return s.state


def as_text(found: Listing) -> str:
    columns = [Column("number"), Column("kind", fit=WRAP), Column("client", fit=FOLD), Column("period"),
               Column("issued"), Column("gross", right=True), Column(""), Column("status", fit=WRAP),
               Column("sent", fit=WRAP), Column("payment", fit=WRAP)]
    return table_text(columns, [
        [r.number, r.kind.replace("-", " "), r.client_key, r.period, r.issue_date.isoformat(), f"{r.gross:,.2f}",
         r.currency, state(r, found.cancelled_by), sent(found.delivered.get(r.number)),
         _payment(found, r.number)] for r in found.records])


def _payment(found: Listing, number: str) -> str:
    """Where its payment stands, and the latest reminder it had while money is open."""
    text = paid_text(found.standing.get(number))
    level = found.reminded.get(number)
    return f"{text}, reminder {level}" if level and text not in ("paid", "") else text


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
