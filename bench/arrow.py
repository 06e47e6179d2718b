"""pyarrow, measured: what importing it costs and what it gives at each size (issue 23: decide with numbers).

    python bench/arrow.py PYTHON_WITH_PYARROW [--sizes 20k,200k,1M]     (`make bench-arrow` runs it)

pandas 3 keeps text in Arrow arrays when pyarrow is installed (the `str` dtype's storage), in
Python objects when it is not; the tool keeps it in Python objects either way (auftakt_batch/frames.py).
On bench/run.py's generated workspaces, in fresh processes of this interpreter (without pyarrow)
and of PYTHON_WITH_PYARROW: the import of what a run imports before its first stage (the CLI,
pandas, numpy — and pyarrow, which pandas imports when it is there); the cold stages of each
workspace (bench/measure.py stages: ingest, validate, price, the cache removed first) without
pyarrow, with it installed (the tool as it is), and with text in Arrow arrays (what pandas would do
unasked); and the read_csv floor (pandas' C parser, and pyarrow's). Writes bench/ARROW.md: medians of RUNS.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import run

HERE = Path(__file__).parent
RUNS = 3
IMPORT = "import auftakt_batch.cli, auftakt_batch.pipeline, pandas, numpy"


DECISION = """\
**Decision: pyarrow is not a dependency, and text stays Python strings where it is installed**
(auftakt_batch/frames.py). With text in Arrow arrays the cold stages took {slower}× as long at these
sizes: each stage works on text value by value (names resolved, entries fingerprinted, rows checked),
and every value read out of an Arrow array becomes a Python string first. Importing pyarrow adds
{imports} s to every process, whatever it does. What Arrow gives is the floor: making Arrow strings,
pandas' own parser reads the CSVs in half the time at 1M entries (pyarrow's parser, on two cores, is
no faster, and slower up to 200,000). Taking that gain needs every stage to work on whole columns of text (codes,
or Arrow's compute functions): the change bench/RESULTS.md's gap for the cold path describes."""


def measure(python: str, *args: str) -> dict:
    done = subprocess.run([python, str(HERE / "measure.py"), *args], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def imported(python: str) -> float:
    """Seconds of a process that imports what a run imports first, and nothing else."""
    began = time.perf_counter()
    subprocess.run([python, "-c", IMPORT], check=True)
    return time.perf_counter() - began


def stages(python: str, workspace: Path, period: str, storage: str = "python") -> float:
    shutil.rmtree(workspace / "output" / ".cache", ignore_errors=True)
    found = measure(python, "stages", str(workspace), period, run.TODAY, storage)
    return sum(found[stage]["seconds"] for stage in ("ingest", "validate", "price"))


def rows_of(plain: str, arrow: str, name: str, workspace: Path, period: str) -> list[tuple[str, list, list]]:
    def floor(python: str, engine: str = "c") -> list[float]:
        return [measure(python, "floor", str(workspace), engine)["seconds"] for _ in range(RUNS)]

    without, floor_without = [stages(plain, workspace, period) for _ in range(RUNS)], floor(plain)
    return [(f"{name}: cold ingest + validate + price (the tool as it is)", without,
             [stages(arrow, workspace, period) for _ in range(RUNS)]),
            (f"{name}: cold ingest + validate + price, text in Arrow arrays", without,
             [stages(arrow, workspace, period, "pyarrow") for _ in range(RUNS)]),
            (f"{name}: read_csv floor, C parser", floor_without, floor(arrow)),
            (f"{name}: read_csv floor, pyarrow's parser (without: the C parser)", floor_without,
             floor(arrow, "pyarrow"))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("arrow", help="a Python with this package and pyarrow installed")
    parser.add_argument("--sizes", default="20k,200k,1M")
    parser.add_argument("--work", type=Path, default=Path("/tmp/auftakt-bench"))
    args = parser.parse_args()
    plain = sys.executable
    rows = [("import (whole process)", [imported(plain) for _ in range(RUNS)],
             [imported(args.arrow) for _ in range(RUNS)])]
    for name in run.names(args.sizes):
        size = run.SIZES[name]
        workspace = run.workspace(args.work / name / "mixed", size, size.one_file)
        (workspace / "output").mkdir(exist_ok=True)
        period = run.generate(f"print(generate.period({size.months}))").strip()
        run.say(f"pyarrow: {name}")
        rows += rows_of(plain, args.arrow, name, workspace, period)
    version = subprocess.run([args.arrow, "-c", "import pyarrow; print(pyarrow.__version__)"], capture_output=True,
                             text=True, check=True).stdout.strip()
    box = run.machine(None)
    lines = ["# pyarrow, measured", "",
             f"- Machine: {box['cpu']}, {box['cores']} cores; Python {box['python']}, pandas {box['pandas']}, "
             f"pyarrow {version}",
             f"- Date: {time.strftime('%Y-%m-%dT%H:%M:%S%z')}; commit {run.commit()}",
             f"- Command: `python bench/arrow.py ... --sizes {args.sizes}`; seconds, medians of {RUNS} fresh processes",
             "", "| what | without pyarrow | with pyarrow | with / without |", "|---|---:|---:|---:|"]
    ratios = {what: statistics.median(with_) / statistics.median(without) for what, without, with_ in rows}
    for what, without, with_ in rows:
        lines.append(f"| {what} | {statistics.median(without):.2f} | {statistics.median(with_):.2f} | "
                     f"{ratios[what]:.2f}× |")
    arrow_text = [r for what, r in ratios.items() if what.endswith("text in Arrow arrays")]
    imports = statistics.median(rows[0][2]) - statistics.median(rows[0][1])
    lines += ["", DECISION.format(slower=f"{min(arrow_text):.2f}–{max(arrow_text):.2f}", imports=f"{imports:.2f}")]
    (HERE / "ARROW.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
