"""The messages `send` mailed: one row per attempt, written before the SMTP transaction (state
'sending') and after it ('sent', or 'failed' when the server refused it). A row left 'sending'
is a run that stopped in between: whether the client got it is unknown, and it is never sent
again unless the user says so (`send --again NUMBER`)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from .reminders import REMINDERS_ADDED_IN, reminder_key
from .sql import rows, transaction, utc_now

SENDING, SENT, FAILED = "sending", "sent", "failed"
MESSAGES_ADDED_IN = 9  # the schema version of the messages table


@dataclass(frozen=True, kw_only=True)
class Delivery:
    """Where an invoice's mailing stands: its last attempt that counts (a sent one, else the last)."""

    number: str  # the document's: an invoice's number, or a reminder's key (NUMBER-reminder-LEVEL)
    state: str  # sending (delivery unknown) | sent | failed
    started_at: str
    finished_at: str | None
    message_id: str


def record_sending(conn: sqlite3.Connection, number: str, message_id: str, recipients: tuple[str, ...],
                   reminder: int | None = None) -> None:
    """Before the SMTP transaction: the message (of invoice `number`, or of its `reminder` of that
    level) is on its way, committed before a byte is sent."""
    with transaction(conn):
        conn.execute("INSERT INTO messages (number, reminder, message_id, recipients, started_at, state) "
                     "VALUES (?, ?, ?, ?, ?, ?)",
                     (number, reminder, message_id, ", ".join(recipients), utc_now(), SENDING))


def record_outcome(conn: sqlite3.Connection, message_id: str, state: str) -> None:
    """After the SMTP transaction: the server took the message (sent) or refused it (failed)."""
    with transaction(conn):
        conn.execute("UPDATE messages SET state = ?, finished_at = ? WHERE message_id = ? AND state = ?",
                     (state, utc_now(), message_id, SENDING))


def deliveries(conn: sqlite3.Connection, version: int) -> dict[str, Delivery]:
    """document (an invoice's number, a reminder's key) -> its delivery: the latest sent message,
    else the latest attempt; none before schema 9."""
    if version < MESSAGES_ADDED_IN:
        return {}
    level = "reminder" if version >= REMINDERS_ADDED_IN else "NULL AS reminder"
    found: dict[str, Delivery] = {}
    query = f"SELECT number, {level}, state, started_at, finished_at, message_id FROM messages ORDER BY id"
    for r in rows(conn, query):
        key = r["number"] if r["reminder"] is None else reminder_key(r["number"], r["reminder"])
        if r["state"] == SENT or key not in found or found[key].state != SENT:
            found[key] = Delivery(number=key, state=r["state"], started_at=r["started_at"],
                                  finished_at=r["finished_at"], message_id=r["message_id"])
    return found
