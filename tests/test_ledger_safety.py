"""The ledger is the system of record: never rebuilt silently, backed up, never left half-done.

Each case here once re-billed a month, re-issued numbers over existing PDFs, left a number
reserved for a document that could not be made, or ended in a traceback: a dropped table, an
emptied or deleted ledger, a void of an invoice whose client was removed, a template error, a
folder where a file belongs, a read-only folder, a full disk.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from auftakt_batch import ledger
from auftakt_batch.billing import CannotIssue, bill, void
from auftakt_batch.ledger.backups import backup
from auftakt_batch.periods import parse_period

from .conftest import TODAY, bill_once, dedent, ledger_dump

HEADER = "date,person,client,job,task,description,hours,billable\n"
WEEK = dedent("""\
    2026-11-03,Anna Schmidt,ACME,website,,Layout,3,
    2026-11-04,Ben Okafor,globex,app,,API,2,
    """)
NOVEMBER = parse_period("2026-11")


def billed_once(ws):
    ws.with_templates().input("week.csv", HEADER + WEEK)
    bill_once(ws, ("ledger safety", (ws.root / "rates.yaml").read_text()), lambda: _billed(ws))
    return ws


def _billed(ws) -> None:
    assert [i.number for i in bill(ws.root, NOVEMBER, today=TODAY).issued] == ["2026-0001", "2026-0002"]


def pdfs(ws) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (ws.root / "output").rglob("*.pdf")}


def restore_newest_backup(ws) -> None:
    newest = sorted((ws.root / "output" / "backups").glob("ledger-*.sqlite"))[-1]
    shutil.copy(newest, ws.root / "output" / "ledger.sqlite")


# ---- never rebuilt silently

def test_a_ledger_missing_its_billed_entries_is_refused_untouched(ws):
    billed_once(ws)
    path = ws.root / "output" / "ledger.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE billed_entries")
    conn.close()
    damaged = path.read_bytes()
    check = ws.cli("check", "--period", "2026-11")
    assert check.exit_code == 1 and "output/ledger.sqlite: error: " in check.output
    assert "is damaged: table billed_entries, index billed_once missing — it is left untouched and nothing is " \
           "billed; restore the newest backup: cp output/backups/ledger-" in check.output
    for _ in range(2):  # the first run used to re-create the table empty, the second to bill the month again
        run = ws.cli("bill", "--period", "2026-11")
        assert run.exit_code == 1 and "is damaged: table billed_entries" in run.output
    assert path.read_bytes() == damaged
    restore_newest_backup(ws)
    assert bill(ws.root, NOVEMBER, today=TODAY).issued == ()


def test_a_ledger_without_its_billed_once_index_is_refused(ws):
    billed_once(ws)
    conn = sqlite3.connect(ws.root / "output" / "ledger.sqlite")
    conn.execute("DROP INDEX billed_once")
    conn.close()
    run = ws.cli("bill", "--period", "2026-11")
    assert run.exit_code == 1 and "is damaged: index billed_once missing" in run.output


@pytest.mark.parametrize("how", ["deleted", "emptied"])
def test_invoices_without_their_ledger_are_never_issued_again(ws, how):
    billed_once(ws)
    before = pdfs(ws)
    path = ws.root / "output" / "ledger.sqlite"
    path.unlink() if how == "deleted" else path.write_bytes(b"")
    run = ws.cli("bill", "--period", "2026-11")
    assert run.exit_code == 1
    assert ("output/2026-11/invoices/2026-0001-acme.pdf and 1 more file in output/ are invoices the ledger does "
            "not know: ledger.sqlite is missing or empty, and billing now would give out their numbers again — "
            "nothing was written; restore the newest backup: cp output/backups/ledger-") in run.output
    assert pdfs(ws) == before and (path.exists() == (how == "emptied"))
    if how == "emptied":
        assert path.read_bytes() == b""
    restore_newest_backup(ws)  # as the message says
    assert bill(ws.root, NOVEMBER, today=TODAY).issued == () and pdfs(ws) == before


def test_a_ledger_older_than_the_invoices_is_refused(ws):
    billed_once(ws)
    oldest = sorted((ws.root / "output" / "backups").glob("ledger-*.sqlite"))
    ws.input("late.csv", HEADER + "2026-11-20,Anna Schmidt,ACME,website,,Call,1,\n")
    bill(ws.root, NOVEMBER, today=TODAY)  # 2026-0003
    shutil.copy(oldest[-1], ws.root / "output" / "ledger.sqlite")  # the backup taken after the first run
    run = ws.cli("bill", "--period", "2026-11")
    assert run.exit_code == 1 and run.output.startswith(
        "Error: output/2026-11/invoices/2026-0003-acme.pdf in output/ are invoices the ledger does not know: "
        "ledger.sqlite is older than them")


def test_every_writing_run_leaves_a_backup_of_the_ledger_as_it_was_and_as_it_is(ws):
    billed_once(ws)
    backups = sorted((ws.root / "output" / "backups").glob("ledger-*.sqlite"))
    assert len(backups) == 1  # the ledger was new: nothing to keep before, the ledger as the run left it after
    assert every_row(ws.root / "output" / "ledger.sqlite") == every_row(backups[-1])  # its token too
    bill(ws.root, NOVEMBER, today=TODAY)  # issues nothing: writes nothing, backs up nothing
    assert len(list((ws.root / "output" / "backups").glob("*.sqlite"))) == 1
    void(ws.root, "2026-0001", "wrong rate", today=TODAY)
    after = sorted((ws.root / "output" / "backups").glob("ledger-*.sqlite"))
    assert len(after) == 2  # the ledger as it was is the bill's copy after it: nothing wrote since
    assert after[0] == backups[0] and every_row(ws.root / "output" / "ledger.sqlite") == every_row(after[-1])


def test_a_ledger_written_since_the_last_backup_is_copied_before_the_next_run_writes(ws):
    """The newest backup stands for the ledger as it is only while its mark is the ledger's token: a
    write by another program since (an SQLite tool) is copied before the next run writes."""
    billed_once(ws)
    ledger_path = ws.root / "output" / "ledger.sqlite"
    conn = sqlite3.connect(ledger_path)
    with conn:
        conn.execute("UPDATE invoices SET reason = 'typed in a database browser' WHERE number = '2026-0002'")
    conn.close()
    edited = every_row(ledger_path)
    void(ws.root, "2026-0001", "wrong rate", today=TODAY)
    first, before, after = sorted((ws.root / "output" / "backups").glob("ledger-*.sqlite"))
    assert every_row(before) == edited and every_row(after) == every_row(ledger_path) != edited
    assert len({re.fullmatch(r"ledger-\d{8}T\d{6}-\d{6}-([0-9a-f]{16})\.sqlite", b.name)[1]
                for b in (first, before, after)}) == 3  # each copy marked with the ledger's token as it was


def test_a_ledger_without_a_token_is_copied_every_time(ws):
    """A ledger whose token row is gone (an SQLite tool deleted it; opening it for writing puts one
    back) has no mark to compare: each backup of it is taken, named without one."""
    billed_once(ws)
    ledger_path = ws.root / "output" / "ledger.sqlite"
    conn = sqlite3.connect(ledger_path)
    try:
        with conn:
            conn.execute("DELETE FROM written")
        taken = [backup(conn, ledger_path), backup(conn, ledger_path)]
    finally:
        conn.close()
    assert taken[0] != taken[1] and all(re.fullmatch(r"ledger-\d{8}T\d{6}-\d{6}\.sqlite", b.name) for b in taken)
    again = ledger.connect(ledger_path)  # the token back: the next copy is marked, and stands for the ledger after
    try:
        marked = backup(again, ledger_path)
        assert marked is not None and marked != taken[1] and backup(again, ledger_path) == marked
    finally:
        again.close()


def every_row(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


# ---- half-done operations

def test_void_of_an_invoice_whose_client_was_removed_writes_nothing(ws):
    billed_once(ws)
    rates = (ws.root / "rates.yaml").read_text()
    ws.rates(rates.replace("  globex:\n    name: Globex Corporation\n    jobs:\n      app: {name: Customer app, "
                           'rate: "150.00"}\n', ""))
    before = ledger_dump(ws.root)
    run = ws.cli("void", "2026-0002", "--reason", "wrong client")
    assert run.exit_code == 1 and run.output == (
        "Error: 2026-0003 is for client globex, which is no longer in rates.yaml — put it back (its name and address "
        "are printed on the document), then run this again\n")
    assert ledger_dump(ws.root) == before
    ws.input("week.csv", HEADER + WEEK.splitlines(keepends=True)[0] + "2026-11-20,Anna Schmidt,ACME,website,,Call,1,\n")
    assert [i.number for i in bill(ws.root, NOVEMBER, today=TODAY).issued] == ["2026-0003"]  # no gap, no crash


@pytest.mark.parametrize("template, message", [
    ("{% if %}", "templates/invoice.html:1: Expected an expression, got 'end of statement block'"),
    ("{{ nothing.here }}", "templates/invoice.html: 'nothing' is undefined"),
    ('{% include "footer.html" %}', "templates/footer.html is missing"),
    (None, "templates/invoice.html is missing"),
    ('{% include "secret.html" %}', "templates/secret.html points outside templates/"),
])
def test_a_template_that_cannot_be_rendered_reserves_no_number(ws, template, message, tmp_path):
    ws.with_templates().input("week.csv", HEADER + WEEK)
    if template is None:
        shutil.rmtree(ws.root / "templates")
    else:
        (ws.root / "templates" / "invoice.html").write_text(template)
    (tmp_path / "secret.txt").write_text("the agency's bank password")
    (ws.root / "templates" / "secret.html").parent.mkdir(exist_ok=True)
    (ws.root / "templates" / "secret.html").symlink_to(tmp_path / "secret.txt")
    run = ws.cli("bill", "--period", "2026-11")
    assert run.exit_code == 1 and run.output.startswith(f"Error: {message}")
    assert run.output.rstrip().endswith("; nothing was issued with it") and "password" not in run.output
    with pytest.raises(CannotIssue):
        bill(ws.root, NOVEMBER, today=TODAY)
    conn = ledger.connect(ws.root / "output" / "ledger.sqlite")
    assert ledger.invoices(conn) == []
    conn.close()


# ---- the workspace's files as the system sees them: one line, the ledger sound

@pytest.mark.parametrize("where, message", [
    ("output", "output: File exists — a file is where a folder belongs: move the file away"),
    ("output/ledger.sqlite", "output/ledger.sqlite is a folder, not the ledger — move it away"),
    ("output/.billing.lock", "output/.billing.lock: Is a directory — a folder is where a file belongs: move the folder away"),
])
def test_a_file_or_folder_in_the_wrong_place_is_one_line(ws, where, message, monkeypatch):
    ws.with_templates().input("week.csv", HEADER + WEEK)
    target = ws.root / where
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("") if where == "output" else target.mkdir()
    monkeypatch.chdir(ws.root)
    run = ws.cli("bill", "--period", "2026-11")
    assert run.exit_code == 1 and message in run.output and "Traceback" not in run.output
    assert len(run.output.strip().splitlines()) == 1


def mounted(folder: Path, options: str) -> bool:
    """A tmpfs mounted at `folder` (a real small or read-only disk); False where that is not allowed."""
    folder.mkdir(parents=True, exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                          capture_output=True).returncode == 0


@pytest.fixture
def mounts():
    made: list[Path] = []
    yield made
    for folder in reversed(made):
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


@pytest.mark.real_pdf  # a real PDF is what fills the 8 kB disk
def test_a_full_disk_stops_the_run_in_one_line_and_the_next_run_finishes_it(ws, mounts, monkeypatch):
    ws.with_templates().input("week.csv", HEADER + WEEK)
    invoices = ws.root / "output" / "2026-11" / "invoices"
    if not mounted(invoices, "size=8k"):
        pytest.skip("cannot mount a tmpfs here (needs CAP_SYS_ADMIN)")
    mounts.append(invoices)
    monkeypatch.chdir(ws.root)
    run = ws.cli("bill", "--period", "2026-11")
    assert run.exit_code == 1 and "Traceback" not in run.output
    assert "No space left on device — free some space, then run the command again; nothing is " \
           "half-written: the next run finishes or undoes what this one started" in run.output
    subprocess.run(["mount", "-o", "remount,size=4m", str(invoices)], check=True)
    finished = bill(ws.root, NOVEMBER, today=TODAY)
    assert sorted(i.number for i in finished.issued) == ["2026-0001", "2026-0002"]
    assert not list((ws.root / "output").rglob("*.tmp"))


def test_a_ledger_on_a_full_disk_is_one_line_and_stays_sound(ws, mounts, monkeypatch):
    ws.with_templates().input("week.csv", HEADER + WEEK)
    output = ws.root / "output"
    if not mounted(output, "size=12k"):
        pytest.skip("cannot mount a tmpfs here (needs CAP_SYS_ADMIN)")
    mounts.append(output)
    monkeypatch.chdir(ws.root)
    run = ws.cli("bill", "--period", "2026-11")
    assert run.exit_code == 1 and "Traceback" not in run.output and len(run.output.strip().splitlines()) == 1
    assert run.output.startswith("Error: output/ledger.sqlite: ") and "full" in run.output  # SQLite's words vary
    subprocess.run(["mount", "-o", "remount,size=8m", str(output)], check=True)
    assert sorted(i.number for i in bill(ws.root, NOVEMBER, today=TODAY).issued) == ["2026-0001", "2026-0002"]


@pytest.mark.parametrize("folder, named", [("output/2026-11/invoices", "output/2026-11/invoices/2026-000"),
                                           ("output", "output/.billing.lock")])
def test_a_read_only_folder_stops_the_run_in_one_line(ws, mounts, monkeypatch, folder, named):
    ws.with_templates().input("week.csv", HEADER + WEEK)
    if not mounted(ws.root / folder, "ro,size=1m"):
        pytest.skip("cannot mount a tmpfs here (needs CAP_SYS_ADMIN)")
    mounts.append(ws.root / folder)
    monkeypatch.chdir(ws.root)
    run = ws.cli("bill", "--period", "2026-11")
    assert run.exit_code == 1 and "Traceback" not in run.output and len(run.output.strip().splitlines()) == 1
    assert named in run.output and "Read-only file system — make that disk writable" in run.output
    subprocess.run(["mount", "-o", "remount,rw", str(ws.root / folder)], check=True)
    assert sorted(i.number for i in bill(ws.root, NOVEMBER, today=TODAY).issued) == ["2026-0001", "2026-0002"]
