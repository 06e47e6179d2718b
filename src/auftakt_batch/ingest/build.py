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
    BOOL_FORMS,
    DATE_FORMS,
    DURATION_FORMS,
    TIME_FORMS,
    calendar_date,
    clock_seconds,
    duration_seconds,
    parse_column,
    yes_no,
)

TEXT_FIELDS = ("person", "client", "job", "task", "description")
FIELDS = ("date", *TEXT_FIELDS, "hours", "billable", "start", "end")  # what any format may map a column to
REQUIRED_TEXT = ("person", "client")  # job may be empty for a client without jobs
DURATION_TOLERANCE_S = 60  # hours and start–end may differ by rounding to the minute
ERROR, WARNING = Severity.ERROR, Severity.WARNING


def build_entries(table: Table, fmt: Format, timezone: str) -> tuple[pd.DataFrame, list[Problem], dict]:
    """(raw entries, problems, canonical field -> header text) for one table."""
    positions = fmt.field_positions(table.header)
    labels = {field: table.header[i] for field, i in positions.items()}
    blank = pd.Series("", index=table.rows.index, dtype=str)
    text = {field: table.rows[positions[field]] if field in positions else blank for field in FIELDS}
    rows = table.rows[["source_row"]].assign(source_file=table.file)
    stray = _stray(text, table.header, positions)
    is_entry = ~stray.any(axis=1)
    problems = _stray_problems(rows, stray)

    def parsed(field: str, parse, dtype: str, forms: str) -> pd.Series:
        values, bad = parse_column(text[field], parse, dtype)
        problems.extend(for_rows(rows.assign(v=text[field])[bad & is_entry], field, f"bad-{field}", ERROR,
                                 lambda r: f"unreadable {field} {r.v!r} — use {forms}"))
        return values

    day = parsed("date", calendar_date, "date", DATE_FORMS)
    hours = parsed("hours", duration_seconds, "Int64", DURATION_FORMS)
    billable = parsed("billable", yes_no, "boolean", BOOL_FORMS)
    start_s = parsed("start", clock_seconds, "Int64", TIME_FORMS)
    end_s = parsed("end", clock_seconds, "Int64", TIME_FORMS)
    start, end, span, time_problems = _instants(rows, day, start_s, end_s, timezone, hours.notna())
    problems += time_problems
    problems += _mismatches(rows, hours, span, end_s - start_s)
    problems += _missing(rows[is_entry], {field: values[is_entry] for field, values in text.items()}, span[is_entry])

    entries = pd.DataFrame({
        "source_file": rows["source_file"].astype(str),
        "source_row": rows["source_row"].astype("int64"),
        "source_format": fmt.name,
        "date": day,
        "start": start,
        "end": end,
        "duration_s": hours.fillna(span).astype("Int64"),
        **{field: text[field].astype(str) for field in TEXT_FIELDS},
        "billable_flag": billable,
    })
    # a stray row is not an entry: it leaves with its error (which then holds back every invoice)
    return entries[is_entry].reset_index(drop=True), problems, labels


def _mismatches(rows: pd.DataFrame, hours: pd.Series, span: pd.Series, wall: pd.Series) -> list[Problem]:
    """Hours that disagree with start–end; when the clocks changed in between, say so."""
    mismatch = (hours.notna() & span.notna() & (hours - span).abs().gt(DURATION_TOLERANCE_S)).fillna(False)
    wall = wall.where(wall >= 0, wall + 24 * 3600)
    dst = (wall - span).ne(0).fillna(False)
    return for_rows(rows.assign(h=hours, s=span, dst=dst)[mismatch], "hours", "duration-mismatch", ERROR,
                    lambda r: f"hours say {hm(r.h)} but start–end spans {hm(r.s)}"
                              f"{' (the clocks changed that night)' if r.dst else ''} — correct one of them")


def _stray(text: dict[str, pd.Series], header: tuple[str, ...], positions: dict[str, int]) -> pd.DataFrame:
    """Rows that are not entries: no date, person, client or job (a totals or note row), or the
    header again (two exports pasted together)."""
    note = text["date"].eq("") & text["person"].eq("") & text["client"].eq("") & text["job"].eq("")
    again = pd.Series(bool(positions), index=note.index)
    for field, i in positions.items():
        again &= text[field].str.casefold().eq(header[i].casefold())
    return pd.DataFrame({"note": note, "header": again})


def _stray_problems(rows: pd.DataFrame, stray: pd.DataFrame) -> list[Problem]:
    return for_rows(rows[stray["note"]], None, "stray-row", ERROR, lambda r: (
        "no date, person, client or job — delete the row if it is a totals or note row, or fill it in")) + for_rows(
        rows[stray["header"]], None, "stray-row", ERROR, lambda r: "the header again — delete this row")


def _missing(rows: pd.DataFrame, text: dict[str, pd.Series], span: pd.Series) -> list[Problem]:
    """Empty cells that every entry needs."""
    empty = {field: text[field].eq("") for field in text}
    problems = []
    for field in ("date", *REQUIRED_TEXT):
        problems += for_rows(rows[empty[field]], field, "missing-value", ERROR,
                             lambda r, f=field: f"{f} is empty — every entry needs one")
    no_hours = empty["hours"] & span.isna()
    cases = [
        (no_hours & empty["start"] & empty["end"], "hours", "hours is empty — give hours (or start and end)"),
        (no_hours & ~empty["start"] & empty["end"], "end", "end is empty — give both start and end, or hours"),
        (no_hours & empty["start"] & ~empty["end"], "start", "start is empty — give both start and end, or hours"),
    ]
    for mask, column, message in cases:
        problems += for_rows(rows[mask], column, "missing-value", ERROR, lambda r, m=message: m)
    return problems


def _instants(rows, day, start_s, end_s, timezone, has_hours):
    """Local date + clock times → UTC instants; an end before the start is on the next day.
    A time that happens twice (clocks going back) is an error, unless the hours are given:
    then the hours count and only the time of day is unknown."""
    both = day.notna() & start_s.notna() & end_s.notna()
    overnight = (both & (end_s < start_s)).fillna(False)
    end_s = end_s.where(~overnight, end_s + 24 * 3600)
    start_local = day + pd.to_timedelta(start_s.astype("float64"), unit="s")
    end_local = day + pd.to_timedelta(end_s.astype("float64"), unit="s")
    problems = for_rows(rows.assign(s=start_s, e=end_s - 24 * 3600)[overnight], "end", "overnight", WARNING,
                        lambda r: f"ends the next day (end {_clock(r.e)} is before start {_clock(r.s)}) — fine for "
                                  "night work, otherwise correct the times")
    instants = []
    for field, local in (("start", start_local), ("end", end_local)):
        utc, gap, twice = _localize(local, timezone)
        problems += for_rows(rows.assign(t=local)[gap], field, "dst-gap", ERROR,
                             lambda r: f"{r.t:%Y-%m-%d %H:%M} does not exist in {timezone} (clocks jump forward) "
                                       f"— correct the time")
        problems += for_rows(rows.assign(t=local)[twice & ~has_hours], field, "dst-ambiguous", ERROR,
                             lambda r, field=field: f"{r.t:%Y-%m-%d %H:%M} happens twice in {timezone} (clocks go "
                                                    f"back) — give hours instead of {field}, or move the time out "
                                                    "of that hour")
        problems += for_rows(rows.assign(t=local)[twice & has_hours], field, "dst-ambiguous", WARNING,
                             lambda r: f"{r.t:%Y-%m-%d %H:%M} happens twice in {timezone} (clocks go back) — the "
                                       "hours count; the time of day is left out")
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


def _clock(seconds) -> str:
    return f"{int(seconds) // 3600:02d}:{int(seconds) % 3600 // 60:02d}"
