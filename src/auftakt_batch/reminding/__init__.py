"""`remind`: payment reminders for overdue invoices, at the levels and fee of rates.yaml
`agency.reminders` — each a PDF in the client's language, `output/<period>/reminders/<number>-
reminder-<level>.pdf` beside its invoice, recorded in the ledger, numbered per invoice and never
issued twice for one level (payments/reminders.py says which are due); `send` mails them.

Under the billing lock, in this order:
1. a reminder a killed run left pending gets its PDF (the same bytes) and is marked issued;
2. the statements in input/bank/ are settled (payments/settle.py), so an invoice paid in a
   statement lying there is never reminded;
3. an invoice that a booking not matched yet may pay — its number is suggested for the booking,
   or the booking comes from its client's account or name — is held back for a person to decide;
4. each reminder due is reserved in the ledger (pending), its PDF written, then marked issued.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from .. import ledger
from ..billing import client_key, locked
from ..config import Config, Reminders
from ..errors import Refused
from ..files import crash_point, sweep_orphans, write_bytes_atomically
from ..ledger import InvoiceRecord, ReminderRecord
from ..ledger.reminders import ISSUED, PENDING
from ..payments.match import Unmatched, payers
from ..payments.receivables import Standing
from ..payments.reminders import Reminder, due_reminders, is_final
from ..payments.settle import client_ids, settle

PAY_WITHIN_DAYS = 7  # a reminder asks to be paid within a week of its date
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Held:
    number: str
    client: str
    why: str  # and what to do


@dataclass(frozen=True)
class RemindRun:
    issued: tuple[ReminderRecord, ...]  # now, with those a killed run left pending, finished now
    held: tuple[Held, ...]
    recorded: int  # payments recorded from input/bank/ first
    unmatched: tuple[Unmatched, ...]
    no_ledger: bool = False


def remind(workspace: Path, config: Config, bookings: pd.DataFrame, today: date, *,
           only: str | None = None) -> RemindRun:
    """Issue the reminders due on `today` (of client `only`, or all)."""
    rule = config.agency.reminders
    if rule is None:
        raise Refused("rates.yaml has no agency.reminders — add `reminders: {after_days: [7, 21, 35], "
                      "fee: \"5.00\"}` under agency: the days past due of each level, and the fee from the second "
                      "(README: Getting paid)")
    client = client_key(config, only)
    path = workspace / "output" / "ledger.sqlite"
    with locked(workspace / "output" / ".billing.lock"):
        if not path.exists():
            return RemindRun((), (), 0, (), no_ledger=True)
        sweep_orphans(workspace / "output")  # no other run is writing: any temporary file is a crashed run's
        conn = ledger.connect(path)
        try:
            invoices = {r.number: r for r in ledger.invoices(conn)}
            pending = [r for r in ledger.reminders(conn, ledger.SCHEMA_VERSION) if r.status == PENDING]
            finished = [_issue(conn, workspace, config, r, invoices[r.number], rule)
                        for r in pending if r.client_key in config.clients]
            settled = settle(path, bookings, config, today)
            before = ledger.reminders(conn, ledger.SCHEMA_VERSION)
            due = [d for d in due_reminders(settled.standings, _highest(before), rule) if client in (None, d.client)]
            maybe = _maybe_paid(settled.unmatched, settled.standings, config)
            held = tuple(Held(d.number, d.client, _why(d.number, d.client, maybe, config)) for d in due
                         if d.number in maybe or d.client not in config.clients)
            issued = [_issue(conn, workspace, config, _record(d, invoices[d.number], before, today),
                             invoices[d.number], rule, reserve=True)
                      for d in due if d.number not in maybe and d.client in config.clients]
        finally:
            conn.close()
    return RemindRun(tuple(finished + issued), held, settled.recorded, settled.unmatched)



def _why(number: str, client: str, maybe: dict[str, str], config: Config) -> str:
    if client not in config.clients:
        return f"client {client} is no longer in rates.yaml: put it back to remind it"
    return (f"the booking {maybe[number]} may pay it; if it does: `auftakt-batch payments --match {maybe[number]} "
            f"{number}`, then remind again")


def _highest(reminders: Iterable[ReminderRecord]) -> dict[str, int]:
    found: dict[str, int] = {}
    for r in reminders:
        found[r.number] = max(found.get(r.number, 0), r.level)
    return found


def _maybe_paid(unmatched: Iterable[Unmatched], standings: Iterable[Standing], config: Config) -> dict[str, str]:
    """Open invoice number -> the place of a booking not matched yet that may pay it: money in that
    names it as a likely typo (of the numbers suggested, those open for exactly its amount, if
    any), or comes from its client's account or name."""
    clients = client_ids(config)
    open_of: dict[str, list[str]] = {}
    amounts: dict[str, Decimal] = {}
    for s in standings:
        if s.kind == "invoice" and s.open > 0:
            open_of.setdefault(s.client, []).append(s.number)
            amounts[s.number] = s.open
    found: dict[str, str] = {}
    for u in unmatched:
        if u.booking.amount <= 0:
            continue
        exact = [n for n in u.suggestions if amounts.get(n) == u.booking.amount]
        numbers = [*(exact or u.suggestions),
                   *(n for key in sorted(payers(u.booking, clients)) for n in open_of.get(key, []))]
        for number in numbers:
            found.setdefault(number, u.booking.place)
    return found


def _record(due: Reminder, invoice: InvoiceRecord, before: Iterable[ReminderRecord], today: date) -> ReminderRecord:
    key = f"{due.number}-reminder-{due.level}"
    return ReminderRecord(
        number=due.number, level=due.level, client_key=due.client, period=invoice.period, issue_date=today,
        pay_by=today + timedelta(days=PAY_WITHIN_DAYS), days_overdue=due.days_overdue, paid=due.paid, open=due.open,
        fee=due.fee, fees_before=sum((r.fee for r in before if r.number == due.number), ZERO),
        currency=due.currency, pdf_path=f"output/{invoice.period}/reminders/{key}.pdf")


def _issue(conn: sqlite3.Connection, workspace: Path, config: Config, r: ReminderRecord, invoice: InvoiceRecord,
           rule: Reminders, reserve: bool = False) -> ReminderRecord:
    """Reserve `r` (unless a killed run did), write its PDF, mark it issued."""
    from ..render.pdf import pdf_bytes
    from ..render.reminder import reminder_html

    if reserve:
        ledger.record_reminder(conn, r)
        crash_point("reminder-reserved")
    templates = workspace / "templates"
    stamped_at = datetime.combine(r.issue_date, time(12), ZoneInfo(config.agency.timezone))
    html = reminder_html(r, invoice, config, templates, stamped_at=stamped_at,
                         final=is_final(r.level, rule))
    data = pdf_bytes(html, templates, stamped_at)
    write_bytes_atomically(workspace / r.pdf_path, data, "pdf")
    crash_point("reminder-written")
    sha = hashlib.sha256(data).hexdigest()
    ledger.mark_reminded(conn, r, sha)
    return replace(r, status=ISSUED, pdf_sha256=sha)
