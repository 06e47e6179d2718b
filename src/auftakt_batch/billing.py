"""The billing run: check, then issue one invoice per client with unbilled billable time.

Needs: a workspace and a period. Gives: invoices in the ledger and as PDFs, and what was
skipped and why. The issue protocol makes a crash harmless: the number, the invoice (as
pending) and its entries are recorded in one transaction; the PDF is written to a temporary
file, synced and renamed into place; only then is the invoice marked issued with the PDF's
hash. A run finds pending invoices first and finishes them with the same number and content.
A lock file keeps two runs from writing at once.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from . import ledger
from .config import Config, load_config
from .invoices import Draft, draft_invoices
from .periods import Period
from .pipeline import CheckRun, check, local_today
from .pricing import price
from .render.invoice import Issue, invoice_html
from .render.pdf import write_pdf
from .schemas import Entries as E

FAULT = "AUFTAKT_FAULT"  # tests set it to a step name to crash the run right after that step


class Busy(Exception):
    """Another billing run holds the workspace's lock."""


@dataclass(frozen=True)
class Issued:
    number: str
    client_key: str
    hours: Decimal
    net: Decimal
    gross: Decimal
    currency: str
    pdf: Path
    finished: bool = False  # a pending invoice of an earlier, interrupted run


@dataclass(frozen=True)
class BillRun:
    check: CheckRun
    issued: tuple[Issued, ...]
    skipped: tuple[tuple[str, str], ...]  # (client key, why)
    stopped: str | None  # why no invoice at all was written, if so


def bill(workspace: Path, period: Period, today: date | None = None, only: str | None = None,
         strict: bool = False, draft: bool = False) -> BillRun:
    """Issue the period's invoices; with `draft`, render them watermarked into drafts/ instead,
    touching neither the ledger nor the series."""
    run = check(workspace, period, today)
    if (reason := _stop_reason(run, strict)) is not None:
        return BillRun(run, (), (), reason)
    config = run.config
    today = today or local_today(config.agency.timezone)
    path = workspace / "output" / "ledger.sqlite"
    if draft:  # reads the ledger if there is one, never writes or creates it
        to_bill, skipped = _to_bill(run, period, only, _billed_if_any(path))
        drafted = tuple(_render_draft(d, workspace, config, today) for d in to_bill)
        return BillRun(run, drafted, skipped, None)
    with locked(workspace / "output" / ".billing.lock"):
        conn = ledger.connect(path)
        try:
            issued = [_finish(conn, number, workspace, config) for number in _pending(conn)]
            to_bill, skipped = _to_bill(run, period, only, ledger.billed_entries(conn))
            issued += [_issue(conn, d, workspace, config, today) for d in to_bill]
        finally:
            conn.close()
    return BillRun(run, tuple(issued), skipped, None)


def _to_bill(run: CheckRun, period: Period, only: str | None, billed) -> tuple[list[Draft], tuple]:
    """(drafts to issue, (client, why) skipped): sound, unbilled entries; held-back clients skipped."""
    held, _ = run.held_back()
    sound = run.entries[~run.with_errors() & run.entries[E.date].notna()]
    unbilled = sound[~sound[E.entry_id].isin(billed)]
    drafts = [d for d in draft_invoices(price(unbilled, run.config), run.config, period)
              if only in (None, d.client_key)]
    skipped = tuple((d.client_key, "held back by errors in its entries") for d in drafts if d.client_key in held)
    return [d for d in drafts if d.client_key not in held], skipped


def _billed_if_any(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    conn = ledger.connect(path)
    try:
        return ledger.billed_entries(conn)
    finally:
        conn.close()


@dataclass(frozen=True)
class ClientStatus:
    client_key: str
    name: str
    unbilled_hours: Decimal
    unbilled_value: Decimal
    currency: str
    last_invoice: str | None
    last_date: date | None
    held_back: bool


def status(workspace: Path, period: Period, today: date | None = None) -> tuple[CheckRun, list[ClientStatus]]:
    """Every client's unbilled time in the period (at the price an invoice would have) and last invoice."""
    run = check(workspace, period, today)
    if run.config is None:
        return run, []
    path = workspace / "output" / "ledger.sqlite"
    records, billed = [], {}
    if path.exists():
        conn = ledger.connect(path)
        records, billed = ledger.invoices(conn, "issued"), ledger.billed_entries(conn)
        conn.close()
    sound = run.entries[run.entries[E.date].notna()]
    unbilled = sound[~sound[E.entry_id].isin(billed)]
    drafts = {d.client_key: d for d in draft_invoices(price(unbilled, run.config), run.config, period)}
    last = {r.client_key: r for r in records}
    held, everyone = run.held_back()
    return run, [
        ClientStatus(key, client.name, drafts[key].hours if key in drafts else Decimal(0),
                     drafts[key].net if key in drafts else Decimal("0.00"), client.currency,
                     last[key].number if key in last else None, last[key].issue_date if key in last else None,
                     everyone or key in held)
        for key, client in run.config.clients.items() if client.billable
    ]


def _stop_reason(run: CheckRun, strict: bool) -> str | None:
    if run.config is None:
        return "rates.yaml has errors"
    if run.unreadable:
        return (f"{', '.join(run.unreadable)} cannot be read; any client may be in it, so no invoice is written")
    if strict and not run.ok:
        return "--strict: there are errors"
    if run.held_back()[1]:
        return "there are errors that cannot be tied to one client (see above), so no invoice is written"
    return None


def _issue(conn, draft: Draft, workspace: Path, config: Config, today: date) -> Issued:
    issued_at, due = _times(config, today)
    number = ledger.record_pending(conn, config.agency.invoice_number, draft, kind="invoice", issue_date=today,
                                   due_date=due, issued_at=issued_at)
    _fault("pending")
    return _render_and_mark(conn, number, draft, workspace, config, Issue(number, today, due, issued_at))


def _render_draft(draft: Draft, workspace: Path, config: Config, today: date) -> Issued:
    issued_at, due = _times(config, today)
    issue = Issue("DRAFT", today, due, issued_at, draft=True)
    templates = workspace / "templates"
    target = workspace / "output" / draft.period.label / "drafts" / f"DRAFT-{draft.client_key}.pdf"
    write_pdf(invoice_html(draft, config, issue, templates), templates, target, issued_at)
    return Issued("DRAFT", draft.client_key, draft.hours, draft.net, draft.gross, draft.currency, target)


def _times(config: Config, today: date) -> tuple[datetime, date]:
    """(the pinned issue time — noon of the issue day, agency time —, the due date)."""
    issued_at = datetime.combine(today, time(12), ZoneInfo(config.agency.timezone))
    return issued_at, today + timedelta(days=config.agency.payment_terms_days)


def _finish(conn, number: str, workspace: Path, config: Config) -> Issued:
    s = ledger.stored_draft(conn, number)
    issue = Issue(number, s.issue_date, s.due_date, s.issued_at, kind=s.kind, refers_to=s.refers_to, reason=s.reason)
    issued = _render_and_mark(conn, number, s.draft, workspace, config, issue)
    return Issued(**{**issued.__dict__, "finished": True})


def void(workspace: Path, number: str, reason: str, today: date | None = None) -> Issued:
    """Cancel an issued invoice with a credit note: its own number, the same lines negated, a
    reference to the original. The original stays as it is (marked void); its entries become
    billable again. Raises ledger.NotVoidable for anything but an issued invoice."""
    config, problems = load_config(workspace / "rates.yaml")
    if config is None:
        raise ledger.NotVoidable("rates.yaml has errors: " + "; ".join(map(str, problems)))
    today = today or local_today(config.agency.timezone)
    with locked(workspace / "output" / ".billing.lock"):
        conn = ledger.connect(workspace / "output" / "ledger.sqlite")
        try:
            original = ledger.stored_draft(conn, number).draft
            credit = replace(original, lines=tuple(replace(line, quantity=-line.quantity, amount=-line.amount,
                                                           entry_ids=()) for line in original.lines))
            issued_at, _ = _times(config, today)
            note = ledger.record_pending(conn, config.agency.invoice_number, credit, kind="credit-note",
                                         issue_date=today, due_date=today, issued_at=issued_at, refers_to=number,
                                         reason=reason)
            issue = Issue(note, today, today, issued_at, kind="credit-note", refers_to=number, reason=reason)
            return _render_and_mark(conn, note, credit, workspace, config, issue)
        finally:
            conn.close()


def _render_and_mark(conn, number: str, draft: Draft, workspace: Path, config: Config, issue: Issue) -> Issued:
    templates = workspace / "templates"
    target = invoice_path(workspace, draft.period, number, draft.client_key)
    sha = write_pdf(invoice_html(draft, config, issue, templates), templates, target, issue.issued_at)
    _fault("pdf")
    ledger.mark_issued(conn, number, target.relative_to(workspace).as_posix(), sha)
    return Issued(number, draft.client_key, draft.hours, draft.net, draft.gross, draft.currency, target)


def invoice_path(workspace: Path, period: Period, number: str, client_key: str) -> Path:
    return workspace / "output" / period.label / "invoices" / f"{number}-{client_key}.pdf"


def _pending(conn) -> list[str]:
    return [record.number for record in ledger.invoices(conn, "pending")]


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` for the block; raise Busy at once if another run has it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy(f"another billing run is writing to {path.parent} — wait for it to finish") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _fault(step: str) -> None:
    if os.environ.get(FAULT) == step:
        os._exit(99)  # a crash, as the tests need it: no cleanup, no exception handlers
