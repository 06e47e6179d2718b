"""Names resolved and entries fingerprinted, kept per export: an unchanged one is not done again.

Resolving (check/resolve) and fingerprinting (check/identity) go row by row within an export: an
entry's person, client, job, billable flag, id, slot and `duplicate_of` depend on its own row, the
rows of its export on the same day (a repeated row is numbered within its file) and what
rates.yaml says of names and billability — nothing else. A check computes them for its period's
rows (whole days, and the undated rows) and gets the same as for any other set of whole days.
A year's exports hold a million entries, and every `report` and `bill` needs the months before its
period: what was computed is kept under output/.cache/identity/, one `.npz` per export named by
its ingest key (ingest/cache.py: its bytes, label, reading rules and the code), holding the
columns for the rows worked out so far (and which rows those are), and in its metadata the fingerprint of what
resolving reads from rates.yaml (`names_key`: people, clients, jobs, their aliases and
billability, imports.billable). A month's check keeps the month's rows of a year's export; the
report's check of the months before keeps the rest.

Cold rows are worked out in chunks of whole days of an export (a day's rows depend on each other,
no other's do), on every core where they are many (forked workers: processes.forked_pool).
An export of at most KEEP_ROWS entries is not kept: doing it again costs less than reading it
back. An entry that cannot be read, or was written for other names or another export, is
ignored and done again; never trusted. Entries of exports no longer in input/ are pruned.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..config import Config
from ..ingest import Ingested, SourceFile, arrays
from ..ingest.cache import left_behind, written_entry
from ..memory import release
from ..processes import cores, forked_call, forked_map, forked_pool
from ..schemas import Entries as E
from .digests import Fingerprints, Ids, as_bytes, as_texts, id_bytes
from .identity import ID_BYTES, identify
from .resolve import resolve_names

COLUMNS = (E.person_name, E.client_key, E.job_key, E.billable, E.entry_id, E.slot, E.duplicate_of)
FORMAT = 3  # change it whenever what is stored, or how, changes
FOLDER = Path("output") / ".cache" / "identity"
KEEP_ROWS = 500  # an export of at most this many entries is resolved again rather than read back
CHUNK_ROWS = 200_000  # rows worked out at once, cold: the text made to fingerprint them is about 0.5 KB a row
PARALLEL_ROWS = 100_000  # cold rows from which they are worked out on every core (processes.forked_pool)
_META = "auftakt-batch.identity"
_ROWS = "rows"  # the export's rows kept, as positions from 0


@dataclass(frozen=True)
class _Export:
    key: str  # its ingest key; "" where there is no cache
    start: int  # its first row among the ingested entries
    rows: int


@dataclass(frozen=True)
class _Kept:
    rows: np.ndarray  # the export's rows worked out so far (ascending, from 0)
    frame: pd.DataFrame  # COLUMNS of each of them

    def find(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(which of `rows` (ascending) are kept, where in `frame` each of those is)."""
        return _find(self.rows, rows)


def _find(kept: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(which of `rows` (ascending) are among the `kept` ones (ascending), where each of those is)."""
    at = np.searchsorted(kept, rows)
    have = at < len(kept)
    have[have] = kept[at[have]] == rows[have]
    return have, at[have]


def identified(raw: pd.DataFrame, positions: np.ndarray, ingested: Ingested, config: Config,
               workspace: Path) -> pd.DataFrame:
    """`raw` — the rows `positions` (ascending) of the ingested entries — with names resolved and
    each entry fingerprinted: from the cache where it holds the rows for these names, else
    computed (and kept)."""
    written()  # what an earlier call keeps is there to be read
    exports = _exports(ingested.files)
    if not (workspace / "output").is_dir() or sum(e.rows for e in exports) != len(ingested.entries) \
            or not raw.index.equals(pd.RangeIndex(len(raw))):
        return _computed(raw, config)
    folder, names = workspace / FOLDER, names_key(config)
    parts: list[pd.DataFrame] = []
    todo: list[tuple[_Export, _Kept | None, np.ndarray, np.ndarray]] = []  # (export, kept, its rows, raw's rows)
    for export in exports:
        lo, hi = (int(i) for i in np.searchsorted(positions, [export.start, export.start + export.rows]))
        if lo == hi:
            continue
        rows = positions[lo:hi] - export.start
        kept = _load(folder, export, names) if _keeps(export) else None
        have = np.zeros(len(rows), dtype=bool)
        if kept is not None:
            have, at = kept.find(rows)
            if have.any():
                part = kept.frame if len(at) == len(kept.rows) else kept.frame.take(at)
                parts.append(part.set_axis(pd.Index(lo + np.flatnonzero(have))))
        if not have.all():
            todo.append((export, kept, rows[~have], lo + np.flatnonzero(~have)))
    if todo:
        done = _worked_out(raw, [at for *_, at in todo], config)
        release()  # the text made to fingerprint them, before they are kept
        parts.append(done)
        keeping = [(export, _merged(kept, rows, done if done.index.equals(pd.Index(at)) else done.loc[at]))
                   for export, kept, rows, at in todo if _keeps(export)]  # an export's rows: not copied
        if keeping:  # by one process forked from the run, beside what it does next (if that dies: not kept)
            _WRITING.append(forked_call(partial(_keep_all, folder, names, keeping), again=lambda: None))
    _prune(folder, {e.key for e in exports if e.key})
    if not parts:
        return _computed(raw, config)
    columns = pd.concat(parts).sort_index() if len(parts) > 1 else parts[0]
    return raw.assign(**{c: columns[c] for c in COLUMNS})


_WRITING: list[Callable[[], None]] = []  # what `identified` keeps, written by processes forked from the run


def written() -> None:
    """Wait until what `identified` keeps is written: the exports' entries of a call are written by
    one process forked from the run (processes.forked_call; here, where forking is not safe), beside
    what the run does next."""
    while _WRITING:
        _WRITING.pop()()


def _days(raw: pd.DataFrame) -> np.ndarray:
    """Each row's day as its fingerprint reads it (check/identity: the exported start's, else its
    date), as integers, undated rows alike."""
    return raw[E.local_start].dt.normalize().fillna(raw[E.date]).to_numpy(dtype="datetime64[us]").view(np.int64)


def _chunks(rows: list[np.ndarray], raw: pd.DataFrame, most: int) -> list[np.ndarray]:
    """Exports' rows of `raw` in chunks of about `most` rows, a day of an export never split (its rows
    of a day depend on each other): a cold year is worked out a chunk at a time, its text made for
    one chunk."""
    chunks: list[list[np.ndarray]] = [[]]
    size = 0
    for at in (piece for export in rows for piece in _by_day(export, raw, most)):
        if size >= most:
            chunks.append([])
            size = 0
        chunks[-1].append(at)
        size += len(at)
    return [np.concatenate(chunk) for chunk in chunks]


def _by_day(at: np.ndarray, raw: pd.DataFrame, most: int) -> list[np.ndarray]:
    """An export's rows `at` of `raw` (ascending) in pieces of whole days (`_days`) of about
    `most` rows each, each piece ascending; a small export whole (its days not looked at)."""
    if len(at) <= most:
        return [at]
    days = _days(raw.iloc[at])
    order = np.argsort(days, kind="stable")
    ordered = days[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])  # where each day begins
    wanted = np.searchsorted(starts, np.arange(most, len(at), most))
    bounds = np.unique(starts[wanted[wanted < len(starts)]])
    return [np.sort(at[order[lo:hi]]) for lo, hi in zip([0, *bounds], [*bounds, len(at)])]


def fingerprints(ingested: Ingested, config: Config, workspace: Path) -> Fingerprints:
    """The entry ids of ingested rows (whole days of them, indexed by their positions among the
    ingested entries, as a period split leaves the rows outside it), as `identified` has them, as
    their digests' bytes (digests.as_bytes): read alone from the cache where it keeps every one of
    the rows (a year's ids: no text made, no other column read), else from `identified`."""
    def ids(rows: pd.DataFrame) -> Ids:
        if not ingested.entries.index.equals(pd.RangeIndex(len(ingested.entries))):  # positions unknown
            texts = _computed(rows, config)[E.entry_id]
        else:
            kept = _kept_ids(rows.index.to_numpy(), ingested, config, workspace)
            if kept is not None:
                return kept, np.ones(len(kept), dtype=bool)
            texts = identified(rows.reset_index(drop=True), rows.index.to_numpy(), ingested, config,
                               workspace)[E.entry_id]
        return id_bytes(texts)
    return ids


def _kept_ids(positions: np.ndarray, ingested: Ingested, config: Config, workspace: Path) -> np.ndarray | None:
    """The digests of the ids of the ingested rows at `positions` (ascending) where the cache keeps
    every one of them for these names; None otherwise (`identified` then works out what it lacks)."""
    written()  # what an earlier call keeps is there to be read
    exports = _exports(ingested.files)
    if not (workspace / "output").is_dir() or sum(e.rows for e in exports) != len(ingested.entries):
        return None
    folder, names = workspace / FOLDER, names_key(config)
    found = np.empty((len(positions), ID_BYTES), dtype=np.uint8)
    for export in exports:
        lo, hi = (int(i) for i in np.searchsorted(positions, [export.start, export.start + export.rows]))
        if lo == hi:
            continue
        kept = _load_ids(folder, export, names) if _keeps(export) else None
        if kept is None:
            return None
        rows, digest = kept
        have, at = _find(rows, positions[lo:hi] - export.start)
        if not have.all():
            return None
        found[lo:hi] = digest[at]
    return found


def _keeps(export: _Export) -> bool:
    return bool(export.key) and export.rows > KEEP_ROWS


def _merged(kept: _Kept | None, rows: np.ndarray, new: pd.DataFrame) -> _Kept:
    """What is kept of an export: what was, and the `rows` just worked out (`new`)."""
    if kept is None:
        return _Kept(rows, new.reset_index(drop=True))
    every = np.concatenate([kept.rows, rows])
    order = np.argsort(every, kind="stable")
    return _Kept(every[order], pd.concat([kept.frame, new], ignore_index=True).take(order).reset_index(drop=True))


def _computed(raw: pd.DataFrame, config: Config) -> pd.DataFrame:
    return identify(resolve_names(raw, config))


def _worked_out(raw: pd.DataFrame, cold: list[np.ndarray], config: Config) -> pd.DataFrame:
    """COLUMNS of `raw`'s rows `cold` (each export's), in chunks of whole days: on every core where
    they are PARALLEL_ROWS or more, a few chunks a core (the workers, forked, read `raw` as this
    process holds it: nothing is copied to them), else here, CHUNK_ROWS at a time."""
    rows, workers = sum(len(at) for at in cold), cores()
    if rows >= PARALLEL_ROWS and workers > 1:
        chunks = _chunks(cold, raw, min(CHUNK_ROWS, -(-rows // (4 * workers))))
        done = forked_map(forked_pool(min(len(chunks), workers)), _forked_columns, chunks, (raw, config), _in_order)
        if done is not None:
            return done
    return _in_order(_columns(raw.iloc[at], config) for at in _chunks(cold, raw, CHUNK_ROWS))


def _in_order(parts: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """The chunks' COLUMNS as one frame ordered by row: each chunk is let go once its columns are
    taken, and the columns are joined one at a time (2.4M rows' ids are about 550 MB; a frame
    joined at once would hold them twice)."""
    at: list[np.ndarray] = []
    columns: dict[str, list[pd.api.extensions.ExtensionArray | np.ndarray]] = {c: [] for c in COLUMNS}
    for part in parts:
        at.append(part.index.to_numpy())
        for c in COLUMNS:
            columns[c].append(part[c].array)
        del part
    index = np.concatenate(at)
    order = np.argsort(index, kind="stable")
    joined = {}
    for c in COLUMNS:
        whole = pd.concat([pd.Series(values, copy=False) for values in columns.pop(c)], ignore_index=True)
        joined[c] = whole.take(order).array
        del whole
    return pd.DataFrame(joined, index=pd.Index(index[order]), copy=False)


def _forked_columns(at: np.ndarray, shared: tuple[pd.DataFrame, Config]) -> pd.DataFrame:
    raw, config = shared
    return _columns(raw.iloc[at], config)


def _columns(rows: pd.DataFrame, config: Config) -> pd.DataFrame:
    return _computed(rows, config)[list(COLUMNS)]


def names_key(config: Config) -> str:
    """What resolving reads from rates.yaml, as one digest: an edit of a rate leaves it, a new alias changes it."""
    said = [
        sorted(config.people.keys.items()),
        sorted(config.client_names.keys.items()),
        sorted((client, sorted(index.keys.items())) for client, index in config.job_names.items()),
        sorted(config.mailboxes.items()),
        sorted((key, client.billable, sorted((job, j.billable) for job, j in client.jobs.items()))
               for key, client in config.clients.items()),
        config.imports.billable,
    ]
    return hashlib.sha256(json.dumps([FORMAT, said]).encode()).hexdigest()


def _exports(files: Sequence[SourceFile]) -> list[_Export]:
    """The exports the tables come from, in order: the tables of one export lie one after another."""
    exports: list[_Export] = []
    start = 0
    for f in files:
        if exports and f.key and exports[-1].key == f.key:
            last = exports[-1]
            exports[-1] = _Export(last.key, last.start, last.rows + f.rows)
        else:
            exports.append(_Export(f.key, start, f.rows))
        start += f.rows
    return exports


def _load(folder: Path, export: _Export, names: str) -> _Kept | None:
    """What is kept of the export for these names, or None (nothing, or nothing to trust)."""
    try:
        with np.load(folder / f"{export.key}.npz", allow_pickle=False) as file:
            meta = json.loads(file[_META].tobytes())
            if not _trusted(meta, export, names):
                return None
            arrays_in = {name: file[name] for name in file.files if name != _META}
        count = meta["kept"]
        columns = {c: arrays.unpack(meta["columns"][c], arrays_in, count) for c in meta["columns"]}
        columns |= {c: _digests_in(arrays_in, c, prefix, count, meta["dtypes"][c])
                    for c, prefix in meta["digests"].items()}
        frame = pd.DataFrame({c: columns[c] for c in COLUMNS}, copy=False)
        rows = columns[_ROWS]
        if {c: str(t) for c, t in frame.dtypes.items()} != meta["dtypes"] or not _ascending(rows, count, export):
            return None
        return _Kept(rows, frame)
    except Exception:  # noqa: BLE001 - whatever is wrong with an entry, it is done again, never trusted
        return None


def _load_ids(folder: Path, export: _Export, names: str) -> tuple[np.ndarray, np.ndarray] | None:
    """(the export's rows kept, their ids' digests: rows, ID_BYTES) as `_load` would trust them, read
    alone (no other column, no text); None where `_load` would trust nothing, or the ids are kept as text."""
    try:
        with np.load(folder / f"{export.key}.npz", allow_pickle=False) as file:
            meta = json.loads(file[_META].tobytes())
            if not _trusted(meta, export, names) or E.entry_id not in meta["digests"]:
                return None
            count = meta["kept"]
            rows = arrays.unpack(meta["columns"][_ROWS], file, count)
            digest, _ = _stored_digests(file, E.entry_id, DIGESTS[E.entry_id], count)
        return (rows, digest) if _ascending(rows, count, export) else None
    except Exception:  # noqa: BLE001 - as `_load`: never trusted
        return None


def _trusted(meta: dict, export: _Export, names: str) -> bool:
    """Whether an entry's metadata is what `_keep` writes for this export and these names."""
    return meta["format"] == FORMAT and meta["names"] == names and meta["export"] == export.key \
        and meta["rows"] == export.rows and set(meta["columns"]) | set(meta["digests"]) == {*COLUMNS, _ROWS}


def _ascending(rows: object, count: int, export: _Export) -> bool:
    """Whether the kept rows are positions of the export's rows, each once, ascending."""
    return isinstance(rows, np.ndarray) and rows.dtype == np.int64 and len(rows) == count and (
        not count or bool(rows[0] >= 0 and rows[-1] < export.rows and np.all(np.diff(rows) > 0)))


def _keep_all(folder: Path, names: str, keeping: list[tuple[_Export, _Kept]]) -> None:
    for export, kept in keeping:
        _keep(folder, export, names, kept)


def _keep(folder: Path, export: _Export, names: str, kept: _Kept) -> None:
    """Keep what is known of an export; what cannot be kept exactly, or written, is only done again next time."""
    try:
        digests = {c: _digests_out(kept.frame[c], prefix) for c, prefix in DIGESTS.items()}
        encoded = {c: arrays.encode(kept.frame[c]) for c in COLUMNS if digests.get(c) is None} | {
            _ROWS: arrays.encode(pd.Series(kept.rows.astype(np.int64)))}
        if any(column is None for column in encoded.values()):
            return
        described, stored = arrays.pack({c: column for c, column in encoded.items() if column is not None})
        meta = {"format": FORMAT, "names": names, "export": export.key, "rows": export.rows, "kept": len(kept.rows),
                "columns": described, "digests": {c: DIGESTS[c] for c, found in digests.items() if found is not None},
                "dtypes": {c: str(t) for c, t in kept.frame.dtypes.items()}}
        for c, found in digests.items():
            if found is not None:
                stored |= {f"{c}.{part}": values for part, values in found.items()}
        with written_entry(folder / f"{export.key}.npz") as out:
            np.savez(out, allow_pickle=False, **{_META: np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)},
                     **stored)
    except Exception:  # noqa: BLE001 - a cache that cannot be written is only slower
        return


# The fingerprints, kept as their bytes (a million of them would cost a hash table to factorize as text):
# the column, and how many characters come before the hex digest ("t:" of a slot)
DIGESTS = {E.entry_id: 0, E.slot: 2}


def _digests_out(values: pd.Series, prefix: int) -> dict[str, np.ndarray] | None:
    """A column of `prefix` characters then ID_BYTES in hex, as arrays: its prefixes' characters (UTF-8)
    and its digests' bytes; None where any value is not one of those (it is kept as text then). No
    text is made per value (digests.as_bytes)."""
    digest, heads, fits = as_bytes(values, prefix)
    return {"digest": digest.ravel(), "prefix": heads.ravel()} if fits.all() else None


def _digests_in(stored: Mapping[str, np.ndarray], column: str, prefix: int, count: int, dtype: str) -> object:
    digest, heads = _stored_digests(stored, column, prefix, count)
    return pd.array(as_texts(digest, heads), dtype=dtype)


def _stored_digests(stored: Mapping[str, np.ndarray], column: str, prefix: int,
                    count: int) -> tuple[np.ndarray, np.ndarray]:
    """(digests (count, ID_BYTES), prefixes (count, prefix)) of a column `_keep` kept as its bytes."""
    digest, heads = stored[f"{column}.digest"], stored[f"{column}.prefix"]
    if digest.dtype != np.uint8 or heads.dtype != np.uint8 or len(digest) != count * ID_BYTES \
            or len(heads) != count * prefix:
        raise ValueError("not what the identity cache writes")
    return digest.reshape(count, ID_BYTES), heads.reshape(count, prefix)


def _prune(folder: Path, keys: set[str]) -> None:
    """Remove the entries of exports no longer in input/ (or changed: their key is another), and
    what a writer killed halfway left."""
    try:
        for path in folder.iterdir():
            if path.suffix == ".npz" and path.stem not in keys or left_behind(path):
                path.unlink(missing_ok=True)
    except OSError:
        pass
