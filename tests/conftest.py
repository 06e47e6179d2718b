"""Shared fixtures: a small workspace written from text, and the CLI run as a user runs it.

Billing (and `remind`) write their PDFs with a stand-in (`stand_in_pdfs`) unless a test is marked `real_pdf`:
the tests that read a PDF, check Factur-X, the byte-identical rerun or a crash keep WeasyPrint.
Hypothesis runs each property with the example count its test names (`examples(n)`) in the
`ci` profile, the default; `HYPOTHESIS_PROFILE=dev` runs a tenth of them, for a quick local run,
and `HYPOTHESIS_PROFILE=long` ten times as many, to hunt (`make fuzz` runs it).
"""

from __future__ import annotations

import atexit
import gc
import hashlib
import os
import re
import shutil
import sqlite3
import tempfile
import textwrap
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import settings

from auftakt_batch import billing, pipeline, reminding
from auftakt_batch.cli import main
from auftakt_batch.render.pdf import Job, write_documents

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT.parent / "shared" / "samples"
TODAY = date(2026, 12, 3)

settings.register_profile("ci", settings())  # each property's own count: what CI guarantees
settings.register_profile("dev", max_examples=10)  # for a property that names no count
settings.register_profile("long", max_examples=1000)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.load_profile(PROFILE)


def pytest_collection_finish(session) -> None:
    """What a test process made before its first test (modules, the collected tests) is never garbage:
    frozen out of the collector's sweeps, which then run every 50,000 allocations, not 700 — about a
    tenth less CPU for pandas-heavy tests; refcounting still frees all but cycles at once."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def examples(n: int) -> int:
    """How many examples a property runs: `n` in the ci profile, a tenth of it (at least 2) in dev,
    ten times as many in long."""
    return {"dev": max(2, n // 10), "long": n * 10}.get(PROFILE, n)

RATES = """\
agency:
  name: Test Studio GmbH
  country: DE
  timezone: Europe/Berlin
  currency: EUR
  vat_rate: "19"
  vat_id: DE123456789
team:
  - name: Anna Schmidt
    email: anna@studio.example
    aliases: ["A. Schmidt"]
    role: designer
  - name: Ben Okafor
    email: ben@studio.example
    role: developer
clients:
  acme:
    name: ACME GmbH
    aliases: ["ACME", "Acme Corp."]
    rate: "120.00"
    jobs:
      website:
        name: Website relaunch
        aliases: ["Website Relaunch 2026"]
      internal:
        billable: false
  globex:
    name: Globex Corporation
    jobs:
      app: {name: Customer app, rate: "150.00"}
  studio:
    name: Studio (internal)
    billable: false
    jobs:
      admin: {name: Administration}
"""


def copy_demo(root: Path) -> Path:
    """The repository's demo workspace (rates.yaml, input/, templates/), copied to `root`."""
    for name in ("rates.yaml", "input", "templates"):
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy
        copy(ROOT / name, root / name)
    return root


def status_cells(output: str) -> list[list[str]]:
    """`status`'s clients table as cells: each row under the header's rule (columns are two or more spaces apart)."""
    lines = output.splitlines()
    rule = next(i for i, line in enumerate(lines) if line.strip().startswith("───"))
    rows = []
    for line in lines[rule + 1:]:
        if not line.strip():
            break
        rows.append(re.split(r"\s{2,}", line.strip()))
    return rows


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def edited(text: str, old: str, new: str, count: int = -1) -> str:
    """`text` with `old` replaced by `new`; the test fails if `old` is not in it."""
    assert old in text, f"the text to replace is not there: {old!r}"
    return text.replace(old, new, count)


class Workspace:
    """A workspace in a temporary folder; files are written from test text."""

    def __init__(self, root: Path):
        self.root = root
        (root / "input").mkdir(parents=True, exist_ok=True)
        self.rates(RATES)

    def rates(self, text: str) -> Path:
        path = self.root / "rates.yaml"
        path.write_text(dedent(text), encoding="utf-8")
        return path

    def with_templates(self) -> Workspace:
        """The invoice template the repository ships, so the workspace can bill."""
        shutil.copytree(ROOT / "templates", self.root / "templates", dirs_exist_ok=True)
        return self

    def input(self, name: str, text: str | bytes, encoding: str = "utf-8") -> Path:
        path = self.root / "input" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else dedent(text).encode(encoding))
        return path

    def edit_rates(self, old: str, new: str, count: int = -1) -> Path:
        """rates.yaml with `old` replaced by `new` (`count` times, all by default); the test fails
        if `old` is not there, as an edit that changes nothing would test nothing."""
        return self.rates(edited((self.root / "rates.yaml").read_text(encoding="utf-8"), old, new, count))

    def check(self, period: str = "2026-11", today: date = TODAY):
        from auftakt_batch.periods import parse_period

        return pipeline.check(self.root, parse_period(period), today=today)

    def cli(self, *args: str):
        return CliRunner().invoke(main, [*args, "--workspace", str(self.root)], catch_exceptions=False)


_BILLED: dict[tuple, Path] = {}  # what bill_once made, per key: a copy of the workspace it left


def bill_once(ws: Workspace, key: tuple, bill) -> None:
    """`bill()`, which bills `ws` as written, once per test process for each `key` (all its
    outcome depends on besides the day and the renderer, both added here): later calls copy the
    workspace the first left over `ws`, keeping `ws`'s rates.yaml (a key may leave out settings
    billing never reads, as a test mail server's port). Billing is deterministic (the byte-identical
    rerun), so the copy is what billing again would leave; for tests whose set-up bills and is not
    what they test."""
    key = (*key, os.environ.get("AUFTAKT_TODAY"), billing.write_pdfs)
    if key not in _BILLED:
        bill()
        _BILLED[key] = Path(tempfile.mkdtemp(prefix="auftakt-billed-")) / "ws"
        atexit.register(shutil.rmtree, _BILLED[key].parent, ignore_errors=True)
        shutil.copytree(ws.root, _BILLED[key], symlinks=True)
        return
    rates = (ws.root / "rates.yaml").read_bytes()
    shutil.copytree(_BILLED[key], ws.root, symlinks=True, dirs_exist_ok=True)
    (ws.root / "rates.yaml").write_bytes(rates)


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "ws")


@pytest.fixture(autouse=True, scope="session")
def temporary_files(tmp_path_factory):
    """The temporary files of the runs the tests start under pytest's own folder, which pytest
    clears after a few sessions, not the machine's /tmp: multiprocessing's pymp-* folders (its fork
    server's socket) stay behind a run the crash tests kill, as behind any program killed so."""
    patch = pytest.MonkeyPatch()
    patch.setenv("TMPDIR", str(tmp_path_factory.mktemp("tmp")))
    patch.setattr(tempfile, "tempdir", None)  # asked again: this process's own under it too
    yield
    patch.undo()


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    """Every run in the tests happens on TODAY, whatever the calendar says: the CLI's one seam
    (library calls take `today`)."""
    monkeypatch.setenv("AUFTAKT_TODAY", TODAY.isoformat())


def stand_in_pdfs(jobs, done, *, count=None) -> None:
    """A renderer (render.pdf.Renderer) for the tests that read no PDF: each job's documents are
    written where and as `bill` writes them (render.pdf.write_documents: the XRechnung XML, then
    the PDF, each atomically), the PDF a small stand-in made from the job — the same job, the
    same bytes; another job, other bytes."""
    for job in jobs:
        done(job, write_documents(job, stand_in_pdf))


def stand_in_pdf(job: Job) -> bytes:
    made_of = hashlib.sha256()
    for part in (job.html.encode(), job.einvoice or b"", job.stamped_at.isoformat().encode()):
        made_of.update(hashlib.sha256(part).digest())
    return b"%PDF-1.7\n% a stand-in for WeasyPrint's PDF (tests/conftest.py) of " + made_of.hexdigest().encode() + \
        b"\n%%EOF\n"


@pytest.fixture(autouse=True)
def pdf_renderer(request, monkeypatch):
    """Billing's PDFs come from `stand_in_pdfs`, unless the test is marked real_pdf. The seam is
    billing's `write_pdfs`: the renderer `bill` and `void` use when given none (the CLI's too)."""
    if request.node.get_closest_marker("real_pdf") is None:
        monkeypatch.setattr(billing, "write_pdfs", stand_in_pdfs)
        monkeypatch.setattr(reminding, "render_pdf", lambda html, templates, stamped_at: stand_in_pdf(
            Job(html=html, templates=templates, target=templates, stamped_at=stamped_at)))


@pytest.fixture(autouse=True)
def no_columns(monkeypatch):
    """Tables are as wide as their content, whatever width the test runner's environment sets
    (pytest-xdist sets COLUMNS=80 for its workers); a test about the width sets COLUMNS itself."""
    monkeypatch.delenv("COLUMNS", raising=False)


def ledger_dump(root: Path) -> list[str]:
    """The ledger's every row, as SQL (read-only): what "unchanged" means for the ledger; but its token
    (the table `written`: random bytes every write replaces, ledger/kept.py), which differs from run to run."""
    conn = sqlite3.connect(f"file:{root / 'output' / 'ledger.sqlite'}?mode=ro", uri=True)
    try:
        return [line for line in conn.iterdump() if not line.startswith('INSERT INTO "written"')]
    finally:
        conn.close()


def problem_lines(run) -> list[str]:
    return [str(p) for p in run.problems]
