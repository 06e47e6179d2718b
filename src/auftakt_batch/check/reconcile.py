"""Reconciling the ledger with the exports: what was billed and is no longer there.

An entry is identified by what it says (identity.py), so an entry edited after it was billed —
its words, day, hours, start, client or job corrected in the tracker — comes back with a new
id, as new work. What the ledger billed is therefore looked for in the exports on every run:
a billed entry the exports no longer hold where they would (`_covered`), or that a newer export
of its tracker lacks, was edited or deleted after billing. Until the user decides, the entries
that could be its edited version — the same slot (identity.py), the same person and day, the
same person, client and hours, or the same person, words and hours — are held back, each an
error naming the invoice; a billed entry gone with none is an error on the ledger that holds
back its client. The user restores the
export, `void`s the invoice and bills again, or `accept`s the change (recorded in the ledger).

Needs: the period's entries, the ledger's live billed entries and `Evidence` of the exports
beyond the period. Gives: the gone entries that concern the period, each paired with its most
likely edited version, and the problems.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..config import Config
from ..frames import factorize
from ..names import normalised, per_distinct
from ..periods import Period
from ..pricing import billed_seconds
from ..problems import Problem, Severity, Source, plural
from ..schemas import Entries as E
from ..units import hm
from .digests import Fingerprints, Ids, id_bytes, overlap
from .identity import identify
from .resolve import person_names, resolve_names

LEDGER = "output/ledger.sqlite"
ANYONE = "\x00anyone"  # the person of a coverage span that holds everyone's days


@dataclass(frozen=True)
class Evidence:
    """What the exports say beyond the period's counted entries."""

    elsewhere: np.ndarray  # for each billed entry (a row of the ledger's frame, in its order): whether the exports
    # dated outside the period hold it — a mask, which the open ones take their rows of (no ids looked up again)
    lacking: frozenset[str]  # ids a newer export of the same source lacks (overlaps.py): deleted there
    files: frozenset[str]  # the input files read (a billed entry's own file still there says where to look)
    covered: pd.DataFrame  # person, first, last: the days of each export that holds a person's entries
    ids: Ids | None = None  # the billed entries' ids as bytes (digests.id_bytes), if made


@dataclass(frozen=True)
class Reconciliation:
    gone: pd.DataFrame  # billed entries (ledger.BILLED_COLUMNS, present) no longer in the exports, of the period
    pairs: pd.DataFrame  # entry_id (gone), index (of the period's entries): each gone entry's likely edited version
    held: pd.DataFrame  # entry_id (gone), index: every entry held back because it could be one
    problems: list[Problem]
    ids: Ids | None = None  # the billed entries' ids as bytes (digests.id_bytes), where they were made

    def successors(self, entries: pd.DataFrame) -> pd.DataFrame:
        """The paired entries' rows, with `replaces`: the billed entry each one is the edited version of."""
        return entries.loc[self.pairs["index"]].assign(replaces=self.pairs["entry_id"].to_numpy())


def evidence(raw: pd.DataFrame, period: Period, billed: pd.DataFrame, files: frozenset[str],
             lacking: frozenset[str], config: Config, fingerprints: Fingerprints | None = None) -> Evidence:
    """What the exports say of the billed entries beyond the period's counted entries (`raw`: every
    row read); nothing to gather when nothing is billed. `fingerprints`: how rows' ids are had (the
    pipeline's: as kept, check/identities), else computed."""
    if billed.empty:
        return Evidence(np.zeros(0, dtype=bool), lacking, files, pd.DataFrame(columns=["person", "first", "last"]))
    fingerprints = fingerprints or _computed(config)
    covered = _coverage(raw, config)  # first: its year of names is let go before the ids' bytes are made
    ids = id_bytes(billed["entry_id"])
    return Evidence(_billed_elsewhere(raw, period, billed, fingerprints, ids), lacking, files, covered, ids)


def _computed(config: Config) -> Fingerprints:
    return lambda rows: id_bytes(identify(resolve_names(rows, config))[E.entry_id])


def _billed_elsewhere(raw: pd.DataFrame, period: Period, billed: pd.DataFrame, fingerprints: Fingerprints,
                      billed_ids: Ids | None = None) -> np.ndarray:
    """Which billed entries the exports outside the period hold (a mask of `billed`'s rows): a billed
    entry may move across periods, so the rows of the stretch of days the ledger billed are
    fingerprinted too (a year billed month by month: every month before the period). The ids are
    matched as their digests (digests.overlap), never as a year's text (`billed_ids`: the billed
    entries' as bytes, if made)."""
    days, day = pd.to_datetime(billed["day"].drop_duplicates()), raw[E.date]  # a year's days: each parsed once
    near = np.flatnonzero(day.between(days.min() - pd.Timedelta(days=1), days.max() + pd.Timedelta(days=1))
                          & ~period.holds(day))
    files = raw[E.source_file].to_numpy(dtype=object)[near]
    starts = np.flatnonzero(files[1:] != files[:-1]) + 1  # where the next export's rows begin
    cuts = np.unique(starts[np.minimum(np.searchsorted(starts, np.arange(1, PARTS) * len(near) // PARTS),
                                       len(starts) - 1)]) if len(starts) else starts
    ids = [fingerprints(raw.iloc[part]) for part in np.split(near, cuts) if len(part)]  # a part's rows let go
    if not ids:
        return np.zeros(len(billed), dtype=bool)
    rows = np.concatenate([digest for digest, _ in ids]), np.concatenate([fits for _, fits in ids])
    return overlap(billed_ids or id_bytes(billed["entry_id"]), rows)[0]


PARTS = 4  # the rows outside the period are fingerprinted in about this many parts of whole exports: a year's
# rows and what the identity cache keeps of them (ids, slots, names) are not all held at once


def _coverage(raw: pd.DataFrame, config: Config) -> pd.DataFrame:
    """person, first, last: the days of each export (its first to its last) that holds a person's entries,
    in the order they first appear. Exports and people as integer codes: a year's rows, few of each."""
    dated = raw[E.date].notna().to_numpy()
    files, _ = factorize(raw[E.source_file][dated])
    people, names = factorize(person_names(raw, config)[dated])
    days = raw[E.date][dated]
    span = days.groupby(files).agg(["min", "max"])  # by each export's code
    width = max(len(names), 1)
    pairs = pd.unique((files * width + people)[people >= 0])  # (export, person) as one integer
    at = pairs // width
    return pd.DataFrame({"person": pd.Series(np.asarray(names, dtype=object)[pairs % width], dtype=object),
                         "first": span["min"].to_numpy()[at], "last": span["max"].to_numpy()[at]})


def reconcile(entries: pd.DataFrame, billed: pd.DataFrame, evidence: Evidence, period: Period,
              config: Config) -> Reconciliation:
    open_ = unsettled(billed, config)
    if open_.empty:  # nothing billed, or all of it settled: nothing can be gone, nothing held back
        return Reconciliation(_gone(open_, open_), _pair_frame([]), _no_candidates(), [])
    return _reconciled(entries, billed, open_, evidence, period, config)


def _ids(billed: pd.DataFrame, evidence: Evidence) -> Ids:
    """The billed entries' ids as bytes: as the evidence made them, where they are of these entries."""
    made = evidence.ids
    return made if made is not None and len(made[0]) == len(billed) else id_bytes(billed["entry_id"])


def unsettled(billed: pd.DataFrame, config: Config) -> pd.DataFrame:
    """The billed entries not accepted as changed, with `day` a date and `who` the person now."""
    # who a billed entry's person is now: a person renamed since (the old name an alias) is the same
    who = per_distinct(billed["person"], lambda name: config.people.get(name) or name)
    found, open_ = billed.assign(day=pd.to_datetime(billed["day"]), who=who), _open(billed)
    return found if open_.all() else found[open_]  # none settled: not a copy of a year's billed entries


def _open(billed: pd.DataFrame) -> np.ndarray:
    """Which billed entries are not accepted as changed (an accepted one is settled)."""
    return billed["gone"].isna().to_numpy(dtype=bool)


def _reconciled(entries: pd.DataFrame, billed: pd.DataFrame, open_: pd.DataFrame, evidence: Evidence,
                period: Period, config: Config) -> Reconciliation:
    """`open_`: the billed entries not yet settled (`unsettled`). Ids are looked up as their digests'
    bytes (digests.overlap), never as a year's text."""
    ids = _ids(billed, evidence)
    in_period, on_ledger = overlap(ids, id_bytes(entries[E.entry_id]))
    is_open = _open(billed)
    present = in_period[is_open] | evidence.elsewhere[is_open]
    absent = open_[~present]
    absent = absent[_covered(absent, evidence, period, {p.name for p in config.team})]
    free = entries[entries[E.billable] & entries[E.date].notna() & ~on_ledger]
    # still in the exports, but said to have changed: a newer export of its source lacks it, a new
    # entry starts where it started (a start time belongs to one entry), or one in another file is
    # alike on its person's day (checks.near_repeat) — gone if something could be its edited version,
    # else it stands
    slots = free[E.slot]
    changed = open_["slot"].isin(slots[slots.str.startswith("t:")]).to_numpy(dtype=bool, copy=True)
    if evidence.lacking:
        changed |= open_["entry_id"].isin(evidence.lacking).to_numpy(dtype=bool)
    near = np.flatnonzero(present & open_["day"].isin(free[E.date]).to_numpy(dtype=bool))  # free's days: no other
    alike = open_.iloc[near]  # row can pair (and a year's billed entries are not copied)
    changed[near] |= alike["entry_id"].isin(_repeated_elsewhere(alike, free)).to_numpy(dtype=bool)
    doubted = open_[present & changed]
    suspects = pd.concat([absent, doubted])
    held = _candidates(suspects, free, config)
    inside = period.holds(absent["day"])
    # those of the period, and any that holds back an entry of it
    gone = _gone(pd.concat([absent[inside], suspects[suspects["entry_id"].isin(held["entry_id"])]]), doubted)
    pairs = _pairs(gone, entries, held)
    return Reconciliation(gone, pairs, held, _problems(gone, pairs, held, entries, period), ids)


def _gone(gone: pd.DataFrame, doubted: pd.DataFrame) -> pd.DataFrame:
    gone = gone.drop_duplicates("entry_id").reset_index(drop=True)
    return gone.assign(present=gone["entry_id"].isin(doubted["entry_id"]))  # still in an (older) export


def _repeated_elsewhere(billed: pd.DataFrame, free: pd.DataFrame) -> set[str]:
    """Ids of billed entries that an unbilled entry of another file repeats on the same person's
    day — with the same client, job and hours, or the same words: an edited re-export beside the
    one that was billed, as checks.near_repeat warns (both would count)."""
    free = free[free[E.date].isin(billed["day"])]  # the billed entries' days: no other row can pair
    billed = billed[billed["day"].isin(free[E.date])]  # nor another billed entry (a year's, most of the time)
    mine = billed.assign(file=billed["source"].str.rsplit(":", n=1).str[0], words=normalised(billed["description"]))
    theirs = free.assign(who=free[E.person_name], on=free[E.date], words=normalised(free[E.description]))
    pairs = mine.merge(theirs, left_on=["who", "day"], right_on=["who", "on"], suffixes=("", "_now"))
    alike = ((pairs["client_key"].eq(pairs[f"{E.client_key}_now"]) & pairs["job_key"].eq(pairs[f"{E.job_key}_now"])
              & pairs["duration_s"].eq(pairs[f"{E.duration_s}_now"]).fillna(False))
             | (pairs["words"].eq(pairs["words_now"]) & pairs["words"].ne("")))
    return set(pairs.loc[alike & pairs["file"].ne(pairs[E.source_file]), "entry_id"])


def _covered(billed: pd.DataFrame, evidence: Evidence, period: Period, team: set[str]) -> pd.Series:
    """Per billed entry: whether the exports would hold it if it were unchanged — it is of the
    period (whose exports are read), or it came from a timesheet that is still read, or from one
    beside an export holding its person's entries (anyone's, for a person no longer in the team by
    that name) that spans its day. Not so an entry of an earlier month whose exports were archived,
    nor a meeting of another period (a calendar is read for the period only), nor one billed before
    the ledger kept where an entry came from."""
    inside = period.holds(billed["day"])
    file = billed["source"].str.rsplit(":", n=1).str[0]
    timesheet = (file.notna() & ~file.str.endswith(".ics").fillna(True).astype(bool)).astype(bool)
    own = timesheet & file.isin(evidence.files)
    covered = evidence.covered
    person = billed["who"].where(billed["who"].isin(team), ANYONE)
    spans = billed[["day"]].assign(person=person).reset_index().merge(
        pd.concat([covered, covered.assign(person=ANYONE).drop_duplicates()]), on="person")
    spanned = billed.index.isin(spans.loc[(spans["first"] <= spans["day"]) & (spans["day"] <= spans["last"]), "index"])
    return inside | own | (timesheet & spanned)


def _candidates(missing: pd.DataFrame, free: pd.DataFrame, config: Config) -> pd.DataFrame:
    """(gone entry_id, index of a billable, unbilled entry that could be its edited version)."""
    if missing.empty or free.empty:
        return _no_candidates()
    free = pd.DataFrame({"index": free.index, "slot": free[E.slot], "who": free[E.person_name], "on": free[E.date],
                         "client_key": free[E.client_key], "logged": free[E.duration_s],
                         "rounded": billed_seconds(free, config), "words": normalised(free[E.description])})
    gone = missing.rename(columns={"day": "on"}).assign(logged=missing["duration_s"],
                                                        words=normalised(missing["description"]))
    legacy = gone[gone["duration_s"].isna()]  # billed before the ledger kept the time logged: its rounded hours
    found = [
        gone[["entry_id", "slot"]].merge(free[["slot", "index"]], on="slot"),
        gone[["entry_id", "who", "on"]].merge(free[["who", "on", "index"]], on=["who", "on"]),
        gone[["entry_id", "who", "client_key", "logged"]].dropna().merge(
            free[["who", "client_key", "logged", "index"]].dropna(), on=["who", "client_key", "logged"]),
        # moved to another day and client at once: the same person, words and hours
        gone.loc[gone["words"].ne(""), ["entry_id", "who", "words", "logged"]].dropna().merge(
            free.loc[free["words"].ne(""), ["who", "words", "logged", "index"]].dropna(),
            on=["who", "words", "logged"]),
    ]
    for billed_as in ("billed_s", "written_down_from"):
        found.append(legacy[["entry_id", "who", "client_key", billed_as]].dropna().astype({billed_as: "int64"})
                     .merge(free[["who", "client_key", "rounded", "index"]].dropna().astype({"rounded": "int64"}),
                            left_on=["who", "client_key", billed_as], right_on=["who", "client_key", "rounded"]))
    return pd.concat([f[["entry_id", "index"]] for f in found], ignore_index=True).drop_duplicates()


def _no_candidates() -> pd.DataFrame:
    return pd.DataFrame({"entry_id": pd.Series(dtype=str), "index": pd.Series(dtype="int64")})


def _pairs(gone: pd.DataFrame, entries: pd.DataFrame, held: pd.DataFrame) -> pd.DataFrame:
    """Each gone entry with its most likely edited version, each entry used once: the same slot
    first, then the same day, client, job and hours, the closest words, the nearest day."""
    held = held[held["entry_id"].isin(gone["entry_id"])]
    by_id = gone.set_index("entry_id")
    scored = []
    for gone_id, index in held.itertuples(index=False):
        b, e = by_id.loc[gone_id], entries.loc[index]
        same = [_same(e[mine], b[theirs]) for mine, theirs in ((E.slot, "slot"), (E.date, "day"), (E.client_key,
                "client_key"), (E.job_key, "job_key"), (E.duration_s, "duration_s"))]
        scored.append(((*same, difflib.SequenceMatcher(None, e[E.description], b["description"]).ratio(),
                        -abs((e[E.date] - b["day"]).days)), gone_id, index))
    scored.sort(key=lambda s: (tuple(-float(x) for x in s[0]), s[1], s[2]))
    used: set[object] = set()  # gone ids and entries' index labels, each paired once
    pairs = []
    for _, gone_id, index in scored:
        if gone_id not in used and index not in used:
            used.update((gone_id, index))
            pairs.append((gone_id, index))
    return _pair_frame(pairs)


def _pair_frame(pairs: list[tuple[str, object]]) -> pd.DataFrame:
    return pd.DataFrame(pairs, columns=["entry_id", "index"]).astype({"entry_id": str, "index": "int64"})


def deleted(gone: pd.DataFrame, pairs: pd.DataFrame) -> pd.Series:
    """The gone entries with no edited version that are in no export any more."""
    return ~gone["entry_id"].isin(pairs["entry_id"]) & ~gone["present"]


def _same(a: object, b: object) -> bool:
    return bool(pd.notna(a) and pd.notna(b) and a == b)


def _problems(gone: pd.DataFrame, pairs: pd.DataFrame, held: pd.DataFrame, entries: pd.DataFrame,
              period: Period) -> list[Problem]:
    by_id = gone.set_index("entry_id")
    accept = f"`auftakt-batch accept --period {period.label}`"
    problems = []
    edited = entries.loc[pairs["index"]].assign(gone_id=pairs["entry_id"].to_numpy())
    for (file, gone_id), group in edited.groupby([E.source_file, "gone_id"], sort=True):
        b, e = by_id.loc[gone_id], group.iloc[0]
        was, now = billed_as(b), exported_as(e)
        problems.append(Problem(Source(file, int(e[E.source_row])), "changed-since-billed", Severity.ERROR, (
            f"changed since billed on invoice {b['number']} ({_changes(was, now)}): invoiced {shown(was)}, now "
            f"{shown(now)} — restore it as invoiced, or cancel the invoice (`auftakt-batch void {b['number']} "
            f"--reason ...`) and bill again, or keep the invoice as it is with {accept} (this entry is then never "
            "billed)")))
    others = held[held["entry_id"].isin(gone["entry_id"]) & ~held["index"].isin(pairs["index"])]
    others = entries.loc[others["index"].unique()].assign(
        gone_id=others.drop_duplicates("index")["entry_id"].to_numpy())
    for (file, gone_id), group in others.groupby([E.source_file, "gone_id"], sort=True):
        b = by_id.loc[gone_id]
        rows = tuple(sorted(int(r) for r in group[E.source_row]))
        problems.append(Problem(Source(file, rows[0]), "maybe-changed-since-billed", Severity.ERROR, (
            f"{plural(len(rows), 'entry', 'entries')} held back: could be the edited version of an entry billed on "
            f"invoice {b['number']} that is no longer in the exports ({shown(billed_as(b))}) — settle that entry "
            f"first (restore it, void {b['number']}, or {accept}: then these are billed as new work)"),
            rows if len(rows) > 1 else ()))
    for number, group in gone[deleted(gone, pairs)].groupby("number", sort=True):
        listed = "; ".join(f"{shown(billed_as(b))}{_from(b)}" for _, b in group.head(3).iterrows())
        more = "; …" if len(group) > 3 else ""
        it = "it" if len(group) == 1 else "them"
        problems.append(Problem(Source(LEDGER), "billed-entry-gone", Severity.ERROR, (
            f"invoice {number} billed {plural(len(group), 'entry', 'entries')} no longer in the exports: {listed}"
            f"{more} — deleted or edited in the tracker after billing; restore {it}, or cancel the invoice with "
            f"`auftakt-batch void {number} --reason ...` and bill again, or {accept} to record {it} as deleted "
            "(the invoice stays as it is)"), client=group["client_key"].iloc[0]))
    return problems


FIELDS = ("day", "start", "person", "client", "job", "hours", "words")


def billed_as(b: pd.Series) -> dict:
    """A billed entry's fields as the ledger keeps them (the time logged where it kept that)."""
    start = b["start"][11:16] if isinstance(b["start"], str) else None
    logged = b["duration_s"] if pd.notna(b["duration_s"]) else None
    return {"day": f"{b['day']:%Y-%m-%d}", "start": start, "person": b["person"], "client": b["client_key"],
            "job": b["job_key"], "hours": hm(logged if logged is not None else b["billed_s"]),
            "words": b["description"], "legacy": logged is None}


def exported_as(e: pd.Series) -> dict:
    start = f"{e[E.local_start]:%H:%M}" if pd.notna(e[E.local_start]) else None
    return {"day": f"{e[E.date]:%Y-%m-%d}", "start": start, "person": _known(e[E.person_name], e[E.person]),
            "client": _known(e[E.client_key], e[E.client]), "job": _known(e[E.job_key], e[E.job]),
            "hours": hm(e[E.duration_s]) if pd.notna(e[E.duration_s]) else "no", "words": e[E.description]}


def _known(key: Any, typed: str) -> str:  # key: a cell, NA where rates.yaml does not know the name
    """A name as rates.yaml knows it, else as it was typed."""
    return key if pd.notna(key) else typed


def _changes(was: dict, now: dict) -> str:
    """What differs, in words: 'its start and hours'; a renamed person or key is named as a cause."""
    differ = [f for f in FIELDS if was[f] != now[f] and not (f == "start" and was[f] is None)
              and not (f == "hours" and was["legacy"])]
    if not differ:
        return "its task, or how an earlier version fingerprinted it"
    text = "its " + " and ".join(", ".join(differ).rsplit(", ", 1))
    renamed = {"person", "client", "job"} & set(differ)
    return text + (" — renaming one in rates.yaml does this too" if renamed else "")


def shown(fields: dict) -> str:
    start = f" {fields['start']}" if fields["start"] else ""
    job = f"/{fields['job']}" if fields["job"] else ""
    return f"{fields['day']}{start} {fields['person']} {fields['client']}{job} {fields['hours']} h {fields['words']!r}"


def _from(b: pd.Series) -> str:
    return f" from {b['source']}" if isinstance(b["source"], str) else ""
