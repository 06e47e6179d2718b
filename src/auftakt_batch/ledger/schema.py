"""The ledger's schema, its migrations, and the check that a ledger is usable as it is.

An older ledger is migrated in place, in one transaction (MIGRATIONS: from a version, the
statements that make it the next); a newer or damaged one is refused, never guessed at.
"""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from ..errors import LedgerError
from ..pricing.invoices import quantity
from .backups import restore_hint
from .sql import decimal_text, transaction
from .written import WRITTEN_ADDED_IN

SCHEMA_VERSION = 12  # PRAGMA user_version; an older ledger is migrated, a newer one refused, never guessed at
# the instant an invoice was reserved, in UTC; NULL for an invoice issued before schema 5 (unknown, never invented)
ISSUED_AT = "issued_at TEXT CHECK (issued_at GLOB '????-??-??T??:??:??Z')"
# a line's unit (UN/ECE Recommendation 20); the lines before schema 7 were hours
UNIT = "unit TEXT NOT NULL DEFAULT 'HUR' CHECK (unit <> '')"
CHARGES = """CREATE TABLE IF NOT EXISTS charges (
    invoice_id  INTEGER NOT NULL REFERENCES invoices (id),
    position    INTEGER NOT NULL,   -- the invoice line it is on
    kind        TEXT NOT NULL CHECK (kind <> ''),  -- hours, retainer, overage, milestone, expense (Charge)
    key         TEXT NOT NULL CHECK (key <> ''),   -- what it is billed once by, within its kind: hours, the entry id
    unit        TEXT NOT NULL CHECK (unit <> ''),  -- UN/ECE Recommendation 20: HUR
    quantity    TEXT NOT NULL,
    unit_price  TEXT NOT NULL,
    live        INTEGER NOT NULL DEFAULT 1 CHECK (live IN (0, 1)),
    FOREIGN KEY (invoice_id, position) REFERENCES invoice_lines (invoice_id, position)
)"""
RECEIPT = "receipt TEXT"  # an expense's receipt under input/, attached to its invoice (schema 8)
MESSAGES = """CREATE TABLE IF NOT EXISTS messages (
    id          INTEGER PRIMARY KEY,
    number      TEXT NOT NULL REFERENCES invoices (number),  -- the invoice or credit note mailed
    message_id  TEXT NOT NULL UNIQUE,
    recipients  TEXT NOT NULL CHECK (recipients <> ''),  -- the envelope's, comma-separated (To, Cc, Bcc)
    started_at  TEXT NOT NULL,      -- UTC, recorded before the SMTP transaction
    finished_at TEXT,               -- UTC, when the server accepted it or refused it
    state       TEXT NOT NULL CHECK (state IN ('sending', 'sent', 'failed'))  -- sending, left: delivery unknown
)"""  # schema 9: what `send` mailed
CHARGED_ONCE = "CREATE UNIQUE INDEX IF NOT EXISTS charged_once ON charges (kind, key) WHERE live = 1"
PAYMENTS = """CREATE TABLE IF NOT EXISTS payments (
    id           INTEGER PRIMARY KEY,
    booking_id   TEXT NOT NULL CHECK (booking_id <> ''),  -- the bank booking: the same id in every statement
    number       TEXT REFERENCES invoices (number),       -- NULL: an overpayment, a credit of the client
    client_key   TEXT NOT NULL,
    amount       TEXT NOT NULL,                            -- signed: a credit note's refund is negative
    currency     TEXT NOT NULL,
    rule         TEXT NOT NULL CHECK (rule IN ('number', 'account', 'name', 'overpayment', 'person')),
    booking_date TEXT NOT NULL,
    source       TEXT NOT NULL,                            -- the statement file and the booking's place in it
    recorded_at  TEXT NOT NULL CHECK (recorded_at GLOB '????-??-??T??:??:??Z')
)"""
# a booking pays an invoice (or is a client's credit) once, however often its statement is read (schema 10)
PAID_ONCE = "CREATE UNIQUE INDEX IF NOT EXISTS paid_once ON payments (booking_id, IFNULL(number, ''))"
REMINDERS = """CREATE TABLE IF NOT EXISTS reminders (
    id           INTEGER PRIMARY KEY,
    number       TEXT NOT NULL REFERENCES invoices (number),  -- the invoice it reminds of
    level        INTEGER NOT NULL CHECK (level >= 1),        -- numbered per invoice: its first, second, … reminder
    issue_date   TEXT NOT NULL,
    pay_by       TEXT NOT NULL,     -- the new date it asks to be paid by
    days_overdue INTEGER NOT NULL CHECK (days_overdue >= 1),
    paid         TEXT NOT NULL,     -- what was paid of the invoice when it was issued
    open         TEXT NOT NULL,     -- what was open of it then
    fee          TEXT NOT NULL,     -- this reminder's fee (agency.reminders.fee from the second level on)
    fees_before  TEXT NOT NULL,     -- the fees the invoice's earlier reminders asked
    currency     TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'issued')),  -- pending: its PDF is not written yet
    pdf_path     TEXT NOT NULL,
    pdf_sha256   TEXT,
    issued_at    TEXT NOT NULL CHECK (issued_at GLOB '????-??-??T??:??:??Z'),
    UNIQUE (number, level)          -- never issued twice for one level
)"""  # schema 11: what `remind` issued
REMINDED = "reminder INTEGER"  # messages: the level of the reminder mailed; NULL: the invoice itself (schema 11)
# schema 12: the ledger's state as one token, replaced on every write of every table by any program (its
# triggers), so that what was read of it can be kept under the token and trusted while it is the same (kept.py)
WRITTEN = "CREATE TABLE IF NOT EXISTS written (token BLOB NOT NULL)"
WRITTEN_TABLES = ("invoices", "invoice_lines", "billed_entries", "charges", "messages", "payments", "reminders")
TRIGGERS = {(table, f"written_{table}_{event.lower()}"): event for table in WRITTEN_TABLES
            for event in ("INSERT", "UPDATE", "DELETE")}  # (table, trigger): the event it follows
RETOKENED = "INSERT INTO written SELECT randomblob(16) WHERE NOT EXISTS (SELECT 1 FROM written)"
STAMPED = [WRITTEN, RETOKENED,
           *(f"CREATE TRIGGER IF NOT EXISTS {name} AFTER {event} ON {table} BEGIN UPDATE written SET token = "
             "randomblob(16); END" for (table, name), event in TRIGGERS.items())]
# schema 12 too: a line's entries and charges found without reading the whole of either table (an invoice read
# again: ledger/reading.stored_draft; the entries on a retainer's lines: model_state)
ON_LINE = ["CREATE INDEX IF NOT EXISTS billed_on_line ON billed_entries (invoice_id, position)",
           "CREATE INDEX IF NOT EXISTS charged_on_line ON charges (invoice_id, position)"]
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
    quantity    TEXT NOT NULL,      -- in the line's unit
    unit_price  TEXT NOT NULL,
    amount      TEXT NOT NULL,
    vat_rate    TEXT,               -- the line's VAT rate, percent; NULL (lines before schema 6): the invoice's
    {UNIT},
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
{CHARGES};
{CHARGED_ONCE};
ALTER TABLE charges ADD COLUMN {RECEIPT};
{MESSAGES};
{PAYMENTS};
{PAID_ONCE};
{REMINDERS};
ALTER TABLE messages ADD COLUMN {REMINDED};
{"; ".join(STAMPED + ON_LINE)};
"""

DECIMALS = {"invoices": ("vat_rate", "net", "vat", "gross"), "invoice_lines": ("quantity", "unit_price", "amount"),
            "charges": ("quantity", "unit_price"), "payments": ("amount",),
            "reminders": ("paid", "open", "fee", "fees_before")}
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
          for table, columns in DECIMALS.items() if table in ("invoices", "invoice_lines") for column in columns],
    5: ["ALTER TABLE invoice_lines ADD COLUMN vat_rate TEXT"],  # the old lines: NULL, the invoice's one rate
    6: [f"ALTER TABLE invoice_lines ADD COLUMN {UNIT}",  # the old lines were hours: HUR
        CHARGES, CHARGED_ONCE,
        # every entry billed so far is an hours charge keyed on it, on its line, as live as its billing;
        # an accepted edited version (replaces) was never billed itself, so it is no charge
        "INSERT INTO charges (invoice_id, position, kind, key, unit, quantity, unit_price, live) "
        "SELECT b.invoice_id, b.position, 'hours', b.entry_id, 'HUR', hour_quantity(b.billed_s), l.unit_price, b.live "
        "FROM billed_entries b JOIN invoice_lines l ON l.invoice_id = b.invoice_id AND l.position = b.position "
        "WHERE b.replaces IS NULL ORDER BY b.rowid"],
    7: [f"ALTER TABLE charges ADD COLUMN {RECEIPT}"],  # no expense was billed before: NULL
    8: [MESSAGES],  # nothing was mailed before
    9: [PAYMENTS, PAID_ONCE],  # no payment was recorded before
    10: [REMINDERS, f"ALTER TABLE messages ADD COLUMN {REMINDED}"],  # no reminder was issued before
    11: STAMPED + ON_LINE,
}
# table: the version that added it
TABLES = {"invoices": 0, "invoice_lines": 0, "billed_entries": 0, "charges": 7, "messages": 9, "payments": 10,
          "reminders": 11, "written": 12}
# the indexes that refuse a second live billing of an entry, a charge, and a second payment by one booking
INDEXES = {"billed_once": 0, "charged_once": 7, "paid_once": 10}


def migrate(conn: sqlite3.Connection) -> None:
    """Bring a ledger of an older version to SCHEMA_VERSION, in one transaction."""
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    if version == SCHEMA_VERSION or version not in MIGRATIONS:
        return
    conn.create_function("decimal_text", 1, lambda text: decimal_text(Decimal(text)), deterministic=True)
    conn.create_function("hour_quantity", 1, lambda seconds: decimal_text(quantity(seconds)), deterministic=True)
    with transaction(conn):
        while version in MIGRATIONS:
            for statement in MIGRATIONS[version]:
                conn.execute(statement)
            version += 1
            conn.execute(f"PRAGMA user_version = {version}")


def checked(conn: sqlite3.Connection, path: Path, thorough: bool = False) -> int | None:
    """The ledger's schema version once it is known to be usable as it is; None for an empty
    database (a new ledger). Raises LedgerError for another version's ledger or a damaged one."""
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    kinds = dict(conn.execute("SELECT name, type FROM sqlite_master").fetchall())
    if not kinds and version == 0:
        return None
    if version != SCHEMA_VERSION and version not in MIGRATIONS:
        raise LedgerError(f"{path} was written by another version of auftakt-batch (schema {version}, this one "
                          f"reads {SCHEMA_VERSION}); it is left untouched — use the version that wrote it")
    missing = [f"table {t}" for t, since in TABLES.items() if version >= since and kinds.get(t) != "table"]
    missing += [f"index {i}" for i, since in INDEXES.items() if version >= since and kinds.get(i) != "index"]
    missing += [f"trigger {t}" for table, t in TRIGGERS if version >= WRITTEN_ADDED_IN  # a table's own go with it
                and kinds.get(t) != "trigger" and kinds.get(table) == "table"]
    if version == SCHEMA_VERSION and not missing:
        missing = [f"column {t}.{c}" for t, columns in columns_of().items()
                   for c in columns if c not in {r[1] for r in conn.execute(f"PRAGMA table_info({t})")}]
    if missing:
        raise LedgerError(f"{path} is damaged: {', '.join(missing)} missing — it is left untouched and nothing is "
                          f"billed; {restore_hint(path)}")
    if thorough and (found := [r[0] for r in conn.execute("PRAGMA quick_check")]) != ["ok"]:
        raise LedgerError(f"{path} is damaged ({found[0]}) — it is left untouched and nothing is billed; "
                          f"{restore_hint(path)}")
    return version


@lru_cache(maxsize=1)
def columns_of() -> dict[str, tuple[str, ...]]:
    """Each table's columns in the current schema, as SQLite reads the schema itself."""
    memory = sqlite3.connect(":memory:")
    try:
        memory.executescript(SCHEMA)
        return {t: tuple(r[1] for r in memory.execute(f"PRAGMA table_info({t})")) for t in TABLES}
    finally:
        memory.close()
