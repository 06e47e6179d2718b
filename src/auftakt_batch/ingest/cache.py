"""What was read from an export, kept so that an unchanged export is never parsed again.

One `.npz` file per export under output/.cache/ingest/ (numpy's `savez`, uncompressed), named
by a key of everything that decides what reading the file gives: the file's bytes (sha256),
where it lies (its label names every row and problem), the rules it was read under (the
agency's time zone, the people's own zones, the date order: all of `Rules`), the cache's
FORMAT, and the code that reads it (pandas' and numpy's versions and the package's source
files by size and modification time, so an edited reader never trusts an entry an older
one wrote). Name resolution happens later (check/resolve) and is not kept here; nor are the
tracker policies of `imports:` (billable, invoiced_in_tracker, require_approval), which
check/tracker applies after ingest.

The file holds the export's raw entries (every table of it, one after another), column by
column as plain arrays (ingest/arrays.py: text as UTF-8, Decimals as their text, instants as
int64), and one array of JSON: its key, FORMAT, each column's description and dtype, its tables
(format, encoding, separator, rows, column labels) and problems in the order they were found.
It is read with `allow_pickle=False`: nothing in it is ever unpickled. An entry that cannot be
read, was written by another key (a renamed or foreign file) or does not give back exactly the
columns and dtypes of RawEntries is ignored and rebuilt: a failed read of the cache is never the
user's error, and it is never trusted. Entries are written atomically; those the latest run did
not use are pruned.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import SimpleNamespace
from typing import Mapping

import numpy as np
import pandas as pd

from ..problems import Problem, Severity, Source
from ..schemas import RawEntries
from . import arrays
from .build import Rules
from .read import Table

FORMAT = 2  # the layout of a cache file: change it whenever what is stored, or how, changes
FOLDER = Path("output") / ".cache" / "ingest"
_NAME = re.compile(r"^[0-9a-f]{64}\.npz$")
_META = "auftakt-batch.ingest"  # the array holding the metadata (JSON, UTF-8 bytes)
_COLUMNS = tuple(RawEntries.to_schema().columns)


@dataclass(frozen=True)
class ReadTable:
    """One timesheet table of an export, built into raw entries."""

    file: str
    format: str
    encoding: str | None
    separator: str | None
    entries: pd.DataFrame
    labels: Mapping[str, str]  # canonical column -> header text


@dataclass(frozen=True)
class FileRead:
    """What reading one export gives: its timesheet tables, its problems (in order), its expense tables."""

    tables: tuple[ReadTable, ...]
    problems: tuple[Problem, ...]
    expenses: tuple[Table, ...] = ()  # the expense exports' tables, as text: never cached


@dataclass
class IngestCache:
    folder: Path
    rules: Rules
    used: set[str] = field(default_factory=set)  # the entries this run read or wrote: kept by `prune`

    @classmethod
    def of(cls, workspace: Path, rules: Rules) -> IngestCache | None:
        """The workspace's cache, or None where output/ is not a folder (nothing is written then)."""
        return cls(workspace / FOLDER, rules) if (workspace / "output").is_dir() else None

    def get(self, path: Path, label: str) -> tuple[str, FileRead | None]:
        """(the file's key, what the cache holds for it or None). A file that cannot be read gives
        no key: the readers say why."""
        try:
            key = self._key(path.read_bytes(), label)
        except OSError:
            return "", None
        try:
            read = _load(self.folder / f"{key}.npz", key)
        except Exception:  # noqa: BLE001 - whatever is wrong with an entry, it is rebuilt, never trusted
            read = None
        if read is not None:
            self.used.add(key)
        return key, read

    def put(self, key: str, path: Path, label: str, read: FileRead) -> None:
        """Keep `read` under `key` if the file still has the bytes the key was made of; a cache
        that cannot be written (a read-only disk, a full one) is only slower."""
        try:
            if not key or self._key(path.read_bytes(), label) != key:  # changed while it was read
                return
            data = _dump(read, key)
        except Exception:  # noqa: BLE001 - what cannot be kept exactly is read again next time
            return
        if data is None:
            return
        try:
            _write(self.folder / f"{key}.npz", data)
            self.used.add(key)
        except OSError:
            pass

    def prune(self) -> None:
        """Remove the entries this run did not use: the exports they were made of are gone or changed."""
        try:
            stale = [p for p in self.folder.iterdir() if _NAME.match(p.name) and p.stem not in self.used]
            for path in stale:
                path.unlink(missing_ok=True)
        except OSError:
            pass

    def _key(self, data: bytes, label: str) -> str:
        rules = [self.rules.timezone, sorted(self.rules.zones.items()), self.rules.date_format]
        said = json.dumps([FORMAT, _code(), label, rules, hashlib.sha256(data).hexdigest()])
        return hashlib.sha256(said.encode()).hexdigest()


@cache
def _code() -> str:
    """The libraries that write and read the frames, and each of the package's source files by
    its place, size and modification time (hashing their text, or asking the installed
    distribution its version, costs more than a warm run saves on a small workspace; an edit, a
    checkout or an install changes these too): an entry is trusted only by the code that wrote it."""
    package = Path(__file__).parent.parent
    digest = hashlib.sha256()
    for source in sorted(package.rglob("*.py")):
        stat = source.stat()
        digest.update(f"{source.relative_to(package).as_posix()}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    return "/".join([pd.__version__, np.__version__, digest.hexdigest()])


def _write(target: Path, data: bytes) -> None:
    """`data` renamed into place whole, not synced: after a crash an entry is there or not, and one
    whose bytes never reached the disk fails its zip checksums and is rebuilt (a sync per export
    would cost more than reading a small one)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        temp.write_bytes(data)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _dump(read: FileRead, key: str) -> bytes | None:
    """The cache file's bytes; None for what cannot be kept exactly (then it is simply read again)."""
    frames = [t.entries for t in read.tables]
    if any(tuple(f.columns) != _COLUMNS or not f.dtypes.equals(frames[0].dtypes) for f in frames):
        return None
    entries = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(_COLUMNS))
    columns: dict[str, arrays.Column] = {}
    for name in _COLUMNS if frames else ():
        column = arrays.encode(entries[name])
        if column is None:
            return None
        columns[name] = column
    described, stored = arrays.pack(columns)
    meta = {"key": key, "format": FORMAT, "columns": described,
            "dtypes": {c: str(t) for c, t in (frames[0].dtypes.items() if frames else ())},
            "tables": [{"file": t.file, "format": t.format, "encoding": t.encoding, "separator": t.separator,
                        "rows": len(t.entries), "labels": dict(t.labels)} for t in read.tables],
            "problems": [_problem_out(p) for p in read.problems]}
    out = io.BytesIO()
    np.savez(out, allow_pickle=False, **{_META: np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)}, **stored)
    return out.getvalue()


def _load(path: Path, key: str) -> FileRead | None:
    """What `_dump` kept under `key`, or None; never unpickles (an object array is an error)."""
    try:
        file = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        return None
    with file:
        meta = json.loads(file[_META].tobytes())
        if meta["key"] != key or meta["format"] != FORMAT:
            return None
        rows = sum(t["rows"] for t in meta["tables"])
        packed = {name: file[name] for name in file.files if name != _META}
    entries = pd.DataFrame({name: arrays.unpack(meta["columns"][name], packed, rows)
                            for name in _COLUMNS}) if meta["tables"] else pd.DataFrame()
    if meta["tables"] and {c: str(t) for c, t in entries.dtypes.items()} != meta["dtypes"]:
        return None
    tables, start = [], 0
    for t in meta["tables"]:
        rows = entries.iloc[start:start + t["rows"]].reset_index(drop=True)
        tables.append(ReadTable(t["file"], t["format"], t["encoding"], t["separator"], rows, t["labels"]))
        start += t["rows"]
    return FileRead(tuple(tables), tuple(_problem_in(p) for p in meta["problems"]))


def _problem_out(p: Problem) -> dict:
    s = p.source
    return {"source": [s.file, s.row, s.column, s.key], "code": p.code, "severity": p.severity.value,
            "message": p.message, "rows": list(p.rows), "client": p.client}


def _problem_in(d: dict) -> Problem:
    """A kept problem as it was found: its code was made (and registered) where it was first found."""
    kept = SimpleNamespace(**d)
    return Problem(Source(*kept.source), kept.code, Severity(kept.severity), kept.message, tuple(kept.rows),
                   kept.client)
