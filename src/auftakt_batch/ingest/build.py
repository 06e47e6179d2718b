"""A table of text → canonical raw entries, with a located problem for each unreadable cell.

What varies between trackers is data (formats/); what varies between files of one tracker —
the date order of slash dates, the decimal mark of amounts — is decided per file from all its
values, never guessed row by row.

A row whose value cannot be read is kept (with NA in that field) and reported as an error;
it is never dropped and never becomes zero hours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as default
from functools import partial
from typing import Mapping

import pandas as pd

from ..names import normalise
from ..problems import Problem, Severity, Source, for_rows, hm
from .formats import FIELDS, Format
from .read import Table
from .values import (
    BOOL_FORMS,
    DATE_FORMS,
    DURATION_FORMS,
    MONEY_FORMS,
    TIME_FORMS,
    calendar_date,
    clock_seconds,
    date_order,
    decimal_mark,
    duration_seconds,
    has_slash_dates,
    money,
    parse_column,
    yes_no,
)

TEXT_FIELDS = ("person", "client", "job", "task", "description")
REQUIRED_TEXT = ("person",)  # an empty client may follow from the job (resolve.py); job may be empty
DURATION_TOLERANCE_S = 60  # hours and start–end may differ by rounding to the minute
ROUNDING_STEPS = (60, 30, 15, 10, 6, 5)  # minutes a tracker's report may round durations to
ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
_CURRENCY_CODE = re.compile(r"(?:^|[^A-Za-z])([A-Z]{3})$")


@dataclass(frozen=True)
class Rules:
    """What ingest needs from rates.yaml: the agency's time zone, people's own time zones
    (normalised name, alias or email -> zone) and the date order for files that cannot tell."""

    timezone: str
    zones: Mapping[str, str] = default(default_factory=dict)
    date_format: str | None = None  # "dmy" or "mdy"


def build_entries(table: Table, fmt: Format, rules: Rules) -> tuple[pd.DataFrame, list[Problem], dict]:
    """(raw entries, problems, canonical field -> header text) for one table."""
    positions = fmt.field_positions(table.header)
    labels = {f: table.header[i] for f, i in positions.items()}
    blank = pd.Series("", index=table.rows.index, dtype=str)
    text = {f: table.rows[positions[f]] if f in positions else blank for f in FIELDS}
    if "person" not in positions and ("first_name" in positions or "last_name" in positions):
        text["person"] = (text["first_name"] + " " + text["last_name"]).str.strip()
        labels["person"] = labels.get("first_name", labels.get("last_name"))
    rows = table.rows[["source_row"]].assign(source_file=table.file)
    stray = _stray(text, table.header, positions)
    problems = _stray_problems(rows, stray, fmt.totals_row)
    is_entry = ~stray.any(axis=1)
    order = _date_order(text, is_entry, rules)
    undecided = is_entry & pd.Series(False, index=rows.index)
    if order is None:  # slash dates, and nothing tells day/month from month/day: one error for them all
        undecided = is_entry & (text["date"].str.contains("/") | text["end_date"].str.contains("/"))
        problems.append(_undecided(rows[undecided], text["date"][undecided]))

    def parsed(f: str, parse, dtype: str, forms: str, severity: Severity = ERROR) -> pd.Series:
        values, bad = parse_column(text[f], parse, dtype)
        problems.extend(for_rows(rows.assign(v=text[f])[bad & is_entry & ~undecided], f, f"bad-{f}", severity,
                                 lambda r: f"unreadable {f} {r.v!r} — use {forms}"))
        return values

    day = parsed("date", partial(calendar_date, order=order), "date", DATE_FORMS)
    end_day = parsed("end_date", partial(calendar_date, order=order), "date", DATE_FORMS)
    hours = parsed("hours", duration_seconds, "Int64", DURATION_FORMS)
    billable = parsed("billable", yes_no, "boolean", BOOL_FORMS)
    start_s = parsed("start", clock_seconds, "Int64", TIME_FORMS)
    end_s = parsed("end", clock_seconds, "Int64", TIME_FORMS)
    mark = decimal_mark(pd.concat([text["amount"], text["rate"]]).unique())[0] or "."
    amount = parsed("amount", partial(money, mark=mark), "object", MONEY_FORMS, WARNING)
    rate = parsed("rate", partial(money, mark=mark), "object", MONEY_FORMS, WARNING)
    zone = _zones(text["person"], text["email"], rules)
    start, end, span, time_problems = _instants(rows, day, end_day, start_s, end_s, zone, hours.notna())
    problems += time_problems
    hours, rounding = _unrounded(rows, hours, span)
    problems += rounding + _mismatches(rows, hours, span, end_s - start_s)
    problems += _missing(rows[is_entry], {f: values[is_entry] for f, values in text.items()}, span[is_entry])
    # the day an entry belongs to is its start's day in the agency's zone (a person abroad may differ)
    agency_day = start.dt.tz_convert(rules.timezone).dt.tz_localize(None).dt.normalize().astype("datetime64[us]")

    entries = pd.DataFrame({
        "source_file": rows["source_file"].astype(str),
        "source_row": rows["source_row"].astype("int64"),
        "source_format": fmt.name,
        "date": agency_day.where(start.notna(), day),
        "start": start,
        "end": end,
        "duration_s": hours.fillna(span).astype("Int64"),
        **{f: text[f].astype(str) for f in TEXT_FIELDS},
        "email": text["email"].astype(str),
        "billable_flag": billable,
        "export_amount": amount.astype(object).where(amount.notna(), None),
        "export_rate": rate.astype(object).where(rate.notna(), None),
        "export_currency": _currency(text["currency"], fmt.header_currency(table.header)),
    })
    # a stray row is not an entry: it leaves with its error (which then holds back every invoice)
    return entries[is_entry].reset_index(drop=True), problems, labels


def _date_order(text: dict[str, pd.Series], is_entry: pd.Series, rules: Rules) -> str | None:
    """dmy or mdy for this file's slash dates, decided from all of them (a part above 12 is the
    day), else by imports.date_format; None if neither tells. Never decided row by row: a date
    that does not fit the file's order is an unreadable date."""
    dates = pd.concat([text["date"][is_entry], text["end_date"][is_entry]]).unique()
    if not has_slash_dates(dates):
        return "dmy"
    return date_order(dates)[0] or rules.date_format


def _undecided(rows: pd.DataFrame, dates: pd.Series) -> Problem:
    numbers = tuple(int(r) for r in rows["source_row"])
    return Problem(Source(rows["source_file"].iloc[0], numbers[0], "date"), "date-order", ERROR,
                   f"dates such as {dates.iloc[0]!r} could be day/month or month/day, and no date in this file "
                   f"tells which ({len(numbers)} rows) — add `imports: {{date_format: DD/MM/YYYY}}` (or MM/DD/YYYY) "
                   "to rates.yaml", numbers if len(numbers) > 1 else ())


def _zones(person: pd.Series, email: pd.Series, rules: Rules) -> pd.Series:
    """Each row's time zone: the person's own (by name, alias or email), else the agency's."""
    if not rules.zones:
        return pd.Series(rules.timezone, index=person.index)

    def zone_of(names: pd.Series) -> pd.Series:
        distinct = names.unique()
        return names.map(dict(zip(distinct, (rules.zones.get(normalise(n)) for n in distinct))))

    return zone_of(person).fillna(zone_of(email)).fillna(rules.timezone)


def _currency(column: pd.Series, from_header: str | None) -> pd.Series:
    """ISO code of each row's export currency: from a Currency column ('Euro - EUR'), else the header."""
    distinct = column.unique()
    codes = column.map({t: (m[1] if (m := _CURRENCY_CODE.search(t)) else "") for t in distinct})
    return codes.where(codes.ne(""), from_header or "").astype(str)


def _unrounded(rows: pd.DataFrame, hours: pd.Series, span: pd.Series) -> tuple[pd.Series, list[Problem]]:
    """A report whose durations the tracker rounded (Clockify's and Toggl's report rounding):
    every duration that differs from its start–end is a multiple of one step and within a step
    of it. Then the start and end times count — rates.yaml's rounding applies, once."""
    off = (hours.notna() & span.notna() & (hours - span).abs().gt(DURATION_TOLERANCE_S)).fillna(False)
    if off.sum() < 2:
        return hours, []
    h, s = hours[off], span[off]
    step = next((m for m in ROUNDING_STEPS if (h % (m * 60) == 0).all() and ((h - s).abs() < m * 60).all()), None)
    if step is None:
        return hours, []
    numbers = tuple(int(r) for r in rows.loc[off, "source_row"])
    return hours.where(~off, span), [Problem(
        Source(rows["source_file"].iloc[0], numbers[0], "hours"), "tracker-rounding", WARNING,
        f"the durations are rounded to {step} minutes by the tracker ({len(numbers)} rows differ from their start "
        "and end) — the start and end times count, and rates.yaml's rounding applies; turn rounding off in the "
        "tracker's report to silence this", numbers)]


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


def _stray_problems(rows: pd.DataFrame, stray: pd.DataFrame, totals_row: bool) -> list[Problem]:
    note = stray["note"]
    if totals_row and len(note) and note.iloc[-1]:  # the tool's own totals row, under the entries
        last = note.index[-1]
        note = note.drop(last)
        totals = [Problem(Source(rows.loc[last, "source_file"], int(rows.loc[last, "source_row"])), "totals-row",
                          INFO, "the export's totals row — not an entry, skipped")]
    else:
        totals = []
    return totals + for_rows(rows[note.reindex(rows.index, fill_value=False)], None, "stray-row", ERROR, lambda r: (
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


def _instants(rows, day, end_day, start_s, end_s, zone, has_hours):
    """Local date + clock times → UTC instants, each in its row's time zone. The end is on the
    end date where the export gives one; otherwise an end before the start is on the next day.
    A time that happens twice (clocks going back) is an error, unless the hours are given:
    then the hours count and only the time of day is unknown."""
    end_day = end_day.fillna(day)
    both = day.notna() & start_s.notna() & end_s.notna()
    dated_end = (end_day.notna() & end_day.ne(day)).fillna(False)  # the export says the entry ends another day
    overnight = (both & (end_s < start_s) & ~dated_end).fillna(False)
    end_s = end_s.where(~overnight, end_s + 24 * 3600)
    start_local = day + pd.to_timedelta(start_s.astype("float64"), unit="s")
    end_local = end_day + pd.to_timedelta(end_s.astype("float64"), unit="s")
    problems = for_rows(rows.assign(s=start_s, e=end_s - 24 * 3600)[overnight], "end", "overnight", WARNING,
                        lambda r: f"ends the next day (end {_clock(r.e)} is before start {_clock(r.s)}) — fine for "
                                  "night work, otherwise correct the times")
    instants = []
    for f, local in (("start", start_local), ("end", end_local)):
        utc, gap, twice = _localize(local, zone)
        problems += for_rows(rows.assign(t=local, z=zone)[gap], f, "dst-gap", ERROR,
                             lambda r: f"{r.t:%Y-%m-%d %H:%M} does not exist in {r.z} (clocks jump forward) "
                                       f"— correct the time")
        problems += for_rows(rows.assign(t=local, z=zone)[twice & ~has_hours], f, "dst-ambiguous", ERROR,
                             lambda r, f=f: f"{r.t:%Y-%m-%d %H:%M} happens twice in {r.z} (clocks go back) — give "
                                            f"hours instead of {f}, or move the time out of that hour")
        problems += for_rows(rows.assign(t=local, z=zone)[twice & has_hours], f, "dst-ambiguous", WARNING,
                             lambda r: f"{r.t:%Y-%m-%d %H:%M} happens twice in {r.z} (clocks go back) — the "
                                       "hours count; the time of day is left out")
        instants.append(utc)
    start, end = instants
    span = ((end - start).dt.total_seconds()).astype("Int64").where(both & start.notna() & end.notna())
    backwards = span.lt(0).fillna(False)
    problems += for_rows(rows.assign(s=start_local, e=end_local)[backwards], "end", "ends-before-start", ERROR,
                         lambda r: f"ends ({r.e:%Y-%m-%d %H:%M}) before it starts ({r.s:%Y-%m-%d %H:%M}) — correct "
                                   "the times")
    return start, end, span.where(~backwards), problems


def _localize(local: pd.Series, zone: pd.Series):
    """(UTC instants, nonexistent mask, ambiguous mask) for naive local times, each in its zone."""
    utc = pd.Series(pd.NaT, index=local.index, dtype="datetime64[us, UTC]")
    gap = pd.Series(False, index=local.index)
    twice = pd.Series(False, index=local.index)
    for name, where in local.groupby(zone, sort=False).groups.items():
        part = local.loc[where]
        early = part.dt.tz_localize(name, ambiguous=True, nonexistent="NaT")
        late = part.dt.tz_localize(name, ambiguous=False, nonexistent="NaT")
        gap.loc[where] = part.notna() & early.isna()
        twice.loc[where] = early.notna() & (early != late)
        utc.loc[where] = early.where(~twice.loc[where]).dt.tz_convert("UTC").astype("datetime64[us, UTC]")
    return utc, gap, twice


def _clock(seconds) -> str:
    return f"{int(seconds) // 3600:02d}:{int(seconds) % 3600 // 60:02d}"
