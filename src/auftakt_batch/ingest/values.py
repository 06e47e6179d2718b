"""Parsing cell text into values: durations, dates, clock times, yes/no.

Each parser works on a Series of text and parses every *distinct* string once (an export
repeats the same few dates and durations thousands of times), returning the values and a
mask of the cells it could not read. Empty cells are neither: they come back as NA and
unmasked, so the caller decides whether the column may be empty.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Callable

import pandas as pd

DURATION_FORMS = "1.5, 1,5 or 1:30 (hours), or 1:30:00"
DATE_FORMS = "YYYY-MM-DD, DD.MM.YYYY or DD.MM.YY"
TIME_FORMS = "HH:MM or HH:MM:SS (24-hour clock)"
BOOL_FORMS = "yes/no, ja/nein, true/false, 1/0 or x for yes"

_CLOCK_DURATION = re.compile(r"(-)?(\d+):([0-5]\d)(?::([0-5]\d))?")
_DECIMAL_HOURS = re.compile(r"-?(\d+([.,]\d*)?|[.,]\d+)")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_DOTTED_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})")
_CLOCK = re.compile(r"(?:\d{4}-\d{2}-\d{2}[ T])?(\d{1,2}):([0-5]\d)(?::([0-5]\d))?")  # a date-time cell: its time
_TRUE = {"yes", "y", "true", "1", "ja", "x"}
_FALSE = {"no", "n", "false", "0", "nein"}

YEARS = (1900, 2200)  # a year outside is a typo (and beyond what time zone rules cover)
MAX_SECONDS = 10 * 365 * 24 * 3600  # anything longer is a typo, and would overflow nothing


def duration_seconds(text: str) -> int | None:
    """'1.5' / '1,5' / '1:30' / '1:30:00' hours → whole seconds; None if unreadable."""
    if m := _CLOCK_DURATION.fullmatch(text):
        sign = -1 if m[1] else 1
        return sign * (int(m[2]) * 3600 + int(m[3]) * 60 + int(m[4] or 0))
    if _DECIMAL_HOURS.fullmatch(text):
        try:
            hours = Decimal(text.replace(",", "."))
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            return None
        seconds = int((hours * 3600).to_integral_value(rounding=ROUND_HALF_UP))
        return seconds if abs(seconds) <= MAX_SECONDS else None
    return None


def calendar_date(text: str) -> date | None:
    """'2026-11-03' (a time after it is ignored), '03.11.2026' or '03.11.26' → date; None if
    unreadable or not a real day. A two-digit year is in 2000–2099, as German Excel means it."""
    if m := _ISO_DATE.fullmatch(text):
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    elif m := _DOTTED_DATE.fullmatch(text):
        d, mo, y = int(m[1]), int(m[2]), int(m[3]) + (2000 if len(m[3]) == 2 else 0)
    else:
        return None
    if not YEARS[0] <= y <= YEARS[1]:
        return None
    try:
        return date(y, mo, d)
    except ValueError:
        return None


def clock_seconds(text: str) -> int | None:
    """'09:30' / '09:30:00' → seconds after midnight (24:00 allowed, as an end)."""
    m = _CLOCK.fullmatch(text)
    if not m:
        return None
    seconds = int(m[1]) * 3600 + int(m[2]) * 60 + int(m[3] or 0)
    return seconds if seconds <= 24 * 3600 else None


def yes_no(text: str) -> bool | None:
    word = text.lower()
    return True if word in _TRUE else False if word in _FALSE else None


def parse_column(texts: pd.Series, parse: Callable[[str], object], dtype: str) -> tuple[pd.Series, pd.Series]:
    """Apply `parse` to each distinct text (already stripped); return (values, unreadable mask)."""
    lookup = {t: parse(t) for t in texts.unique() if t}
    values = texts.map(lookup)
    bad = texts.ne("") & values.isna()
    if dtype == "date":
        return pd.to_datetime(values, errors="raise").astype("datetime64[us]"), bad
    return values.astype(dtype), bad
