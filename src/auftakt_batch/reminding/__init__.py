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
   So is one whose invoice, or last reminder, never reached the client, where invoices are mailed
   (agency.mail.smtp);
4. each reminder due is reserved in the ledger (pending), its PDF written, then marked issued;
5. an issued reminder whose PDF is gone is rendered again and written back if the bytes are the
   issued ones (its recorded sha256).
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
from ..ledger import Delivery, InvoiceRecord, ReminderRecord
from ..ledger.messages import SENT
from ..ledger.reminders import ISSUED, PENDING, reminder_key
from ..payments.match import Unmatched, payers
from ..payments.receivables import Standing
from ..payments.reminders import Reminder, due_reminders, is_final
from ..payments.settle import Settled, client_ids, settle

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
    restored: tuple[tuple[str, bool], ...] = ()  # issued PDFs found gone: (path, written back as issued)


def remind(workspace: Path, config: Config, bookings: pd.DataFrame, today: date, *,
           only: str | None = None) -> RemindRun:
    """Issue the reminders due on `today` (of client `only`, or all)."""
    rule = config.agency.reminders
    if rule is None:
        raise Refused("rates.yaml has no agency.reminders — add `reminders: {after_days: [7, 21, 35], "
                      "fee: \"5.00\"}` under agency: the days past due of each level, and the fee from the second "
                      "(README: Payment reminders)")
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
            why = _held(due, settled, config, ledger.deliveries(conn, ledger.SCHEMA_VERSION), _highest(before))
            issued = [_issue(conn, workspace, config, _record(d, invoices[d.number], before, today),
                             invoices[d.number], rule, reserve=True) for d in due if d.number not in why]
            restored = _restored(workspace, config, before, invoices, rule)
        finally:
            conn.close()
    return RemindRun(tuple(finished + issued), tuple(Held(d.number, d.client, why[d.number]) for d in due
                                                     if d.number in why),
                     settled.recorded, settled.unmatched, restored=restored)


def _held(due: list[Reminder], settled: Settled, config: Config, delivered: dict[str, Delivery],
          before: dict[str, int]) -> dict[str, str]:
    """Invoice number -> why its reminder due is held back: its client is gone from rates.yaml, a
    booking not matched yet may pay it, or — where invoices are mailed (agency.mail.smtp) — the
    invoice itself, or its last reminder (`before`: its level), never reached the client: a
    reminder says "we have reminded you before" only when the client has one."""
    maybe = _maybe_paid(settled.unmatched, settled.standings, config)
    mail = config.agency.mail
    mailing = mail is not None and mail.smtp is not None and not mail.outbox
    found = {}
    for d in due:
        if d.client not in config.clients:
            found[d.number] = f"client {d.client} is no longer in rates.yaml: put it back to remind it"
        elif d.number in maybe:
            found[d.number] = (f"the booking {maybe[d.number]} may pay it; if it does: `auftakt-batch payments "
                               f"--match {maybe[d.number]} {d.number}`, then remind again")
        elif mailing and getattr(delivered.get(d.number), "state", None) != SENT:
            found[d.number] = ("the invoice itself was never delivered (`auftakt-batch invoices` shows its mailing): "
                               "send it first (`auftakt-batch send`), then remind again")
        elif mailing and (level := before.get(d.number)) and \
                getattr(delivered.get(reminder_key(d.number, level)), "state", None) != SENT:
            found[d.number] = (f"its reminder {level} was never delivered: send it first (`auftakt-batch send`), "
                               "then remind again")
    return found


def _restored(workspace: Path, config: Config, reminders: list[ReminderRecord], invoices: dict[str, InvoiceRecord],
              rule: Reminders) -> tuple[tuple[str, bool], ...]:
    """Each issued reminder whose PDF is gone, rendered again: (its path, whether the bytes are the
    issued ones — then it is written back; else the templates changed since and it is not)."""
    found = []
    for r in reminders:
        target = workspace / r.pdf_path
        if r.status != ISSUED or target.exists() or r.client_key not in config.clients:
            continue
        data = _pdf(workspace, config, r, invoices[r.number], rule)
        same = hashlib.sha256(data).hexdigest() == r.pdf_sha256
        if same:
            write_bytes_atomically(target, data, "pdf")
        found.append((r.pdf_path, same))
    return tuple(found)


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
    key = reminder_key(due.number, due.level)
    return ReminderRecord(
        number=due.number, level=due.level, client_key=due.client, period=invoice.period, issue_date=today,
        pay_by=today + timedelta(days=PAY_WITHIN_DAYS), days_overdue=due.days_overdue, paid=due.paid, open=due.open,
        fee=due.fee, fees_before=sum((r.fee for r in before if r.number == due.number), ZERO),
        currency=due.currency, pdf_path=f"output/{invoice.period}/reminders/{key}.pdf")


def _pdf(workspace: Path, config: Config, r: ReminderRecord, invoice: InvoiceRecord, rule: Reminders) -> bytes:
    """The reminder's PDF: the same bytes for the same reminder, templates and labels."""
    from ..render.reminder import reminder_html

    templates = workspace / "templates"
    stamped_at = datetime.combine(r.issue_date, time(12), ZoneInfo(config.agency.timezone))
    html = reminder_html(r, invoice, config, templates, stamped_at=stamped_at, final=is_final(r.level, rule))
    return render_pdf(html, templates, stamped_at)


def render_pdf(html: str, templates: Path, stamped_at: datetime) -> bytes:
    """WeasyPrint's PDF of a reminder's page (the tests that read no PDF put a stand-in here)."""
    from ..render.pdf import pdf_bytes

    return pdf_bytes(html, templates, stamped_at)


def _issue(conn: sqlite3.Connection, workspace: Path, config: Config, r: ReminderRecord, invoice: InvoiceRecord,
           rule: Reminders, reserve: bool = False) -> ReminderRecord:
    """Reserve `r` (unless a killed run did), write its PDF, mark it issued."""
    if reserve:
        ledger.record_reminder(conn, r)
        crash_point("reminder-reserved")
    data = _pdf(workspace, config, r, invoice, rule)
    write_bytes_atomically(workspace / r.pdf_path, data, "pdf")
    crash_point("reminder-written")
    sha = hashlib.sha256(data).hexdigest()
    ledger.mark_reminded(conn, r, sha)
    return replace(r, status=ISSUED, pdf_sha256=sha)
