"""Names resolved and entries fingerprinted, kept per export (check/identities.py): a run that reads
them back finds, reports and bills exactly what one that computes them does — whatever period was
checked before, whatever is edited in the exports or in rates.yaml's names, whatever is wrong with
the cache."""

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auftakt_batch import pipeline
from auftakt_batch.check import digests, identities, reconcile
from auftakt_batch.config import load_config
from auftakt_batch.ingest import cache as ingest_cache
from auftakt_batch.periods import parse_period
from auftakt_batch.reports import figures_for
from auftakt_batch.schemas import Entries as E

from .conftest import RATES, TODAY, Workspace, edited, examples
from .test_ingest_cache import outputs, workspace

NOVEMBER, OCTOBER, AUTUMN = parse_period("2026-11"), parse_period("2026-10"), parse_period("2026-10-01..2026-11-30")
NATIVE = "date,person,client,job,task,description,hours,billable\n"
PEOPLE = ["Anna Schmidt", "A. Schmidt", "Ben Okafor", "ben@studio.example", "Carla Nobody"]
JOBS = [("ACME GmbH", "Website Relaunch 2026"), ("ACME", "internal"), ("Globex Corporation", "app"), ("", "app"),
        ("Initech", "x")]
NAMES = [RATES, edited(RATES, '["A. Schmidt"]', '["A. Schmidt", "Carla Nobody"]'),
         edited(RATES, "      internal:\n        billable: false", "      internal:\n        billable: true")]


@pytest.fixture(autouse=True)
def keep_every_export(monkeypatch):
    """Every export is kept, however small (the tests' exports have a few rows)."""
    monkeypatch.setattr(identities, "KEEP_ROWS", 0)


def native(rows: list[tuple[int, int, int, int, int]]) -> str:
    """A native export: (month 10 or 11, day, person, job, quarter hours) per row; equal rows are repeats."""
    lines = [f"2026-{month}-{day:02d},{PEOPLE[who]},{JOBS[job][0]},{JOBS[job][1]},,Work {day},{quarters / 4},yes\n"
             for month, day, who, job, quarters in rows]
    return NATIVE + "".join(lines)


rows = st.lists(st.tuples(st.sampled_from([10, 11]), st.integers(1, 4), st.integers(0, len(PEOPLE) - 1),
                          st.integers(0, len(JOBS) - 1), st.integers(1, 8)), min_size=1, max_size=8)
states = st.tuples(st.dictionaries(st.sampled_from(["a", "b", "c"]), rows, min_size=1), st.integers(0, len(NAMES) - 1),
                   st.sampled_from([NOVEMBER, OCTOBER, AUTUMN]))


def write(ws: Workspace, exports: dict[str, list], names: int, step: int) -> None:
    shutil.rmtree(ws.root / "input", ignore_errors=True)
    for n, (name, export) in enumerate(sorted(exports.items())):
        path = ws.input(f"{name}.csv", native(export))
        os.utime(path, (1_790_000_000 + step * 100 + n,) * 2)
    ws.rates(NAMES[names])


def kept(ws: Workspace) -> list[Path]:
    folder = ws.root / identities.FOLDER
    return sorted(folder.glob("*.npz")) if folder.is_dir() else []


def checked(ws: Workspace, period=NOVEMBER) -> tuple[pd.DataFrame, pd.DataFrame | None, tuple]:
    """A check's entries, the earlier months' check's entries, and its problems."""
    run = pipeline.check(ws.root, period, TODAY)
    before = pipeline.check_before(run, TODAY)
    return run.entries, None if before is None else before.entries, run.problems


@settings(max_examples=examples(8), deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(st.lists(states, min_size=2, max_size=4))
def test_kept_identities_give_what_computing_them_gives_across_edits_and_periods(tmp_path_factory, steps):
    warm, cold = workspace(tmp_path_factory.mktemp("warm")), workspace(tmp_path_factory.mktemp("cold"))
    for step, (exports, names, period) in enumerate(steps):
        for ws in (warm, cold):
            write(ws, exports, names, step)
        warm_run = checked(warm, period)  # fills the cache for the period, then for the months before it
        shutil.rmtree(cold.root / "output" / ".cache", ignore_errors=True)
        with pytest.MonkeyPatch.context() as chunked:
            chunked.setattr(identities, "CHUNK_ROWS", 1)  # cold, each export worked out on its own
            cold_run = checked(cold, period)
        for mine, theirs in zip(warm_run[:2], cold_run[:2]):
            if theirs is None:
                assert mine is None
            else:
                pd.testing.assert_frame_equal(mine, theirs)
        assert warm_run[2] == cold_run[2]
        # an entry for each export with rows up to the period's end (and any other kept before, unchanged);
        # those of deleted or edited exports pruned
        needed = {name for name, export in exports.items() if any(month <= period.end.month for month, *_ in export)}
        keys = {f.path: f.key for f in pipeline.check(warm.root, period, TODAY).files}
        assert {keys[f"input/{name}.csv"] for name in needed} <= {p.stem for p in kept(warm)} <= set(keys.values())


def test_cold_rows_are_worked_out_in_chunks_of_whole_days_of_an_export():
    exports = [np.arange(0, 3), np.arange(3, 5), np.arange(5, 6), np.arange(6, 8), np.arange(8, 12)]
    chunks = identities._chunks(exports, _dated([1] * 20), 5)  # small exports are never split, and fill a chunk
    assert [c.tolist() for c in chunks] == [list(range(0, 5)), list(range(5, 12))]
    # a big export is cut between days: a day's rows (the undated ones: one day) stay together
    day = np.array([3, 1, 3, 2, 1, 0, 2, 0, 1, 3, 2, 1])
    pieces = identities._chunks([np.arange(12)], _dated(day), 5)
    assert sorted(np.concatenate(pieces).tolist()) == list(range(12)) and len(pieces) > 1
    assert all(list(p) == sorted(p) for p in pieces)
    assert all(len({piece for piece, p in enumerate(pieces) if set(p) & set(np.flatnonzero(day == d))}) == 1
               for d in set(day))


def test_cold_rows_worked_out_on_every_core_are_those_worked_out_here(tmp_path, monkeypatch):
    """Enough cold rows are worked out by workers forked from the run, a chunk each at a time: the
    same columns as worked out in this process, chunk after chunk."""
    pools: list = []
    real = identities.forked_pool
    monkeypatch.setattr(identities, "forked_pool", lambda workers: pools.append(real(workers)) or pools[-1])
    monkeypatch.setattr(identities, "CHUNK_ROWS", 2)
    year = {"a": [(10, 1, 0, 0, 4), (10, 1, 0, 0, 4), (10, 2, 2, 2, 8), (11, 2, 1, 1, 2), (11, 3, 3, 3, 6)],
            "b": [(10, 1, 0, 0, 4), (11, 2, 4, 4, 1), (11, 4, 2, 2, 8), (11, 4, 2, 2, 8)]}
    runs = []
    for every_core in (False, True):
        monkeypatch.setattr(identities, "PARALLEL_ROWS", 0 if every_core else 10**9)
        ws = workspace(tmp_path / f"cores-{every_core}")
        write(ws, year, 1, 0)
        runs.append(checked(ws, AUTUMN))
    assert pools and None not in pools  # the second run forked its workers
    alone, together = runs
    pd.testing.assert_frame_equal(alone[0], together[0])
    assert alone[2] == together[2]


def _dated(days) -> pd.DataFrame:
    """Raw rows on these days of November, untimed (0: undated)."""
    date = pd.Series([pd.Timestamp(2026, 11, d) if d else pd.NaT for d in days], dtype="datetime64[us]")
    return pd.DataFrame({"local_start": pd.Series(pd.NaT, index=date.index, dtype="datetime64[us]"), "date": date})


def test_a_month_keeps_its_rows_and_the_report_the_months_before(ws, monkeypatch):
    (ws.root / "output").mkdir()
    ws.input("year.csv", native([(10, 1, 0, 0, 4), (10, 2, 2, 2, 8), (11, 2, 0, 0, 2), (11, 3, 2, 2, 6)]))
    ws.cli("check", "--period", "2026-11")
    [entry] = kept(ws)
    assert known_rows(ws, entry) == [False, False, True, True]
    log = ws.root / "computed.log"  # the report checks the months before in a forked process: counted in a file
    real = identities._computed

    def counted(raw, config):
        with log.open("a") as out:
            out.write(f"{len(raw)}\n")
        return real(raw, config)

    def computed() -> list[int]:
        return [int(n) for n in log.read_text().split()] if log.exists() else []
    monkeypatch.setattr(identities, "_computed", counted)
    ws.cli("report", "--period", "2026-11")
    assert computed() == [2]  # the November rows came from the cache; October's were computed, once
    assert known_rows(ws, entry) == [True, True, True, True]
    ws.cli("report", "--period", "2026-11")
    assert computed() == [2]  # nothing computed again


def known_rows(ws: Workspace, entry: Path) -> list[bool]:
    names = identities.names_key(load_config(ws.root / "rates.yaml")[0])
    found = identities._load(entry.parent, identities._Export(entry.stem, 0, 4), names)
    assert found is not None
    return [row in set(found.rows.tolist()) for row in range(4)]


@pytest.mark.parametrize("spoil", ["garbage", "truncated", "other names", "pickle"])
def test_a_spoilt_entry_is_done_again_and_changes_nothing(ws, spoil):
    (ws.root / "output").mkdir()
    ws.input("a.csv", native([(11, 1, 0, 0, 4), (11, 1, 0, 0, 4), (11, 2, 3, 2, 8), (11, 3, 4, 3, 2)]))
    before = checked(ws)
    [entry] = kept(ws)
    if spoil == "garbage":
        entry.write_bytes(b"not a cache entry")
    elif spoil == "truncated":
        entry.write_bytes(entry.read_bytes()[:200])
    elif spoil == "other names":
        ws.rates(NAMES[1])
        checked(ws)  # kept for the other names now
        ws.rates(RATES)
    else:
        np.savez(entry, **{identities._META: np.array([{"format": 1}], dtype=object)})
    again = checked(ws)
    pd.testing.assert_frame_equal(again[0], before[0])
    assert again[2] == before[2]


def test_a_new_alias_resolves_the_kept_rows_again(ws):
    (ws.root / "output").mkdir()
    ws.input("a.csv", native([(11, 1, 4, 0, 4)]))  # Carla Nobody: not in the team
    assert checked(ws)[0]["person_name"].isna().all()
    ws.rates(NAMES[1])  # now an alias of Anna's
    assert checked(ws)[0]["person_name"].tolist() == ["Anna Schmidt"]


def test_without_an_output_folder_nothing_is_kept(ws):
    ws.input("a.csv", native([(11, 1, 0, 0, 4)]))
    checked(ws)
    assert not (ws.root / "output").exists()


def test_small_exports_are_not_kept(ws, monkeypatch):
    monkeypatch.setattr(identities, "KEEP_ROWS", 1)
    (ws.root / "output").mkdir()
    ws.input("one.csv", native([(11, 1, 0, 0, 4)]))
    ws.input("two.csv", native([(11, 1, 0, 0, 4), (11, 2, 0, 0, 4)]))
    checked(ws)
    assert [p.stem for p in kept(ws)] == [ingest_key(ws, "input/two.csv")]


def ingest_key(ws: Workspace, label: str) -> str:
    run = pipeline.check(ws.root, NOVEMBER, TODAY)
    return next(f.key for f in run.files if f.path == label)


def test_warm_and_cold_billing_runs_agree_with_kept_identities(tmp_path_factory):
    warm, cold = workspace(tmp_path_factory.mktemp("warm")), workspace(tmp_path_factory.mktemp("cold"))
    exports = {"a": [(10, 1, 0, 0, 4), (11, 2, 0, 0, 2), (11, 2, 0, 0, 2)], "b": [(11, 3, 2, 2, 6), (10, 3, 3, 3, 1)]}
    for ws in (warm, cold):
        write(ws, exports, 0, 0)
    checked(warm, AUTUMN)
    shutil.rmtree(cold.root / ingest_cache.FOLDER.parent, ignore_errors=True)
    assert outputs(warm) == outputs(cold)
    assert figures_for(*_run_and_before(warm)).entries.equals(figures_for(*_run_and_before(cold)).entries)


def _run_and_before(ws: Workspace):
    run = pipeline.check(ws.root, NOVEMBER, TODAY)
    return run, pipeline.check_before(run, TODAY), TODAY


@settings(max_examples=examples(50), deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["t:", "d:"]), st.binary(min_size=10, max_size=10)), max_size=20))
def test_fingerprints_are_kept_as_their_bytes_and_come_back_as_they_were(made):
    slots = pd.Series([head + digest.hex() for head, digest in made], dtype="str")
    kept = identities._digests_out(slots, 2)
    assert kept is not None and len(kept["digest"]) == 10 * len(made)
    back = identities._digests_in({f"slot.{k}": v for k, v in kept.items()}, "slot", 2, len(made), "str")
    assert list(back) == slots.tolist() and str(back.dtype) == "str"


@pytest.mark.parametrize("odd", ["ABCDEF0123456789ABCD", "abcdef0123456789abc", "abcdef0123456789abc ", "äbcdef0123456789abcd"])
def test_a_fingerprint_not_as_identity_makes_it_is_kept_as_text(odd):
    assert identities._digests_out(pd.Series(["0" * 20, odd], dtype="str"), 0) is None


def test_billed_entries_outside_the_period_are_looked_for_as_kept(ws, monkeypatch):
    """A year billed month by month: each check looks for the billed entries in the months outside its
    period (a billed entry may move). Their fingerprints come from the kept identities, not worked out
    again on every run — and find what computing them finds, an edit after billing included."""
    from auftakt_batch import billing

    ws.with_templates()
    (ws.root / "output").mkdir(exist_ok=True)
    october = [(10, 1, 0, 0, 4), (10, 2, 2, 2, 8), (10, 3, 2, 2, 6)]
    ws.input("year.csv", native([*october, (11, 2, 0, 0, 2), (11, 3, 2, 2, 6)]))
    assert billing.bill(ws.root, OCTOBER, today=TODAY).issued
    computed: list[int] = []
    real = identities._computed
    monkeypatch.setattr(identities, "_computed", lambda raw, config: computed.append(len(raw)) or real(raw, config))
    with pytest.MonkeyPatch.context() as never:
        never.setattr(reconcile, "identify", lambda *_: pytest.fail("October fingerprinted again"))
        run = pipeline.check(ws.root, NOVEMBER, TODAY)
    assert computed == [2] and run.reconciliation.gone.empty  # November's rows; October's as kept, all there
    ws.input("year.csv", native([*october[:2], (10, 3, 2, 2, 7), (11, 2, 0, 0, 2), (11, 3, 2, 2, 6)]))
    warm = pipeline.check(ws.root, NOVEMBER, TODAY)  # one October entry edited after billing: gone
    shutil.rmtree(ws.root / identities.FOLDER)
    monkeypatch.setattr(identities, "_computed", real)
    cold = pipeline.check(ws.root, NOVEMBER, TODAY)
    assert len(warm.reconciliation.gone) == 1 and warm.problems == cold.problems
    pd.testing.assert_frame_equal(warm.reconciliation.gone, cold.reconciliation.gone)


def test_a_fingerprinting_worker_killed_leaves_its_rows_to_the_run(tmp_path, monkeypatch):
    monkeypatch.setattr(identities, "PARALLEL_ROWS", 0)
    ws = workspace(tmp_path / "ws")
    write(ws, {"a": [(11, 2, 0, 0, 4), (11, 3, 2, 2, 8)], "b": [(11, 2, 1, 1, 2), (11, 4, 3, 3, 6)]}, 1, 0)
    whole = checked(ws, NOVEMBER)
    shutil.rmtree(ws.root / "output" / ".cache")
    monkeypatch.setattr(identities, "_forked_columns", killed)
    pools: list = []
    real = identities.forked_pool
    monkeypatch.setattr(identities, "forked_pool", lambda workers: pools.append(real(workers)) or pools[-1])
    pd.testing.assert_frame_equal(checked(ws, NOVEMBER)[0], whole[0])
    assert pools and None not in pools  # its workers were forked, and killed


def killed(*args) -> None:
    """A worker's task that ends its process, as the OOM killer would (module-level: a pool pickles it by name)."""
    os._exit(1)


_ID = st.text(alphabet="0123456789abcdef", min_size=20, max_size=20)
_NOT_AN_ID = st.text(alphabet="0123456789abcdefABü \n", min_size=19, max_size=21)


@settings(max_examples=examples(300))
@given(st.sampled_from([(identities.E.entry_id, 0), (identities.E.slot, 2)]),
       st.lists(st.one_of(_ID, _NOT_AN_ID), max_size=12), st.integers(1, 4))
def test_ids_are_kept_as_their_bytes_exactly_or_as_text(column, values, block):
    """An id column is kept as its digests' bytes only where every value is a prefix and twenty
    lower-case hex digits, and reads back as it was, whatever block the values are turned in."""
    name, prefix = column
    texts = [("t:" if prefix else "") + v for v in values]
    series = pd.Series(texts, dtype="str")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(digests, "LINES_AT_ONCE", block)
        kept = identities._digests_out(series, prefix)
    exact = all(len(v) == 20 and set(v) <= set("0123456789abcdef") for v in values)
    assert (kept is not None) == exact
    if kept is not None:
        stored = {f"{name}.{part}": array for part, array in kept.items()}
        assert list(identities._digests_in(stored, name, prefix, len(texts), "str")) == texts


@settings(max_examples=examples(30), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.sampled_from(["Anna Schmidt", "ben okafor", "A. Schmidt", "Nobody", None]),
                               st.sampled_from(["anna@studio.example", "BEN@studio.example", "x@y.example", None])),
                     min_size=1, max_size=12), start=st.integers(0, 5))
def test_a_person_is_found_by_name_else_by_email(tmp_path_factory, rows, start):
    """person_names: by the name, else — only where the name is no one's — by the email: as a
    lookup of every row's email would find them, whatever the rows' index."""
    from auftakt_batch.check.resolve import person_names

    root = tmp_path_factory.mktemp("people")
    (root / "rates.yaml").write_text(RATES)
    config, _ = load_config(root / "rates.yaml")
    raw = pd.DataFrame({"person": [r[0] for r in rows], "email": [r[1] for r in rows], "source_format": "csv"},
                       index=range(start, start + 2 * len(rows), 2)).astype("str")
    people = {"anna schmidt": "Anna Schmidt", "ben okafor": "Ben Okafor", "a. schmidt": "Anna Schmidt",
              "anna@studio.example": "Anna Schmidt",
              "ben@studio.example": "Ben Okafor"}
    expected = [people.get((name or "").lower()) or people.get((email or "").lower()) for name, email in rows]
    found = person_names(raw, config)
    assert found.index.equals(raw.index) and [None if pd.isna(v) else v for v in found] == expected


def test_ids_are_read_alone_from_the_cache_as_computing_them_gives_and_never_trusted_damaged(tmp_path, monkeypatch):
    """`fingerprints` (the reconciliation's ids of the rows outside the period) reads the ids of rows the
    cache keeps alone — no other column, no text — and they are the digests computing them gives.
    Where the cache lacks a row, or its ids are damaged, they come from `identified`: the same."""
    ws = workspace(tmp_path / "ws")
    write(ws, {"a": [(10, 1, 0, 0, 4), (10, 2, 2, 2, 8), (11, 2, 0, 0, 2)],
               "b": [(10, 3, 1, 1, 2), (10, 3, 1, 1, 2), (11, 4, 3, 3, 6)]}, 0, 0)
    run = pipeline.check(ws.root, OCTOBER, TODAY)  # keeps October's rows
    everything, config = run.ingested.entries, run.config
    october = everything[everything[E.date].dt.month.eq(10)]
    computed = digests.as_bytes(identities._computed(everything, config)[E.entry_id].tolist())[0]
    fingerprints = identities.fingerprints(run.ingested, config, ws.root)
    with monkeypatch.context() as alone:
        alone.setattr(identities, "identified", lambda *_: pytest.fail("read as a frame of every column"))
        digest, fits = fingerprints(october)
    assert fits.all() and (digest == computed[october.index]).all()
    assert (fingerprints(everything)[0] == computed).all()  # November's rows are not kept: worked out (and kept)
    identities.written()  # by a process of its own: before the files are damaged, not after
    assert kept(ws)
    for path in kept(ws):  # each export's kept ids cut short by a byte: damaged
        with np.load(path, allow_pickle=False) as file:
            stored = {name: file[name] for name in file.files}
        stored[f"{E.entry_id}.digest"] = stored[f"{E.entry_id}.digest"][:-1]
        np.savez(path, allow_pickle=False, **stored)
    framed: list[int] = []
    real = identities.identified
    monkeypatch.setattr(identities, "identified", lambda raw, *rest: framed.append(len(raw)) or real(raw, *rest))
    digest, fits = fingerprints(october)
    assert framed == [len(october)] and fits.all() and (digest == computed[october.index]).all()
