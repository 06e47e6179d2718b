"""Clock times and durations: local times → instants, and what the hours column says.

Naive times are local to the row's time zone (the agency's, or the person's own); durations
are measured between instants, so a daylight-saving night comes out right. An entry past
midnight keeps its full duration; a time that does not exist, or happens twice, is named.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import pandas as pd

from ..problems import Problem, Severity, Source, for_rows, selected
from ..units import hm

ERROR, WARNING = Severity.ERROR, Severity.WARNING
DURATION_TOLERANCE_S = 60  # hours and start–end may differ by rounding to the minute
ROUNDING_STEPS = (60, 30, 15, 10, 6, 5)  # minutes a tracker's report may round durations to


def instants(rows: pd.DataFrame, day: pd.Series, end_day: pd.Series, start_s: pd.Series, end_s: pd.Series,
             zone: pd.Series, has_hours: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series, list[Problem]]:
    """Local date + clock times → UTC instants, each in its row's time zone. The end is on the
    end date where the export gives one; otherwise an end before the start is on the next day.
    A time that happens twice (clocks going back) is an error, unless the hours are given:
    then the hours count and only the time of day is unknown."""
    if start_s.isna().all() and end_s.isna().all():  # an export without clock times: no instant, no span
        return _no_instants(day.index)
    return _instants(rows, day, end_day, start_s, end_s, zone, has_hours)


def _no_instants(index: pd.Index) -> tuple[pd.Series, pd.Series, pd.Series, list[Problem]]:
    """`instants` of rows without a start or an end."""
    missing = pd.Series(pd.NaT, index=index, dtype="datetime64[us, UTC]")
    return missing, missing.copy(), pd.Series(pd.NA, index=index, dtype="Int64"), []


def _instants(rows: pd.DataFrame, day: pd.Series, end_day: pd.Series, start_s: pd.Series, end_s: pd.Series,
              zone: pd.Series, has_hours: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series, list[Problem]]:
    dated_end = end_day.notna()  # the export says which day the entry ends: an end before the start is an error
    end_day = end_day.fillna(day)
    both = day.notna() & start_s.notna() & end_s.notna()
    overnight = (both & (end_s < start_s) & ~dated_end).fillna(False)
    next_day = overnight | (both & dated_end & end_day.eq(day + pd.Timedelta(days=1))).fillna(False)
    problems = for_rows(selected(rows, next_day, s=start_s, e=end_s), "end", "overnight", WARNING,
                        lambda r: f"ends the next day (starts {_clock(r.s)}, ends {_clock(r.e)}) — fine for "
                                  "night work, otherwise correct the times")
    end_s = end_s.where(~overnight, end_s + 24 * 3600)
    start_local = day + pd.to_timedelta(start_s.astype("float64"), unit="s")
    end_local = end_day + pd.to_timedelta(end_s.astype("float64"), unit="s")
    instants = []
    for f, local in (("start", start_local), ("end", end_local)):
        utc, gap, twice = _localize(local, zone)
        problems += for_rows(selected(rows, gap, t=local, z=zone), f, "dst-gap", ERROR,
                             lambda r: f"{r.t:%Y-%m-%d %H:%M} does not exist in {r.z} (clocks jump forward) "
                                       f"— correct the time")
        problems += for_rows(selected(rows, twice & ~has_hours, t=local, z=zone), f, "dst-ambiguous", ERROR,
                             partial(_twice_without_hours, f))
        problems += for_rows(selected(rows, twice & has_hours, t=local, z=zone), f, "dst-ambiguous", WARNING,
                             lambda r: f"{r.t:%Y-%m-%d %H:%M} happens twice in {r.z} (clocks go back) — the "
                                       "hours count; the time of day is left out")
        instants.append(utc)
    start, end = instants
    span, backwards = _span(rows, start, end, start_local, end_local, both)
    return start, end, span, problems + backwards


def utc_spans(rows: pd.DataFrame, start: pd.Series, end: pd.Series) -> tuple[pd.Series, list[Problem]]:
    """Instants as an export gives them (UTC, or with their offset): the span between them,
    and an error where the end comes first (shown in UTC, as a zone-less time would mislead)."""
    return _span(rows, start, end, start.dt.tz_localize(None), end.dt.tz_localize(None), start.notna(), " UTC")


def _span(rows: pd.DataFrame, start: pd.Series, end: pd.Series, start_local: pd.Series, end_local: pd.Series,
          both: pd.Series, zone: str = "") -> tuple[pd.Series, list[Problem]]:
    """Seconds from start to end (NA where either is missing or the end comes first), and the
    error for an end before the start."""
    span = ((end - start).dt.total_seconds()).astype("Int64").where(both & start.notna() & end.notna())
    backwards = span.lt(0).fillna(False)
    problems = for_rows(selected(rows, backwards, s=start_local, e=end_local), "end", "ends-before-start", ERROR,
                        lambda r: f"ends ({r.e:%Y-%m-%d %H:%M}{zone}) before it starts ({r.s:%Y-%m-%d %H:%M}{zone}) "
                                  "— correct the times")
    return span.where(~backwards), problems


def _localize(local: pd.Series, zone: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(UTC instants, nonexistent mask, ambiguous mask) for naive local times, each in its zone."""
    if len(zone) and zone.eq(zone.iloc[0]).all():  # the usual file: everyone in one zone
        return tuple(part.rename(None) for part in _localize_in(local, zone.iloc[0]))
    utc = pd.Series(pd.NaT, index=local.index, dtype="datetime64[us, UTC]")
    gap = pd.Series(False, index=local.index)
    twice = pd.Series(False, index=local.index)
    for name, where in local.groupby(zone, sort=False).groups.items():
        utc.loc[where], gap.loc[where], twice.loc[where] = _localize_in(local.loc[where], name)
    return utc, gap, twice


def _localize_in(local: pd.Series, name: str) -> tuple[pd.Series, pd.Series, pd.Series]:
    """`_localize` for times that are all in the zone `name`."""
    early = local.dt.tz_localize(name, ambiguous=True, nonexistent="NaT")
    late = local.dt.tz_localize(name, ambiguous=False, nonexistent="NaT")
    gap = local.notna() & early.isna()
    twice = early.notna() & (early != late)
    return early.where(~twice).dt.tz_convert("UTC").astype("datetime64[us, UTC]"), gap, twice


def unrounded(rows: pd.DataFrame, hours: pd.Series, span: pd.Series) -> tuple[pd.Series, list[Problem]]:
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


def mismatches(rows: pd.DataFrame, hours: pd.Series, span: pd.Series, wall: pd.Series) -> list[Problem]:
    """Hours that disagree with start–end; when the clocks changed in between, say so."""
    mismatch = (hours.notna() & span.notna() & (hours - span).abs().gt(DURATION_TOLERANCE_S)).fillna(False)
    if not mismatch.any():  # the usual case
        return []
    wall = wall.where(wall >= 0, wall + 24 * 3600)
    dst = (wall - span).ne(0).fillna(False)
    return for_rows(selected(rows, mismatch, h=hours, s=span, dst=dst), "hours", "duration-mismatch", ERROR,
                    lambda r: f"hours say {hm(r.h)} but start–end spans {hm(r.s)}"
                              f"{' (the clocks changed that night)' if r.dst else ''} — correct one of them")


def _twice_without_hours(field: str, r: Any) -> str:
    return (f"{r.t:%Y-%m-%d %H:%M} happens twice in {r.z} (clocks go back) — give hours instead of {field}, or "
            "move the time out of that hour")


def _clock(seconds: float) -> str:
    return f"{int(seconds) // 3600:02d}:{int(seconds) % 3600 // 60:02d}"
