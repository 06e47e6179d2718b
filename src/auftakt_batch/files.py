"""Writing output files so that a crash never leaves half of one, and crash points to prove it.

Every file under output/ is written to a temporary file beside it (named after the writing
process, so two writers never share one), synced, and renamed into place: a reader sees the
old file or the new one, never a torn one. A crashed run's temporary files are orphans; the
next billing run sweeps them.

`crash_point(step)` is how the crash-safety tests (tests/test_crashes.py) kill a run at an
exact step: with AUFTAKT_FAULT=step (or step:n, the n-th time this process reaches it) the
process gets SIGKILL. With AUFTAKT_FAULT_GROUP=1 as well, its whole process group does, so the
PDF workers die with it, as they do when a laptop loses power: the tests start the run in a
session of its own for that. AUFTAKT_PAUSE=step (or step:n) stops the process there instead
(SIGSTOP), for a test to look at the workspace while a run is at that step, and then let it go
on (SIGCONT).
"""

from __future__ import annotations

import os
import signal
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

FAULT = "AUFTAKT_FAULT"
FAULT_GROUP = "AUFTAKT_FAULT_GROUP"
PAUSE = "AUFTAKT_PAUSE"
_reached: Counter[tuple[str, str]] = Counter()


def write_atomically(target: Path, write: Callable[[Path], None], step: str | None = None) -> Path:
    """`write(temp)` fills a temporary file, which is synced and renamed to `target`."""
    return prepare(target, write, step).place()


@dataclass(frozen=True)
class Prepared:
    """A file written and synced beside its target, not yet in place (`prepare`)."""

    temp: Path
    target: Path

    def place(self) -> Path:
        """Rename it to its target: a reader sees the old file or this one."""
        try:  # fails where another program holds the target (Windows), or it is a folder
            os.replace(self.temp, self.target)
        except BaseException:
            self.discard()
            raise
        return self.target

    def discard(self) -> None:
        with suppress(OSError):
            self.temp.unlink(missing_ok=True)


def prepare(target: Path, write: Callable[[Path], None], step: str | None = None) -> Prepared:
    """`write(temp)` fills a temporary file beside `target`, which is synced, for `place` to rename
    to `target` when the rest of what goes with it is done (`bill`'s workbook: once every PDF is)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    prepared = Prepared(target.with_name(f".{target.name}.{os.getpid()}.tmp"), target)
    try:
        _fill(prepared.temp, write)
        if step:
            crash_point(f"{step}-written")  # the whole temporary file is there, not yet in place
    except BaseException:  # a run that fails (not one killed) leaves no temporary file behind
        prepared.discard()
        raise
    return prepared


def _fill(temp: Path, write: Callable[[Path], None]) -> None:
    try:
        write(temp)
        with open(temp, "rb+") as handle:
            os.fsync(handle.fileno())
    except OSError as exc:
        if exc.filename is None:  # a write or sync says what failed (a full disk), not where
            raise OSError(exc.errno, exc.strerror, str(temp)) from exc
        raise


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


LOCKED_FOLDERS = frozenset({"invoices", "backups", "reminders"})  # written only by runs holding the billing lock


def sweep_orphans(folder: Path) -> int:
    """Remove a crashed run's temporary files under `folder`; the caller holds the billing lock.
    In the folders only such runs write to, every temporary file is a crashed run's (its pid may
    be another process's by now); elsewhere a live writer's (`report` or `review` saving
    meanwhile) is left alone."""
    orphans = [p for p in folder.rglob(".*.tmp") if p.is_file() and (p.parent.name in LOCKED_FOLDERS or not _alive(p))
               ] if folder.is_dir() else []
    for path in orphans:
        path.unlink(missing_ok=True)
    return len(orphans)


def _alive(temp: Path) -> bool:
    """Whether the process that named `temp` still runs (a killed one may linger as a zombie)."""
    pid = temp.name.rsplit(".", 2)[-2]
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: running
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):  # no /proc (macOS): kill() said it runs
        return True


def crash_point(step: str) -> None:
    """Die here if AUFTAKT_FAULT names this step, stop if AUFTAKT_PAUSE does (see the module
    docstring); else nothing."""
    if _names(FAULT, step):
        if os.environ.get(FAULT_GROUP) == "1":
            os.killpg(os.getpgrp(), signal.SIGKILL)
        os.kill(os.getpid(), signal.SIGKILL)
    if _names(PAUSE, step):
        os.kill(os.getpid(), signal.SIGSTOP)


def _names(variable: str, step: str) -> bool:
    """Whether `variable` (step or step:n) names this step, reached now for the n-th time."""
    name, _, nth = os.environ.get(variable, "").partition(":")
    if name != step:
        return False
    _reached[variable, step] += 1
    return _reached[variable, step] == int(nth or 1)
