"""Capacity: working days, and the days someone logged (almost) nothing.

A working day is a weekday that is not a public holiday (the `holidays` library: the agency's
country, and its region — `agency.region`, or a person's own `region:` — for the holidays only
some regions have) nor a day the person is away by their calendar. A person with
`hours_per_week` has a fifth of it as daily capacity; a working day up to today on which they
logged less than `agency.missing_day_below` of it (default half) is a missing day.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import numpy as np
import pandas as pd

from ..config import Config
from ..periods import Period
from ..problems import Problem, Severity, Source, plural
from ..schemas import Entries as E
from ..units import hm


def working_days(config: Config, period: Period, until: date, person: str | None = None) -> pd.DatetimeIndex:
    """The period's weekdays up to `until` that are no public holiday where `person` works
    (their region, else the agency's; no person: the agency's)."""
    span = period.through(until)
    if span is None:
        return pd.DatetimeIndex([])
    return _working_days(config.agency.country, config.region_of(person), span.start, span.end)


@lru_cache(maxsize=256)  # a team's people share a few regions (an Index is immutable)
def _working_days(country: str, region: str | None, first: date, last: date) -> pd.DatetimeIndex:
    days = pd.bdate_range(first, last)
    public = _public_holidays(country, region, first.year, last.year)
    return days[~days.isin(pd.to_datetime(list(public)))]


@lru_cache(maxsize=64)
def _public_holidays(country: str, region: str | None, first: int, last: int) -> frozenset[date]:
    import holidays

    try:
        return frozenset(holidays.country_holidays(country, subdiv=region, years=range(first, last + 1)))
    except NotImplementedError:  # a country the library does not know: weekdays only
        return frozenset()


def missing_days(entries: pd.DataFrame, absences: pd.DataFrame | None, config: Config, period: Period,
                 today: date) -> pd.DataFrame:
    """person, date, logged_s, capacity_s for every working day with too little time logged."""
    columns = ["person", "date", "logged_s", "capacity_s"]
    people = [(p.name, int(p.hours_per_week * 3600 / 5)) for p in config.team if p.hours_per_week]
    by_region: dict[str | None, pd.DatetimeIndex] = {}  # the working days where someone works: a few regions
    days = []
    for name, _ in people:
        region = config.region_of(name)
        if region not in by_region:
            by_region[region] = working_days(config, period, today, name)
        days.append(by_region[region])
    counts = [len(d) for d in days]
    if not sum(counts):
        return pd.DataFrame(columns=columns)
    grid = pd.DataFrame({"person": np.repeat([name for name, _ in people], counts),
                         "date": np.concatenate([d.to_numpy(dtype="datetime64[us]") for d in days]),
                         "capacity_s": np.repeat([capacity for _, capacity in people], counts)})
    logged = entries[entries[E.person_name].notna()].groupby([E.person_name, E.date])[E.duration_s].sum()
    logged = logged.rename_axis(["person", "date"]).rename("logged_s").reset_index()
    grid = grid.merge(logged.astype({"date": "datetime64[us]"}), on=["person", "date"], how="left")
    grid["logged_s"] = grid["logged_s"].fillna(0).astype("int64")
    if absences is not None and len(absences):
        away = absences[["person", "date"]].astype({"date": "datetime64[us]"}).assign(away=True)
        grid = grid.merge(away.drop_duplicates(), on=["person", "date"], how="left")
        grid = grid[grid["away"].isna()].drop(columns="away")
    share = config.agency.missing_day_below
    return grid[grid["logged_s"] < grid["capacity_s"] * share][columns].reset_index(drop=True)


def missing_day_problems(missing: pd.DataFrame) -> list[Problem]:
    problems = []
    for person, group in missing.groupby("person", sort=True):
        shown = ", ".join(f"{d:%Y-%m-%d} ({hm(s)})" for d, s in zip(group["date"].head(5), group["logged_s"].head(5)))
        more = ", …" if len(group) > 5 else ""
        n = len(group)
        problems.append(Problem(Source("team", key=person), "missing-days", Severity.WARNING, (
            f"{plural(n, 'working day')} with little or no time logged (capacity "
            f"{hm(group['capacity_s'].iloc[0])} a day): {shown}{more} — time not tracked yet?")))
    return problems
