"""Worker processes that die with the run, and a pool of them forked from it where that is safe.

On Linux a SIGKILL of the run alone (the OOM killer's, a crash test's) would leave its workers
running — holding the billing lock, if the run held it: `die_with_parent` asks the kernel to
SIGKILL a worker when its parent dies (prctl PR_SET_PDEATHSIG). `forked_pool` gives workers
forked from this process, which start at once with everything it has loaded — only on Linux and
only while this process runs no other thread (a fork copies one thread: a lock another held would
stay held in the worker); elsewhere None, and the caller does the work itself. `forked_map` runs
work on such a pool over data the workers read as the run holds it (fingerprints, checks);
`forked_call` one piece of work beside the run's own (a report's months before its period).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
R = TypeVar("R")


def die_with_parent(parent: int) -> None:
    """Have the kernel SIGKILL this process when its parent dies. `parent` is the pid that started
    it: if the parent is not that any more, it died before the prctl took hold (the process was
    handed to init), and nothing would ever kill this one — so exit now. Where there is no prctl
    (macOS), nothing. (Linux means the parent *thread*: the run starts its workers from its main thread.)"""
    prctl = _prctl()
    if prctl is None or prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        return
    if os.getppid() != parent:
        os._exit(1)


def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def forked_pool(workers: int) -> ProcessPoolExecutor | None:
    """A pool of `workers` processes forked from this one, each dying with it; None where forking
    is not safe (not Linux, another thread running) or would not pay (fewer than two workers or cores)."""
    return _pool(workers) if workers >= 2 else None


def _pool(workers: int) -> ProcessPoolExecutor | None:
    if (os.cpu_count() or 1) < 2 or not sys.platform.startswith("linux") or threading.active_count() > 1:
        return None
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                               initializer=die_with_parent, initargs=(os.getpid(),))


def forked_call(work: Callable[[], R]) -> Callable[[], R]:
    """`work()` begun now in a process forked from this one (dying with it), beside what this one
    does next: it reads what this process holds as it forks, only its result travels back. The
    function returned waits for that result — or, where `forked_pool` would not fork or the process
    was killed (out of memory?), does `work()` itself, there and then."""
    global _CALLED
    pool = _pool(1)
    if pool is None:
        return work
    _CALLED = work
    try:
        future = pool.submit(_called)  # the worker is forked here: it holds `work` as set above
    finally:
        _CALLED = None

    def result() -> R:
        try:
            return future.result()
        except BrokenProcessPool:
            return work()
        finally:
            pool.shutdown()
    return result


_CALLED: Callable[[], Any] | None = None  # what `forked_call`'s worker runs


def _called() -> Any:
    assert _CALLED is not None, "a worker forked by forked_call"
    return _CALLED()


_FORKED: tuple[Callable[[Any, Any], Any], Any] | None = None  # what `forked_map`'s workers run, and on what


def forked_map(pool: ProcessPoolExecutor | None, work: Callable[[Any, Any], Any], items: Sequence[Any], shared: Any,
               done: Callable[[Iterator[Any]], R]) -> R | None:
    """`done` of `work(item, shared)` for each of `items`, in their order, by the workers of `pool`
    (`forked_pool`'s): they read `shared` as this process holds it when they fork — nothing is copied
    to them, only the items and what `work` gives travel. None where there is no pool, or a worker
    was killed (out of memory?): the caller then does the work itself."""
    global _FORKED
    if pool is None:
        return None
    _FORKED = (work, shared)
    try:
        with pool:
            return done(pool.map(_forked, items))
    except BrokenProcessPool:
        return None
    finally:
        _FORKED = None


def _forked(item: Any) -> Any:
    assert _FORKED is not None, "a worker forked by forked_map"
    work, shared = _FORKED
    return work(item, shared)
