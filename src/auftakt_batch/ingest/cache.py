"""What was read from an export, kept so that an unchanged export is never parsed again.

One `.npz` file per export under output/.cache/ingest/ (numpy's `savez`, uncompressed) — or,
when a run reads many small exports (PACK_MIN of at most PACK_ROWS entries), one file for all
of those, the pack (small.npz: one read instead of thousands; written when the run ends, and
again only if an export in it was added, changed or removed) —, each export named by a key of
everything that decides what reading the file gives: the file's bytes (sha256), where it lies
(its label names every row and problem), the rules it was read under (the agency's time zone,
the people's own zones, the date order: all of `Rules`), the cache's FORMAT, and the code that
reads it (pandas' and numpy's versions and the package's source files by size and modification
time, so an edited reader never trusts an entry an older one wrote). Name resolution happens
later (check/resolve) and is not kept here; nor are the tracker policies of `imports:`
(billable, invoiced_in_tracker, require_approval), which check/tracker applies after ingest.

A file holds its exports' raw entries (every table of each, one after another), column by
column as plain arrays (ingest/arrays.py: text as UTF-8, Decimals as their text, instants as
int64), and one array of JSON: FORMAT, each column's description and dtype, and for each export
its key, tables (format, encoding, separator, rows, column labels) and problems in the order
they were found.
It is read with `allow_pickle=False`: nothing in it is ever unpickled. An entry that cannot be
read, was written by another key (a renamed or foreign file) or does not give back exactly the
columns and dtypes of RawEntries is ignored and rebuilt: a failed read of the cache is never the
user's error, and it is never trusted. Entries are written atomically; those the latest run did
not use are pruned.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from types import SimpleNamespace
from typing import BinaryIO, Mapping

import numpy as np
import pandas as pd

from ..problems import Problem, Severity, Source
from ..processes import forked_call
from ..schemas import RawEntries
from . import arrays
from .build import Rules
from .parts import Part, Rows, frame_of, joined
from .read import Table

FORMAT = 3  # the layout of a cache file: change it whenever what is stored, or how, changes
FOLDER = Path("output") / ".cache" / "ingest"
_NAME = re.compile(r"^[0-9a-f]{64}\.npz$")
PACK = "small.npz"  # the small exports' entries together, when there are many
PACK_ROWS = 100  # entries an export may have to be kept in the pack
PACK_MIN = 64  # small exports a run must read for them to be kept in the pack, not one file each
_META = "auftakt-batch.ingest"  # the array holding the metadata (JSON, UTF-8 bytes)
_COLUMNS = tuple(RawEntries.columns)


@dataclass(frozen=True)
class ReadTable:
    """One timesheet table of an export, built into raw entries."""

    file: str
    format: str
    encoding: str | None
    separator: str | None
    built: Rows  # its raw entries: a frame, or rows of one built with other tables' or kept with other exports'
    labels: Mapping[str, str]  # canonical column -> header text

    @cached_property
    def entries(self) -> pd.DataFrame:
        return frame_of(self.built)

    @property
    def rows(self) -> int:
        return len(self.built)


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
    small: dict[str, tuple[FileRead, str]] = field(default_factory=dict)  # small exports' reads, and where from
    _pack: dict[str, FileRead] | None = None  # the pack's exports by key, once read
    _names: frozenset[str] | None = None  # the entries in the folder, once listed

    @classmethod
    def of(cls, workspace: Path, rules: Rules) -> IngestCache | None:
        """The workspace's cache, or None where output/ is not a folder (nothing is written then)."""
        return cls(workspace / FOLDER, rules) if (workspace / "output").is_dir() else None

    def empty(self) -> bool:
        """Whether the cache holds nothing (or cannot be listed), asked of the folder as it is now."""
        try:
            return not any(_NAME.match(name) or name == PACK for name in os.listdir(self.folder))
        except OSError:
            return True

    def get(self, path: Path, label: str, data: bytes | None = None) -> tuple[str, FileRead | None]:
        """(the file's key, what the cache holds for it or None); `data`: its bytes, if the caller
        has read them already. A file that cannot be read gives no key: the readers say why."""
        try:
            key = self._key(path.read_bytes() if data is None else data, label)
        except OSError:
            return "", None
        return key, self.kept(key)

    def kept(self, key: str) -> FileRead | None:
        """What the cache holds under `key` (a file's, as `get` makes it), or None."""
        if (read := self._packed().get(key)) is not None:
            self.small[key] = (read, "pack")
            return read
        try:
            read = _load(self.folder / f"{key}.npz").get(key) if f"{key}.npz" in self._listed() else None
        except Exception:  # noqa: BLE001 - whatever is wrong with an entry, it is rebuilt, never trusted
            read = None
        if read is not None and _small(read):  # kept alone or moved to the pack when the run ends
            self.small[key] = (read, "alone")
        elif read is not None:
            self.used.add(key)
        return read

    def put(self, key: str, path: Path, label: str, read: FileRead, same_bytes: bool = False) -> None:
        """Keep `read` under `key` if it was parsed from the bytes the key was made of: `same_bytes`
        where its reader was given those very bytes (a CSV, read once), else if the file, read again,
        still has them. A cache that cannot be written (a read-only disk, a full one) is only slower.
        A small export is kept when the run ends (`prune`), in the pack if there are many."""
        try:
            if not key or not same_bytes and self._key(path.read_bytes(), label) != key:  # changed meanwhile
                return
        except OSError:
            return
        if _small(read):
            self.small[key] = (read, "new")
        elif self._write(f"{key}.npz", [(key, read)]):
            self.used.add(key)

    def prune(self) -> None:
        """Keep the small exports read this run (in the pack, or alone if they are few), and
        remove the entries this run did not use: the exports they were made of are gone or changed."""
        self._keep_small()
        try:
            stale = [p for p in self.folder.iterdir()
                     if _NAME.match(p.name) and p.stem not in self.used or left_behind(p)]
            stale += [self.folder / PACK] if PACK not in self.used else []
            for path in stale:
                path.unlink(missing_ok=True)
        except OSError:
            pass

    def _keep_small(self) -> None:
        if len(self.small) < PACK_MIN:  # few: one entry each, so an edit rewrites only its own
            for key, (read, origin) in self.small.items():
                if origin == "alone" or self._write(f"{key}.npz", [(key, read)]):
                    self.used.add(key)
            return
        unchanged = {o for _, o in self.small.values()} == {"pack"} and len(self.small) == len(self._packed())
        if unchanged or self._write(PACK, [(key, read) for key, (read, _) in self.small.items()]):
            self.used.add(PACK)  # the small exports' own entries, if any, are pruned

    def written_meanwhile(self) -> None:
        """Another process has kept an entry here since the folder was listed (ahead.py's workers):
        list it again when next asked."""
        self._names = None

    def _listed(self) -> frozenset[str]:
        """The names in the cache's folder when first asked (one listing, not a failed open per new export)."""
        if self._names is None:
            try:
                self._names = frozenset(os.listdir(self.folder))
            except OSError:
                self._names = frozenset()
        return self._names

    def _packed(self) -> dict[str, FileRead]:
        """The exports the pack holds, by key; none if it cannot be read (it is rebuilt then)."""
        if self._pack is None:
            try:
                self._pack = _load(self.folder / PACK)
            except Exception:  # noqa: BLE001 - a spoilt pack is rebuilt, never trusted
                self._pack = {}
        return self._pack

    def keep_encoded(self, key: str, table: Mapping, problems: tuple[Problem, ...],
                     columns: Mapping[str, arrays.Column], dtypes: Mapping[str, str]) -> FileRead | None:
        """What an export of one table gives, from its columns as this cache keeps them (a large
        export read in parts: ingest/split.py), kept under `key` (a file the reader was given the bytes
        of); `table`: its file, format, encoding, separator, rows and labels. None where the columns do
        not give back exactly the columns and dtypes of RawEntries (the export is then read whole)."""
        meta, stored = _entry(columns, dtypes, [{"key": key, "problems": [_problem_out(p) for p in problems],
                                                 "tables": [dict(table)]}])
        name = f"{key}.npz"
        # written by a process forked from this one while this one decodes the columns (if it dies: not kept)
        written = forked_call(lambda: self._written(name, meta, stored), again=lambda: False)
        try:
            read = _reads(meta, stored).get(key)
        except Exception:  # noqa: BLE001 - what does not decode is not kept, and is read whole
            read = None
        kept = written()
        if kept and read is not None and not _small(read):
            self.used.add(key)
        elif kept:  # what does not decode, or a small export (kept in the pack when the run ends): not alone
            (self.folder / name).unlink(missing_ok=True)
        if read is not None and _small(read):
            self.small[key] = (read, "new")
        return read

    def _write(self, name: str, reads: list[tuple[str, FileRead]]) -> bool:
        """Whether `reads` could be kept in the cache file `name`."""
        try:
            dumped = _dump(reads)
        except Exception:  # noqa: BLE001 - what cannot be kept exactly is read again next time
            return False
        return dumped is not None and self._written(name, *dumped)

    def _written(self, name: str, meta: dict, stored: Mapping[str, np.ndarray]) -> bool:
        """Whether the entry could be written to the cache file `name`."""
        try:
            with written_entry(self.folder / name) as out:  # a year's export: no copy of it in memory
                np.savez(out, allow_pickle=False, **{_META: np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)},
                         **stored)
        except Exception:  # noqa: BLE001 - what cannot be written (a read-only disk, a full one) is read again
            return False
        return True

    def _key(self, data: bytes, label: str) -> str:
        rules = [self.rules.timezone, sorted(self.rules.zones.items()), self.rules.date_format]
        said = json.dumps([FORMAT, code(), label, rules, hashlib.sha256(data).hexdigest()])
        return hashlib.sha256(said.encode()).hexdigest()


def _small(read: FileRead) -> bool:
    return sum(t.rows for t in read.tables) <= PACK_ROWS


@cache
def code() -> str:
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


LEFT_BEHIND_S = 3600  # a writer's file this old was left by one killed halfway (no entry takes an hour)


def left_behind(path: Path) -> bool:
    """Whether `path` is what a writer of `written_entry` killed halfway left (removed by the prunes)."""
    if not (path.name.startswith(".") and path.name.endswith(".tmp")):
        return False
    try:
        return time.time() - path.stat().st_mtime > LEFT_BEHIND_S
    except OSError:
        return False


@contextmanager
def written_entry(target: Path) -> Iterator[BinaryIO]:
    """A file to write an entry into, renamed into place whole when the block ends (and removed if
    it raises), not synced: after a crash an entry is there or not, and one whose bytes never
    reached the disk fails its zip checksums and is rebuilt (a sync per export would cost more
    than reading a small one)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with temp.open("wb") as out:
            yield out
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _dump(reads: list[tuple[str, FileRead]]) -> tuple[dict, dict[str, np.ndarray]] | None:
    """The cache file's metadata and arrays for the exports `reads` (key, what it gives); None for
    what cannot be kept exactly (then it is simply read again)."""
    parts = [t.built for _, read in reads for t in read.tables]
    frames = list({id(f): f for f in (p.frame if isinstance(p, Part) else p for p in parts)}.values())
    if any(tuple(f.columns) != _COLUMNS or not f.dtypes.equals(frames[0].dtypes) for f in frames):
        return None
    entries = joined(parts) if parts else pd.DataFrame(columns=list(_COLUMNS))
    columns: dict[str, arrays.Column] = {}
    for name in _COLUMNS if frames else ():
        column = arrays.encode(entries[name])
        if column is None:
            return None
        columns[name] = column
    exports = [{"key": key, "problems": [_problem_out(p) for p in read.problems],
                "tables": [{"file": t.file, "format": t.format, "encoding": t.encoding, "separator": t.separator,
                            "rows": t.rows, "labels": dict(t.labels)} for t in read.tables]} for key, read in reads]
    return _entry(columns, {c: str(t) for c, t in (frames[0].dtypes.items() if frames else ())}, exports)


def _entry(columns: Mapping[str, arrays.Column], dtypes: Mapping[str, str],
           exports: list[dict]) -> tuple[dict, dict[str, np.ndarray]]:
    """(the metadata, the arrays) of a cache file holding `exports` (key, problems, tables), whose
    entries are `columns`."""
    described, stored = arrays.pack(columns)
    return {"format": FORMAT, "columns": described, "dtypes": dict(dtypes), "exports": exports}, stored


def _load(path: Path) -> dict[str, FileRead]:
    """What `_dump` kept, by key (nothing if there is no such file); never unpickles (an object
    array is an error); raises for anything `_dump` did not write."""
    try:
        file = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        return {}
    with file:
        meta = json.loads(file[_META].tobytes())
        if meta["format"] != FORMAT:
            return {}
        packed = {name: file[name] for name in file.files if name != _META}
    return _reads(meta, packed)


def _reads(meta: dict, packed: Mapping[str, np.ndarray]) -> dict[str, FileRead]:
    """The exports a cache file's metadata and arrays hold, by key; raises for anything `_entry` did not make."""
    rows = sum(t["rows"] for e in meta["exports"] for t in e["tables"])
    tabled = any(e["tables"] for e in meta["exports"])
    entries = pd.DataFrame({name: arrays.unpack(meta["columns"][name], packed, rows)
                            for name in _COLUMNS}, copy=False) if tabled else pd.DataFrame()
    if tabled and {c: str(t) for c, t in entries.dtypes.items()} != meta["dtypes"]:
        return {}
    reads, start = {}, 0
    for export in meta["exports"]:
        tables = []
        for t in export["tables"]:
            part = Part(entries, start, start + t["rows"])
            tables.append(ReadTable(t["file"], t["format"], t["encoding"], t["separator"], part, t["labels"]))
            start += t["rows"]
        reads[export["key"]] = FileRead(tuple(tables), tuple(_problem_in(p) for p in export["problems"]))
    return reads


def _problem_out(p: Problem) -> dict:
    s = p.source
    return {"source": [s.file, s.row, s.column, s.key], "code": p.code, "severity": p.severity.value,
            "message": p.message, "rows": list(p.rows), "client": p.client}


def _problem_in(d: dict) -> Problem:
    """A kept problem as it was found: its code was made (and registered) where it was first found."""
    kept = SimpleNamespace(**d)
    return Problem(Source(*kept.source), kept.code, Severity(kept.severity), kept.message, tuple(kept.rows),
                   kept.client)
