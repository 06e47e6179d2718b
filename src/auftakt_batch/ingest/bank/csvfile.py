"""A bank's CSV export → bookings (formats of kind `booking`: Sparkasse's CSV-CAMT and CSV-MT940).

Read as timesheets are (ingest/read.py): the encoding (UTF-8, or Windows-1252 as German banks
write) and the separator detected, the format recognised from the header. Dates are read day
first (`24.09.26`, `24.09.2026`, or ISO), amounts with the decimal mark the file uses (signed:
`-53,94`). A row marked `Umsatz vorgemerkt` (pending) is counted, not read; a row whose amount
or date cannot be read is kept, with a warning at its row and column.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Callable, TypeVar

import pandas as pd

from ...names import normalise
from ...problems import Problem, warning
from ..formats import BANK_FORMATS, BOOKING_FIELDS, by_name, recognise_bank
from ..read import FileError, Table, read_csv
from ..values import calendar_date, decimal_mark, money
from .booking import Booking, Read, StatementError, bad_value, iban, text

T = TypeVar("T")
PENDING = ("vorgemerkt", "pending")  # what a bank's status column says of a booking not booked yet


def read_bank_csv(path: Path, label: str) -> Read:
    try:
        table = read_csv(path, label, recognise_bank, describe)
    except FileError as exc:  # its first problem says why (an encoding, a header, a broken row)
        first = exc.problems[0]
        raise StatementError(warning(first.source, "bad-statement", first.message)) from None
    return _bookings(table)


def describe(header: list[str]) -> str:
    shown = ",".join(h for h in header if h)[:120] or "(empty)"
    titles = ", ".join(f.title for f in BANK_FORMATS)
    return (f"unrecognised header '{shown}' — a CSV in input/bank/ must be a bank export auftakt-batch reads "
            f"({titles}); or export camt.053 or MT940")


def _bookings(table: Table) -> Read:
    fmt = by_name(table.format)
    positions = fmt.field_positions(table.header)
    blank = pd.Series("", index=table.rows.index, dtype=str)
    cells = {f: table.rows[positions[f]] if f in positions else blank for f in BOOKING_FIELDS}
    mark = decimal_mark(cells["amount"].unique())[0] or ","
    pending = cells["status"].map(lambda s: any(word in normalise(s) for word in PENDING)).astype(bool)
    bookings, problems = [], []
    for i in table.rows.index[~pending]:
        row = int(table.rows.at[i, "source_row"])
        value = {f: cells[f].at[i] for f in BOOKING_FIELDS}
        booking, found = _booking(value, table.file, row, table.header, positions, mark, fmt.name)
        bookings.append(booking)
        problems += found
    return Read(bookings, problems, fmt.name, int(pending.sum()))


def _booking(value: dict[str, str], label: str, row: int, header: tuple[str, ...], positions: dict[str, int],
             mark: str, fmt: str) -> tuple[Booking, list[Problem]]:
    problems: list[Problem] = []

    def read(field: str, parse: Callable[[str], T | None], forms: str, needed: bool = True) -> T | None:
        written = value[field]
        parsed = parse(written) if written else None
        if parsed is None and (written or needed):
            column = header[positions[field]] if field in positions else field
            problems.append(bad_value(label, row, column, f"unreadable {column} {written!r} — use {forms}"))
        return parsed

    amount: Decimal | None = read("amount", partial(money, mark=mark), "a signed amount such as -1.234,56")
    day: Callable[[str], date | None] = partial(calendar_date, order="dmy")
    booked = read("booking_date", day, "DD.MM.YY, DD.MM.YYYY or YYYY-MM-DD")
    valued = read("value_date", day, "DD.MM.YY, DD.MM.YYYY or YYYY-MM-DD", needed=False)
    currency = value["currency"].strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        problems.append(bad_value(label, row, header[positions["currency"]],
                                  f"unreadable currency {value['currency']!r} — use its three-letter code (EUR)"))
        currency = ""
    reference = text(value["bank_reference"])
    booking = Booking(
        account=iban(value["account"]), booking_date=booked, value_date=valued, amount=amount, currency=currency,
        counterparty_name=text(value["counterparty_name"]), counterparty_iban=iban(value["counterparty_iban"]),
        remittance=text(value["remittance"]), bank_reference="" if reference == "NOTPROVIDED" else reference,
        source_file=label, source_row=row, source_format=fmt)
    return booking, problems
