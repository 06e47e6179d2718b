"""CSV exports: any bytes, saved as input/export.csv, through `ingest()` — decoding, separator
and format recognition, the field counts, and build_entries for whichever format the header is.

Invariant: ingest never raises. Bad input comes back as problems naming the file (or the file
listed as unreadable, with an error on it); a file that was read yields entries that meet the
RawEntries contract the next stage validates, with export prices as Decimal (never float).

    python bench/fuzz/fuzz_csv.py CORPUS_DIR [libFuzzer flags]   # fuzz
    python bench/fuzz/fuzz_csv.py findings/csv-....bin             # replay one input
"""

from decimal import Decimal

import atheris
import pandas as pd  # noqa: F401  (imported before instrumenting: only auftakt_batch is)

with atheris.instrument_imports(include=["auftakt_batch"]):
    from auftakt_batch.ingest import ingest
    from auftakt_batch.ingest.build import Rules
    from auftakt_batch.problems import Problem, Severity
    from auftakt_batch.schemas import RawEntries, validate

from common import Scratch, run

RULES = Rules("Europe/Berlin")
SCRATCH = Scratch()


def check_ingested(result, label: str) -> None:
    """What every file ingest reads must satisfy, whatever its bytes (shared with fuzz_xlsx)."""
    for problem in result.problems:
        assert isinstance(problem, Problem), problem
        assert problem.source.file.startswith(label), f"problem names another file: {problem}"
        assert isinstance(problem.severity, Severity), problem
    if label in result.unreadable:
        assert not result.files and result.entries.empty, "an unreadable file yielded entries"
        assert any(p.severity is Severity.ERROR for p in result.problems), "unreadable, but no error says why"
        return
    assert result.files and all(f.path.startswith(label) for f in result.files), result.files
    entries = result.entries
    for column in ("export_amount", "export_rate"):
        kinds = {type(v) for v in entries[column] if v is not None}
        assert kinds <= {Decimal}, f"{column} holds {kinds}, not Decimal"
    if len(entries):
        _, broken = validate(RawEntries, entries)
        assert not broken, f"entries break the RawEntries contract: {[str(p) for p in broken[:3]]}"


def test_one_input(data: bytes) -> None:
    path = SCRATCH.write("export.csv", data)
    check_ingested(ingest(SCRATCH.input, SCRATCH.root, RULES), SCRATCH.label(path))


if __name__ == "__main__":
    run("csv", test_one_input)
