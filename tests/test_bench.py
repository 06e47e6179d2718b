"""The benchmark's generator and runner: deterministic workspaces whose hours the tool finds
exactly, and one run of the whole benchmark at a tiny size (marked bench: a minute, so `make
bench` runs it, before the real sizes, and `make test` does not)."""

import hashlib
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from auftakt_batch.periods import parse_period
from auftakt_batch.pipeline import check

from .conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))

import generate  # noqa: E402

TINY = dict(n_people=12, n_clients=16, n_entries=3_000, n_months=2)


def digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_generator_is_deterministic_from_its_seed(tmp_path):
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        generate.write_workspace(tmp_path / name, seed, **TINY)
    a, b, c = (digest(tmp_path / n / "input") for n in "abc")
    assert a == b and a != c
    assert {Path(f).parent.name for f in a} == {"2026-10", "2026-11", "calendars"}
    assert len([f for f in a if f.endswith(".csv")]) == 8  # four formats, two months
    assert len([f for f in a if f.endswith(".ics")]) == 2  # every tenth person


def test_the_tool_finds_every_generated_entry_with_its_hours_and_client(tmp_path):
    generate.write_workspace(tmp_path, 7, **TINY)
    run = check(tmp_path, parse_period(generate.period(TINY["n_months"])), today=date(2026, 11, 30))
    assert run.ok, [str(p) for p in run.problems if p.severity.name == "ERROR"]
    assert {f.format for f in run.files} == {"native", "toggl", "clockify", "harvest"}
    truth = generate.truth(7, TINY["n_people"], TINY["n_clients"], TINY["n_entries"], TINY["n_months"])
    keys = [c[0] for c in generate.clients(TINY["n_clients"])] + [generate.INTERNAL[0]]
    expected = truth.assign(client=[keys[i] for i in truth["client"]]).groupby("client")["seconds"].sum()
    logged = run.entries[run.entries["source_format"].ne("calendar")]
    assert len(logged) == TINY["n_entries"]
    found = logged.groupby("client_key")["duration_s"].sum().astype("int64")
    pd.testing.assert_series_equal(found.sort_index(), expected.sort_index(), check_names=False)


@pytest.mark.bench
def test_one_run_of_the_benchmark_writes_the_table_and_the_json(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--sizes", "tiny", "--runs", "1",
                           "--work", str(tmp_path / "work"), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    tiny = results["sizes"]["tiny"]["median"]
    assert tiny["stages"]["counts"]["entries"] >= TINY["n_entries"] - 1000  # 2,000 entries and the meetings
    assert tiny["stages"]["counts"]["errors"] == 0
    assert tiny["floor"]["rows"] == 2_000 and tiny["single_floor"]["rows"] == 2_000
    assert tiny["bill"]["invoices"] == tiny["weasyprint"]["documents"] > 0
    assert all(tiny[k]["seconds"] > 0 for k in ("floor", "report", "bill", "weasyprint"))
    assert [t["target"] for t in results["targets"]] == ["check on the demo workspace"]
    table = (tmp_path / "out" / "RESULTS.md").read_text()
    assert "| tiny | 4 |" in table and "check --period 2026-11" in table
