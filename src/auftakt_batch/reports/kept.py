"""What the months before a period give the figures (reports/before.py), kept between runs.

Checking and tabling a year's months before the period takes seconds of CPU (a 500-person
agency's year: about 9 s by November), and gives the same `Before` until something it is made
of changes. So `report` and `status` keep what they made under output/.cache/before/, one file
per key, and a later run whose key is the same reads it instead of checking those months again
(`bill` too: billing/meanwhile.py). The key is everything the check of those months and their
table read:

- the code (ingest/cache.py `code`: pandas', numpy's and the package's own), and FORMAT;
- the period's first day, and today (the checks compare dates with it);
- rates.yaml, every file under input/ and the review workbook of the months before, if one was
  written for them (a month's own review is not read by their check: editing it keeps what was
  kept) — each by its name, size and modification time (which of two overlapping exports is
  newer), an export read through the ingest cache by its key there (its bytes and the rules it
  was read with), any other file by its bytes; the inputs that cannot be read, by name;
- the ledger's token (every write replaces it), or where it has none its bytes, and its
  write-ahead log's where one is left.

Those files, and every review workbook, are looked at before the run reads them (`snapshot`),
when it makes its key and when it keeps what it made: one changed, added or removed in between
(or the ledger written, by a billing run beside this one) and nothing is kept or read. Nor is
anything kept where an input of those months could not be read (a calendar may time out on a
busy machine). A kept file is written whole or not at all, holds plain arrays only
(ingest/arrays.py: read with `allow_pickle=False`), and one that is not what `keep` wrote
(corrupt, foreign, another FORMAT) is ignored and made again, never trusted. Files no run has
read for EXPIRE_DAYS are removed, and all but the KEEP last read.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
import time
from collections.abc import Callable
from contextlib import suppress
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from .. import ledger
from ..check.review_file import SAVED_AS, label_for
from ..ingest import Ingested, arrays
from ..ingest.cache import code, written_entry
from ..ingest.tree import label_of, walk
from ..periods import Period
from ..pipeline import earliest
from .before import Before

FORMAT = 1  # change it whenever what is stored, or how, changes
FOLDER = Path("output") / ".cache" / "before"
EXPIRE_DAYS = 40
KEEP = 12  # files kept at most: a few periods' months before, as the last runs left them
FRAMES = ("entries", "unbilled", "budgets", "facts", "expenses")  # Before's tables
_META = "auftakt-batch.before"
LEDGER = Path("output") / "ledger.sqlite"


Snapshot = tuple  # (label, size, modification time) of rates.yaml, every input and review workbook; the unreadable


def snapshot(workspace: Path) -> Snapshot | None:
    """What rates.yaml, input/ and the review workbooks are, by their files' sizes and modification
    times: taken before a run reads them, and again when it makes its key and when it keeps what it
    made, so that a file changed (added, removed) meanwhile keeps nothing. None where one cannot be
    looked at."""
    try:
        tree = walk(workspace / "input", workspace)
        paths = [workspace / "rates.yaml", *tree.files, *sorted((workspace / "output").glob("*/review-*"))]
        return tuple((label_of(p, workspace), (st := p.stat()).st_size, st.st_mtime_ns) for p in paths) \
            + (tuple(sorted(tree.unreadable)),)
    except OSError:
        return None


class Key(NamedTuple):
    name: str  # the kept file's name
    ledger: list[str]  # the ledger's state in it (ledger_state): what is kept was made of this ledger
    files: Snapshot  # and of the files as this says (snapshot)


def key(workspace: Path, period: Period, inputs: Ingested, today: date, before: Snapshot | None) -> Key | None:
    """The key of what the months before `period` give, with `inputs` as read — `before`, the
    snapshot taken before they were — and the ledger as it is now (of the review workbooks, only
    the one of those months counts); None where a file changed since, one read is gone, or one
    cannot be read (then nothing is kept or read)."""
    if before is None or snapshot(workspace) != before:
        return None
    present = {label for label, *_ in before[:-1]}
    exports: dict[str, list] = {}
    for f in inputs.files:  # a workbook's sheets each as "input/book.xlsx[Sheet]"
        file = f.path if f.path in present or not f.path.endswith("]") else f.path.rpartition("[")[0]
        if file not in present:  # read, and gone since
            return None
        exports.setdefault(file, []).append([f.path, f.modified, f.key])
    first = earliest(inputs.entries, period)  # the check of the months before reads their own review only
    reviews = {label_for(period.before(first), suffix) for suffix in SAVED_AS} if first else set()
    try:
        ledger = ledger_state(workspace)
        files = [[label, size, mtime, kept if (kept := exports.get(label)) and all(k for *_, k in kept)
                  else _bytes(workspace / label)]  # an export by its key in the ingest cache: its bytes, rules, code
                 for label, size, mtime in before[:-1] if not label.startswith("output/") or label in reviews]
    except OSError:
        return None
    said = [FORMAT, code(), period.start.isoformat(), today.isoformat(), files, list(before[-1]),
            sorted(inputs.unreadable), ledger]
    return Key(hashlib.sha256(json.dumps(said).encode()).hexdigest(), ledger, before)


def ledger_state(workspace: Path) -> list[str]:
    """The ledger's token (ledger/kept.py: every write replaces it), or where it has none (older than
    schema 12, or it cannot be read: the check says why) its bytes and its write-ahead log's, if one
    is left with any, as digests."""
    path = workspace / LEDGER
    try:
        token = ledger.read_token(path)
    except (ledger.LedgerError, sqlite3.Error):
        token = None
    if token is not None:
        return ["token", token]
    wal = path.with_name(path.name + "-wal")
    return [_bytes(path) if path.exists() else "", _bytes(wal) if wal.exists() and wal.stat().st_size else ""]


def _bytes(path: Path) -> str:
    """The sha256 of a regular file's bytes (a FIFO put in its place is not waited for: OSError)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path}: not a regular file")
        return hashlib.file_digest(file, "sha256").hexdigest()


def found(workspace: Path, period: Period, inputs: Ingested, today: date,
          files: Snapshot | None) -> tuple[Key | None, Before | None]:
    """(The key of the months before `period`, what is kept under it if anything): `key`, then `read`."""
    made = key(workspace, period, inputs, today, files)
    return made, read(workspace, made)


def read(workspace: Path, kept: Key | None) -> Before | None:
    """The Before kept under `kept`, or None: nothing kept, or nothing to trust."""
    if kept is None:
        return None
    name = kept.name
    path = workspace / FOLDER / f"{name}.npz"
    try:
        with np.load(path, allow_pickle=False) as file:
            meta = json.loads(file[_META].tobytes())
            packed = {n: file[n] for n in file.files if n != _META}
        found = _from_arrays(meta, packed) if meta.get("format") == FORMAT and meta.get("key") == name else None
    except Exception:  # noqa: BLE001 — missing, corrupt, truncated, foreign: made again, never trusted
        return None
    if found is not None:
        with suppress(OSError):  # another's file, or a read-only workspace: what was read is good all the same
            os.utime(path)  # used: kept from expiring
    return found


def keep(workspace: Path, kept: Key | None, before: Before) -> None:
    """`before` kept under `kept` — if every input of those months could be read, the files and the
    ledger are still as they were when the key was made (no file saved, no run billing beside this
    one while it checked the months before), and every table can be kept exactly; a workspace
    without output/, or one that cannot be written, keeps nothing (the next run checks those
    months again)."""
    if kept is None or not before.settled or not (workspace / "output").is_dir():
        return
    try:
        if ledger_state(workspace) != kept.ledger or snapshot(workspace) != kept.files:
            return
        stored = _to_arrays(before, kept.name)
        if stored is None:
            return
        target = workspace / FOLDER / f"{kept.name}.npz"
        with written_entry(target) as out:
            np.savez(out, allow_pickle=False, **stored)
        _expire(target.parent)
    except OSError:
        return


def keeping(workspace: Path, kept: Key | None, made: Callable[[], Before]) -> Callable[[], Before]:
    """`made`, its Before kept under `kept` the first time it is asked for."""
    done: list[Before] = []

    def asked() -> Before:
        if not done:
            done.append(made())
            keep(workspace, kept, done[0])
        return done[0]
    return asked


def _to_arrays(before: Before, name: str) -> dict[str, np.ndarray] | None:
    """`before` as plain arrays and a JSON description, by name; None where a table cannot come back exactly."""
    columns: dict[str, arrays.Column] = {}
    tables: dict[str, Any] = {}
    for table in FRAMES:
        frame = getattr(before, table)
        if frame is None:
            tables[table] = None
            continue
        index = frame.index
        if (not isinstance(index, pd.RangeIndex) and index.dtype != np.int64) or index.name is not None \
                or not all(isinstance(c, str) for c in frame.columns) or frame.columns.has_duplicates:
            return None  # kept only what comes back exactly
        shape = {"rows": len(frame), "columns": list(frame.columns), "dtypes": [str(t) for t in frame.dtypes],
                 "range": [index.start, index.stop, index.step] if isinstance(index, pd.RangeIndex) else None}
        plain = [] if isinstance(index, pd.RangeIndex) else [pd.Series(index.to_numpy())]
        for n, values in enumerate([*plain, *(frame[c] for c in frame.columns)]):
            encoded = arrays.encode(values)
            if encoded is None:
                return None
            columns[f"{table}/{n}"] = encoded
        tables[table] = shape
    if before.unheld is not None:
        if not all(isinstance(i, str) for i in before.unheld):
            return None
        columns["unheld"] = arrays.encode(pd.Series(sorted(before.unheld), dtype="str"))  # type: ignore[assignment]
    first = before.first_day
    if first is not None and (not isinstance(first, pd.Timestamp) or first.tz is not None):
        return None
    described, packed = arrays.pack(columns)
    meta = {"format": FORMAT, "key": name, "tables": tables, "columns": described,
            "first_day": None if first is None else [first.isoformat(), first.unit],
            "unheld": None if before.unheld is None else len(before.unheld)}
    return {_META: np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8), **packed}


def _from_arrays(meta: dict, packed: dict[str, np.ndarray]) -> Before | None:
    """What `_to_arrays` kept; None where anything is not as it wrote it."""
    tables: dict[str, pd.DataFrame | None] = {}
    for table in FRAMES:
        described = meta["tables"][table]
        if described is None:
            tables[table] = None
            continue
        rows, names, ranged = described["rows"], described["columns"], described["range"]
        plain = ranged is None
        values = [arrays.unpack(meta["columns"][f"{table}/{n}"], packed, rows) for n in range(len(names) + plain)]
        index = pd.Index(values[0]) if plain else pd.RangeIndex(*ranged)
        if len(names) != len(set(names)) or len(index) != rows:
            return None
        columns = {name: pd.Series(v, index=index, dtype=object, copy=False)  # as kept: pandas would make text str
                   if isinstance(v, np.ndarray) and v.dtype == object else v for name, v in zip(names, values[plain:])}
        frame = pd.DataFrame(columns, index=index, columns=names, copy=False)
        if [str(t) for t in frame.dtypes] != described["dtypes"]:
            return None
        tables[table] = frame
    unheld = None if meta["unheld"] is None else \
        frozenset(arrays.unpack(meta["columns"]["unheld"], packed, meta["unheld"]))
    first = None if meta["first_day"] is None else pd.Timestamp(meta["first_day"][0]).as_unit(meta["first_day"][1])
    return Before(entries=tables["entries"], unbilled=tables["unbilled"], budgets=tables["budgets"],
                  facts=tables["facts"], first_day=first, unheld=unheld, expenses=tables["expenses"])


def _expire(folder: Path) -> None:
    """Files no run has read for EXPIRE_DAYS removed, and all but the KEEP last read: each change of
    the inputs makes a key of its own, and only the latest few are read again."""
    used: list[tuple[float, Path]] = []
    for path in folder.glob("*.npz"):
        with suppress(OSError):
            used.append((path.stat().st_mtime, path))
    limit = time.time() - EXPIRE_DAYS * 86_400
    used.sort(reverse=True)
    for n, (when, path) in enumerate(used):
        if n >= KEEP or when < limit:
            with suppress(OSError):
                path.unlink()
