"""Overlapping exports: where two exports of one source disagree, the newer one counts.

Weekly exports overlap, and a week is exported again after an edit. Two files are exports of
one source when they share at least one entry (identity.py's `entry_id`): then, for each
person, day and job they both have, if their entries differ — one was edited, added or
removed between the exports — the newer file's entries count and the older file's give way,
with a warning that says what was replaced. Newer: the file whose dates reach further, then
the one modified last. Files that share nothing are different sources (two team sheets, an
export per client) and are never merged; a day the older file has and the newer one, though
covering it, lacks is reported, not dropped: it may have been deleted — or never have been in
the newer export's scope. Except an entry moved: where the newest export holding an entry's
work — its person, day and words (or start and hours), or its person, words and hours on any day
its dates cover — holds it only at another day, client or job, as an entry the older file lacks,
the entry was moved in the tracker and the older version gives way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..names import normalised
from ..problems import Problem, Severity, Source, plural
from ..schemas import Entries as E
from ..schemas import repeated_ids

PLACE = ["who", "day", "whom", "what"]  # a person's day on one job: what two exports may disagree about


@dataclass(frozen=True)
class _Files:
    group: dict[str, int]  # file -> its group of exports of one source
    rank: dict[str, int]  # file -> how new it is (higher is newer)
    reach: dict[str, pd.Timestamp]  # file -> its last day
    start: dict[str, pd.Timestamp]  # file -> its first day


@dataclass(frozen=True)
class Superseded:
    entries: pd.DataFrame  # the entries with the older versions of contested days removed
    lacking: frozenset[str]  # ids only older exports hold, where a newer one covers their person and day
    problems: list[Problem]  # what gave way, and what a newer export lacks


def supersede(entries: pd.DataFrame, modified: dict[str, float]) -> Superseded:
    """Where two exports of one source disagree about a place, the newer one's entries count."""
    files = entries[E.source_file].to_numpy(dtype=object)
    if not len(files) or (files == files[0]).all():  # one export: no other to share an entry with
        return Superseded(entries, frozenset(), [])
    return _superseded(entries, modified)


def _superseded(entries: pd.DataFrame, modified: dict[str, float]) -> Superseded:
    readable = entries[E.date].notna() & entries[E.duration_s].notna()
    files = _files(entries, readable, modified)
    if not files.group:  # no two exports share an entry (a year of monthly exports): nothing to compare
        return Superseded(entries, frozenset(), [])
    comparable = entries[readable]
    e = _places(comparable)
    keyed = e[e[E.source_file].isin(files.group)]
    keyed = keyed.assign(group=keyed[E.source_file].map(files.group), rank=keyed[E.source_file].map(files.rank),
                         hash=pd.util.hash_pandas_object(keyed[E.entry_id], index=False))
    per_file = keyed.groupby(["group", *PLACE, E.source_file, "rank"], sort=False)["hash"].sum().rename("signature")
    per_file = per_file.reset_index()
    newest = per_file.groupby(["group", *PLACE])["rank"].transform("max")
    top = per_file.loc[per_file["rank"].eq(newest), ["group", *PLACE, "signature", E.source_file]]
    top = top.rename(columns={"signature": "winning", E.source_file: "newer"})
    per_file = per_file.merge(top, on=["group", *PLACE])
    losers = per_file[per_file["signature"].ne(per_file["winning"])]
    gone = keyed.merge(losers[[E.source_file, *PLACE, "newer"]], on=[E.source_file, *PLACE])
    moved = pd.concat([_moved(keyed, files, SAME_DAY), _moved(keyed, files, ANY_DAY)]).drop_duplicates("index")
    moved = moved[~moved["index"].isin(gone["index"])]
    dropped = entries.index.isin(gone["index"]) | entries.index.isin(moved["index"])
    elsewhere = _replaced(moved, files, "which has that work on another day or under another client or job")
    return Superseded(entries[~dropped].reset_index(drop=True), _unheld(keyed),
                      _replaced(gone, files) + elsewhere + _missing(keyed, files))


# a piece of work, wherever it is booked: on its day, by its words or (without words) its start and
# hours; or on any day, by its words and hours
SAME_DAY = ["group", "who", "day", "words", "from", "hours"]
ANY_DAY = ["group", "who", "words", "hours"]


def _moved(keyed: pd.DataFrame, files: _Files, work: list[str]) -> pd.DataFrame:
    """The older versions of entries moved to another day, client or job: the newest export holding
    a piece of work (`work`: its columns) lacks it where the older file has it, though its dates
    cover that day, and holds it elsewhere as entries the older file lacks; each such entry takes
    one older one (the newer export says where the work belongs)."""
    w = keyed.assign(words=normalised(keyed[E.description].fillna("")), hours=keyed[E.duration_s],
                     **{"from": keyed[E.local_start]})
    w = w[w["words"].ne("") | (w["from"].notna() if "from" in work else False)]
    newest = w.groupby(work, dropna=False, sort=False)["rank"].transform("max")
    latest, older = w[w["rank"].eq(newest)], w[w["rank"].lt(newest)]
    at = [*work, *(c for c in ("day", "whom", "what") if c not in work)]
    there = older.merge(latest[at].drop_duplicates(), on=at, how="left", indicator=True)
    orphans = there[there["_merge"].eq("left_only")].drop(columns="_merge")
    if orphans.empty:
        return orphans.assign(newer=pd.Series(dtype=str))
    # the newest export's entries of that work the older file lacks: moved there (or new)
    held = set(zip(w[E.source_file], w[E.entry_id]))
    new = orphans[[E.source_file, *work]].drop_duplicates().merge(
        latest[[*work, E.entry_id, E.source_file]].rename(columns={E.source_file: "newer"}), on=work)
    new = _not_held(new, held)
    count = new.groupby([E.source_file, *work, "newer"], dropna=False).size().rename("moved").reset_index()
    orphans = orphans.sort_values(E.source_row).merge(count, on=[E.source_file, *work])
    covered = np.array([files.start[n] <= d <= files.reach[n] for n, d in zip(orphans["newer"], orphans["day"])],
                       dtype=bool)  # an array: a list of no booleans would select no columns
    orphans = orphans[covered]
    nth = orphans.groupby([E.source_file, *work], dropna=False).cumcount()
    return orphans[nth < orphans["moved"]]


def _not_held(new: pd.DataFrame, held: set[tuple[str, str]]) -> pd.DataFrame:
    """The rows of `new` whose (source_file, entry_id) is not `held`: of no rows, no rows (a list
    of no booleans would select no columns)."""
    mask = [(f, i) not in held for f, i in zip(new[E.source_file], new[E.entry_id])]
    return new[pd.Series(mask, index=new.index, dtype=bool)]


def _places(e: pd.DataFrame) -> pd.DataFrame:
    """The (comparable) entries with their place: person, day and client (resolved, else as typed)."""

    def known_else_typed(known: str, typed: str) -> pd.Series:
        return e[known].fillna(normalised(e[typed]))

    return e.assign(who=known_else_typed(E.person_name, E.person), day=e[E.date],
                    whom=known_else_typed(E.client_key, E.client), what=known_else_typed(E.job_key, E.job),
                    index=e.index)


def _files(entries: pd.DataFrame, readable: pd.Series, modified: dict[str, float]) -> _Files:
    """The files whose `readable` entries (dated, with a duration) share one with another file's,
    grouped (transitively), with their newness. Only the rows whose id repeats anywhere are looked
    at: no copy of a year's rows."""
    ids = entries.loc[readable & repeated_ids(entries[E.entry_id]), [E.entry_id, E.source_file]].drop_duplicates()
    ids = ids[ids[E.entry_id].duplicated(keep=False)]  # the ids in more than one file: only those pair files
    pairs = ids.merge(ids, on=E.entry_id)
    pairs = pairs[pairs[f"{E.source_file}_x"] != pairs[f"{E.source_file}_y"]]
    parent: dict[str, str] = {}

    def root(f: str) -> str:
        while parent.setdefault(f, f) != f:
            f = parent[f]
        return f

    for a, b in set(zip(pairs[f"{E.source_file}_x"], pairs[f"{E.source_file}_y"])):
        parent[root(a)] = root(b)
    members = sorted(parent)
    if not members:
        return _Files({}, {}, {}, {})
    span = entries.loc[readable & entries[E.source_file].isin(members), [E.source_file, E.date]] \
        .groupby(E.source_file)[E.date].agg(["min", "max"])
    order = sorted(members, key=lambda f: (span.loc[f, "max"], modified.get(f, 0.0), f))
    roots = {r: i for i, r in enumerate(sorted({root(f) for f in members}))}
    return _Files({f: roots[root(f)] for f in members}, {f: i for i, f in enumerate(order)},
                  span["max"].to_dict(), span["min"].to_dict())


def _replaced(gone: pd.DataFrame, files: _Files, how: str = "which differs there") -> list[Problem]:
    problems = []
    for (file, newer), rows in gone.groupby([E.source_file, "newer"], sort=True):
        places = rows.drop_duplicates(PLACE).sort_values(["day", "who"])
        shown = ", ".join(f"{r.who} on {r.day:%Y-%m-%d}" for r in places.head(3).itertuples())
        more = ", …" if len(places) > 3 else ""
        numbers = tuple(sorted(int(r) for r in rows[E.source_row]))
        problems.append(Problem(Source(file, numbers[0]), "replaced-by-newer", Severity.WARNING, (
            f"{plural(len(numbers), 'entry', 'entries')} on {len(places)} day(s) replaced by the newer "
            f"export {newer} (its dates reach {files.reach[newer]:%Y-%m-%d}), {how}: {shown}{more} — "
            "the newer export counts; remove this file if it is outdated"), numbers if len(numbers) > 1 else ()))
    return problems


def _missing(keyed: pd.DataFrame, files: _Files) -> list[Problem]:
    """Places an older export has that a newer one of the same source covers (its dates, its
    people and clients) but lacks: deleted in the tracker, or outside the newer export's filter."""
    problems = []
    places = keyed[[E.source_file, "group", *PLACE, E.source_row]]
    for _, rows in places.groupby("group"):
        in_group = sorted(rows[E.source_file].unique(), key=files.rank.__getitem__)  # every file of `keyed` is ranked
        for i, older in enumerate(in_group):
            mine = rows[rows[E.source_file].eq(older)]
            for newer in in_group[i + 1:]:
                theirs = rows[rows[E.source_file].eq(newer)]
                covered = (mine["day"].between(files.start[newer], files.reach[newer])
                           & mine["who"].isin(theirs["who"]) & mine["whom"].isin(theirs["whom"])
                           & mine["what"].isin(theirs["what"]))
                hit = mine[covered].merge(theirs[PLACE].drop_duplicates(), on=PLACE, how="left", indicator=True)
                hit = hit[hit["_merge"].eq("left_only")]
                if len(hit):
                    problems.append(_lacking(older, newer, hit))
                    break
    return problems


def _unheld(keyed: pd.DataFrame) -> frozenset[str]:
    """Ids of entries that only older exports hold, where a newer export of the same source covers
    their person and day — whatever client or job it holds (a corrected client is such a case):
    deleted or edited in the tracker since, or left out by the newer export's filter. What is
    billed of them is looked for again (reconcile.py)."""
    span = keyed.groupby(E.source_file)["day"].agg(first="min", last="max")
    people = keyed[[E.source_file, "group", "rank", "who"]].drop_duplicates().join(span, on=E.source_file)
    newest = keyed["rank"].eq(keyed.groupby(E.entry_id)["rank"].transform("max"))
    holders = keyed.loc[newest, [E.entry_id, "group", "rank", "who", "day"]]
    pairs = holders.merge(people, on=["group", "who"], suffixes=("", "_newer"))
    return frozenset(pairs.loc[pairs["rank_newer"].gt(pairs["rank"]) & pairs["day"].between(pairs["first"],
                                                                                           pairs["last"]), E.entry_id])


def _lacking(older: str, newer: str, hit: pd.DataFrame) -> Problem:
    first = hit.sort_values(["day", "who"]).iloc[0]
    numbers = tuple(sorted(int(r) for r in hit[E.source_row]))
    return Problem(Source(older, numbers[0]), "missing-in-newer", Severity.WARNING, (
        f"{plural(len(numbers), 'entry', 'entries')} not in the newer export {newer}, though it covers "
        f"{first.who} on {first.day:%Y-%m-%d} — if they were deleted or moved in the tracker, remove this file; "
        "both files count until then"), numbers if len(numbers) > 1 else ())
