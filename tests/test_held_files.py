"""Files that another program holds: a workbook open in Excel, a ledger open in a database
browser or a backup tool, a ledger a `bill` is writing.

A workbook that cannot be replaced used to end `bill` in a traceback after it had issued an
invoice, leaving a temporary file; a locked ledger ended even the read-only `invoices` with
"database is locked" and the advice to restore a backup. Now the run finishes what it issued,
prints it, and names the file and the command that writes it again; a ledger held whole is
waited for (ledger.BUSY_TIMEOUT_S, shortened here), then named in one line; readers read
while a writer holds the write lock (WAL), whether another program or a `bill` stopped inside
its transaction (files.crash_point with AUFTAKT_PAUSE), and change no file of the ledger's.

Windows refuses to replace a file another program has open (PermissionError); Linux does
not, so the tests make the target unreplaceable as each machine allows: a folder in its place
(anyone), an immutable file (chattr +i, root only — skipped elsewhere), and os.replace
refusing as Windows does.
"""

from __future__ import annotations

import errno
import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from auftakt_batch import ledger
from auftakt_batch.billing import bill
from auftakt_batch.files import PAUSE
from auftakt_batch.periods import parse_period

from .conftest import TODAY, Workspace, bill_once, ledger_dump
from .test_crashes import RUN, clean_env

HEADER = "date,person,client,job,task,description,hours,billable\n"
FIRST = HEADER + "2026-11-03,Anna Schmidt,ACME,website,,Layout,1.5,\n"
LATER = HEADER + "2026-11-04,Ben Okafor,globex,app,,API,2,\n"
NOVEMBER = parse_period("2026-11")
REPORT = "output/2026-11/profitability-2026-11.xlsx"
REVIEW = "output/2026-11/review-2026-11.xlsx"
READERS = {"invoices": ["invoices"], "check": ["check", "--period", "2026-11"],
           "status": ["status", "--period", "2026-11"], "report": ["report", "--period", "2026-11"],
           "review": ["review", "--period", "2026-11"]}


@pytest.fixture
def billed(ws) -> Workspace:
    """November billed once (2026-0001); Globex's later entry waits for the next bill."""
    ws.with_templates().input("week.csv", FIRST)
    bill_once(ws, ("held files", (ws.root / "rates.yaml").read_text(), FIRST), lambda: _billed(ws))
    ws.input("later.csv", LATER)
    return ws


def _billed(ws) -> None:
    assert [i.number for i in bill(ws.root, NOVEMBER, today=TODAY).issued] == ["2026-0001"]


def temporary_files(ws) -> list[Path]:
    return list((ws.root / "output").rglob("*.tmp"))


# ---- a workbook another program holds

def a_folder(path: Path, monkeypatch) -> None:
    path.unlink(missing_ok=True)
    path.mkdir(parents=True)


def held_as_windows_holds_it(path: Path, monkeypatch) -> None:
    """os.replace onto a file open in Excel fails on Windows: PermissionError (WinError 32)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"the workbook as Excel has it open")
    real = os.replace

    def refused(source, target, *args, **kwargs):
        if Path(target) == path:
            raise PermissionError(errno.EACCES, "The process cannot access the file because it is being used by "
                                                "another process", str(source), None, str(target))
        return real(source, target, *args, **kwargs)

    monkeypatch.setattr(os, "replace", refused)


def immutable(path: Path, monkeypatch) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"the workbook as it was")
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not allowed here (needs CAP_LINUX_IMMUTABLE and ext4 or the like)")


def released(path: Path) -> None:
    """The other program lets go: the file can be written again."""
    subprocess.run(["chattr", "-i", str(path)], capture_output=True)
    if path.is_dir():
        path.rmdir()


HOLDS = {"a folder in its place": (a_folder, "Is a directory) — a folder is where a file belongs: move the folder away"),
         "open in Excel on Windows": (held_as_windows_holds_it, "close it if another program has it open (Excel, "
                                                                "LibreOffice), else check its permissions"),
         "immutable": (immutable, "Operation not permitted) — close it if another program has it open")}


@pytest.mark.parametrize("hold", HOLDS)
def test_bill_finishes_what_it_issued_then_names_the_workbook_it_could_not_write(billed, hold, monkeypatch):
    make, says = HOLDS[hold]
    report = billed.root / REPORT
    monkeypatch.chdir(billed.root)
    with monkeypatch.context() as holding:
        try:
            make(report, holding)
            result = billed.cli("bill", "--period", "2026-11")
        finally:
            released(report)
    lines = result.output.strip().splitlines()
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert lines[0] == "Issued 1 invoice:" and lines[2].split()[:2] == ["2026-0002", "globex"]  # the table first
    assert lines[-1].startswith(f"Error: {REPORT} could not be written (") and says in lines[-1]
    assert lines[-1].endswith("; then `auftakt-batch report --period 2026-11` writes it again")
    assert [(r.number, r.status) for r in ledger.read_invoices(billed.root / "output" / "ledger.sqlite")] == [
        ("2026-0001", "issued"), ("2026-0002", "issued")]
    assert (billed.root / "output" / "2026-11" / "invoices" / "2026-0002-globex.pdf").is_file()
    assert temporary_files(billed) == []
    again = billed.cli("report", "--period", "2026-11")  # once the file is closed
    assert again.exit_code == 0 and report.is_file()


@pytest.mark.parametrize("hold", HOLDS)
@pytest.mark.parametrize("command, workbook", [("report", REPORT), ("review", REVIEW)])
def test_report_and_review_name_the_workbook_they_could_not_write_in_one_line(billed, hold, command, workbook,
                                                                               monkeypatch):
    make, says = HOLDS[hold]
    target = billed.root / workbook
    make(target, monkeypatch)
    before = target.read_bytes() if target.is_file() else None
    monkeypatch.chdir(billed.root)
    try:
        result = billed.cli(command, "--period", "2026-11")
        assert (target.read_bytes() if target.is_file() else None) == before  # the held file as it was
    finally:
        released(target)
    assert result.exit_code == 1 and "Traceback" not in result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith(f"Error: {workbook} could not be written (") and says in line
    assert line.endswith(f"; then `auftakt-batch {command} --period 2026-11` writes it again")
    assert temporary_files(billed) == []


# ---- a ledger another program holds

@contextmanager
def held_ledger(ws, exclusive_mode: bool) -> Iterator[sqlite3.Connection]:
    """Another program's connection holding the ledger: whole (a browser or backup tool in an
    exclusive locking mode), or its write lock only (BEGIN EXCLUSIVE, in WAL mode)."""
    other = sqlite3.connect(ws.root / "output" / "ledger.sqlite", isolation_level=None)
    try:
        if exclusive_mode:
            other.execute("PRAGMA locking_mode = EXCLUSIVE")
        other.execute("BEGIN EXCLUSIVE")
        other.execute("SELECT count(*) FROM invoices").fetchall()
        yield other
    finally:
        other.close()


def snapshot(ws) -> dict[str, tuple[int, int, str]]:
    """Every file under output/ but the ingest cache (output/.cache/, what was read from input/):
    (size, modification time, sha256)."""
    return {p.relative_to(ws.root).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns,
                                                hashlib.sha256(p.read_bytes()).hexdigest())
            for p in sorted((ws.root / "output").rglob("*"))
            if p.is_file() and not p.relative_to(ws.root / "output").parts[0] == ".cache"}


@pytest.mark.parametrize("command", [*READERS, "bill"])
def test_a_ledger_held_whole_by_another_program_is_one_line_after_a_wait_and_nothing_changes(billed, command,
                                                                                            monkeypatch):
    monkeypatch.setattr(ledger, "BUSY_TIMEOUT_S", 0.05)
    monkeypatch.chdir(billed.root)
    args = READERS.get(command, ["bill", "--period", "2026-11"])
    with held_ledger(billed, exclusive_mode=True):
        before = snapshot(billed)
        result = billed.cli(*args)
        assert snapshot(billed) == before
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.strip().splitlines() == [
        "Error: output/ledger.sqlite: database is locked — another program holds it locked (a database browser, a "
        "backup tool): close that program or wait for it, then run the command again; the ledger is unchanged by "
        "what failed"]


def test_the_wait_for_a_held_ledger_is_the_busy_timeout(billed, monkeypatch):
    """Both ways into the ledger wait BUSY_TIMEOUT_S for another program's lock (SQLite's busy
    handler), the reader and the writer."""
    seen = []
    real = sqlite3.connect

    def connect(*args, **kwargs):
        seen.append(kwargs.get("timeout"))
        return real(*args, **kwargs)

    monkeypatch.setattr(ledger, "BUSY_TIMEOUT_S", 0.125)
    monkeypatch.setattr(ledger.sqlite3, "connect", connect)
    ledger.read_invoices(billed.root / "output" / "ledger.sqlite")
    ledger.connect(billed.root / "output" / "ledger.sqlite").close()
    assert seen == [0.125, 0.125]


def test_readers_read_while_another_program_holds_the_write_lock_and_a_writer_says_so(billed, monkeypatch):
    monkeypatch.setattr(ledger, "BUSY_TIMEOUT_S", 0.05)
    monkeypatch.chdir(billed.root)
    before = ledger_dump(billed.root)
    with held_ledger(billed, exclusive_mode=False):
        for command, args in READERS.items():
            result = billed.cli(*args)
            assert result.exit_code == 0, (command, result.output)
        assert "2026-0001" in billed.cli("invoices").output
        writer = billed.cli("bill", "--period", "2026-11")
    assert writer.exit_code == 1 and writer.output.strip().splitlines()[-1].startswith(
        "Error: output/ledger.sqlite: database is locked — another program holds it locked")
    assert ledger_dump(billed.root) == before  # nothing reserved
    assert [i.number for i in bill(billed.root, NOVEMBER, today=TODAY).issued] == ["2026-0002"]


PAUSED_BILL = RUN + "bill(workspace, parse_period('2026-11'), today=today)"


@pytest.mark.skipif(not hasattr(os, "WUNTRACED"), reason="a process stopped by a signal is POSIX's")
def test_readers_read_while_a_bill_is_stopped_inside_its_write_transaction(billed, monkeypatch):
    """`bill` stops itself (SIGSTOP) with 2026-0002 written but not committed, holding the
    write lock; every read-only command works meanwhile and sees the ledger as it was, changing
    none of its files; then the run goes on and finishes."""
    monkeypatch.chdir(billed.root)
    run = subprocess.Popen([sys.executable, "-c", PAUSED_BILL, str(billed.root)],
                           env=clean_env(**{PAUSE: "committing:1"}), start_new_session=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _, status = os.waitpid(run.pid, os.WUNTRACED)
        assert os.WIFSTOPPED(status), f"bill did not stop inside its transaction (status {status})"
        files = snapshot(billed)
        ledger_files = {name: state for name, state in files.items() if "ledger.sqlite" in name}
        for command, args in READERS.items():
            result = billed.cli(*args)
            assert result.exit_code == 0, (command, result.output)
        listed = billed.cli("invoices").output
        assert "2026-0001" in listed and "2026-0002" not in listed  # not committed: not there
        after = snapshot(billed)
        assert {name: state for name, state in after.items() if "ledger.sqlite" in name and not
                name.endswith("-shm")} == {name: state for name, state in ledger_files.items()
                                           if not name.endswith("-shm")}  # the readers' marks go to -shm only
        assert set(after) - set(files) <= {REPORT, REVIEW}  # the readers' own workbooks, nothing else
        os.kill(run.pid, signal.SIGCONT)
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err.decode()
    finally:
        with suppress(ProcessLookupError):
            os.killpg(run.pid, signal.SIGKILL)
    assert [(r.number, r.status) for r in ledger.read_invoices(billed.root / "output" / "ledger.sqlite")] == [
        ("2026-0001", "issued"), ("2026-0002", "issued")]
