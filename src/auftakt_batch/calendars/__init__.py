"""Calendars: ICS exports as meetings, absences and evidence of untracked time.

`calendar_time`: the meetings of clients that bill meetings (`calendar.bill_meetings`) as
entries, each marked covered if its owner logged time for it (then the timesheet entry counts);
the other clients' meetings nobody tracked are listed as untracked time. It is reading
(`read_meetings` of the `calendars_read`), which needs no timesheet, then matching (`time_of`):
the pipeline reads the calendars in a process of their own while it resolves the timesheet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from ..config import CalendarRule, Config
from ..periods import Period
from ..problems import Problem, Severity, Source, plural
from ..units import hm
from .meetings import Meetings, covered, read_meetings


@dataclass(frozen=True)
class CalendarTime:
    entries: pd.DataFrame  # RawEntries: the meetings of clients that bill them, one per occurrence
    covered: pd.Series  # per entry: its owner logged time for it (so it is not billed — unless it was already)
    untracked: pd.DataFrame  # client meetings nobody tracked, of clients that do not bill meetings
    absences: pd.DataFrame  # person, date
    problems: list[Problem]
    unreadable: list[str]


def calendar_time(files: list[tuple[Path, str]], timesheet: pd.DataFrame, config: Config, period: Period,
                  billed_only: bool = False, keep: Path | None = None, since: date | None = None) -> CalendarTime:
    """`timesheet`: the period's entries with names resolved (person_name, client_key, start, end, date).
    `billed_only` (a check of months past, which counts what is billed): only the meetings of
    clients that bill them, and none of the other clients' untracked time. `keep`: the folder where
    what each calendar holds for a period is kept (kept.py); `since`: the first day the inputs hold
    before the period, from which a calendar parsed is listed (read.read_calendar)."""
    return time_of(read_meetings(calendars_read(files, config, billed_only), config, period, keep, since),
                   timesheet, config, billed_only)


def calendars_read(files: list[tuple[Path, str]], config: Config, billed_only: bool) -> list[tuple[Path, str]]:
    """The calendars `calendar_time` reads: none in a check of months past if no client bills meetings."""
    return files if not billed_only or any(c.calendar and c.calendar.bill_meetings for c in config.clients.values()) \
        else []


def time_of(read: Meetings, timesheet: pd.DataFrame, config: Config, billed_only: bool = False) -> CalendarTime:
    """`calendar_time` of what `read_meetings` read (it needs no timesheet: a run reads the calendars
    beside its other work, then matches them here)."""
    meetings, absences, problems, unreadable = read
    clients = meetings[meetings["client_key"].notna()]
    if billed_only:
        bills = {key for key, client in config.clients.items() if client.calendar and client.calendar.bill_meetings}
        clients = clients[clients["client_key"].isin(bills)]
    if clients.empty:  # no calendar, or no client's meeting in it: nothing to bill, cover or report
        return CalendarTime(_as_entries(clients, config), pd.Series(dtype=bool), clients.reset_index(drop=True),
                            absences, problems, unreadable)
    return _client_time(clients, absences, problems, unreadable, timesheet, config)


def _client_time(clients: pd.DataFrame, absences: pd.DataFrame, problems: list[Problem], unreadable: list[str],
                 timesheet: pd.DataFrame, config: Config) -> CalendarTime:
    """`calendar_time` of the meetings matched to a client (`clients`)."""
    logged = covered(clients, timesheet)
    bills = clients["client_key"].map(lambda k: _rule(config, k).bill_meetings).astype(bool)
    untracked = clients[~bills & ~logged]
    return CalendarTime(_as_entries(clients[bills], config), pd.Series(logged[bills].to_numpy()),
                        untracked.reset_index(drop=True), absences, problems + _untracked_problems(untracked),
                        unreadable)


def _as_entries(meetings: pd.DataFrame, config: Config) -> pd.DataFrame:
    """Meetings as raw entries: the row of a calendar is the occurrence's number in the period."""
    return pd.DataFrame({
        "source_file": meetings["source_file"].astype(str),
        "source_row": meetings["occurrence"].astype("int64"),
        "source_format": "calendar",
        "date": meetings["date"].astype("datetime64[us]"),
        "start": meetings["start"].astype("datetime64[us, UTC]"),
        "local_start": meetings["local_start"].astype("datetime64[us]"),
        "end": meetings["end"].astype("datetime64[us, UTC]"),
        "duration_s": meetings["duration_s"].astype("Int64"),
        "person": meetings["person"].astype(str),
        "client": meetings["client_key"].astype(str),
        "job": meetings["client_key"].map(lambda k: _rule(config, k).job or "").astype(str),
        "task": "",
        "description": meetings["summary"].astype(str),
        "email": "",
        "billable_flag": pd.array([pd.NA] * len(meetings), dtype="boolean"),
        "export_amount": None,
        "export_rate": None,
        "export_currency": "",
        "invoiced_flag": pd.array([pd.NA] * len(meetings), dtype="boolean"),
        "tracker_invoice": "",
        "approved_flag": pd.array([pd.NA] * len(meetings), dtype="boolean"),
    })


def _untracked_problems(untracked: pd.DataFrame) -> list[Problem]:
    """A warning per calendar and client: its meetings nobody tracked (grouped here: a few hundred rows)."""
    groups: dict[tuple[str, str], list[int]] = {}
    for at, key in enumerate(zip(untracked["source_file"], untracked["client_key"])):
        if not any(pd.isna(k) for k in key):  # as a groupby leaves them out
            groups.setdefault(key, []).append(at)
    summary, day, seconds, person = (untracked[c].tolist() for c in ("summary", "date", "duration_s", "person"))
    problems = []
    for (file, client), rows in sorted(groups.items()):
        shown = "; ".join(f"{summary[r]!r} {day[r]:%Y-%m-%d} ({hm(seconds[r])})" for r in rows[:3])
        more = "; …" if len(rows) > 3 else ""
        problems.append(Problem(Source(file), "untracked-meeting", Severity.WARNING, (
            f"{plural(len(rows), 'meeting')} with {client} ({hm(sum(seconds[r] for r in rows))} h) that no timesheet "
            f"entry of {person[rows[0]]} covers: {shown}{more} — time that is probably not billed")))
    return problems


def _rule(config: Config, client: str) -> CalendarRule:
    """The calendar rule of a client a meeting was matched to: a client without one (a meeting
    tagged `[key]`) has the rule of no domains, no keywords and no billed meetings."""
    return config.clients[client].calendar or CalendarRule()
