"""The run on one screen: config → ingest → validate → period → resolve → checks.

Each stage returns its result and its problems; nothing here raises on bad user data.
Billing and reports (later stages) start from a `CheckRun`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from . import ledger
from .calendars import calendar_time
from .check.capacity import missing_day_problems, missing_days
from .check.checks import Context, not_approved, run_checks
from .check.identity import drop_repeats, identify
from .check.overlaps import supersede
from .check.reconcile import Reconciliation, evidence, reconcile
from .check.resolve import resolve_names
from .check.review_file import saved as saved_reviews
from .check.tracker import INVOICED, UNAPPROVED, hold_by_tracker, share_flags
from .config import Config, load_config
from .ingest import SourceFile, ingest
from .ingest.build import Rules
from .names import normalise
from .periods import Period
from .problems import Problem, Severity, Source, error_rows, has_errors, info, relabel, sorted_problems
from .schemas import Entries, RawEntries, empty, validate


@dataclass(frozen=True)
class CheckRun:
    workspace: Path
    period: Period
    config: Config | None
    files: tuple[SourceFile, ...]
    entries: pd.DataFrame  # Entries of the period, plus rows whose date could not be read (with an error)
    problems: tuple[Problem, ...]
    unreadable: tuple[str, ...]  # files that could not be read: no billing run may proceed
    outside_period: int
    repeated: int
    billed: pd.DataFrame  # the ledger's live billed entries (entry_id, slot, number), read before the checks
    untracked: pd.DataFrame | None = None  # client meetings no timesheet entry covers (calendars/)
    absences: pd.DataFrame | None = None  # person, date: away by their calendar
    calendars: tuple[str, ...] = ()  # the .ics files read
    earliest: date | None = None  # the first day of entries before the period, if the inputs have any
    decisions: pd.DataFrame | None = None  # the review workbook's: entry_id, approve, bill_s (none: no workbook)
    reconciliation: Reconciliation | None = None  # billed entries no longer in the exports, and what they hold back

    @property
    def ok(self) -> bool:
        return not has_errors(self.problems)

    def held_back(self) -> tuple[frozenset[str], bool]:
        """(clients whose invoice an error holds back, whether errors hold back every invoice).

        An error on an entry holds back its client; on an entry of an unknown client, the client
        its name most resembles (or everyone, if it resembles none); an error that is not about
        any entry of the period — an unreadable file, a broken contract — holds back everyone."""
        if self.config is None or self.unreadable:
            return frozenset(), True
        located = error_rows(self.problems)
        faulty = self.entries[self.with_errors()]
        known = {(f, r) for f, r in zip(faulty[Entries.source_file], faulty[Entries.source_row])}
        errors = [p for p in self.problems if p.severity is Severity.ERROR]
        if any(not p.locations() and p.client is None for p in errors) or located - known:
            return frozenset(), True
        held = set(faulty[Entries.client_key].dropna()) | {p.client for p in errors if p.client}
        for name in faulty.loc[faulty[Entries.client_key].isna(), Entries.client].unique():
            key = self.config.client_names.closest(name) if name else None
            if key is None:
                return frozenset(), True
            held.add(key)
        return frozenset(held), False

    def with_errors(self) -> pd.Series:
        """Mask over `entries`: the entries an error is about (they are held back from billing)."""
        place = [Entries.source_file, Entries.source_row]
        bad = pd.DataFrame(sorted(error_rows(self.problems)), columns=place).assign(bad=True)
        marked = self.entries[place].merge(bad, how="left", on=place)
        return pd.Series(marked["bad"].eq(True).to_numpy(), index=self.entries.index)


def check(workspace: Path, period: Period, today: date | None = None) -> CheckRun:
    # 1. Config: rates.yaml → frozen Config. Nothing can be resolved without it, so stop here.
    config, problems = load_config(workspace / "rates.yaml")
    if config is None:
        return CheckRun(workspace, period, None, (), empty(Entries), tuple(sorted_problems(problems)), (), 0, 0,
                        ledger.no_billed())
    today = today or local_today(config.agency.timezone)

    # 2. Ingest: input/** → RawEntries (values parsed, names as typed, source_file/source_row kept).
    ingested = ingest(workspace / "input", workspace, import_rules(config))
    problems += ingested.problems
    raw, schema_problems = validate(RawEntries, ingested.entries)
    problems += schema_problems

    # 3. Period: an entry belongs to the period of its local start date; the rest is counted, and
    #    its problems dropped (an undated row stays: it carries an error and may be in any period).
    everything = raw  # the ledger's entries are looked for in all of it (step 7)
    raw, outside = split_period(raw, period)
    ignored_rows = set(zip(outside[Entries.source_file], outside[Entries.source_row]))
    problems = [p for p in problems if (p.source.file, p.source.row) not in ignored_rows]
    problems += outside_period(outside, period)

    # 4. Resolve names to rates.yaml keys; read the ledger.
    timesheet = resolve_names(raw, config)
    billed, ledger_problems = read_billed(workspace)  # the ledger: what is invoiced, and where it sat
    problems += ledger_problems

    # 5. Calendars: meetings of clients that bill them become entries unless someone logged them
    #    (a meeting already billed stays, so it is never billed again as a timesheet entry); the
    #    other clients' untracked meetings are reported. Then fingerprint every entry, count a
    #    repeated export once (its copies sharing what the tracker said of it), and of two
    #    overlapping exports that disagree, let the newer win; then follow the tracker's flags.
    calendar = calendar_time(list(ingested.calendars), timesheet, config, period)
    problems += calendar.problems
    meetings = identify(resolve_names(validate(RawEntries, calendar.entries)[0], config))
    meetings = meetings[~calendar.covered.to_numpy() | meetings[Entries.entry_id].isin(billed["entry_id"])]
    resolved = identify(timesheet)
    resolved = pd.concat([resolved, meetings], ignore_index=True) if len(meetings) else resolved
    current = supersede(resolved, {f.path: f.modified for f in ingested.files})
    entries, repeat_problems = drop_repeats(share_flags(current.entries), config.imports.billable == "export")
    entries = hold_by_tracker(entries, config.imports)
    problems += current.problems + repeat_problems

    # 6. Validate the Entries contract, then every check.
    entries, schema_problems = validate(Entries, entries)
    problems += schema_problems
    problems += run_checks(entries, Context(config, period, today, billed))
    problems += missing_day_problems(missing_days(entries, calendar.absences, config, period, today))

    # 7. Reconcile the ledger with the exports: a billed entry no longer in them was edited or
    #    deleted since; what could be its edited version is held back until the user decides.
    found = evidence(everything, outside, billed, frozenset(f.path for f in ingested.files), current.lacking, config)
    reconciliation = reconcile(entries, billed, found, period, config)
    problems += reconciliation.problems

    problems = relabel(problems, ingested.labels)
    run = CheckRun(workspace, period, config, ingested.files, entries, tuple(problems),
                   ingested.unreadable + tuple(calendar.unreadable), len(outside),
                   len(current.entries) - len(entries), billed, calendar.untracked, calendar.absences,
                   tuple(label for _, label in ingested.calendars), _earliest(outside, period),
                   reconciliation=reconciliation)

    # 8. The review workbook, if the reviewer wrote one: checked against what would be billed now.
    #    Without one there is nothing to read (and the spreadsheet code is not imported).
    if not saved_reviews(workspace, period):
        return replace(run, problems=tuple(sorted_problems(problems)))
    review = read_review(run)
    run = replace(run, problems=tuple(sorted_problems([*problems, *review.problems])),
                  decisions=review.decided if review.exists else None)
    return _approved_by_reviewer(run, today, ingested.labels)


def _approved_by_reviewer(run: CheckRun, today: date, labels) -> CheckRun:
    """The reviewer's explicit yes wins over `imports.require_approval`: those entries are no
    longer held for the tracker's approval, and the notes count only the ones still waiting."""
    approved = approved_in_review(run)
    if not approved:
        return run
    hold = run.entries[Entries.tracker_hold]
    cleared = hold.eq(UNAPPROVED) & run.entries[Entries.entry_id].isin(approved)
    entries = run.entries.assign(**{Entries.tracker_hold: hold.mask(cleared, "")})
    waiting = relabel(not_approved(entries, Context(run.config, run.period, today, run.billed)), labels)
    kept = [p for p in run.problems if p.code != "not-approved"]
    return replace(run, entries=entries, problems=tuple(sorted_problems([*kept, *waiting])))


def billable_now(run: CheckRun) -> pd.DataFrame:
    """The entries a billing run would invoice (sound, dated, billable, on no invoice of ours nor —
    unless rates.yaml says to bill them — of the tracker's), priced. Entries the tracker has not
    approved are among them: the review may approve them (billing.py applies the review)."""
    from .pricing import price

    sound = run.entries[~run.with_errors() & run.entries[Entries.date].notna()]
    unbilled = sound[~sound[Entries.entry_id].isin(run.billed["entry_id"]) & sound[Entries.billable]
                     & sound[Entries.tracker_hold].ne(INVOICED)]
    return price(unbilled, run.config)


def approved_in_review(run: CheckRun) -> frozenset[str]:
    """The entry ids the reviewer explicitly set to yes: that wins over `imports.require_approval`."""
    if run.decisions is None or run.decisions.empty:
        return frozenset()
    from .reports.review import said_yes

    return frozenset(run.decisions.loc[run.decisions["approve_raw"].map(said_yes).astype(bool), "entry_id"])


def read_review(run: CheckRun):
    from .reports.review import read_decisions

    return read_decisions(run.workspace, run.period, billable_now(run), run.billed, run.config)


def read_billed(workspace: Path) -> tuple[pd.DataFrame, list[Problem]]:
    path = workspace / "output" / "ledger.sqlite"
    try:
        return ledger.read_billed(path), []
    except ledger.LedgerError as exc:
        return ledger.no_billed(), [Problem(Source("output/ledger.sqlite"), "ledger", Severity.ERROR, str(exc))]


def import_rules(config: Config) -> Rules:
    zones = {normalise(name): p.timezone for p in config.team if p.timezone
             for name in (p.name, p.email, *p.aliases) if name}
    return Rules(config.agency.timezone, zones, config.imports.date_format)


def local_today(timezone: str) -> date:
    return datetime.now(ZoneInfo(timezone)).date()


def split_period(entries: pd.DataFrame, period: Period) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(entries dated in the period or undated, entries dated outside it)."""
    day = entries[Entries.date]
    inside = day.isna() | day.between(pd.Timestamp(period.start), pd.Timestamp(period.end))
    return entries[inside].reset_index(drop=True), entries[~inside]


def _earliest(outside: pd.DataFrame, period: Period) -> date | None:
    days = outside.loc[outside[Entries.date].lt(pd.Timestamp(period.start)), Entries.date]
    return days.min().date() if len(days) else None


def outside_period(outside: pd.DataFrame, period: Period) -> list[Problem]:
    """One info per file: how many entries fell outside the period, and their dates."""
    return [
        info(Source(file), "outside-period", f"{len(group)} entr{'y' if len(group) == 1 else 'ies'} outside "
                                             f"{period} ignored ({group['date'].min():%Y-%m-%d} .. "
                                             f"{group['date'].max():%Y-%m-%d})")
        for file, group in outside.groupby(Entries.source_file, sort=True)
    ]
