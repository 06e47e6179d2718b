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
import pickle
import signal
import sys
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import suppress
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
    if workers < 2 or not forks():
        return None
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                               initializer=die_with_parent, initargs=(os.getpid(),))


def cores() -> int:
    """The cores this process may run on (its CPU affinity, where the system says: a container or
    `taskset` may allow fewer than the machine has), at least 1."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def forks() -> bool:
    """Whether forking pays (two cores) and is safe (Linux, no other thread running)."""
    return cores() >= 2 and sys.platform.startswith("linux") and threading.active_count() == 1


def forked_call(work: Callable[[], R], again: Callable[[], R] | None = None) -> Callable[[], R]:
    """`work()` begun now in a process forked from this one, beside what this one does next: it
    reads what this process held as it forked, and only its result travels back, through a pipe.
    The function returned waits for that result (an error `work` raised is raised there); it is to
    be called once. This process keeps no thread for the child (its own forked pools still fork),
    and, given `again`, no reference to `work`: what `work` holds is freed here once nothing else
    holds it. Where `forked_pool` would not fork, `work()` is done here when the result is asked
    for (and let go then); where the child died before giving it (killed: out of memory?),
    `again()` (by default `work()`) is. The child ignores Ctrl-C and dies with this process,
    whether its result was asked for or not; a result never asked for (the run raised first) takes
    the child with it when the function returned is let go. Where no process or pipe can be made,
    `work()` is done here when the result is asked for."""
    if not forks():
        return _once(work)
    parent = os.getpid()
    try:
        reading, writing = os.pipe()
    except OSError:  # no file descriptor left: done here
        return _once(work)
    try:
        child = os.fork()
    except OSError:  # no process left, or no memory to fork with: done here
        os.close(reading)
        os.close(writing)
        return _once(work)
    if child == 0:  # pragma: no cover — the forked process; coverage sees it only through what it gives
        os.close(reading)
        _give(work, writing, parent)
    os.close(writing)
    fallback = again or work
    del work
    return _Child(reading, child, fallback)


class _Child:
    """What a forked process will give (`forked_call`'s), asked for once. Let go unasked — the run
    raised before it needed the result — the process is killed and waited for, and its pipe closed:
    none is left behind, holding its share of the run's memory, blocked on a full pipe."""

    def __init__(self, reading: int, pid: int, again: Callable[[], Any]) -> None:
        self.reading, self.pid, self.again = reading, pid, again
        self.unasked = weakref.finalize(self, _abandon, reading, pid, os.getpid())

    def __call__(self) -> Any:
        self.unasked.detach()
        again, self.again = self.again, _asked
        return _taken(self.reading, self.pid, again)


def _asked() -> Any:
    raise RuntimeError("a forked process's result is asked for once")


def _abandon(reading: int, pid: int, parent: int) -> None:
    if os.getpid() != parent:  # a process forked from the run since, letting go of its copy: not its child
        return
    with suppress(OSError):  # each: closed, gone or waited for already
        os.close(reading)
    with suppress(OSError):
        os.kill(pid, signal.SIGKILL)
    with suppress(OSError):
        os.waitpid(pid, 0)


def _give(work: Callable[[], Any], writing: int, parent: int) -> None:
    """In the forked process: what `work()` gives (or the error it raised), pickled into the pipe;
    then out, without the parent's exit handlers or its buffered output."""
    status = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        die_with_parent(parent)
        try:
            given: tuple[bool, Any] = (True, work())
        except Exception as exc:  # noqa: BLE001 — raised again where the result is asked for
            given = (False, exc)
        try:
            data = pickle.dumps(given, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 — what does not pickle: its words do
            data = pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
        with os.fdopen(writing, "wb") as out:
            out.write(data)
        status = 0
    finally:
        os._exit(status)


def _taken(reading: int, child: int, again: Callable[[], R]) -> R:
    """The result the child gave through the pipe; `again()` where it gave none, or not all of it (it
    died: only a child that wrote its result whole exits 0)."""
    with os.fdopen(reading, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(child, 0)
    if not data or os.waitstatus_to_exitcode(status) != 0:
        return again()
    done, value = pickle.loads(data)
    if not done:
        raise value
    return value


def _once(work: Callable[[], R]) -> Callable[[], R]:
    """`work`, to be called once: it is let go as it is called (and what it holds with it)."""
    held = [work]

    def call() -> R:
        return held.pop()()
    return call


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
