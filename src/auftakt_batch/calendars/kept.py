"""A calendar's occurrences, kept: an unchanged calendar is not parsed again.

Parsing is most of reading a calendar: icalendar takes about half a second for a real export (a
person's two years of events, a few hundred KB), whatever the period, and every `check` reads
every calendar — a `report` twice, for its period and for the months before. What `read.py` found
for a calendar and a period (its occurrences about the period, as `_row` makes them, before they
are matched to the period's days; its name; whether it is a holiday feed) is kept under
output/.cache/calendars/, one JSON file per calendar's bytes, time zone, code (ingest/cache.py
`code`) and period. A later period within a kept one is read from it (`read.py` takes the period's
occurrences from the wider period's, as it does from a parse), and where that one is more than
twice as long, the period's own are kept then, so the next run reads a month's rows, not a year's
(a 366 KB calendar's November: 4 ms from its own entry, 29 ms from the year's): a check of the
whole year serves each month's. Every value is
written with its type — instants with their unit, days, the attendees' pairs — and read back as
the same Python object, so the frame made of them is the one a parse gives. An entry that cannot
be read, or whose digest does not match its contents, is ignored and written again; never trusted.
A calendar that cannot be read is not kept: its error is found again. Entries no run has used for
EXPIRE_DAYS are removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from ..ingest.cache import code, left_behind, written_entry
from ..periods import Period

FORMAT = 2  # change it whenever what is stored, or how, changes
EXPIRE_DAYS = 40  # an entry unused this long is removed (a month's period and the months before it come back monthly)

Found = tuple[list[tuple], str | None, bool]  # (the occurrences' rows, the calendar's name, a holiday feed)


def key(data: bytes, timezone_name: str) -> str:
    """The name of what is kept for a calendar's bytes in a time zone (the periods are in the files' names)."""
    said = json.dumps([FORMAT, code(), timezone_name, hashlib.sha256(data).hexdigest()])
    return hashlib.sha256(said.encode()).hexdigest()


def load(folder: Path, name: str, period: Period) -> tuple[Found, int] | None:
    """What is kept under `name` for `period` or a period holding it (the shortest such: the least to
    read), and how many days that period has; or None (nothing, or nothing to trust)."""
    held = []
    for path in folder.glob(f"{name}.*.json"):
        days = _days(path, name)
        if days is not None and days[0] <= period.start and period.end <= days[1]:
            held.append((days[1] - days[0], path.name, path, days))
    for *_, path, days in sorted(held):
        found = _read(path, days)
        if found is not None:
            return found, (days[1] - days[0]).days + 1
    return None


def held(folder: Path, name: str, period: Period) -> bool:
    """Whether an entry under `name` is kept for `period` or a period holding it, by the files' names
    alone (`load` reads it, and parses the calendar again where it cannot be trusted)."""
    try:
        return any((days := _days(path, name)) is not None and days[0] <= period.start and period.end <= days[1]
                   for path in folder.glob(f"{name}.*.json"))
    except OSError:
        return False


def _read(path: Path, days: tuple[date, date]) -> Found | None:
    try:
        stored = json.loads(path.read_bytes())
        body = stored["body"]
        if stored["format"] != FORMAT or stored["digest"] != _digest(body) or \
                body["period"] != [str(day) for day in days]:
            return None
        rows = [tuple(_value(v) for v in row) for row in body["rows"]]
        calendar, holidays = body["name"], body["holidays"]
        if not (calendar is None or isinstance(calendar, str)) or not isinstance(holidays, bool):
            return None
        _used(path)
        return rows, calendar, holidays
    except Exception:  # noqa: BLE001 - whatever is wrong with an entry, the calendar is parsed again
        return None


def _days(path: Path, name: str) -> tuple[date, date] | None:
    """The first and last day of the period in an entry's file name (NAME.START.END.json), or None."""
    parts = path.name.removeprefix(f"{name}.").removesuffix(".json").split(".")
    try:
        start, end = (date.fromisoformat(part) for part in parts)
    except ValueError:
        return None
    return (start, end) if start <= end else None


def keep(folder: Path, name: str, period: Period, found: Found) -> None:
    """Keep what was found for `period`; what cannot be written is only parsed again next time."""
    rows, calendar, holidays = found
    try:
        body = {"rows": [[_stored(v) for v in row] for row in rows], "name": calendar, "holidays": holidays,
                "period": [str(period.start), str(period.end)]}
        with written_entry(folder / f"{name}.{period.start}.{period.end}.json") as out:
            out.write(json.dumps({"format": FORMAT, "digest": _digest(body), "body": body}).encode())
    except Exception:  # noqa: BLE001 - a cache that cannot be written (a read-only disk, a full one) is only slower
        return


def expire(folder: Path) -> None:
    """Remove the entries no run has used for EXPIRE_DAYS, and what a writer killed halfway left."""
    oldest = time.time() - EXPIRE_DAYS * 86400
    try:
        for path in folder.glob("*.json"):
            if path.stat().st_mtime < oldest:
                path.unlink(missing_ok=True)
        for path in folder.glob(".*.tmp"):
            if left_behind(path):
                path.unlink(missing_ok=True)
    except OSError:
        pass


def _used(path: Path) -> None:
    """Mark the entry used: kept another EXPIRE_DAYS (where the disk lets us; else it is simply older)."""
    try:
        os.utime(path)
    except OSError:
        pass


def _digest(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _stored(value: Any) -> Any:
    """A row's value as JSON, its type said where JSON has none."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, pd.Timestamp):
        zone = None if value.tz is None else str(value.tz)
        return {"instant": value.tz_localize(None).isoformat() if zone else value.isoformat(), "unit": value.unit,
                "zone": zone}
    if isinstance(value, date) and type(value) is date:
        return {"day": value.isoformat()}
    if isinstance(value, tuple):
        return {"tuple": [_stored(v) for v in value]}
    raise TypeError(f"not kept: {type(value).__name__}")


def _value(stored: Any) -> Any:
    """The Python object `_stored` wrote."""
    if stored is None or isinstance(stored, (bool, str)):
        return stored
    if "instant" in stored:
        instant = pd.Timestamp(stored["instant"]).as_unit(stored["unit"])
        return instant if stored["zone"] is None else instant.tz_localize(stored["zone"])
    if "day" in stored:
        return date.fromisoformat(stored["day"])
    return tuple(_value(v) for v in stored["tuple"])
