"""Calendars → client meetings and absences, and which meetings nobody tracked.

Needs: the calendar files of input/ and the config. Gives: one row per timed occurrence that
counts (not cancelled, not declined by the calendar's owner), with its owner and client (if
exactly one client claims it), plus the owner's absences (all-day "vacation", "Urlaub",
"sick", … events; a public-holiday calendar's holidays, everyone's unless it has an owner:
absences.py). A meeting is *covered* when its owner logged time overlapping it (or, for
timesheets without times, logged time for that client that day): covered meetings are never
counted twice; the others are either billed (clients with `calendar.bill_meetings`) or listed
as untracked time.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from ..config import Config
from ..periods import Period
from ..problems import Problem, Severity, Source
from ..schemas import Entries as E
from .absences import days_off
from .ahead import parse_ahead
from .match import clients_of, owner_of, unowned_message
from .read import CalendarError, read_calendar

MEETING_COLUMNS = ["source_file", "occurrence", "person", "client_key", "summary", "start", "local_start", "end",
                   "duration_s", "date"]


Meetings = tuple[pd.DataFrame, pd.DataFrame, list[Problem], list[str]]  # read_meetings': what a run's calendars hold


def read_meetings(files: list[tuple[Path, str]], config: Config, period: Period, keep: Path | None = None,
                  since: date | None = None) -> Meetings:
    """(meetings, absences (person, date), problems, unreadable calendar files). A calendar that
    cannot be read, or whose owner is unknown, may hide billable meetings if a client bills
    them: then it is an error that stops the billing run; otherwise a warning. `keep`: the folder
    where what the calendars hold for a period is kept (kept.py); `since`: read.read_calendar's."""
    meetings, absences, problems, unreadable = [], [], [], []
    zone = config.agency.timezone
    bills = any(c.calendar is not None and c.calendar.bill_meetings for c in config.clients.values())
    severity = Severity.ERROR if bills else Severity.WARNING
    parse_ahead(files, period, zone, keep, since)  # those not kept, on every core: the loop reads them kept
    for path, label in files:
        try:
            calendar = read_calendar(path, label, period, zone, keep, since)
        except CalendarError as exc:
            problems.append(Problem(Source(label), exc.code, severity, str(exc).removeprefix(f"{label}: ")))
            unreadable += [label] if bills else []
            continue
        owner = owner_of(label, calendar.name, config)
        if calendar.holidays:  # a public-holiday calendar: days off, no meetings; everyone's unless it has an owner
            everyone = [p.name for p in config.team]
            absences.append(_absences(_counting(calendar.events, set()), [owner] if owner else everyone, label, True))
            problems += [] if owner else [Problem(Source(label), "holiday-calendar", Severity.INFO, (
                "a public-holiday calendar: its holidays are days off for the whole team"))]
            continue
        if owner is None:
            problems.append(Problem(Source(label), "calendar-owner", severity,
                                    unowned_message(label, calendar.name, config)))
            continue
        events = _counting(calendar.events, _emails(owner, config))
        absences.append(_absences(events, [owner], label, False))
        timed = events[~events["all_day"].astype(bool)].reset_index(drop=True)
        claims = clients_of(timed, config)
        problems += _ambiguous(timed, claims, label, zone)
        meetings.append(_meetings(timed, claims, owner, label, zone))
    return (_frame(meetings, MEETING_COLUMNS), _frame(absences, ["person", "date", "source_file"]), problems,
            unreadable)


def covered(meetings: pd.DataFrame, entries: pd.DataFrame) -> pd.Series:
    """Per meeting: whether its owner logged time that covers it (`coverings`)."""
    return pd.Series(meetings.index.isin(coverings(meetings, entries)["meeting"]), index=meetings.index)


def coverings(meetings: pd.DataFrame, entries: pd.DataFrame) -> pd.DataFrame:
    """(meeting, entry): the index of each meeting with that of each entry of its owner that covers
    it — overlapping it in time, or without times for the same client on the same day."""
    entries = entries[entries[E.person_name].isin(meetings["person"].unique())] if len(meetings) else entries
    if meetings.empty or entries.empty:  # (only the owners' entries can cover a meeting)
        return pd.DataFrame({"meeting": pd.Series(dtype="int64"), "entry": pd.Series(dtype="int64")})
    m = meetings.reset_index().rename(columns={"index": "meeting"})
    timed = entries[entries[E.start].notna() & entries[E.end].notna()]
    timed = timed[[E.person_name, E.start, E.end, E.date]].rename(
        columns={E.person_name: "person", E.start: "e_start", E.end: "e_end", E.date: "day"}).assign(entry=timed.index)
    # an entry can overlap a meeting only if it starts within its days (those of the longest entry
    # and meeting, and a day's margin for daylight saving): compare those, not every pair
    before, after = _days(timed["e_start"], timed["e_end"]), _days(m["start"], m["end"])
    pairs = pd.concat([m.assign(day=m["date"] + pd.Timedelta(days=shift)).merge(timed, on=["person", "day"])
                       for shift in range(-before, after + 1)])
    overlap = pairs.loc[(pairs["e_start"] < pairs["end"]) & (pairs["start"] < pairs["e_end"]), ["meeting", "entry"]]
    untimed = entries[entries[E.start].isna() & entries[E.date].notna()]
    same_day = m.merge(untimed[[E.person_name, E.client_key, E.date]].rename(
        columns={E.person_name: "person", E.client_key: "client_key", E.date: "date"}).assign(entry=untimed.index),
        on=["person", "client_key", "date"])
    return pd.concat([overlap, same_day[["meeting", "entry"]]], ignore_index=True).drop_duplicates()


def _days(start: pd.Series, end: pd.Series) -> int:
    """The most calendar days one of these spans can touch beyond its first."""
    longest = (end - start).max() if len(start) else pd.Timedelta(0)
    return int(longest // pd.Timedelta(days=1)) + 2


def _emails(owner: str, config: Config) -> set[str]:
    person = next(p for p in config.team if p.name == owner)
    return {e.lower() for e in (person.email, *person.aliases) if e and "@" in e}


def _counting(events: pd.DataFrame, owner_emails: set[str]) -> pd.DataFrame:
    """Not cancelled, not declined by the owner."""
    declined = events["attendees"].map(lambda people: any(a in owner_emails and s == "DECLINED" for a, s in people))
    return events[events["status"].ne("CANCELLED") & ~declined.astype(bool)]


def _absences(events: pd.DataFrame, people: list[str], label: str, holidays: bool) -> pd.DataFrame:
    """(person, date, source_file) for each day an all-day event marks these people away."""
    if not events["all_day"].astype(bool).any():  # only an all-day event marks anyone away
        return pd.DataFrame([], columns=["person", "date", "source_file"])
    away = events[days_off(events, holidays)]
    days = [(person, pd.Timestamp(d), label) for first, last in zip(away["first_day"], away["last_day"])
            for d in pd.date_range(first, last) for person in people]
    return pd.DataFrame(days, columns=["person", "date", "source_file"])


def _ambiguous(timed: pd.DataFrame, claims: pd.Series, label: str, zone: str) -> list[Problem]:
    if all(len(c) < 2 for c in claims):  # most calendars: a frame each is not made for nothing
        return []
    both = timed[claims.map(len).gt(1)]
    return [Problem(Source(label), "ambiguous-meeting", Severity.WARNING,
                    f"{e.summary!r} on {e.start.tz_convert(zone):%Y-%m-%d %H:%M} matches clients "
                    f"{' and '.join(c)} — not counted for either; put [client-key] in its title")
            for e, c in zip(both.itertuples(), claims[both.index])]


def _meetings(timed: pd.DataFrame, claims: pd.Series, owner: str, label: str, zone: str) -> pd.DataFrame:
    start, end = pd.to_datetime(timed["start"], utc=True), pd.to_datetime(timed["end"], utc=True)
    return pd.DataFrame({
        "source_file": label,
        "occurrence": range(1, len(timed) + 1),
        "person": owner,
        "client_key": claims.map(lambda c: c[0] if len(c) == 1 else None),
        "summary": timed["summary"],
        "start": start,
        "local_start": pd.to_datetime(timed["local_start"]).astype("datetime64[us]"),
        "end": end,
        "duration_s": (end - start).dt.total_seconds().astype("int64"),
        "date": start.dt.tz_convert(zone).dt.tz_localize(None).dt.normalize().astype("datetime64[us]"),
    })


def _frame(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
