"""`send`: mail each issued, unsent invoice and credit note to its client, with its PDF (and its
XRechnung XML where the client gets one), and each payment reminder `remind` issued, with its PDF
and the invoice's. A reminder whose invoice was paid (more) since it was issued, or cancelled, is
not sent unless asked (`again` its key, NUMBER-reminder-LEVEL).

Never twice: under the billing lock, each message is recorded in the ledger before the SMTP
transaction ('sending') and after it ('sent' or 'failed'); an invoice with a sent message, or
one left 'sending' by a run that stopped in between (delivery unknown), is not sent again
unless asked (`again`). A void invoice is not sent, and neither is the credit note that cancels
an invoice never sent (the client never saw either). With `dry_run` (or agency.mail.outbox)
the messages are written as .eml files to output/<period>/outbox/ and nothing is recorded.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from .. import ledger
from ..billing import client_key, config_errors, locked
from ..config import Config, load_config
from ..errors import BadArgument, CannotIssue, Refused
from ..files import crash_point, write_bytes_atomically
from ..ledger import Delivery, InvoiceRecord, ReminderRecord
from ..ledger.messages import SENDING, SENT
from ..payments.reminders import is_final
from ..payments.settle import arriving
from ..periods import Period, parse_period
from ..render.invoice import LabelsError, load_labels
from .message import Attachment, BadTemplate, Outgoing, compose, letter, reminder_values, values
from .smtp import PASSWORD_VARIABLE, NotSent, Session

__all__ = ["BadTemplate", "NotSendable", "SendRun", "send"]


class NotSendable(BadArgument):
    """--again names no invoice that can be sent."""

    argument = "--again"


@dataclass(frozen=True)
class Result:
    number: str
    client_key: str
    to: str  # the recipients, as shown
    state: str  # sent | failed | sending (delivery unknown) | outbox (written as .eml)
    note: str | None = None  # an error or a warning, one line
    path: Path | None = None  # the .eml written


@dataclass(frozen=True)
class SendRun:
    results: tuple[Result, ...]
    unknown: tuple[str, ...]  # invoices left 'sending' by an earlier run, not sent again
    outbox: bool  # written as .eml files, not sent

    @property
    def failed(self) -> bool:
        """Whether any invoice was not sent as asked (a refused recipient too): the exit code says so."""
        return any(r.note for r in self.results)


def send(workspace: Path, now: datetime, *, period: Period | None = None, only: str | None = None,
         dry_run: bool = False, again: str | None = None, bookings: pd.DataFrame | None = None) -> SendRun:
    """Send (or with `dry_run` write) the messages; per-invoice failures are in the results.
    `bookings` (input/bank/'s, schemas.Bookings): a reminder of an invoice they pay is not sent."""
    config, problems = load_config(workspace / "rates.yaml")
    if config is None:
        raise CannotIssue(config_errors(problems))
    mail = config.agency.mail
    if mail is None:
        raise Refused("rates.yaml has no agency.mail — add `mail: {from: …, smtp: {host: …, port: 587, security: "
                      "starttls, user: …}}` under agency (README: Sending invoices)")
    client = client_key(config, only)
    path = workspace / "output" / "ledger.sqlite"
    with locked(workspace / "output" / ".billing.lock"):
        paying = arriving(path, bookings, config, now.date()) if bookings is not None and path.exists() else {}
        paid = ledger.read_paid(path)
        if dry_run or mail.outbox or mail.smtp is None:
            invoices = ledger.read_invoices(path)
            chosen, unknown = _chosen(invoices, ledger.read_reminders(path), ledger.read_deliveries(path), period,
                                      client, again)
            run = _Run(workspace, config, {r.number: r for r in invoices}, now, again is not None, paid, paying)
            return SendRun(tuple(_write(run, r) for r in chosen), unknown, outbox=True)
        session = Session(mail.smtp, os.environ.get(PASSWORD_VARIABLE))
        conn = ledger.connect(path)
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            invoices = ledger.invoices(conn)
            chosen, unknown = _chosen(invoices, ledger.reminders(conn, version), ledger.deliveries(conn, version),
                                      period, client, again)
            run = _Run(workspace, config, {r.number: r for r in invoices}, now, again is not None, paid, paying)
            return SendRun(tuple(_send(conn, session, run, r) for r in chosen), unknown,
                           outbox=False)
        finally:
            session.close()
            conn.close()



Document = InvoiceRecord | ReminderRecord


def _chosen(records: list[InvoiceRecord], reminders: list[ReminderRecord], delivered: dict[str, Delivery],
            period: Period | None, client: str | None, again: str | None) -> tuple[list[Document], tuple[str, ...]]:
    """What to send: `again` alone, or every issued invoice, credit note and reminder of the period
    (a reminder's: its invoice's) and client with no message yet that counts — of an invoice's
    reminders only its latest: it supersedes the ones before —; and the documents whose delivery is
    unknown."""
    latest = {r.number: r for r in reminders if r.status == "issued"}  # by level: a later one supersedes
    documents: list[Document] = [*records, *latest.values()]
    every: list[Document] = [*records, *reminders]
    by_key = {r.key: r for r in every}
    if again is not None:
        record = by_key.get(again)
        if record is None or record.status != "issued":
            state = "is not in the ledger" if record is None else f"is {record.status}"
            raise NotSendable(f"{again} {state}: only an issued invoice, credit note or reminder (NUMBER-reminder-"
                              "LEVEL) can be sent")
        return [record], ()
    wanted = [r for r in documents if (period is None or _overlaps(parse_period(r.period), period))
              and (client is None or r.client_key == client)]
    unknown = tuple(r.key for r in wanted if (d := delivered.get(r.key)) and d.state == SENDING)
    chosen = [r for r in wanted if r.status == "issued" and (r.key not in delivered or
                                                              delivered[r.key].state not in (SENT, SENDING))]
    never_seen = {r.number for r in records if r.status == "void" and r.number not in delivered}
    return [r for r in chosen if isinstance(r, ReminderRecord) or r.refers_to not in never_seen], unknown


def _overlaps(a: Period, b: Period) -> bool:
    return a.start <= b.end and b.start <= a.end


@dataclass(frozen=True)
class _Run:
    workspace: Path
    config: Config
    invoices: dict[str, InvoiceRecord]  # by number
    now: datetime
    again: bool  # asked for by name: a reminder goes out even if its invoice was paid since
    paid: dict[str, Decimal]  # invoice number -> what the ledger's payments paid of it
    paying: dict[str, Decimal]  # invoice number -> what input/bank/'s bookings not recorded yet pay of it


def _prepared(run: _Run, record: Document) -> Outgoing | Result:
    """The message of `record`, or a failed Result saying why it cannot be made."""
    workspace, config = run.workspace, run.config
    client = config.clients.get(record.client_key)
    if client is None or not client.email:
        why = ("is no longer in rates.yaml — put it back" if client is None else
               f"has no email in rates.yaml — add `email: ap@…` to clients.{record.client_key}")
        return Result(record.key, record.client_key, "", "failed", f"not sent: client {record.client_key} {why}")
    invoice = run.invoices[record.number]
    stale = _stale(run, record, invoice) if isinstance(record, ReminderRecord) and not run.again else None
    attachments = _attachments(workspace, record, client.einvoice == "xrechnung")
    if isinstance(record, ReminderRecord) and not isinstance(attachments, str):
        attached = _attachments(workspace, invoice, False)  # the invoice it reminds of, again
        attachments = attached if isinstance(attached, str) else attachments + attached
    if stale or isinstance(attachments, str):
        return Result(record.key, record.client_key, client.email, "failed", stale or str(attachments))
    assert config.agency.mail is not None  # send() checked
    templates = workspace / "templates"
    try:
        labels = load_labels(templates)
        written = (letter(templates, client.language, values(record, client, config.agency.name, labels))
                   if isinstance(record, InvoiceRecord) else
                   letter(templates, client.language, reminder_values(record, invoice, client, config.agency.name,
                                                                      labels, final=is_final(record.level,
                                                                                             config.agency.reminders)),
                          "reminder"))
        return compose(record, client, config.agency.mail, written, attachments=attachments,
                       now=run.now.astimezone(ZoneInfo(config.agency.timezone)))
    except (BadTemplate, LabelsError) as exc:  # email.LANG.txt, or labels.yaml (the words for "invoice")
        return Result(record.key, record.client_key, client.email, "failed", f"not sent: {exc}")



def _stale(run: _Run, reminder: ReminderRecord, invoice: InvoiceRecord) -> str | None:
    """Why a reminder must not go out as it is: its invoice was cancelled, or paid (more) since —
    as the ledger records, or by a booking in input/bank/ not recorded yet."""
    if invoice.status != "issued":
        return f"not sent: invoice {invoice.number} was cancelled since this reminder was issued"
    if run.paying.get(invoice.number):
        return (f"not sent: a booking in input/bank/ pays {run.paying[invoice.number]:,.2f} {reminder.currency} of "
                f"invoice {invoice.number}, not recorded yet — run `auftakt-batch payments`, then `send` (or "
                f"`auftakt-batch send --again {reminder.key}` to send it anyway)")
    paid = run.paid.get(invoice.number)
    if paid is not None and paid > reminder.paid:
        return (f"not sent: {paid - reminder.paid:,.2f} {reminder.currency} of invoice {invoice.number} was paid since "
                f"this reminder was issued — `auftakt-batch remind` again if it is still overdue, or send it anyway "
                f"with `auftakt-batch send --again {reminder.key}`")
    return None


def _attachments(workspace: Path, record: Document, xrechnung: bool) -> tuple[Attachment, ...] | str:
    """The PDF the ledger names (checked against its recorded hash) and the XRechnung file beside it."""
    import hashlib

    pdf = workspace / (record.pdf_path or "")
    try:
        data = pdf.read_bytes()
    except OSError:
        again = " (or `auftakt-batch remind` writes it again)" if isinstance(record, ReminderRecord) else ""
        return f"not sent: its PDF {record.pdf_path} is gone — restore it from a backup{again}"
    if record.pdf_sha256 and hashlib.sha256(data).hexdigest() != record.pdf_sha256:
        return f"not sent: its PDF {record.pdf_path} was changed since it was issued — restore the issued one"
    found = [Attachment(name=pdf.name, subtype="pdf", data=data)]
    xml = pdf.with_suffix(".xrechnung.xml")
    if xrechnung and xml.is_file():
        found.append(Attachment(name=xml.name, subtype="xml", data=xml.read_bytes()))
    return tuple(found)


def _write(run: _Run, record: Document) -> Result:
    outgoing = _prepared(run, record)
    if isinstance(outgoing, Result):
        return outgoing
    target = run.workspace / "output" / record.period / "outbox" / f"{record.key}-{record.client_key}.eml"
    write_bytes_atomically(target, outgoing.data)
    return Result(record.key, record.client_key, ", ".join(outgoing.recipients), "outbox", path=target)


def _send(conn: sqlite3.Connection, session: Session, run: _Run, record: Document) -> Result:
    outgoing = _prepared(run, record)
    if isinstance(outgoing, Result):
        return outgoing
    to = ", ".join(outgoing.recipients)
    try:
        session.ready()
    except NotSent as exc:
        return Result(record.key, record.client_key, to, "failed", f"not sent: {exc}")
    level = record.level if isinstance(record, ReminderRecord) else None
    ledger.record_sending(conn, record.number, outgoing.message_id, outgoing.recipients, level)
    crash_point("sending")
    outcome = session.transmit(outgoing)
    if outcome.state != SENDING:
        ledger.record_outcome(conn, outgoing.message_id, outcome.state)
    crash_point("sent")
    return Result(record.key, record.client_key, to, outcome.state, outcome.problem)
