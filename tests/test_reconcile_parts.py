"""check/reconcile.py's parts that look across a year's billed entries give what looking at every
one of them gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from auftakt_batch.billing import bill
from auftakt_batch.check import digests, reconcile
from auftakt_batch.names import normalised
from auftakt_batch.periods import parse_period
from auftakt_batch.schemas import Entries as E

from .conftest import TODAY
from .test_billed_once import HEADER, NOVEMBER, WEEK

DAYS = pd.to_datetime(["2026-10-30", "2026-11-02", "2026-11-03"]).astype("datetime64[us]")
WHO, FILES, WORDS = ["anna", "ben"], ["a.csv", "b.csv"], ["", "Design", "design ", "Call"]
row = st.tuples(st.sampled_from(range(len(DAYS))), st.sampled_from(WHO), st.sampled_from(FILES),
                st.sampled_from(WORDS), st.sampled_from(["acme", "globex"]), st.sampled_from(["web", "app"]),
                st.one_of(st.none(), st.sampled_from([1800, 3600])))


def _text(values: list) -> pd.Series:
    return pd.Series(values, dtype="str")


def _billed(rows: list[tuple]) -> pd.DataFrame:
    """The open billed entries as `_reconciled` hands them on: `day` a date, `who` the person now."""
    return pd.DataFrame({
        "entry_id": _text([f"b{n}" for n in range(len(rows))]),
        "day": pd.Series([DAYS[r[0]] for r in rows], dtype="datetime64[us]"), "who": _text([r[1] for r in rows]),
        "source": _text([f"{r[2]}:{n + 2}" for n, r in enumerate(rows)]), "description": _text([r[3] for r in rows]),
        "client_key": _text([r[4] for r in rows]), "job_key": _text([r[5] for r in rows]),
        "duration_s": pd.array([r[6] for r in rows], dtype="Int64")})


def _free(rows: list[tuple]) -> pd.DataFrame:
    """The period's unbilled, dated entries."""
    index = pd.Index([100 + n for n in range(len(rows))])
    return pd.DataFrame({
        E.date: pd.Series([DAYS[r[0]] for r in rows], dtype="datetime64[us]", index=index),
        **{column: pd.Series([r[i] for r in rows], dtype="str", index=index) for column, i in
           ((E.person_name, 1), (E.source_file, 2), (E.description, 3), (E.client_key, 4), (E.job_key, 5))},
        E.duration_s: pd.Series(pd.array([r[6] for r in rows], dtype="Int64"), index=index)})


def _every_pair(billed: pd.DataFrame, free: pd.DataFrame) -> set[str]:
    """The ids `_repeated_elsewhere` names, from every billed entry paired with every unbilled one."""
    found = set()
    for b in billed.itertuples(index=False):
        for f in free.itertuples(index=False):
            same_day = b.who == getattr(f, E.person_name) and b.day == getattr(f, E.date)
            hours = getattr(f, E.duration_s)
            alike = (b.client_key == getattr(f, E.client_key) and b.job_key == getattr(f, E.job_key)
                     and pd.notna(b.duration_s) and pd.notna(hours) and b.duration_s == hours)
            words = normalised(pd.Series([b.description, getattr(f, E.description)]))
            alike = alike or (words[0] == words[1] and words[0] != "")
            if same_day and alike and b.source.rsplit(":", 1)[0] != getattr(f, E.source_file):
                found.add(b.entry_id)
    return found


@given(st.lists(row, max_size=12), st.lists(row, max_size=8))
def test_billed_entries_repeated_elsewhere_are_found_as_by_pairing_each_with_each(billed_rows, free_rows):
    """Only the billed entries on a day an unbilled entry has are looked at (a year's billed entries,
    mostly of other months): the same ids as pairing every billed entry with every unbilled one."""
    billed, free = _billed(billed_rows), _free(free_rows)
    assert reconcile._repeated_elsewhere(billed, free) == _every_pair(billed, free)


@given(st.lists(st.sampled_from(range(len(DAYS))), max_size=10), st.lists(st.sampled_from(range(len(DAYS))), max_size=10),
       st.sets(st.integers(0, 9)), st.sets(st.integers(0, 9)))
def test_billed_entries_found_outside_the_period_are_the_billed_ids_among_those_rows(billed_days, row_days, shared,
                                                                                     odd):
    """The ids of the billed entries that rows read outside the period (within the stretch the
    ledger billed) have: what intersecting the two sets of ids gives; the rows fingerprinted in parts
    of whole exports (an export's rows are read together: its copies on a day are numbered among them).
    A value of the ledger's that is no id (`odd`: no entry's id is) is held by no row, not even by a
    row whose text is the same."""
    ids = [f"{n:020x}" for n in range(len(billed_days))]
    billed = pd.DataFrame({"entry_id": _text([f"E{n}" if n in odd else i for n, i in enumerate(ids)]),
                           "day": _text([str(DAYS[d].date()) for d in billed_days])})
    raw = pd.DataFrame({E.date: pd.Series([DAYS[d] for d in row_days], dtype="datetime64[us]"),
                        "id": _text([(f"E{n}" if n in odd else ids[n]) if n in shared and n < len(ids)
                                     else f"{n + 100:020x}" for n in range(len(row_days))]),
                        E.source_file: _text([f"input/f{n // 3}.csv" for n in range(len(row_days))])})
    november = parse_period("2026-11")
    seen: list[pd.DataFrame] = []

    def fingerprints(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        seen.append(rows)
        digest, _, fits = digests.as_bytes(rows["id"].tolist())
        return digest, fits

    if billed.empty:
        return  # evidence() gathers nothing then
    found = reconcile._billed_elsewhere(raw, november, billed, fingerprints)
    days = pd.to_datetime(billed["day"])
    near = raw[raw[E.date].between(days.min() - pd.Timedelta(days=1), days.max() + pd.Timedelta(days=1))
               & ~november.holds(raw[E.date])]
    assert found.dtype == bool and len(found) == len(billed)  # a mask of the billed entries
    assert set(billed["entry_id"][found]) == set(billed["entry_id"]) & set(near["id"]) - {f"E{n}" for n in odd}
    assert sum(len(rows) for rows in seen) == len(near) and all(len(rows) for rows in seen)
    assert len(seen) <= reconcile.PARTS
    files = [set(rows[E.source_file]) for rows in seen]
    assert all(not a & b for i, a in enumerate(files) for b in files[i + 1:])  # no export in two parts


def _coverage_by_definition(raw: pd.DataFrame, people: pd.Series) -> pd.DataFrame:
    """Each export's first and last day, for every person with a dated entry in it, in order of appearance."""
    dated = raw.assign(person=people)[[E.source_file, "person", E.date]]
    dated = dated[dated[E.date].notna()]
    span = dated.groupby(E.source_file)[E.date].agg(first="min", last="max")
    spans = dated[[E.source_file, "person"]].dropna().drop_duplicates().join(span, on=E.source_file)
    return spans[["person", "first", "last"]].reset_index(drop=True)


@given(st.lists(st.tuples(st.one_of(st.none(), st.sampled_from(range(len(DAYS)))), st.sampled_from(FILES + ["c.ics"]),
                          st.one_of(st.none(), st.sampled_from(WHO))), max_size=20))
def test_each_exports_people_and_days_are_what_grouping_the_rows_gives(rows):
    raw = pd.DataFrame({E.date: pd.Series([None if d is None else DAYS[d] for d, _, _ in rows], dtype="datetime64[us]"),
                        E.source_file: _text([f for _, f, _ in rows])})
    people = pd.Series([w for *_, w in rows], dtype="str")
    real = reconcile.person_names
    reconcile.person_names = lambda frame, config: people
    try:
        found = reconcile._coverage(raw, None)
    finally:
        reconcile.person_names = real
    expected = _coverage_by_definition(raw, people)
    assert found["person"].tolist() == expected["person"].tolist()
    assert found["first"].tolist() == expected["first"].tolist() and found["last"].tolist() == expected["last"].tolist()


def test_the_exports_holding_billed_entries_elsewhere_are_told_row_by_row_past_the_settled_ones(ws):
    """`Evidence.elsewhere` is a mask of the ledger's billed rows; the open ones (`unsettled`) take
    their own rows of it, though a settled one sits between them. Three billed entries of November:
    the middle one accepted as deleted, the other two no longer among the period's entries but held
    by exports of other months. Neither is gone; were the exports not to hold them, both would be."""
    ws.with_templates().input("week.csv", HEADER + WEEK)
    bill(ws.root, NOVEMBER, today=TODAY)
    run = ws.check()
    assert len(run.billed) == 3
    billed = run.billed.assign(gone=[None, "deleted", None])
    first, last = run.billed["entry_id"].iloc[[0, 2]]
    moved = run.entries[~run.entries[E.entry_id].isin([first, last])]  # dated outside the period now

    def gone(elsewhere: list[bool]) -> set[str]:
        found = reconcile.Evidence(np.array(elsewhere), frozenset(), frozenset(), pd.DataFrame(
            columns=["person", "first", "last"]))
        return set(reconcile.reconcile(moved, billed, found, NOVEMBER, run.config).gone["entry_id"])

    assert gone([True, False, True]) == set()
    assert gone([False, False, False]) == {first, last}
    assert gone([True, True, False]) == {last}


@given(gone=st.lists(st.sampled_from([None, "deleted", "edited"]), max_size=8), start=st.integers(0, 3))
def test_the_unsettled_are_the_billed_entries_not_accepted_as_changed(gone, start):
    """`unsettled`: every billed row whose change was not accepted, in order, with its day a date and
    its person as the team now names them — the same frame when none is settled (not a copy of it)."""
    billed = pd.DataFrame({"entry_id": [f"{i:020x}" for i in range(len(gone))],
                           "person": ["A. Schmidt", "Ben"] * (len(gone) // 2) + ["Ben"] * (len(gone) % 2),
                           "day": "2026-11-03", "gone": pd.Series(gone, dtype=object)},
                          ).set_axis(range(start, start + len(gone)))
    config = type("Config", (), {"people": {"A. Schmidt": "Anna Schmidt"}})()
    found = reconcile.unsettled(billed, config)
    kept = [g is None for g in gone]
    assert found.index.tolist() == billed.index[kept].tolist()
    assert found["entry_id"].tolist() == billed["entry_id"][kept].tolist()
    assert found["who"].tolist() == ["Anna Schmidt" if p == "A. Schmidt" else p for p in billed["person"][kept]]
    assert (found["day"] == pd.Timestamp("2026-11-03")).all() and found["day"].dtype.kind == "M"
