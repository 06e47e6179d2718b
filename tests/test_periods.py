from datetime import date
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auftakt_batch.periods import Period, PeriodError, parse_period

from .conftest import examples


@pytest.mark.parametrize("text, label, start, end", [
    ("2026-11", "2026-11", date(2026, 11, 1), date(2026, 11, 30)),
    ("2024-02", "2024-02", date(2024, 2, 1), date(2024, 2, 29)),
    ("2026-W47", "2026-W47", date(2026, 11, 16), date(2026, 11, 22)),
    ("2026-w01", "2026-W01", date(2025, 12, 29), date(2026, 1, 4)),
    ("2026-Q4", "2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
    ("2026-q1", "2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
    ("2026", "2026", date(2026, 1, 1), date(2026, 12, 31)),
    ("2026-11-01..2026-11-15", "2026-11-01..2026-11-15", date(2026, 11, 1), date(2026, 11, 15)),
    (" 2026-11 ", "2026-11", date(2026, 11, 1), date(2026, 11, 30)),
])
def test_accepted_forms(text, label, start, end):
    period = parse_period(text)
    assert (period.label, period.start, period.end) == (label, start, end)


@pytest.mark.parametrize("text", ["2026-13", "2026-W54", "2026-Q5", "Nov 2026", "2026-11-15..2026-11-01",
                                  "2026-02-30..2026-03-01", "", "2026/11"])
def test_bad_periods_name_the_accepted_forms(text):
    with pytest.raises(PeriodError) as exc:
        parse_period(text)
    assert "2026-W47 (ISO week)" in str(exc.value)
    assert repr(text) in str(exc.value)


def test_membership():
    period = parse_period("2026-W47")
    assert date(2026, 11, 16) in period and date(2026, 11, 22) in period
    assert date(2026, 11, 23) not in period
    assert period.days == 7


@pytest.mark.parametrize("text, months", [
    ("2026-11", Decimal(1)), ("2026-Q4", Decimal(3)), ("2026", Decimal(12)),
    ("2026-11-01..2026-11-15", Decimal(15) / 30), ("2026-11-16..2026-12-31", Decimal(15) / 30 + 1),
])
def test_months_a_period_spans_partial_months_pro_rata(text, months):
    assert parse_period(text).months() == months


def test_period_arithmetic_lives_in_period():
    november, quarter = parse_period("2026-11"), parse_period("2026-Q4")
    assert quarter.covers(november) and parse_period("2026").covers(quarter)
    assert not november.covers(quarter) and not november.covers(parse_period("2026-W49"))
    assert november.through(date(2026, 11, 10)) == Period("2026-11", date(2026, 11, 1), date(2026, 11, 10))
    assert november.through(date(2026, 12, 3)) == november
    assert november.through(date(2026, 10, 31)) is None
    assert november.before(date(2026, 9, 14)) == Period("2026-09-14..", date(2026, 9, 14), date(2026, 10, 31))
    days = pd.Series(pd.to_datetime(["2026-10-31", "2026-11-01", "2026-11-30", "2026-12-01", None]))
    assert november.holds(days).tolist() == [False, True, True, False, False]


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["input/a.csv", "input/b.csv", "input/team/c.csv"]),
                          st.dates(date(2025, 1, 1), date(2026, 10, 31))), min_size=1, max_size=40))
def test_entries_outside_the_period_are_told_per_file_in_any_order(rows):
    """One info per file, with its count and first and last day, as a groupby by file says it —
    also where a file's rows are not together (a year's exports keep theirs together)."""
    from auftakt_batch.pipeline import outside_period

    period = parse_period("2026-11")
    outside = pd.DataFrame({"source_file": [f for f, _ in rows], "date": pd.to_datetime([d for _, d in rows])})
    grouped = outside.groupby("source_file", sort=True)["date"].agg(["size", "min", "max"])
    assert [(p.source.file, p.message) for p in outside_period(outside, period)] == [
        (file, f"{n} entr{'y' if n == 1 else 'ies'} outside {period} ignored ({a:%Y-%m-%d} .. {b:%Y-%m-%d})")
        for file, n, a, b in zip(grouped.index, grouped["size"], grouped["min"], grouped["max"])]
