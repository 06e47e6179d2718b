"""Calendars not kept for a period, parsed on every core before the check reads them.

Parsing is most of reading a calendar (about half a second for a person's two-year export), and
the exports dropped in each month are new to what is kept (calendars/kept.py: by their bytes).
Where at least two calendars, AHEAD_BYTES together, are not kept for the period, workers forked
from the run (processes.forked_pool) each read calendars as `read_calendar` reads them, keeping
what each holds; the check then finds them kept, as a warm run does. Whatever a worker could not do — a
calendar that cannot be read, a worker killed — the check does itself and says why.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ..ingest.tree import size_of
from ..periods import Period
from ..processes import cores, forked_map, forked_pool
from . import kept
from .read import CalendarError, calendar_bytes, read_calendar

AHEAD_BYTES = 256 * 1024  # calendars not kept, together: parsing fewer bytes costs less than starting workers


def parse_ahead(files: list[tuple[Path, str]], period: Period, zone: str, keep: Path | None,
                since: date | None) -> None:
    """The calendars `files` (path, label) not kept for `period` in `keep`, parsed and kept by workers."""
    if keep is None or len(files) < 2 or sum(size_of(path) for path, _ in files) < AHEAD_BYTES:
        return  # (few or small: nothing is read twice to tell which are kept)
    todo = [(path, label) for path, label in files if not _held(path, label, zone, keep, period)]
    if len(todo) < 2 or sum(size_of(path) for path, _ in todo) < AHEAD_BYTES:  # parsed sooner than handed over
        return
    pool = forked_pool(min(len(todo), cores()))
    try:
        forked_map(pool, _parse, todo, (period, zone, keep, since), list)
    except Exception:  # noqa: BLE001 — what a worker raised: the check meets it itself
        pass


def _held(path: Path, label: str, zone: str, keep: Path, period: Period) -> bool:
    """Whether what the calendar holds for `period` is kept (or it cannot be read: the check says why)."""
    try:
        data = calendar_bytes(path, label)
    except CalendarError:
        return True
    return kept.held(keep, kept.key(data, zone), period)


def _parse(file: tuple[Path, str], shared: tuple[Period, str, Path, date | None]) -> None:
    period, zone, keep, since = shared
    try:
        read_calendar(*file, period, zone, keep, since)
    except CalendarError:
        pass
