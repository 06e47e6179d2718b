"""The workspace's files as the operating system sees them: what to tell the user when one
cannot be read or written (a folder where a file belongs, no permission, a full disk).

Bad data never raises (problems.py); these are conditions of the machine, raised as OSError
or by SQLite, and they end a command with one line naming the path and what to do. Every
write is atomic and every ledger change one transaction, so what was interrupted is finished
or undone by the next run; the message says so where it matters.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

ADVICE: dict[int | None, str] = {  # what to do, after what the system said
    errno.EACCES: "check its permissions (and its folder's)",
    errno.EPERM: "check its permissions (and its folder's)",
    errno.EROFS: "make that disk writable, or move the workspace to one that is",
    errno.ENOSPC: "free some space, then run the command again",
    errno.EDQUOT: "free some space, then run the command again",
    errno.EISDIR: "a folder is where a file belongs: move the folder away",
    errno.ENOTDIR: "a file is where a folder belongs: move the file away",
    errno.EEXIST: "a file is where a folder belongs: move the file away",
    errno.ENAMETOOLONG: "shorten the folder names",
    errno.ELOOP: "its symbolic links go round in a circle: fix the link",
    errno.EIO: "check the disk",
}
AFTERWARDS = "nothing is half-written: the next run finishes or undoes what this one started"


def described(exc: OSError | sqlite3.Error) -> str:
    """One line: the path, what the system said, what to do."""
    if isinstance(exc, sqlite3.Error):
        return _database(exc)
    path = _shown(exc.filename) if exc.filename else "a file of the workspace"
    reason = exc.strerror or str(exc)
    advice = ADVICE.get(exc.errno, "check the path and run the command again")
    return f"{path}: {reason} — {advice}; {AFTERWARDS}"


HELD = "close it if another program has it open (Excel, LibreOffice), else check its permissions (and its folder's)"
HELD_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.EBUSY, errno.ETXTBSY})  # Windows: a file open elsewhere


def unwritten(target: Path, exc: OSError, again: str) -> str:
    """One line: the output file that could not be written, what the system said (about which
    path, if another), what to do, and the command `again` that writes it once that is done."""
    shown = _shown(target)
    where = _shown(exc.filename) if exc.filename else shown
    reason = exc.strerror or str(exc)
    advice = HELD if exc.errno in HELD_ERRNOS else ADVICE.get(exc.errno, "check the path")
    return (f"{shown} could not be written ({reason if where == shown else f'{where}: {reason}'}) — {advice}; "
            f"then `{again}` writes it again")


HELD_LEDGER = ("another program holds it locked (a database browser, a backup tool): close that program or wait "
               "for it, then run the command again")
SQLITE_ADVICE = {  # by SQLite's error name (its primary code): what to do
    "SQLITE_BUSY": HELD_LEDGER,
    "SQLITE_LOCKED": HELD_LEDGER,
    "SQLITE_FULL": "free some space, then run the command again",
    "SQLITE_IOERR": "the disk may be full or failing — check its free space, then run the command again",
    "SQLITE_READONLY": "make output/ and the ledger writable (or the disk they are on)",
    "SQLITE_CANTOPEN": "check that output/ is a folder you may write in",
    "SQLITE_PERM": "check the permissions of output/ and of the ledger",
}


def _database(exc: sqlite3.Error) -> str:
    name = getattr(exc, "sqlite_errorname", "") or ""
    advice = next((text for code, text in SQLITE_ADVICE.items() if name == code or name.startswith(code + "_")),
                  "check that output/ledger.sqlite is a file you may read and write")
    return f"output/ledger.sqlite: {exc} — {advice}; the ledger is unchanged by what failed"


def _shown(filename: str | bytes | os.PathLike) -> str:
    """A path as the user typed it: relative to the current folder where it is inside it; a
    temporary file (files.py) as the file it was becoming."""
    path = Path(os.fsdecode(filename))
    if path.name.startswith(".") and path.name.endswith(".tmp"):
        path = path.with_name(path.name[1:].rsplit(".", 2)[0])
    if path.is_absolute() and path.is_relative_to(Path.cwd()):
        path = path.relative_to(Path.cwd())
    return path.as_posix()
