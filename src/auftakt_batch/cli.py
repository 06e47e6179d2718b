"""The command line: parse options, call the library, print, set the exit code.

The exit codes are the EXIT_* constants below (README's table lists each; a test holds them
together). Heavy imports (pandas, pandera) happen inside the commands, so `--help` is instant.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .errors import BadArgument, Busy, Refused
from .periods import ACCEPTED_FORMS, Period, PeriodError, parse_period

if TYPE_CHECKING:  # the commands import their stage when run, so that `--help` stays quick
    from .billing import BillRun, Issued
    from .config import Config
    from .payments.settle import Settled
    from .reports import Report
    from .run import CheckRun

Command = TypeVar("Command", bound=Callable[..., Any])

EXIT_OK = 0
BANK_CODES = ("bad-statement", "bad-booking", "pending-booking", "repeated-booking")  # what `payments` repeats
EXIT_DATA_ERRORS = 1  # the data has errors, or a file of the workspace cannot be read or written (errors.py)
EXIT_USAGE = click.UsageError.exit_code  # 2: a bad option, period or argument (click's own code for it)
EXIT_BUSY = 3  # another billing run holds the workspace
EXIT_ALERT = 4  # report --fail-on-alert: a budget is past 100 %
TODAY_VARIABLE = "AUFTAKT_TODAY"  # the day to run on instead of the agency's today (tests, what-ifs)


class PeriodType(click.ParamType):
    name = "PERIOD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Period:
        if isinstance(value, Period):
            return value
        try:
            return parse_period(value)
        except PeriodError as exc:
            self.fail(str(exc), param, ctx)


def workspace_option(command: Command) -> Command:
    return click.option(
        "--workspace", "-w", type=click.Path(exists=True, file_okay=False, path_type=Path), default=Path("."),
        envvar="AUFTAKT_WORKSPACE", show_default="current folder", callback=_a_workspace,
        help="The workspace folder (rates.yaml, input/, templates/, output/).",
    )(command)


def _a_workspace(ctx: click.Context, param: click.Parameter, folder: Path) -> Path:
    """A folder without rates.yaml is no workspace: a usage error before anything is read or written
    there (a rates.yaml that cannot be read is the config's to report, naming the line)."""
    if not os.path.lexists(folder / "rates.yaml"):
        where = f"this folder ({Path.cwd()})" if folder == Path(".") else str(folder)
        raise click.BadParameter(f"{where} is not a workspace (it has no rates.yaml) — create one with "
                                 "`auftakt-batch init DIR`, or give the workspace's folder", ctx, param)
    return folder


def period_option(command: Command) -> Command:
    return click.option("--period", "-p", type=PeriodType(), required=True,
                        help=f"The period: {ACCEPTED_FORMS}.")(command)


class _Main(click.Group):
    """The command group, and the one place errors become exit codes and messages (errors.py): an
    argument that names nothing usable is a usage error (2), another billing run 3, a refusal 1; a
    file or folder the workspace needs that cannot be read or written ends a command with one line
    naming it and what to do (environment.py), never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        from .environment import described

        try:
            return super().invoke(ctx)
        except BadArgument as exc:
            raise click.BadParameter(str(exc), param_hint=exc.argument) from None
        except Busy as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(EXIT_BUSY)
        except Refused as exc:
            raise click.ClickException(str(exc)) from None
        except BrokenPipeError:  # the output went to a program that stopped reading (`| head`): nothing to say
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 — Python flushes stdout once more at exit
            sys.exit(EXIT_DATA_ERRORS)
        except (OSError, sqlite3.OperationalError) as exc:
            raise click.ClickException(described(exc)) from None


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="auftakt-batch")
def main() -> None:
    """Turn an agency's tracked time into invoices and profitability reports.

    \b
    Start a workspace, drop exports into its input/ folder, then check them:
      auftakt-batch init my-agency
      auftakt-batch check --workspace my-agency --period 2026-11
    """


@main.command(short_help="Create a new workspace.")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path) -> None:
    """Create a new workspace in DIRECTORY.

    Writes a commented rates.yaml, templates/ (the invoice template), output/ and input/ with
    a timesheet template whose person, client and job columns are drop-downs fed from
    rates.yaml. DIRECTORY must be new or empty, and not inside another workspace.

    \b
    Example:
      auftakt-batch init my-agency
    """
    from .workspace import create_workspace

    created = create_workspace(directory)
    click.echo(f"Created workspace {directory}/")
    for path in created:
        click.echo(f"  {path}")
    click.echo(f"Next: edit {directory}/rates.yaml, drop exports into {directory}/input/, then run\n"
               f"  auftakt-batch check --workspace {directory} --period YYYY-MM")


@main.command(short_help="Validate the exports of a period.")
@workspace_option
@period_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
@click.option("--timings", "show_timings", is_flag=True,
              help="Also give the seconds each stage took: on stderr, or in the JSON as \"timings\".")
def check(workspace: Path, period: Period, as_json: bool, show_timings: bool) -> None:
    """Read and validate every export in input/ for a period; bill nothing.

    Prints each problem as file:row:column: severity: message, then a summary (files,
    entries, hours per client, problems by kind). Exits 1 when there is any error.

    \b
    Examples:
      auftakt-batch check --period 2026-11
      auftakt-batch check --period 2026-W47 --json
      auftakt-batch check --period 2026-11 --timings
    """
    from .pipeline import check as run_check
    from .reports import summary
    from .timings import Timings

    timings = Timings() if show_timings else None
    run = run_check(workspace, period, _today(workspace), timings)
    if as_json:
        shown = summary.as_json(run) | ({"timings": timings.as_json()} if timings else {})
        click.echo(json.dumps(shown, ensure_ascii=False, indent=2))
    else:
        for problem in run.problems:
            click.echo(str(problem))
        if run.problems:
            click.echo("")
        click.echo(summary.as_text(run))
        if timings:
            click.echo(timings.as_text(), err=True)
    sys.exit(EXIT_OK if run.ok else EXIT_DATA_ERRORS)


@main.command(short_help="Issue the invoices of a period.")
@workspace_option
@period_option
@click.option("--client", "only", metavar="KEY", help="Bill this client only.")
@click.option("--strict", is_flag=True, help="Issue nothing if there is any error.")
@click.option("--draft", is_flag=True, help="Render watermarked drafts into output/PERIOD/drafts/; issue nothing.")
def bill(workspace: Path, period: Period, only: str | None, strict: bool, draft: bool) -> None:
    """Issue one invoice per client with unbilled billable time in the period.

    Checks the exports first (as `check` does). A client whose entries have errors gets no
    invoice this run; an unreadable file stops the run. Invoices go to the ledger
    (output/ledger.sqlite) and to output/PERIOD/invoices/NUMBER-CLIENT.pdf. Running it again
    issues nothing new; entries that arrive later are billed on a new invoice.

    \b
    Examples:
      auftakt-batch bill --period 2026-11
      auftakt-batch bill --period 2026-11 --client acme
      auftakt-batch bill --period 2026-11 --draft
    """
    from .billing import bill as run_bill
    from .problems import Severity, plural

    with _progress_bar() as progress:
        result = run_bill(workspace, period, _today(workspace), only=only, strict=strict, draft=draft,
                          progress=progress)
    for problem in result.check.problems:
        if problem.severity is Severity.ERROR:
            click.echo(str(problem))
    click.echo(_bill_summary(result))
    warnings = sum(p.severity is Severity.WARNING for p in result.check.problems)
    if warnings:
        click.echo(f"{plural(warnings, 'warning')} for a reviewer: "
                   f"`auftakt-batch check --period {period.label}` lists them.")
    if result.report is not None:
        _report_summary(result.report, workspace)
    if result.unwritten:
        click.echo(f"Error: {result.unwritten}", err=True)
    trouble = result.stopped or result.skipped or result.unwritten
    sys.exit(EXIT_DATA_ERRORS if trouble else EXIT_OK)


class _Bar:
    """A progress bar on stderr while the PDFs render — only when a person is watching."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

        self.bar = Progress(TextColumn("Rendering invoices"), BarColumn(), MofNCompleteColumn(),
                            TimeRemainingColumn(), console=Console(stderr=True), transient=True)
        self.task: TaskID | None = None

    def start(self, total: int) -> None:
        self.bar.start()
        self.task = self.bar.add_task("pdf", total=total)

    def advance(self, issued: Issued) -> None:
        if self.task is not None:  # bill calls start() before the first PDF
            self.bar.advance(self.task)


@contextmanager
def _progress_bar() -> Iterator[_Bar | None]:
    if not sys.stderr.isatty():
        yield None
        return
    bar = _Bar()
    try:
        yield bar
    finally:
        bar.bar.stop()


def _bill_summary(result: BillRun) -> str:
    from .problems import plural
    from .reports.tables import FOLD, WRAP, Column, table_text

    lines = []
    if result.issued:
        drafts = result.issued[0].number == "DRAFT"
        lines.append(f"{'Drafted' if drafts else 'Issued'} {plural(len(result.issued), 'invoice')}"
                     f"{' (nothing issued)' if drafts else ''}:")
        notes = [_note(i) for i in result.issued]
        columns = [Column("number"), Column("client", fit=FOLD), Column("hours", right=True),
                   Column("net", right=True), Column("gross", right=True), Column("")]
        rows = [[i.number, i.client_key, f"{i.hours:.2f}" if i.hours else "—",  # no hours: a fee, milestone, expense
                 f"{i.net:,.2f}", f"{i.gross:,.2f}", i.currency] for i in result.issued]
        if any(notes):
            columns.append(Column("", fit=WRAP))
            rows = [[*row, note] for row, note in zip(rows, notes)]
        lines.append(table_text(columns, rows, indent=2))
    if result.stopped:
        lines.append(f"Nothing {'else ' if result.issued else ''}issued: {result.stopped}.")
    elif not result.issued:
        lines += _why_nothing(result)
    else:
        lines += [f"Not billed: {reason}." for reason in result.unbilled if reason.always]
    lines += [f"Skipped {key}: {why}" for key, why in result.skipped]
    if result.later and (result.issued or result.stopped):
        lines.append(f"Not billed yet: {result.later}.")
    if result.review:
        lines.append(f"Reviewed: {result.review}.")
    return "\n".join(lines)


def _why_nothing(result: BillRun) -> list[str]:
    """Nothing was issued, and not for a reason that stopped the run: the period's entries by why
    none of them is billed, with their hours — never "all is well" when there was nothing to bill."""
    from .problems import plural
    from .reports.reasons import hours_text

    run, reasons = result.check, result.unbilled
    if not reasons:
        whose = " of that client" if len(run.entries) else ""  # --client named one without entries
        outside = f" ({run.outside_period} outside it, ignored)" if run.outside_period and not whose else ""
        empty = next((p.message for p in run.problems if p.code == "no-input"), None)  # input/ holds no export
        return [f"Nothing to bill: {empty}." if empty else f"Nothing to bill: no entries{whose} in {run.period.label}"
                                                           f"{outside}."]
    count, seconds = sum(r.entries for r in reasons), sum(r.seconds for r in reasons)
    width = max(len(r.hours) for r in reasons)
    return [f"Nothing new to bill — the period's {plural(count, 'entry', 'entries')} ({hours_text(seconds)} h):"] + [
        f"  {r.hours:>{width}} h  {r.text}{f': {r.detail}' if r.detail else ''}" for r in reasons]


def _note(issued: Issued) -> str:
    if issued.finished:
        return "(finished from an interrupted run)"
    if issued.follows:
        return f"(late entries: {issued.client_key} already has {', '.join(issued.follows)} for this period)"
    return ""


@main.command(short_help="Write the profitability workbook of a period.")
@workspace_option
@period_option
@click.option("--fail-on-alert", is_flag=True,
              help=f"Exit {EXIT_ALERT} when any budget is past 100 % (for scheduled jobs).")
def report(workspace: Path, period: Period, fail_on_alert: bool) -> None:
    """Write output/PERIOD/profitability-PERIOD.xlsx without billing: clients, jobs, budgets
    (over-servicing), team, the billing gap, every entry, the period's invoices and problems.
    Ends with the budgets past their alert thresholds.

    \b
    Examples:
      auftakt-batch report --period 2026-11
      auftakt-batch report --period 2026-Q4 --fail-on-alert
    """
    from .reports import report as run_report

    result = run_report(workspace, period, _today(workspace))
    if result.path is None:
        for problem in result.run.problems:
            click.echo(str(problem))
        sys.exit(EXIT_DATA_ERRORS)
    _report_summary(result, workspace)
    if fail_on_alert and result.over_budget:
        click.echo(f"Exit {EXIT_ALERT}: a budget is past 100 % (--fail-on-alert).", err=True)
        sys.exit(EXIT_ALERT)


@main.command(short_help="Write the review workbook of a period.")
@workspace_option
@period_option
def review(workspace: Path, period: Period) -> None:
    """Write output/PERIOD/review-PERIOD.xlsx: one sheet per client with the entries the next
    `bill` would invoice, the checks' flags beside each, and two columns to edit — approve
    (yes/no; empty means yes) and bill_hours (a write-down). Save it in place (or as .ods in
    LibreOffice); `bill` follows it. Writing it again keeps the decisions already made.

    \b
    Examples:
      auftakt-batch review --period 2026-11
    """
    from .problems import Severity, plural
    from .reports import review as run_review

    result = run_review(workspace, period, _today(workspace))
    errors = [p for p in result.run.problems if p.severity is Severity.ERROR and p.code != "review"]
    for problem in errors:  # the replaced workbook's own problems are gone with it
        click.echo(str(problem))
    if result.path is None:
        sys.exit(EXIT_DATA_ERRORS)
    click.echo(f"Review    {_shown_path(result.path, workspace)} · {plural(result.clients, 'client')} · "
               f"{plural(result.entries, 'entry', 'entries')} to bill ({result.flagged} flagged)")
    if result.kept:
        changed = f", {result.changed} of them on entries edited since (flagged)" if result.changed else ""
        click.echo(f"Kept      {plural(result.kept, 'decision')} of the workbook it replaces{changed}")
    if result.dropped:
        click.echo(f"Dropped   {plural(result.dropped, 'decision')} whose entries are gone from the exports")
    if (ods := result.path.with_suffix(".ods")).is_file():  # a reviewer's LibreOffice copy: older now
        kept = " (its decisions are kept above)" if result.kept else ""
        click.echo(f"Note      {_shown_path(ods, workspace)} is older now and no longer followed{kept}: edit "
                   f"{result.path.name}")
    if errors:
        click.echo(f"{plural(len(errors), 'error')} above: the entries they are about are not in the workbook "
                   "until fixed.")


def _report_summary(result: Report, workspace: Path) -> None:
    from .problems import Severity, plural

    if result.path is None:  # no workbook (rates.yaml has errors): the callers print those instead
        return
    errors = sum(p.severity is Severity.ERROR for p in result.run.problems)
    note = f" ({plural(errors, 'error')}: see its Problems sheet)" if errors else ""
    click.echo(f"Report    {_shown_path(result.path, workspace)}{note}")
    if result.alerts:
        click.echo("Budgets past their alert thresholds:")
        for alert in result.alerts:
            click.echo(f"  {'!!' if alert.level == 'red' else ' !'} {alert}")


def _shown_path(path: Path, workspace: Path) -> str:
    try:
        return str(path.relative_to(workspace))
    except ValueError:
        return str(path)


@main.command(name="void", short_help="Cancel an invoice with a credit note.")
@workspace_option
@click.argument("number")
@click.option("--reason", required=True,
              help="Why the invoice is cancelled: printed on the credit note, for the client to read.")
def void_command(workspace: Path, number: str, reason: str) -> None:
    """Cancel issued invoice NUMBER by issuing a credit note.

    The credit note gets its own number in the same series and refers to NUMBER; NUMBER itself
    is never changed, only marked void in the ledger. Its time entries become billable again,
    so the next `bill` puts them on a new invoice.

    \b
    Example:
      auftakt-batch void 2026-0007 --reason "wrong rate for November"
    """
    from .billing import void

    if not reason.strip():
        raise click.BadParameter("give the reason the client will read on the credit note", param_hint="--reason")
    note = void(workspace, number, reason, _today(workspace))
    click.echo(f"Issued credit note {note.number} for {number} ({note.client_key}, {note.gross:,.2f} "
               f"{note.currency}): {note.pdf.relative_to(workspace)}")


@main.command(name="accept", short_help="Accept changes made to entries after billing.")
@workspace_option
@period_option
@click.option("--as-new", is_flag=True,
              help="The billed entries were deleted; bill what the exports hold now as new work.")
def accept_command(workspace: Path, period: Period, as_new: bool) -> None:
    """Accept the exports as they are now where entries billed for PERIOD were edited or deleted
    after billing.

    `check` reports a billed entry that is no longer in the exports as an error naming its
    invoice, and holds back the entries that could be its edited version. Instead of restoring
    the export, or voiding the invoice and billing again, accept records the change in the
    ledger and the issued invoices stay as they are: each edited version takes the billed entry's
    place on its invoice (it is never billed); an entry with none is recorded as deleted. With
    --as-new, every such entry is recorded as deleted and the others are billed as new work.

    \b
    Examples:
      auftakt-batch accept --period 2026-11
      auftakt-batch accept --period 2026-11 --as-new
    """
    from .billing.accept import accept
    from .problems import plural

    changes = accept(workspace, period, as_new=as_new, today=_today(workspace))
    click.echo(f"Accepted {plural(len(changes), 'change')} to entries billed for {period.label}; the invoices stay "
               "as issued:")
    for change in changes:
        now = f"now {change.now}: on {change.number} in its place, never billed" if change.now else "deleted"
        click.echo(f"  {change.number} ({change.client_key}) {change.billed} → {now}")


@main.command(name="export", short_help="Hand a period's invoices over to accounting.")
@workspace_option
@period_option
@click.option("--format", "form", type=click.Choice(["datev", "journal"]), required=True,
              help="datev: a DATEV booking batch (EXTF); journal: a plain CSV journal.")
def export_command(workspace: Path, period: Period, form: str) -> None:
    """Write PERIOD's issued invoices and credit notes for accounting into output/PERIOD/export/:
    a DATEV booking batch (EXTF_Buchungsstapel_PERIOD.csv) or a CSV journal (journal-PERIOD.csv),
    and the e-invoices as XML beside it. A rerun writes the same bytes.

    \b
    Examples:
      auftakt-batch export --period 2026-11 --format datev
      auftakt-batch export --period 2026-11 --format journal
    """
    from .export import export
    from .problems import plural

    done = export(workspace, period, form)
    if not done.documents:
        click.echo(f"No issued invoices or credit notes for {period.label} in the ledger: nothing to export.")
        return
    click.echo(f"Exported {plural(done.documents, 'invoice or credit note', 'invoices and credit notes')} of "
               f"{period.label} ({plural(len(done.bookings), 'booking')}) to {_shown_path(done.folder, workspace)}:")
    for path in done.files:
        click.echo(f"  {path.name}")
    for warning in done.warnings:
        click.echo(f"Warning: {warning}", err=True)


@main.command(short_help="Match the bank statements' payments to invoices.")
@workspace_option
@click.option("--match", "decisions", nargs=2, multiple=True, metavar="PLACE NUMBER",
              help="Record that the booking at PLACE (as listed, e.g. input/bank/2026-12.xml:4, or its id) pays "
                   "invoice or credit note NUMBER. May be given several times.")
def payments(workspace: Path, decisions: tuple[tuple[str, str], ...]) -> None:
    """Read the bank statements in input/bank/ (camt.053, MT940, a bank's CSV), match each booking
    not recorded yet to the invoices and credit notes it pays — the invoice number in its text
    first, then the exact open amount from the client's IBAN or name — record them in the ledger,
    and list what could not be matched for you to decide, each with the command that decides it.
    Nothing is guessed; a statement read again changes nothing. Money paid out to no client (rent,
    bank fees) is counted, not listed.

    \b
    Examples:
      auftakt-batch payments
      auftakt-batch payments --match input/bank/2026-12.xml:4 2026-0007
    """
    from .billing import locked
    from .payments.decide import Decision
    from .payments.settle import settle
    from .problems import plural

    today = _today(workspace)
    run, config = _bank_run(workspace, today)
    path = workspace / "output" / "ledger.sqlite"
    with locked(workspace / "output" / ".billing.lock"):  # it writes the ledger: one writer at a time
        if not path.exists():
            click.echo("No invoices yet: run `auftakt-batch bill --period PERIOD` first.")
            return
        done = settle(path, run.bookings, config, today, [Decision(place, number) for place, number in decisions])
    if not run.bank_files:
        click.echo("No bank statements in input/bank/: save your bank's camt.053 (XML), MT940 or CSV export there.")
    spent = f"; {plural(len(done.not_clients), 'booking')} {'was' if len(done.not_clients) == 1 else 'were'} not " \
            "client payments" if done.not_clients else ""
    click.echo(f"Read {plural(len(run.bookings), 'booking')} from {plural(len(run.bank_files), 'statement')}; "
               f"recorded {plural(done.recorded, 'payment')}{spent}.")
    _payments_listing(done)


def _payments_listing(done: Settled) -> None:
    from .payments.decide import handle
    from .problems import plural
    from .reports.listing import paid_text

    standing = {s.number: s for s in done.standings}
    for a in done.allocations:
        where = f"{a.number}  {paid_text(standing.get(a.number))}" if a.number else "credit of the client (overpaid)"
        click.echo(f"  {a.amount:>12,.2f}  {a.client:<12} {where}  (by {a.rule})")
    if done.unmatched:
        click.echo(f"Not matched — yours to decide ({len(done.unmatched)}):")
        for u in done.unmatched:
            b = u.booking
            hint = f" — did you mean {' or '.join(u.suggestions)}?" if u.suggestions else ""
            command = f"auftakt-batch payments --match {handle(b, done.bookings)} {(u.suggestions or ('NUMBER',))[0]}"
            click.echo(f"  {b.place}: {b.booking_date} {b.amount:,.2f} {b.currency} from "
                       f"{b.counterparty_name or 'an unnamed payer'} \"{b.remittance}\": {u.reason}{hint}"
                       f" → {command}")
    owing = [s for s in done.standings if s.kind == "invoice" and s.open > 0]
    overdue = [s for s in owing if s.state == "overdue"]
    click.echo(f"Open: {plural(len(owing), 'invoice')} ({len(overdue)} overdue)." if owing else "Nothing is open.")


@main.command(short_help="Issue payment reminders for overdue invoices.")
@workspace_option
@click.option("--client", "only", metavar="KEY", help="Remind this client only.")
def remind(workspace: Path, only: str | None) -> None:
    """Issue a payment reminder for each invoice overdue past a level of rates.yaml
    `agency.reminders` (e.g. {after_days: [7, 21, 35], fee: "5.00"}): a PDF in the client's
    language, output/PERIOD/reminders/NUMBER-reminder-LEVEL.pdf, recorded in the ledger. Each
    level is issued once per invoice; `send` mails them. The bank statements in input/bank/ are
    matched first, and an invoice a booking not matched yet may pay is held back for you to decide.

    \b
    Examples:
      auftakt-batch remind
      auftakt-batch send            # mails the reminders
    """
    from .problems import plural
    from .reminding import remind as issue_reminders

    today = _today(workspace)
    run, config = _bank_run(workspace, today)
    done = issue_reminders(workspace, config, run.bookings, today, only=only)
    if done.no_ledger:
        click.echo("No invoices yet: run `auftakt-batch bill --period PERIOD` first.")
        return
    if done.recorded:
        click.echo(f"Recorded {plural(done.recorded, 'payment')} from input/bank/ first "
                   "(`auftakt-batch payments` lists them).")
    if done.issued:
        click.echo(f"Issued {plural(len(done.issued), 'reminder')}:")
        for r in done.issued:
            click.echo(f"  {r.number}  {r.client_key:<12} level {r.level}  {r.days_overdue:>3} days overdue  "
                       f"{r.asked:>12,.2f} {r.currency} by {r.pay_by.isoformat()}  {r.pdf_path}")
    for h in done.held:
        click.echo(f"Held back: {h.number} ({h.client}) — {h.why}.")
    for path, same in done.restored:
        click.echo(f"Wrote {path} again (it was gone)." if same else
                   f"Error: {path} is gone and cannot be written as it was issued (the templates or labels changed "
                   "since) — restore it from a backup", err=not same)
    levels = ", ".join(str(d) for d in config.agency.reminders.after_days) if config.agency.reminders else ""
    if not done.issued and not done.held:
        click.echo(f"Nothing to remind: no invoice is overdue past a level without its reminder "
                   f"(levels at {levels} days past due).")
    elif done.issued:
        click.echo("`auftakt-batch send` mails them.")


@main.command(short_help="Mail the issued invoices to the clients.")
@workspace_option
@click.option("--period", "-p", type=PeriodType(), default=None, help="Only invoices for (part of) this period.")
@click.option("--client", "only", metavar="KEY", help="Send this client's invoices only.")
@click.option("--dry-run", is_flag=True,
              help="Write the messages as .eml files to output/PERIOD/outbox/; send nothing.")
@click.option("--again", metavar="NUMBER", help="Send invoice NUMBER (again), whatever was sent before.")
def send(workspace: Path, period: Period | None, only: str | None, dry_run: bool, again: str | None) -> None:
    """Mail every issued invoice and credit note not sent yet to its client's email (and cc),
    with the PDF attached (and the XRechnung file where the client gets one), from
    agency.mail.from; the subject and text come from templates/email.LANG.txt.

    Each message is recorded in the ledger before and after it is handed to the mail server, so
    an invoice is never sent twice: one whose sending was interrupted is reported as "delivery
    unknown" and sent again only with --again. The SMTP password comes from the environment
    variable AUFTAKT_SMTP_PASSWORD. Exits 1 if any invoice could not be sent.

    \b
    Examples:
      auftakt-batch send --period 2026-11 --dry-run
      auftakt-batch send --period 2026-11
      auftakt-batch send --again 2026-0007
    """
    from datetime import timezone

    from .sending import send as send_all

    run, _ = _bank_run(workspace, _today(workspace))  # a reminder of an invoice a statement pays is not sent
    result = send_all(workspace, datetime.now(timezone.utc), period=period, only=only, dry_run=dry_run, again=again,
                      bookings=run.bookings)
    for number in result.unknown:
        click.echo(f"{number}: delivery unknown — an earlier send was interrupted while mailing it; look whether it "
                   f"arrived, then `auftakt-batch send --again {number}` if not", err=True)
    if not result.results:
        click.echo("Nothing to send: every issued invoice" + (f" for {period.label}" if period else "")
                   + " was sent already.")
    for r in result.results:
        if r.state == "outbox":
            click.echo(f"Wrote {r.number} ({r.client_key}, to {r.to}): {r.path and _shown_path(r.path, workspace)}")
        elif r.state == "sent":
            click.echo(f"Sent {r.number} ({r.client_key}) to {r.to}")
        if r.note:
            click.echo(f"Error: {r.number} ({r.client_key}): {r.note}", err=True)
    if result.failed:
        sys.exit(EXIT_DATA_ERRORS)


@main.command(short_help="List the invoices in the ledger.")
@workspace_option
@click.option("--period", "-p", type=PeriodType(), default=None, help="Only invoices for (part of) this period.")
def invoices(workspace: Path, period: Period | None) -> None:
    """List every invoice and credit note in the ledger, oldest first.

    \b
    Examples:
      auftakt-batch invoices --workspace my-agency
      auftakt-batch invoices --period 2026-11
    """
    from .reports.listing import as_text, listing

    found = listing(workspace, _today(workspace), period)
    if not found.ledger:
        click.echo("No invoices yet: run `auftakt-batch bill --period PERIOD`.")
    elif not found.records:
        click.echo(f"No invoices{f' for {period.label}' if period else ''} in the ledger.")
    else:
        click.echo(as_text(found))


@main.command(short_help="Where every client stands.")
@workspace_option
@click.option("--period", "-p", type=PeriodType(), default=None,
              help="The period to look at (default: this month).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the table.")
@click.option("--team", is_flag=True, help="Also show each person's last day logged and the days missing.")
def status(workspace: Path, period: Period | None, as_json: bool, team: bool) -> None:
    """Every billable client at a glance: unbilled hours and value in the period, the last
    invoice and how many days ago it was issued, and how far its budget is burnt.

    \b
    Examples:
      auftakt-batch status
      auftakt-batch status --period 2026-11 --json
      auftakt-batch status --team
    """
    from rich.console import Console

    from .reports import status as board

    today = _today(workspace)
    period = period or parse_period(today.strftime("%Y-%m"))
    found = board.status(workspace, period, today)
    if found.run.config is None:
        for problem in found.run.problems:
            click.echo(str(problem))
        sys.exit(EXIT_DATA_ERRORS)
    if as_json:
        document = {**board.as_json(period, today, found.clients, found.headline),
                    "receivables": board.owed_json(found.owed)}
        click.echo(json.dumps({**document, **({"team": board.team_json(found.team)} if team else {})},
                              ensure_ascii=False, indent=2))
        return
    shown = [board.table(period, today, found.clients, found.headline, _width(), found.owed),
             *([board.team_table(found.team)] if team else [])]
    if sys.stdout.isatty():
        console = Console(highlight=False)
        for part in shown:
            console.print(part)
        return
    text = io.StringIO()
    console = Console(width=_width(), highlight=False, file=text, color_system=None)
    for part in shown:
        console.print(part)
    click.echo("\n".join(line.rstrip() for line in text.getvalue().splitlines()))  # no padding to the width


def _bank_run(workspace: Path, today: date) -> tuple[CheckRun, Config]:
    """A check of this month for its bank statements (and rates.yaml): a rates.yaml that does not
    load ends the command (exit 1); the statements' problems are printed on stderr."""
    from .pipeline import check

    run = check(workspace, parse_period(today.strftime("%Y-%m")), today)
    if run.config is None:
        for problem in run.problems:
            click.echo(str(problem))
        sys.exit(EXIT_DATA_ERRORS)
    for problem in run.problems:
        if problem.code in BANK_CODES:
            click.echo(str(problem), err=True)
    return run, run.config


def _width() -> int:
    """The terminal's width, or in a pipe or a file 160 columns: the Overview's twelve fit."""
    from rich.console import Console

    return Console().width if sys.stdout.isatty() else 160


def _today(workspace: Path) -> date:
    """The day a command runs on, resolved here once and passed down: $AUFTAKT_TODAY (YYYY-MM-DD)
    when set — for tests, or to see what a run would do on another day — else the agency's local date."""
    text = os.environ.get(TODAY_VARIABLE, "").strip()
    if not text:
        from zoneinfo import ZoneInfo

        return datetime.now(ZoneInfo(_agency_zone(workspace))).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise click.UsageError(f"{TODAY_VARIABLE}={text!r} is no date: give YYYY-MM-DD, or unset it") from None


def _agency_zone(workspace: Path) -> str:
    """The agency's time zone (today is its today), or UTC while rates.yaml does not load."""
    from .config import load_config

    config, _ = load_config(workspace / "rates.yaml")
    return config.agency.timezone if config else "UTC"
