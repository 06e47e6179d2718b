"""Writing the ledger: the issue protocol's steps (reserve a number and record the invoice as
pending with its lines, charges and entries; mark it issued), voiding by a credit note, and the
user's word on billed entries changed since. Each step is one transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import date, datetime
from typing import NamedTuple, NotRequired, TypedDict, Unpack

from ..pricing.invoices import Billed, Draft
from .kept import followed
from .reading import voidable
from .schema import SCHEMA_VERSION
from .sql import decimal_text, transaction, utc_now
from .written import token


class AlreadyBilled(Exception):
    """A charge (an entry's hours) is already on a live invoice: the database refused to bill it twice."""


class Number(NamedTuple):
    """An invoice number and its place in the year's series."""

    number: str
    seq: int


def next_number(conn: sqlite3.Connection, pattern: str, year: int) -> Number:
    """The next number of the series for `year` (seq restarts each year); call inside a transaction."""
    return next_numbers(conn, pattern, year, 1)[0]


def next_numbers(conn: sqlite3.Connection, pattern: str, year: int, count: int) -> list[Number]:
    """The next `count` numbers of the series for `year`, in order."""
    (last,) = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM invoices WHERE year = ?", (year,)).fetchone()
    return [Number(pattern.format(year=year, seq=seq), seq) for seq in range(last + 1, last + 1 + count)]


REFUSED_TWICE = ("charges.kind, charges.key", "billed_entries.entry_id")  # what SQLite names in the refusal


class Heading(TypedDict):
    """An invoice's own fields beyond its draft, as `record_pending` takes them by keyword."""

    kind: str  # invoice | credit-note
    issue_date: date
    due_date: date
    stamped_at: datetime
    refers_to: NotRequired[str | None]  # the issued invoice a credit note cancels
    reason: NotRequired[str | None]  # why it is cancelled


def record_pending(conn: sqlite3.Connection, pattern: str, draft: Draft, *, expect: str | None = None,
                   **heading: Unpack[Heading]) -> str:
    """Reserve a number, insert the invoice as pending with its lines, charges and entries — all
    in one transaction. Raises AlreadyBilled (and records nothing) if a charge is on a live
    invoice. The invoice's `issued_at` is this moment (a run that finishes it keeps it);
    `stamped_at` is the time its PDF's metadata carries. A credit note (`refers_to` an issued
    invoice) voids that invoice and frees its charges and entries in the same transaction.
    `expect`: the number the caller made its documents with (the billing lock keeps the series
    still, so another one is a bug, and nothing is recorded)."""
    return record_all_pending(conn, pattern, [(draft, expect)], **heading)[0]


def record_all_pending(conn: sqlite3.Connection, pattern: str, drafts: Sequence[tuple[Draft, str | None]],
                       **heading: Unpack[Heading]) -> list[str]:
    """Several invoices of one heading reserved as `record_pending` reserves one (each draft with the
    number it expects), in one transaction: all of them, or none. A bill reserves its invoices a few
    at a time: a year's ledger has large indexes of the billed entries and of the charges, an invoice's
    entries fall on pages all over them, and every commit writes each page it changed to the log
    (a transaction an invoice of 275 entries wrote about 3 MB there)."""
    issue_date, refers_to = heading["issue_date"], heading.get("refers_to")
    if refers_to is not None and len(drafts) != 1:
        raise ValueError("a credit note is reserved on its own")
    numbers, ids = [], []
    try:
        with transaction(conn):
            before = token(conn, SCHEMA_VERSION)
            if refers_to is not None:
                _void(conn, refers_to)
            for (draft, expect), (number, seq) in zip(drafts, next_numbers(conn, pattern, issue_date.year, len(drafts)),
                                                      strict=True):
                if expect is not None and number != expect:
                    raise RuntimeError(f"the series moved under the billing lock: expected {expect}, got {number}")
                ids.append(_insert(conn, "invoices", {
                    "number": number, "year": issue_date.year, "seq": seq, "kind": heading["kind"],
                    "refers_to": refers_to, "reason": heading.get("reason"), "client_key": draft.client_key,
                    "period": draft.period.label, "issue_date": issue_date.isoformat(),
                    "due_date": heading["due_date"].isoformat(), "stamped_at": heading["stamped_at"].isoformat(),
                    "issued_at": utc_now(), "currency": draft.currency, "vat_mode": draft.vat_mode,
                    "vat_rate": decimal_text(draft.vat_rate), "net": decimal_text(draft.net),
                    "vat": decimal_text(draft.vat), "gross": decimal_text(draft.gross), "status": "pending"}))
                _record_lines(conn, ids[-1], draft)
                numbers.append(number)
            after = token(conn, SCHEMA_VERSION)
    except sqlite3.IntegrityError as exc:
        if any(names in str(exc) for names in REFUSED_TWICE):
            raise AlreadyBilled(str(exc)) from None
        raise
    if refers_to is None:  # a credit note frees another invoice's entries: what was kept is read again
        followed(conn, before, after, tuple(ids))
    return numbers


# the page cache while a run reserves its invoices in batches (SQLite's default: 2 MiB): the pages a batch changes
# all over a year's indexes stay in memory until it commits, rather than being written to the log and read back
RESERVING_CACHE_KIB = 64 * 1024


@contextmanager
def reserving(conn: sqlite3.Connection) -> Iterator[None]:
    """A larger page cache for `conn` while a run reserves its invoices a batch at a time
    (`record_all_pending`); what it held is handed back after, as the run goes on to its report."""
    (cache_size,) = conn.execute("PRAGMA cache_size").fetchone()
    conn.execute(f"PRAGMA cache_size = -{RESERVING_CACHE_KIB}")
    try:
        yield
    finally:
        with suppress(sqlite3.ProgrammingError):  # closed already: a run that failed while reserving let it go
            conn.execute(f"PRAGMA cache_size = {cache_size}")
            conn.execute("PRAGMA shrink_memory")


def _record_lines(conn: sqlite3.Connection, invoice_id: int, draft: Draft) -> None:
    """The draft's lines, then each line's charges (the unique index refuses one already on a live
    invoice), then the entries they cover: a statement per table (a month's entries are many rows)."""
    lines = list(enumerate(draft.lines, 1))
    _insert_many(conn, "invoice_lines", (
        "invoice_id", "position", "job_key", "job_name", "detail", "first_day", "last_day", "unit", "quantity",
        "unit_price", "amount", "vat_rate"), [
        (invoice_id, position, line.job_key, line.job_name, line.detail, line.first_day.isoformat(),
         line.last_day.isoformat(), line.unit, decimal_text(line.quantity), decimal_text(line.unit_price),
         decimal_text(line.amount), decimal_text(draft.rate_of(line))) for position, line in lines])
    _insert_many(conn, "charges", ("invoice_id", "position", "kind", "key", "unit", "quantity", "unit_price",
                                   "receipt"), [
        (invoice_id, position, c.kind, c.key, c.unit, decimal_text(c.quantity), decimal_text(c.unit_price), c.receipt)
        for position, line in lines for c in line.charges])
    _insert_many(conn, "billed_entries", ("entry_id", "invoice_id", "position", "slot", "day", "person", "description",
                                          "billed_s", "written_down_from", "duration_s", "start", "source"), [
        (b.entry_id, invoice_id, position, b.slot, b.day.isoformat(), b.person, b.description, b.billed_s,
         b.written_down_from, b.duration_s, b.start, b.source) for position, line in lines for b in line.entries])


def _insert(conn: sqlite3.Connection, table: str, row: dict) -> int:
    """Insert `row` (column: value) into `table` (a name of this module's, never the user's); its rowid."""
    cursor = conn.execute(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                          tuple(row.values()))
    assert cursor.lastrowid is not None  # an INSERT of a row always sets it
    return cursor.lastrowid


def _insert_many(conn: sqlite3.Connection, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert `rows` (values in the order of `columns`) into `table` (a name of this module's)."""
    conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", rows)


def record_accepted(conn: sqlite3.Connection, edited: list[tuple[str, Billed]], deleted: list[str]) -> None:
    """The user's word on billed entries no longer in the exports, in one transaction: each
    (billed entry id, its edited version) — the version joins the invoice line the entry is on,
    at the time that was billed, so it is never billed itself — and each entry deleted since.
    Neither changes a charge: what was billed stays billed."""
    with transaction(conn):
        for gone_id, now in edited:
            conn.execute("INSERT INTO billed_entries (entry_id, invoice_id, position, slot, day, person, description, "
                         "billed_s, duration_s, start, source, replaces) SELECT ?, invoice_id, position, ?, ?, ?, ?, "
                         "billed_s, ?, ?, ?, entry_id FROM billed_entries WHERE entry_id = ? AND live = 1",
                         (now.entry_id, now.slot, now.day.isoformat(), now.person, now.description, now.duration_s,
                          now.start, now.source, gone_id))
        conn.executemany("UPDATE billed_entries SET gone = ? WHERE entry_id = ? AND live = 1 AND gone IS NULL",
                         [("edited", gone_id) for gone_id, _ in edited] + [("deleted", i) for i in deleted])


def mark_issued(conn: sqlite3.Connection, number: str, pdf_path: str, sha256: str) -> None:
    with transaction(conn):
        before = token(conn, SCHEMA_VERSION)
        conn.execute("UPDATE invoices SET status = 'issued', pdf_path = ?, pdf_sha256 = ? "
                     "WHERE number = ? AND status = 'pending'", (pdf_path, sha256, number))
        after = token(conn, SCHEMA_VERSION)
    followed(conn, before, after, ())  # no billed entry changed


def _void(conn: sqlite3.Connection, number: str) -> None:
    invoice_id = voidable(conn, number)
    conn.execute("UPDATE invoices SET status = 'void' WHERE id = ?", (invoice_id,))
    conn.execute("UPDATE charges SET live = 0 WHERE invoice_id = ?", (invoice_id,))
    conn.execute("UPDATE billed_entries SET live = 0 WHERE invoice_id = ?", (invoice_id,))


def record_payments(conn: sqlite3.Connection, rows: list[dict]) -> int:
    """Bank payments allocated to invoices (or an overpayment: number None), in one transaction;
    each row: booking_id, number, client_key, amount (Decimal), currency, rule, booking_date (a
    date), source. An allocation recorded before (the same booking and invoice) is left as it is:
    the paid_once index holds it. How many were new."""
    at = utc_now()
    with transaction(conn):
        inserted = conn.executemany(
            "INSERT OR IGNORE INTO payments (booking_id, number, client_key, amount, currency, rule, booking_date, "
            "source, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(r["booking_id"], r["number"], r["client_key"], decimal_text(r["amount"]), r["currency"], r["rule"],
              r["booking_date"].isoformat(), r["source"], at) for r in rows])
        return inserted.rowcount  # the rows inserted (not the triggers' writes: total_changes counts those too)
