"""Checks: small functions over the period's entries, each returning problems.

Each check is `(entries, context) -> list[Problem]` and looks only at rows whose fields it
needs are present (a row with an unreadable date already has its error). Errors would make
a bill wrong and hold back the client's invoice; warnings are for the reviewer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

import numpy as np
import pandas as pd

from ..calendars.meetings import coverings
from ..config import Config
from ..frames import among, factorize, firsts
from ..memory import release
from ..names import normalise, normalised_values
from ..periods import Period
from ..pricing import RATE_KEY, entry_rates, logged_seconds
from ..pricing.models import modelled
from ..problems import Problem, Severity, Source, for_rows, plural
from ..processes import cores, forked_map, forked_pool
from ..schemas import Entries as E
from ..schemas import ReportEntries as R
from ..units import CENT, HOUR, hm, hours_text
from .tracker import UNAPPROVED, invoice_ids

ERROR, WARNING = Severity.ERROR, Severity.WARNING
LONG_ENTRY_S = 16 * 3600
DAY_S = 24 * 3600


@dataclass(frozen=True)
class Context:
    config: Config
    period: Period
    today: date
    billed: pd.DataFrame  # the ledger's live billed entries (ledger.BILLED_COLUMNS)


Check = Callable[[pd.DataFrame, Context], list[Problem]]


def unknown_person(e: pd.DataFrame, ctx: Context) -> list[Problem]:
    rows = _where(e, e[E.person_name].isna() & e[E.person].ne(""))
    return _grouped(rows, [E.person], E.person, "unknown-person", ERROR, lambda g, note: (
        f"unknown person {g.person.iloc[0]!r}{note} — add them (or an alias) to team in rates.yaml; "
        f"{ctx.config.people.suggestion(g.person.iloc[0], 'team')}"))


def unknown_client(e: pd.DataFrame, ctx: Context) -> list[Problem]:
    rows = _where(e, e[E.client_key].isna() & e[E.client].ne(""))
    return _grouped(rows, [E.client], E.client, "unknown-client", ERROR, lambda g, note: (
        f"unknown client {g.client.iloc[0]!r}{note} — add it (or an alias) to rates.yaml; "
        f"{ctx.config.client_names.suggestion(g.client.iloc[0], 'clients')}"))


def missing_client(e: pd.DataFrame, ctx: Context) -> list[Problem]:
    unresolved = _where(e, e[E.client_key].isna())  # (most entries resolve: their names are not stripped again)
    rows = _where(unresolved, unresolved[E.client].str.strip().eq(""))

    def message(g: pd.DataFrame, note: str) -> str:
        job = g.job.iloc[0]
        if not job:
            return f"client is empty{note} — every entry needs a client"
        n = len(ctx.config.job_owners.get(normalise(job), ()))
        where = "no client in rates.yaml has" if n == 0 else f"{n} clients in rates.yaml have"
        return (f"client is empty{note} and {where} a job {job!r} — fill in the client, or add the job (or an alias) "
                "under its one client in rates.yaml")

    return _grouped(rows, [E.job], E.client, "missing-client", ERROR, message)


def unknown_job(e: pd.DataFrame, ctx: Context) -> list[Problem]:
    rows = _where(e, e[E.client_key].notna() & e[E.job_key].isna())

    def message(g: pd.DataFrame, note: str) -> str:
        client, job = g.client_key.iloc[0], g.job.iloc[0]
        if not job:
            return f"job is empty{note} — {client} has jobs: {', '.join(ctx.config.clients[client].jobs)}"
        return (f"unknown job {job!r} for client {client}{note} — add it (or an alias) under clients.{client}.jobs "
                f"in rates.yaml; {ctx.config.job_names[client].suggestion(job, 'jobs')}")

    return _grouped(rows, [E.client_key, E.job], E.job, "unknown-job", ERROR, message)


def no_rate(e: pd.DataFrame, ctx: Context) -> list[Problem]:
    """Billable entries with no hourly rate in force — but those of retainer and fixed-price jobs,
    billed by their model (an hourly rate there only values them for the reports). A client whose
    own rate has no start has a rate on every day: its entries are not looked up."""
    resolved = e[E.billable] & e[RATE_KEY].notna().all(axis=1)
    resolved &= ~modelled(e, ctx.config) & ~e[E.client_key].isin(_always_priced(ctx.config))
    if not resolved.any():  # nothing to price: no rate to look up
        return []
    candidates = e[resolved]
    rows = _where(candidates, entry_rates(candidates, ctx.config).isna())
    return _grouped(rows, [E.person_name, E.client_key, E.job_key], E.date, "no-rate", ERROR, lambda g, note: (
        f"no rate in force for {g.person_name.iloc[0]} on {_job_label(g.iloc[0])} on {_dates(g[E.date])}{note} — "
        f"set clients.{g.client_key.iloc[0]}.rate (or a job, person or role rate) in rates.yaml, or mark the "
        "entries non-billable"))


def _always_priced(config: Config) -> list[str]:
    """The clients whose own rate is in force on every day (it has no start): every entry of theirs
    has a rate (pricing/rates.py: the client's is the last level looked at), so none is looked up."""
    return [key for key, client in config.clients.items()
            if client.rate is not None and any(start is None for start, _ in client.rate.changes)]


def non_positive_duration(e: pd.DataFrame, ctx: Context) -> list[Problem]:
    rows = _where(e, e[E.duration_s].lt(0).fillna(False))
    return for_rows(rows, "hours", "non-positive-duration", ERROR,
                    lambda r: f"duration is {hm(r.duration_s)} — an entry needs more than zero time; "
                              "correct it or delete the row") + for_rows(
        _where(e, e[E.duration_s].eq(0).fillna(False)), "hours", "zero-duration", WARNING,
        lambda r: "no time (0:00) — nothing to bill; a timer started and stopped at once?")


def impossible_duration(e: pd.DataFrame, ctx: Context) -> list[Problem]:
    rows = _where(e, e[E.duration_s].gt(DAY_S).fillna(False))
    return for_rows(rows, "hours", "impossible-duration", ERROR,
                    lambda r: f"{hm(r.duration_s)} h in one entry is more than a day — correct it or split it")


def long_entry(e: pd.DataFrame, ctx: Context) -> list[Problem]:
    rows = _where(e, e[E.duration_s].between(LONG_ENTRY_S + 1, DAY_S).fillna(False))
    return for_rows(rows, "hours", "long-entry", WARNING,
                    lambda r: f"{hm(r.duration_s)} h in one entry (more than 16 h) — check it")


def long_day(e: pd.DataFrame, ctx: Context) -> list[Problem]:
    known = _where(e, e[E.person_name].notna() & e[E.date].notna() & e[E.duration_s].gt(0).fillna(False))
    if len(known) < 2:  # a day over 24 h takes two entries (one alone is impossible-duration's)
        return []
    day = known.groupby([E.person_name, E.date])[E.duration_s]
    day_total, day_entries = day.transform("sum"), day.transform("size")
    # a single over-long entry is already an impossible-duration error; assign before filtering
    rows = known.assign(day_total=day_total)[(day_total > DAY_S) & (day_entries > 1)]
    return _grouped(rows, [E.person_name, E.date], "hours", "day-over-24h", ERROR, lambda g, note: (
        f"{g.person_name.iloc[0]} logged {hm(g.day_total.iloc[0])} h on {g.date.iloc[0]:%Y-%m-%d}, more than 24 h "
        f"in one day{_rows_of(g)} — correct the hours"))


def overlapping(e: pd.DataFrame, ctx: Context) -> list[Problem]:
    """Entries that start before an earlier-starting entry of the same person has ended; one
    warning per person and file, covering the overlapping rows and the rows they overlap."""
    read = [E.person_name, E.start, E.end, E.date, E.source_file, E.source_row]  # of a year's entries: no more
    timed = e.loc[e[E.person_name].notna() & e[E.start].notna() & e[E.end].notna(), read]
    if len(timed) < 2:  # an overlap takes two entries
        return []
    # each person's entries by start, then end (stably), the people in the order of their names: as numbers
    who = factorize(timed[E.person_name], sort=True)[0]
    order = np.lexsort((timed[E.end].to_numpy(dtype="datetime64[us]"), timed[E.start].to_numpy(dtype="datetime64[us]"),
                        who))
    timed, who = timed.take(order).reset_index(drop=True), who[order]
    position = pd.Series(timed.index, index=timed.index)
    # the entry with the latest end so far, per person: each start is compared with it
    latest = position.where(timed[E.end].eq(timed[E.end].groupby(who).cummax()))
    latest = latest.groupby(who).ffill().groupby(who).shift()
    at = latest.fillna(-1).astype(int).to_numpy()
    overlaps = latest.notna() & (timed[E.start] < timed[E.end].reindex(at).set_axis(timed.index))
    covering = timed.reindex(at[overlaps.to_numpy()])  # the rows overlapped: only those are copied
    involved = pd.concat([timed[overlaps], covering.astype({E.source_row: "int64"})])
    involved = involved.drop_duplicates([E.source_file, E.source_row])
    involved = involved.sort_values(E.source_row)
    groups: dict[tuple[str, str], tuple[list[int], list[pd.Timestamp]]] = {}  # per file and person: rows, days
    for file, person, row, day in zip(involved[E.source_file], involved[E.person_name], involved[E.source_row],
                                      involved[E.date]):
        rows, days = groups.setdefault((file, person), ([], []))
        rows.append(int(row))
        days.append(day)
    return [Problem(Source(file, rows[0], E.start), "overlap", WARNING,
                    f"{person}'s entries on {_days(days)} overlap{_rows_text(rows)} — fine if they really did two "
                    f"things at once", tuple(rows) if len(rows) > 1 else ())
            for (file, person), (rows, days) in sorted(groups.items())]  # many overlaps: no frame per person


def _days(days: list[pd.Timestamp]) -> str:
    known = sorted({d for d in days if pd.notna(d)})
    if len(known) < 2:
        return f"{known[0]:%Y-%m-%d}" if known else "an unknown day"
    return f"{len(known)} days ({known[0]:%Y-%m-%d} .. {known[-1]:%Y-%m-%d})"


def _rows_text(rows: list[int], shown: int = 8) -> str:
    """' (rows 4, 9, 12)' for several rows, '' for one (as _rows_of says it of a frame)."""
    more = ", …" if len(rows) > shown else ""
    return f" (rows {', '.join(map(str, rows[:shown]))}{more})" if len(rows) > 1 else ""


def future_date(e: pd.DataFrame, ctx: Context) -> list[Problem]:
    """Entries dated after today are usually planned time or a typo."""
    rows = _where(e, e[E.date].gt(pd.Timestamp(ctx.today)).fillna(False))
    return _grouped(rows, [], E.date, "future-date", WARNING, lambda g, note: (
        f"{_entries(len(g))} dated {_dates(g[E.date])}{_rows_of(g)}, after today ({ctx.today}) — check the "
        "dates unless the time is planned"))


def weekend_work(e: pd.DataFrame, ctx: Context) -> list[Problem]:
    rows = _where(e, e[E.date].dt.day_of_week.ge(5).fillna(False) & e[E.duration_s].gt(0).fillna(False))
    return _grouped(rows, [E.date], E.date, "weekend", WARNING, lambda g, note: (
        f"{_entries(len(g))} logged on a {g.date.iloc[0]:%A} ({g.date.iloc[0]:%Y-%m-%d}){_rows_of(g)} — check the "
        "date"))


def missing_description(e: pd.DataFrame, ctx: Context) -> list[Problem]:
    rows = _where(e, e[E.billable] & e[E.description].eq("") & e[E.client_key].notna())
    return _grouped(rows, [], E.description, "missing-description", WARNING, lambda g, note: (
        f"{_entries(len(g))} billable without a description{_rows_of(g)} — the client sees the line unexplained"))


def billable_conflict(e: pd.DataFrame, ctx: Context) -> list[Problem]:
    rows = _where(e, e[E.billable_flag].fillna(False) & ~e[E.billable] & e[E.client_key].notna())
    return for_rows(rows, E.billable, "not-billable", WARNING, lambda r: (
        f"marked billable, but {_job_label(r)} is not billable in rates.yaml — it is not billed"))


def invoiced_in_tracker(e: pd.DataFrame, ctx: Context) -> list[Problem]:
    """Billable entries the export marks invoiced in the tracker (and not on one of our
    invoices): a note per file with their hours and the tracker's invoice ids."""
    invoiced = e[E.invoiced_flag].fillna(False).astype(bool)
    rows = _unbilled(_where(e, e[E.billable] & invoiced), ctx)
    skip = ctx.config.imports.invoiced_in_tracker == "skip"
    then = ("not billed again (imports.invoiced_in_tracker: skip; set it to bill to invoice them anyway)" if skip
            else "billed anyway, as imports.invoiced_in_tracker: bill says; make sure the tracker's invoice does not "
                 "cover {}")
    def ids(g: pd.DataFrame) -> str:
        return f" (invoice {named})" if (named := invoice_ids(g)) else ""

    return _grouped(rows, [], "invoiced", "invoiced-in-tracker", Severity.INFO, lambda g, note: (
        f"{_entries(len(g))} ({_hours(g)}) invoiced in the tracker already{ids(g)}{note} — "
        f"{then.format('it' if len(g) == 1 else 'them')}"))


def not_approved(e: pd.DataFrame, ctx: Context) -> list[Problem]:
    """With imports.require_approval: billable entries the export does not mark approved, a note
    per file and person (the review workbook's explicit yes still bills them)."""
    rows = _unbilled(_where(e, e[E.billable] & e[E.tracker_hold].eq(UNAPPROVED)), ctx)
    return _grouped(rows, [E.person_name], "approved", "not-approved", Severity.INFO, lambda g, note: (
        f"{g.person_name.iloc[0] if pd.notna(g.person_name.iloc[0]) else g.person.iloc[0]}: {_entries(len(g))} "
        f"({_hours(g)}) the export does not mark approved{note} — held back (imports.require_approval: true); "
        "approve them in the tracker and export again, or set approve to yes in the review workbook"))


def _hours(group: pd.DataFrame) -> str:
    return f"{hours_text(logged_seconds(group).sum())} h"


def repeated_in_file(e: pd.DataFrame, ctx: Context) -> list[Problem]:
    rows = _where(e, e[E.duplicate_of].notna())
    return for_rows(rows, None, "repeated-row", WARNING, lambda r: (
        f"same as row {r.duplicate_of} (person, date, time, job and description) — both are counted; "
        "delete one if it was logged twice"))


def near_repeat(e: pd.DataFrame, ctx: Context) -> list[Problem]:
    """The same person and day in another file, alike in job and hours or in words: an edited
    re-export counts twice, so say so (both are counted until one file goes)."""
    read = [E.person_name, E.date, E.client_key, E.job_key, E.duration_s, E.start, E.description, E.source_file,
            E.source_row, E.entry_id]  # of a year's entries: no more
    known = _where(e[read], e[[E.person_name, E.date, E.duration_s]].notna().all(axis=1))
    known = _where(known, _in_two_files(known))  # a near repeat is in another file, the same person and day
    if known.empty:
        return []
    known = known.assign(words=normalised_values(known[E.description]))
    problems, seen = [], set()
    for key in ([E.person_name, E.date, E.client_key, E.job_key, E.duration_s, E.start],
                [E.person_name, E.date, "words"]):
        candidates = known[known["words"].ne("")] if "words" in key else known
        first, which = firsts(candidates[key])
        first = first[which]  # each row's first row with its key
        files, ids = candidates[E.source_file].to_numpy(dtype=object), candidates[E.entry_id].to_numpy(dtype=object)
        for i in np.flatnonzero((files != files[first]) & (ids != ids[first])):
            r, f = candidates.iloc[i], candidates.iloc[first[i]]
            if (r.source_file, r.source_row) not in seen:
                seen.add((r.source_file, r.source_row))
                problems.append(Problem(Source(r.source_file, int(r.source_row), None), "near-repeat", WARNING, (
                    f"looks like {f.source_file}:{int(f.source_row)} edited (same person and day, "
                    f"{'same words' if 'words' in key else 'same job and hours'}) — both are counted; if one file "
                    "is an edited re-export of the other, remove the older one")))
    return problems


def _in_two_files(known: pd.DataFrame) -> np.ndarray:
    """Whether a row's person and day are in two files or more: a person's day is usually in one
    export, so near repeats are looked for among few of a year's rows."""
    if len(known) == 0:
        return np.zeros(0, dtype=bool)
    _, day = firsts(known[[E.person_name, E.date]])
    file = factorize(known[E.source_file])[0]
    lowest, highest = np.full(day.max() + 1, file.max()), np.zeros(day.max() + 1, dtype=file.dtype)
    np.minimum.at(lowest, day, file)
    np.maximum.at(highest, day, file)
    return (lowest != highest)[day]


def export_price(e: pd.DataFrame, ctx: Context) -> list[Problem]:
    """A tracker's own rate or amount that differs from the rates.yaml price: the invoice uses
    rates.yaml, so a wrong rate in the tracker (or in rates.yaml) becomes visible, not billed."""
    said = e[E.export_rate].notna() | e[E.export_amount].notna()
    rows = _where(e, said & e[E.billable] & e[RATE_KEY].notna().all(axis=1) & e[E.duration_s].gt(0).fillna(False))
    if rows.empty:
        return []
    currencies = {key: client.currency for key, client in ctx.config.clients.items()}
    rows = rows.assign(ours=entry_rates(rows, ctx.config), **{R.currency: rows[E.client_key].map(currencies)})
    foreign = rows[rows[E.export_currency].ne("") & rows[E.export_currency].ne(rows[R.currency])]
    problems = _grouped(foreign, [E.export_currency, R.currency], "currency", "export-currency", WARNING,
                        lambda g, note: f"the export's amounts are in {g.export_currency.iloc[0]}, "
                                        f"{g.client_key.iloc[0]} is billed in {g.currency.iloc[0]}{note} — not "
                                        "compared; the invoice uses rates.yaml")
    rows = rows.drop(foreign.index).dropna(subset=["ours"])
    prices = [E.export_rate, E.export_amount, E.duration_s, "ours"]  # judged once per distinct combination
    distinct = rows[prices].astype({E.duration_s: "int64"}).drop_duplicates()
    distinct = distinct.assign(said=[_said(*combination) for combination in distinct.itertuples(index=False)])
    rows = rows.astype({E.duration_s: "int64"}).merge(distinct, on=prices, how="left").dropna(subset=["said"])
    cents = "{:.2f}".format
    rows = rows.assign(said_text=rows["said"].map(cents), ours_text=rows["ours"].map(cents))
    by_rate = rows[E.export_rate].map(bool).astype(bool)  # a rate column, else the amount over the hours
    for column, mine in (("rate", by_rate), ("amount", ~by_rate)):
        problems += _grouped(rows[mine], ["said_text", "ours_text"], column, "export-price", WARNING, lambda g, note: (
            f"the export prices this at {g.said_text.iloc[0]}/h, rates.yaml at {g.ours_text.iloc[0]}/h{note} — the "
            "invoice uses rates.yaml; correct the rate in the tracker or in rates.yaml"))
    return problems


def _said(rate: Decimal | None, amount: Decimal | None, seconds: int, ours: Decimal) -> Decimal | None:
    """The hourly rate the export charged, if it differs from ours: its rate column, else its
    amount over the hours (when that amount is more than a cent off ours). A zero is a tracker
    without a rate: nothing to compare."""
    if rate:
        return rate if rate != ours else None
    if amount:
        hours = Decimal(int(seconds)) / HOUR
        if abs(amount - (ours * hours).quantize(CENT)) > CENT:
            try:
                return (amount / hours).quantize(CENT)
            except InvalidOperation:  # an absurd amount over a second's work: too large to show in cents
                return amount / hours
    return None


def logged_billed_meeting(e: pd.DataFrame, ctx: Context) -> list[Problem]:
    """A billable timesheet entry for a meeting already billed from the calendar — overlapping it,
    or without times for its client on its day (calendars/meetings.py): billing it would bill the
    meeting twice. Before billing the entry counts and the meeting does not; after, the meeting
    is on an invoice."""
    if ctx.billed.empty:  # no meeting billed yet
        return []
    calendar = e[E.source_format].eq("calendar")
    meetings = e[calendar]
    meetings = meetings[among(meetings[E.entry_id], ctx.billed[E.entry_id])]  # the meetings alone looked up
    if meetings.empty:  # none of the period's meetings is billed (a year's ledger is of other months)
        return []
    billed = ctx.billed.set_index(E.entry_id)["number"]  # each billed entry's invoice, by its id
    owners = e[E.person_name].isin(meetings[E.person_name].unique())  # only a meeting's owner can have logged it
    candidates = e[~calendar & e[E.billable] & e[E.person_name].notna() & owners]
    logged = candidates[~among(candidates[E.entry_id], billed.index)]
    if logged.empty:
        return []
    m = meetings[[E.person_name, E.client_key, E.start, E.end, E.date, E.description, E.entry_id]].rename(
        columns={E.person_name: "person"})
    pairs = coverings(m, logged).drop_duplicates("entry")
    rows = logged.loc[pairs["entry"]].assign(meeting=m.loc[pairs["meeting"], E.description].to_numpy(),
                                            number=billed[m.loc[pairs["meeting"], E.entry_id]].to_numpy())
    timed, then = rows[E.start].notna(), " — delete this entry, or void the invoice and bill again"
    return for_rows(rows[timed], E.start, "meeting-billed", ERROR, lambda r: (
        f"overlaps the meeting {r.meeting!r} already billed from the calendar on invoice {r.number}{then}")) + for_rows(
        rows[~timed], E.date, "meeting-billed", ERROR, lambda r: (
            f"logged for {r.client_key} on the day of the meeting {r.meeting!r} already billed from the calendar on "
            f"invoice {r.number}{then}"))


CHECKS: list[Check] = [
    unknown_person, unknown_client, missing_client, unknown_job, no_rate, non_positive_duration, impossible_duration,
    long_entry, long_day, overlapping, future_date, weekend_work, missing_description, billable_conflict,
    repeated_in_file, near_repeat, export_price, logged_billed_meeting, invoiced_in_tracker, not_approved,
]
# the checks that only warn or inform: no entry is held back by them. The history check (the months
# before a report's period: pipeline.check_before) skips them, as what it is for reads errors only
ADVISORY: tuple[Check, ...] = (long_entry, overlapping, future_date, weekend_work, missing_description,
                               billable_conflict, repeated_in_file, near_repeat, export_price, invoiced_in_tracker,
                               not_approved)
BLOCKING: list[Check] = [check for check in CHECKS if check not in ADVISORY]


PARALLEL_ROWS = 200_000  # entries from which the checks run on every core (processes.forked_pool)


def run_checks(entries: pd.DataFrame, ctx: Context, checks: list[Check] = CHECKS,
               meanwhile: Callable[[], object] = lambda: None) -> list[Problem]:
    """Every check's problems, in the order of `checks`. Each check reads the entries and returns its
    problems, nothing else: on a year's entries they run on every core, a check at a time in
    workers forked from the run (which read the entries as it holds them; only the problems come
    back), while this process does `meanwhile` (elsewhere it is done first; it may be called twice,
    where the workers fail: it is to do its work once). What each check used is handed back before
    the next (memory.release)."""
    if len(entries) >= PARALLEL_ROWS and len(checks) > 1:
        pool = forked_pool(min(len(checks), cores()))  # each worker is told a check's place: any check, a closure too
        found = forked_map(pool, _forked_check, range(len(checks)), (checks, entries, ctx),
                           lambda checked: (meanwhile(), list(checked))[1])  # the workers forked: they check
        if found is not None:
            return [problem for problems in found for problem in problems]
    meanwhile()
    return [problem for check in checks for problem in _checked(check, entries, ctx)]


def _forked_check(at: int, shared: tuple[list[Check], pd.DataFrame, Context]) -> list[Problem]:
    checks, entries, ctx = shared
    return _checked(checks[at], entries, ctx)


def _checked(check: Check, entries: pd.DataFrame, ctx: Context) -> list[Problem]:
    problems = check(entries, ctx)
    release()
    return problems


def _where(e: pd.DataFrame, mask: pd.Series) -> pd.DataFrame:
    """`e[mask]`, the rows a check is about; most checks find none, and selecting none is not free."""
    return e[mask] if mask.any() else e.iloc[:0]


def _unbilled(rows: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """The `rows` on no invoice of the ledger: only they are looked up among a year's billed ids
    (`among`), and none where there are none."""
    return rows[~among(rows[E.entry_id], ctx.billed[E.entry_id])] if len(rows) else rows


def _grouped(rows: pd.DataFrame, by: list[str], column: str | None, code: str, severity: Severity,
             message: Callable[[pd.DataFrame, str], str]) -> list[Problem]:
    """One problem per file and group, at the group's first row and covering all of its rows."""
    if rows.empty:  # the usual case, and grouping no rows is not free
        return []
    problems = []
    for _, group in rows.groupby([E.source_file, *by], sort=True, dropna=False):
        row_numbers = tuple(int(r) for r in group[E.source_row])
        note = f" ({len(row_numbers)} rows: {_row_numbers(group[E.source_row])})" if len(row_numbers) > 1 else ""
        problems.append(Problem(Source(group[E.source_file].iloc[0], row_numbers[0], column), code, severity,
                                message(group, note), row_numbers if len(row_numbers) > 1 else ()))
    return problems


def _row_numbers(rows: pd.Series, shown: int = 8) -> str:
    return ", ".join(map(str, rows.iloc[:shown])) + (", …" if len(rows) > shown else "")


def _rows_of(group: pd.DataFrame) -> str:
    """' (rows 4, 9, 12)' for several rows, '' for one."""
    return f" (rows {_row_numbers(group[E.source_row])})" if len(group) > 1 else ""


def _dates(dates: pd.Series) -> str:
    first, last = dates.min(), dates.max()
    return f"{first:%Y-%m-%d}" if first == last else f"{first:%Y-%m-%d} .. {last:%Y-%m-%d}"


def _entries(n: int) -> str:
    return plural(n, "entry", "entries")


def _local_clock(instants: pd.Series, timezone: str) -> pd.Series:
    return instants.dt.tz_convert(timezone).dt.strftime("%H:%M")


def _place(file: str, row: int, here: str) -> str:
    return f"row {int(row)}" if file == here else f"{file}:{int(row)}"


def _job_label(r: Any) -> str:
    return f"{r.client_key}/{r.job_key}" if r.job_key else r.client_key
