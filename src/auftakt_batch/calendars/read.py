"""Calendar exports (ICS) → the events of a period, one row per occurrence.

Needs: an .ics file and the period. Gives: its name (X-WR-CALNAME) and a frame of
occurrences — recurring events expanded within the period only (RRULE, RDATE, EXDATE and
RECURRENCE-ID overrides, by recurring-ical-events), times as UTC instants (TZIDs, Windows
zone names from Exchange, X-WR-TIMEZONE), all-day events as days. A file that cannot be read
raises `CalendarError` naming it; so does a recurrence too dense to be a meeting, before it
can hang the run.

Exchange writes a few things the standard does not allow; they are mended before parsing,
never guessed at per event: `BYDAY=MO, TU` (spaces in a rule) and unquoted TZIDs with spaces.
"""

from __future__ import annotations

import re
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from types import FrameType
from typing import Any

import pandas as pd

from ..ingest.tree import cannot_read, read_input
from ..periods import Period
from . import kept
from .absences import holiday_calendar

MAX_OCCURRENCES = 5_000  # per file and period: a month of anyone's meetings is a few hundred
MAX_SECONDS = 3.0  # expansion budget per file
REPEAT = 0.1  # seconds between the deadline's raises once it has passed
TOO_DENSE = ("SECONDLY", "MINUTELY")  # no meeting recurs every minute
COLUMNS = ["uid", "summary", "start", "local_start", "end", "all_day", "first_day", "last_day", "status", "transparent",
           "attendees", "organizer", "description", "categories"]

# An icalendar component as recurring-ical-events yields it: which type a property's value has
# (`.dt` a date, a datetime, a duration) is known only at run time, so it is checked there.
Event = Any

_FOLD = re.compile(r"\r?\n[ \t]")
_RULE_SPACES = re.compile(r"^((?:RRULE|EXRULE)[:;].*)$", re.MULTILINE)


class CalendarError(Exception):
    """A calendar file that cannot be read: the message names the file and what to do; `code`
    is the problem's (`unreadable` when the system would not let us read it at all)."""

    def __init__(self, message: str, code: str = "bad-calendar") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Calendar:
    file: str
    name: str | None  # X-WR-CALNAME
    events: pd.DataFrame  # COLUMNS, one row per occurrence in the period
    holidays: bool = False  # a public-holiday calendar (absences.holiday_calendar), not someone's


def read_calendar(path: Path, label: str, period: Period, timezone_name: str, keep: Path | None = None,
                  since: date | None = None) -> Calendar:
    """The occurrences of `period`: timed ones by the day they start in `timezone_name` (the
    agency's), all-day ones if they touch it. With `keep` (a folder: kept.py), what an earlier run
    found for the same bytes and zone, and this period or one holding it, is read from there, not
    parsed again; with `since` as well (the first day the inputs hold, before the period), a
    calendar parsed is listed from that day to the period's end and kept so, for the report's check
    of the months before to read (the period alone where that stretch is too dense to list)."""
    data = calendar_bytes(path, label)
    name = kept.key(data, timezone_name) if keep is not None else ""
    loaded = kept.load(keep, name, period) if keep is not None else None
    if loaded is None:
        stretch = Period(f"{since}..{period.end}", since, period.end) \
            if keep is not None and since is not None and since < period.start else period
        found, listed = _occurrences(data, label, period, stretch)
        if keep is not None:
            kept.keep(keep, name, listed, found)
        found_for = listed.days
    else:
        found, found_for = loaded
    rows, calendar, feed = found
    inside = _within(pd.DataFrame(rows, columns=COLUMNS), period, timezone_name).to_numpy(dtype=bool)
    chosen = [row for row, within in zip(rows, inside, strict=True) if within]  # the frame is of these rows
    if keep is not None and found_for > 2 * period.days:  # found for a much longer stretch: the next run
        kept.keep(keep, name, period, (chosen, calendar, feed))  # reads this period's alone (all it takes)
    return Calendar(label, calendar, pd.DataFrame(chosen, columns=COLUMNS), feed)  # alone, whatever was about them


def _occurrences(data: bytes, label: str, period: Period, stretch: Period) -> tuple[kept.Found, Period]:
    """((the rows of the occurrences about `stretch`, a day either side; the calendar's name;
    whether it is a public-holiday feed), `stretch`) — or of `period` where the longer `stretch`
    is too dense to list (MAX_OCCURRENCES for each period's length of it); CalendarError where the
    calendar cannot be read, or `period` itself is too dense."""
    import icalendar
    import recurring_ical_events
    import x_wr_timezone

    text = _mended(data, label)
    try:
        calendar = icalendar.Calendar.from_ical(text)
        for component in calendar.walk():
            _refuse_unsound(component, label)
    except CalendarError:
        raise
    except Exception as exc:  # ValueError, or icalendar's own for a property it could not read
        raise CalendarError(f"{label}: not a readable calendar ({exc}) — export it again as .ics") from None
    name = str(calendar["X-WR-CALNAME"]) if calendar.get("X-WR-CALNAME") else None
    try:
        calendar = x_wr_timezone.to_standard(calendar)
        query = recurring_ical_events.of(calendar)
        feed = holiday_calendar(name, [(str(e.get("DESCRIPTION", "")), _categories(e))
                                       for e in calendar.walk("VEVENT")])
        if stretch is not period:
            try:
                return (_listed(query, label, stretch, -(-stretch.days // period.days)), name, feed), stretch
            except Exception:  # noqa: BLE001 - too dense, or a rule that breaks only over the longer stretch:
                pass  # the period alone, whose errors are the calendar's, as before
        return (_listed(query, label, period, 1), name, feed), period
    except CalendarError:
        raise
    except Exception as exc:  # the libraries raise their own types for broken rules and zones
        raise CalendarError(f"{label}: cannot expand its events ({exc}) — export it again as .ics") from None


def _listed(query: Any, label: str, period: Period, periods: int) -> list[tuple]:
    """The rows of the occurrences about `period`, a day either side, in the order they begin;
    CalendarError where they are more than MAX_OCCURRENCES for each of `periods`, or take more
    than MAX_SECONDS to list."""
    too_dense = CalendarError(f"{label}: more than {MAX_OCCURRENCES} occurrences in {period}, or more than "
                              f"{MAX_SECONDS} s to list them — a recurrence this dense is not a calendar of "
                              "meetings; the file is not read")
    start = datetime.combine(period.start, time(), timezone.utc) - timedelta(days=1)
    end = datetime.combine(period.end, time(), timezone.utc) + timedelta(days=2)
    with _deadline(MAX_SECONDS, too_dense):  # a dense rule is stopped, not expanded for minutes
        # `between`, not the lazy `after`: that takes seconds for each year a long event lasts
        occurrences = sorted(query.between(start, end), key=_begins)
    if len(occurrences) > MAX_OCCURRENCES * periods:
        raise too_dense
    return [_row(event) for event in occurrences]


def _refuse_unsound(component: Event, label: str) -> None:
    """Refuse what no calendar program writes, before anything is expanded: a line that is not
    iCalendar (a broken fold, a cut file: a property may be lost), a time zone nobody
    defines (its times would be guessed), rules too dense to be meetings, and numbers
    (INTERVAL=0, COUNT=-1) a rule library may loop on forever."""
    what = f"{component.name.lower()} {str(component.get('SUMMARY', ''))!r}"
    if component.errors:
        raise CalendarError(f"{label}: {what}: {component.errors[0][1]} — the file was cut or edited by hand; "
                            "export it again")
    for key in ("DTSTART", "DTEND", "RECURRENCE-ID"):
        value = component.get(key)
        zone = value.params.get("TZID") if hasattr(value, "params") else None
        if zone and isinstance(value.dt, datetime) and value.dt.tzinfo is None:
            raise CalendarError(f"{label}: {what}: unknown time zone {zone!r} in {key} and no VTIMEZONE defines "
                                "it — export the calendar again")
    if component.name == "VEVENT":
        _sane_rules(component, label, what)


def _sane_rules(event: Event, label: str, what: str) -> None:
    rules = event.get("RRULE")
    for rule in rules if isinstance(rules, list) else [rules] if rules else []:
        if any(str(f).upper() in TOO_DENSE for f in rule.get("FREQ", [])):
            raise CalendarError(f"{label}: {what} recurs {str(rule['FREQ'][0]).lower()} — no meeting "
                                "does; the file is not read")
        for part in ("INTERVAL", "COUNT"):
            values = rule.get(part, [])
            if any(not isinstance(v, int) or v < 1 for v in values):
                raise CalendarError(f"{label}: {what} has {part}={values[0]} in its RRULE — it must be a "
                                    "whole number from 1; export the calendar again")


@contextmanager
def _deadline(seconds: float, error: Exception) -> Iterator[None]:
    """Raise `error` if the block runs longer than `seconds`, and again every REPEAT seconds after
    that: a raise that lands where Python swallows it (a garbage collector's callback, a __del__)
    is not the end of the deadline. SIGALRM: in the main thread only (where the CLI reads
    calendars); elsewhere only the occurrence count after expansion holds."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    owner = sys._getframe(2)  # the with-block's frame (this generator's, contextlib's __enter__, then it)

    def expired(signum: int, frame: FrameType | None) -> None:
        while frame is not None and frame is not owner:
            frame = frame.f_back
        if frame is None:  # the block was left, even if an alarm cut its exit short: stop, raise nothing
            signal.setitimer(signal.ITIMER_REAL, 0)
            return
        raise error

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds, REPEAT)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _mended(data: bytes, label: str) -> bytes:
    """Unfolded text with Exchange's rule spaces removed."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise CalendarError(f"{label}: not a calendar (binary data) — export it again as .ics") from None
    if "BEGIN:VCALENDAR" not in text.upper():
        raise CalendarError(f"{label}: not a calendar (no BEGIN:VCALENDAR) — export it again as .ics")
    text = _FOLD.sub("", text)
    text = _RULE_SPACES.sub(lambda m: m[1].replace(", ", ",").replace(" ;", ";"), text)
    return text.encode("utf-8")


def calendar_bytes(path: Path, label: str) -> bytes:
    try:
        return read_input(path)
    except OSError as exc:
        problem = cannot_read(label, exc)
        raise CalendarError(f"{label}: {problem.message}", problem.code) from None


def _begins(event: Event) -> datetime:
    value = event["DTSTART"].dt
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return datetime.combine(value, time(), timezone.utc)


def _row(event: Event) -> tuple:
    begin = event["DTSTART"].dt
    all_day = not isinstance(begin, datetime)
    finish = event["DTEND"].dt if "DTEND" in event else (
        begin + event["DURATION"].dt if "DURATION" in event else begin + timedelta(days=1 if all_day else 0))
    if all_day:
        last = finish - timedelta(days=1) if isinstance(finish, date) and finish > begin else begin
        start = local = end = None
        first_day, last_day = begin, last
    else:
        start, end = _utc(begin), _utc(finish)
        local = pd.Timestamp(begin.replace(tzinfo=None))  # the wall clock in the event's own zone
        first_day = last_day = None
    attendees = event.get("ATTENDEE", [])
    attendees = attendees if isinstance(attendees, list) else [attendees]
    people = tuple((_email(a), str(a.params.get("PARTSTAT", "")).upper()) for a in attendees)
    organizer = _email(event["ORGANIZER"]) if "ORGANIZER" in event else ""
    return (str(event.get("UID", "")), str(event.get("SUMMARY", "")), start, local, end, all_day, first_day, last_day,
            str(event.get("STATUS", "CONFIRMED")).upper(), str(event.get("TRANSP", "")).upper() == "TRANSPARENT",
            people, organizer, str(event.get("DESCRIPTION", "")), _categories(event))


def _categories(event: Event) -> str:
    """An event's CATEGORIES, however many properties hold them, as one text: 'Holiday, Work'."""
    found = event.get("CATEGORIES", [])
    return ", ".join(str(c) for prop in (found if isinstance(found, list) else [found])
                     for c in getattr(prop, "cats", [prop]))


def _utc(value: datetime) -> pd.Timestamp:
    if value.tzinfo is None:  # a floating time: no zone given anywhere
        return pd.Timestamp(value).tz_localize("UTC")
    return pd.Timestamp(value).tz_convert("UTC")


def _email(address: object) -> str:
    return str(address).removeprefix("mailto:").removeprefix("MAILTO:").strip().lower()


def _within(events: pd.DataFrame, period: Period, timezone_name: str) -> pd.Series:
    local = pd.to_datetime(events["start"], utc=True).dt.tz_convert(timezone_name).dt.tz_localize(None)
    timed = period.holds(local.dt.normalize())
    days = events["first_day"].map(lambda d: d is not None and d <= period.end) & \
        events["last_day"].map(lambda d: d is not None and d >= period.start)
    return (timed & ~events["all_day"]) | (days & events["all_day"])
