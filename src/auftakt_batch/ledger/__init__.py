"""The ledger: output/ledger.sqlite, the system of record of what was invoiced.

Invoices (and credit notes) with their lines, the charges on each line (what is billed at most
once: for now each entry's hours) and the entries billed. The database itself enforces the
guarantees: an invoice number is given out once (UNIQUE), the series has no gaps (the next
number is always max + 1 within a write transaction, and a reserved number is never deleted: a
crashed pending invoice is finished, not dropped), no charge and no entry is on two live
invoices (partial UNIQUE indexes over those of live invoices; a credit note frees them). Money
and quantities are stored as plain decimal text (`decimal_text`: `40`, never `4E+1`), never as
a float.

Here: opening the ledger, for writing (`connect`) or read-only (`read_*`). The schema and its
migrations are in schema.py, the queries in reading.py, the issue protocol's steps in writing.py.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pandas as pd

from ..errors import LedgerError
from ..pricing.models import NOTHING_BILLED, Ledgered
from ..problems import plural
from . import reading
from .backups import restore_hint, stray_invoices
from .kept import remembered
from .messages import Delivery, deliveries, record_outcome, record_sending
from .reading import (
    BILLED_COLUMNS,
    Book,
    InvoiceRecord,
    NotVoidable,
    Stored,
    billed_entries,
    charged,
    invoices,
    live_invoices,
    model_state,
    no_billed,
    paid_bookings,
    stored_draft,
    voidable,
)
from .reminders import ReminderRecord, mark_reminded, record_reminder, reminders
from .schema import DECIMALS, RETOKENED, SCHEMA, SCHEMA_VERSION, checked, migrate
from .sql import decimal_text, utc_now
from .writing import (
    AlreadyBilled,
    Number,
    mark_issued,
    next_number,
    next_numbers,
    record_accepted,
    record_all_pending,
    record_payments,
    record_pending,
    reserving,
)
from .written import token

__all__ = ["AlreadyBilled", "BILLED_COLUMNS", "BUSY_TIMEOUT_S", "Book", "DECIMALS", "Delivery", "InvoiceRecord",
           "LedgerError", "NotVoidable", "Number", "ReminderRecord", "SCHEMA_VERSION", "Stored", "billed_entries",
           "charged", "connect", "decimal_text", "deliveries", "invoices", "live_invoices", "mark_issued",
           "mark_reminded", "model_state", "next_number", "next_numbers", "no_billed", "paid_bookings", "read_billed",
           "read_billed_expenses", "read_book", "read_deliveries", "read_invoices", "read_issued", "read_model_state",
           "read_paid", "read_paid_bookings", "read_reminders", "read_token", "record_accepted", "record_all_pending",
           "record_outcome", "record_payments", "record_pending", "record_reminder", "record_sending", "reminders",
           "reserving", "stored_draft", "utc_now", "voidable"]

BUSY_TIMEOUT_S = 5.0  # how long a command waits for a ledger another program holds, before saying so


def connect(path: Path) -> sqlite3.Connection:
    """Open the ledger for writing; writes use BEGIN IMMEDIATE transactions. A ledger is created
    only where there is none (or an empty file) and output/ holds no invoice; an existing one is
    checked first — its version, its tables, the indexes that enforce "billed at most once",
    SQLite's own quick check, the invoices in output/ it must know — and refused untouched if
    anything is amiss: never rebuilt, never half-migrated."""
    if path.is_dir():
        raise LedgerError(f"{path} is a folder, not the ledger — move it away (a ledger is one file)")
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)  # transactions are explicit
    try:
        version = checked(conn, path, thorough=True)
        _no_strays(conn if version is not None else None, path)
        migrate(conn)
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        if version is None:  # all or nothing: a run killed here leaves an empty file, not half a ledger
            conn.executescript(f"BEGIN IMMEDIATE; {SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")
        else:  # its token's row, if someone deleted it: a new token matches nothing kept
            conn.execute(RETOKENED)
    except sqlite3.OperationalError:  # the disk (full, read-only), not the ledger: environment.py says so
        conn.close()
        raise
    except sqlite3.DatabaseError as exc:  # not an SQLite file at all, or damaged beyond reading
        conn.close()
        raise LedgerError(f"{path} cannot be read: {exc} — it is left untouched; {restore_hint(path)}") from None
    except LedgerError:
        conn.close()
        raise
    return conn


def _no_strays(conn: sqlite3.Connection | None, path: Path) -> None:
    """Refuse a ledger that does not know every invoice file in output/ (none, for a new ledger):
    it is missing, emptied or older than those invoices, and billing would issue their numbers again."""
    known = set() if conn is None else {
        (period, f"{number}-{client}") for number, client, period in conn.execute(
            "SELECT number, client_key, period FROM invoices")}
    unknown = stray_invoices(path.parent, known)
    if unknown:
        more = f" and {plural(len(unknown) - 1, 'more file')}" if len(unknown) > 1 else ""
        state = "is missing or empty" if conn is None else "is older than them"
        raise LedgerError(f"{unknown[0]}{more} in output/ are invoices the ledger does not know: {path.name} {state}, "
                          f"and billing now would give out their numbers again — nothing was written; "
                          f"{restore_hint(path)}")


def read_invoices(path: Path) -> list[InvoiceRecord]:
    """Every invoice and credit note, read-only; none if there is no ledger yet."""
    return _read(path, lambda conn, _: invoices(conn), [])


def read_billed(path: Path) -> pd.DataFrame:
    """The live billed entries (BILLED_COLUMNS), read without writing anything — not even a new
    ledger; none if there is no ledger yet. Raises LedgerError for a ledger that cannot be used."""
    return _read(path, remembered(path, "billed", reading.billed), no_billed())


def read_model_state(path: Path) -> Ledgered:
    """What the live invoices hold of the billing models, read-only; nothing if there is no ledger yet,
    nor in one from before the charges table (its invoices billed hours alone, and `bill --draft` reads it
    as it is, not migrated)."""
    return _read(path, lambda conn, version: model_state(conn) if version >= reading.CHARGES_ADDED_IN
                 else NOTHING_BILLED, NOTHING_BILLED)


def read_billed_expenses(path: Path) -> pd.DataFrame:
    """The expenses on live invoices (reading.BILLED_EXPENSE_COLUMNS), read-only; none without a ledger."""
    return _read(path, reading.billed_expenses, reading.billed_expenses_frame())


def read_issued(path: Path, period: str) -> list[tuple[InvoiceRecord, Stored]]:
    """The invoices and credit notes of `period` that were issued (void ones too: each was issued,
    and its credit note books it out), in the series' order, each with what the ledger holds of
    it; read-only, none if there is no ledger yet."""
    return _read(path, lambda conn, _: [(r, stored_draft(conn, r.number)) for r in invoices(conn)
                                        if r.period == period and r.status != "pending"], [])


def read_deliveries(path: Path) -> dict[str, Delivery]:
    """invoice number -> where its mailing stands (messages.py), read-only; none without a ledger."""
    return _read(path, deliveries, {})


def read_reminders(path: Path) -> list[ReminderRecord]:
    """Every payment reminder issued (or pending), read-only; none without a ledger."""
    return _read(path, reminders, [])


def read_paid_bookings(path: Path) -> frozenset[str]:
    """The bank bookings recorded as payments already, read-only; none without a ledger."""
    return _read(path, paid_bookings, frozenset())


def read_book(path: Path) -> Book:
    """Every invoice, line and live billed entry, read-only; an empty book if there is no ledger."""
    return _read(path, lambda conn, version: reading.book(conn, version, remembered(path, "billed", reading.billed)),
                 reading.no_book())


def read_token(path: Path) -> str | None:
    """The ledger's token (written.py: every write replaces it), read-only; None without one, or without a ledger."""
    return _read(path, token, None)


def read_paid(path: Path) -> dict:
    """Invoice or credit-note number -> what payments paid of it, read-only; nothing without a ledger."""
    return _read(path, reading.paid, {})


T = TypeVar("T")


def _read_only(path: Path) -> str:
    """The URI a reader opens the ledger with. A reader of a WAL ledger needs its index file
    (ledger.sqlite-shm), which the last connection to close deletes: on a disk this process may
    not write to (a read-only mount) and without one, SQLite cannot make it, and nothing can
    change the ledger either — so it is read as immutable there."""
    uri = f"{path.resolve().as_uri()}?mode=ro"
    if not os.access(path.parent, os.W_OK) and not path.with_name(f"{path.name}-shm").exists():
        uri += "&immutable=1"
    return uri


def _read(path: Path, query: Callable[[sqlite3.Connection, int], T], nothing: T) -> T:
    """Run `query(conn, schema version)` on a read-only connection: nothing is written, not even a
    migration; `nothing` where there is no ledger yet. Raises LedgerError where connect would. In
    WAL mode a reader needs no lock a writer holds: it reads while `bill` writes; a ledger another
    program holds whole (an exclusive locking mode) is waited for BUSY_TIMEOUT_S, then the
    OperationalError says so (environment.py), as do a disk or permissions that fail it. What a run
    killed while writing left for a writer to undo — a hot journal, a log to recover — is undone
    first (`_undo_killed_write`), as the next writer would, and the ledger read as it was before."""
    if not path.exists():
        _no_strays(None, path)
        return nothing
    if path.is_dir():
        raise LedgerError(f"{path} is a folder, not the ledger — move it away (a ledger is one file)")
    try:
        return _read_once(path, query, nothing)
    except sqlite3.OperationalError as exc:
        if exc.sqlite_errorname not in LEFT_BY_A_KILLED_WRITE:
            raise
        _undo_killed_write(path)
    return _read_once(path, query, nothing)


# what a read-only connection refuses to do itself: roll back a run's half-written transaction (a hot
# journal: an old ledger is migrated before it turns to WAL), rebuild or set up the index of a log a
# killed writer left
LEFT_BY_A_KILLED_WRITE = frozenset({"SQLITE_READONLY_ROLLBACK", "SQLITE_READONLY_RECOVERY", "SQLITE_READONLY_CANTINIT"})


def _undo_killed_write(path: Path) -> None:
    """Open the ledger as a writer and close it: SQLite then rolls back the journal, or rebuilds the
    log's index, that a killed run left — what any writer does first; nothing else is written."""
    writer = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S)
    try:
        writer.execute("SELECT count(*) FROM sqlite_master").fetchall()
    finally:
        writer.close()


def _read_once(path: Path, query: Callable[[sqlite3.Connection, int], T], nothing: T) -> T:
    conn = sqlite3.connect(_read_only(path), uri=True, timeout=BUSY_TIMEOUT_S)
    try:
        version = checked(conn, path)
        _no_strays(conn if version is not None else None, path)
        if version is None:
            return nothing
        conn.execute("BEGIN")  # one read transaction: its queries see the ledger as of one moment (a bill writing)
        return query(conn, version)
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.OperationalError) and exc.sqlite_errorname != "SQLITE_ERROR":
            raise  # locked, or the disk: not damage, no backup to restore
        raise LedgerError(f"{path} cannot be read: {exc} — it is left untouched; {restore_hint(path)}") from None
    finally:
        conn.close()
