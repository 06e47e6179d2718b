"""Keeping the ledger safe: a backup before and after every run that writes to it, and the
invoice files in output/ that a ledger must know.

Backups are SQLite online backups (a consistent copy even of a ledger in use) in
output/backups/, written atomically (files.py), the newest `KEPT` kept. Restoring one is
copying it over output/ledger.sqlite (README: "Restoring the ledger"). A ledger that does not
know an invoice file in output/ — it was deleted, emptied, or replaced by an older copy — is
refused by ledger.py before anything is written, since billing would give out those numbers
again; the message says which backup to restore.
"""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import datetime
from pathlib import Path

from ..files import write_atomically
from .written import token

FOLDER = "backups"
KEPT = 30  # the newest backups kept: one or two per writing run, so the last 15 to 30 runs
INVOICE_SUFFIXES = (".xrechnung.xml", ".pdf")


def backup(conn: sqlite3.Connection, ledger_path: Path) -> Path | None:
    """A copy of the ledger as `conn` sees it, in output/backups/ (none of a ledger without
    invoices: there is nothing to lose); older ones beyond KEPT removed. Each copy's name ends
    with a mark of the ledger's token as the copy began (`_mark`): where the newest backup's is the
    ledger's now — the copy the last writing run took after its writes, and nothing wrote since —
    that backup is the ledger as it is, and no other is taken (a year's ledger is hundreds of MB)."""
    if conn.execute("SELECT count(*) FROM invoices").fetchone() == (0,):
        return None
    mark = _mark(conn)
    newest = backups(ledger_path)[:1]
    if mark and newest and newest[0].name.endswith(f"-{mark}.sqlite"):
        return newest[0]
    folder = ledger_path.parent / FOLDER
    target = folder / f"ledger-{datetime.now():%Y%m%dT%H%M%S-%f}{f'-{mark}' if mark else ''}.sqlite"

    def write(temp: Path) -> None:
        copy = sqlite3.connect(temp)
        try:
            conn.backup(copy)
        finally:
            copy.close()

    write_atomically(target, write)
    for old in backups(ledger_path)[KEPT:]:
        old.unlink(missing_ok=True)
    return target


def _mark(conn: sqlite3.Connection) -> str:
    """The ledger's token (which every write to it replaces, and its schema's changes: ledger/written.py),
    as 16 hex digits of its hash; "" for a ledger without one. Read before the copy begins: a write
    in between (by another program) leaves the copy newer than its mark, never older."""
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    now = token(conn, version)
    return "" if now is None else hashlib.sha256(now.encode()).hexdigest()[:16]


def backups(ledger_path: Path) -> list[Path]:
    """The ledger's backups, newest first."""
    folder = ledger_path.parent / FOLDER
    return sorted(folder.glob("ledger-*.sqlite"), reverse=True) if folder.is_dir() else []


def restore_hint(ledger_path: Path) -> str:
    """What to do about a ledger that cannot be used: restore the newest backup, and how."""
    found = backups(ledger_path)
    if not found:
        return (f"restore {ledger_path.name} from your own backup of output/ (there is none in "
                f"output/{FOLDER}/), as README's 'Restoring the ledger' says")
    workspace = ledger_path.parent.parent
    return (f"restore the newest backup: cp {_shown(found[0], workspace)} {_shown(ledger_path, workspace)} and delete "
            f"{ledger_path.name}-wal and {ledger_path.name}-shm if they are there (README: 'Restoring the ledger')")


def stray_invoices(output: Path, known: set[tuple[str, str]]) -> list[str]:
    """Invoice files under output/PERIOD/invoices/ whose (period, NUMBER-CLIENT) is not `known`."""
    found = []
    for path in sorted(output.glob("*/invoices/*")):
        if path.name.startswith(".") or not path.name.endswith(INVOICE_SUFFIXES):
            continue
        stem = next(path.name.removesuffix(s) for s in INVOICE_SUFFIXES if path.name.endswith(s))
        if (path.parent.parent.name, stem) not in known:
            found.append(_shown(path, output.parent))
    return found


def _shown(path: Path, workspace: Path) -> str:
    """output/… as the user sees it from the workspace."""
    return path.relative_to(workspace).as_posix()
