"""HTML → PDF with WeasyPrint, fetching nothing but the files of templates/.

The renderer may read the stylesheet and images next to the template, and nothing else: no
network, no other file (an `<img src=file:///etc/passwd>` smuggled in through a description
is escaped text anyway, and would be refused here if it were not). WeasyPrint is imported
here only, so commands that make no PDF start fast.

The workers die with the run. On Linux a SIGKILL of `bill` alone (the OOM killer's) would leave
its fork server, PDF workers and resource tracker running for good, about 200 MB a set: so the
fork server, which imports this module as its preload, and each worker it forks (a fork clears
the setting) ask the kernel for SIGKILL when their parent dies (prctl PR_SET_PDEATHSIG); the
resource tracker then reads EOF on its pipe, which they held, and exits by itself.
"""

from __future__ import annotations

import hashlib
import heapq
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from multiprocessing.context import BaseContext
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote, urlparse

from ..files import write_bytes_atomically
from ..processes import cores, die_with_parent

if TYPE_CHECKING:
    from weasyprint.urls import URLFetcher


class FetchRefused(ValueError):
    pass


def fetcher_within(folder: Path) -> URLFetcher:
    """A URL fetcher that serves file:// URLs of regular files inside `folder` (symlinks resolved:
    one pointing out of it is refused) and refuses everything else."""
    from weasyprint.urls import URLFetcher

    root = folder.resolve()

    class Within(URLFetcher):
        def fetch(self, url: str, headers: dict[str, str] | None = None) -> Any:  # weasyprint's URLFetcherResponse
            parsed = urlparse(url)
            path = Path(unquote(parsed.path)).resolve() if parsed.scheme == "file" else None
            if path is None or not path.is_relative_to(root) or not path.is_file():  # not a pipe: it may never end
                raise FetchRefused(f"refused to fetch {url!r}: only files in {root} may be used")
            return super().fetch(url, headers)

    return Within(allowed_protocols={"file"})


@dataclass(frozen=True)
class Job:
    html: str
    templates: Path
    target: Path
    stamped_at: datetime  # the time in the PDF's metadata
    einvoice: bytes | None = None  # CII XML: the PDF becomes a Factur-X PDF/A-3b with it embedded
    xrechnung: bytes | None = None  # written beside the PDF as NUMBER-CLIENT.xrechnung.xml
    attachments: tuple[tuple[str, bytes], ...] = ()  # (name, bytes): expense receipts embedded in the PDF


class Renderer(Protocol):
    """What billing hands its jobs to: each job's documents written in place, atomically, in the
    order `write_documents` writes them, and `done(job, sha256)` called as each PDF is in place.
    `write_pdfs` (WeasyPrint) is the one `bill` and `void` use; tests pass a stand-in for runs
    whose PDFs they do not read (tests/conftest.py)."""

    def __call__(self, jobs: Iterable[Job], done: Callable[[Job, str], None], *, count: int | None = None) -> None: ...


def write_pdfs(jobs: Iterable[Job], done: Callable[[Job, str], None], workers: int | None = None,
               count: int | None = None) -> None:
    """Render every job, across all cores when there are several; `done(job, sha256)` runs in
    this process once each PDF is in place (as the run finds them done: while it makes jobs, between
    one and the next). A failure is raised after
    the PDFs already under way are finished. `jobs` may be a generator of `count` jobs: each
    is made while the workers render the ones before (`_longest_first`)."""
    if count is None:
        jobs = list(jobs)
        count = len(jobs)
    workers = min(count, workers or cores())
    if workers <= 1:
        for job in jobs:
            done(job, _write(job))
        return
    with ProcessPoolExecutor(workers, mp_context=_context(), initializer=_worker_started) as pool:
        _longest_first(pool, jobs, done, workers)


QUEUED = 2  # the jobs handed to the pool per worker at a time: the one it renders, and the next


def _longest_first(pool: ProcessPoolExecutor, jobs: Iterable[Job], done: Callable[[Job, str], None],
                   workers: int) -> None:
    """Each job handed to a worker as one frees, the longest of those made and waiting first (by
    its HTML: an invoice's pages of lines), while the next are made. In the order made, a long one
    made last — a client billed entry by entry, late in the series — would render alone at the end,
    one core idle for as long as it takes."""
    waiting: list[tuple[int, int, Job]] = []  # (minus its length, its place, it): a heap, the longest first
    running: dict[Future[str], Job] = {}

    def hand_out() -> None:
        while waiting and len(running) < workers * QUEUED:
            job = heapq.heappop(waiting)[2]
            running[pool.submit(_write, job)] = job

    def finished(timeout: float | None) -> None:
        ready, _ = wait(running, timeout=timeout, return_when=FIRST_COMPLETED)
        for future in ready:
            done(running.pop(future), future.result())

    for place, job in enumerate(jobs):
        heapq.heappush(waiting, (-len(job.html), place, job))
        finished(0)
        hand_out()
    while waiting or running:
        hand_out()
        finished(None)


def start_early() -> None:
    """Start the fork server the workers will fork from, so that it imports WeasyPrint while the
    billing run checks and drafts, on the core idle then (where there is no fork server, nothing)."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        from multiprocessing import forkserver

        _context()
        forkserver.ensure_running()


def _context() -> BaseContext:
    """Workers from a fork server where there is one: they inherit no open file — above all not
    the billing lock, which a worker outliving a crashed run would otherwise keep held — and
    fork from a process that has imported WeasyPrint once."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    os.environ[PARENT] = str(os.getpid())  # for the fork server, when it starts (see the end of this module)
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__, "weasyprint"])
    return context


PARENT = "AUFTAKT_PDF_PARENT"  # the pid of the process that starts the fork server
_forkserver_pid: int | None = None  # in the fork server and the workers it forks: the fork server's pid


def _worker_started() -> None:
    """Pool initializer: a worker dies with the fork server it was forked from."""
    if _forkserver_pid is not None:
        die_with_parent(_forkserver_pid)


def _imported_by_forkserver() -> bool:
    """Whether this import is the fork server's preload (multiprocessing.forkserver.main imports
    the preload modules) — and not the run itself, which imports this module too."""
    forkserver = sys.modules.get("multiprocessing.forkserver")
    frame: FrameType | None = sys._getframe(1)
    while forkserver is not None and frame is not None:
        if frame.f_code is forkserver.main.__code__:
            return True
        frame = frame.f_back
    return False


def _write(job: Job) -> str:
    return write_documents(job, lambda job: pdf_bytes(job.html, job.templates, job.stamped_at, job.einvoice,
                                                      job.attachments))


def write_documents(job: Job, render: Callable[[Job], bytes]) -> str:
    """The job's XRechnung XML, if it has one, then its PDF as `render` makes it, each written
    atomically (files.py): an invoice marked issued has both. Returns the PDF's sha256."""
    if job.xrechnung is not None:
        write_bytes_atomically(job.target.with_suffix(".xrechnung.xml"), job.xrechnung, "xrechnung")
    data = render(job)
    write_bytes_atomically(job.target, data, "pdf")
    return hashlib.sha256(data).hexdigest()


def write_pdf(html: str, templates: Path, target: Path, stamped_at: datetime, einvoice: bytes | None = None) -> str:
    """Render `html` to `target` atomically (files.py); return the PDF's sha256."""
    data = pdf_bytes(html, templates, stamped_at, einvoice)
    write_bytes_atomically(target, data, "pdf")
    return hashlib.sha256(data).hexdigest()


def pdf_bytes(html: str, templates: Path, stamped_at: datetime, einvoice: bytes | None = None,
              attachments: tuple[tuple[str, bytes], ...] = ()) -> bytes:
    """`html` as a PDF; with `einvoice` (CII XML), a PDF/A-3b with the XML embedded as factur-x.xml.
    `attachments` (receipts) are embedded too, as supplements (PDF/A-3 allows any file embedded so).

    The same document always gives the same bytes: the HTML pins the PDF's dates, the
    attachment's dates are the issue time, and the embedded font subsets take their timestamp
    from SOURCE_DATE_EPOCH (fontTools reads it), set to the issue time while it renders."""
    from io import BytesIO

    from weasyprint import HTML, Attachment

    from . import facturx

    options: dict = {}
    utc = stamped_at.astimezone(timezone.utc)  # WeasyPrint writes an attachment's clock time with a Z: in UTC it
    files = [Attachment(file_obj=BytesIO(data), name=name, description="Receipt", created=utc,  # is the PDF's instant
                        modified=utc, relationship="Supplement") for name, data in attachments]
    if einvoice is not None:
        options = {"pdf_variant": "pdf/a-3b", "finisher": facturx.finisher, "attachments": [
            Attachment(file_obj=BytesIO(einvoice), name=facturx.FILENAME, description="Factur-X invoice (EN 16931)",
                       created=utc, modified=utc, relationship="Alternative"), *files]}
    elif files:
        options = {"attachments": files}
    with _environment("SOURCE_DATE_EPOCH", str(int(stamped_at.timestamp()))):
        return HTML(string=html, base_url=str(templates.resolve()) + os.sep,
                    url_fetcher=fetcher_within(templates)).write_pdf(font_config=_fonts(templates), **options)


@lru_cache(maxsize=4)
def _fonts(templates: Path) -> Any:
    """One WeasyPrint font configuration per templates folder and process: the fonts are looked up
    once per worker, not once per document (the same bytes either way; a folder of its own, so one
    workspace's @font-face never reaches another's documents)."""
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


@contextmanager
def _environment(name: str, value: str) -> Iterator[None]:
    """Environment variable `name` set to `value` for the block (the process's, as libraries read it), then
    as it was."""
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


# Last, once the functions above exist: in the fork server (only there), die with the run.
if _imported_by_forkserver() and os.environ.get(PARENT, "").isdigit():
    _forkserver_pid = os.getpid()
    die_with_parent(int(os.environ[PARENT]))
