"""What the harnesses share: a scratch workspace, the record of failures, and the run itself.

A harness's `test_one_input(data)` raises when an invariant breaks. Run by hand (e.g. on a
reproducer: `python bench/fuzz/fuzz_csv.py bench/fuzz/findings/csv-....bin`) that exception
is atheris's crash, with its traceback. Under `FUZZ_KEEP_GOING=1` (run.sh sets it) a failure
is recorded instead, once per signature (the exception type and the innermost auftakt_batch
frame, or the harness line whose check failed): the input, shrunk while it fails the same way,
goes to findings/NAME-SIGNATURE.bin with the traceback beside it (.txt), and fuzzing goes on
to find the next one. Hangs and crashes of the interpreter are libFuzzer's: it writes them to
findings/ itself (-artifact_prefix) and stops.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Callable

import atheris

HERE = Path(__file__).resolve().parent
FINDINGS = Path(os.environ.get("FUZZ_FINDINGS", HERE / "findings"))
# per new failure; libFuzzer counts the shrinking as the input's own time, so this stays well
# below run.sh's -timeout (10 s), or the shrinking itself would be reported as a hang
SHRINK_SECONDS = float(os.environ.get("FUZZ_SHRINK_SECONDS", 4))


class Scratch:
    """A workspace in a temporary folder with an input/ folder; one file written per input.
    libFuzzer ends the process without Python's exit handlers: run.sh points TMPDIR into
    corpus-work/ and empties it afterwards."""

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="auftakt-fuzz-"))
        self.input = self.root / "input"
        self.input.mkdir()

    def write(self, name: str, data: bytes) -> Path:
        shutil.rmtree(self.input)
        self.input.mkdir()
        path = self.input / name
        path.parent.mkdir(parents=True, exist_ok=True)  # a folder may name the file's person (Watson)
        path.write_bytes(data)
        return path

    def label(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()


def signature(exc: BaseException) -> str:
    """Where a failure comes from: the exception type and the innermost frame of our code."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "auftakt_batch" in f.filename or f.filename.startswith(str(HERE))]
    where = ours[-1] if ours else frames[-1]
    return f"{type(exc).__name__}@{Path(where.filename).name}:{where.lineno}"


def _fails_as(test: Callable[[bytes], None], data: bytes) -> str | None:
    try:
        test(data)
    except Exception as exc:
        return signature(exc)
    return None


def shrink(test: Callable[[bytes], None], data: bytes, wanted: str) -> bytes:
    """Delete chunks of the input (halves, then quarters, … single bytes) while it still fails
    with the same signature; stops after SHRINK_SECONDS."""
    deadline = time.monotonic() + SHRINK_SECONDS
    chunk = max(1, len(data) // 2)
    while chunk >= 1 and time.monotonic() < deadline:
        i, smaller = 0, False
        while i < len(data) and time.monotonic() < deadline:
            candidate = data[:i] + data[i + chunk:]
            if candidate and _fails_as(test, candidate) == wanted:
                data, smaller = candidate, True
            else:
                i += chunk
        if not smaller:
            chunk //= 2
    return data


def guarded(name: str, test: Callable[[bytes], None]) -> Callable[[bytes], None]:
    """The harness as atheris calls it: as is, or recording failures and going on (FUZZ_KEEP_GOING=1)."""
    if os.environ.get("FUZZ_KEEP_GOING") != "1":
        return test
    seen: set[str] = set()

    def recording(data: bytes) -> None:
        try:
            test(data)
        except Exception as exc:
            sig = signature(exc)
            if sig in seen:
                return
            seen.add(sig)
            small = shrink(test, data, sig)
            try:
                test(small)
                exc_small = exc
            except Exception as again:
                exc_small = again
            stem = f"{name}-{sig.replace('@', '-').replace(':', '-')}-{hashlib.sha1(small).hexdigest()[:8]}"
            FINDINGS.mkdir(parents=True, exist_ok=True)
            (FINDINGS / f"{stem}.bin").write_bytes(small)
            (FINDINGS / f"{stem}.txt").write_text(
                f"{sig}\ninput ({len(small)} bytes, shrunk from {len(data)}): {small[:400]!r}\n\n"
                + "".join(traceback.format_exception(exc_small)))
            print(f"\n=== NEW FAILURE {sig}: findings/{stem}.bin", file=sys.stderr, flush=True)

    return recording


def run(name: str, test: Callable[[bytes], None]) -> None:
    atheris.Setup(sys.argv, guarded(name, test))
    atheris.Fuzz()
