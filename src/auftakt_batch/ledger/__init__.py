"""The ledger: output/ledger.sqlite, the system of record of what was invoiced.

Invoices (and credit notes) with their lines, and the entries billed on each. The database
itself enforces the guarantees: an invoice number is given out once (UNIQUE), the series has
no gaps (the next number is always max + 1 within a write transaction, and a reserved number
is never deleted: a crashed pending invoice is finished, not dropped), and no entry is on two
live invoices (a partial UNIQUE index over the billed entries of live invoices). Money and
hours are stored as plain decimal text (`decimal_text`: `40`, never `4E+1`), never as a float.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import pandas as pd

from ..errors import BadArgument, LedgerError
from ..files import crash_point
from ..periods import parse_period
from ..pricing.invoices import Billed, Draft, Line
from ..problems import plural
from .backups import restore_hint, stray_invoices

BUSY_TIMEOUT_S = 5.0  # how long a command waits for a ledger another program holds, before saying so
SCHEMA_VERSION = 6  # PRAGMA user_version; an older ledger is migrated, a newer one refused, never guessed at
# the instant an invoice was reserved, in UTC; NULL for an invoice issued before schema 5 (unknown, never invented)
ISSUED_AT = "issued_at TEXT CHECK (issued_at GLOB '????-??-??T??:??:??Z')"
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS invoices (
    id          INTEGER PRIMARY KEY,
    number      TEXT NOT NULL UNIQUE,
    year        INTEGER NOT NULL,
    seq         INTEGER NOT NULL CHECK (seq >= 1),
    kind        TEXT NOT NULL CHECK (kind IN ('invoice', 'credit-note')),
    refers_to   TEXT REFERENCES invoices (number),
    reason      TEXT,
    client_key  TEXT NOT NULL,
    period      TEXT NOT NULL,
    issue_date  TEXT NOT NULL,
    due_date    TEXT NOT NULL,
    stamped_at  TEXT NOT NULL,      -- the time in the PDF's metadata: noon of the issue date, agency time
    currency    TEXT NOT NULL,
    vat_mode    TEXT NOT NULL,
    vat_rate    TEXT NOT NULL,
    net         TEXT NOT NULL,
    vat         TEXT NOT NULL,
    gross       TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('pending', 'issued', 'void')),
    pdf_path    TEXT,
    pdf_sha256  TEXT,
    {ISSUED_AT},
    UNIQUE (year, seq)
);
CREATE TABLE IF NOT EXISTS invoice_lines (
    invoice_id  INTEGER NOT NULL REFERENCES invoices (id),
    position    INTEGER NOT NULL,
    job_key     TEXT NOT NULL,
    job_name    TEXT NOT NULL,
    detail      TEXT NOT NULL,
    first_day   TEXT NOT NULL,
    last_day    TEXT NOT NULL,
    quantity    TEXT NOT NULL,
    unit_price  TEXT NOT NULL,
    amount      TEXT NOT NULL,
    vat_rate    TEXT,               -- the line's VAT rate, percent; NULL (lines before schema 6): the invoice's
    PRIMARY KEY (invoice_id, position)
);
CREATE TABLE IF NOT EXISTS billed_entries (
    entry_id    TEXT NOT NULL,
    invoice_id  INTEGER NOT NULL REFERENCES invoices (id),
    position    INTEGER NOT NULL,   -- the invoice line it is on
    slot        TEXT NOT NULL,      -- where it sat (identity.py): finds an entry changed after billing
    day         TEXT NOT NULL,
    person      TEXT NOT NULL,
    description TEXT NOT NULL,
    billed_s    INTEGER NOT NULL CHECK (billed_s > 0),
    written_down_from INTEGER CHECK (written_down_from > billed_s),  -- the time before a reviewer's write-down
    live        INTEGER NOT NULL DEFAULT 1 CHECK (live IN (0, 1)),
    duration_s  INTEGER,            -- the time logged (billed_s is after rounding)
    start       TEXT,               -- the start as exported (local wall clock), if it had one
    source      TEXT,               -- file:row it was read from
    gone        TEXT CHECK (gone IN ('edited', 'deleted')),  -- no longer in the exports, and the user accepted it
    replaces    TEXT,               -- the billed entry whose edited version this is (accepted, never billed itself)
    FOREIGN KEY (invoice_id, position) REFERENCES invoice_lines (invoice_id, position)
);
CREATE UNIQUE INDEX IF NOT EXISTS billed_once ON billed_entries (entry_id) WHERE live = 1;
"""


@dataclass(frozen=True)
class InvoiceRecord:
    number: str
    kind: str
    client_key: str
    period: str
    issue_date: date
    due_date: date
    currency: str
    net: Decimal
    vat: Decimal
    gross: Decimal
    status: str
    pdf_path: str | None
    pdf_sha256: str | None
    refers_to: str | None = None
    reason: str | None = None


class AlreadyBilled(Exception):
    """An entry is already on a live invoice: the database refused to bill it twice."""


def connect(path: Path) -> sqlite3.Connection:
    """Open the ledger for writing; writes use BEGIN IMMEDIATE transactions. A ledger is created
    only where there is none (or an empty file) and output/ holds no invoice; an existing one is
    checked first — its version, its tables, the index that enforces "billed at most once",
    SQLite's own quick check, the invoices in output/ it must know — and refused untouched if
    anything is amiss: never rebuilt, never half-migrated."""
    if path.is_dir():
        raise LedgerError(f"{path} is a folder, not the ledger — move it away (a ledger is one file)")
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)  # transactions are explicit
    try:
        version = _checked(conn, path, thorough=True)
        _no_strays(conn if version is not None else None, path)
        _migrate(conn)
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        if version is None:  # all or nothing: a run killed here leaves an empty file, not half a ledger
            conn.executescript(f"BEGIN IMMEDIATE; {SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")
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


DECIMALS = {"invoices": ("vat_rate", "net", "vat", "gross"), "invoice_lines": ("quantity", "unit_price", "amount")}
# invoices.vat_rate is the client's rate; a line may have its own (a job's vat_rate), and invoices.vat is the sum
# of the VAT per rate (EN 16931 BR-CO-14)
MIGRATIONS = {  # from version: the statements that make it the next version
    2: ["ALTER TABLE billed_entries ADD COLUMN written_down_from INTEGER CHECK (written_down_from > billed_s)"],
    3: [f"ALTER TABLE billed_entries ADD COLUMN {column}" for column in (
        "duration_s INTEGER", "start TEXT", "source TEXT", "gone TEXT CHECK (gone IN ('edited', 'deleted'))",
        "replaces TEXT")],
    4: ["ALTER TABLE invoices RENAME COLUMN issued_at TO stamped_at",  # it was always the PDF's pinned noon
        f"ALTER TABLE invoices ADD COLUMN {ISSUED_AT}"]  # the old invoices' instant is unknown: NULL
       + [f"UPDATE {table} SET {column} = decimal_text({column}) WHERE {column} GLOB '*[eE]*'"  # 4E+1 -> 40
          for table, columns in DECIMALS.items() for column in columns],
    5: ["ALTER TABLE invoice_lines ADD COLUMN vat_rate TEXT"],  # the old lines: NULL, the invoice's one rate
}
TABLES = ("invoices", "invoice_lines", "billed_entries")
INDEXES = ("billed_once",)  # the index that refuses a second live billing of an entry


def _migrate(conn: sqlite3.Connection) -> None:
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    if version == SCHEMA_VERSION or version not in MIGRATIONS:
        return
    conn.create_function("decimal_text", 1, lambda text: decimal_text(Decimal(text)), deterministic=True)
    with _transaction(conn):
        while version in MIGRATIONS:
            for statement in MIGRATIONS[version]:
                conn.execute(statement)
            version += 1
            conn.execute(f"PRAGMA user_version = {version}")


def _checked(conn: sqlite3.Connection, path: Path, thorough: bool = False) -> int | None:
    """The ledger's schema version once it is known to be usable as it is; None for an empty
    database (a new ledger). Raises LedgerError for another version's ledger or a damaged one."""
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    kinds = dict(conn.execute("SELECT name, type FROM sqlite_master"))
    if not kinds and version == 0:
        return None
    if version != SCHEMA_VERSION and version not in MIGRATIONS:
        raise LedgerError(f"{path} was written by another version of auftakt-batch (schema {version}, this one "
                          f"reads {SCHEMA_VERSION}); it is left untouched — use the version that wrote it")
    missing = [f"table {t}" for t in TABLES if kinds.get(t) != "table"]
    missing += [f"index {i}" for i in INDEXES if kinds.get(i) != "index"]
    if version == SCHEMA_VERSION and not missing:
        missing = [f"column {t}.{c}" for t, columns in _columns().items()
                   for c in columns if c not in {r[1] for r in conn.execute(f"PRAGMA table_info({t})")}]
    if missing:
        raise LedgerError(f"{path} is damaged: {', '.join(missing)} missing — it is left untouched and nothing is "
                          f"billed; {restore_hint(path)}")
    if thorough and (found := [r[0] for r in conn.execute("PRAGMA quick_check")]) != ["ok"]:
        raise LedgerError(f"{path} is damaged ({found[0]}) — it is left untouched and nothing is billed; "
                          f"{restore_hint(path)}")
    return version


@lru_cache(maxsize=1)
def _columns() -> dict[str, tuple[str, ...]]:
    """Each table's columns in the current schema, as SQLite reads the schema itself."""
    memory = sqlite3.connect(":memory:")
    try:
        memory.executescript(SCHEMA)
        return {t: tuple(r[1] for r in memory.execute(f"PRAGMA table_info({t})")) for t in TABLES}
    finally:
        memory.close()


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


def decimal_text(value: Decimal) -> str:
    """A Decimal as the ledger stores it: plain decimal text with its places (`40`, `0.8333`,
    `-100.00`), never an exponent (`4E+1`), so the ledger reads the same in any SQLite tool."""
    if not value.is_finite():
        raise ValueError(f"{value} is not a number the ledger can keep")
    return f"{value:f}"


def utc_now() -> str:
    """The present instant, as the ledger stores it: ISO-8601 in UTC, to the second."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def next_number(conn: sqlite3.Connection, pattern: str, year: int) -> tuple[str, int]:
    """The next number of the series for `year` (seq restarts each year); call inside a transaction."""
    (last,) = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM invoices WHERE year = ?", (year,)).fetchone()
    seq = last + 1
    return pattern.format(year=year, seq=seq), seq


def record_pending(conn: sqlite3.Connection, pattern: str, draft: Draft, *, kind: str, issue_date: date,
                   due_date: date, stamped_at: datetime, refers_to: str | None = None, reason: str | None = None,
                   expect: str | None = None) -> str:
    """Reserve a number, insert the invoice as pending with its lines, link its entries — all in
    one transaction. Raises AlreadyBilled (and records nothing) if an entry is on a live invoice.
    The invoice's `issued_at` is this moment (a run that finishes it keeps it); `stamped_at` is
    the time its PDF's metadata carries. A credit note (`refers_to` an issued invoice) voids that
    invoice and frees its entries in the same transaction. `expect`: the number the caller made
    its documents with (the billing lock keeps the series still, so another one is a bug, and
    nothing is recorded)."""
    try:
        with _transaction(conn):
            if refers_to is not None:
                _void(conn, refers_to)
            number, seq = next_number(conn, pattern, issue_date.year)
            if expect is not None and number != expect:
                raise RuntimeError(f"the series moved under the billing lock: expected {expect}, got {number}")
            cur = conn.execute(
                "INSERT INTO invoices (number, year, seq, kind, refers_to, reason, client_key, period, issue_date, "
                "due_date, stamped_at, issued_at, currency, vat_mode, vat_rate, net, vat, gross, status) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')",
                (number, issue_date.year, seq, kind, refers_to, reason, draft.client_key, draft.period.label,
                 issue_date.isoformat(), due_date.isoformat(), stamped_at.isoformat(), utc_now(), draft.currency,
                 draft.vat_mode, *map(decimal_text, (draft.vat_rate, draft.net, draft.vat, draft.gross))))
            invoice_id = cur.lastrowid
            conn.executemany(
                "INSERT INTO invoice_lines (invoice_id, position, job_key, job_name, detail, first_day, last_day, "
                "quantity, unit_price, amount, vat_rate) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(invoice_id, i, line.job_key, line.job_name, line.detail, line.first_day.isoformat(),
                  line.last_day.isoformat(), *map(decimal_text, (line.quantity, line.unit_price, line.amount,
                                                                 draft.rate_of(line))))
                 for i, line in enumerate(draft.lines, 1)])
            conn.executemany(
                "INSERT INTO billed_entries (entry_id, invoice_id, position, slot, day, person, description, "
                "billed_s, written_down_from, duration_s, start, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(b.entry_id, invoice_id, i, b.slot, b.day.isoformat(), b.person, b.description, b.billed_s,
                  b.written_down_from, b.duration_s, b.start, b.source)
                 for i, line in enumerate(draft.lines, 1) for b in line.entries])
    except sqlite3.IntegrityError as exc:
        if "billed_entries.entry_id" in str(exc):
            raise AlreadyBilled(str(exc)) from None
        raise
    return number


@dataclass(frozen=True)
class Stored:
    """What the ledger holds of an invoice, enough to render it again exactly."""

    draft: Draft
    kind: str
    issue_date: date
    due_date: date
    stamped_at: datetime  # what the PDF's metadata says (the issue date's noon), so it renders to the same bytes
    refers_to: str | None
    reason: str | None


def stored_draft(conn: sqlite3.Connection, number: str) -> Stored:
    row = conn.execute("SELECT id, client_key, period, currency, vat_mode, vat_rate, issue_date, due_date, "
                       "stamped_at, kind, refers_to, reason FROM invoices WHERE number = ?", (number,)).fetchone()
    if row is None:
        raise NotVoidable(f"there is no invoice {number} in the ledger")
    (invoice_id, client_key, period, currency, vat_mode, vat_rate, issue_date, due_date, stamped_at, kind,
     refers_to, reason) = row
    billed: dict[int, list[Billed]] = {}
    for position, entry_id, slot, day, person, description, *rest in conn.execute(
            "SELECT position, entry_id, slot, day, person, description, billed_s, written_down_from, duration_s, "
            "start, source FROM billed_entries WHERE invoice_id = ? AND replaces IS NULL ORDER BY rowid",
            (invoice_id,)):
        billed.setdefault(position, []).append(Billed(entry_id, slot, date.fromisoformat(day), person,
                                                      description, *rest))
    lines = tuple(
        Line(job_key, job_name, detail, Decimal(q), Decimal(p), Decimal(a), date.fromisoformat(first),
             date.fromisoformat(last), tuple(billed.get(position, ())), None if rate is None else Decimal(rate))
        for position, job_key, job_name, detail, first, last, q, p, a, rate in conn.execute(
            "SELECT position, job_key, job_name, detail, first_day, last_day, quantity, unit_price, amount, vat_rate "
            "FROM invoice_lines WHERE invoice_id = ? ORDER BY position", (invoice_id,)))
    draft = Draft(client_key, currency, parse_period(period), lines, vat_mode, Decimal(vat_rate))
    return Stored(draft, kind, date.fromisoformat(issue_date), date.fromisoformat(due_date),
                  datetime.fromisoformat(stamped_at), refers_to, reason)


def record_accepted(conn: sqlite3.Connection, edited: list[tuple[str, Billed]], deleted: list[str]) -> None:
    """The user's word on billed entries no longer in the exports, in one transaction: each
    (billed entry id, its edited version) — the version joins the invoice line the entry is on,
    at the time that was billed, so it is never billed itself — and each entry deleted since."""
    with _transaction(conn):
        for gone_id, now in edited:
            conn.execute("INSERT INTO billed_entries (entry_id, invoice_id, position, slot, day, person, description, "
                         "billed_s, duration_s, start, source, replaces) SELECT ?, invoice_id, position, ?, ?, ?, ?, "
                         "billed_s, ?, ?, ?, entry_id FROM billed_entries WHERE entry_id = ? AND live = 1",
                         (now.entry_id, now.slot, now.day.isoformat(), now.person, now.description, now.duration_s,
                          now.start, now.source, gone_id))
        conn.executemany("UPDATE billed_entries SET gone = ? WHERE entry_id = ? AND live = 1 AND gone IS NULL",
                         [("edited", gone_id) for gone_id, _ in edited] + [("deleted", i) for i in deleted])


def mark_issued(conn: sqlite3.Connection, number: str, pdf_path: str, sha256: str) -> None:
    with _transaction(conn):
        conn.execute("UPDATE invoices SET status = 'issued', pdf_path = ?, pdf_sha256 = ? "
                     "WHERE number = ? AND status = 'pending'", (pdf_path, sha256, number))


class NotVoidable(BadArgument):
    """Only an issued invoice (not a credit note, not a void one) can be cancelled."""

    argument = "NUMBER"


def voidable(conn: sqlite3.Connection, number: str) -> int:
    """The id of issued invoice `number`; NotVoidable (saying why) for anything else."""
    row = conn.execute("SELECT id, kind, status FROM invoices WHERE number = ?", (number,)).fetchone()
    if row is None or row[1] != "invoice" or row[2] != "issued":
        state = ("does not exist" if row is None else "is a credit note" if row[1] == "credit-note"
                 else f"is {row[2]} already" if row[2] == "void" else f"is still {row[2]}")
        raise NotVoidable(f"{number} {state}: only an issued invoice can be cancelled")
    return row[0]


def _void(conn: sqlite3.Connection, number: str) -> None:
    invoice_id = voidable(conn, number)
    conn.execute("UPDATE invoices SET status = 'void' WHERE id = ?", (invoice_id,))
    conn.execute("UPDATE billed_entries SET live = 0 WHERE invoice_id = ?", (invoice_id,))


def invoices(conn: sqlite3.Connection, status: str | None = None) -> list[InvoiceRecord]:
    query = ("SELECT number, kind, client_key, period, issue_date, due_date, currency, net, vat, gross, status, "
             "pdf_path, pdf_sha256, refers_to, reason FROM invoices")
    rows = conn.execute(query + (" WHERE status = ?" if status else "") + " ORDER BY year, seq",
                        (status,) if status else ()).fetchall()
    return [InvoiceRecord(r[0], r[1], r[2], r[3], date.fromisoformat(r[4]), date.fromisoformat(r[5]), r[6],
                          Decimal(r[7]), Decimal(r[8]), Decimal(r[9]), r[10], r[11], r[12], r[13], r[14])
            for r in rows]


def read_invoices(path: Path) -> list[InvoiceRecord]:
    """Every invoice and credit note, read-only; none if there is no ledger yet."""
    return _read(path, lambda conn, _: invoices(conn), [])


BILLED_COLUMNS = {  # the live billed entries as the checks compare them with the exports; None: a number
    "entry_id": "str", "slot": "str", "number": "str", "client_key": "str", "job_key": "str", "day": "str",
    "person": "str", "description": "str", "billed_s": "int64", "written_down_from": "Int64", "duration_s": "Int64",
    "start": "object", "source": "object", "gone": "object", "replaces": "object"}
ADDED_IN = {"written_down_from": 3, "duration_s": 4, "start": 4, "source": 4, "gone": 4, "replaces": 4}


def billed_entries(conn: sqlite3.Connection) -> dict[str, str]:
    """entry id -> number of the live invoice it is on."""
    return dict(conn.execute("SELECT b.entry_id, i.number FROM billed_entries b JOIN invoices i "
                             "ON i.id = b.invoice_id WHERE b.live = 1"))


def no_billed() -> pd.DataFrame:
    return _billed_frame([])


def read_billed(path: Path) -> pd.DataFrame:
    """The live billed entries (BILLED_COLUMNS), read without writing anything — not even a new
    ledger; none if there is no ledger yet. Raises LedgerError for a ledger that cannot be used."""
    def read(conn: sqlite3.Connection, version: int) -> pd.DataFrame:
        columns = ", ".join(_column(c, version) for c in BILLED_COLUMNS)
        return _billed_frame(conn.execute(
            f"SELECT {columns} FROM billed_entries b JOIN invoices i ON i.id = b.invoice_id "
            "JOIN invoice_lines l ON l.invoice_id = b.invoice_id AND l.position = b.position "
            "WHERE b.live = 1 ORDER BY b.rowid").fetchall())

    return _read(path, read, no_billed())


def _column(name: str, version: int) -> str:
    """The billed-entries column `name` as a query of a ledger of `version` reads it (NULL before it existed)."""
    if version < ADDED_IN.get(name, 0):
        return "NULL"
    return {"number": "i.number", "client_key": "i.client_key", "job_key": "l.job_key"}.get(name, f"b.{name}")


def _billed_frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(BILLED_COLUMNS)).astype(BILLED_COLUMNS)


@dataclass(frozen=True)
class Book:
    """The ledger as the reports read it."""

    invoices: tuple[InvoiceRecord, ...]
    lines: pd.DataFrame  # number, kind, status, client_key, period, job_key, amount (Decimal): every invoice line
    billed: pd.DataFrame  # entry_id, number, billed_s, unit_price (Decimal), written_down_from: live billed entries


LINE_COLUMNS = ["number", "kind", "status", "client_key", "period", "job_key", "amount"]
BOOK_BILLED_COLUMNS = ["entry_id", "number", "billed_s", "unit_price", "written_down_from"]


def read_book(path: Path) -> Book:
    """Every invoice, line and live billed entry, read-only; an empty book if there is no ledger."""

    def read(conn: sqlite3.Connection, version: int) -> Book:
        lines = conn.execute(
            "SELECT i.number, i.kind, i.status, i.client_key, i.period, l.job_key, l.amount FROM invoice_lines l "
            "JOIN invoices i ON i.id = l.invoice_id ORDER BY i.year, i.seq, l.position").fetchall()
        billed = conn.execute(
            f"SELECT b.entry_id, i.number, b.billed_s, l.unit_price, {_column('written_down_from', version)} "
            "FROM billed_entries b "
            "JOIN invoices i ON i.id = b.invoice_id JOIN invoice_lines l ON l.invoice_id = b.invoice_id "
            "AND l.position = b.position WHERE b.live = 1").fetchall()
        return Book(tuple(invoices(conn)),
                    pd.DataFrame([(*r[:6], Decimal(r[6])) for r in lines], columns=LINE_COLUMNS),
                    pd.DataFrame([(r[0], r[1], r[2], Decimal(r[3]), r[4]) for r in billed],
                                 columns=BOOK_BILLED_COLUMNS).astype({"written_down_from": "Int64"}))

    return _read(path, read, Book((), pd.DataFrame(columns=LINE_COLUMNS), pd.DataFrame(columns=BOOK_BILLED_COLUMNS)))


def _read(path: Path, query, nothing):
    """Run `query(conn, schema version)` on a read-only connection: nothing is written, not even a
    migration; `nothing` where there is no ledger yet. Raises LedgerError where connect would. In
    WAL mode a reader needs no lock a writer holds: it reads while `bill` writes; a ledger another
    program holds whole (an exclusive locking mode) is waited for BUSY_TIMEOUT_S, then the
    OperationalError says so (environment.py), as do a disk or permissions that fail it."""
    if not path.exists():
        _no_strays(None, path)
        return nothing
    if path.is_dir():
        raise LedgerError(f"{path} is a folder, not the ledger — move it away (a ledger is one file)")
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
    try:
        version = _checked(conn, path)
        _no_strays(conn if version is not None else None, path)
        return nothing if version is None else query(conn, version)
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.OperationalError) and exc.sqlite_errorname != "SQLITE_ERROR":
            raise  # locked, or the disk: not damage, no backup to restore
        raise LedgerError(f"{path} cannot be read: {exc} — it is left untouched; {restore_hint(path)}") from None
    finally:
        conn.close()


class _transaction:
    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self):
        self.conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind, value, traceback):
        if kind is None:
            crash_point("committing")  # written, not yet committed: holding the write lock
        self.conn.execute("COMMIT" if kind is None else "ROLLBACK")
        return False
