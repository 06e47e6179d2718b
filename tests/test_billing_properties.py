"""Billed at most once, as a property of whole billing runs over overlapping exports.

Hypothesis makes a pool of entries and a sequence of runs; before each run input/ holds a few
exports, each an arbitrary (overlapping) part of the pool — as weekly exports, re-exports and
exports removed after billing are. After every run: no entry is on two live invoices, every
entry the run counted (what the newest exports say, overlaps.py) is on one unless its client
was held back, nothing billed was never seen, the series has no gaps, and running again
changes nothing. PDFs are written as their HTML here: the property is about the ledger, and
rendering is tested on its own.
"""

import hashlib
import shutil
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auftakt_batch import billing, ledger
from auftakt_batch.periods import parse_period

from .conftest import TODAY, Workspace

HEADER = "date,person,client,job,task,description,hours,billable\n"
NOVEMBER = parse_period("2026-11")

entry = st.tuples(st.integers(1, 30), st.sampled_from(["Anna Schmidt", "Ben Okafor"]),
                  st.sampled_from(["ACME,website", "globex,app"]), st.integers(1, 16).map(lambda q: q * 15 * 60))
pools = st.lists(entry, min_size=1, max_size=10)


@st.composite
def scenarios(draw):
    pool = draw(pools)
    # each entry gets its own words, so no two entries sit in one place (see identity.py's slot)
    pool = [(day, person, job, seconds, f"task {i}") for i, (day, person, job, seconds) in enumerate(pool)]
    exports = st.lists(st.sets(st.sampled_from(range(len(pool))), min_size=1), min_size=1, max_size=3)
    runs = draw(st.lists(exports, min_size=1, max_size=4))
    return pool, runs


def fake_pdfs(jobs, done, workers=None, count=None):
    for job in jobs:
        job.target.parent.mkdir(parents=True, exist_ok=True)
        job.target.write_text(job.html)
        done(job, hashlib.sha256(job.html.encode()).hexdigest())


def write_inputs(ws: Workspace, pool, files) -> None:
    shutil.rmtree(ws.root / "input")
    for n, members in enumerate(files):
        rows = [pool[i] for i in sorted(members)]
        ws.input(f"export-{n}.csv", HEADER + "".join(
            f"2026-11-{day:02d},{person},{job},,{words},{seconds // 60 // 60}:{seconds // 60 % 60:02d},\n"
            for day, person, job, seconds, words in rows))


def billed(ws: Workspace) -> list[tuple]:
    conn = ledger.connect(ws.root / "output" / "ledger.sqlite")
    try:
        return sorted(conn.execute("SELECT b.day, b.person, b.description, b.billed_s FROM billed_entries b "
                                   "JOIN invoices i ON i.id = b.invoice_id WHERE b.live = 1 AND i.status = 'issued'"))
    finally:
        conn.close()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_no_sequence_of_runs_over_overlapping_exports_bills_an_entry_twice(tmp_path_factory, scenario):
    pool, runs = scenario
    ws = Workspace(tmp_path_factory.mktemp("ws"))
    ws.with_templates()
    seen: set[int] = set()
    with mock.patch.object(billing, "write_pdfs", fake_pdfs):
        for files in runs:
            write_inputs(ws, pool, files)
            seen |= set().union(*files)
            first = billing.bill(ws.root, NOVEMBER, today=TODAY)
            assert first.stopped is None
            now = billed(ws)
            assert len(now) == len(set(now))  # at most once
            assert set(now) <= {(f"2026-11-{pool[i][0]:02d}", pool[i][1], pool[i][4], pool[i][3]) for i in seen}
            held, _ = first.check.held_back()
            counted = first.check.entries[~first.check.entries["client_key"].isin(held)]
            assert {(f"{d:%Y-%m-%d}", p, w, s) for d, p, w, s in zip(
                counted["date"], counted["person_name"], counted["description"], counted["duration_s"])} <= set(now)
            files_before = {p: p.read_bytes() for p in (ws.root / "output").rglob("*.pdf")}
            again = billing.bill(ws.root, NOVEMBER, today=TODAY)
            assert again.issued == () and billed(ws) == now
            assert {p: p.read_bytes() for p in (ws.root / "output").rglob("*.pdf")} == files_before
    conn = ledger.connect(ws.root / "output" / "ledger.sqlite")
    numbers = [r.number for r in ledger.invoices(conn)]
    conn.close()
    assert numbers == [f"2026-{n:04d}" for n in range(1, len(numbers) + 1)]  # gapless
