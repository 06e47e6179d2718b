"""One measurement in a fresh process, printed as JSON: run by bench/run.py, one kind per call.

    python bench/measure.py stages WORKSPACE PERIOD TODAY [STORAGE]  ingest, validate, price: seconds and peak
                                                              RSS each (STORAGE: of text, python or pyarrow)
    python bench/measure.py floor WORKSPACE [ENGINE]        pandas.read_csv of every CSV under input/ (c, pyarrow)
    python bench/measure.py weasyprint WORKSPACE PERIOD TODAY  WeasyPrint alone on the billing run's HTML documents
    python bench/measure.py billed WORKSPACE MONTH... TODAY     `bill` of each month in turn, its PDFs not rendered

Peak memory per stage is the process's resident high-water mark (VmHWM), reset when the stage
starts (Linux: /proc/self/clear_refs), so each stage's number is its own, not the run's so far.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path


def peak_mb() -> float:
    """Resident high-water mark of this process since the last reset, in MB."""
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status)[1]) / 1024


def reset_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:  # not Linux: the peaks are then the run's so far
        pass


@contextmanager
def stage(name: str, into: dict):
    reset_peak()
    began = time.perf_counter()
    yield
    into[name] = {"seconds": time.perf_counter() - began, "peak_mb": peak_mb()}


def stages(workspace: Path, period_text: str, today_text: str, storage: str = "python") -> dict:
    """ingest (input/ → raw entries), validate (the rest of `check`: schemas, names, calendars,
    identities, checks) and price (rates and rounding of every billable entry). The check's own
    stage clock (auftakt_batch.timings) says which is which; each of its laps resets the peak."""
    import pandas as pd

    import auftakt_batch.frames  # noqa: F401 — the package's own setting ("python"), then this run's, before
    pd.set_option("mode.string_storage", storage)  # any of its dtypes is made (schemas.py makes them as imported)
    from auftakt_batch import pipeline
    from auftakt_batch.periods import parse_period
    from auftakt_batch.timings import Timings

    period, today = parse_period(period_text), date.fromisoformat(today_text)
    out: dict = {}
    peaks: dict[str, float] = {}

    def lapped(name: str) -> None:
        peaks[name] = peak_mb()
        reset_peak()

    timings = Timings(on_lap=lapped)
    reset_peak()
    run = pipeline.check(workspace, period, today, timings)
    rest = [name for name in timings.stages if name != "ingest"]
    out["ingest"] = {"seconds": timings.stages["ingest"], "peak_mb": peaks["ingest"]}
    out["validate"] = {"seconds": sum(timings.stages[name] for name in rest),
                       "peak_mb": max(peaks[name] for name in rest)}
    with stage("price", out):
        priced = pipeline.billable_now(run)
    out["counts"] = {"entries": len(run.entries), "priced": len(priced), "errors": sum(
        p.severity.name == "ERROR" for p in run.problems), "problems": len(run.problems)}
    return out


def floor(workspace: Path, engine: str = "c") -> dict:
    """The floor: plain `pandas.read_csv` of the same CSV files, each as it is (separator and BOM),
    with pandas' own parser (c) or pyarrow's (bench/arrow.py)."""
    import pandas as pd

    files = sorted((workspace / "input").rglob("*.csv"))
    began, rows = time.perf_counter(), 0
    reset_peak()
    for path in files:
        with path.open(encoding="utf-8-sig") as f:
            head = f.readline()
        rows += len(pd.read_csv(path, sep=";" if head.count(";") > head.count(",") else ",", encoding="utf-8-sig",
                                engine=engine))
    return {"seconds": time.perf_counter() - began, "peak_mb": peak_mb(), "files": len(files), "rows": rows}


def weasyprint(workspace: Path, period_text: str, today_text: str) -> dict:
    """The HTML documents a billing run renders (captured from a run on a copy, not rendered
    there), then rendered one after another by WeasyPrint alone, in this one process."""
    from weasyprint import HTML

    from auftakt_batch import billing
    from auftakt_batch.periods import parse_period

    jobs = []

    def capture(todo, done, workers=None, count=None):
        jobs.extend(todo)
        for job in todo:
            done(job, "0" * 64)

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "ws"
        (copy / "output").mkdir(parents=True)
        for part in ("rates.yaml", "input", "templates"):
            (shutil.copytree if (workspace / part).is_dir() else shutil.copy)(workspace / part, copy / part)
        billing.write_pdfs = capture
        billing.bill(copy, parse_period(period_text), date.fromisoformat(today_text))
        began = time.perf_counter()
        for job in jobs:
            HTML(string=job.html, base_url=str(job.templates) + "/").write_pdf()
        seconds = time.perf_counter() - began
    return {"seconds": seconds, "documents": len(jobs)}


def billed(workspace: Path, *months_and_today: str) -> dict:
    """`bill` of each month in turn, as an agency bills its year — each PDF a few bytes in its place
    (a stand-in for WeasyPrint, as the tests have): the ledger is what `bill` writes; the time is not
    the point."""
    from auftakt_batch import billing
    from auftakt_batch.periods import parse_period
    from auftakt_batch.render.pdf import write_documents

    def stand_in(jobs, done, workers=None, count=None):
        for job in jobs:
            done(job, write_documents(job, lambda job: b"%PDF-1.7\n% a stand-in (bench/measure.py)\n%%EOF\n"))

    *months, today = months_and_today
    issued = []
    for month in months:
        run = billing.bill(workspace, parse_period(month), date.fromisoformat(today), renderer=stand_in)
        issued.append(len(run.issued))
    return {"months": months, "invoices": issued}


def main() -> None:
    kind, *args = sys.argv[1:]
    result = {"stages": stages, "floor": floor, "weasyprint": weasyprint, "billed": billed}[kind](
        Path(args[0]), *args[1:])
    print(json.dumps(result))


if __name__ == "__main__":
    main()
