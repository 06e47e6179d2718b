"""Entry identity: a stable `entry_id` from what an entry *is*, not where it was found.

The same entry exported twice (overlapping weekly exports, a re-download) gets the same id
and is counted once; the ledger's UNIQUE constraint on it is what makes "billed at most
once" hold across runs. Two identical rows within one file are two entries (someone did
log the same hour twice, or meant to): the n-th copy within its file gets occurrence n, so
an overlapping export of the same file maps copy to copy.

An entry also has a `slot`: where it sits, not what it says — the person as exported and the
start as exported ("t:"), or for exports without times the person, day, client, job, task and
description as exported ("d:"). An entry edited in the tracker after it was billed gets a new
id but keeps its slot, so the ledger can tell "changed since billed" from "new".
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..frames import factorize
from ..names import normalised_values
from ..problems import Problem, Severity, Source, info
from ..schemas import Entries as E
from ..schemas import distinct_ids, id_integers, repeating

ID_BYTES = 10  # 80 bits: no collision in any agency's lifetime of entries


def identify(entries: pd.DataFrame) -> pd.DataFrame:
    """Add `entry_id`, `slot` and `duplicate_of` (the row of the first identical copy in the same file)."""
    comparable = _comparable(entries).to_numpy(dtype=bool)
    # the fields as text, made once for id and slot: names normalised, the day and the start as exported
    text = {c: normalised_values(entries[c]) for c in (E.person, E.client, E.job, E.task, E.description)}
    text[E.local_start] = _text(entries[E.local_start], "%Y-%m-%dT%H:%M:%S")
    text["day"] = _text(entries[E.local_start].dt.normalize().fillna(entries[E.date]), "%Y-%m-%d")
    content = _content(entries, text)
    files, rows = entries[E.source_file].to_numpy(dtype=object), entries[E.source_row].to_numpy()
    # each row's id as if it were the only one of its kind in its file: almost every entry is
    ids = np.array(_digests(f"{c}\x1f0" for c in content), dtype=object)
    # the n-th copy of a row within its file is occurrence n: its copies are among the rows whose file and
    # that first id repeat (alike content, alike id), numbered by their content as a groupby of every row does
    duplicate_of = pd.arrays.IntegerArray(np.zeros(len(entries), dtype=np.int64), np.ones(len(entries), dtype=bool))
    alike = np.flatnonzero(_repeated(factorize(files)[0], ids))
    if len(alike):
        keys = [factorize(files[alike])[0], factorize(content[alike])[0]]
        copy = pd.Series(0, index=alike).groupby(keys).cumcount().to_numpy()
        first_row = pd.Series(rows[alike]).groupby(keys).transform("first").to_numpy()
        later = (copy != 0) & comparable[alike]
        again = alike[later]
        ids[again] = _digests(f"{c}\x1f{n}" for c, n in zip(content[again], copy[later].tolist()))
        duplicate_of[again] = first_row[later]
    # a row whose date or duration is unreadable is itself only: its place is part of its id
    alone = np.flatnonzero(~comparable)
    ids[alone] = _digests(f"{c}\x1f{file}:{row}" for c, file, row in zip(content[alone], files[alone], rows[alone]))
    return entries.assign(**{
        E.entry_id: pd.Series(ids, index=entries.index, dtype="str"),
        E.slot: _slot(entries, text),
        E.duplicate_of: pd.Series(duplicate_of, index=entries.index),
    })


def _repeated(files: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Whether each (file's number, id) pair may occur twice, found without hashing a year's
    strings: each id's integer (schemas.id_integers) mixed with its file's, and the integers sorted.
    Every pair that repeats is found; a pair found may still be one of a kind (an integer shared by chance)."""
    mixed = id_integers(ids.tolist())
    if mixed is None:  # not ids as _digests gives them: any may repeat
        return np.ones(len(ids), dtype=bool)
    with np.errstate(over="ignore"):
        mixed ^= files.astype(np.uint64) * np.uint64(0xFF51AFD7ED558CCD)
    return repeating(mixed)


def drop_repeats(entries: pd.DataFrame, flags_count: bool = True) -> tuple[pd.DataFrame, list[Problem]]:
    """Keep the first of entries with the same id (files in input/ order); report the rest per file.

    A copy that disagrees on whether it is billable is a conflict: an error on both rows, since
    otherwise the order of the files would decide the bill. Either holds back the entry's client
    (the copy is no entry of its own, so its error names the client). Not so when the export's
    flag does not count (`flags_count` false: imports.billable: rates)."""
    if distinct_ids(entries[E.entry_id]) or not entries[E.entry_id].duplicated().any():  # the usual case: none
        return entries.reset_index(drop=True), []
    return _dropped_repeats(entries, flags_count)


def _dropped_repeats(entries: pd.DataFrame, flags_count: bool) -> tuple[pd.DataFrame, list[Problem]]:
    comparable = _comparable(entries)
    first = entries[comparable].drop_duplicates(E.entry_id).set_index(E.entry_id)
    kept_flag = entries[E.entry_id].map(first[E.billable_flag].astype("string").fillna("?"))
    same_flag = entries[E.billable_flag].astype("string").fillna("?").eq(kept_flag) | (not flags_count)
    repeat = comparable & entries[E.entry_id].duplicated(keep="first")
    dropped = entries[repeat & same_flag].assign(kept_in=lambda d: d[E.entry_id].map(first[E.source_file]))
    problems = [
        info(Source(file), "repeated-entry", f"{n} entr{'y' if n == 1 else 'ies'} also in {kept_in} — counted once")
        for (file, kept_in), n in dropped.groupby([E.source_file, "kept_in"]).size().items()
    ]
    problems += _conflicts(entries[repeat & ~same_flag], first)
    return entries[~repeat].reset_index(drop=True), problems


def _conflicts(copies: pd.DataFrame, first: pd.DataFrame) -> list[Problem]:
    problems = []
    for copy in copies.itertuples(index=False):
        kept = first.loc[copy.entry_id]
        client = None if pd.isna(kept.client_key) else kept.client_key  # unknown: every invoice waits
        for here, there, holds in ((copy, kept, client), (kept, copy, None)):
            problems.append(Problem(Source(here.source_file, int(here.source_row), "billable"), "conflicting-copy",
                                    Severity.ERROR, f"the same entry is in {there.source_file}:{int(there.source_row)} "
                                                    f"with another billable value ({_flag(here.billable_flag)} here, "
                                                    f"{_flag(there.billable_flag)} there) — correct one of them",
                                    client=holds))
    return problems


def _flag(value: object) -> str:
    return "empty" if pd.isna(value) else ("yes" if value else "no")


def _comparable(entries: pd.DataFrame) -> pd.Series:
    """Rows with a readable date and duration; an unreadable row is never anyone's copy."""
    return entries[E.date].notna() & entries[E.duration_s].notna()


def _content(e: pd.DataFrame, text: dict[str, np.ndarray]) -> np.ndarray:
    """What an entry is, as one string. The day and time are the wall clock as exported, in the
    zone the export was written in, so no time-zone setting (the agency's, a person's) changes
    an id; names are the rates.yaml identities."""
    def known(col: str, raw: str) -> np.ndarray:
        return np.where(e[col].isna(), text[raw], e[col].to_numpy(dtype=object))

    parts = [
        known(E.person_name, E.person),
        text["day"],
        (start[11:] for start in text[E.local_start]),  # its time of day
        _text(e[E.duration_s], None),
        known(E.client_key, E.client),
        known(E.job_key, E.job),
        text[E.task],  # "Layout " and "layout" are one description
        text[E.description],
    ]
    return np.array(["\x1f".join(p) for p in zip(*parts)], dtype=object)


def _slot(e: pd.DataFrame, text: dict[str, np.ndarray]) -> pd.Series:
    """Where an entry sits, from the exported text (a rename in rates.yaml does not move it)."""
    timed = e[E.local_start].notna().to_numpy()
    where = text[E.local_start].copy()
    untimed = np.flatnonzero(~timed)
    if len(untimed):
        parts = [text["day"][untimed]] + [text[c][untimed] for c in (E.client, E.job, E.task, E.description)]
        where[untimed] = ["\x1f".join(p) for p in zip(*parts)]
    slots = _digests(f"{person}\x1f{w}" for person, w in zip(text[E.person], where))
    return pd.Series([("t:" if t else "d:") + s for t, s in zip(timed, slots)], index=e.index, dtype="str")


def _text(values: pd.Series, fmt: str | None) -> np.ndarray:
    """Each value as text ("" where missing): times by `fmt`, numbers plainly; each distinct value once."""
    codes, distinct = factorize(values)
    texts = distinct.strftime(fmt).to_numpy(dtype=object).tolist() if fmt else [str(v) for v in distinct.tolist()]
    return np.array(texts + [""], dtype=object)[codes]


def _digests(keys: Iterable[str]) -> list[str]:
    """The hex BLAKE2b digest of each key (ID_BYTES long), in one loop: a year holds a million."""
    empty = hashlib.blake2b(digest_size=ID_BYTES)  # copied for each key: cheaper than a new one told its size
    digests = []
    for key in keys:
        h = empty.copy()
        h.update(key.encode("utf-8"))
        digests.append(h.hexdigest())
    return digests
