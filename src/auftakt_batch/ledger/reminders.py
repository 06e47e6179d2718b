"""The payment reminders `remind` issued: one row per invoice and level (UNIQUE: never issued
twice for one level), written 'pending' before its PDF and 'issued' once the PDF is in place
with its sha256 — a run killed in between leaves it pending, and the next run writes the PDF
(the same bytes) and marks it issued, as billing heals a pending invoice."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .sql import decimal_text, rows, transaction, utc_now

REMINDERS_ADDED_IN = 11  # the schema version of the reminders table
PENDING, ISSUED = "pending", "issued"


def reminder_key(number: str, level: int) -> str:
    """A reminder's name: its file's stem, its messages' document, what `send --again` takes."""
    return f"{number}-reminder-{level}"


@dataclass(frozen=True, kw_only=True)
class ReminderRecord:
    number: str  # the invoice's
    level: int
    client_key: str
    period: str  # the invoice's: its reminders sit beside it, in output/<period>/reminders/
    issue_date: date
    pay_by: date
    days_overdue: int
    paid: Decimal
    open: Decimal
    fee: Decimal
    fees_before: Decimal
    currency: str
    status: str = PENDING
    pdf_path: str = ""
    pdf_sha256: str | None = None

    @property
    def key(self) -> str:
        return reminder_key(self.number, self.level)

    @property
    def fees(self) -> Decimal:
        return self.fees_before + self.fee

    @property
    def asked(self) -> Decimal:
        """What it asks the client to pay: what is open of the invoice and every reminder fee so far."""
        return self.open + self.fees


def record_reminder(conn: sqlite3.Connection, r: ReminderRecord) -> None:
    """Before its PDF: the reminder is reserved (pending), its level taken."""
    with transaction(conn):
        conn.execute("INSERT INTO reminders (number, level, issue_date, pay_by, days_overdue, paid, open, fee, "
                     "fees_before, currency, status, pdf_path, issued_at) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (r.number, r.level, r.issue_date.isoformat(), r.pay_by.isoformat(), r.days_overdue,
                      decimal_text(r.paid), decimal_text(r.open), decimal_text(r.fee), decimal_text(r.fees_before),
                      r.currency, PENDING, r.pdf_path, utc_now()))


def mark_reminded(conn: sqlite3.Connection, r: ReminderRecord, sha256: str) -> None:
    """Its PDF is in place: the reminder is issued."""
    with transaction(conn):
        conn.execute("UPDATE reminders SET status = ?, pdf_sha256 = ? WHERE number = ? AND level = ? AND status = ?",
                     (ISSUED, sha256, r.number, r.level, PENDING))


def reminders(conn: sqlite3.Connection, version: int) -> list[ReminderRecord]:
    """Every reminder, by invoice and level; none before schema 11."""
    if version < REMINDERS_ADDED_IN:
        return []
    return [ReminderRecord(
        number=r["number"], level=r["level"], client_key=r["client_key"], period=r["period"],
        issue_date=date.fromisoformat(r["issue_date"]), pay_by=date.fromisoformat(r["pay_by"]),
        days_overdue=r["days_overdue"], paid=Decimal(r["paid"]), open=Decimal(r["open"]), fee=Decimal(r["fee"]),
        fees_before=Decimal(r["fees_before"]), currency=r["currency"], status=r["status"], pdf_path=r["pdf_path"],
        pdf_sha256=r["pdf_sha256"])
        for r in rows(conn, "SELECT m.*, i.client_key, i.period FROM reminders m "
                            "JOIN invoices i ON i.number = m.number ORDER BY i.year, i.seq, m.level")]
