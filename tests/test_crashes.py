"""A billing run killed anywhere heals on the next run; runs started together never both write.

The crash harness starts `bill` in a process of its own session and kills it with SIGKILL —
the run and its PDF workers, as a power cut does — at each step of the issue protocol
(files.crash_point: under the lock, after the check, inside the first reservation's
transaction before its commit, after each reservation, half-way through a PDF or an XRechnung
file, with a PDF complete but not in place, in place but not recorded, recorded, the report
half-written), and at seeded random moments. Then a plain run
follows, and the invariants hold: the series has no gap and nothing pending, no entry and no
charge key (hours, a retainer's fee and overage, a milestone: one invoice bills every model) on
two live invoices, every issued invoice's PDF is where the ledger says with the recorded
sha256, no temporary file is left, and every output equals a run that was never interrupted.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from auftakt_batch.billing import bill, void
from auftakt_batch.cli import EXIT_BUSY
from auftakt_batch.files import FAULT, FAULT_GROUP, sweep_orphans
from auftakt_batch.periods import parse_period

from .conftest import TODAY, Workspace, dedent, edited, ledger_dump
from .test_einvoice import XRECHNUNG_RATES

pytestmark = pytest.mark.real_pdf  # killed mid-PDF, and every output equal to an uninterrupted run's

NOVEMBER = parse_period("2026-11")
EXPORT = dedent("""\
    date,person,client,job,task,description,hours,billable
    2026-11-03,Anna Schmidt,ACME,website,,Layout,1.5,
    2026-11-04,Ben Okafor,globex,app,,API,2,
    2026-11-05,Anna Schmidt,ACME,website,,Review,0.75,
    2026-11-04,Ben Okafor,studio,admin,,Admin,3,
    2026-11-05,Anna Schmidt,globex,care,,Updates,14,
    2026-11-06,Ben Okafor,globex,launch,,Checkout,8,
    2026-11-09,Ben Okafor,globex,seo,,Audit,12,
    2026-11-10,Ben Okafor,globex,seo,,Backlinks,13,
    """)
# Globex's invoice also bills every model: a retainer's fee and overage (14 h of 12: 2 h), a milestone
# done in November, a capped job's hours and their write-down (25 h × 95.00 over a cap of 2,000.00)
MODELS = edited(XRECHNUNG_RATES, '      app: {name: Customer app, rate: "150.00"}\n', """\
      app: {name: Customer app, rate: "150.00"}
      care:
        name: Website care
        retainer: {fee: "1500.00", hours: 12, per: month, overage: bill, overage_rate: "110.00", from: 2026-10-01}
      launch:
        name: Shop launch
        fixed:
          price: "12000.00"
          milestones:
            - {name: Design sign-off, share: "30%", done: 2026-10-15}
            - {name: Beta, share: "70%", done: 2026-11-20}
      seo:
        name: SEO
        rate: "95.00"
        cap: {amount: "2000.00", per: month}
""")
RUN = ("import datetime, sys; from pathlib import Path; from auftakt_batch.billing import bill, void; "
       "from auftakt_batch.periods import parse_period; workspace, today = Path(sys.argv[1]), datetime.date(2026, 12, 3); ")
BILL = RUN + "bill(workspace, parse_period('2026-11'), today=today)"
VOID = RUN + "void(workspace, '2026-0002', 'wrong job', today=today)"
STEPS = ["locked", "checked", "committing:1", "pending:1", "pending:2", "xrechnung-half", "pdf-half", "pdf-written", "placed:1",
         "placed:2", "issued:1", "issued:2", "report-written"]


def workspace(root: Path) -> Workspace:
    """Two invoices: ACME's with an XRechnung beside its PDF, Globex's with hours, every billing
    model (MODELS) and an expense whose receipt is embedded in its PDF."""
    ws = Workspace(root).with_templates()
    ws.rates(MODELS)
    ws.input("week.csv", EXPORT)
    ws.input("receipts/train.pdf", b"%PDF-1.4\n% a train ticket\n")
    ws.input("expenses.csv", "date,person,client,job,category,description,amount,currency,billable,receipt\n"
                             "2026-11-12,Ben Okafor,globex,app,Travel,Train to the workshop,89.90,EUR,yes,"
                             "receipts/train.pdf\n")
    return ws


def clean_env(**extra: str) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if k not in (FAULT, FAULT_GROUP)}, **extra}


def start(root: Path, fault: str | None = None) -> subprocess.Popen:
    """`bill` in a session of its own; with `fault`, killed there with its PDF workers."""
    env = clean_env(**{FAULT: fault, FAULT_GROUP: "1"}) if fault else clean_env()
    return subprocess.Popen([sys.executable, "-c", BILL, str(root)], env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def outputs(root: Path) -> dict[str, str]:
    """Every file under output/ but the ledger (with SQLite's files beside it, which a reader may
    leave, and what was kept of its reads under its random token), the lock and the workbook (openpyxl
    stamps the time it was saved): name -> sha256; and
    the ledger's rows, each instant of issue (the clock's, which differs from run to run) written
    as <instant>."""
    files = {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
             for p in sorted((root / "output").rglob("*")) if p.is_file()
             and not p.name.startswith(("ledger.sqlite", ".billing.lock")) and p.suffix != ".xlsx"
             and "backups" not in p.parts and not p.parent.match(".cache/ledger")}
    return {**files, "ledger": INSTANT.sub("'<instant>'", "\n".join(ledger_dump(root)))}


INSTANT = re.compile(r"'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ'")


def assert_sound(root: Path, reference: dict[str, str]) -> None:
    conn = sqlite3.connect(f"file:{root / 'output' / 'ledger.sqlite'}?mode=ro", uri=True)
    try:
        invoices = conn.execute("SELECT number, status, pdf_path, pdf_sha256 FROM invoices ORDER BY number").fetchall()
        twice = conn.execute("SELECT b.entry_id FROM billed_entries b JOIN invoices i ON i.id = b.invoice_id "
                             "WHERE b.live = 1 AND i.status != 'void' GROUP BY b.entry_id HAVING COUNT(*) > 1"
                             ).fetchall()
        charged_twice = conn.execute("SELECT c.kind, c.key FROM charges c JOIN invoices i ON i.id = c.invoice_id "
                                     "WHERE i.status != 'void' GROUP BY c.kind, c.key HAVING COUNT(*) > 1").fetchall()
        models = conn.execute("SELECT kind, key FROM charges WHERE live = 1 AND kind NOT IN ('hours', 'expense') "
                              "ORDER BY kind, key").fetchall()
        (expenses,) = conn.execute("SELECT COUNT(*) FROM charges WHERE live = 1 AND kind = 'expense'").fetchone()
    finally:
        conn.close()
    assert [n for n, *_ in invoices] == [f"2026-{i:04d}" for i in range(1, len(invoices) + 1)]  # no gap
    assert {status for _, status, *_ in invoices} <= {"issued", "void"}  # nothing left pending
    assert twice == [] and charged_twice == []  # no entry, no charge key on two live invoices
    assert models == [("milestone", "milestone:globex/launch:Beta"), ("overage", "overage:globex/care:2026-11:1"),
                      ("retainer", "retainer:globex/care:2026-11")] and expenses == 1
    for _, _, path, sha in invoices:
        assert hashlib.sha256((root / path).read_bytes()).hexdigest() == sha
    assert not [p for p in (root / "output").rglob("*.tmp")]
    for copy in (root / "output" / "backups").glob("*.sqlite"):  # every backup a crash left is a sound ledger
        backup = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
        assert backup.execute("PRAGMA quick_check").fetchall() == [("ok",)]
        backup.close()
    assert (root / "output" / "2026-11" / "profitability-2026-11.xlsx").is_file()
    assert outputs(root) == reference


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict[str, str]:
    """The outputs of a run that was never interrupted."""
    root = tmp_path_factory.mktemp("clean") / "ws"
    workspace(root)
    assert [i.number for i in bill(root, NOVEMBER, today=TODAY).issued] == ["2026-0001", "2026-0002"]
    made = outputs(root)
    assert {"output/2026-11/invoices/2026-0001-acme.xrechnung.xml", "output/2026-11/invoices/2026-0002-globex.pdf"} \
        <= made.keys()
    return made


@pytest.mark.parametrize("step", STEPS)
def test_a_run_killed_at_a_step_of_the_protocol_heals(step: str, reference, tmp_path: Path):
    root = workspace(tmp_path / "ws").root
    run = start(root, step)
    run.communicate(timeout=120)
    assert run.returncode == -signal.SIGKILL, f"the run was not killed at {step}"
    reserved = instants(root, "2026-12-03T09:00:00Z")  # when the killed run reserved them (earlier, say)
    healed = bill(root, NOVEMBER, today=TODAY)
    assert healed.stopped is None
    assert_sound(root, reference)
    assert instants(root).items() >= reserved.items()  # the run that finishes an invoice keeps its instant
    assert bill(root, NOVEMBER, today=TODAY).issued == ()  # and a third run has nothing to do


def test_runs_killed_at_random_moments_heal(reference, tmp_path: Path):
    timer = time.monotonic()
    clean = start(workspace(tmp_path / "timing").root)
    clean.communicate(timeout=120)
    took = time.monotonic() - timer
    moments = random.Random(2611).sample(range(5, 95), 3)  # percent of an uninterrupted run
    interrupted = 0
    for n, percent in enumerate(sorted(moments)):
        root = workspace(tmp_path / f"ws{n}").root
        run = start(root)
        time.sleep(took * percent / 100)
        with contextlib.suppress(ProcessLookupError):  # it may have finished: then there is nothing to heal
            os.killpg(run.pid, signal.SIGKILL)
        run.communicate(timeout=60)
        interrupted += run.returncode == -signal.SIGKILL and healing_needed(root)
        bill(root, NOVEMBER, today=TODAY)
        assert_sound(root, reference)
    assert interrupted, "no kill landed inside the issue protocol"


def instants(root: Path, moved_to: str | None = None) -> dict[str, str]:
    """number -> the instant its invoice was reserved; `moved_to` sets every one first."""
    if not (root / "output" / "ledger.sqlite").exists():
        return {}
    conn = sqlite3.connect(root / "output" / "ledger.sqlite")
    try:
        if moved_to is not None:
            conn.execute("UPDATE invoices SET issued_at = ?", (moved_to,))
            conn.commit()
        return dict(conn.execute("SELECT number, issued_at FROM invoices"))
    finally:
        conn.close()


def healing_needed(root: Path) -> bool:
    """Whether a killed run left work behind: a pending invoice, or an invoice not yet reserved.
    Read from a copy of the ledger and its write-ahead log: a run killed mid-write can leave a log
    that only a writer may replay, and the workspace itself is left as the kill left it."""
    if not (root / "output" / "ledger.sqlite").exists():
        return False
    copy = root.parent / f"{root.name}-ledger"
    (copy / "output").mkdir(parents=True, exist_ok=True)
    for name in ("ledger.sqlite", "ledger.sqlite-wal"):
        if (root / "output" / name).exists():
            shutil.copyfile(root / "output" / name, copy / "output" / name)
    writer = sqlite3.connect(copy / "output" / "ledger.sqlite")
    try:
        writer.execute("SELECT count(*) FROM sqlite_master").fetchall()  # a writer replays the log into the copy
    finally:
        writer.close()
    rows = ledger_dump(copy)
    return any("'pending'" in row for row in rows) or sum("INSERT INTO \"invoices\"" in row for row in rows) < 2


def test_a_void_killed_after_its_reservation_is_finished_by_the_next_run(tmp_path: Path):
    def voided(root: Path, crash: bool) -> None:
        bill(root, NOVEMBER, today=TODAY)
        if crash:
            run = subprocess.run([sys.executable, "-c", VOID, str(root)], env=clean_env(**{FAULT: "pending"}),
                                 start_new_session=True, capture_output=True)
            assert run.returncode == -signal.SIGKILL
        else:
            void(root, "2026-0002", "wrong job", today=TODAY)
        result = bill(root, NOVEMBER, today=TODAY)
        assert [(i.number, i.client_key, i.finished) for i in result.issued] == [
            *([("2026-0003", "globex", True)] if crash else []), ("2026-0004", "globex", False)]

    clean, crashed = workspace(tmp_path / "clean").root, workspace(tmp_path / "crashed").root
    voided(clean, crash=False)
    voided(crashed, crash=True)
    assert_sound(crashed, outputs(clean))


def test_runs_started_together_one_writes_the_others_are_refused(tmp_path: Path):
    root = workspace(tmp_path / "ws").root
    command = [sys.executable, "-m", "auftakt_batch", "bill", "--workspace", str(root), "--period", "2026-11"]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=clean_env())
            for _ in range(4)]
    ended: dict[int, float] = {}
    while len(ended) < len(runs):
        ended |= {n: time.monotonic() for n, run in enumerate(runs) if n not in ended and run.poll() is not None}
        time.sleep(0.02)
    finished = [(run.returncode, run.stdout.read(), ended[n]) for n, run in enumerate(runs)]
    assert sorted(code for code, _, _ in finished) == [0, EXIT_BUSY, EXIT_BUSY, EXIT_BUSY], finished
    ((_, writer, done),) = [run for run in finished if run[0] == 0]
    assert "Issued 2 invoices" in writer
    for code, out, at in finished:
        if code == EXIT_BUSY:  # promptly: while the writer is still at work
            assert at < done and "another billing run is writing" in out and "wait for it to finish" in out
    conn = sqlite3.connect(root / "output" / "ledger.sqlite")
    assert conn.execute("SELECT COUNT(*) FROM invoices").fetchone() == (2,)


def test_the_sweep_leaves_a_running_writers_temporary_file(tmp_path: Path):
    live = tmp_path / "2026-11" / f".profitability-2026-11.xlsx.{os.getpid()}.tmp"  # `report` saving meanwhile
    dead = tmp_path / "2026-11" / "invoices" / ".2026-0001-acme.pdf.999999999.tmp"  # a crashed run's
    for path in (live, dead):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half")
    assert sweep_orphans(tmp_path) == 1
    assert live.exists() and not dead.exists()


def test_the_sweep_takes_a_crashed_runs_invoice_even_when_its_pid_is_another_process_by_now(tmp_path: Path):
    """Only runs holding the billing lock write invoices and backups: the sweeping run holds it."""
    reused = [tmp_path / "2026-11" / "invoices" / f".2026-0001-acme.xrechnung.xml.{os.getpid()}.tmp",
              tmp_path / "backups" / f".ledger-20261203T101010-000001.sqlite.{os.getpid()}.tmp"]
    for path in reused:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half")
    assert sweep_orphans(tmp_path) == 2
    assert not any(path.exists() for path in reused)


def session(sid: int) -> dict[int, str]:
    """The live processes of session `sid` (zombies are dead): pid -> command line."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[3]) == sid and fields[0] != "Z":
                found[int(stat.parent.name)] = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists() or (os.cpu_count() or 1) < 2,
                    reason="Linux, and a pool of PDF workers (two cores)")
def test_a_run_killed_alone_takes_its_fork_server_workers_and_resource_tracker_with_it(tmp_path: Path):
    """SIGKILL of the run only, as the OOM killer sends it, while its workers are alive (it dies
    as the first PDF is in place): within seconds nothing of its session is left."""
    root = workspace(tmp_path / "ws").root
    run = subprocess.Popen([sys.executable, "-c", BILL, str(root)], env=clean_env(**{FAULT: "placed:1"}),
                           start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen: dict[int, str] = {}
    while run.poll() is None:
        seen |= {pid: line for pid, line in session(run.pid).items() if line}  # none while a fork holds its memory
        time.sleep(0.005)
    assert run.returncode == -signal.SIGKILL
    assert sum("multiprocessing.forkserver" in line for line in seen.values()) >= 2  # the server and a worker
    assert any("multiprocessing.resource_tracker" in line for line in seen.values())
    deadline = time.monotonic() + 5
    while session(run.pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    left = session(run.pid)
    for pid in left:  # so that a failure leaves nothing running either
        os.kill(pid, signal.SIGKILL)
    assert left == {}


PROBE = '''
import ctypes


def death_signal(_=None) -> int:
    value = ctypes.c_int()
    ctypes.CDLL(None).prctl(2, ctypes.byref(value), 0, 0, 0)  # PR_GET_PDEATHSIG
    return value.value
'''
POOL = ("from concurrent.futures import ProcessPoolExecutor; from auftakt_batch.render import pdf; import probe\n"
        "with ProcessPoolExecutor(2, mp_context=pdf._context(), initializer=pdf._worker_started) as pool:\n"
        "    print(sorted(set(pool.map(probe.death_signal, range(4)))), probe.death_signal())\n")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")
def test_the_workers_die_with_their_parent_and_the_run_does_not(tmp_path: Path):
    (tmp_path / "probe.py").write_text(PROBE)
    done = subprocess.run([sys.executable, "-c", POOL], env=clean_env(PYTHONPATH=str(tmp_path)), cwd=tmp_path,
                          capture_output=True, text=True, check=True)
    assert done.stdout == f"[{int(signal.SIGKILL)}] 0\n"  # every worker: SIGKILL; the run itself: nothing


@pytest.mark.parametrize("platform, survives", [("linux", False), ("darwin", True)])
def test_a_process_whose_parent_is_already_gone_exits_where_there_is_prctl(platform, survives):
    if platform == "linux" and not sys.platform.startswith("linux"):
        pytest.skip("prctl is Linux's")
    script = (f"import sys; sys.platform = {platform!r}; from auftakt_batch import processes\n"
              "processes.die_with_parent(-1)  # not its parent: as if the parent had died before the prctl\n"
              "print('alive')\n")
    done = subprocess.run([sys.executable, "-c", script], env=clean_env(), capture_output=True, text=True)
    assert (done.returncode, done.stdout) == ((0, "alive\n") if survives else (1, ""))
