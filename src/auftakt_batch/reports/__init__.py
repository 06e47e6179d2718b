"""Reports: the profitability workbook and the budget alerts.

`report` checks the period and — beside it, in a process of its own where it can
(`pipeline.check_history`) — everything before it, which total budgets, the Months sheet and the
billing gap count (history.before_figures: reports/before.py); reads the ledger, computes the
figures and writes the workbook. `bill` calls `prepare_report` with its own check runs while its
PDFs render, the invoices it is issuing read as issued, and places the workbook once they are
(billing/meanwhile.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import partial
from pathlib import Path

from .. import ledger
from ..check.review_file import path_for as review_path
from ..check.tracker import INVOICED
from ..environment import unwritten
from ..errors import Unwritten
from ..files import Prepared
from ..ingest import Ingested
from ..ledger import Book
from ..periods import Period
from ..pipeline import check, check_history, expenses_now, read_billed, read_inputs
from ..pricing.expenses import EXPENSE
from ..processes import forked_call
from ..run import CheckRun
from ..schemas import ReportEntries as R
from .before import NOTHING, Before
from .figures import Figures, build, entry_table, flags, unbilled
from .history import before_figures
from .kept import found as found_kept
from .kept import keeping, snapshot

# the module reports.review is loaded here, before `def review` below: loaded later (by a check run that
# reads a review), it would replace the function `reports.review` by the module of that name
from .review import carry, expense_rows, write_review
from .workbook import prepare_workbook


@dataclass(frozen=True)
class Alert:
    client: str
    job: str
    used: Decimal
    budget: Decimal
    unit: str  # h or a currency
    burn: Decimal
    projected: Decimal
    level: str  # amber | red

    def __str__(self) -> str:
        scope = f"{self.client} / {self.job}" if self.job else self.client
        return (f"{scope}: {self.used:,.2f} of {self.budget:,.2f} {self.unit} used ({percent(self.burn)}), "
                f"{percent(self.projected)} projected by the end of the period")


def percent(share: Decimal) -> str:
    return f"{share * 100:.0f} %"


@dataclass(frozen=True)
class Report:
    run: CheckRun
    figures: Figures | None
    path: Path | None
    alerts: tuple[Alert, ...]

    @property
    def over_budget(self) -> bool:
        """A budget is past 100 %, whatever its alert thresholds."""
        return self.figures is not None and bool((self.figures.budgets["burn_pct"] > 1).any())


def report(workspace: Path, period: Period, today: date) -> Report:
    """The period's workbook."""
    run, before = checked(workspace, period, today)
    if run.config is None:
        return Report(run, None, None, ())
    return write_report(run, before, today)


def checked(workspace: Path, period: Period, today: date) -> tuple[CheckRun, Callable[[], Before]]:
    """The period's check run, and a function giving what the figures take of the months before it
    (`report` and `status` start here). The inputs are read once. The months before are read as an
    earlier run kept them, where nothing they are made of changed since (reports/kept.py); or else
    checked and tabled in a process forked beside this one's check of the period, where one can be
    (processes.forked_call), and kept: with a year of exports, each takes seconds. The run comes
    without the inputs (a year's raw entries): the forked process checks the months before from its own."""
    files = snapshot(workspace)  # as they are before they are read
    inputs = read_inputs(workspace)
    if inputs is None:  # rates.yaml does not load: the check says why
        return check(workspace, period, today), lambda: NOTHING
    kept, earlier = found_kept(workspace, period, inputs, today, files)
    if earlier is not None:  # nothing they are made of changed since a run kept them
        return check(workspace, period, today, ingested=inputs).without_inputs(), lambda: earlier
    read_billed(workspace)  # read (or loaded as kept) once, before the fork: both processes' checks take it
    before = forked_call(partial(_before, workspace, period, inputs, today),
                         again=partial(_before, workspace, period, None, today))
    return check(workspace, period, today, ingested=inputs).without_inputs(), keeping(workspace, kept, before)


def _before(workspace: Path, period: Period, inputs: Ingested | None, today: date) -> Before:
    """What the figures take of the months before `period`: `check_before`'s run, tabled (the
    inputs read again where not given: the forked process that had them died)."""
    inputs = inputs or read_inputs(workspace)
    earlier = check_history(workspace, period, inputs, today) if inputs is not None else None
    return before_figures(earlier, ledger.read_book(workspace / "output" / "ledger.sqlite"))


def write_report(run: CheckRun, earlier: CheckRun | Callable[[], Before] | None, today: date) -> Report:
    """The workbook for a check run (with a config) and the check of what came before its period,
    with the ledger as it is now."""
    return prepare_report(run, earlier, today).place()


@dataclass(frozen=True)
class PreparedReport:
    """A report whose workbook is written beside its place, not yet in it (`prepare_report`)."""

    report: Report
    workbook: Prepared

    def place(self) -> Report:
        """The workbook put in its place; Unwritten if another program holds the one there."""
        with written(self.workbook.target, again(self.report.run.period)):
            self.workbook.place()
        return self.report


def prepare_report(run: CheckRun, earlier: CheckRun | Callable[[], Before] | None, today: date,
                   pdfs: Mapping[str, str] | None = None) -> PreparedReport:
    """`write_report`'s report, its workbook not yet in place; `earlier`: the check of the months
    before the period (pipeline.check_before's), or a function giving what the figures take of it
    (history.before_figures), called once the period's own figures are made. With `pdfs` (pending
    invoice number -> its PDF's path), the ledger as it will be once they are issued: `bill` prepares
    its report while their PDFs render, and puts it in place once every one is."""
    book = ledger.read_book(run.workspace / "output" / "ledger.sqlite")
    book = book.issued(pdfs) if pdfs else book
    figures = build(run, book, _asked(earlier, book), today)
    target = run.workspace / "output" / run.period.label / f"profitability-{run.period.label}.xlsx"
    with written(target, again(run.period)):
        workbook = prepare_workbook(figures, run.problems, target)
    return PreparedReport(Report(run, figures, target, alerts(figures)), workbook)


def again(period: Period) -> str:
    """The command that writes a period's workbook, for a message saying it could not be."""
    return f"auftakt-batch report --period {period.label}"


@contextmanager
def written(target: Path, again: str) -> Iterator[None]:
    """A workbook that cannot be written — open in another program on Windows, a folder in its
    place — is Unwritten: one line naming it and the command `again` that writes it later."""
    try:
        yield
    except OSError as exc:
        raise Unwritten(unwritten(target, exc, again)) from None


@dataclass(frozen=True)
class Review:
    run: CheckRun
    path: Path | None
    clients: int = 0
    entries: int = 0
    flagged: int = 0
    kept: int = 0  # decisions (a no, a write-down) carried over from the workbook it replaced
    changed: int = 0  # of them, carried to entries edited since
    dropped: int = 0  # decisions whose entries are gone from the exports


def review(workspace: Path, period: Period, today: date) -> Review:
    """Write the review workbook: every entry the next `bill` would invoice, per client."""
    run = check(workspace, period, today)
    if run.config is None:
        return Review(run, None)
    book = ledger.read_book(workspace / "output" / "ledger.sqlite")
    entries = entry_table(run, book, run.config, reviewed=False)
    todo = entries[~entries[R.error] & unbilled(entries)]
    in_tracker = entries[~entries[R.error] & entries[R.billable] & entries[R.invoice].eq("")
                         & entries[R.tracker_hold].eq(INVOICED)]
    late = {client: (tuple(r.number for r in records), records[-1].issue_date)
            for client, records in ledger.live_invoices(book.invoices, period).items()}
    path = review_path(workspace, period)
    costs = expenses_now(run, frozenset(key for kind, key in book.models.charged if kind == EXPENSE))
    costs = expense_rows(costs, run.expense_decisions, flags(costs, run.problems))
    with written(path, f"auftakt-batch review --period {period.label}"):
        carried = carry(todo, run.decisions, set(run.billed[R.entry_id]))
        write_review(todo, run.config, period, path, late, carried, in_tracker, costs)
    return Review(run, path, todo[R.client_key].nunique(), len(todo), int(todo[R.flags].ne("").sum()),
                  carried.kept, carried.changed, carried.dropped)


def figures_for(run: CheckRun, earlier: CheckRun | Callable[[], Before] | None, today: date) -> Figures:
    """The figures of a check run (with a config), the ledger as it is now, and — for total
    budgets and the billing gap — every entry before the period (`earlier`: pipeline.check_before's
    run, or `checked`'s function)."""
    book = ledger.read_book(run.workspace / "output" / "ledger.sqlite")
    return build(run, book, _asked(earlier, book), today)


def _asked(earlier: CheckRun | Callable[[], Before] | None, book: Book) -> Callable[[], Before]:
    """What the figures take of the months before, to be asked for: `checked`'s function, or the
    check of those months (None: there are none) tabled with the ledger as `book` has it."""
    return earlier if callable(earlier) else partial(before_figures, earlier, book)


def alerts(figures: Figures) -> tuple[Alert, ...]:
    """Budgets past their first threshold, by burn or by projection, most burnt first."""
    found = []
    for b in figures.budgets.itertuples():
        if b.burn_pct >= b.amber_at or b.projected_pct >= b.red_at:
            level = "red" if b.burn_pct >= b.red_at else "amber"
            found.append(Alert(b.client, b.job, b.used, b.budget, b.unit, b.burn_pct, b.projected_pct, level))
    return tuple(found)
