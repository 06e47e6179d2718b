"""A table of text → canonical raw entries, with a located problem for each unreadable cell.

A row whose value cannot be read is kept (with NA in that field) and reported as an error;
it is never dropped and never becomes zero hours.
"""

from __future__ import annotations

import pandas as pd

from ..problems import Problem, Severity, for_rows, hm
from .formats import Format
from .read import Table
from .values import (
    BOOL_FORMS, DATE_FORMS, DURATION_FORMS, TIME_FORMS, calendar_date, clock_seconds, duration_seconds,
    parse_column, yes_no,
)

TEXT_FIELDS = ("person", "client", "job", "task", "description")
REQUIRED_TEXT = ("person", "client")  # job may be empty for a client without jobs
DURATION_TOLERANCE_S = 60  # hours and start–end may differ by rounding to the minute
ERROR = Severity.ERROR


def build_entries(table: Table, fmt: Format, timezone: str) -> tuple[pd.DataFrame, list[Problem], dict]:
    """(raw entries, problems, canonical field -> header text) for one table."""
    positions = fmt.field_positions(table.header)
    labels = {field: table.header[i] for field, i in positions.items()}
    text = {field: table.rows[i] if i in table.rows else _blank(table.rows) for field, i in positions.items()}
    rows = table.rows[["source_row"]].assign(source_file=table.file)
    problems: list[Problem] = []

    def col(field: str) -> pd.Series:
        return text.get(field, _blank(table.rows))

    def parsed(field: str, parse, dtype: str, message: str) -> pd.Series:
        values, bad = parse_column(col(field), parse, dtype)
        problems.extend(for_rows(rows.assign(v=col(field))[bad], field, f"bad-{field}", ERROR,
                                 lambda r: f"unreadable {field} {r.v!r} — use {message}"))
        return values

    day = parsed("date", calendar_date, "date", DATE_FORMS)
    hours = parsed("hours", duration_seconds, "Int64", DURATION_FORMS)
    billable = parsed("billable", yes_no, "boolean", BOOL_FORMS)
    start_s = parsed("start", clock_seconds, "Int64", TIME_FORMS)
    end_s = parsed("end", clock_seconds, "Int64", TIME_FORMS)
    start, end, span, tz_problems = _instants(rows, day, start_s, end_s, timezone)
    problems += tz_problems
    duration = hours.fillna(span)

    mismatch = hours.notna() & span.notna() & (hours - span).abs().gt(DURATION_TOLERANCE_S)
    problems += for_rows(rows.assign(h=hours, s=span)[mismatch.fillna(False)], "hours", "duration-mismatch", ERROR,
                         lambda r: f"hours say {hm(r.h)} but start–end spans {hm(r.s)} — correct one of them")
    for field in ("date", *REQUIRED_TEXT):
        empty = col(field).eq("")
        problems += for_rows(rows[empty], field, "missing-value", ERROR,
                             lambda r, f=field: f"{f} is empty — every entry needs one")
    no_duration = col("hours").eq("") & span.isna()
    problems += for_rows(rows[no_duration & ~(col("start").ne("") & col("end").ne(""))], "hours", "missing-value",
                         ERROR, lambda r: "hours is empty — give hours (or start and end)")

    entries = pd.DataFrame({
        "source_file": rows["source_file"].astype(str),
        "source_row": rows["source_row"].astype("int64"),
        "source_format": fmt.name,
        "date": day,
        "start": start,
        "end": end,
        "duration_s": duration.astype("Int64"),
        **{field: col(field).astype(str) for field in TEXT_FIELDS},
        "billable_flag": billable,
    })
    return entries, problems, labels


def _instants(rows, day, start_s, end_s, timezone):
    """Local date + clock times → UTC instants; an end before the start is on the next day."""
    both = day.notna() & start_s.notna() & end_s.notna()
    end_s = end_s.where(~(both & (end_s < start_s)), end_s + 24 * 3600)
    start_local = day + pd.to_timedelta(start_s.astype("float64"), unit="s")
    end_local = day + pd.to_timedelta(end_s.astype("float64"), unit="s")
    problems = []
    instants = []
    for field, local in (("start", start_local), ("end", end_local)):
        utc, gap, twice = _localize(local, timezone)
        problems += for_rows(rows.assign(t=local)[gap], field, "dst-gap", ERROR,
                             lambda r: f"{r.t:%Y-%m-%d %H:%M} does not exist in {timezone} (clocks jump forward) "
                                       f"— correct the time")
        problems += for_rows(rows.assign(t=local)[twice], field, "dst-ambiguous", ERROR,
                             lambda r: f"{r.t:%Y-%m-%d %H:%M} happens twice in {timezone} (clocks go back) — "
                                       f"give hours instead of {field}, or move the time out of that hour")
        instants.append(utc)
    start, end = instants
    span = ((end - start).dt.total_seconds()).astype("Int64").where(both & start.notna() & end.notna())
    return start, end, span, problems


def _localize(local: pd.Series, timezone: str):
    """(UTC instants, nonexistent mask, ambiguous mask) for naive local times."""
    early = local.dt.tz_localize(timezone, ambiguous=True, nonexistent="NaT")
    late = local.dt.tz_localize(timezone, ambiguous=False, nonexistent="NaT")
    gap = local.notna() & early.isna()
    twice = early.notna() & (early != late)
    utc = early.where(~twice).dt.tz_convert("UTC").astype("datetime64[us, UTC]")
    return utc, gap, twice


def _blank(rows: pd.DataFrame) -> pd.Series:
    return pd.Series("", index=rows.index, dtype=str)
