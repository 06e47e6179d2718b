#!/usr/bin/env python3
"""The benchmarks: each stage on generated workspaces of 20k, 200k and 1M entries, against
the floor (plain pandas.read_csv of the same CSV files) and a peer (hledger's balance report
of hours per client from the same CSV), where hledger is installed.

    make bench                                   # everything: writes bench/results.json and bench/RESULTS.md
    python bench/run.py --sizes 20k --runs 1     # a quick look (writes the same files)

Every number is the median of --runs runs, each a fresh process (bench/measure.py, or the
command line as a user runs it): wall time, and peak resident memory per stage (see
measure.py) or per command (the largest process of the command, its PDF workers included).
Workspaces come from bench/generate.py, deterministic from the seed, and are kept in --work
between runs of this script.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402


@dataclass(frozen=True)
class Size:
    people: int
    clients: int
    entries: int
    months: int  # ending November 2026; `bill` and `report` take November


SIZES = {
    "tiny": Size(12, 16, 2_000, 1),  # a smoke test (tests/test_bench.py); not in the default run
    "20k": Size(100, 300, 20_000, 1),  # a month of a 100-person agency: 300 invoices
    "200k": Size(100, 300, 200_000, 10),
    "1M": Size(500, 300, 1_000_000, 10),  # most of a year of a 500-person agency
}
MONTH, TODAY, SEED = "2026-11", "2026-11-30", 7
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
TARGETS = {
    "ingest_x_floor": 10.0, "peak_mb": 2048.0, "hledger_x": 20.0, "bill_x_weasyprint": 1.3, "report_s": 10.0,
    "check_s": 2.0,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="20k,200k,1M", help=f"comma-separated, of {', '.join(SIZES)}")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "auftakt-bench")
    parser.add_argument("--hledger-max", type=int, default=200_000,
                        help="largest size hledger is run on (it needs minutes and GBs beyond)")
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args()
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = set(sizes) - set(SIZES)
    if unknown:
        parser.error(f"unknown size(s) {', '.join(sorted(unknown))}; use {', '.join(SIZES)}")
    hledger = shutil.which("hledger")
    command = " ".join(["python", "bench/run.py", *sys.argv[1:]])
    results = {"machine": machine(hledger), "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "command": command, "runs": args.runs, "sizes": {}}
    earlier = args.out / "results.json"
    if earlier.is_file():  # sizes not run now keep their last results (each says when and at which commit)
        results["sizes"] = {k: v for k, v in json.loads(earlier.read_text())["sizes"].items() if k not in sizes}
    for name in sizes:
        peer = SIZES[name].entries <= args.hledger_max  # the one-file workspace, and hledger where installed
        results["sizes"][name] = {**bench_size(name, SIZES[name], args.work / name, args.runs, peer,
                                               hledger if peer else None, weasyprint=SIZES[name].months == 1),
                                  "date": results["date"], "commit": commit(), "command": command}
    results["sizes"] = {k: results["sizes"][k] for k in SIZES if k in results["sizes"]}
    results["check"] = bench_check(args.work / "demo", args.runs + 2)
    results["targets"] = targets(results)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "RESULTS.md").write_text(markdown(results))
    print((args.out / "RESULTS.md").read_text())


def bench_size(name: str, size: Size, work: Path, runs: int, peer: bool, hledger: str | None,
               weasyprint: bool) -> dict:
    """Every stage on the workspace of every format; with `peer`, also the one-file workspace
    (and hledger on it); with `weasyprint`, WeasyPrint alone on the bill's documents (the same
    few hundred invoices at every size: measured where the target names them, a month)."""
    mixed = workspace(work / "mixed", size, one_file=False)
    single = workspace(work / "single", size, one_file=True) if peer else None
    period = generate.period(size.months)
    samples: dict[str, list] = {}
    for run in range(runs):
        say(f"{name}: run {run + 1} of {runs}")
        add(samples, "stages", measure("stages", mixed, period, TODAY))
        add(samples, "floor", measure("floor", mixed))
        if single:
            add(samples, "single_stages", measure("stages", single, period, TODAY))
            add(samples, "single_floor", measure("floor", single))
        if hledger:
            add(samples, "hledger", hledger_balance(hledger, single))
        add(samples, "report", command(mixed, "report", "--period", MONTH))
        add(samples, "bill", command(mixed, "bill", "--period", MONTH))
        if weasyprint:
            add(samples, "weasyprint", measure("weasyprint", mixed, MONTH, TODAY))
    return {"size": asdict(size), "period": period, "samples": samples, "median": medians(samples)}


def workspace(folder: Path, size: Size, one_file: bool) -> Path:
    """The generated workspace, written once per size and kept (the stamp says with what)."""
    stamp = json.dumps({**asdict(size), "seed": SEED, "one_file": one_file,
                        "generator": (HERE / "generate.py").stat().st_mtime})
    if not (folder / ".stamp").is_file() or (folder / ".stamp").read_text() != stamp:
        say(f"generating {folder} ({size.entries:,} entries)")
        shutil.rmtree(folder, ignore_errors=True)
        generate.write_workspace(folder, SEED, size.people, size.clients, size.entries, size.months, one_file)
        (folder / ".stamp").write_text(stamp)
    return folder


def measure(kind: str, *args) -> dict:
    result, wall, peak = run([sys.executable, str(HERE / "measure.py"), kind, *map(str, args)])
    return {**json.loads(result.stdout), "process_s": wall, "process_peak_mb": peak}


def command(workspace: Path, *args: str) -> dict:
    """The command line as a user runs it, on a fresh copy of the workspace (an empty output/)."""
    copy = workspace.parent / f"{workspace.name}-run"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(workspace, copy, ignore=shutil.ignore_patterns("output", ".stamp"))
    (copy / "output").mkdir()
    result, wall, peak = run([sys.executable, "-m", "auftakt_batch", *args, "--workspace", str(copy)], ok=(0, 1))
    invoices = len(list((copy / "output").rglob("invoices/*.pdf")))
    shutil.rmtree(copy)
    return {"seconds": wall, "peak_mb": peak, "exit": result.returncode, "invoices": invoices}


def hledger_balance(hledger: str, single: Path) -> dict:
    rules = single / "hledger.rules"
    rules.write_text(HLEDGER_RULES)
    result, wall, peak = run([hledger, "-f", str(single / "input" / "timesheet.csv"), "--rules-file", str(rules),
                              "balance", "--depth", "2", "-N"])
    total = result.stdout.strip().splitlines()[-1].split()[0].lstrip("-").replace(".", "").replace(",", ".")
    return {"seconds": wall, "peak_mb": peak, "hours": float(total)}


def run(argv: list[str], ok=(0,)) -> tuple[subprocess.CompletedProcess, float, float]:
    """(result, wall seconds, peak RSS in MB of the largest process of the command, its children included)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        began = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=err, text=True, cwd=ROOT,
                                   env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
        _, status, usage = os.wait4(process.pid, 0)  # the rusage of this child and of the children it waited for
        wall = time.perf_counter() - began
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        result = subprocess.CompletedProcess(argv, process.returncode, out.read(), err.read())
    if result.returncode not in ok:
        raise SystemExit(f"{' '.join(argv)} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return result, wall, usage.ru_maxrss / (2**20 if sys.platform == "darwin" else 1024)


def bench_check(folder: Path, runs: int) -> dict:
    """`check` on the demo workspace that ships in the repository."""
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(ROOT / "input", folder / "input")
    shutil.copytree(ROOT / "templates", folder / "templates")
    shutil.copy(ROOT / "rates.yaml", folder / "rates.yaml")
    walls = [run([sys.executable, "-m", "auftakt_batch", "check", "--period", MONTH, "--workspace", str(folder)],
                 ok=(0, 1))[1] for _ in range(runs)]
    return {"samples": walls, "median": statistics.median(walls)}


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


def targets(results: dict) -> list[dict]:
    """Each target of issue 9 with what was measured, where the size it names was run."""
    sizes, cores = results["sizes"], results["machine"]["cores"]
    found = []

    def target(what: str, measured: float, limit: float, unit: str, higher_is_better: bool = False) -> None:
        met = measured >= limit if higher_is_better else measured <= limit
        found.append({"target": what, "measured": round(measured, 2), "limit": limit, "unit": unit, "met": met})

    if "1M" in sizes:
        m = sizes["1M"]["median"]
        target("ingest + validate + price of 1M entries, × the read_csv floor",
               m["stages"]["ingest_validate_price_s"] / m["floor"]["seconds"], TARGETS["ingest_x_floor"], "×")
        target("peak memory of ingest + validate + price, 1M entries", m["stages"]["peak_mb"], TARGETS["peak_mb"],
               "MB")
    if "200k" in sizes and "hledger" in sizes["200k"]["median"]:
        m = sizes["200k"]["median"]
        target("faster than hledger balance on the same 200k-entry CSV (whole commands)",
               m["hledger"]["seconds"] / m["single_stages"]["process_s"], TARGETS["hledger_x"], "×", True)
    if "20k" in sizes:
        m = sizes["20k"]["median"]
        target(f"bill of {m['bill']['invoices']} invoices, × WeasyPrint alone on their HTML / {cores} cores",
               m["bill"]["seconds"] / (m["weasyprint"]["seconds"] / cores), TARGETS["bill_x_weasyprint"], "×")
        target("report (profitability workbook) of a 20k-entry month", m["report"]["seconds"], TARGETS["report_s"],
               "s")
    target("check on the demo workspace", results["check"]["median"], TARGETS["check_s"], "s")
    return found


def commit() -> str:
    """The commit measured (with + when the working tree differs from it)."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True,
                           cwd=ROOT)
    return (head.stdout.strip() or "unknown") + ("+" if dirty.stdout.strip() else "")


def machine(hledger: str | None) -> dict:
    import pandas
    import weasyprint

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    memory = next((int(line.split()[1]) // 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), 0) if Path("/proc/meminfo").exists() else 0
    version = subprocess.run([hledger, "--version"], capture_output=True, text=True).stdout.strip() if hledger else None
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_mb": memory, "os": platform.platform(),
            "python": platform.python_version(), "pandas": pandas.__version__, "weasyprint": weasyprint.__version__,
            "hledger": version}


def markdown(results: dict) -> str:
    m = results["machine"]
    lines = [
        "# Benchmark results",
        "",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['memory_mb'] / 1024:.0f} GB; {m['os']}",
        f"- Python {m['python']}, pandas {m['pandas']}, WeasyPrint {m['weasyprint']}, "
        f"{m['hledger'] or 'hledger not installed'}",
        f"- Date: {results['date']}",
        f"- Command: `{results['command']}` (medians of {results['runs']} runs; `check`: of {results['runs'] + 2})",
        "",
        "## Targets",
        "",
        "| target | measured | limit | |",
        "|---|---:|---:|---|",
    ]
    for t in results["targets"]:
        verdict = "met" if t["met"] else f"**missed** by {abs(t['measured'] / t['limit'] - 1):.0%}"
        lines.append(f"| {t['target']} | {t['measured']:,} {t['unit']} | {t['limit']:,} {t['unit']} | {verdict} |")
    lines += [
        "",
        "## Stages",
        "",
        "Seconds, and peak resident memory in MB in brackets. Ingest, validate and price run on all the entries "
        "(the period of all the generated months); report and bill are the commands for November 2026, as a user "
        "runs them, on a fresh copy of the workspace. The floor is `pandas.read_csv` of the same CSV files; "
        "WeasyPrint alone renders the bill's HTML documents one after another in one process.",
        "",
        "| entries | files | ingest | validate | price | i+v+p | floor | i+v+p / floor | report | bill | invoices | "
        "WeasyPrint alone |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    measured: list[str] = []
    for name, size in results["sizes"].items():
        d = size["median"]
        s = d["stages"]
        if size.get("commit"):
            measured.append(f"{name}: {size['date']}, commit {size['commit']}, `{size['command']}`")
        alone = f"{d['weasyprint']['seconds']:.1f}" if "weasyprint" in d else "—"
        lines.append(
            f"| {name} | {d['floor']['files']} | {cell(s['ingest'])} | {cell(s['validate'])} | {cell(s['price'])} | "
            f"{s['ingest_validate_price_s']:.2f} | {d['floor']['seconds']:.2f} | "
            f"{s['ingest_validate_price_s'] / d['floor']['seconds']:.1f}× | {cell(d['report'])} | {cell(d['bill'])} | "
            f"{d['bill']['invoices']} | {alone} |")
    lines += [
        "",
        "## One CSV file: the floor and the peer",
        "",
        "Every entry in one native CSV (`input/timesheet.csv`). hledger reads it with a CSV rules file and prints "
        "the balance of hours per client as typed; auftakt-batch resolves the names and checks every entry as well. "
        "Whole commands, start-up included (auftakt-batch: `bench/measure.py stages`).",
        "",
        "| entries | read_csv floor | auftakt-batch i+v+p | whole process | hledger balance | hledger / ours |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for name, size in results["sizes"].items():
        d = size["median"]
        if "single_stages" not in d:
            lines.append(f"| {name} | not run | | | | |")
            continue
        s = d["single_stages"]
        h = d.get("hledger")
        peer = f"{h['seconds']:.1f} ({h['peak_mb']:,.0f} MB)" if h else "not run"
        ratio = f"{h['seconds'] / s['process_s']:.1f}×" if h else ""
        lines.append(f"| {name} | {d['single_floor']['seconds']:.2f} | {s['ingest_validate_price_s']:.2f} "
                     f"({s['peak_mb']:,.0f} MB) | {s['process_s']:.2f} | {peer} | {ratio} |")
    if measured:
        lines += ["", "Measured:", "", *(f"- {m}" for m in measured)]
    c = results["check"]
    lines += ["", f"`check --period {MONTH}` on the demo workspace: {c['median']:.2f} s "
                  f"(runs: {', '.join(f'{w:.2f}' for w in c['samples'])}).", ""]
    return "\n".join(lines)


def cell(measured: dict) -> str:
    return f"{measured['seconds']:.2f} ({measured['peak_mb']:,.0f})"


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
