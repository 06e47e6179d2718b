"""The ledger's token: one row of the table `written` that triggers replace with 16 random bytes
whenever any row of any of its tables is inserted, updated or deleted — by this tool or any other
program. While it is the same, so is every row: what was read of the ledger is kept under it
(kept.py), and a backup is named with it (backups.py)."""

from __future__ import annotations

import sqlite3

WRITTEN_ADDED_IN = 12  # the schema version that added the table and its triggers


def token(conn: sqlite3.Connection, version: int) -> str | None:
    """The ledger's token, as hex, and the count of its schema's changes (SQLite's schema cookie): a
    ledger loaded from a dump of another (`.dump`, `.recover`) carries that one's token, written before
    its triggers, but was made by other schema changes; None where it has no token (older than schema
    12, or its one row gone)."""
    if version < WRITTEN_ADDED_IN:
        return None
    found = conn.execute("SELECT hex(token) FROM written").fetchall()
    (schema,) = conn.execute("PRAGMA schema_version").fetchone()
    return f"{found[0][0]}-{schema}" if len(found) == 1 and found[0][0] else None
