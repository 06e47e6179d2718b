#!/usr/bin/env python3
"""The benchmarks: every target of issue 23, each measured in one run, on generated workspaces.

    make bench                                            # everything: bench/results.json, RESULTS.md, SCALE.md
    python bench/run.py --sizes 20k --only sizes,demo     # parts of it (the others keep their last results)
    python bench/run.py --only month-end,files            # the incremental scenarios alone

Scenarios (--only): `sizes` (each size of --sizes: stages against the read_csv floor, hledger on
the one-CSV workspace, then `check` cold and warm, `report` and `bill` of November warm, WeasyPrint
alone), `month-end` (`check` of one month in a year after adding one late export, against that
export alone), `files` (`check` of thousands of one-row exports, cold and warm) and `demo` (`check`
of the repository's demo, cold and warm). Cold: no output/.cache; warm: after a `check` filled it.

Every number is the median of its runs, each a fresh process (bench/measure.py, or the command
line as a user runs it): wall time, and peak resident memory of the largest process of the command
(its children included). Slow parts run once (Size.once; RUNS); --runs N caps every count (a quick
look). Workspaces come from bench/generate.py, deterministic from the seed, kept in --work.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


@dataclass(frozen=True)
class Size:
    people: int
    clients: int
    entries: int
    months: int  # ending November 2026; `bill` and `report` take November
    parts: tuple[str, ...]  # what is measured at this size: of PARTS
    once: tuple[str, ...] = ()  # parts measured in the first run only (the slow ones)
    one_file: bool = False  # its workspace is one native CSV (else a file per format and month, and calendars)


PARTS = {
    "stages": "ingest, validate and price (bench/measure.py, cold) and the read_csv floor",
    "peer": "the same on the one-CSV workspace, and hledger's balance of it where installed",
    "commands": "`check` of every month cold, then `check` and `report` of November warm",
    "bill": "`bill` of November, warm",
    "weasyprint": "WeasyPrint alone on the bill's HTML documents",
}
SIZES = {
    # a smoke test (tests/test_bench.py); not in the default run
    "tiny": Size(12, 16, 2_000, 1, ("stages", "peer", "commands", "bill", "weasyprint")),
    # a month of a 100-person agency: 300 invoices
    "20k": Size(100, 300, 20_000, 1, ("stages", "peer", "commands", "bill", "weasyprint")),
    "200k": Size(100, 300, 200_000, 10, ("stages", "peer", "commands"), once=("peer",)),  # hledger: 70 s a run
    # most of a year of a 500-person agency
    "1M": Size(500, 300, 1_000_000, 10, ("stages", "commands", "bill", "weasyprint"),
               once=("commands", "bill", "weasyprint")),  # WeasyPrint alone: what of its bill is rendering
    # one 200 MB export (a year of a 1,000-person agency in one CSV): the larger size of bench/SCALE.md
    "2.4M": Size(1_000, 300, 2_400_000, 12, ("commands",), once=("commands",), one_file=True),
}
DEFAULT_SIZES = "20k,200k,1M,2.4M"


@dataclass(frozen=True)
class Scale:
    """The incremental scenarios' sizes: the year (a one-CSV workspace of SIZES), the late export's
    entries, the one-row exports' count, and the year billed month by month (a file per team and month)."""

    year: str
    export: int
    files: int
    billed_year: str  # its workspace's folder under the work folder
    billed: Size


SCALES = {"full": Scale("1M", 2_000, 10_000, "1M", SIZES["1M"]),
          "tiny": Scale("tiny", 200, 40, "tiny-year", Size(12, 16, 3_000, 3, ()))}
SCENARIOS = ("sizes", "month-end", "files", "billed-year", "demo")
RUNS = {"sizes": 3, "month-end": 3, "files": 2, "billed-year": 1, "demo": 5}  # runs of each, unless --runs caps them
MONTH, TODAY, SEED = "2026-11", "2026-11-30", 7
FORMAT = 2  # of results.json: earlier results of another format are not kept (their parts mean other things)
HLEDGER_RULES = """\
# input/timesheet.csv as bench/generate.py writes it (German Excel: semicolons, DD.MM.YYYY, decimal commas)
skip 1
separator ;
fields date, person, client, job, task, description, hours, billable, start_time, end_time
date-format %d.%m.%Y
decimal-mark ,
description %person | %description
account1 clients:%client
amount %hours h
account2 time
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(SCENARIOS), help=f"comma-separated, of {', '.join(SCENARIOS)}")
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help=f"for `sizes`: comma-separated, of {', '.join(SIZES)}")
    parser.add_argument("--scale", default="full", choices=SCALES, help="of month-end and files (tiny: a smoke test)")
    parser.add_argument("--runs", type=int, help=f"at most this many runs of anything (default: {RUNS})")
    parser.add_argument("--work", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "auftakt-bench")
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args()
    only, sizes = names(args.only), names(args.sizes)
    for chosen, known, what in ((only, SCENARIOS, "scenario"), (sizes, SIZES, "size")):
        if set(chosen) - set(known):
            parser.error(f"unknown {what}(s) {', '.join(sorted(set(chosen) - set(known)))}; use {', '.join(known)}")

    def runs(scenario: str) -> int:
        return min(RUNS[scenario], args.runs) if args.runs else RUNS[scenario]

    hledger = shutil.which("hledger")
    stamp = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "commit": commit(),
             "command": " ".join(["python", "bench/run.py", *sys.argv[1:]])}
    results = {"format": FORMAT, "machine": machine(hledger), **stamp, "sizes": {}, "scenarios": {}}
    earlier = args.out / "results.json"
    old = json.loads(earlier.read_text()) if earlier.is_file() else {}
    if old.get("format") == FORMAT:  # what is not run now keeps its last results (each says when, commit, how)
        results["sizes"] = {k: v for k, v in old.get("sizes", {}).items()
                            if not ("sizes" in only and k in sizes)}
        results["scenarios"] = {k: v for k, v in old.get("scenarios", {}).items() if k not in only}
    for name in sizes if "sizes" in only else []:
        results["sizes"][name] = timed(bench_size, name, SIZES[name], args.work / name, runs("sizes"), hledger)
        results["sizes"][name].update(stamp)
    results["sizes"] = {k: results["sizes"][k] for k in SIZES if k in results["sizes"]}
    scale = SCALES[args.scale]
    scenarios = {"month-end": lambda n: bench_month_end(args.work, scale, n),
                 "files": lambda n: bench_files(args.work, scale, n),
                 "billed-year": lambda n: bench_billed_year(args.work, scale, n),
                 "demo": lambda n: bench_demo(args.work / "demo", n)}
    for name in SCENARIOS[1:]:
        if name in only:
            scaled = args.scale if name != "demo" else "full"
            results["scenarios"][name] = {**timed(scenarios[name], runs(name)), "scale": scaled, **stamp}
    results["targets"] = targets(results)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    gaps = earlier_gaps(args.out / "RESULTS.md")
    (args.out / "RESULTS.md").write_text(markdown(results, gaps))
    write_scale(args.out / "SCALE.md", results)
    print((args.out / "RESULTS.md").read_text())


def names(text: str) -> list[str]:
    return [s.strip() for s in text.split(",") if s.strip()]


def timed(function, *args) -> dict:
    """The function's result, with the seconds it took (so the lead can fit `make bench` to its budget)."""
    began = time.perf_counter()
    return {**function(*args), "elapsed_s": round(time.perf_counter() - began, 1)}


# --- the sizes ---------------------------------------------------------------------------------------------------

def bench_size(name: str, size: Size, work: Path, runs: int, hledger: str | None) -> dict:
    """Every part of the size, `runs` times (its `once` parts in the first run only)."""
    own = workspace(work / ("single" if size.one_file else "mixed"), size, size.one_file)
    single = workspace(work / "single", size, one_file=True) if "peer" in size.parts else None
    period = generate(f"print(generate.period({size.months}))").strip()
    samples: dict[str, list] = {}
    for run in range(runs):
        todo = [p for p in size.parts if run == 0 or p not in size.once]
        say(f"{name}: run {run + 1} of {runs}: {', '.join(todo)}")
        if "stages" in todo:
            add(samples, "stages", measure("stages", cold(own), period, TODAY))
            add(samples, "floor", measure("floor", own))
        if "peer" in todo:
            add(samples, "single_stages", measure("stages", cold(single), period, TODAY))
            add(samples, "single_floor", measure("floor", single))
            if hledger:
                add(samples, "hledger", hledger_balance(hledger, single))
        if {"commands", "bill"} & set(todo):
            for key, value in month_end_commands(own, work / "run", period, todo).items():
                add(samples, key, value)
        if "weasyprint" in todo:
            add(samples, "weasyprint", measure("weasyprint", own, MONTH, TODAY))
            if "bill" in todo:  # the ratio of this run's two, as the machine's speed was for both
                per_core = samples["weasyprint"][-1]["seconds"] / (os.cpu_count() or 1)
                add(samples, "bill_per_weasyprint", {"ratio": _ratio(samples["bill"][-1]["seconds"], per_core)})
    return {"size": asdict(size), "period": period, "files": files_in(own), "input_mb": megabytes(own / "input"),
            "runs": {p: 1 if p in size.once else runs for p in size.parts}, "samples": samples,
            "median": medians(samples)}


def month_end_commands(own: Path, copy: Path, period: str, todo: list[str]) -> dict:
    """On a fresh copy of the workspace: `check` of all its months, cold (it fills the cache), then
    `check` and `report` of November warm; `bill` of November warm."""
    fresh(own, copy)
    out = {"cold_check": command(copy, "check", "--period", period)}
    if "commands" in todo:
        out["check"] = command(copy, "check", "--period", MONTH)
        out["report"] = command(copy, "report", "--period", MONTH)
    if "bill" in todo:
        out["bill"] = command(copy, "bill", "--period", MONTH)
        out["bill"]["invoices"] = len(list((copy / "output").rglob("invoices/*.pdf")))
    shutil.rmtree(copy)
    return out


def workspace(folder: Path, size: Size, one_file: bool, seed: int = SEED) -> Path:
    """The generated workspace, written once and kept (the stamp says with what)."""
    stamp = json.dumps({**asdict(size), "seed": seed, "one_file": one_file,
                        "generator": (HERE / "generate.py").stat().st_mtime})
    if not (folder / ".stamp").is_file() or (folder / ".stamp").read_text() != stamp:
        say(f"generating {folder} ({size.entries:,} entries)")
        shutil.rmtree(folder, ignore_errors=True)
        generate(f"generate.write_workspace(Path({str(folder)!r}), {seed}, {size.people}, {size.clients}, "
                 f"{size.entries}, {size.months}, {one_file})")
        (folder / ".stamp").write_text(stamp)
    return folder


def generate(code: str) -> str:
    """What `code` prints, run with bench/generate.py imported as `generate`, in a process of its own: this
    one stays small, as the peak memory of a command counts its parent's at the moment it was started
    (Linux keeps a forked process's high-water mark across exec)."""
    head = f"import sys\nfrom pathlib import Path\nsys.path.insert(0, {str(HERE)!r})\nimport generate\n"
    return run([sys.executable, "-c", head + code])[0].stdout


def fresh(workspace: Path, copy: Path) -> Path:
    """A copy of the workspace as a user has it before the first run: an empty output/."""
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(workspace, copy, ignore=shutil.ignore_patterns("output", ".stamp"))
    (copy / "output").mkdir()
    return copy


def cold(workspace: Path) -> Path:
    """The workspace without its ingest cache: the next run reads every export."""
    shutil.rmtree(workspace / "output" / ".cache", ignore_errors=True)
    return workspace


def files_in(workspace: Path) -> int:
    return sum(1 for p in (workspace / "input").rglob("*") if p.is_file())


def megabytes(folder: Path) -> float:
    return round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20, 1)


def measure(kind: str, *args) -> dict:
    result, wall, peak = run([sys.executable, str(HERE / "measure.py"), kind, *map(str, args)])
    return {**json.loads(result.stdout), "process_s": wall, "process_peak_mb": peak}


def command(workspace: Path, *args: str) -> dict:
    """The command line as a user runs it, in the workspace as it is: the `auftakt-batch` script pip
    installed beside this Python (`python -m auftakt_batch` where there is none)."""
    script = Path(sys.executable).with_name("auftakt-batch")
    program = [str(script)] if script.is_file() else [sys.executable, "-m", "auftakt_batch"]
    result, wall, peak = run([*program, *args, "--workspace", str(workspace)], ok=(0, 1))
    return {"seconds": wall, "peak_mb": peak, "exit": result.returncode}


def hledger_balance(hledger: str, single: Path) -> dict:
    rules = single / "hledger.rules"
    rules.write_text(HLEDGER_RULES)
    result, wall, peak = run([hledger, "-f", str(single / "input" / "timesheet.csv"), "--rules-file", str(rules),
                              "balance", "--depth", "2", "-N"])
    total = result.stdout.strip().splitlines()[-1].split()[0].lstrip("-").replace(".", "").replace(",", ".")
    return {"seconds": wall, "peak_mb": peak, "hours": float(total)}


# Commands run as an installed tool runs: with its bytecode cached (pip compiles an installed package;
# an editable install writes __pycache__ on the first run), kept outside the repository. A machine whose
# environment says PYTHONDONTWRITEBYTECODE (this sandbox's does) would otherwise compile every module of
# the package on every run, about 0.2 s that no user's run pays.
AS_INSTALLED = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
                "PYTHONPATH": str(ROOT / "src"),
                "PYTHONPYCACHEPREFIX": str(Path(tempfile.gettempdir()) / "auftakt-bench-pycache")}


def run(argv: list[str], ok=(0,)) -> tuple[subprocess.CompletedProcess, float, float]:
    """(result, wall seconds, peak RSS in MB of the largest process of the command, its children included)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        began = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=err, text=True, cwd=ROOT, env=AS_INSTALLED)
        _, status, usage = os.wait4(process.pid, 0)  # the rusage of this child and of the children it waited for
        wall = time.perf_counter() - began
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        result = subprocess.CompletedProcess(argv, process.returncode, out.read(), err.read())
    if result.returncode not in ok:
        raise SystemExit(f"{' '.join(argv)} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return result, wall, usage.ru_maxrss / (2**20 if sys.platform == "darwin" else 1024)


# --- the scenarios -----------------------------------------------------------------------------------------------

def bench_month_end(work: Path, scale: Scale, runs: int) -> dict:
    """`check --period 2026-11` of a year in one CSV whose cache a check filled, after one late
    export of November is added; and `check` of a workspace with that export alone (cold)."""
    size = SIZES[scale.year]
    year = workspace(work / scale.year / "single", size, one_file=True)
    late = workspace(work / "month-end" / f"late-{scale.export}",
                     Size(size.people, size.clients, scale.export, 1, ()), one_file=True, seed=SEED + 1)
    copy = fresh(year, work / "month-end" / "year")
    filled = command(copy, "check", "--period", MONTH)
    cache = work / "month-end" / "filled-cache"
    shutil.rmtree(cache, ignore_errors=True)
    shutil.copytree(copy / "output" / ".cache", cache)
    alone = fresh(late, work / "month-end" / "alone")
    samples: dict[str, list] = {}
    for run in range(runs):
        say(f"month-end: run {run + 1} of {runs}")
        shutil.rmtree(copy / "output")
        shutil.copytree(cache, copy / "output" / ".cache")
        shutil.copy(late / "input" / "timesheet.csv", copy / "input" / "late-2026-11.csv")
        add(samples, "after_export", command(copy, "check", "--period", MONTH))
        (copy / "input" / "late-2026-11.csv").unlink()
        add(samples, "export_alone", command(cold(alone), "check", "--period", MONTH))
    for folder in (copy, cache, alone):
        shutil.rmtree(folder)
    return {"year": {**asdict(size), "files": 1}, "export_entries": scale.export, "fill": filled, "runs": runs,
            "samples": samples, "median": medians(samples)}


def bench_billed_year(work: Path, scale: Scale, runs: int) -> dict:
    """November's month-end as an agency has it: the months before it billed one by one, so the
    ledger holds their entries. On a copy of the year's workspace (a file per team and month):
    `check` of every month cold (it fills the cache), `bill` of each month before November in turn
    (bench/measure.py billed: its PDFs not rendered), then November's `check`, `report`, `report`
    again (the months before as the first kept them) and `bill`, warm, as a user runs them."""
    size = scale.billed
    year = workspace(work / scale.billed_year / "mixed", size, one_file=False)
    copy = fresh(year, work / "billed-year" / "ws")
    period = generate(f"print(generate.period({size.months}))").strip()
    before = generate(f"print(' '.join(f'{{y:04d}}-{{m:02d}}' for y, m in generate.months({size.months})[:-1]))")
    filled = command(copy, "check", "--period", period)
    billing = measure("billed", copy, *before.split(), TODAY)
    ledger = copy / "output" / "ledger.sqlite"
    with closing(sqlite3.connect(ledger)) as conn:
        entries, invoices = (conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                             for table in ("billed_entries", "invoices"))
    ledger_mb = round(ledger.stat().st_size / 2**20, 1)
    kept = work / "billed-year" / "output"
    shutil.rmtree(kept, ignore_errors=True)
    shutil.copytree(copy / "output", kept)
    samples: dict[str, list] = {}
    for run in range(runs):
        say(f"billed-year: run {run + 1} of {runs}")
        shutil.rmtree(copy / "output")
        shutil.copytree(kept, copy / "output")
        for key, name in (("check", "check"), ("report", "report"), ("report_again", "report"), ("bill", "bill")):
            add(samples, key, command(copy, name, "--period", MONTH))
    for folder in (copy, kept):
        shutil.rmtree(folder)
    return {"year": {**asdict(size), "files": files_in(year)}, "fill": filled, "billing": billing,
            "billed_entries": entries, "invoices": invoices, "ledger_mb": ledger_mb, "runs": runs,
            "samples": samples, "median": medians(samples)}


def bench_files(work: Path, scale: Scale, runs: int) -> dict:
    """`check` of a workspace of `scale.files` one-row exports, cold, then warm."""
    if generate("print(hasattr(generate, 'one_row_files'))").strip() != "True":
        return {"skipped": "bench/generate.py has no one_row_files (yet)"}
    folder = work / "files" / str(scale.files)
    stamp = json.dumps({"count": scale.files, "seed": SEED, "generator": (HERE / "generate.py").stat().st_mtime})
    if not (folder / ".stamp").is_file() or (folder / ".stamp").read_text() != stamp:
        say(f"generating {folder} ({scale.files:,} one-row exports)")
        shutil.rmtree(folder, ignore_errors=True)
        generate(f"generate.one_row_files(Path({str(folder)!r}), {scale.files}, seed={SEED})")
        (folder / ".stamp").write_text(stamp)
    copy = fresh(folder, work / "files" / "run")
    samples: dict[str, list] = {}
    for run in range(runs):
        say(f"files: run {run + 1} of {runs}")
        add(samples, "cold", command(cold(copy), "check", "--period", MONTH))
        add(samples, "warm", command(copy, "check", "--period", MONTH))
    shutil.rmtree(copy)
    return {"files": files_in(folder), "runs": runs, "samples": samples, "median": medians(samples)}


def bench_demo(folder: Path, runs: int) -> dict:
    """`check` on the demo workspace that ships in the repository, cold (no output/.cache) and warm."""
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(ROOT / "input", folder / "input")
    shutil.copytree(ROOT / "templates", folder / "templates")
    shutil.copy(ROOT / "rates.yaml", folder / "rates.yaml")
    (folder / "output").mkdir()  # as the repository has it (output/.gitkeep): where the cache can be kept
    samples: dict[str, list] = {}
    for _ in range(runs):
        add(samples, "cold", command(cold(folder), "check", "--period", MONTH))
        add(samples, "warm", command(folder, "check", "--period", MONTH))
    return {"runs": runs, "samples": samples, "median": medians(samples)}


def add(samples: dict, key: str, value: dict) -> None:
    samples.setdefault(key, []).append(value)


def medians(samples: dict) -> dict:
    """The median of every number, per measurement (and per stage)."""
    def median_of(items: list) -> object:
        first = items[0]
        if isinstance(first, dict):
            return {k: median_of([i[k] for i in items]) for k in first}
        return statistics.median(items) if isinstance(first, (int, float)) and not isinstance(first, bool) else first

    out = {key: median_of(items) for key, items in samples.items()}
    for key in ("stages", "single_stages"):
        if key not in samples:
            continue
        totals = [sum(s[stage]["seconds"] for stage in ("ingest", "validate", "price")) for s in samples[key]]
        out[key]["ingest_validate_price_s"] = statistics.median(totals)
        out[key]["peak_mb"] = statistics.median([max(s[st]["peak_mb"] for st in ("ingest", "validate", "price"))
                                                 for s in samples[key]])
    return out


# --- the targets -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    """A row of issue 23's table: where its numbers are (a size's or a scenario's medians) and its limit."""

    what: str
    where: str  # "size NAME" or "scenario NAME"
    limit: float
    unit: str
    op: str  # "<=", "<" or ">="
    or_times_alone: float | None = None  # also met at most this many times the export alone (its value: a pair)
    against: str | None = None  # the other part a ratio reads ("size NAME"): both should be of one run, one hour

    def met(self, measured: float, times: float | None) -> bool:
        met = {"<=": measured <= self.limit, "<": measured < self.limit, ">=": measured >= self.limit}[self.op]
        return met or (self.or_times_alone is not None and times is not None and times <= self.or_times_alone)


def _ratio(a: float, b: float) -> float:
    return a / b if b else float("inf")


TARGETS = [  # (the target, how its measured value comes from the medians it names)
    (Target("cold ingest + validate + price, 1M entries, × read_csv floor", "size 1M", 8.0, "×", "<="),
     lambda m, r: _ratio(m["stages"]["ingest_validate_price_s"], m["floor"]["seconds"])),
    (Target("hledger balance on the same 200k CSV, whole commands: times faster", "size 200k", 25.0, "×", ">="),
     lambda m, r: _ratio(m["hledger"]["seconds"], m["single_stages"]["process_s"])),
    (Target("`check --period 2026-11` of a 1M-entry year (one CSV) after adding one 2,000-entry export",
            "scenario month-end", 3.0, "s", "<=", or_times_alone=2.5),
     lambda m, r: (m["after_export"]["seconds"], _ratio(m["after_export"]["seconds"], m["export_alone"]["seconds"]))),
    (Target("`check` of 10,000 one-row exports, cold", "scenario files", 20.0, "s", "<="),
     lambda m, r: m["cold"]["seconds"]),
    (Target("`check` of 10,000 one-row exports, warm", "scenario files", 20.0, "s", "<="),
     lambda m, r: m["warm"]["seconds"]),
    (Target("`check` of one 200 MB export (2.4M rows), cold", "size 2.4M", 25.0, "s", "<="),
     lambda m, r: m["cold_check"]["seconds"]),
    (Target("peak memory of that `check` of one 200 MB export", "size 2.4M", 1536.0, "MB", "<"),
     lambda m, r: m["cold_check"]["peak_mb"]),
    (Target("warm `report` of one month in a 1M-entry year", "size 1M", 10.0, "s", "<="),
     lambda m, r: m["report"]["seconds"]),
    (Target("peak memory of that warm `report` (1M-entry year)", "size 1M", 1024.0, "MB", "<"),
     lambda m, r: m["report"]["peak_mb"]),
    (Target("warm `bill` of one month in a 1M-entry year, × the 20k-entry month's (300 invoices)", "size 1M",
            1.3, "×", "<=", against="size 20k"),
     lambda m, r: _ratio(m["bill"]["seconds"], r["sizes"]["20k"]["bill"]["seconds"])),
    # the same limits for the month-end an agency has: the months before billed, their entries in the ledger
    (Target("warm `report` of one month in a 1M-entry year whose months before are billed", "scenario billed-year",
            10.0, "s", "<="), lambda m, r: m["report"]["seconds"]),
    (Target("peak memory of that warm `report` (months before billed)", "scenario billed-year", 1024.0, "MB", "<"),
     lambda m, r: m["report"]["peak_mb"]),
    (Target("warm `bill` of one month in a 1M-entry year whose months before are billed, × the 20k-entry month's",
            "scenario billed-year", 1.3, "×", "<=", against="size 20k"),
     lambda m, r: _ratio(m["bill"]["seconds"], r["sizes"]["20k"]["bill"]["seconds"])),
    (Target("`bill` of 300 invoices (20k month, warm), × WeasyPrint alone / cores", "size 20k", 1.2, "×", "<="),
     lambda m, r: m["bill_per_weasyprint"]["ratio"] if "bill_per_weasyprint" in m else
     _ratio(m["bill"]["seconds"], m["weasyprint"]["seconds"] / r["cores"])),  # results of before the pairing
    (Target("`check` on the demo, whole process, warm", "scenario demo", 1.0, "s", "<="),
     lambda m, r: m["warm"]["seconds"]),
    (Target("`check` on the demo, whole process, cold", "scenario demo", 2.0, "s", "<="),
     lambda m, r: m["cold"]["seconds"]),
    (Target("peak memory, cold `check` of 1M entries (every month)", "size 1M", 1024.0, "MB", "<"),
     lambda m, r: m["cold_check"]["peak_mb"]),
]


def _apart(results: dict, target: Target) -> list[str] | None:
    """The dates of the runs that measured a ratio's two parts, where they differ (a part run alone since:
    the machine's hour moves either part by a quarter); None where one run measured both."""
    if target.against is None:
        return None
    dates = [_part(results, where).get("date") for where in (target.where, target.against)]
    return dates if dates[0] != dates[1] else None


def _part(results: dict, where: str) -> dict:
    kind, name = where.split()
    return results["sizes" if kind == "size" else "scenarios"].get(name, {})


def targets(results: dict) -> list[dict]:
    """Every row of issue 23's table, with what was measured (None where its part was not run, or
    was run at another scale than the issue's)."""
    sizes = {k: v["median"] for k, v in results["sizes"].items()}
    scenarios = {k: v["median"] for k, v in results["scenarios"].items() if v.get("scale") == "full" and "median" in v}
    context, found = {"sizes": sizes, "cores": results["machine"]["cores"]}, []
    for target, value in TARGETS:
        kind, name = target.where.split()
        medians_ = (sizes if kind == "size" else scenarios).get(name)
        try:
            measured = value(medians_, context) if medians_ is not None else None
        except KeyError:  # a part it needs was not run (e.g. hledger not installed, or the 20k bill)
            measured = None
        measured, times = measured if isinstance(measured, tuple) else (measured, None)
        found.append({"target": target.what, "where": target.where, "measured": measured, "times_alone": times,
                      "limit": target.limit, "or_times_alone": target.or_times_alone, "unit": target.unit,
                      "op": target.op, "met": None if measured is None else target.met(measured, times),
                      "apart": _apart(results, target) if measured is not None else None})
    return found


# --- RESULTS.md --------------------------------------------------------------------------------------------------

def markdown(results: dict, gaps: dict[str, str]) -> str:
    m = results["machine"]
    lines = [
        "# Benchmark results",
        "",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['memory_mb'] / 1024:.0f} GB; {m['os']}",
        f"- Python {m['python']}, pandas {m['pandas']}, WeasyPrint {m['weasyprint']}, "
        f"{m['hledger'] or 'hledger not installed'}",
        f"- Date: {results['date']}; commit {results['commit']}",
        f"- Command: `{results['command']}` (parts not run keep their last results: see Measured below)",
        f"- Runs (medians of): {runs_text(results)}. Cold: no output/.cache; warm: after a `check` filled it. "
        "Commands run as installed: their bytecode cached (`PYTHONPYCACHEPREFIX`), as pip compiles a package.",
        "",
        "## Targets (issue 23)",
        "",
        "| target | measured | limit | |",
        "|---|---:|---:|---|",
    ]
    for t in results["targets"]:
        limit = f"{ {'<=': '≤', '<': '<', '>=': '≥'}[t['op']]} {number(t['limit'], t['unit'])}"
        if t["or_times_alone"]:
            limit += f", or ≤ {t['or_times_alone']}× that export alone"
        if t["measured"] is None:
            lines.append(f"| {t['target']} | not measured ({t['where']}) | {limit} | |")
            continue
        shown = number(t["measured"], t["unit"])
        if t["times_alone"] is not None:
            shown += f" ({t['times_alone']:.1f}× that export alone)"
        if t.get("apart"):
            shown += f" (its parts of two runs: {', '.join(str(d)[:16] for d in t['apart'])})"
        verdict = "met" if t["met"] else \
            f"**missed** by {abs(t['measured'] / t['limit'] - 1):.0%}: see [Gaps](#gaps)"
        lines.append(f"| {t['target']} | {shown} | {limit} | {verdict} |")
    lines += sizes_tables(results) + scenario_lines(results) + measured_lines(results)
    missed = [t["target"] for t in results["targets"] if t["met"] is False]
    lines += ["", "## Gaps", "", "Each missed target, and where its profile explains the time or the memory.", ""]
    for title in missed:
        lines += [f"### {title}", "", gaps.get(title, "_Profile to be written (`check --timings`, py-spy)._"), ""]
    if not missed:
        lines += ["None: every target measured is met.", ""]
    return "\n".join(lines)


def number(value: float, unit: str) -> str:
    """MB whole, seconds and ratios to two decimals (1.25× against a limit of 1.20× is not 1.2×)."""
    return f"{value:,.0f} {unit}" if unit == "MB" else f"{value:,.2f} {unit}" if unit == "s" else f"{value:,.2f}{unit}"


def runs_text(results: dict) -> str:
    parts = [f"{name}: " + ", ".join(f"{p} {n}" for p, n in size["runs"].items())
             for name, size in results["sizes"].items() if "runs" in size]
    parts += [f"{name} {s['runs']}" for name, s in results["scenarios"].items() if "runs" in s]
    return "; ".join(parts)


def sizes_tables(results: dict) -> list[str]:
    lines = [
        "",
        "## Stages",
        "",
        "Seconds, and peak resident memory in MB in brackets. Ingest, validate and price run cold on all the entries "
        "(the period of all the generated months); the floor is `pandas.read_csv` of the same CSV files.",
        "",
        "| entries | files | ingest | validate | price | i+v+p | floor | i+v+p / floor |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, size in results["sizes"].items():
        d = size["median"]
        if "stages" in d:
            s = d["stages"]
            lines.append(f"| {name} | {d['floor']['files']} | {cell(s['ingest'])} | {cell(s['validate'])} | "
                         f"{cell(s['price'])} | {s['ingest_validate_price_s']:.2f} | {d['floor']['seconds']:.2f} | "
                         f"{s['ingest_validate_price_s'] / d['floor']['seconds']:.1f}× |")
    lines += [
        "",
        "## Commands",
        "",
        "Whole commands as a user runs them, seconds (peak MB of the largest process): on a fresh copy of the "
        "workspace, `check` of all its months cold (it fills the cache), then `check`, `report` and `bill` of "
        "November 2026 warm. WeasyPrint alone renders the bill's HTML documents one after another in one process; "
        "the bill's time against it divided by the cores is the run's own work beside the rendering.",
        "",
        "| entries | files | people | clients | input MB | check cold | check warm | report warm | bill warm | "
        "invoices | WeasyPrint alone | bill × WeasyPrint alone / cores |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, size in results["sizes"].items():
        d = size["median"]
        if "cold_check" not in d:
            continue
        alone = f"{d['weasyprint']['seconds']:.1f}" if "weasyprint" in d else "—"
        per_core = f"{d['bill_per_weasyprint']['ratio']:.2f}×" if "bill_per_weasyprint" in d else "—"
        invoices = d["bill"]["invoices"] if "bill" in d else "—"
        lines.append(f"| {name} | {size.get('files', '')} | {size['size']['people']} | {size['size']['clients']} | "
                     f"{size.get('input_mb', '')} | {cell(d['cold_check'])} | {cell(d.get('check'))} | "
                     f"{cell(d.get('report'))} | {cell(d.get('bill'))} | {invoices} | {alone} | {per_core} |")
    lines += [
        "",
        "## One CSV file: the floor and the peer",
        "",
        "Every entry in one native CSV (`input/timesheet.csv`). hledger reads it with a CSV rules file and prints "
        "the balance of hours per client as typed; auftakt-batch resolves the names and checks every entry as well. "
        "Whole commands, start-up included (auftakt-batch: `bench/measure.py stages`, cold).",
        "",
        "| entries | read_csv floor | auftakt-batch i+v+p | whole process | hledger balance | hledger / ours |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for name, size in results["sizes"].items():
        d = size["median"]
        if "single_stages" not in d:
            continue
        s, h = d["single_stages"], d.get("hledger")
        peer = f"{h['seconds']:.1f} ({h['peak_mb']:,.0f} MB)" if h else "not installed"
        ratio = f"{h['seconds'] / s['process_s']:.1f}×" if h else ""
        lines.append(f"| {name} | {d['single_floor']['seconds']:.2f} | {s['ingest_validate_price_s']:.2f} "
                     f"({s['peak_mb']:,.0f} MB) | {s['process_s']:.2f} | {peer} | {ratio} |")
    return lines


def scenario_lines(results: dict) -> list[str]:
    s = results["scenarios"]
    lines = ["", "## Scenarios", ""]
    if "month-end" in s and "median" in s["month-end"]:
        d, e = s["month-end"]["median"], s["month-end"]
        lines.append(f"- month-end ({e['scale']}): a {e['year']['entries']:,}-entry year in one CSV, its cache filled "
                     f"by one `check` ({e['fill']['seconds']:.1f} s), then one {e['export_entries']:,}-entry export "
                     f"of November added: `check --period {MONTH}` {cell(d['after_export'])}; a workspace with that "
                     f"export alone, cold: {cell(d['export_alone'])}.")
    if "files" in s:
        d = s["files"]
        lines.append(f"- files ({d['scale']}): {d['skipped']}." if "skipped" in d else
                     f"- files ({d['scale']}): `check` of {d['files']:,} one-row exports: cold "
                     f"{cell(d['median']['cold'])}, warm {cell(d['median']['warm'])}.")
    if "billed-year" in s and "median" in s["billed-year"]:
        d, e = s["billed-year"]["median"], s["billed-year"]
        y = e["year"]
        lines.append(f"- billed year ({e['scale']}): the {y['entries']:,}-entry year of {y['files']} files, every "
                     f"month before {MONTH} billed in turn, as an agency bills ({e['billed_entries']:,} entries on "
                     f"{e['invoices']:,} invoices, a {e['ledger_mb']:,.0f} MB ledger; "
                     f"{e['billing']['process_s']:.0f} s, the PDFs not rendered), then {MONTH} warm: "
                     f"`check` {cell(d['check'])}, `report` {cell(d['report'])}, "
                     f"`report` again {cell(d['report_again'])}, `bill` {cell(d['bill'])}.")
    if "demo" in s:
        d = s["demo"]
        cold_runs, warm_runs = (", ".join(f"{x['seconds']:.2f}" for x in d["samples"][k]) for k in ("cold", "warm"))
        lines.append(f"- demo: `check --period {MONTH}` of the repository's demo: cold {cell(d['median']['cold'])} "
                     f"(runs: {cold_runs}), warm {cell(d['median']['warm'])} (runs: {warm_runs}).")
    return lines if len(lines) > 3 else []


def measured_lines(results: dict) -> list[str]:
    found = [(f"size {k}", v) for k, v in results["sizes"].items()]
    found += [(f"scenario {k}", v) for k, v in results["scenarios"].items()]
    return ["", "## Measured", "", *(f"- {what}: {v.get('date')}, commit {v.get('commit')}, `{v.get('command')}` "
                                      f"({v.get('elapsed_s', '?')} s)" for what, v in found)]


def cell(measured: dict | None) -> str:
    return "—" if measured is None else f"{measured['seconds']:.2f} ({measured['peak_mb']:,.0f})"


def earlier_gaps(path: Path) -> dict[str, str]:
    """The explanations written under "## Gaps" of the last RESULTS.md, by target: kept when it is rewritten."""
    if not path.is_file() or "\n## Gaps\n" not in path.read_text():
        return {}
    text = path.read_text().split("\n## Gaps\n", 1)[1]
    found = {}
    for part in text.split("\n### ")[1:]:
        title, _, body = part.partition("\n")
        body = body.strip()
        if body and not body.startswith("_Profile to be written"):
            found[title.strip()] = body
    return found


# --- SCALE.md ----------------------------------------------------------------------------------------------------

BEGIN, END = "<!-- numbers: written by bench/run.py from results.json -->", "<!-- end of numbers -->"
CURVES = {"check, cold": "cold_check", "check of November, warm": "check", "report of November, warm": "report"}


def write_scale(path: Path, results: dict) -> None:
    """The numbers of bench/SCALE.md between its markers; the prose around them is kept."""
    numbers = "\n".join([BEGIN, *scale_lines(results), END])
    text = path.read_text() if path.is_file() else "# How time and memory grow\n\n" + BEGIN + "\n" + END + "\n"
    if BEGIN not in text or END not in text:
        text = text.rstrip("\n") + "\n\n" + BEGIN + "\n" + END + "\n"
    head, rest = text.split(BEGIN, 1)
    path.write_text(head + numbers + rest.split(END, 1)[1])


def scale_lines(results: dict) -> list[str]:
    sizes = {k: v for k, v in results["sizes"].items() if k != "tiny" and "cold_check" in v["median"]}
    memory_mb = results["machine"]["memory_mb"]
    lines = ["", "Whole commands on the generated workspaces (bench/RESULTS.md, Commands), seconds and peak MB:", "",
             "| size | entries | files | people | clients | " + " | ".join(CURVES) + " |",
             "|---|---:|---:|---:|---:|" + "---:|" * len(CURVES)]
    for name, s in sizes.items():
        lines.append(f"| {name}{' (one CSV)' if s['size']['one_file'] else ''} | {s['size']['entries']:,} | "
                     f"{s.get('files', '')} | {s['size']['people']} | {s['size']['clients']} | "
                     + " | ".join(cell(s["median"].get(key)) for key in CURVES.values()) + " |")
    lines += ["", f"Least-squares lines through these points (y = a + b · entries), and the entries at which a run "
                  f"would reach {memory_mb / 1024:.0f} GB (this machine's memory) or 10 minutes:", "",
              "| command | s per 100k entries | MB per 100k entries | entries at 10 min | entries at "
              f"{memory_mb / 1024:.0f} GB | points |", "|---|---:|---:|---:|---:|---:|"]
    for title, key in CURVES.items():
        points = [(s["size"]["entries"], s["median"][key]) for s in sizes.values() if key in s["median"]]
        if len(points) < 2:
            lines.append(f"| {title} | | | | | {len(points)} |")
            continue
        xs = [x for x, _ in points]
        seconds, memory = fit(xs, [p["seconds"] for _, p in points]), fit(xs, [p["peak_mb"] for _, p in points])
        lines.append(f"| {title} | {seconds[1] * 1e5:.2f} | {memory[1] * 1e5:,.0f} | {reach(seconds, 600)} | "
                     f"{reach(memory, memory_mb)} | {len(points)} |")
    return lines + [""]


def fit(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """(a, b) of the least-squares line y = a + b·x."""
    n, mx, my = len(xs), statistics.fmean(xs), statistics.fmean(ys)
    spread = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / spread if n > 1 and spread else 0.0
    return my - b * mx, b


def reach(line: tuple[float, float], limit: float) -> str:
    a, b = line
    return "never (flat)" if b <= 0 else f"{(limit - a) / b / 1e6:,.1f}M"


# --- the machine -------------------------------------------------------------------------------------------------

def commit() -> str:
    """The commit measured (with + when the working tree differs from it)."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True,
                           cwd=ROOT)
    return (head.stdout.strip() or "unknown") + ("+" if dirty.stdout.strip() else "")


def machine(hledger: str | None) -> dict:
    from importlib.metadata import version  # not the packages themselves: this process stays small (generate())

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    memory = next((int(line.split()[1]) // 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), 0) if Path("/proc/meminfo").exists() else 0
    peer = subprocess.run([hledger, "--version"], capture_output=True, text=True).stdout.strip() if hledger else None
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_mb": memory, "os": platform.platform(),
            "python": platform.python_version(), "pandas": version("pandas"), "weasyprint": version("weasyprint"),
            "hledger": peer}


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
