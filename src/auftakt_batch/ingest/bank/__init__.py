"""Bank statements in input/bank/ → one frame of bookings (schemas.Bookings), each booking once.

Needs: the files ingest found under input/bank/ (never read as timesheets). Gives: the
bookings, what each file was and how many bookings it gave, and problems. What a file is, is
told from its content, never its name: XML is camt.053 (camt.py), text with MT940 fields
(`:25:`, `:61:`) is MT940 (mt940_file.py), anything else a bank's CSV export recognised from
its header (csvfile.py).

A booking's `booking_id` is what it is (booking.booking_ids), so the same booking in two
statements — a statement downloaded again, two overlapping exports of one format — counts
once: the first file in input/ order keeps it, and the other file gets a note. (A camt and an
MT940 of the same days write remittance and reference differently: they are not known as one.)

Every problem here is a warning or a note: a bank statement says who
paid, and never holds back an invoice. A file that cannot be read at all is one warning on it;
the other files are still read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import pandas as pd

from ...problems import Problem, Severity, Source, info, plural
from ...schemas import Bookings as B
from ...schemas import empty
from ..read import FileError, decode
from ..tree import read_input
from .booking import Booking, Read, StatementError, booking_ids, unreadable

MAX_BYTES = 64 * 1024 * 1024  # far beyond any account's statements; a larger file is no statement
FOLDER = "bank"  # input/bank/


@dataclass(frozen=True)
class BankFile:
    path: str  # as shown to the user (input/bank/2026-11.xml)
    format: str  # what read it (camt.053.001.08, mt940, sparkasse-csv); "" when it could not be read
    bookings: int  # bookings read from it, those also in an earlier file included
    repeated: int = 0  # of them, bookings an earlier file holds: counted there
    pending: int = 0  # entries not booked yet, not read


@dataclass(frozen=True)
class Bank:
    bookings: pd.DataFrame  # schemas.Bookings
    files: tuple[BankFile, ...]
    problems: tuple[Problem, ...]


def read_bank(files: Sequence[tuple[Path, str]]) -> Bank:
    """Every statement of `files` ((path, label), in input/ order) read into one frame of bookings."""
    frames, read_files, problems = [], [], []
    for path, label in files:
        try:
            read = read_statement(path, label)
        except StatementError as exc:
            problems.append(exc.problem)
            read_files.append(BankFile(label, "", 0))
            continue
        frames.append(_frame(read.bookings))
        problems += read.problems + _pending(label, read.pending)
        read_files.append(BankFile(label, read.format, len(read.bookings), pending=read.pending))
    bookings, again = _once(frames)
    problems += _repeated(again, bookings)
    counts = again[B.source_file].value_counts()
    return Bank(bookings, tuple(BankFile(f.path, f.format, f.bookings, int(counts.get(f.path, 0)), f.pending)
                                for f in read_files), tuple(problems))


def read_statement(path: Path, label: str) -> Read:
    """One statement's bookings, by what its content is; StatementError if it cannot be read at all.
    The readers are imported here: lxml and mt-940 cost a check without statements nothing."""
    from .camt import READ, read_camt
    from .csvfile import read_bank_csv
    from .mt940_file import looks_like_mt940, read_mt940

    try:
        if path.stat().st_size > MAX_BYTES:
            raise unreadable(label, f"larger than {MAX_BYTES // 2**20} MB — no bank statement; not read")
        data = read_input(path)
    except OSError as exc:
        raise unreadable(label, f"cannot be read ({exc.strerror or exc}) — make it readable, or move it out of "
                                "input/bank/") from None
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:5]
    if not head:
        raise unreadable(label, "the file is empty — download the statement again")
    if head.startswith(b"%PDF"):
        raise unreadable(label, f"a PDF statement cannot be read — export the account's bookings as camt.053 "
                                f"({READ}), MT940 or the bank's CSV")
    if head.startswith(b"<"):
        return read_camt(data, label)
    try:
        content, _ = decode(data, label)
    except FileError as exc:
        raise unreadable(label, exc.problems[0].message.replace("timesheet", "statement")) from None
    if looks_like_mt940(content):
        return read_mt940(content, label)
    return read_bank_csv(path, label)


def _frame(bookings: list[Booking]) -> pd.DataFrame:
    if not bookings:
        return empty(B)
    frame = pd.DataFrame(bookings, columns=Booking._fields)
    days = {c: pd.to_datetime(frame[c].astype(object).where(frame[c].notna(), None)).astype("datetime64[ns]")
            for c in (B.booking_date, B.value_date)}
    return frame.assign(**days, **{B.booking_id: booking_ids(bookings),
                                   B.amount: frame[B.amount].astype(object),
                                   B.source_row: frame[B.source_row].astype("int64")})[list(empty(B).columns)]


def _once(frames: list[pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the bookings of every file, each once: where it is first; the copies left out)."""
    every = pd.concat(frames, ignore_index=True) if frames else empty(B)
    again = every[B.booking_id].duplicated()
    return every[~again].reset_index(drop=True), every[again]


def _repeated(again: pd.DataFrame, kept: pd.DataFrame) -> list[Problem]:
    """A note per file on the bookings an earlier file holds, naming that file."""
    first = kept.set_index(B.booking_id)[B.source_file]
    problems = []
    for file, rows in again.groupby(B.source_file, sort=False):
        where = ", ".join(sorted(set(first[rows[B.booking_id]])))
        numbers = tuple(int(r) for r in rows[B.source_row])
        problems.append(Problem(Source(file, numbers[0]), "repeated-booking", Severity.INFO,
                                f"{plural(len(rows), 'booking')} also in {where}, counted once",
                                numbers if len(numbers) > 1 else ()))
    return problems


def _pending(label: str, count: int) -> list[Problem]:
    if not count:
        return []
    return [info(Source(label), "pending-booking", f"{plural(count, 'entry', 'entries')} the bank has not booked "
                                                   "yet (pending), not read — they count once a later statement "
                                                   "books them")]
