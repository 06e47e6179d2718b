"""Parsing cell text into values: durations, dates, clock times, instants, yes/no.

Each parser works on a Series of text and parses every *distinct* string once (an export
repeats the same few dates and durations thousands of times), returning the values and a
mask of the cells it could not read. Empty cells are neither: they come back as NA and
unmasked, so the caller decides whether the column may be empty.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Callable

import numpy as np
import pandas as pd

from ..frames import factorize

DURATION_FORMS = "1.5, 1,5 or 1:30 (hours), or 1:30:00"
DATE_FORMS = "YYYY-MM-DD, DD.MM.YYYY, DD.MM.YY, DD/MM/YYYY or MM/DD/YYYY"
TIME_FORMS = "HH:MM or HH:MM:SS (24-hour clock), or 10:30 AM"
INSTANT_FORMS = "an ISO 8601 time with its zone (2026-11-03T08:00:00Z, 2026-11-03T09:00:00+01:00) or Unix seconds"
MONEY_FORMS = "a number such as 1,234.50 or 1.234,50, optionally with its currency"
BOOL_FORMS = "yes/no, ja/nein, true/false, 1/0 or x for yes"
INVOICED_FORMS = f"{BOOL_FORMS}, or Cleared/Open (Kimai: Abgerechnet/Offen)"
APPROVAL_FORMS = f"{BOOL_FORMS}, or APPROVED, PENDING, UNSUBMITTED, REJECTED"

_CLOCK_DURATION = re.compile(r"(-)?(\d+):([0-5]\d)(?::([0-5]\d))?")
_DECIMAL_HOURS = re.compile(r"-?(\d+([.,]\d*)?|[.,]\d+)")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_DOTTED_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})")
_SLASH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_CLOCK = re.compile(r"(?:\d{4}-\d{2}-\d{2}[ T])?(\d{1,2}):([0-5]\d)(?::([0-5]\d)(?:\.\d+)?)?(?:\s*([ap])\.?m\.?)?",
                    re.IGNORECASE)  # a date-time cell: its time
_INSTANT = re.compile(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)\s*(Z|[+-]\d{2}(?::?\d{2})?)",
                      re.IGNORECASE)
_UNIX = re.compile(r"-?\d{1,12}(?:\.\d{1,9})?")
_MONEY = re.compile(r"-?(?:\d+|\d{1,3}(?:[.,' ]\d{3})+)(?:[.,]\d+)?")
_CURRENCY_MARKS = re.compile(r"[A-Za-z]{3}|[€$£¥]|\s|\u00a0")
_TRUE = {"yes", "y", "true", "1", "ja", "x"}
_FALSE = {"no", "n", "false", "0", "nein"}
# the trackers' own words for "invoiced" (Kimai's export state, in English and German) and for approval
_INVOICED = {"cleared", "abgerechnet", "exported", "exportiert", "invoiced"}
_NOT_INVOICED = {"open", "offen", "not exported", "nicht exportiert", "not invoiced", "uninvoiced"}
_APPROVED = {"approved", "genehmigt", "freigegeben"}
_NOT_APPROVED = {"pending", "unsubmitted", "not submitted", "submitted", "rejected", "not approved", "abgelehnt",
                 "offen", "open"}

YEARS = (1900, 2200)  # a year outside is a typo (and beyond what time zone rules cover)
MONEY_DIGITS = 15  # no price in a timesheet needs more; beyond it is garbage (and Decimal's context)
MAX_SECONDS = 10 * 365 * 24 * 3600  # anything longer is a typo, and would overflow nothing
_EPOCH_SECONDS = (-2208988800, 7258118400)  # Unix seconds from 1900-01-01 to 2200-01-01 (YEARS)


def duration_seconds(text: str) -> int | None:
    """'1.5' / '1,5' / '1:30' / '1:30:00' hours → whole seconds; None if unreadable. An entry's
    hours need no thousands separator, so one '.' or ',' is the decimal mark, and of both
    ('1,165.5', '1.165,5') the last one is."""
    if m := _CLOCK_DURATION.fullmatch(text):
        seconds = int(m[2]) * 3600 + int(m[3]) * 60 + int(m[4] or 0)
        return (-seconds if m[1] else seconds) if seconds <= MAX_SECONDS else None
    if "." in text and "," in text and _MONEY.fullmatch(text):
        text = text.replace("," if text.rindex(".") > text.rindex(",") else ".", "")
    if _DECIMAL_HOURS.fullmatch(text):
        try:
            hours = Decimal(text.replace(",", "."))
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            return None
        seconds = int((hours * 3600).to_integral_value(rounding=ROUND_HALF_UP))
        return seconds if abs(seconds) <= MAX_SECONDS else None
    return None


def calendar_date(text: str, order: str | None = None) -> date | None:
    """'2026-11-03' (a time after it is ignored), '03.11.2026', '03.11.26', or '03/11/2026' read
    in the file's `order` (dmy or mdy) → date; None if unreadable or not a real day. A two-digit
    year is in 2000–2099, as German Excel means it."""
    if m := _ISO_DATE.fullmatch(text):
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    elif m := _DOTTED_DATE.fullmatch(text):
        d, mo, y = int(m[1]), int(m[2]), int(m[3]) + (2000 if len(m[3]) == 2 else 0)
    elif (m := _SLASH_DATE.fullmatch(text)) and order:
        (d, mo), y = ((int(m[1]), int(m[2])) if order == "dmy" else (int(m[2]), int(m[1]))), int(m[3])
    else:
        return None
    if not YEARS[0] <= y <= YEARS[1]:
        return None
    try:
        return date(y, mo, d)
    except ValueError:
        return None


def clock_seconds(text: str) -> int | None:
    """'09:30' / '09:30:00' / '9:30 AM' → seconds after midnight (24:00 allowed, as an end)."""
    m = _CLOCK.fullmatch(text)
    if not m:
        return None
    hour = int(m[1])
    if m[4]:  # 12-hour clock: 12 AM is midnight, 12 PM noon
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if m[4].lower() == "p" else 0)
    seconds = hour * 3600 + int(m[2]) * 60 + int(m[3] or 0)
    return seconds if seconds <= 24 * 3600 else None


def instant(text: str) -> pd.Timestamp | None:
    """'2026-11-03T08:00:00Z' / '2026-11-03T09:00:00+01:00' / Unix seconds ('1762156800') → a UTC
    Timestamp (microseconds); None if unreadable, without a zone (whose wall clock would it be?),
    or outside YEARS."""
    if m := _INSTANT.fullmatch(text):
        zone = "+00:00" if m[3].upper() == "Z" else m[3]
        try:
            value = pd.Timestamp(f"{m[1]}T{m[2]}{zone}")
        except ValueError:  # a month 13, a 25th hour, an offset of 99 hours
            return None
    elif _UNIX.fullmatch(text):
        seconds = Decimal(text)
        if not _EPOCH_SECONDS[0] <= seconds <= _EPOCH_SECONDS[1]:
            return None
        value = pd.Timestamp(int(seconds * 1_000_000), unit="us", tz="UTC")
    else:
        return None
    if not YEARS[0] <= value.year <= YEARS[1]:
        return None
    return value.tz_convert("UTC").floor("s").as_unit("us")  # durations are whole seconds


def money(text: str, mark: str = ".") -> Decimal | None:
    """'1,165.5' / '2.000,0' (per the file's decimal `mark`) / 'EUR 80.00' / '€ 80,00' → Decimal."""
    bare = _CURRENCY_MARKS.sub("", text)
    if not _MONEY.fullmatch(bare) and not _DECIMAL_HOURS.fullmatch(bare):
        return None
    other = "," if mark == "." else "."
    if mark in bare and other in bare and bare.rindex(other) > bare.rindex(mark):
        return None  # '1.234,5' in a file that writes 1,234.5: not this file's notation
    if other in bare and not re.fullmatch(rf"-?\d{{1,3}}(?:{re.escape(other)}\d{{3}})+(?:{re.escape(mark)}\d+)?", bare):
        return None  # '140.00' in a file that writes 140,00: the other separator, not grouping thousands
    digits = sum(c.isdigit() for c in bare)
    if digits > MONEY_DIGITS:
        return None
    try:
        return Decimal(bare.replace(other, "").replace("'", "").replace(mark, "."))
    except InvalidOperation:
        return None


def decimal_mark(texts: Iterable[str]) -> tuple[str | None, list[str]]:
    """The decimal mark of a file's numbers, from the evidence in all of them: a value with both
    separators ends with the decimal one; one separator used twice groups thousands; one
    separator once, not followed by exactly three digits, is the decimal one. Returns (mark or
    None if nothing tells, the values that contradict the mark chosen)."""
    votes: dict[str, list[str]] = {".": [], ",": []}
    for text in texts:
        bare = _CURRENCY_MARKS.sub("", text).lstrip("-")
        seps = [c for c in bare if c in ".,"]
        if not seps:
            continue
        if len(set(seps)) == 2:
            votes[seps[-1]].append(text)
        elif len(seps) > 1:
            votes["," if seps[0] == "." else "."].append(text)
        elif len(bare) - bare.index(seps[0]) - 1 != 3:
            votes[seps[0]].append(text)
    if votes["."] and votes[","]:
        mark = "." if len(votes["."]) >= len(votes[","]) else ","
        return mark, votes["," if mark == "." else "."]
    return ("." if votes["."] else "," if votes[","] else None), []


def date_order(texts: Iterable[str]) -> tuple[str | None, list[str]]:
    """dmy or mdy for a file's slash dates (03/04/2024), from all of them: a first part above 12
    is a day, a second part above 12 is a day, and a dotted date (03.11.2026) is day first.
    Returns (order or None if nothing tells, the values that contradict it)."""
    dmy, mdy = [], []
    for text in texts:
        if m := _SLASH_DATE.match(text):
            a, b = int(m[1]), int(m[2])
            if a > 12 >= b:
                dmy.append(text)
            elif b > 12 >= a:
                mdy.append(text)
        elif _DOTTED_DATE.fullmatch(text):  # 03.11.2026 is always day first: so is the file
            dmy.append(text)
    if dmy and mdy:
        order = "dmy" if len(dmy) >= len(mdy) else "mdy"
        return order, mdy if order == "dmy" else dmy
    return ("dmy" if dmy else "mdy" if mdy else None), []


def has_slash_dates(texts: Iterable[str]) -> bool:
    return any(_SLASH_DATE.match(t) for t in texts)


def yes_no(text: str) -> bool | None:
    word = text.lower()
    return True if word in _TRUE else False if word in _FALSE else None


def invoiced_state(text: str) -> bool | None:
    """An export's "invoiced" cell: yes/no, true/false, or the tracker's word (Kimai's Cleared/Open)."""
    word = " ".join(text.lower().split())
    return True if word in _INVOICED else False if word in _NOT_INVOICED else yes_no(word)


def approval_state(text: str) -> bool | None:
    """An export's approval cell: yes/no, true/false, or a status such as APPROVED or PENDING."""
    word = " ".join(text.lower().split())
    return True if word in _APPROVED else False if word in _NOT_APPROVED else yes_no(word)


def parse_column(texts: pd.Series, parse: Callable[[str], object], dtype: str) -> tuple[pd.Series, pd.Series]:
    """Apply `parse` to each distinct text (already stripped); return (values, unreadable mask)."""
    codes, distinct = factorize(texts.fillna(""))
    if not any(distinct):  # a column left empty (most of an export's optional ones): nothing to read
        return empty_column(texts.index, dtype)
    return parsed_column(codes, distinct, texts.index, parse, dtype)


def parsed_column(codes: np.ndarray, distinct: Iterable[str], index: pd.Index, parse: Callable[[str], object],
                  dtype: str) -> tuple[pd.Series, pd.Series]:
    parsed = pd.Series([parse(t) if t else None for t in distinct], dtype=object)
    unreadable = (pd.Series(distinct, dtype=object).ne("") & parsed.isna()).to_numpy(dtype=bool)
    if dtype == "date":
        parsed = pd.to_datetime(parsed, errors="raise").astype("datetime64[us]")
    else:
        parsed = parsed.astype(dtype)
    return pd.Series(parsed.array.take(codes), index=index), pd.Series(unreadable.take(codes), index=index)


def empty_column(index: pd.Index, dtype: str) -> tuple[pd.Series, pd.Series]:
    """What parsed_column gives for a column of empty cells: all NA, none unreadable."""
    values = pd.Series([None] * len(index), index=index, dtype=object)
    values = values if dtype == "object" else values.astype("datetime64[us]" if dtype == "date" else dtype)
    return values, pd.Series(np.zeros(len(index), dtype=bool), index=index)
