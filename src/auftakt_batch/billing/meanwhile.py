"""The report a billing run writes, prepared while its PDFs render.

Once every invoice of the run is reserved (pending in the ledger, with its entries), all that
changes of what the report reads is their status. So a thread of its own checks the months
before the period (unless the billing needed them already, or a report kept what they give for
the ledger as it was before this run: reports/kept.py), computes the figures with those
invoices as issued, and writes the workbook beside its place, while the workers render:
the main process only waits for them then. `bill` puts the workbook in place once every PDF
is, and discards it if one fails. The thread is a daemon: Ctrl-C does not wait for it (its
temporary file is a dead process's, which the next billing run sweeps).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path

from ..pipeline import check_before
from ..reports import PreparedReport, prepare_report
from ..reports.before import Before
from ..run import CheckRun


class Meanwhile:
    """`start` prepares the report in a thread; `report` waits for it (or, if it never started,
    prepares it now); `discard` is for a run whose rendering failed."""

    def __init__(self, run: CheckRun, earlier: CheckRun | Callable[[], Before] | None, today: date) -> None:
        """`earlier`: the check of the months before the period if the billing made it, or what they
        give as a report kept them (reports/kept.py); None: the thread checks them."""
        self._run, self._earlier, self._today = run, earlier, today
        self._thread: threading.Thread | None = None
        self._prepared: PreparedReport | None = None
        self._error: BaseException | None = None

    def start(self, pdfs: Mapping[str, Path]) -> None:
        """Every invoice is reserved: `pdfs` (number -> PDF) the ones this run issues (pending, or issued
        already where its PDF is in place)."""
        paths = {number: pdf.relative_to(self._run.workspace).as_posix() for number, pdf in pdfs.items()}
        self._thread = threading.Thread(target=self._prepare, args=(paths,), name="report", daemon=True)
        self._thread.start()

    def wait(self) -> None:
        """Until the thread is done, if it started: `bill` waits before it closes its connection to the
        ledger, so that it is the last to close (SQLite then folds the WAL into the ledger and deletes it)."""
        if self._thread is not None:
            self._thread.join()

    def report(self) -> PreparedReport:
        """The report, its workbook beside its place; what went wrong preparing it is raised here."""
        if self._thread is None:
            return self._prepare_now()
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._prepared is not None
        return self._prepared

    def discard(self) -> None:
        """The rendering failed: no workbook may show its invoices as issued."""
        self.wait()
        if self._prepared is not None:
            self._prepared.workbook.discard()

    def _prepare(self, pdfs: Mapping[str, str]) -> None:
        try:
            self._prepared = self._prepare_now(pdfs)
        except BaseException as exc:  # noqa: BLE001 — raised in the main thread by `report`
            self._error = exc

    def _prepare_now(self, pdfs: Mapping[str, str] | None = None) -> PreparedReport:
        earlier = self._earlier or check_before(self._run, self._today)
        self._run = self._run.without_inputs()  # the months before are checked: a year's raw entries are freed
        return prepare_report(self._run, earlier.without_inputs() if isinstance(earlier, CheckRun) else earlier,
                              self._today, pdfs)
