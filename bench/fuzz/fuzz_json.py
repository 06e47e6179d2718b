"""JSON exports (Watson's frames file, `watson log --json`): any bytes, saved as
input/anna/frames, through `ingest()` — decoding, JSON parsing, the records' shapes, and
build_entries for the Watson format (Unix seconds and ISO 8601 instants, client/job projects).

Invariant: as for CSV (fuzz_csv.check_ingested): ingest never raises; bad input is problems
naming the file, or the file listed as unreadable with an error on it; a file that was read
yields entries that meet the RawEntries contract.

    python bench/fuzz/fuzz_json.py CORPUS_DIR [libFuzzer flags]   # fuzz
    python bench/fuzz/fuzz_json.py findings/json-....bin            # replay one input
"""

import atheris
import pandas as pd  # noqa: F401  (imported before instrumenting: only auftakt_batch is)

with atheris.instrument_imports(include=["auftakt_batch"]):
    from auftakt_batch.ingest import ingest
    from auftakt_batch.ingest.build import Rules

from common import Scratch, run
from fuzz_csv import check_ingested

RULES = Rules("Europe/Berlin")
SCRATCH = Scratch()


def test_one_input(data: bytes) -> None:
    path = SCRATCH.write("anna/frames", data)
    check_ingested(ingest(SCRATCH.input, SCRATCH.root, RULES), SCRATCH.label(path))


if __name__ == "__main__":
    run("json", test_one_input)
