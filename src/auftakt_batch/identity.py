"""Entry identity: a stable `entry_id` from what an entry *is*, not where it was found.

The same entry exported twice (overlapping weekly exports, a re-download) gets the same id
and is counted once; the ledger's UNIQUE constraint on it is what makes "billed at most
once" hold across runs. Two identical rows within one file are two entries (someone did
log the same hour twice, or meant to): the n-th copy within its file gets occurrence n, so
an overlapping export of the same file maps copy to copy.

An entry also has a `slot`: where it sits, not what it says — the person as exported and the
local start time ("t:"), or for exports without times the person, day, client, job, task and
description as exported ("d:"). An entry edited in the tracker after it was billed gets a new
id but keeps its slot, so the ledger can tell "changed since billed" from "new".
"""

from __future__ import annotations

import hashlib

import pandas as pd

from .names import normalised
from .problems import Problem, Severity, Source, info
from .schemas import Entries as E

ID_BYTES = 10  # 80 bits: no collision in any agency's lifetime of entries


def identify(entries: pd.DataFrame, timezone: str) -> pd.DataFrame:
    """Add `entry_id`, `slot` and `duplicate_of` (the row of the first identical copy in the same file)."""
    comparable = _comparable(entries)
    content = _content(entries, timezone)
    keys = [entries[E.source_file], content]
    copy = content.groupby(keys).cumcount().astype(str)
    # a row whose date or duration is unreadable is itself only: its place is part of its id
    place = entries[E.source_file] + ":" + entries[E.source_row].astype(str)
    occurrence = copy.where(comparable, place)
    first_row = entries[E.source_row].groupby(keys).transform("first")
    return entries.assign(
        entry_id=(content + "\x1f" + occurrence).map(_digest).astype("str"),
        slot=_slot(entries, timezone),
        duplicate_of=first_row.where((copy != "0") & comparable).astype("Int64"),
    )


def drop_repeats(entries: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    """Keep the first of entries with the same id (files in input/ order); report the rest per file.

    A copy that disagrees on whether it is billable is a conflict: an error on the kept row (its
    client is held back) and a warning on the copy, since otherwise the order of the files would
    decide the bill."""
    comparable = _comparable(entries)
    first = entries[comparable].drop_duplicates(E.entry_id).set_index(E.entry_id)
    kept_flag = entries[E.entry_id].map(first[E.billable_flag].astype("string").fillna("?"))
    same_flag = entries[E.billable_flag].astype("string").fillna("?").eq(kept_flag)
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
        for here, there, severity in ((copy, kept, Severity.WARNING), (kept, copy, Severity.ERROR)):
            problems.append(Problem(Source(here.source_file, int(here.source_row), "billable"), "conflicting-copy",
                                    severity, f"the same entry is in {there.source_file}:{int(there.source_row)} "
                                              f"with another billable value ({_flag(here.billable_flag)} here, "
                                              f"{_flag(there.billable_flag)} there) — correct one of them"))
    return problems


def _flag(value) -> str:
    return "empty" if pd.isna(value) else ("yes" if value else "no")


def _comparable(entries: pd.DataFrame) -> pd.Series:
    """Rows with a readable date and duration; an unreadable row is never anyone's copy."""
    return entries[E.date].notna() & entries[E.duration_s].notna()


def _content(e: pd.DataFrame, timezone: str) -> pd.Series:
    """What an entry is, as one string. Times are local wall-clock times, as exported, so
    changing agency.timezone does not change any id; names are the rates.yaml identities."""
    def text(col: str, raw: str) -> pd.Series:
        return e[col].fillna(normalised(e[raw])).astype(str)

    parts = [
        text(E.person_name, E.person),
        e[E.date].dt.strftime("%Y-%m-%d").fillna(""),
        e[E.start].dt.tz_convert(timezone).dt.strftime("%H:%M:%S").fillna(""),
        e[E.duration_s].astype("string").fillna(""),
        text(E.client_key, E.client),
        text(E.job_key, E.job),
        normalised(e[E.task]),  # "Layout " and "layout" are one description
        normalised(e[E.description]),
    ]
    return parts[0].str.cat(parts[1:], sep="\x1f")


def _slot(e: pd.DataFrame, timezone: str) -> pd.Series:
    """Where an entry sits, from the exported text (a rename in rates.yaml does not move it)."""
    timed = e[E.start].notna()
    start = e[E.start].dt.tz_convert(timezone).dt.strftime("%Y-%m-%dT%H:%M:%S").fillna("")
    day = e[E.date].dt.strftime("%Y-%m-%d").fillna("")
    untimed = day.str.cat([normalised(e[c]) for c in (E.client, E.job, E.task, E.description)], sep="\x1f")
    where = normalised(e[E.person]) + "\x1f" + start.where(timed, untimed)
    return timed.map({True: "t:", False: "d:"}).str.cat(where.map(_digest)).astype("str")


def _digest(key: str) -> str:
    return hashlib.blake2b(key.encode("utf-8"), digest_size=ID_BYTES).hexdigest()
