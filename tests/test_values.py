"""Cell parsers: every accepted form, every rejection, and properties over all inputs."""

from datetime import date
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from auftakt_batch.ingest.values import (
    calendar_date,
    clock_seconds,
    date_order,
    decimal_mark,
    duration_seconds,
    money,
    parse_column,
    yes_no,
)

from .conftest import examples


@pytest.mark.parametrize("text, seconds", [
    ("1.5", 5400), ("1,5", 5400), ("1:30", 5400), ("1:30:00", 5400), ("0:45", 2700), ("2", 7200),
    (".25", 900), ("0,25", 900), ("10:05:30", 36330), ("-1:30", -5400), ("-0.5", -1800), ("0", 0),
    ("0.333", 1199), ("1.", 3600),
])
def test_duration_forms(text, seconds):
    assert duration_seconds(text) == seconds


@pytest.mark.parametrize("text", ["1h", "1:3", "1:60", "abc", "1.5.2", "1,5,0", "", " ", "1 30", "--1", "1e3",
                                  "99999999", "99999999999999999999:00", "-99999999999999999999:00"])
def test_unreadable_durations(text):
    assert duration_seconds(text) is None


@settings(max_examples=examples(2000))
@given(st.integers(min_value=0, max_value=200), st.integers(min_value=0, max_value=59),
       st.integers(min_value=0, max_value=59))
def test_clock_durations_are_exact(h, m, s):
    assert duration_seconds(f"{h}:{m:02d}:{s:02d}") == h * 3600 + m * 60 + s
    assert duration_seconds(f"{h}:{m:02d}") == h * 3600 + m * 60


@settings(max_examples=examples(2000))
@given(st.decimals(min_value=0, max_value=1000, places=4, allow_nan=False, allow_infinity=False))
@example(Decimal("0.1"))
def test_decimal_hours_agree_in_both_notations_and_round_half_up(hours):
    text = format(hours, "f")
    seconds = duration_seconds(text)
    assert seconds == duration_seconds(text.replace(".", ","))
    assert abs(Decimal(seconds) - hours * 3600) <= Decimal("0.5")  # nearest whole second
    assert seconds >= 0


@settings(max_examples=examples(1000))
@given(st.text(max_size=12))
def test_any_text_is_a_duration_or_rejected_never_an_exception(text):
    result = duration_seconds(text)
    assert result is None or isinstance(result, int)


@pytest.mark.parametrize("text, day", [
    ("2026-11-03", date(2026, 11, 3)), ("03.11.2026", date(2026, 11, 3)), ("3.11.2026", date(2026, 11, 3)),
    ("2026-11-03 00:00:00", date(2026, 11, 3)), ("2024-02-29", date(2024, 2, 29)), ("03.11.26", date(2026, 11, 3)),
    ("2026-11-03T09:30", date(2026, 11, 3)), ("2026-11-03 09:30:00", date(2026, 11, 3)),
])
def test_date_forms(text, day):
    assert calendar_date(text) == day


@pytest.mark.parametrize("text", ["2026-11-31", "31.02.2026", "11/03/2026", "3 Nov 2026", "2025-02-29", "20261103",
                                  "9999-12-31", "1066-10-14", "03.11.2026x"])
def test_unreadable_dates(text):
    assert calendar_date(text) is None


def test_slash_dates_need_the_file_s_order():
    assert calendar_date("11/03/2026", "dmy") == date(2026, 3, 11)
    assert calendar_date("11/03/2026", "mdy") == date(2026, 11, 3)
    assert calendar_date("13/03/2026", "mdy") is None  # no month 13: not this file's order


def test_date_order_is_decided_by_all_dates_of_a_file():
    assert date_order(["21/01/2026", "01/02/2026"]) == ("dmy", [])
    assert date_order(["03/04/2024", "10/15/2024"]) == ("mdy", [])
    assert date_order(["03/04/2024", "11/12/2024"]) == (None, [])
    assert date_order(["13/01/2026", "14/01/2026", "01/13/2026"]) == ("dmy", ["01/13/2026"])
    assert date_order(["03.11.2026", "06/11/2026"]) == ("dmy", [])


def test_twelve_hour_clocks():
    assert [clock_seconds(t) for t in ("10:23:52 AM", "10:23 am", "12:05 AM", "12:05 PM", "1:05 p.m.", "13:00 PM")] == [
        37432, 37380, 300, 43500, 47100, None]


def test_money_follows_the_file_s_decimal_mark():
    assert decimal_mark(["20,0", "2.000,0", "0,01"]) == (",", [])
    assert decimal_mark(["1.26", "151.2", "1,165.5"]) == (".", [])
    assert decimal_mark(["1,500", "2.000"]) == (None, [])  # three digits after one mark: could be either
    assert money("1,165.5") == Decimal("1165.5") and money("2.000,0", ",") == Decimal("2000.0")
    assert money("EUR 80.00") == Decimal("80.00") and money("€ 1.080,50", ",") == Decimal("1080.50")
    assert money("1.234,5", ".") is None and money("n/a") is None


def test_hours_with_thousands_and_decimal_marks():
    assert duration_seconds("1.165,5") == duration_seconds("1,165.5") == 1165.5 * 3600


def test_clock_and_yes_no():
    assert clock_seconds("09:30") == 34200
    assert clock_seconds("24:00") == 86400
    assert clock_seconds("24:01") is None and clock_seconds("9.30") is None
    assert [yes_no(t) for t in ("Yes", "no", "TRUE", "0", "x", "maybe")] == [True, False, True, False, True, None]


def test_parse_column_keeps_empty_apart_from_unreadable():
    values, bad = parse_column(pd.Series(["1,5", "", "", "zwei", "1:30"]), duration_seconds, "Int64")
    assert values.tolist()[0] == 5400 and values.tolist()[4] == 5400
    assert values.isna().tolist() == [False, True, True, True, False]
    assert bad.tolist() == [False, False, False, True, False]
