"""No command ends in a Python traceback on a condition the user caused.

Every command of cli.py runs through the real CLI (click's runner, exceptions not caught, so a
traceback fails the test) in a workspace broken in one way: no rates.yaml, a rates.yaml that
is empty, not YAML, not UTF-8, a list, a folder or a link to nothing; input/ missing, a file or
empty; output/ a file or on a read-only disk; the ledger garbage, empty, a folder, deleted
beside its invoices, of a newer schema, held by another program (whole, or its write lock),
read-only; the billing lock a folder; the period's folder, invoices/ or backups/ a file;
templates/ missing, a file, or its template or labels broken; the review workbook garbage or a
folder; the profitability workbook a folder or held (immutable, as a file open in Excel is on
Windows). Each ends with an exit code of the documented set (0 done, 1 errors or a file that
cannot be read or written, 2 usage, 3 busy, 4 a budget alert), without a traceback; where it fails, the message
that ends it is one line, the last; the commands the breakage concerns name it; no temporary
file is left behind. A malformed period is a usage error in every command that takes one.

The workspace is billed once (one PDF) per module and copied per kind; what each command would
bill afresh is held back by the breakage itself, so no other PDF is rendered.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from auftakt_batch import ledger
from auftakt_batch.billing import bill
from auftakt_batch.cli import EXIT_ALERT, EXIT_BUSY, EXIT_DATA_ERRORS, EXIT_OK, EXIT_USAGE, main
from auftakt_batch.periods import parse_period

from .conftest import TODAY, Workspace

HEADER = "date,person,client,job,task,description,hours,billable\n"
LATER = HEADER + "2026-11-04,Ben Okafor,globex,app,,API,2,\n"  # unbilled: what a bill would issue next
EXIT_CODES = {EXIT_OK, EXIT_DATA_ERRORS, EXIT_USAGE, EXIT_BUSY, EXIT_ALERT}  # README: "Exit codes"
COMMANDS = {  # every command of cli.py, as a user runs it on the period; void of a number it cannot void
    "check": ["check", "--period", "2026-11"],
    "bill": ["bill", "--period", "2026-11"],
    "bill --draft": ["bill", "--period", "2026-11", "--draft"],
    "review": ["review", "--period", "2026-11"],
    "report": ["report", "--period", "2026-11"],
    "invoices": ["invoices"],
    "status": ["status", "--period", "2026-11"],
    "void": ["void", "2026-0099", "--reason", "wrong rate"],
    "accept": ["accept", "--period", "2026-11"],
    "export": ["export", "--period", "2026-11", "--format", "datev"],
    "send": ["send", "--period", "2026-11"],  # to the outbox (agency.mail.outbox): no mail server here
    "payments": ["payments"],
    "remind": ["remind"],
}
ALL = frozenset(COMMANDS)
WRITERS = frozenset({"bill", "void", "accept", "send", "payments", "remind"})  # the commands that take the billing lock
WORKBOOKS = frozenset({"bill", "review", "report"})  # a draft writes none


def test_every_command_of_the_cli_is_run():
    assert {args[0] for args in COMMANDS.values()} | {"init"} == set(main.commands)


@dataclass(frozen=True)
class Broken:
    name: str
    make: Callable[[Path, ExitStack], None]  # breaks the workspace; registers what undoes it
    says: str  # what the commands it concerns name
    concerns: frozenset[str]


def remove(path: Path) -> None:
    shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()


def replace_with_folder(path: Path) -> None:
    remove(path)
    path.mkdir()


def replace_with_file(path: Path, text: str = "not a folder") -> None:
    remove(path)
    path.write_text(text)


def hold_ledger(exclusive_mode: bool) -> Callable[[Path, ExitStack], None]:
    """Another program's connection to the ledger: a database browser holding it whole, or a
    writer holding its write lock (BEGIN EXCLUSIVE; in WAL mode readers still read)."""
    def make(root: Path, undo: ExitStack) -> None:
        (root / "input" / "later.csv").write_text(LATER)
        other = sqlite3.connect(root / "output" / "ledger.sqlite", isolation_level=None)
        undo.callback(other.close)
        if exclusive_mode:
            other.execute("PRAGMA locking_mode = EXCLUSIVE")
        other.execute("BEGIN EXCLUSIVE")
        other.execute("SELECT count(*) FROM invoices").fetchall()
    return make


def immutable(relative: str, later: bool = False) -> Callable[[Path, ExitStack], None]:
    """A file no one may replace, root included (chattr +i): as a workbook open in Excel is on
    Windows, or a ledger on a share that is read-only for this user."""
    def make(root: Path, undo: ExitStack) -> None:
        if later:
            (root / "input" / "later.csv").write_text(LATER)
        path = root / relative
        if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
            pytest.skip("chattr +i is not allowed here (needs CAP_LINUX_IMMUTABLE and ext4 or the like)")
        undo.callback(subprocess.run, ["chattr", "-i", str(path)], capture_output=True)
    return make


def read_only_output(root: Path, undo: ExitStack) -> None:
    """output/ on a read-only disk (a tmpfs holding a copy of it, remounted read-only)."""
    output, copy = root / "output", root.parent / "output-copy"
    shutil.copytree(output, copy)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(output)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs CAP_SYS_ADMIN)")
    undo.callback(subprocess.run, ["umount", "-l", str(output)], capture_output=True)
    shutil.copytree(copy, output, dirs_exist_ok=True)
    subprocess.run(["mount", "-o", "remount,ro", str(output)], check=True)


def new_ledger_of_version(version: int) -> Callable[[Path, ExitStack], None]:
    def make(root: Path, undo: ExitStack) -> None:
        conn = sqlite3.connect(root / "output" / "ledger.sqlite")
        conn.execute(f"PRAGMA user_version = {version}")
        conn.commit()
        conn.close()
    return make


def with_later(make: Callable[[Path], object]) -> Callable[[Path, ExitStack], None]:
    """The breakage, and an entry the next bill would issue: it meets the breakage."""
    def both(root: Path, undo: ExitStack) -> None:
        (root / "input" / "later.csv").write_text(LATER)
        make(root)
    return both


def plain(make: Callable[[Path], object]) -> Callable[[Path, ExitStack], None]:
    return lambda root, undo: make(root)


RATES_KINDS = ALL - {"invoices"}  # invoices reads the ledger only
CHECKS = frozenset({"check"})
BROKEN = [
    Broken("no rates.yaml", plain(lambda r: remove(r / "rates.yaml")), "is not a workspace (it has no rates.yaml)",
           ALL),
    Broken("rates.yaml empty", plain(lambda r: (r / "rates.yaml").write_text("")), "the file is empty", RATES_KINDS),
    Broken("rates.yaml not YAML", plain(lambda r: (r / "rates.yaml").write_text("agency: [unclosed\n  : :\n\t")),
           "not valid YAML", RATES_KINDS),
    Broken("rates.yaml not UTF-8", plain(lambda r: (r / "rates.yaml").write_bytes(b"\xff\xfe\x00garbage")),
           "not UTF-8 text", RATES_KINDS),
    Broken("rates.yaml a list", plain(lambda r: (r / "rates.yaml").write_text("- a\n- b\n")), "expected a mapping",
           RATES_KINDS),
    Broken("rates.yaml a folder", plain(lambda r: replace_with_folder(r / "rates.yaml")), "is a folder, not a file",
           RATES_KINDS),
    Broken("rates.yaml a link to nothing", plain(lambda r: (remove(r / "rates.yaml"),
                                                            (r / "rates.yaml").symlink_to(r / "gone.yaml"))),
           "not found in", RATES_KINDS),
    Broken("input/ missing", plain(lambda r: remove(r / "input")), "the input/ folder is missing", CHECKS),
    Broken("input/ a file", plain(lambda r: replace_with_file(r / "input")), "input is a file", CHECKS),
    Broken("input/ empty", plain(lambda r: replace_with_folder(r / "input")), "no time entries in input/", CHECKS),
    Broken("output/ a file", plain(lambda r: replace_with_file(r / "output")), "output",
           WRITERS | WORKBOOKS),
    Broken("output/ read-only", read_only_output, "Read-only file system", WRITERS | WORKBOOKS),
    Broken("ledger garbage", plain(lambda r: (r / "output" / "ledger.sqlite").write_bytes(b"garbage" * 200)),
           "ledger.sqlite cannot be read: file is not a database", ALL),
    Broken("ledger empty", plain(lambda r: (r / "output" / "ledger.sqlite").write_bytes(b"")),
           "invoices the ledger does not know", ALL),
    Broken("ledger deleted", plain(lambda r: remove(r / "output" / "ledger.sqlite")),
           "invoices the ledger does not know", ALL),
    Broken("ledger a folder", plain(lambda r: replace_with_folder(r / "output" / "ledger.sqlite")),
           "ledger.sqlite is a folder", ALL),
    Broken("ledger of a newer version", new_ledger_of_version(99), "written by another version", ALL),
    Broken("ledger held by another program", hold_ledger(exclusive_mode=True),
           "output/ledger.sqlite: database is locked — another program holds it", ALL),
    Broken("ledger's write lock held by another program", hold_ledger(exclusive_mode=False),
           "output/ledger.sqlite: database is locked", frozenset({"bill"})),
    Broken("ledger read-only", immutable("output/ledger.sqlite", later=True), "output/ledger.sqlite: attempt to write",
           frozenset({"bill"})),
    Broken("billing lock a folder", plain(lambda r: replace_with_folder(r / "output" / ".billing.lock")), ".billing.lock",
           WRITERS),
    Broken("period folder a file", plain(lambda r: replace_with_file(r / "output" / "2026-11")), "output/2026-11",
           WORKBOOKS),
    Broken("backups/ a file", with_later(lambda r: replace_with_file(r / "output" / "backups")), "output/backups",
           frozenset({"bill"})),
    Broken("templates/ missing", with_later(lambda r: remove(r / "templates")), "templates",
           frozenset({"bill", "bill --draft"})),
    Broken("templates/ a file", with_later(lambda r: replace_with_file(r / "templates")), "templates",
           frozenset({"bill", "bill --draft"})),
    Broken("template broken", with_later(lambda r: (r / "templates" / "invoice.html").write_text("{% for x in %}")),
           "templates/invoice.html:1:", frozenset({"bill", "bill --draft"})),
    Broken("template a folder", with_later(lambda r: replace_with_folder(r / "templates" / "invoice.html")),
           "templates/invoice.html is a folder", frozenset({"bill", "bill --draft"})),
    Broken("labels not YAML", with_later(lambda r: (r / "templates" / "labels.yaml").write_text("en: [\n")),
           "templates/labels.yaml:2: not valid YAML", frozenset({"bill", "bill --draft"})),
    Broken("review workbook garbage",
           with_later(lambda r: (r / "output" / "2026-11" / "review-2026-11.xlsx").write_bytes(b"garbage")),
           "review-2026-11.xlsx", frozenset({"check", "bill", "bill --draft"})),
    Broken("review workbook a folder",
           with_later(lambda r: (r / "output" / "2026-11" / "review-2026-11.xlsx").mkdir()),
           "a folder is where a file belongs", frozenset({"check", "bill", "bill --draft", "review"})),
    Broken("LibreOffice review a folder",
           with_later(lambda r: (r / "output" / "2026-11" / "review-2026-11.ods").mkdir()),
           "a folder is where a file belongs", frozenset({"check", "bill", "bill --draft"})),
    Broken("profitability workbook a folder",
           plain(lambda r: replace_with_folder(r / "output" / "2026-11" / "profitability-2026-11.xlsx")),
           "profitability-2026-11.xlsx could not be written", frozenset({"bill", "report"})),
    Broken("profitability workbook held", immutable("output/2026-11/profitability-2026-11.xlsx"),
           "profitability-2026-11.xlsx could not be written", frozenset({"bill", "report"})),
]


@pytest.fixture(scope="module")
def billed(tmp_path_factory) -> Path:
    """A workspace whose November is billed: one invoice, its PDF, the ledger, its backups."""
    ws = Workspace(tmp_path_factory.mktemp("billed") / "ws").with_templates()
    ws.edit_rates("  vat_id: DE123456789\n", "  vat_id: DE123456789\n  mail: {from: billing@studio.example, "
                                              "outbox: true}\n  reminders: {after_days: [7]}\n")  # `send` writes to the outbox
    ws.edit_rates('    aliases: ["ACME", "Acme Corp."]\n', '    aliases: ["ACME", "Acme Corp."]\n    email: ap@acme.example\n')
    ws.input("week.csv", HEADER + "2026-11-03,Anna Schmidt,ACME,website,,Layout,1.5,\n")
    assert [i.number for i in bill(ws.root, parse_period("2026-11"), today=TODAY).issued] == ["2026-0001"]
    return ws.root


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def assert_told(result, command: str) -> None:
    """An exit code of the documented set, no traceback; a failure ends in one line, the last."""
    lines = result.output.strip().splitlines()
    assert result.exit_code in EXIT_CODES, (command, result.output)
    assert "Traceback" not in result.output, (command, result.output)
    errors = [n for n, line in enumerate(lines) if line.startswith("Error:")]
    assert errors in ([], [len(lines) - 1]), (command, result.output)  # one line, and nothing after it
    assert result.exit_code == 0 or lines, command


@pytest.mark.parametrize("broken", BROKEN, ids=[b.name for b in BROKEN])
def test_no_command_ends_in_a_traceback(broken: Broken, billed: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setattr(ledger, "BUSY_TIMEOUT_S", 0.05)  # a held ledger is waited for this long (not 5 s)
    root = tmp_path / "ws"
    shutil.copytree(billed, root, symlinks=True)
    with ExitStack() as undo:
        broken.make(root, undo)
        for command, args in COMMANDS.items():
            result = run(*args, "--workspace", str(root))
            assert_told(result, command)
            if command in broken.concerns:
                assert result.exit_code != 0 and broken.says in result.output, (command, result.output)
        again = run("init", str(root))
        assert again.exit_code == 2 and "choose a new or empty folder" in again.output
        output = root / "output"
        assert not (output.is_dir() and list(output.rglob("*.tmp")))


PERIODS = sorted({args[0] for args in COMMANDS.values() if "--period" in args} | {"invoices", "status"})


@pytest.mark.parametrize("command", PERIODS)
@pytest.mark.parametrize("period", ["2026-13", "November", "2026-11-31..2026-12-01", ""])
def test_a_malformed_period_is_a_usage_error_in_every_command_that_takes_one(command, period, billed):
    result = run(command, "--period", period, "--workspace", str(billed))
    assert_told(result, command)
    assert result.exit_code == 2 and "Invalid value for '--period'" in result.output


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_workspace_that_is_a_file_or_missing_is_a_usage_error(command, tmp_path):
    (tmp_path / "file").write_text("x")
    for where in ("file", "missing"):
        result = run(*COMMANDS[command], "--workspace", str(tmp_path / where))
        assert_told(result, command)
        assert result.exit_code == 2 and "'--workspace'" in result.output
