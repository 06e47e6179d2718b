"""processes.forked_call: one piece of work in a process forked beside the run's own — the report's
months before its period — giving what the same work gives in the run, or done in the run where
no process can be forked or the one forked is killed."""

from __future__ import annotations

import dataclasses
import gc
import os
import signal
import subprocess
import sys
import threading
import weakref
from decimal import Decimal as D

import pandas as pd
import pytest

from auftakt_batch import processes
from auftakt_batch import reports as reports_module
from auftakt_batch.periods import parse_period
from auftakt_batch.reports import history, report
from auftakt_batch.reports.status import status

from .conftest import TODAY
from .test_billing_models import HEADER
from .test_model_reports import billed  # noqa: F401 (a fixture: October and November billed, with the models)

needs_fork = pytest.mark.skipif(not sys.platform.startswith("linux") or (os.cpu_count() or 1) < 2,
                                reason="forks on Linux with two cores")


@pytest.fixture(autouse=True)
def nothing_kept(monkeypatch):
    """Each report checks and tables its months before itself: nothing is kept or read (reports/kept.py)."""
    monkeypatch.setattr(reports_module, "found_kept", lambda *args: (None, None))


def _pid_and_sum(numbers: list[int]) -> tuple[int, int]:
    return os.getpid(), sum(numbers)


@needs_fork
def test_the_work_runs_in_a_forked_process_on_what_this_one_holds():
    numbers = list(range(100_000))  # read by the worker as this process holds it: not sent
    result = processes.forked_call(lambda: _pid_and_sum(numbers))
    pid, total = result()
    assert pid != os.getpid() and total == sum(numbers)


@needs_fork
def test_an_error_of_the_work_is_raised_where_its_result_is_asked_for():
    def fails() -> None:
        raise ValueError("in the worker")

    result = processes.forked_call(fails)
    with pytest.raises(ValueError, match="in the worker"):
        result()


@needs_fork
def test_a_killed_worker_leaves_the_work_to_this_process():
    parent = os.getpid()

    def killed_when_forked() -> int:
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)  # as the OOM killer would
        return os.getpid()

    assert processes.forked_call(killed_when_forked)() == parent


def _children() -> set[int]:
    """This process's child processes, zombies too (Linux: /proc/PID/task/*/children)."""
    found: set[int] = set()
    for task in os.listdir(f"/proc/{os.getpid()}/task"):
        with open(f"/proc/{os.getpid()}/task/{task}/children") as f:
            found |= {int(pid) for pid in f.read().split()}
    return found


@needs_fork
def test_a_result_never_asked_for_leaves_no_process_and_no_pipe_behind():
    """A run that raises before it asks for a forked process's result (pipeline.py's calendars and
    contract) lets the handle go: the process is killed and waited for, its pipe closed — also one
    blocked writing a result larger than a pipe holds (64 KiB on Linux)."""
    for size in (10, 1_000_000):
        result = processes.forked_call(lambda size=size: b"x" * size)
        assert isinstance(result, processes._Child)  # forked
        pid, reading = result.pid, result.reading
        assert pid in _children()
        del result
        assert pid not in _children()  # not even a zombie: waited for
        with pytest.raises(OSError):
            os.fstat(reading)


@needs_fork
def test_a_worker_killed_while_it_writes_its_result_leaves_the_work_to_this_process(monkeypatch):
    """Part of a result, then death (killed mid-write): the part is not unpickled, the work is done here."""
    parent = os.getpid()

    def half_then_killed(work, writing, parent_pid):  # in the forked process, instead of _give
        os.write(writing, b"\x80\x05" + b"x" * 1000)
        os._exit(137)

    monkeypatch.setattr(processes, "_give", half_then_killed)
    assert processes.forked_call(lambda: os.getpid())() == parent


def test_with_another_thread_running_nothing_is_forked():
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert processes.forked_call(os.getpid)() == os.getpid()  # done here, when its result is asked for
    finally:
        stop.set()
        other.join()


@needs_fork
def test_a_report_with_the_months_before_checked_beside_it_is_the_report_checked_in_one_process(
        billed, monkeypatch, tmp_path):  # noqa: F811
    """October and November billed with retainers, fixed prices, caps and budgets: November's and
    December's figures, the months before checked in a forked process and tabled there in parts
    on two more, are those of one process tabling them at once."""
    where = tmp_path / "where.log"  # written by whichever process does the work
    real_before, real_pool, real_call = reports_module._before, history.forked_pool, processes.forked_call

    def logged_before(*args):
        with where.open("a") as out:
            out.write(f"before {os.getpid()}\n")
        return real_before(*args)

    def logged_pool(workers):
        pool = real_pool(workers)
        with where.open("a") as out:
            out.write(f"parts {os.getpid()} {pool is not None}\n")
        return pool
    monkeypatch.setattr(reports_module, "_before", logged_before)
    monkeypatch.setattr(history, "forked_pool", logged_pool)
    for label in ("2026-11", "2026-12"):
        where.unlink(missing_ok=True)
        monkeypatch.setattr(reports_module, "forked_call", real_call)
        monkeypatch.setattr(history, "PARALLEL_ROWS", 0)  # parts even of a few entries
        beside = report(billed.root, parse_period(label), TODAY).figures
        (did, pid), (tabled, tabler, forked) = [line.split() for line in where.read_text().splitlines()]
        assert (did, tabled, forked) == ("before", "parts", "True")  # the parts forked, in the process forked
        assert pid == tabler != str(os.getpid())
        monkeypatch.setattr(reports_module, "forked_call", lambda work, again=None: work)
        monkeypatch.setattr(history, "PARALLEL_ROWS", 10**9)
        alone = report(billed.root, parse_period(label), TODAY).figures
        assert beside is not None and alone is not None
        same(beside, alone, "figures")
        assert beside.months is not None and "2026-10" in set(beside.months["month"])  # the months before count


@needs_fork
def test_the_months_before_tabled_in_parts_by_a_worker_per_core_give_the_figures_of_one_table(
        billed, monkeypatch):  # noqa: F811
    """history.before_figures tables a year in parts (history.PARTS) by two forked workers: their sums
    and rows give the figures — models, total budgets, the gap, the Months sheet, archived entries — that
    the months tabled at once give."""
    pools: list = []
    real = processes.forked_pool
    monkeypatch.setattr(history, "forked_pool", lambda workers: pools.append(real(workers)) or pools[-1])
    monkeypatch.setattr(reports_module, "forked_call", lambda work, again=None: work)  # tabled here: pools seen
    as_bytes: list = []  # whether each tabling looked the billed ids up as bytes (history._billed_ids)
    real_ids = history._billed_ids
    monkeypatch.setattr(history, "_billed_ids", lambda *run: as_bytes.append(real_ids(*run)) or as_bytes[-1])
    billed.rates((billed.root / "rates.yaml").read_text() + ZETA)  # a retainer since August, never billed
    billed.input("a-summer.csv", HEADER + SUMMER)  # read first: the first part's, unbilled
    billed.input("z-late.csv", HEADER + "2026-08-06,Anna Schmidt,ACME,website,,Review,1,\n")  # read last: the last part's
    for label in ("2026-11", "2026-12"):
        monkeypatch.setattr(history, "PARALLEL_ROWS", 0)
        parts = report(billed.root, parse_period(label), TODAY).figures
        monkeypatch.setattr(history, "PARALLEL_ROWS", 10**9)
        at_once = report(billed.root, parse_period(label), TODAY).figures
        same(parts, at_once, "figures")
    assert len(pools) == 2 and None not in pools  # both months before were tabled in parts, forked
    assert [ids is not None for ids in as_bytes] == [True, False] * 2  # in parts: as bytes; at once: as text
    months = {row.month: row for row in at_once.months.itertuples()}
    assert (months["2026-08"].gap, months["2026-09"].gap) == (D("1320.00"), D("900.00"))  # see SUMMER
    budget = at_once.budgets.set_index(["client", "job"]).loc[("zeta", "web")]
    assert budget["used"] == D("5.00")  # the total budget counts August's and September's hours


ZETA = """\
  zeta:
    name: Zeta GmbH
    rate: "100.00"
    jobs:
      care:
        name: Care
        retainer: {fee: "500.00", hours: 5, per: month, overage: absorb, from: 2026-08-01}
      web:
        name: Web
        budget: {hours: 10, per: total}
"""
# unbilled: August 6 h of acme's at 120.00 (1 h of them in z-late.csv), 1 h of zeta's at 100.00 and zeta's
# retainer fee: 1,320.00; September 4 h of zeta's and the fee: 900.00 (a month's fee counts from the first
# day the entries hold)
SUMMER = ("2026-08-03,Anna Schmidt,ACME,website,,Concept,2,\n2026-08-04,Anna Schmidt,ACME,website,,Wireframes,3,\n"
          "2026-08-05,Ben Okafor,zeta,web,,Audit,1,\n2026-09-08,Ben Okafor,zeta,web,,Build,4,\n")


def same(a: object, b: object, name: str) -> None:
    """`a` and `b` hold equal values: frames frame by frame, dataclasses field by field."""
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, obj=name)
    elif dataclasses.is_dataclass(a) and not isinstance(a, type):
        for field in dataclasses.fields(a):
            same(getattr(a, field.name), getattr(b, field.name), f"{name}.{field.name}")
    else:
        assert a == b, name


@pytest.mark.parametrize("fork", [True, False])
def test_a_years_inputs_are_let_go_once_the_months_before_are_checked(billed, monkeypatch, fork):  # noqa: F811
    """The inputs a report read are held only while something still checks them: forked, not by
    this process once its check of the period is done; not forked, once the months before are."""
    if fork and not (sys.platform.startswith("linux") and (os.cpu_count() or 1) >= 2):
        pytest.skip("forks on Linux with two cores")
    read = reports_module.read_inputs
    refs: list = []
    monkeypatch.setattr(reports_module, "read_inputs", lambda ws: refs.append(weakref.ref(found := read(ws))) or found)
    if not fork:
        monkeypatch.setattr(reports_module, "forked_call", lambda work, again=None: processes._once(work))
    held: list[bool] = []
    real_build = reports_module.build

    def build(run, book, earlier, today):
        gc.collect()
        held.append(refs[0]() is not None)  # as the figures start
        before = earlier()
        gc.collect()
        held.append(refs[0]() is not None)  # once the months before are in
        return real_build(run, book, lambda: before, today)
    monkeypatch.setattr(reports_module, "build", build)
    assert report(billed.root, parse_period("2026-12"), TODAY).figures is not None
    assert held == ([False, False] if fork else [True, False])


@needs_fork
def test_status_with_the_months_before_checked_beside_it_is_status_in_one_process(billed, monkeypatch):  # noqa: F811
    """`status` starts where `report` does (reports.checked): the same board either way."""
    beside = status(billed.root, parse_period("2026-12"), TODAY)
    monkeypatch.setattr(reports_module, "forked_call", lambda work, again=None: work)
    alone = status(billed.root, parse_period("2026-12"), TODAY)
    assert beside.clients and beside[1:] == alone[1:]  # clients, team, headline, what is owed


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity") or (os.cpu_count() or 1) < 2, reason="no CPU affinity here")
def test_a_run_allowed_one_core_forks_no_worker():
    """`taskset -c 0 auftakt-batch …`, or a container allowed one core: the cores are the ones the
    run may use, not the machine's, so no work is handed to workers that would share one core."""
    code = ("import os; os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]}); "
            "from auftakt_batch import processes; print(processes.cores(), processes.forks(), "
            "processes.forked_pool(2))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["1", "False", "None"]


@needs_fork
@pytest.mark.parametrize("call", ["pipe", "fork"])
def test_where_no_pipe_or_process_can_be_made_the_work_is_done_in_the_run(monkeypatch, call):
    """Out of file descriptors or processes (EMFILE, EAGAIN), or of memory to fork with: the work
    is done here when its result is asked for, not lost, and nothing is left open."""
    def refused(*args):
        raise OSError(24, "Too many open files")

    before = len(os.listdir("/proc/self/fd"))
    monkeypatch.setattr(processes.os, call, refused)
    numbers = list(range(1000))
    result = processes.forked_call(lambda: _pid_and_sum(numbers))
    monkeypatch.undo()
    assert result() == (os.getpid(), sum(numbers))
    assert len(os.listdir("/proc/self/fd")) == before
