"""The ledger's primitives: how a decimal and an instant are stored, a write transaction, rows
read by column name."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from decimal import Decimal
from types import TracebackType
from typing import Literal

from ..files import crash_point


def decimal_text(value: Decimal) -> str:
    """A Decimal as the ledger stores it: plain decimal text with its places (`40`, `0.8333`,
    `-100.00`), never an exponent (`4E+1`), so the ledger reads the same in any SQLite tool."""
    if not value.is_finite():
        raise ValueError(f"{value} is not a number the ledger can keep")
    return f"{value:f}"


def utc_now() -> str:
    """The present instant, as the ledger stores it: ISO-8601 in UTC, to the second."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def rows(conn: sqlite3.Connection, query: str, parameters: tuple = ()) -> list[sqlite3.Row]:
    """The rows of `query`, each read by column name (the connection's own rows stay tuples)."""
    cursor = conn.cursor()
    cursor.row_factory = sqlite3.Row
    return cursor.execute(query, parameters).fetchall()


class transaction:
    """A write transaction (BEGIN IMMEDIATE): committed if the block ends, rolled back if it raises."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> Literal[False]:
        if kind is None:
            crash_point("committing")  # written, not yet committed: holding the write lock
        self.conn.execute("COMMIT" if kind is None else "ROLLBACK")
        return False
