"""What is under input/ is read, or refused with a reason — never dropped without a word.

Real symlinks, FIFOs, sockets, folders nested deeper than Python's recursion limit, and files
an unprivileged user cannot read. The CLI runs as a user runs it; where a read could wait
forever (a FIFO) or must be made without root's right to read anything (the tests run as root
in CI), in a process of its own with a timeout.
"""

import ctypes
import errno
import os
import shutil
import signal
import stat
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from auftakt_batch.calendars.read import CalendarError
from auftakt_batch.ingest.formats import describe_unknown, recognise
from auftakt_batch.ingest.read import FileError, read_csv, read_workbook
from auftakt_batch.periods import parse_period

from .conftest import TODAY
from .test_calendars import calendar_file, calendar_ws, event

HEADER = "date,person,client,job,task,description,hours,billable\n"
ANNA = "2026-11-03,Anna Schmidt,ACME,website,,Layout,1.5,\n"
BEN = "2026-11-04,Ben Okafor,globex,app,,API,2,\n"
UNMOUNTED = "/mnt/auftakt-unmounted-share/timesheets"  # where a shared drive would be mounted: nothing there


NOT_READY = "Result    NOT READY: fix the errors above; they hold back the invoices they touch"
READY = "Result    OK: no errors"


def summary(files: list[str], unreadable: list[str] = (), hours: dict[str, float] | None = None,
            tail: list[str] = ()) -> str:
    """What `check` prints after the problems: each file read holds one entry, of the client in
    `hours`; `tail`, the lines after the hours (problems by code, the result)."""
    hours = hours or {"acme": 1.5}
    width = max(len(f) for f in [*files, *unreadable])
    client = max(len(k) for k in hours) + 2
    total = sum(hours.values())
    return "\n".join([
        "Period    2026-11 (2026-11-01 .. 2026-11-30)",
        f"Files     {len(files)} read" + (f", {len(unreadable)} unreadable" if unreadable else ""),
        *(f"          {f:<{width}}       1 row  native, utf-8, comma" for f in files),
        *(f"          {u:<{width}}  UNREADABLE" for u in unreadable),
        f"Entries   {len(files)} in the period (0 with errors) · 0 outside it, ignored · 0 repeated across files, "
        "counted once",
        f"Hours     {'client':<{client}}    logged  billable",
        *(f"          {key:<{client}}{h:>10.2f}{h:>10.2f}" for key, h in hours.items()),
        f"          {'total':<{client}}{total:>10.2f}{total:>10.2f}",
        *tail,
    ]) + "\n"


def stopped(*unreadable: str, errors: int = 1) -> str:
    """What `bill` prints after the errors when unreadable inputs stop it (having issued nothing, it
    writes no workbook: `errors` is what a report would count)."""
    return (f"Nothing issued: {', '.join(unreadable)} cannot be read; any client may be in it, so no invoice is "
            "written.\n")


def invoices(ws) -> list[str]:
    return sorted(p.name for p in (ws.root / "output").rglob("*.pdf"))


CLI = """
import os
import sys

from auftakt_batch.cli import main

os.environ["AUFTAKT_TODAY"] = sys.argv[1]
main(sys.argv[2:])
"""


def run_apart(root: Path, *args: str, unprivileged: bool = False) -> subprocess.CompletedProcess:
    """The CLI in a process of its own (without root's right to read anything, if `unprivileged`),
    stopped after 60 s: a read that would wait forever fails the test instead of hanging the suite."""
    return subprocess.run([sys.executable, "-c", CLI, TODAY.isoformat(), *args, "--workspace", str(root)],
                          capture_output=True, text=True, timeout=60,
                          preexec_fn=without_the_right_to_read_anything if unprivileged else None)


CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 1, 2  # root's rights to read (and list) what its mode forbids
PR_CAPBSET_DROP = 24


def without_the_right_to_read_anything() -> None:
    """In the child, before it runs the CLI: as root, give up for good the capabilities that let
    root read any file whatever its mode, so it reads as an unprivileged user does. (Not
    `setuid(nobody)`: the interpreter may live where nobody else may go, as pyenv's in /root.)"""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "cannot drop a capability")


@pytest.fixture
def unprivileged(tmp_path) -> bool:
    """Whether the CLI must give up root's right to read anything (the tests run as root in CI);
    the test is skipped if a file of mode 000 cannot be made unreadable to it."""
    locked = tmp_path / "locked"
    locked.write_text("x")
    locked.chmod(0)
    try:
        probe = subprocess.run([sys.executable, "-c", f"open({str(locked)!r})"], capture_output=True, timeout=60,
                               preexec_fn=without_the_right_to_read_anything if os.geteuid() == 0 else None)
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"cannot give up the right to read any file: {exc}")
    finally:
        locked.chmod(0o600)
    if b"PermissionError" not in probe.stderr:
        pytest.skip("a file of mode 000 stays readable here")
    return os.geteuid() == 0


# 1. Symlinked folders


def test_a_symlinked_folder_is_read_under_the_name_the_user_sees(ws, tmp_path):
    """A shared drive mounted in input/ (outside the workspace), and an archive folder of the
    workspace linked in: both read, each file named by the path through the link."""
    drive = tmp_path / "drive"
    (drive / "2026-11").mkdir(parents=True)
    (drive / "2026-11" / "ben.csv").write_text(HEADER + BEN)
    (ws.root / "archive").mkdir()
    (ws.root / "archive" / "anna.csv").write_text(HEADER + ANNA)
    (ws.root / "input" / "shared").symlink_to(drive)
    (ws.root / "input" / "archive").symlink_to(Path("..") / "archive")
    result = ws.cli("check", "--period", "2026-11")
    assert result.exit_code == 0, result.output
    assert result.output == summary(["input/archive/anna.csv", "input/shared/2026-11/ben.csv"], [],
                                    {"acme": 1.5, "globex": 2.0}, ["Problems  0 errors · 0 warnings · 0 notes", READY])


def test_a_folder_reached_twice_is_read_once_and_a_loop_is_a_note(ws):
    """A second link to a folder, and a link back up to input/: each folder is read once, under
    its own name (not the link's), and the run ends."""
    ws.input("team/week.csv", HEADER + ANNA)
    (ws.root / "input" / "again").symlink_to("team")
    (ws.root / "input" / "team" / "loop").symlink_to("..")
    result = ws.cli("check", "--period", "2026-11")
    assert result.exit_code == 0, result.output
    assert result.output == (
        "input/again/: note: the same folder as input/team/, reached again through a link — read once, there\n"
        "input/team/loop/: note: the same folder as input/, reached again through a link — read once, there\n"
        "\n" + summary(["input/team/week.csv"], tail=["Problems  0 errors · 0 warnings · 2 notes",
                                                      "          folder-read-once             2 notes", READY]))


# 2. Dangling links


@pytest.mark.parametrize("where", ["shared", "2026/11/shared"])
def test_a_link_to_an_unmounted_drive_is_unreadable_and_stops_billing(ws, where):
    ws.with_templates().input("week.csv", HEADER + ANNA)
    link = ws.root / "input" / where
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(UNMOUNTED)
    problem = (f"input/{where}: error: cannot be read (No such file or directory; it links to {UNMOUNTED}) — "
               "reconnect what it links to (an unmounted drive?) or delete the link\n")
    check = ws.cli("check", "--period", "2026-11")
    assert check.exit_code == 1
    assert check.output == problem + "\n" + summary(
        ["input/week.csv"], [f"input/{where}"],
        tail=["Problems  1 error · 0 warnings · 0 notes", "          unreadable                   1 error", NOT_READY])
    bill = ws.cli("bill", "--period", "2026-11")
    assert bill.exit_code == 1
    assert bill.output == problem + stopped(f"input/{where}")
    assert invoices(ws) == [] and not (ws.root / "output" / "ledger.sqlite").exists()


def test_input_itself_a_link_to_an_unmounted_drive_is_unreadable_not_missing(ws):
    ws.with_templates()
    (ws.root / "input").rmdir()
    (ws.root / "input").symlink_to(UNMOUNTED)
    problem = (f"input/: error: cannot be read (No such file or directory; it links to {UNMOUNTED}) — reconnect "
               "what it links to (an unmounted drive?) or delete the link\n")
    check = ws.cli("check", "--period", "2026-11")
    assert (check.exit_code, check.output.split("\n\n")[0] + "\n") == (1, problem)
    bill = ws.cli("bill", "--period", "2026-11")
    assert (bill.exit_code, bill.output) == (1, problem + stopped("input/"))


# 3. Folders and files that cannot be read


def test_a_folder_or_file_that_cannot_be_read_is_unreadable_and_stops_billing(ws, unprivileged):
    """A subfolder that cannot be listed, a CSV, a workbook and a calendar that cannot be opened
    (a client bills meetings): each an error naming it; the other files are still read."""
    calendar_ws(ws.with_templates()).input("week.csv", HEADER + ANNA)
    ws.input("private/ben.csv", HEADER + BEN)
    ws.input("locked.csv", HEADER + BEN)
    ws.input("locked.xlsx", b"PK\x03\x04")
    calendar_file(ws, "anna.ics", event("a1", "ACME weekly", 3, "1000", "1100", "bob@acme.example"))
    locked = [ws.root / "input" / name for name in ("private", "locked.csv", "locked.xlsx", "anna.ics")]
    for path in locked:
        path.chmod(0)
    try:
        check = run_apart(ws.root, "check", "--period", "2026-11", unprivileged=unprivileged)
        bill = run_apart(ws.root, "bill", "--period", "2026-11", unprivileged=unprivileged)
    finally:
        for path in locked:
            path.chmod(0o700)
    fix = "cannot be read (Permission denied) — make it readable (check its permissions) or move it out of input/\n"
    problems = "".join(f"input/{name}: error: {fix}" for name in ("anna.ics", "locked.csv", "locked.xlsx",
                                                                   "private/"))
    assert (check.returncode, check.stderr) == (1, "")
    assert check.stdout == problems + "\n" + summary(
        ["input/week.csv"], ["input/locked.csv", "input/locked.xlsx", "input/private/", "input/anna.ics"],
        tail=["Calendars 1 calendar · 0 meetings billed as time (0.00 h) · 0 meetings nobody logged (0.00 h) · "
              "0 person-days away",
              "Problems  4 errors · 0 warnings · 0 notes", "          unreadable                   4 errors",
              NOT_READY])
    assert (bill.returncode, bill.stdout) == (1, problems + stopped(
        "input/locked.csv", "input/locked.xlsx", "input/private/", "input/anna.ics", errors=4))
    assert invoices(ws) == []


@contextmanager
def failing_reads(monkeypatch, *names: str, code: int = errno.EIO):
    """Opening these files fails as a failing disk or a vanished network share makes it fail."""
    real_open = os.open

    def opened(path, flags, *args, **kwargs):
        if Path(path).name in names:
            raise OSError(code, os.strerror(code), path)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", opened)
    yield


def test_a_disk_error_while_reading_is_an_unreadable_input_and_the_others_are_read(ws, monkeypatch):
    ws.with_templates().input("week.csv", HEADER + ANNA)
    ws.input("ben.csv", HEADER + BEN)
    ws.input("ben.xlsx", b"PK\x03\x04")
    with failing_reads(monkeypatch, "ben.csv", "ben.xlsx"):
        check = ws.cli("check", "--period", "2026-11")
        bill = ws.cli("bill", "--period", "2026-11")
    fix = "cannot be read (Input/output error) — make it readable (check its permissions) or move it out of input/\n"
    problems = f"input/ben.csv: error: {fix}input/ben.xlsx: error: {fix}"
    assert check.exit_code == 1
    assert check.output == problems + "\n" + summary(
        ["input/week.csv"], ["input/ben.csv", "input/ben.xlsx"],
        tail=["Problems  2 errors · 0 warnings · 0 notes", "          unreadable                   2 errors",
              NOT_READY])
    assert (bill.exit_code, bill.output) == (1, problems + stopped("input/ben.csv", "input/ben.xlsx", errors=2))
    assert invoices(ws) == []


@pytest.mark.parametrize("bills_meetings", [True, False])
def test_a_calendar_that_cannot_be_read_stops_billing_only_if_a_client_bills_meetings(ws, monkeypatch,
                                                                                      bills_meetings):
    if bills_meetings:
        calendar_ws(ws)
    ws.with_templates().input("week.csv", HEADER + ANNA)
    calendar_file(ws, "anna.ics", event("a1", "ACME weekly", 3, "1000", "1100", "bob@acme.example"))
    with failing_reads(monkeypatch, "anna.ics"):
        check = ws.cli("check", "--period", "2026-11")
        bill = ws.cli("bill", "--period", "2026-11")
    severity, errors, result = ("error", "1 error · 0 warnings", NOT_READY) if bills_meetings else (
        "warning", "0 errors · 1 warning", READY)
    problem = (f"input/anna.ics: {severity}: cannot be read (Input/output error) — make it readable (check its "
               "permissions) or move it out of input/\n")
    assert check.exit_code == (1 if bills_meetings else 0)
    assert check.output == problem + "\n" + summary(
        ["input/week.csv"], ["input/anna.ics"] if bills_meetings else [],
        tail=["Calendars 1 calendar · 0 meetings billed as time (0.00 h) · 0 meetings nobody logged (0.00 h) · "
              "0 person-days away", f"Problems  {errors} · 0 notes", f"          unreadable                   1 {severity}",
              result])
    if bills_meetings:
        assert (bill.exit_code, bill.output) == (1, problem + stopped("input/anna.ics"))
        assert invoices(ws) == []
    else:
        assert bill.exit_code == 0 and invoices(ws) == ["2026-0001-acme.pdf"]


# 4. Hidden files


def test_hidden_exports_are_read_with_a_note_and_junk_is_skipped_quietly(ws):
    """A CSV named with a leading dot (hidden on a Mac, not on Windows) or `..csv` (a slip) is
    read, with a note; what editors and systems leave beside files is skipped without a word."""
    ws.input(".ben.csv", HEADER + BEN)
    ws.input("..csv", HEADER + ANNA)
    ws.input(".~lock.week.xlsx#", ",Anna,host,26.11.2026 10:00,file:///home/anna;")
    ws.input("~$week.xlsx", b"\x05Anna\x00" * 10)
    ws.input(".DS_Store", b"\x00\x00\x00\x01Bud1" + b"\x00" * 40)
    ws.input("._week.csv", b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X" + b"\x00" * 40)
    ws.input(".git/exports/old.csv", "not an export")
    ws.input(".week.csv.swp", b"b0VIM 9.0\x00" * 4)
    (ws.root / "input" / ".#week.csv").symlink_to("anna@laptop.4711:1732611234")  # Emacs: dangling on purpose
    result = ws.cli("check", "--period", "2026-11")
    assert result.exit_code == 0, result.output
    assert result.output == (
        "input/..csv: note: hidden file read (its name starts with a dot)\n"
        "input/.ben.csv: note: hidden file read (its name starts with a dot)\n"
        "\n" + summary(["input/..csv", "input/.ben.csv"], hours={"acme": 1.5, "globex": 2.0},
                       tail=["Problems  0 errors · 0 warnings · 2 notes",
                             "          hidden-file                  2 notes", READY]))


# 5. FIFOs, sockets and devices

def test_fifos_sockets_and_devices_are_refused_without_opening_them(ws):
    ws.with_templates().input("week.csv", HEADER + ANNA)
    (ws.root / "input" / "exports").mkdir()
    os.mkfifo(ws.root / "input" / "pipe.csv")
    os.mkfifo(ws.root / "input" / "exports" / "stream")
    os.mknod(ws.root / "input" / "agent.sock", stat.S_IFSOCK | 0o600)
    (ws.root / "input" / "null.csv").symlink_to("/dev/null")
    fix = "not a file — not opened; move it out of input/ and put the export itself there\n"
    problems = (f"input/agent.sock: error: a socket, {fix}"
                f"input/exports/stream: error: a named pipe (FIFO), {fix}"
                f"input/null.csv: error: a character device, {fix}"
                f"input/pipe.csv: error: a named pipe (FIFO), {fix}")
    unreadable = ["input/agent.sock", "input/exports/stream", "input/null.csv", "input/pipe.csv"]
    check = run_apart(ws.root, "check", "--period", "2026-11")
    assert (check.returncode, check.stderr) == (1, "")
    assert check.stdout == problems + "\n" + summary(
        ["input/week.csv"], unreadable,
        tail=["Problems  4 errors · 0 warnings · 0 notes", "          not-a-file                   4 errors",
              NOT_READY])
    bill = run_apart(ws.root, "bill", "--period", "2026-11")
    assert (bill.returncode, bill.stdout) == (1, problems + stopped(*unreadable, errors=4))
    assert invoices(ws) == []


@contextmanager
def deadline(seconds: int):
    """Fail, rather than wait forever, if a read blocks (an alarm interrupts the blocked call)."""
    def expired(signum, frame):
        raise TimeoutError(f"still waiting after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("kind", ["a named pipe (FIFO)", "a folder"])
def test_a_file_that_became_a_fifo_or_a_folder_after_the_walk_is_refused_not_waited_on(tmp_path, kind):
    """Between finding a file and opening it, something else may take its name."""
    from auftakt_batch.calendars.read import read_calendar

    for name in ("x.csv", "x.xlsx", "x.ics"):
        os.mkfifo(tmp_path / name) if "FIFO" in kind else (tmp_path / name).mkdir()
    message = f"{kind}, not a file — not opened; move it out of input/ and put the export itself there"
    with deadline(10):
        with pytest.raises(FileError) as csv_error:
            read_csv(tmp_path / "x.csv", "input/x.csv", recognise, describe_unknown)
        with pytest.raises(FileError) as workbook_error:
            read_workbook(tmp_path / "x.xlsx", "input/x.xlsx", recognise, describe_unknown)
        with pytest.raises(CalendarError) as calendar_error:
            read_calendar(tmp_path / "x.ics", "input/x.ics", parse_period("2026-11"), "Europe/Berlin")
    assert [str(p) for p in csv_error.value.problems + workbook_error.value.problems] == [
        f"input/x.csv: error: {message}", f"input/x.xlsx: error: {message}"]
    assert (str(calendar_error.value), calendar_error.value.code) == (f"input/x.ics: {message}", "not-a-file")


# 6. Depth


def test_a_folder_980_deep_is_read_and_billed(ws):
    """Deeper than Python's recursion limit: walked with a stack, and nothing after it recurses
    per folder."""
    folder = ws.with_templates().root / "input"
    try:
        for _ in range(980):
            folder = folder / "d"
            folder.mkdir()
        (folder / "deep.csv").write_text(HEADER + ANNA)
        deep = "input/" + "d/" * 980 + "deep.csv"
        check = ws.cli("check", "--period", "2026-11")
        assert check.exit_code == 0, check.output[-2000:]
        assert check.output == summary([deep], tail=["Problems  0 errors · 0 warnings · 0 notes", READY])
        bill = ws.cli("bill", "--period", "2026-11")
        assert bill.exit_code == 0, bill.output[-2000:]
        assert invoices(ws) == ["2026-0001-acme.pdf"]
    finally:
        while folder != ws.root / "input":  # bottom up: shutil.rmtree recurses once per folder
            shutil.rmtree(folder)
            folder = folder.parent


def test_a_path_longer_than_the_system_allows_is_an_unreadable_input(ws):
    """Folders nested so deep that their path is longer than the system takes (PATH_MAX): the
    first path too long is an unreadable input, in one line — not a traceback."""
    ws.with_templates().input("week.csv", HEADER + ANNA)
    names = [f"{level:02d}" + "x" * 198 for level in range(30)]
    nest(ws.root / "input", names, "deep.csv", HEADER + ANNA)
    limit = os.pathconf(ws.root, "PC_PATH_MAX")
    depth = next(n for n in range(1, len(names) + 1)
                 if len(os.fsencode(ws.root.joinpath("input", *names[:n]))) >= limit)
    too_long = "/".join(["input", *names[:depth]])
    problem = (f"{too_long}: error: cannot be read (File name too long) — move it to a folder nearer input/ (its "
               "path is longer than the system allows)\n")
    try:
        check = ws.cli("check", "--period", "2026-11")
        assert check.exit_code == 1
        assert check.output == problem + "\n" + summary(
            ["input/week.csv"], [too_long],
            tail=["Problems  1 error · 0 warnings · 0 notes", "          unreadable                   1 error",
                  NOT_READY])
        bill = ws.cli("bill", "--period", "2026-11")
        assert (bill.exit_code, bill.output) == (1, problem + stopped(too_long))
    finally:
        shutil.rmtree(ws.root / "input" / names[0])  # rmtree works below PATH_MAX (folder by folder)


def nest(folder: Path, names: list[str], file: str, text: str) -> None:
    """Folders `names`, each in the one before, and `file` in the last; made relative to each
    other (by file descriptor), since their whole path is too long for the system."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for name in names:
            os.mkdir(name, dir_fd=fd)
            inner = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = inner
        out = os.open(file, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(out, text.encode())
        os.close(out)
    finally:
        os.close(fd)

