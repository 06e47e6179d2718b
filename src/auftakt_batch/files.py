"""Writing output files so that a crash never leaves half of one, and crash points to prove it.

Every file under output/ is written to a temporary file beside it (named after the writing
process, so two writers never share one), synced, and renamed into place: a reader sees the
old file or the new one, never a torn one. A crashed run's temporary files are orphans; the
next billing run sweeps them.

`crash_point(step)` is how the crash-safety tests (tests/test_crashes.py) kill a run at an
exact step: with AUFTAKT_FAULT=step (or step:n, the n-th time it is reached) the process gets
SIGKILL — its whole process group when the run leads a session of its own, so the PDF
workers die with it, as they do when a laptop loses power.
"""

from __future__ import annotations

import os
import signal
from collections import Counter
from collections.abc import Callable
from pathlib import Path

FAULT = "AUFTAKT_FAULT"
_reached: Counter[str] = Counter()


def write_atomically(target: Path, write: Callable[[Path], None], step: str | None = None) -> Path:
    """`write(temp)` fills a temporary file, which is synced and renamed to `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    write(temp)
    with open(temp, "rb+") as handle:
        os.fsync(handle.fileno())
    if step:
        crash_point(f"{step}-written")  # the whole temporary file is there, not yet in place
    os.replace(temp, target)
    return target


def write_bytes_atomically(target: Path, data: bytes, step: str | None = None) -> Path:
    def write(temp: Path) -> None:
        with open(temp, "wb") as handle:
            half = len(data) // 2
            handle.write(data[:half])
            if step:
                handle.flush()
                crash_point(f"{step}-half")  # half a file on disk
            handle.write(data[half:])

    return write_atomically(target, write, step)


def sweep_orphans(folder: Path) -> int:
    """Remove temporary files crashed runs left under `folder`; call it holding the billing lock."""
    orphans = [p for p in folder.rglob(".*.tmp") if p.is_file()] if folder.is_dir() else []
    for path in orphans:
        path.unlink(missing_ok=True)
    return len(orphans)


def crash_point(step: str) -> None:
    """Die here if AUFTAKT_FAULT names this step (see the module docstring); else nothing."""
    name, _, nth = os.environ.get(FAULT, "").partition(":")
    if name != step:
        return
    _reached[step] += 1
    if _reached[step] == int(nth or 1):
        if os.getsid(0) == os.getpgrp():  # the run leads its own session: take its workers along
            os.killpg(os.getpgrp(), signal.SIGKILL)
        os.kill(os.getpid(), signal.SIGKILL)
