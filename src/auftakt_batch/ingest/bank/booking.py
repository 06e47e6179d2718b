"""One booking as a reader finds it, and what every reader shares: a booking's id, IBANs, text.

A reader (camt, mt940_file, csvfile) gives a `Booking` per booking of its file with the values
it could read, and a warning at the booking's place for each it could not (its amount None, its
date None): a booking is never dropped for a bad value, and never holds back an invoice.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from datetime import date
from decimal import Decimal
from typing import Iterable, NamedTuple

from ...problems import Problem, Source, warning

_SPACES = re.compile(r"\s+")
_IBAN = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}")


class Booking(NamedTuple):
    account: str
    booking_date: date | None
    value_date: date | None
    amount: Decimal | None  # signed: a credit positive
    currency: str
    counterparty_name: str
    counterparty_iban: str
    remittance: str
    bank_reference: str
    source_file: str
    source_row: int
    source_format: str


class Read(NamedTuple):
    """What a reader gives for one file: its bookings and the warnings about them."""

    bookings: list[Booking]
    problems: list[Problem]
    format: str  # what read it (camt.053.001.08, mt940, sparkasse-csv)
    pending: int = 0  # entries the bank has not booked yet (noted, not read)


class StatementError(Exception):
    """A statement that cannot be read at all: one warning on its file; the others are read."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def unreadable(label: str, message: str, row: int | None = None, column: str | None = None) -> StatementError:
    return StatementError(warning(Source(label, row, column), "bad-statement", message))


def bad_value(label: str, row: int, column: str, message: str) -> Problem:
    return warning(Source(label, row, column), "bad-booking", message)


def text(value: object) -> str:
    """A bank's text as one line: runs of spaces and line breaks as one space, trimmed."""
    return _SPACES.sub(" ", str(value or "")).strip()


def iban(value: object) -> str:
    """An account as an IBAN without spaces where it is one (DE89 3704 … → DE8937…), else as written."""
    compact = _SPACES.sub("", str(value or "")).upper()
    return compact if _IBAN.fullmatch(compact) else text(value)


def german_iban(bank_code: str, account: str) -> str | None:
    """The IBAN of a German account given as BLZ and account number (MT940's :25: 37040044/532013000)."""
    if not (bank_code.isdigit() and len(bank_code) == 8 and account.isdigit() and len(account) <= 10):
        return None
    basic = bank_code + account.zfill(10)
    check = 98 - int(basic + "131400") % 97  # D=13, E=14, then 00 for the check digits
    return f"DE{check:02d}{basic}"


def booking_ids(bookings: Iterable[Booking]) -> list[str]:
    """Each booking's id: what it is — account, booking date, amount, currency, remittance,
    counterparty, bank reference — and, for identical bookings of one file, which of them it is
    (two equal transfers on one day are two payments; the same booking in two statements, one)."""
    seen: Counter[tuple] = Counter()
    ids = []
    for b in bookings:
        key = (b.account, b.booking_date.isoformat() if b.booking_date else "", _amount(b.amount), b.currency,
               text(b.remittance).casefold(), text(b.counterparty_name).casefold(), b.counterparty_iban,
               b.bank_reference)
        seen[key] += 1
        digest = hashlib.sha256("\x1f".join((*key, str(seen[key]))).encode("utf-8")).hexdigest()
        ids.append(f"booking:{digest[:20]}")
    return ids


def _amount(amount: Decimal | None) -> str:
    return "" if amount is None else format(amount.normalize(), "f")
