"""The billing run: check, then issue one invoice per client with unbilled billable time.

Needs: a workspace and a period. Gives: invoices in the ledger and as PDFs, and what was
skipped and why. The issue protocol makes a crash harmless: the number, the invoice (as
pending) and its entries are recorded in one transaction; the PDF is written to a temporary
file, synced and renamed into place; only then is the invoice marked issued with the PDF's
hash. A run finds pending invoices first and finishes them with the same number and content.
A lock file keeps two runs from writing at once.

The PDFs are written by a `renderer` (render.pdf.Renderer): WeasyPrint's `write_pdfs` unless
`bill` or `void` is given another. It is looked up when they run, not when they are defined, so
tests/conftest.py's stand-in takes its place for the tests that read no PDF, the CLI's included.
"""

from __future__ import annotations

import fcntl
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import chain
from pathlib import Path, PurePosixPath
from typing import NamedTuple, Protocol
from zoneinfo import ZoneInfo

import pandas as pd
from jinja2 import TemplateError

from .. import ledger
from ..check.decisions import review_applied
from ..check.expense_decisions import BilledAsReviewed, billed_as_reviewed
from ..check.tracker import UNAPPROVED
from ..config import Config, load_config
from ..einvoice.cii import FACTURX, XRECHNUNG, Document, cii_xml
from ..errors import BadArgument, Busy, CannotIssue, Unwritten
from ..files import crash_point, sweep_orphans
from ..ledger.backups import backup
from ..periods import Period
from ..pipeline import billable_now, check, check_before
from ..pricing.expenses import billable_expenses
from ..pricing.invoices import Draft, draft_invoices
from ..pricing.models import Ledgered, lost_milestones, needs_history, retainer_use
from ..problems import Problem, plural
from ..render import pdf
from ..render.confined import TemplateRefused, read_within
from ..render.invoice import LABELS, Issue, LabelsError, invoice_html, load_labels, template_error
from ..render.pdf import Job, Renderer, write_pdfs
from ..reports import Report
from ..reports.before import Before
from ..reports.kept import Snapshot, snapshot
from ..reports.kept import found as found_kept
from ..reports.reasons import Unbilled, not_billed
from ..run import CheckRun
from ..schemas import Entries as E
from ..schemas import Expenses as X
from ..schemas import PricedEntries as P
from ..schemas import ReviewedEntries as V
from ..schemas import added
from .meanwhile import Meanwhile


class UnknownClient(BadArgument):
    """--client names no client of rates.yaml."""

    argument = "--client"


def _client(run: CheckRun, only: str | None) -> str | None:
    return only if run.config is None else client_key(run.config, only)


def client_key(config: Config, only: str | None) -> str | None:
    """The client key `--client` means (its key, name or an alias); UnknownClient if none."""
    if only is None:
        return None
    key = config.client_names.get(only)
    if key is None:
        raise UnknownClient(f"no client {only!r} in rates.yaml — {config.client_names.suggestion(only, 'clients')}")
    return key


@dataclass(frozen=True, kw_only=True)
class Issued:
    number: str
    client_key: str
    hours: Decimal
    net: Decimal
    gross: Decimal
    currency: str
    pdf: Path
    finished: bool = False  # a pending invoice of an earlier, interrupted run
    follows: tuple[str, ...] = ()  # the client's earlier invoices of the period: these are late entries
    sha256: str | None = None


class Skipped(NamedTuple):
    client_key: str
    why: str


@dataclass(frozen=True, kw_only=True)
class BillRun:
    check: CheckRun
    issued: tuple[Issued, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    stopped: str | None = None  # why no new invoice was written, if so
    later: str | None = None  # billable time dated after today, left for a later run
    review: str | None = None  # what the review workbook changed
    report: Report | None = None  # the profitability workbook, written after the invoices
    unbilled: tuple[Unbilled, ...] = ()  # the period's entries this run did not bill, by reason
    unwritten: str | None = None  # why that workbook could not be written (another program holds it)


@dataclass(frozen=True)
class _Todo:
    draft: Draft
    issue: Issue
    finished: bool = False
    follows: tuple[str, ...] = ()
    job: Job | None = None  # its documents, if already made


class Progress(Protocol):
    """Hears how far the PDFs are: `start` with how many there will be, `advance` as each is done."""

    def start(self, total: int) -> None: ...

    def advance(self, issued: Issued) -> None: ...


def bill(workspace: Path, period: Period, today: date, *, only: str | None = None,  # noqa: PLR0913  # the options
         strict: bool = False, draft: bool = False, progress: Progress | None = None,  # of `bill`, each by name
         renderer: Renderer | None = None) -> BillRun:
    """Issue the period's invoices; with `draft`, render them watermarked into drafts/ instead,
    touching neither the ledger nor the series. `progress` hears of each PDF as it is done;
    `renderer` writes them (write_pdfs when None)."""
    if renderer is None and write_pdfs is pdf.write_pdfs:  # WeasyPrint's, not a stand-in: imported while we check
        pdf.start_early()
    if draft:
        return _drafts(workspace, period, today, only, strict, progress, renderer)
    with locked(workspace / "output" / ".billing.lock"):
        crash_point("locked")
        sweep_orphans(workspace / "output")  # no other run is writing: any temporary file is a crashed run's
        files = snapshot(workspace)  # the inputs as they are before the check reads them (reports/kept.py)
        run = check(workspace, period, today)  # under the lock: the ledger it compares with stays as read
        crash_point("checked")
        only = _client(run, only)
        reason, path = _stop_reason(run, strict), workspace / "output" / "ledger.sqlite"
        if run.config is None:
            return BillRun(check=run, stopped=reason)
        if reason and not path.exists():
            return BillRun(check=run, stopped=reason)
        config = run.config
        kept = kept_before(run, today, files)  # as a report of the ledger before this run kept them, if one did
        conn = ledger.connect(path)
        try:
            resumed = [_resume(conn, number) for number in _pending(conn)]  # a crashed run's invoices first
            to_bill = ToBill() if reason else _to_bill(run, period, only, today, ledger.model_state(conn))
            drafts = to_bill.drafts
            months_before: CheckRun | Callable[[], Before] | None = (  # as kept, unless a resumed invoice
                to_bill.before if kept is None or resumed else lambda: kept)  # may be of those months
            meanwhile = Meanwhile(run, months_before, today)  # the report, prepared while the PDFs render
            run = run.without_inputs()  # a year's raw entries: the report's check of the months before reads them
            if resumed or drafts:
                first = resumed[0] if resumed else _provisional(conn, drafts[0], config, today)
                _document(first.draft, first.issue, config, workspace)  # a template that fails, fails here
                backup(conn, path)  # before the first write
                earlier = ledger.live_invoices(ledger.invoices(conn), period)  # before this run
                todo = chain(resumed, _reserved(conn, drafts, config, today, earlier, workspace))
                try:
                    issued = _render(todo, len(resumed) + len(drafts), workspace, config, _marker(conn, workspace),
                                     progress, renderer, reserved=meanwhile.start)
                except Exception:
                    meanwhile.discard()
                    raise
                meanwhile.wait()
                backup(conn, path)  # and after: the newest backup is the ledger as this run left it
            else:
                issued = ()
        finally:
            conn.close()
        return _reported(BillRun(check=run, issued=issued, skipped=to_bill.skipped, stopped=reason,
                                 later=to_bill.later, review=to_bill.review,
                                 unbilled=() if reason else not_billed(run, today, only)), meanwhile)


def kept_before(run: CheckRun, today: date, files: Snapshot | None) -> Before | None:
    """What the months before the run's period give the figures, as a `report` or `status` kept them
    (reports/kept.py) for the inputs the run read (`files`: as they were before it read them) and the
    ledger as it is before this run writes it, if one did. The invoices this run reserves are of its
    period and hold no entry of the months before, so their figures are the same once those are
    issued (tests/test_kept_before.py)."""
    return None if run.ingested is None else found_kept(run.workspace, run.period, run.ingested, today, files)[1]


def _drafts(workspace: Path, period: Period, today: date, only: str | None, strict: bool,
            progress: Progress | None, renderer: Renderer | None) -> BillRun:
    run = check(workspace, period, today)  # reads the ledger if there is one, never writes or creates it
    only = _client(run, only)
    if (reason := _stop_reason(run, strict)) is not None:
        return BillRun(check=run, stopped=reason)
    to_bill = _to_bill(run, period, only, today, ledger.read_model_state(workspace / "output" / "ledger.sqlite"))
    config = run.loaded_config()
    stamped_at, due = _times(config, today)
    todo = [_Todo(d, Issue("DRAFT", today, due, stamped_at, draft=True)) for d in to_bill.drafts]
    folder = workspace / "output" / period.label / "drafts"
    for stale in folder.glob(f"DRAFT-{only or '*'}.pdf"):  # a draft of an earlier run must not pass for this one
        stale.unlink()
    issued = _render(todo, len(todo), workspace, config, lambda issued: None, progress, renderer)
    return BillRun(check=run, issued=issued, skipped=to_bill.skipped, later=to_bill.later, review=to_bill.review,
                   unbilled=not_billed(run, today, only))


def _reported(result: BillRun, meanwhile: Meanwhile) -> BillRun:
    """The run with its profitability workbook, the ledger as it now is — unless it stopped
    before issuing anything (then the workbook stays as it was; drafts never come here). One
    that cannot be written (open in another program) leaves what the run issued as it is, and
    says so."""
    if result.stopped and not result.issued:
        return result
    try:
        return replace(result, report=meanwhile.report().place())
    except Unwritten as exc:
        return replace(result, unwritten=str(exc))


class ToBill(NamedTuple):
    drafts: tuple[Draft, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    later: str | None = None  # what waits: billable time dated after today
    review: str | None = None  # what the review workbook changed
    before: CheckRun | None = None  # the check of the days before the period, if the retainers needed it


def _to_bill(run: CheckRun, period: Period, only: str | None, today: date, state: Ledgered) -> ToBill:
    """The drafts to issue, the clients skipped and why, what waits, what the review changed: sound,
    unbilled entries up to today as the review workbook decided — work dated later is not done yet, a later
    run bills it; held-back clients skipped; entries the tracker has not approved (with
    imports.require_approval) only where the reviewer typed yes."""
    config = run.loaded_config()
    lost = lost_milestones(config, state.charged)  # clients whose billing waits for rates.yaml
    held = run.held_back().clients | frozenset(lost)
    unbilled = billable_now(run)
    if only is not None:
        unbilled = unbilled[unbilled[E.client_key].eq(only)]
    future = unbilled[E.date].gt(pd.Timestamp(today))
    priced = unbilled[~future & ~unbilled[E.client_key].isin(held)]
    priced = priced[priced[E.tracker_hold].ne(UNAPPROVED)]  # the reviewer's yes has cleared it (pipeline)
    final = reviewed(priced, run.decisions)
    before = check_before(run, today) if needs_history(config, period) else None
    known = final if before is None else pd.concat([billable_now(before), final], ignore_index=True)
    clients = frozenset(k for k, c in config.clients.items() if c.billable and k not in held and only in (None, k))
    costs = _expenses(run, clients, today, state)
    drafts = draft_invoices(final, config, period, today=today, state=state, used=retainer_use(known, config, state),
                            clients=clients, expenses=costs.kept)
    nothing = [d for d in drafts if not d.net and any(line.quantity < 0 for line in d.lines)]  # written down in full
    paid = [d for d in drafts if d not in nothing]
    skipped = tuple(Skipped(key, lost.get(key, "held back by errors (listed above)")) for key in sorted(held)
                    if only in (None, key) and getattr(config.clients.get(key), "billable", True))
    skipped += tuple(Skipped(d.client_key, "nothing to pay: its hours are past a cap and written down in full — no "
                                           "invoice") for d in nothing)
    later = None
    if future.any():
        days = unbilled.loc[future, E.date]
        later = (f"{plural(int(future.sum()), 'billable entry', 'billable entries')} dated after today "
                 f"({days.min():%Y-%m-%d} .. {days.max():%Y-%m-%d}) wait for a run on or after their day")
    return ToBill(tuple(paid), skipped, later, _review_note(priced, final, costs.said),
                  before and before.without_inputs())


def _expenses(run: CheckRun, clients: frozenset[str], today: date, state: Ledgered) -> BilledAsReviewed:
    """The expenses to bill: without errors, of the clients billed, up to today, on no live invoice,
    as the review workbook decided."""
    x = run.expenses[~run.expenses_with_errors()]
    x = x[x[X.client_key].isin(clients) & x[X.date].le(pd.Timestamp(today))]
    return billed_as_reviewed(billable_expenses(x, run.loaded_config(), state.charged), run.expense_decisions,
                              run.loaded_config())


def _review_note(priced: pd.DataFrame, final: pd.DataFrame, costs: list[str] | None = None) -> str | None:
    held = priced[E.billable] & ~priced[E.entry_id].isin(final[E.entry_id])
    down = final[V.written_down_from].notna()
    if not held.any() and not down.any() and not costs:
        return None
    cut = int((final.loc[down, V.written_down_from] - final.loc[down, V.billed_s]).sum())
    parts = [f"{plural(int(held.sum()), 'entry', 'entries')} held back (left unbilled)"] if held.any() else []
    parts += [f"{plural(int(down.sum()), 'entry', 'entries')} written down by {cut / 3600:.2f} h"] if down.any() else []
    return f"{' and '.join(parts + (costs or []))}, as the review workbook says"


def reviewed(priced: pd.DataFrame, decisions: pd.DataFrame | None) -> pd.DataFrame:
    """The review's decisions applied: entries set to no left out, written-down hours billed as
    written down (`written_down_from` keeps the time before)."""
    review = review_applied(priced[P.entry_id], priced[P.billed_s], decisions)
    final = priced.assign(**{V.written_down_from: review.written_down_from, V.billed_s: review.billed_s})
    return added(V, final[~review.held.to_numpy()])


def _stop_reason(run: CheckRun, strict: bool) -> str | None:
    if run.config is None:
        return "rates.yaml has errors"
    try:
        load_labels(run.workspace / "templates")
    except LabelsError as exc:
        return str(exc)
    if run.unreadable:
        return (f"{', '.join(run.unreadable)} cannot be read; any client may be in it, so no invoice is written")
    if strict and not run.ok:
        return "--strict: there are errors"
    if run.held_back().everyone:
        return "there are errors that cannot be tied to one client (see above), so no invoice is written"
    return None


def _provisional(conn: sqlite3.Connection, draft: Draft, config: Config, today: date) -> _Todo:
    """The invoice `draft` would be if it were reserved now: its number is the series' next."""
    stamped_at, due = _times(config, today)
    number = ledger.next_number(conn, config.agency.invoice_number, today.year).number
    return _Todo(draft, Issue(number, today, due, stamped_at))


BATCH = 64  # the most invoices reserved in one transaction (ledger.record_all_pending)


def _reserved(conn: sqlite3.Connection, drafts: Sequence[Draft], config: Config, today: date,
              earlier: Mapping[str, Sequence[ledger.InvoiceRecord]], workspace: Path) -> Iterator[_Todo]:
    """Step 1 of the protocol for every draft, while the workers render the ones before: the first
    alone, so that they start on it at once, then twice as many at a time, up to BATCH. `earlier`:
    each client's live invoices of the period before this run (an invoice names those it follows)."""
    at, size = 0, 1
    with ledger.reserving(conn):
        while at < len(drafts):
            for todo in _reserve(conn, drafts[at:at + size], config, today, workspace):
                yield replace(todo, follows=_numbers(earlier.get(todo.draft.client_key, ())))
            at, size = at + size, min(2 * size, BATCH)


def _reserve(conn: sqlite3.Connection, drafts: Sequence[Draft], config: Config, today: date,
             workspace: Path) -> list[_Todo]:
    """The documents are made with the numbers the invoices will get (the lock keeps the series
    still), so one that cannot be made fails before a number is given out; then numbers, pending
    invoices and their entries, in one transaction."""
    stamped_at, due = _times(config, today)
    numbers = ledger.next_numbers(conn, config.agency.invoice_number, today.year, len(drafts))
    todos = [_Todo(d, Issue(n.number, today, due, stamped_at)) for d, n in zip(drafts, numbers, strict=True)]
    todos = [replace(t, job=_document(t.draft, t.issue, config, workspace)) for t in todos]
    ledger.record_all_pending(conn, config.agency.invoice_number, [(t.draft, t.issue.number) for t in todos],
                              kind="invoice", issue_date=today, due_date=due, stamped_at=stamped_at)
    crash_point("pending")
    return todos


def _resume(conn: sqlite3.Connection, number: str) -> _Todo:
    s = ledger.stored_draft(conn, number)
    original = ledger.stored_draft(conn, s.refers_to).issue_date if s.refers_to else None
    issue = Issue(number, s.issue_date, s.due_date, s.stamped_at, kind=s.kind, refers_to=s.refers_to, reason=s.reason,
                  refers_to_date=original)
    return _Todo(s.draft, issue, finished=True)


class Times(NamedTuple):
    """The time the PDF's metadata carries — noon of the issue day, agency time, so the same invoice
    always renders to the same bytes; the ledger records the real instant beside it — and the due date."""

    stamped_at: datetime
    due: date


def _times(config: Config, today: date) -> Times:
    stamped_at = datetime.combine(today, time(12), ZoneInfo(config.agency.timezone))
    return Times(stamped_at, today + timedelta(days=config.agency.payment_terms_days))


def _numbers(records: Iterable[ledger.InvoiceRecord]) -> tuple[str, ...]:
    return tuple(r.number for r in records)


def void(workspace: Path, number: str, reason: str, today: date, renderer: Renderer | None = None) -> Issued:
    """Cancel an issued invoice with a credit note: its own number, the same lines negated, a
    reference to the original. The original stays as it is (marked void); its entries become
    billable again. Raises ledger.NotVoidable for anything but an issued invoice."""
    config, problems = load_config(workspace / "rates.yaml")
    if config is None:
        raise CannotIssue(config_errors(problems))
    path = workspace / "output" / "ledger.sqlite"
    with locked(workspace / "output" / ".billing.lock"):
        conn = ledger.connect(path)
        try:
            stored = ledger.stored_draft(conn, number)
            ledger.voidable(conn, number)
            credit = credit_for(stored.draft)
            stamped_at, _ = _times(config, today)
            provisional = ledger.next_number(conn, config.agency.invoice_number, today.year).number
            issue = Issue(provisional, today, today, stamped_at, kind="credit-note", refers_to=number, reason=reason,
                          refers_to_date=stored.issue_date)
            job = _document(credit, issue, config, workspace)  # before anything is written
            backup(conn, path)
            ledger.record_pending(conn, config.agency.invoice_number, credit, kind="credit-note", issue_date=today,
                                  due_date=today, stamped_at=stamped_at, refers_to=number, reason=reason,
                                  expect=provisional)
            crash_point("pending")
            (issued,) = _render([_Todo(credit, issue, job=job)], 1, workspace, config, _marker(conn, workspace),
                                renderer=renderer)
            backup(conn, path)
            return issued
        finally:
            conn.close()


def config_errors(problems: list[Problem]) -> str:
    """Why a command that writes does nothing while rates.yaml does not load: its first error, in one line."""
    more = f" (and {plural(len(problems) - 1, 'more error')}: `auftakt-batch check` lists them)" \
        if len(problems) > 1 else ""
    return f"rates.yaml has errors — correct them first: {problems[0]}{more}"


def credit_for(original: Draft) -> Draft:
    """The credit note's draft: the original's lines negated, with no charge (they become free)."""
    return replace(original, lines=tuple(replace(line, quantity=_negated(line.quantity), amount=_negated(line.amount),
                                                 charges=()) for line in original.lines))


def _negated(value: Decimal) -> Decimal:
    return Decimal(0) - value  # a zero stays 0.00: -value would print a free line as -0.00


def _render(todo: Iterable[_Todo], count: int, workspace: Path, config: Config,  # noqa: PLR0913  # bill's, void's
            done: Callable[[Issued], None], progress: Progress | None = None, renderer: Renderer | None = None,
            reserved: Callable[[Mapping[str, Path]], None] | None = None) -> tuple[Issued, ...]:
    """Steps 2 and 3: each PDF to a temp file, synced, renamed into place (in parallel), then
    `done` with each as it is in place; the result in the order of `todo`, which may be a
    generator of `count` items: each is made while the workers render the ones before.
    `reserved` hears of every invoice's number and PDF once the last is made (each pending, or issued
    already where its PDF is in place)."""
    by_target = {}

    def jobs() -> Iterator[Job]:
        for item in todo:
            d, issue = item.draft, item.issue
            job = item.job or _document(d, issue, config, workspace)
            by_target[job.target] = Issued(number=issue.number, client_key=d.client_key, hours=d.hours, net=d.net,
                                           gross=d.gross, currency=d.currency, pdf=job.target,
                                           finished=item.finished, follows=item.follows)
            yield job
        if reserved is not None:
            reserved({i.number: i.pdf for i in by_target.values()})

    def finished(job: Job, sha: str) -> None:
        done(replace(by_target[job.target], sha256=sha))
        if progress is not None:
            progress.advance(by_target[job.target])

    if progress is not None and count:
        progress.start(count)
    (renderer or write_pdfs)(jobs(), finished, count=count)
    return tuple(by_target.values())


def _document(draft: Draft, issue: Issue, config: Config, workspace: Path) -> Job:
    """What the PDF worker needs: the HTML and e-invoice XML, made here — so a template or a
    client that cannot be rendered stops the run with a message (CannotIssue), in this process."""
    name = f"DRAFT-{draft.client_key}.pdf" if issue.draft else f"{issue.number}-{draft.client_key}.pdf"
    target = workspace / "output" / draft.period.label / ("drafts" if issue.draft else "invoices") / name
    templates = workspace / "templates"
    client = config.clients.get(draft.client_key)
    if client is None:
        raise CannotIssue(f"{issue.number} is for client {draft.client_key}, which is no longer in rates.yaml — "
                          f"put it back (its name and address are printed on the document), then run this again")
    try:
        html = invoice_html(draft, config, issue, templates)
    except (TemplateError, TemplateRefused) as exc:
        raise CannotIssue(f"{template_error(exc, templates)}; nothing was issued with it") from None
    labels = load_labels(templates)
    return Job(html, templates, target, issue.stamped_at,
               None if issue.draft else einvoice_xml(draft, issue, config, labels=labels),
               einvoice_xml(draft, issue, config, XRECHNUNG, labels) if not issue.draft
               and client.einvoice == "xrechnung" else None, _receipts(draft, workspace, issue.number))


def _receipts(draft: Draft, workspace: Path, number: str) -> tuple[tuple[str, bytes], ...]:
    """The receipts of the draft's expenses, read from input/ (never from outside it), each under
    a name of its own in the PDF. One that is gone since `check` stops the run (CannotIssue)."""
    found: dict[str, bytes] = {}
    for receipt in (c.receipt for line in draft.lines for c in line.charges if c.receipt):
        try:
            data = read_within(workspace / "input", receipt)
        except TemplateRefused:
            data = None
        if data is None:
            raise CannotIssue(f"{number}: the receipt input/{receipt} an expense names is gone or not a file "
                              "inside input/ — put it back, then run this again")
        name = PurePosixPath(receipt).name
        found[name if name not in found else f"{len(found) + 1}-{name}"] = data
    return tuple(found.items())


def einvoice_xml(draft: Draft, issue: Issue, config: Config, guideline: str = FACTURX,
                 labels: dict[str, dict[str, str]] | None = None) -> bytes:
    """The CII XML of an issued invoice or credit note, from the same draft (and words) as its PDF."""
    return cii_xml(draft, Document(number=issue.number, kind=issue.kind, issue_date=issue.issue_date,
                                   due_date=None if issue.kind == "credit-note" else issue.due_date,
                                   refers_to=issue.refers_to, refers_to_date=issue.refers_to_date,
                                   reason=issue.reason), config, guideline, labels or LABELS)


def _marker(conn: sqlite3.Connection, workspace: Path) -> Callable[[Issued], None]:
    """What happens when an invoice's PDF is in place: the ledger marks it issued with its hash."""
    def done(issued: Issued) -> None:
        if issued.sha256 is None:  # _render hands an invoice on only with its PDF written and hashed
            raise ValueError(f"{issued.number}: no PDF hash to mark it issued with")
        crash_point("placed")
        ledger.mark_issued(conn, issued.number, issued.pdf.relative_to(workspace).as_posix(), issued.sha256)
        crash_point("issued")
    return done


def _pending(conn: sqlite3.Connection) -> list[str]:
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
