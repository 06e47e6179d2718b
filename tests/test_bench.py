"""The benchmark's generator and runner: deterministic workspaces whose hours the tool finds
exactly, and one run of the whole benchmark at a tiny size (marked bench: a minute, so `make
bench` runs it, before the real sizes, and `make test` does not)."""

import functools
import hashlib
import importlib.util
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


@functools.cache
def bench_module():
    """bench/run.py as a module, named bench_run (`run` says little)."""
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
    module = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def results_with(**medians) -> dict:
    """results.json as run.py writes it, with the given medians (a size's or a scenario's) only."""
    sizes = {k: {"median": v} for k, v in medians.items() if not k.startswith("scenario_")}
    scenarios = {k.removeprefix("scenario_").replace("_", "-"): {"median": v, "scale": "full"}
                 for k, v in medians.items() if k.startswith("scenario_")}
    return {"machine": {"cores": 2, "memory_mb": 24_576}, "sizes": sizes, "scenarios": scenarios}


def test_every_target_of_the_issue_has_a_row_and_a_part_not_run_is_not_measured():
    bench = bench_module()
    rows = bench.targets(results_with(scenario_demo={"cold": {"seconds": 2.5}, "warm": {"seconds": 0.8}}))
    assert len(rows) == len(bench.TARGETS) == 17
    measured = {r["target"]: r["met"] for r in rows if r["measured"] is not None}
    assert measured == {"`check` on the demo, whole process, warm": True,
                        "`check` on the demo, whole process, cold": False}
    assert len({r["target"] for r in rows}) == len(rows)  # titles name the Gaps' sections


def test_the_billed_year_is_held_to_the_limits_of_the_report_and_the_bill():
    """The month-end after the months before were billed: its report by the report's limits (time
    and memory), its bill against the 20k month's bill, as the unbilled year's are."""
    bench = bench_module()
    rows = bench.targets(results_with(**{"20k": {"bill": {"seconds": 16.0}}}, scenario_billed_year={
        "report": {"seconds": 9.0, "peak_mb": 1100.0}, "bill": {"seconds": 24.0}}))
    billed = [(r["measured"], r["met"]) for r in rows if r["where"] == "scenario billed-year"]
    assert billed == [(9.0, True), (1100.0, False), (1.5, False)]


def test_the_month_end_target_is_met_by_its_seconds_or_by_its_ratio_to_the_export_alone():
    bench = bench_module()

    def month_end(after: float, alone: float) -> dict:
        rows = bench.targets(results_with(scenario_month_end={"after_export": {"seconds": after},
                                                              "export_alone": {"seconds": alone}}))
        return next(r for r in rows if r["where"] == "scenario month-end")

    assert month_end(2.9, 0.5)["met"] and month_end(5.0, 2.5)["met"]
    assert month_end(5.0, 1.0)["met"] is False and month_end(5.0, 1.0)["times_alone"] == 5.0


def test_a_tiny_scale_scenario_never_counts_for_the_issues_target():
    bench = bench_module()
    results = results_with(scenario_files={"cold": {"seconds": 1.0}, "warm": {"seconds": 1.0}})
    results["scenarios"]["files"]["scale"] = "tiny"
    assert all(r["measured"] is None for r in bench.targets(results))


def test_results_md_lists_each_missed_target_under_gaps_and_keeps_what_was_written_there(tmp_path):
    bench = bench_module()
    results = {**results_with(scenario_demo={"cold": {"seconds": 3.0, "peak_mb": 1}, "warm": {"seconds": 0.5,
                                                                                             "peak_mb": 1}}),
               "date": "d", "commit": "c", "command": "python bench/run.py"}
    results["machine"] |= dict(cpu="cpu", os="os", python="3", pandas="3", weasyprint="70", hledger=None)
    results["scenarios"]["demo"] |= {"runs": 1, "samples": {"cold": [{"seconds": 3.0}], "warm": [{"seconds": 0.5}]}}
    results["targets"] = bench.targets(results)
    first = bench.markdown(results, {})
    cold = "`check` on the demo, whole process, cold"
    assert f"| {cold} | 3.00 s | ≤ 2.00 s | **missed** by 50%: see [Gaps](#gaps) |" in first
    assert f"### {cold}\n\n_Profile to be written" in first and "### `check` on the demo, whole process, warm" \
        not in first
    path = tmp_path / "RESULTS.md"
    path.write_text(first.replace("_Profile to be written (`check --timings`, py-spy)._", "Start-up: imports."))
    assert bench.earlier_gaps(path) == {cold: "Start-up: imports."}
    assert f"### {cold}\n\nStart-up: imports.\n" in bench.markdown(results, bench.earlier_gaps(path))


def test_scale_md_gets_the_fitted_lines_and_keeps_the_prose_around_them(tmp_path):
    bench = bench_module()

    def size(entries: int, seconds: float, mb: float) -> dict:
        measured = {"seconds": seconds, "peak_mb": mb}
        return {"size": {"entries": entries, "people": 100, "clients": 300, "one_file": False}, "files": 40,
                "median": {"cold_check": measured, "check": measured, "report": measured}}

    results = {"machine": {"memory_mb": 24_576}, "scenarios": {},  # 2 s + 1 s and 100 MB + 50 MB per 100k entries
               "sizes": {"200k": size(200_000, 4.0, 200), "1M": size(1_000_000, 12.0, 600)}}
    path = tmp_path / "SCALE.md"
    path.write_text(f"# Scale\n\nProse before.\n\n{bench.BEGIN}\nold numbers\n{bench.END}\n\nProse after.\n")
    bench.write_scale(path, results)
    text = path.read_text()
    assert text.startswith("# Scale\n\nProse before.\n") and text.endswith(f"{bench.END}\n\nProse after.\n")
    assert "old numbers" not in text and "| 1M | 1,000,000 | 40 | 100 | 300 | 12.00 (600) |" in text
    # 600 s at (600 - 2) / 1e-5 entries = 59.8M; 24,576 MB at (24,576 - 100) / 5e-4 = 49.0M
    assert "| check, cold | 1.00 | 50 | 59.8M | 49.0M | 2 |" in text


def test_the_runner_never_loads_pandas_itself_so_a_command_it_starts_reports_its_own_peak_memory():
    """Linux keeps a forked process's high-water mark across exec: a command started by a runner that
    generated a million entries (or imported pandas) reported the runner's memory as its own."""
    code = ("import importlib.util, sys\n"
            f"spec = importlib.util.spec_from_file_location('bench_run', {str(ROOT / 'bench' / 'run.py')!r})\n"
            "bench = sys.modules['bench_run'] = importlib.util.module_from_spec(spec)\n"
            "spec.loader.exec_module(bench)\n"
            "bench.machine(None)\n"
            "period = bench.generate('print(generate.period(2))').strip()\n"
            "print(period, sorted({'pandas', 'numpy', 'weasyprint', 'generate'} & set(sys.modules)))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split("\n")[0] == "2026-10-01..2026-11-30 []"


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> tuple[dict, Path]:
    """One run of the whole benchmark at the tiny size and scale: every scenario, once."""
    out = tmp_path_factory.mktemp("bench")
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--sizes", "tiny", "--scale", "tiny",
                           "--runs", "1", "--work", str(out / "work"), "--out", str(out / "out")],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads((out / "out" / "results.json").read_text()), out / "out"


@pytest.mark.bench
def test_one_run_of_the_benchmark_writes_the_tables_and_the_json(tiny_run):
    results, out = tiny_run
    tiny = results["sizes"]["tiny"]["median"]
    assert tiny["stages"]["counts"]["entries"] >= TINY["n_entries"] - 1000  # 2,000 entries and the meetings
    assert tiny["stages"]["counts"]["errors"] == 0
    assert tiny["floor"]["rows"] == 2_000 and tiny["single_floor"]["rows"] == 2_000
    assert tiny["bill"]["invoices"] == tiny["weasyprint"]["documents"] > 0
    assert all(tiny[k]["seconds"] > 0 for k in ("floor", "cold_check", "check", "report", "bill", "weasyprint"))
    assert {tiny[k]["exit"] for k in ("cold_check", "check", "report", "bill")} == {0}
    measured = [t["target"] for t in results["targets"] if t["measured"] is not None]
    assert measured == ["`check` on the demo, whole process, warm", "`check` on the demo, whole process, cold"]
    table = (out / "RESULTS.md").read_text()
    assert "| tiny | 4 |" in table and "| tiny | 6 | 12 | 16 |" in table and "## Gaps" in table
    assert "(medians of): tiny: stages 1, peer 1, commands 1, bill 1, weasyprint 1; month-end 1" in table
    assert (out / "SCALE.md").is_file()


@pytest.mark.bench
def test_the_month_end_scenario_checks_the_year_with_a_late_export_and_that_export_alone(tiny_run):
    results, out = tiny_run
    month_end = results["scenarios"]["month-end"]
    assert month_end["scale"] == "tiny" and month_end["export_entries"] == 200
    assert month_end["fill"]["exit"] == 0 and month_end["fill"]["seconds"] > 0
    assert all(month_end["median"][k]["seconds"] > 0 for k in ("after_export", "export_alone"))
    assert "then one 200-entry export of November added" in (out / "RESULTS.md").read_text()


@pytest.mark.bench
def test_the_billed_year_scenario_bills_the_months_before_then_runs_the_month_end(tiny_run):
    """The months before November billed one by one (their entries in the ledger), then November's
    check, report, report again and bill, each a whole command that ends well."""
    results, out = tiny_run
    billed = results["scenarios"]["billed-year"]
    assert billed["scale"] == "tiny" and billed["billing"]["months"] == ["2026-09", "2026-10"]
    assert all(n > 0 for n in billed["billing"]["invoices"]) and billed["billed_entries"] > 0
    assert billed["invoices"] == sum(billed["billing"]["invoices"])  # counted before November's bill
    assert {billed["median"][k]["exit"] for k in ("check", "report", "report_again", "bill")} == {0}
    assert "every month before 2026-11 billed in turn" in (out / "RESULTS.md").read_text()


@pytest.mark.bench
def test_the_demo_is_checked_cold_and_warm(tiny_run):
    results, _ = tiny_run
    demo = results["scenarios"]["demo"]
    assert len(demo["samples"]["cold"]) == len(demo["samples"]["warm"]) == 1
    assert {demo["median"][k]["exit"] for k in ("cold", "warm")} <= {0, 1}


@pytest.mark.bench
def test_the_files_scenario_checks_many_one_row_exports_cold_and_warm(tiny_run):
    if not hasattr(generate, "one_row_files"):
        pytest.skip("bench/generate.py has no one_row_files yet (branch files)")
    results, _ = tiny_run
    files = results["scenarios"]["files"]
    assert files["files"] >= 40 and files["median"]["cold"]["seconds"] > 0 and files["median"]["warm"]["seconds"] > 0


def test_a_ratio_whose_parts_two_runs_measured_says_so():
    """A bill's ratio to the 20k month's reads two parts; run apart (`--only`), the machine's hour moves
    either by a quarter, so the row names both runs' dates rather than pass for one run's ratio."""
    bench = bench_module()
    results = results_with(**{"20k": {"bill": {"seconds": 12.0}}, "1M": {"bill": {"seconds": 15.0}}},
                           scenario_billed_year={"report": {"seconds": 9.0, "peak_mb": 900.0}, "bill": {"seconds": 24.0}})
    results["sizes"]["20k"]["date"] = results["sizes"]["1M"]["date"] = "2026-12-07T10:29:53+00:00"
    results["scenarios"]["billed-year"]["date"] = "2026-12-07T13:29:01+00:00"
    rows = {r["target"]: r for r in bench.targets(results)}
    one_run = rows["warm `bill` of one month in a 1M-entry year, × the 20k-entry month's (300 invoices)"]
    two_runs = rows["warm `bill` of one month in a 1M-entry year whose months before are billed, × the 20k-entry "
                    "month's"]
    assert one_run["apart"] is None and one_run["measured"] == 1.25
    assert two_runs["apart"] == ["2026-12-07T13:29:01+00:00", "2026-12-07T10:29:53+00:00"]
    results["machine"].update(cpu="x", os="y", python="3", pandas="3", weasyprint="70", hledger=None)
    results.update(date="2026-12-07", commit="abc", command="bench", targets=list(rows.values()))
    table = bench.markdown({**results, "sizes": {}, "scenarios": {}}, {})
    assert "2.00× (its parts of two runs: 2026-12-07T13:29, 2026-12-07T10:29)" in table
    assert "| 1.25× | ≤ 1.30× | met |" in table
