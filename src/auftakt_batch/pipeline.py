"""The run on one screen: config → ingest → validate → period → resolve → checks → expenses.

Each stage returns its result and its problems; nothing here raises on bad user data.
Billing and reports (later stages) start from a `CheckRun`. `lap` ends each stage on the
clock of `timings` (timings.py), for `check --timings` and the benchmark.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from functools import cache, partial
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from . import ledger
from .calendars import CalendarTime, calendars_read, time_of
from .calendars.kept import expire
from .calendars.meetings import read_meetings
from .check.capacity import missing_day_problems, missing_days
from .check.checks import BLOCKING, CHECKS, PARALLEL_ROWS, Check, Context, not_approved, run_checks
from .check.decisions import Decisions, read_decisions
from .check.expense_decisions import PRICE
from .check.expenses import expenses
from .check.identities import fingerprints, identified, written
from .check.identity import drop_repeats, identify
from .check.overlaps import supersede
from .check.reconcile import evidence, reconcile
from .check.resolve import resolve_names
from .check.review_file import said_yes
from .check.review_file import saved as saved_reviews
from .check.tracker import INVOICED, UNAPPROVED, hold_by_tracker, share_flags
from .config import Config, load_config
from .frames import among, appended
from .ingest import Ingested, ingest
from .ingest.bank import read_bank
from .ingest.build import Rules
from .ingest.cache import IngestCache
from .memory import release
from .names import normalise
from .periods import Period
from .pricing import price, prices
from .problems import Problem, Source, info, problem, relabel, sorted_problems
from .processes import forked_call
from .run import CheckRun
from .schemas import Entries, Expenses, RawEntries, empty, validate
from .schemas import ReviewDecisions as D
from .timings import Timings

BESIDE_ROWS = 100_000  # a period's entries from which its calendars are read by a process of their own (fewer are
# resolved sooner than a process is forked)


def check(workspace: Path, period: Period, today: date, timings: Timings | None = None,
          ingested: Ingested | None = None, history: bool = False) -> CheckRun:
    """The check of `period`; with `ingested`, from what an earlier check of the same inputs read
    (check_before: the inputs are read once a run). A `history` check (check_before's) finds the
    errors only: the checks that only warn (checks.ADVISORY), the missing days and the meetings nobody
    logged of clients that do not bill meetings are skipped."""
    clock = (timings or Timings()).begin()

    def lap(stage: str) -> None:  # each stage's frames handed back as it ends (memory.release)
        release()
        clock(stage)

    # 1. Config: rates.yaml → frozen Config. Nothing can be resolved without it, so stop here.
    config, problems = load_config(workspace / "rates.yaml")
    lap("config")
    if config is None:
        return CheckRun(workspace=workspace, period=period, config=None, files=(), entries=empty(Entries),
                        problems=tuple(sorted_problems(problems)), unreadable=(), outside_period=0, repeated=0,
                        billed=ledger.no_billed())

    # 2. Ingest: input/** → RawEntries (values parsed, names as typed, source_file/source_row kept).
    ingested = ingested or _ingest(workspace, config)
    problems += ingested.problems
    lap("ingest")

    # 3. Period: an entry belongs to the period of its local start date; the rest is counted, and
    #    its problems dropped (an undated row stays: it carries an error and may be in any period).
    #    Only the period's rows are validated: a breach outside it would be dropped with them.
    everything = ingested.entries  # the ledger's entries are looked for in all of it (step 8)
    raw, outside, rows = split_period(everything, period)
    first = earliest(outside, period)
    ignored_rows = _rows_among(outside, {(p.source.file, p.source.row) for p in problems})
    problems = [p for p in problems if (p.source.file, p.source.row) not in ignored_rows]
    problems += outside_period(outside, period)
    lap("period")
    raw, schema_problems = validate(RawEntries, raw)
    problems += schema_problems
    lap("validate")

    # 4. Resolve names to rates.yaml keys and fingerprint every entry (kept per export: check/identities);
    #    read the ledger. Step 5 matches the calendars; on a year's entries a process of its own reads them meanwhile
    #    (listed from `first`: what is kept serves the report's months before too).
    calendars = calendars_read(list(ingested.calendars), config, billed_only=history)
    reading = partial(read_meetings, calendars, config, period, _kept_calendars(workspace) if calendars else None,
                      None if history else first)
    meetings_read = forked_call(reading) if calendars and len(raw) >= BESIDE_ROWS else reading
    timesheet = identified(raw, rows, ingested, config, workspace)
    del raw  # the timesheet holds its columns: each is let go as it is appended to (frames.appended)
    billed, ledger_problems = read_billed(workspace)  # the ledger: what is invoiced, and where it sat
    problems += ledger_problems
    lap("resolve")

    # 5. Calendars: meetings of clients that bill them become entries unless someone logged them
    #    (a meeting already billed stays, so it is never billed again as a timesheet entry); the
    #    other clients' untracked meetings are reported. Then count a repeated export once (its
    #    copies sharing what the tracker said of it), and of two overlapping exports that disagree,
    #    let the newer win; then follow the tracker's flags.
    calendar = time_of(meetings_read(), timesheet, config, billed_only=history)
    problems += calendar.problems
    meetings = meeting_entries(calendar, billed, config)
    lap("calendars")
    resolved = appended(timesheet, meetings) if meetings is not None else timesheet
    del timesheet  # resolved holds its rows: a year's rows are not kept twice
    current = supersede(resolved, {f.path: f.modified for f in ingested.files})
    del resolved
    entries, repeat_problems = drop_repeats(share_flags(current.entries), config.imports.billable == "export")
    entries = hold_by_tracker(entries, config.imports)
    problems += current.problems + repeat_problems
    lap("identity")

    # 6. Every check (the missing days too), and the Entries contract; on a year's entries of the period,
    #    while the checks' workers check, this process also prices each entry (billing and the report
    #    take those prices: pricing.price). None of them changes the entries (the contract coerces nothing).
    aside = cache(partial(_contract_and_prices, entries, config, history))  # worked out once, however often asked
    checks: list[Check] = BLOCKING if history else [*CHECKS, partial(_missing_days, calendar.absences)]
    checked = run_checks(entries, Context(config, period, today, billed), checks, meanwhile=aside)
    contract, entry_prices = aside()
    problems += contract + checked
    lap("checks")

    # 7. Expenses: the expense exports ingest set aside → the period's Expenses (names resolved, each
    #    with its expense_id, a copy in an overlapping export counted once) and their problems; one
    #    like a billed expense no longer in the exports is an edit of it, held back.
    billed_costs = read_billed_expenses(workspace) if ingested.expenses else None
    expensed = expenses(ingested.expenses, ingested.attachments, workspace / "input", config, period, billed_costs)
    problems += expensed.problems
    lap("expenses")

    # 7b. Bank statements: input/bank/'s camt.053, MT940 and bank CSV files → Bookings, a booking in
    #     two statements once (all of them, whatever their dates: a payment may come months later).
    #     Their problems are warnings: a statement never holds back an invoice.
    bank = read_bank(ingested.statements)
    problems += bank.problems
    lap("bank")

    # 8. Reconcile the ledger with the exports: a billed entry no longer in them was edited or
    #    deleted since; what could be its edited version is held back until the user decides.
    found = evidence(everything, period, billed, frozenset(f.path for f in ingested.files), current.lacking, config,
                     fingerprints(ingested, config, workspace))
    reconciliation = reconcile(entries, billed, found, period, config)
    problems += reconciliation.problems
    lap("reconcile")

    problems = relabel(problems, ingested.labels)
    run = CheckRun(workspace=workspace, period=period, config=config, files=ingested.files, entries=entries,
                   problems=tuple(problems), unreadable=ingested.unreadable + tuple(calendar.unreadable),
                   outside_period=len(outside), repeated=len(current.entries) - len(entries), billed=billed,
                   untracked=calendar.untracked, absences=calendar.absences,
                   calendars=tuple(label for _, label in ingested.calendars), earliest=first,
                   reconciliation=reconciliation, expenses=expensed.frame,
                   expense_files=expensed.files, bookings=bank.bookings, bank_files=bank.files, ingested=ingested,
                   prices=entry_prices)

    # 9. The review workbook, if the reviewer wrote one: checked against what would be billed now.
    #    Without one there is nothing to read (and the spreadsheet code is not imported).
    if not saved_reviews(workspace, period):
        run = replace(run, problems=tuple(sorted_problems(problems)))
        written()  # the identities kept (check/identities), written beside the later steps
        lap("review")
        return run
    review = read_review(run)
    run = replace(run, problems=tuple(sorted_problems([*problems, *review.problems])),
                  decisions=review.decided if review.exists else None,
                  expense_decisions=review.expenses if review.exists else None)
    run = _approved_by_reviewer(run, today, ingested.labels)
    written()
    lap("review")
    return run


def _contract_and_prices(entries: pd.DataFrame, config: Config,
                         history: bool) -> tuple[list[Problem], pd.DataFrame | None]:
    """The Entries contract's problems with `entries`, and each entry's prices (pricing.prices) where
    the checks run in workers (PARALLEL_ROWS): elsewhere billing prices only what it bills, and a
    `check` nothing. Not those of the months before a period (`history`): the report tables them in
    parts, each priced by the worker tabling it (reports/history.py), while this process, holding a
    year's entries, peaked 50 MB higher pricing all at once."""
    return _contract(entries), prices(entries, config) if len(entries) >= PARALLEL_ROWS and not history else None


def _contract(entries: pd.DataFrame) -> list[Problem]:
    """The Entries contract's problems with `entries`."""
    return validate(Entries, entries)[1]


def _missing_days(absences: pd.DataFrame | None, entries: pd.DataFrame, ctx: Context) -> list[Problem]:
    """The working days with too little time logged, as a check (run_checks runs it with the others)."""
    return missing_day_problems(missing_days(entries, absences, ctx.config, ctx.period, ctx.today))


def check_before(run: CheckRun, today: date) -> CheckRun | None:
    """The check of everything before the run's period, from the first day the inputs hold: total
    budgets, the Months sheet, the billing gap and retainers' roll-overs count it (reports, billing).
    None when the inputs hold nothing earlier. A step of its own, called by whoever needs it: a
    second check, of the inputs the first read, finding errors only (what those count is the
    entries and which of them an error holds back; warnings about months past are `check`'s)."""
    return _history(run.workspace, run.period, run.earliest, run.ingested, today)


def check_history(workspace: Path, period: Period, ingested: Ingested, today: date) -> CheckRun | None:
    """`check_before` from the inputs alone (`read_inputs`'), not from the period's check: the same
    run, made before or beside that check (reports.report)."""
    return _history(workspace, period, earliest(ingested.entries, period), ingested, today)


def _history(workspace: Path, period: Period, first: date | None, ingested: Ingested | None,
             today: date) -> CheckRun | None:
    if first is None:
        return None
    return check(workspace, period.before(first), today, ingested=ingested, history=True)


def read_inputs(workspace: Path) -> Ingested | None:
    """input/ as a check reads it, to be handed to the checks of one run (`check(..., ingested=)`);
    None where rates.yaml does not load (the check says why)."""
    config, _ = load_config(workspace / "rates.yaml")
    return _ingest(workspace, config) if config is not None else None


def _ingest(workspace: Path, config: Config) -> Ingested:
    rules = import_rules(config)
    return ingest(workspace / "input", workspace, rules, IngestCache.of(workspace, rules))


def _approved_by_reviewer(run: CheckRun, today: date, labels: Mapping[str, Mapping[str, str]]) -> CheckRun:
    """The reviewer's explicit yes wins over `imports.require_approval`: those entries are no
    longer held for the tracker's approval, and the notes count only the ones still waiting."""
    approved = approved_in_review(run)
    if not approved:
        return run
    hold = run.entries[Entries.tracker_hold]
    cleared = hold.eq(UNAPPROVED) & run.entries[Entries.entry_id].isin(approved)
    entries = run.entries.assign(**{Entries.tracker_hold: hold.mask(cleared, "")})
    waiting = relabel(not_approved(entries, Context(run.loaded_config(), run.period, today, run.billed)), labels)
    kept = [p for p in run.problems if p.code != "not-approved"]
    return replace(run, entries=entries, problems=tuple(sorted_problems([*kept, *waiting])))


def meeting_entries(calendar: CalendarTime, billed: pd.DataFrame, config: Config) -> pd.DataFrame | None:
    """The meetings that become entries, resolved and fingerprinted: those nobody logged, and any
    already billed. None when there are none (most runs: no calendar bills meetings)."""
    if calendar.entries.empty:
        return None
    meetings = identify(resolve_names(validate(RawEntries, calendar.entries)[0], config))
    meetings = meetings[~calendar.covered.to_numpy() | among(meetings[Entries.entry_id], billed[Entries.entry_id])]
    return meetings if len(meetings) else None


def billable_now(run: CheckRun) -> pd.DataFrame:
    """The entries a billing run would invoice (sound, dated, billable, on no invoice of ours nor —
    unless rates.yaml says to bill them — of the tracker's), priced. Entries the tracker has not
    approved are among them: the review may approve them (billing.py applies the review)."""
    sound = run.entries[~run.with_errors() & run.entries[Entries.date].notna()]
    unbilled = sound[~sound[Entries.entry_id].isin(run.billed[Entries.entry_id]) & sound[Entries.billable]
                     & sound[Entries.tracker_hold].ne(INVOICED)]
    return price(unbilled, run.loaded_config(), run.prices)


def approved_in_review(run: CheckRun) -> frozenset[str]:
    """The entry ids the reviewer explicitly set to yes: that wins over `imports.require_approval`."""
    if run.decisions is None or run.decisions.empty:
        return frozenset()
    return frozenset(run.decisions.loc[run.decisions[D.approve_raw].map(said_yes).astype(bool), D.entry_id])


def read_review(run: CheckRun) -> Decisions:
    billed = read_billed_expenses(run.workspace) if len(run.expenses) else None
    billed_ids = frozenset(billed["expense_id"]) if billed is not None else frozenset()
    return read_decisions(run.workspace, run.period, billable_now(run), run.billed, run.loaded_config(),
                          expenses_now(run, billed_ids), billed_ids)


def expenses_now(run: CheckRun, billed: frozenset[str]) -> pd.DataFrame:
    """The expenses a billing run would invoice (sound, dated, billable, none of the `billed` ids of
    live invoices), each with its `price`: cost plus the client's markup."""
    from .pricing.expenses import EXPENSE, billable_expenses, marked_up

    config = run.loaded_config()
    sound = run.expenses[~run.expenses_with_errors()] if len(run.expenses) else run.expenses
    found = billable_expenses(sound, config, frozenset((EXPENSE, i) for i in billed))
    return found.assign(**{PRICE: [marked_up(a, config.clients[c]) for a, c in
                                   zip(found[Expenses.amount], found[Expenses.client_key])]})


def read_billed_expenses(workspace: Path) -> pd.DataFrame | None:
    """The expenses on live invoices; None where the ledger cannot be read (step 4 said why)."""
    try:
        return ledger.read_billed_expenses(workspace / "output" / "ledger.sqlite")
    except ledger.LedgerError:
        return None


def read_billed(workspace: Path) -> tuple[pd.DataFrame, list[Problem]]:
    path = workspace / "output" / "ledger.sqlite"
    try:
        return ledger.read_billed(path), []
    except ledger.LedgerError as exc:
        return ledger.no_billed(), [problem(Source("output/ledger.sqlite"), "ledger", str(exc))]


def import_rules(config: Config) -> Rules:
    zones = {normalise(name): p.timezone for p in config.team if p.timezone
             for name in (p.name, p.email, *p.aliases) if name}
    return Rules(config.agency.timezone, zones, config.imports.date_format)


def _kept_calendars(workspace: Path) -> Path | None:
    """Where what the calendars hold for a period is kept (calendars/kept.py), its entries unused for
    a while removed first; None where the workspace has no output/ (a run writes nothing there)."""
    if not (workspace / "output").is_dir():
        return None
    folder = workspace / "output" / ".cache" / "calendars"
    expire(folder)
    return folder


OUTSIDE = [Entries.source_file, Entries.source_row, Entries.date]  # all a run reads of the entries outside its period


def split_period(entries: pd.DataFrame, period: Period) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """(entries dated in the period or undated; the file, row and date of those dated outside it —
    not every column of a year's entries copied; the first's rows in `entries`)."""
    day = entries[Entries.date]
    inside = (day.isna() | period.holds(day)).to_numpy(dtype=bool)
    if inside.all():  # a period that holds every entry (a year's check): its rows are not copied
        return entries.reset_index(drop=True), entries.loc[[], OUTSIDE], np.arange(len(entries))
    return entries[inside].reset_index(drop=True), entries.loc[~inside, OUTSIDE], np.flatnonzero(inside)


def _rows_among(entries: pd.DataFrame, places: set[tuple[str, int | None]]) -> set[tuple[str, int]]:
    """Of the (file, row) `places`, those of `entries` (a year's entries: only the files named are looked at)."""
    files, rows = {file for file, row in places if row is not None}, {row for _, row in places if row is not None}
    mine = entries[entries[Entries.source_file].isin(files) & entries[Entries.source_row].isin(rows)] if files \
        else entries.iloc[:0]
    return set(zip(mine[Entries.source_file], mine[Entries.source_row].astype(int))) & places


def earliest(entries: pd.DataFrame, period: Period) -> date | None:
    """The first day of `entries` before the period, if any is."""
    days = entries.loc[entries[Entries.date].lt(pd.Timestamp(period.start)), Entries.date]
    return days.min().date() if len(days) else None


def outside_period(outside: pd.DataFrame, period: Period) -> list[Problem]:
    """One info per file: how many entries fell outside the period, and their dates."""
    if outside.empty:
        return []
    files = outside[Entries.source_file].to_numpy(dtype=object)
    days = outside[Entries.date].to_numpy(dtype="datetime64[D]")  # all dated: the undated are in every period
    # the rows in runs of one file (an export's rows are together), found by comparing neighbours: a
    # year's file names are not grouped (hashed); a file in several runs is still told once
    runs = np.flatnonzero(np.concatenate(([True], files[1:] != files[:-1])))
    per_file: dict[str, tuple[int, np.datetime64, np.datetime64]] = {}
    for file, n, first, last in zip(files[runs], np.diff(np.append(runs, len(files))),
                                    np.minimum.reduceat(days, runs), np.maximum.reduceat(days, runs)):
        count, earliest_day, latest_day = per_file.get(file, (0, first, last))
        per_file[file] = (count + int(n), min(earliest_day, first), max(latest_day, last))
    return [info(Source(file), "outside-period", f"{n} entr{'y' if n == 1 else 'ies'} outside {period} ignored "
                                                 f"({first.item():%Y-%m-%d} .. {last.item():%Y-%m-%d})")
            for file, (n, first, last) in sorted(per_file.items())]
