"""Checks: small functions over the period's entries, each returning problems.

Each check is `(entries, context) -> list[Problem]` and looks only at rows whose fields it
needs are present (a row with an unreadable date already has its error). Errors would make
a bill wrong and hold back the client's invoice; warnings are for the reviewer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable

import pandas as pd

from .config import Config
from .periods import Period
from .problems import Problem, Severity, Source, for_rows, hm
from .rates import rate_for

ERROR, WARNING = Severity.ERROR, Severity.WARNING
LONG_ENTRY_S = 16 * 3600
DAY_S = 24 * 3600


@dataclass(frozen=True)
class Context:
    config: Config
    period: Period
    today: date


Check = Callable[[pd.DataFrame, Context], list[Problem]]


def unknown_person(e: pd.DataFrame, ctx: Context) -> list[Problem]:
    rows = e[e["person_name"].isna() & e["person"].ne("")]
    return _per_name(rows, "person", lambda name, rows: f"unknown person {name!r}{rows} — add them (or an alias) to "
                                                  f"team in rates.yaml; {ctx.config.people.suggestion(name, 'team')}")


def unknown_client(e: pd.DataFrame, ctx: Context) -> list[Problem]:
    rows = e[e["client_key"].isna() & e["client"].ne("")]
    return _per_name(rows, "client", lambda name, rows: f"unknown client {name!r}{rows} — add it (or an alias) to "
                                                  f"rates.yaml; {ctx.config.client_names.suggestion(name, 'clients')}")


def unknown_job(e: pd.DataFrame, ctx: Context) -> list[Problem]:
    rows = e[e["client_key"].notna() & e["job_key"].isna()]
    problems = []
    for client_key, group in rows.groupby("client_key"):
        jobs = ctx.config.job_names[client_key]
        problems += _per_name(group[group["job"].ne("")], "job", lambda name, rows: (
            f"unknown job {name!r} for client {client_key}{rows} — add it (or an alias) under "
            f"clients.{client_key}.jobs in rates.yaml; {jobs.suggestion(name, 'jobs')}"))
        problems += for_rows(group[group["job"].eq("")], "job", "missing-value", ERROR, lambda r: (
            f"job is empty — {client_key} has jobs: {', '.join(ctx.config.clients[client_key].jobs)}"))
    return problems


def no_rate(e: pd.DataFrame, ctx: Context) -> list[Problem]:
    known = e[e["billable"] & e[["person_name", "client_key", "job_key", "date"]].notna().all(axis=1)]
    combos = known[["person_name", "client_key", "job_key", "date"]].drop_duplicates()
    missing = {
        (p, c, j, d) for p, c, j, d in combos.itertuples(index=False)
        if rate_for(ctx.config, p, c, j or None, d.date())[0] is None
    }
    keys = pd.Series(list(zip(known["person_name"], known["client_key"], known["job_key"], known["date"])),
                     index=known.index)
    rows = known[keys.isin(missing)]
    return for_rows(rows, "date", "no-rate", ERROR, lambda r: (
        f"no rate in force on {r.date:%Y-%m-%d} for {r.person_name} on {_job_label(r)} — set "
        f"clients.{r.client_key}.rate (or a job, person or role rate) in rates.yaml, or mark the entry non-billable"))


def non_positive_duration(e: pd.DataFrame, ctx: Context) -> list[Problem]:
    rows = e[e["duration_s"].le(0).fillna(False)]
    return for_rows(rows, "hours", "non-positive-duration", ERROR,
                    lambda r: f"duration is {hm(r.duration_s)} — an entry needs more than zero time; "
                              "correct it or delete the row")


def impossible_duration(e: pd.DataFrame, ctx: Context) -> list[Problem]:
    rows = e[e["duration_s"].gt(DAY_S).fillna(False)]
    return for_rows(rows, "hours", "impossible-duration", ERROR,
                    lambda r: f"{hm(r.duration_s)} h in one entry is more than a day — correct it or split it")


def long_entry(e: pd.DataFrame, ctx: Context) -> list[Problem]:
    rows = e[e["duration_s"].between(LONG_ENTRY_S + 1, DAY_S).fillna(False)]
    return for_rows(rows, "hours", "long-entry", WARNING,
                    lambda r: f"{hm(r.duration_s)} h in one entry (more than 16 h) — check it")


def long_day(e: pd.DataFrame, ctx: Context) -> list[Problem]:
    known = e[e["person_name"].notna() & e["date"].notna() & e["duration_s"].gt(0).fillna(False)]
    day = known.groupby(["person_name", "date"])["duration_s"]
    day_total, day_entries = day.transform("sum"), day.transform("size")
    # a single over-long entry is already an impossible-duration error; assign before filtering
    rows = known.assign(day_total=day_total)[(day_total > DAY_S) & (day_entries > 1)]
    if rows.empty:
        return []
    where = rows.groupby(["person_name", "date"])[["source_file", "source_row"]].apply(_row_list)
    rows = rows.join(where.rename("where"), on=["person_name", "date"])
    return for_rows(rows, "hours", "day-over-24h", ERROR, lambda r: (
        f"{r.person_name} logged {hm(r.day_total)} h on {r.date:%Y-%m-%d}, more than 24 h in one day "
        f"({r.where}) — correct the hours"))


def overlapping(e: pd.DataFrame, ctx: Context) -> list[Problem]:
    timed = e[e["person_name"].notna() & e["start"].notna() & e["end"].notna()]
    timed = timed.sort_values(["person_name", "start", "end"], kind="stable")
    prev_end = timed.groupby("person_name")["end"].shift()
    prev = timed.groupby("person_name")[["source_file", "source_row"]].shift()
    rows = timed.assign(prev_file=prev["source_file"], prev_row=prev["source_row"])[timed["start"] < prev_end]
    tz = ctx.config.agency.timezone
    return for_rows(rows, "start", "overlap", WARNING, lambda r: (
        f"{r.person_name}'s {r.start.tz_convert(tz):%H:%M}–{r.end.tz_convert(tz):%H:%M} overlaps "
        f"{_place(r.prev_file, r.prev_row, r.source_file)} — fine if they really did two things at once"))


def future_date(e: pd.DataFrame, ctx: Context) -> list[Problem]:
    """One warning per file: entries dated after today are usually planned time or a typo."""
    rows = e[e["date"].gt(pd.Timestamp(ctx.today)).fillna(False)]
    problems = []
    for file, group in rows.groupby("source_file", sort=True):
        first, last = group["date"].min(), group["date"].max()
        dates = f"{first:%Y-%m-%d}" if first == last else f"{first:%Y-%m-%d} .. {last:%Y-%m-%d}"
        what = "dated" if len(group) == 1 else f"{len(group)} entries dated"
        where = f" (rows {_row_numbers(group['source_row'])})" if len(group) > 1 else ""
        problems.append(Problem(Source(file, int(group["source_row"].iloc[0]), "date"), "future-date", WARNING,
                                f"{what} {dates}{where}, after today ({ctx.today}) — check the dates "
                                "unless the time is planned"))
    return problems


def weekend_work(e: pd.DataFrame, ctx: Context) -> list[Problem]:
    rows = e[e["date"].dt.day_of_week.ge(5).fillna(False) & e["duration_s"].gt(0).fillna(False)]
    return for_rows(rows, "date", "weekend", WARNING,
                    lambda r: f"logged on a {r.date:%A} ({r.date:%Y-%m-%d}) — check the date")


def missing_description(e: pd.DataFrame, ctx: Context) -> list[Problem]:
    rows = e[e["billable"] & e["description"].str.strip().eq("")]
    return for_rows(rows, "description", "missing-description", WARNING,
                    lambda r: "billable entry without a description — the client sees its line unexplained")


def billable_conflict(e: pd.DataFrame, ctx: Context) -> list[Problem]:
    rows = e[e["billable_flag"].fillna(False) & ~e["billable"] & e["client_key"].notna()]
    return for_rows(rows, "billable", "not-billable", WARNING, lambda r: (
        f"marked billable, but {_job_label(r)} is not billable in rates.yaml — it is not billed"))


def repeated_in_file(e: pd.DataFrame, ctx: Context) -> list[Problem]:
    rows = e[e["duplicate_of"].notna()]
    return for_rows(rows, None, "repeated-row", WARNING, lambda r: (
        f"same as row {r.duplicate_of} (person, date, time, job and description) — both are counted; "
        "delete one if it was logged twice"))


CHECKS: list[Check] = [
    unknown_person, unknown_client, unknown_job, no_rate, non_positive_duration, impossible_duration,
    long_entry, long_day, overlapping, future_date, weekend_work, missing_description, billable_conflict,
    repeated_in_file,
]


def run_checks(entries: pd.DataFrame, ctx: Context, checks: list[Check] = CHECKS) -> list[Problem]:
    return [problem for check in checks for problem in check(entries, ctx)]


def _per_name(rows: pd.DataFrame, column: str, message: Callable[[str, str], str]) -> list[Problem]:
    """One problem per distinct name per file, at its first row, listing the other rows."""
    problems = []
    for (file, name), group in rows.groupby(["source_file", column], sort=True):
        problems.append(Problem(Source(file, int(group["source_row"].iloc[0]), column), f"unknown-{column}",
                                ERROR, message(name, _rows_note(group["source_row"]))))
    return problems


def _rows_note(rows: pd.Series) -> str:
    """' (3 rows: 4, 9, 12)' for several rows, '' for one."""
    return f" ({len(rows)} rows: {_row_numbers(rows)})" if len(rows) > 1 else ""


def _row_numbers(rows: pd.Series, shown: int = 8) -> str:
    return ", ".join(map(str, rows.iloc[:shown])) + (", …" if len(rows) > shown else "")


def _row_list(group: pd.DataFrame, shown: int = 8) -> str:
    more = ", …" if len(group) > shown else ""
    if group["source_file"].nunique() == 1:
        return f"rows {_row_numbers(group['source_row'], shown)}"
    head = group.iloc[:shown]
    return ", ".join(f"{f}:{r}" for f, r in zip(head["source_file"], head["source_row"])) + more


def _place(file: str, row: int, here: str) -> str:
    return f"row {int(row)}" if file == here else f"{file}:{int(row)}"


def _job_label(r) -> str:
    return f"{r.client_key}/{r.job_key}" if r.job_key else r.client_key
