"""processes.forked_call: one piece of work in a process forked beside the run's own — the report's
months before its period — giving what the same work gives in the run, or done in the run where
no process can be forked or the one forked is killed."""

from __future__ import annotations

import dataclasses
import os
import signal
import sys
import threading

import pandas as pd
import pytest

from auftakt_batch import processes
from auftakt_batch import reports as reports_module
from auftakt_batch.periods import parse_period
from auftakt_batch.reports import report

from .conftest import TODAY
from .test_model_reports import billed  # noqa: F401 (a fixture: October and November billed, with the models)

needs_fork = pytest.mark.skipif(not sys.platform.startswith("linux") or (os.cpu_count() or 1) < 2,
                                reason="forks on Linux with two cores")


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


def test_with_another_thread_running_nothing_is_forked():
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        def work() -> int:
            return os.getpid()
        assert processes.forked_call(work) is work  # done here, when its result is asked for
    finally:
        stop.set()
        other.join()


@needs_fork
def test_a_report_with_the_months_before_checked_beside_it_is_the_report_checked_in_one_process(billed,  # noqa: F811
                                                                                                monkeypatch):
    """October and November billed with retainers, fixed prices, caps and budgets: November's and
    December's figures (the months before checked in a forked process) are those of one process."""
    forked: list[bool] = []
    real = processes.forked_call
    monkeypatch.setattr(reports_module, "forked_call", lambda work: forked.append(True) or real(work))
    for label in ("2026-11", "2026-12"):
        beside = report(billed.root, parse_period(label), TODAY).figures
        monkeypatch.setattr(reports_module, "forked_call", lambda work: work)
        alone = report(billed.root, parse_period(label), TODAY).figures
        monkeypatch.setattr(reports_module, "forked_call", lambda work: forked.append(True) or real(work))
        assert beside is not None and alone is not None and forked
        same(beside, alone, "figures")
        assert beside.months is not None and "2026-10" in set(beside.months["month"])  # the months before count


def same(a: object, b: object, name: str) -> None:
    """`a` and `b` hold equal values: frames frame by frame, dataclasses field by field."""
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, obj=name)
    elif dataclasses.is_dataclass(a) and not isinstance(a, type):
        for field in dataclasses.fields(a):
            same(getattr(a, field.name), getattr(b, field.name), f"{name}.{field.name}")
    else:
        assert a == b, name
