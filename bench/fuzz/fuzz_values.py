"""The cell parsers of ingest/values.py, on any text: duration_seconds, calendar_date (dmy, mdy
or no order), clock_seconds, money (either decimal mark), yes_no and instant.

Invariant: none of them raises, and each returns its documented type or None —
durations whole seconds (int, not bool) within MAX_SECONDS, as the Int64 column they fill
needs; dates a date within YEARS; clock times 0…24 h in seconds; money an exact, finite
Decimal (never a float) of at most MONEY_DIGITS digits; yes/no a bool; instants a UTC
Timestamp of whole seconds within YEARS.
"""

from datetime import date
from decimal import Decimal

import atheris
import pandas as pd

with atheris.instrument_imports(include=["auftakt_batch"]):
    from auftakt_batch.ingest.values import (
        MAX_SECONDS,
        MONEY_DIGITS,
        YEARS,
        calendar_date,
        clock_seconds,
        duration_seconds,
        instant,
        money,
        yes_no,
    )

from common import run


def test_one_input(data: bytes) -> None:
    """Byte 1 picks the parser, byte 2 its option (date order, decimal mark), the rest is the cell's text."""
    if len(data) < 2:
        return
    which, option, text = data[0] % 6, data[1] % 3, data[2:].decode("utf-8", "replace")
    if which == 0:
        call, parse, check = "duration_seconds", duration_seconds, lambda v: (
            type(v) is int and abs(v) <= MAX_SECONDS)
    elif which == 1:
        order = ("dmy", "mdy", None)[option]
        call, parse, check = f"calendar_date(order={order!r})", lambda t: calendar_date(t, order), lambda v: (
            type(v) is date and YEARS[0] <= v.year <= YEARS[1])
    elif which == 2:
        call, parse, check = "clock_seconds", clock_seconds, lambda v: type(v) is int and 0 <= v <= 24 * 3600
    elif which == 3:
        mark = ".,"[option % 2]
        call, parse, check = f"money(mark={mark!r})", lambda t: money(t, mark), lambda v: (
            type(v) is Decimal and v.is_finite() and len(v.as_tuple().digits) <= MONEY_DIGITS)
    elif which == 4:
        call, parse, check = "yes_no", yes_no, lambda v: type(v) is bool
    else:
        call, parse, check = "instant", instant, lambda v: (
            type(v) is pd.Timestamp and str(v.tz) == "UTC" and v == v.floor("s") and YEARS[0] <= v.year <= YEARS[1])
    try:
        value = parse(text)
    except Exception as exc:
        exc.add_note(f"{call} on {text!r}")
        raise
    assert value is None or check(value), f"{call} on {text!r} gave {value!r} ({type(value).__name__})"


if __name__ == "__main__":
    run("values", test_one_input)
