"""Billing periods as given on the command line: `--period 2026-11` and friends.

A period is an inclusive range of local dates in the agency's time zone; an entry belongs
to the period of its local start date.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd

from . import frames  # noqa: F401 — pandas set up before any frame is made

ACCEPTED_FORMS = (
    "2026-11 (month), 2026-W47 (ISO week), 2026-Q4 (quarter), 2026 (year), "
    "2026-11-01..2026-11-15 (date range)"
)


class PeriodError(ValueError):
    """A period string that is not one of the accepted forms."""


@dataclass(frozen=True)
class Period:
    label: str
    start: date
    end: date  # inclusive

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end

    def __str__(self) -> str:
        return self.label

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def covers(self, other: Period) -> bool:
        """Whether `other` lies inside this period: 2026-11 lies in 2026-Q4 and in 2026."""
        return self.start <= other.start and other.end <= self.end

    def months(self) -> Decimal:
        """How many months the period spans, partial months pro rata by days: a month 1, a quarter 3."""
        total, day = Decimal(0), self.start
        while day <= self.end:
            length = calendar.monthrange(day.year, day.month)[1]
            last = min(self.end, date(day.year, day.month, length))
            total += Decimal((last - day).days + 1) / length
            day = last + timedelta(days=1)
        return total

    def through(self, day: date) -> Period | None:
        """The period's days up to `day` (all of them when it ends before); None if it starts after."""
        last = min(self.end, day)
        return Period(self.label, self.start, last) if self.start <= last else None

    def before(self, since: date) -> Period:
        """The days from `since` up to the day before this period starts."""
        return Period(f"{since}..", since, self.start - timedelta(days=1))

    def holds(self, days: pd.Series) -> pd.Series:
        """Mask over `days` (local dates as Timestamps): the ones in the period (NA: False)."""
        return days.between(pd.Timestamp(self.start), pd.Timestamp(self.end))


_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_WEEK = re.compile(r"(\d{4})-W(\d{1,2})", re.IGNORECASE)
_QUARTER = re.compile(r"(\d{4})-Q([1-4])", re.IGNORECASE)
_YEAR = re.compile(r"(\d{4})")
_RANGE = re.compile(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})")


def parse_period(text: str) -> Period:
    """Parse one of the accepted forms; raise PeriodError naming them otherwise."""
    value = text.strip()
    try:
        period = _parse(value)
    except ValueError as exc:  # a date that does not exist, e.g. 2026-02-30
        raise PeriodError(f"{text!r} is not a valid period ({exc}); use {ACCEPTED_FORMS}") from None
    if period is None:
        raise PeriodError(f"{text!r} is not a period; use {ACCEPTED_FORMS}")
    return period


def _parse(value: str) -> Period | None:
    if m := _MONTH.fullmatch(value):
        year, month = int(m[1]), int(m[2])
        last = calendar.monthrange(year, month)[1] if 1 <= month <= 12 else 0
        return Period(f"{year:04d}-{month:02d}", date(year, month, 1), date(year, month, last))
    if m := _WEEK.fullmatch(value):
        year, week = int(m[1]), int(m[2])
        start = date.fromisocalendar(year, week, 1)
        return Period(f"{year:04d}-W{week:02d}", start, start + timedelta(days=6))
    if m := _QUARTER.fullmatch(value):
        year, quarter = int(m[1]), int(m[2])
        first = 3 * quarter - 2
        end = date(year, first + 2, calendar.monthrange(year, first + 2)[1])
        return Period(f"{year:04d}-Q{quarter}", date(year, first, 1), end)
    if m := _YEAR.fullmatch(value):
        year = int(m[1])
        return Period(f"{year:04d}", date(year, 1, 1), date(year, 12, 31))
    if m := _RANGE.fullmatch(value):
        start, end = date.fromisoformat(m[1]), date.fromisoformat(m[2])
        if end < start:
            raise ValueError("the range ends before it starts")
        return Period(f"{start}..{end}", start, end)
    return None
