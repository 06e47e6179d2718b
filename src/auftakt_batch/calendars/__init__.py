"""Calendars: ICS exports as meetings, absences and evidence of untracked time.

`calendar_time` is the pipeline's one call: client meetings that nobody tracked become
entries for clients that bill meetings (`calendar.bill_meetings`), and are listed as
untracked time for the others; a meeting its owner already logged time for counts once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..config import Config
from ..periods import Period
from ..problems import Problem, Severity, Source, hm
from .meetings import covered, read_meetings


@dataclass(frozen=True)
class CalendarTime:
    entries: pd.DataFrame  # RawEntries: billable meetings nobody tracked, one per occurrence
    untracked: pd.DataFrame  # client meetings nobody tracked, of clients that do not bill meetings
    absences: pd.DataFrame  # person, date
    problems: list[Problem]
    unreadable: list[str]


def calendar_time(files: list[tuple[Path, str]], timesheet: pd.DataFrame, config: Config,
                  period: Period) -> CalendarTime:
    """`timesheet`: the period's entries with names resolved (person_name, client_key, start, end, date)."""
    meetings, absences, problems, unreadable = read_meetings(files, config, period)
    open_ = meetings[meetings["client_key"].notna() & ~covered(meetings, timesheet)]
    bills = open_["client_key"].map(lambda k: bool(config.clients[k].calendar.bill_meetings))
    billed, untracked = open_[bills.astype(bool)], open_[~bills.astype(bool)]
    return CalendarTime(_as_entries(billed, config), untracked.reset_index(drop=True), absences,
                        problems + _untracked_problems(untracked), unreadable)


def _as_entries(meetings: pd.DataFrame, config: Config) -> pd.DataFrame:
    """Meetings as raw entries: the row of a calendar is the occurrence's number in the period."""
    return pd.DataFrame({
        "source_file": meetings["source_file"].astype(str),
        "source_row": meetings["occurrence"].astype("int64"),
        "source_format": "calendar",
        "date": meetings["date"].astype("datetime64[us]"),
        "start": meetings["start"].astype("datetime64[us, UTC]"),
        "end": meetings["end"].astype("datetime64[us, UTC]"),
        "duration_s": meetings["duration_s"].astype("Int64"),
        "person": meetings["person"].astype(str),
        "client": meetings["client_key"].astype(str),
        "job": meetings["client_key"].map(lambda k: config.clients[k].calendar.job or "").astype(str),
        "task": "",
        "description": meetings["summary"].astype(str),
        "email": "",
        "billable_flag": pd.array([pd.NA] * len(meetings), dtype="boolean"),
        "export_amount": None,
        "export_rate": None,
        "export_currency": "",
    })


def _untracked_problems(untracked: pd.DataFrame) -> list[Problem]:
    problems = []
    for (file, client), group in untracked.groupby(["source_file", "client_key"], sort=True):
        shown = "; ".join(f"{m.summary!r} {m.date:%Y-%m-%d} ({hm(m.duration_s)})" for m in group.head(3).itertuples())
        more = "; …" if len(group) > 3 else ""
        n = len(group)
        problems.append(Problem(Source(file), "untracked-meeting", Severity.WARNING, (
            f"{n} meeting{'s' if n != 1 else ''} with {client} ({hm(group['duration_s'].sum())} h) that no timesheet "
            f"entry of {group['person'].iloc[0]} covers: {shown}{more} — time that is probably not billed")))
    return problems
