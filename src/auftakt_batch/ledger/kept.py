"""The ledger's large reads, kept between runs and within one.

A year's ledger holds hundreds of thousands of billed entries, and every `check`, `report` and
`bill` reads them: a few seconds each time, the same rows until the next invoice. A ledger of
schema 12 holds a token (its table `written`, one row) that triggers replace with 16 random bytes
whenever any row of any of its tables is inserted, updated or deleted — by this tool or by any
other program writing to it —, so the token names the ledger's state: while it is the same, so
is every row. The token is read in the same read transaction as the rows, and what a query gives
is kept under it:

- in this process (a report reads the billed entries for its check and for its book; the months
  before are checked in a process forked from this one), and
- under output/.cache/ledger/, one file per query (`billed`), the frame as plain arrays, each
  column's its own (ingest/arrays.py: read with `allow_pickle=False`, never unpickled, and a column
  at a time: a year's entries are not held twice while they are decoded) with its token, the
  ledger's schema version, FORMAT and the code that wrote it (ingest/cache.py `code`).

A kept frame is used only where all of those are the same now: a ledger written since (a bill, a
credit note, a payment, an edit in an SQLite tool), replaced (a backup put back, another
workspace's) or migrated is read again, and so is one without a token (older than schema 12, or
its row gone). But for the run's own writes (`followed`): a bill reads the tokens before and
after each of its write transactions inside it (no other program can write in between), so what
the run read before its bill is, with the entries of the invoices it reserved appended, what it
would read after — those alone are read (by their invoices' ids); a credit note frees entries of
another invoice, and is not followed. A file that is not what `_keep` wrote (corrupt, truncated,
foreign) is ignored and written again, never trusted; one that cannot be written (a read-only
disk) is simply not kept.
The database still refuses a second billing of anything (its UNIQUE indexes): what is kept only
saves reading.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Mapping
from contextlib import suppress
from pathlib import Path

import numpy as np
import pandas as pd

from ..ingest import arrays
from ..ingest.cache import code, written_entry
from .written import token

FORMAT = 3  # change it whenever what is stored, or how, changes
MOST_ADDED = 900  # invoices a run's own bills may add for their entries alone to be read (SQLite's parameters)
FOLDER = Path(".cache") / "ledger"  # under output/, beside the ledger
_META = "auftakt-batch.ledger"

Query = Callable[..., pd.DataFrame]  # (conn, schema version, on: invoice ids or None for all) -> the frame
_in_process: dict[tuple[str, str], tuple[str, pd.DataFrame]] = {}  # (ledger, query) -> (token, its frame)
_followed: dict[str, dict[str, tuple[str, tuple[int, ...]]]] = {}  # ledger -> token before a write -> (the token
# after it, the invoices it added): this process's own writes that only added invoices, or changed no billed entry


def remembered(path: Path, name: str, query: Query) -> Query:
    """`query` on the ledger at `path`, answered from what was kept under its token if anything (`name`:
    the file it is kept in). The run's own writes (`followed`) say what they changed of the live billed
    entries alone (an invoice marked issued: nothing), so `query` reads those and nothing else: the
    billed entries with their invoice's number and client and their line's job (reading.billed)."""
    def read(conn: sqlite3.Connection, version: int) -> pd.DataFrame:
        now = token(conn, version)
        if now is None:
            return query(conn, version)
        key = (str(path.resolve()), name)
        memo = _in_process.get(key)
        if memo is not None and memo[0] == now:
            return memo[1].copy(deep=False)  # its own frame (sharing the data until either changes: copy on write)
        added = None if memo is None else _added(key[0], memo[0], now)
        if added is not None and len(added) > MOST_ADDED:  # more than one query's parameters: read them all
            added = None
        if memo is not None and added is not None:  # what was read, and the entries of the invoices added since
            frame = pd.concat([memo[1], query(conn, version, added)], ignore_index=True) if added else memo[1]
        else:
            file = path.parent / FOLDER / f"{name}.npz"
            meta = {"format": FORMAT, "code": code(), "token": now, "version": version, "name": name}
            frame = _load(file, meta)
            if frame is None:
                frame = query(conn, version)
                _keep(file, meta, frame)
        _in_process[key] = (now, frame)
        return frame.copy(deep=False)
    return read


def followed(conn: sqlite3.Connection, before: str | None, after: str | None, added: tuple[int, ...]) -> None:
    """A write transaction of this process, committed: the ledger's token when it began (read in it) and
    as it ended, and the invoices it added (none: it changed no billed entry, as marking one issued).
    Recorded only for writes that did nothing else to the billed entries (no credit note): a kept frame
    of the token before is then the one of the token after with those invoices' entries appended (new
    rows come after every row there is), and no other program can have written in between (the token
    was read inside the transaction, which holds the ledger's write lock)."""
    if before is not None and after is not None and before != after:  # an update that found no row: nothing
        (_, _, file), *_ = conn.execute("PRAGMA database_list").fetchall()
        _followed.setdefault(str(Path(file).resolve()), {})[before] = (after, added)


def _added(ledger: str, since: str, now: str) -> tuple[int, ...] | None:
    """The invoices this process's own writes added from token `since` to `now`; None where a write
    between them was not this process's (or not one that only added invoices)."""
    steps, at = _followed.get(ledger, {}), since
    added: list[int] = []
    for _ in range(len(steps)):
        if at == now or at not in steps:
            break
        at, more = steps[at]
        added += more
    return tuple(added) if at == now else None


def _load(file: Path, meta: dict) -> pd.DataFrame | None:
    """The frame kept in `file` if it was kept under `meta` (its token, schema, format and code); None otherwise."""
    try:
        with np.load(file, allow_pickle=False) as stored:
            said = json.loads(stored[_META].tobytes())
            if {k: said.get(k) for k in meta} != meta or set(stored.files) != {_META, *said["arrays"]}:
                return None
            frame = arrays.frame({  # a column's arrays read as it is decoded, and let go: not all at once
                column: arrays.decode(described, _arrays_of(stored, column), said["rows"])
                for column, described in said["columns"].items()})
        if {c: str(t) for c, t in frame.dtypes.items()} != said["dtypes"] or list(frame.columns) != said["order"]:
            return None
    except Exception:  # noqa: BLE001 — missing, corrupt, truncated, foreign: read from the ledger, never trusted
        return None
    with suppress(OSError):
        os.utime(file)
    return frame


def _arrays_of(stored: Mapping[str, np.ndarray], column: str) -> Callable[[str], np.ndarray]:
    return lambda suffix: stored[f"{column}.{suffix}"]


def _keep(file: Path, meta: dict, frame: pd.DataFrame) -> None:
    """`frame` kept in `file` under `meta`, if every column can come back exactly and the folder can be written."""
    if not frame.index.equals(pd.RangeIndex(len(frame))):
        return
    columns = {}
    for column in frame.columns:
        encoded = arrays.encode(frame[column])
        if encoded is None:
            return
        columns[column] = encoded
    described = {column: description for column, (description, _) in columns.items()}
    stored = {f"{column}.{suffix}": values for column, (_, held) in columns.items() for suffix, values in held.items()}
    said = {**meta, "rows": len(frame), "columns": described, "order": list(frame.columns), "arrays": list(stored),
            "dtypes": {c: str(t) for c, t in frame.dtypes.items()}}
    with suppress(Exception):  # a read-only disk, a full one: read from the ledger next time
        with written_entry(file) as out:
            np.savez(out, allow_pickle=False, **{_META: np.frombuffer(json.dumps(said).encode(), dtype=np.uint8)},
                     **stored)
