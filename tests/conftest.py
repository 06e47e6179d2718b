"""Shared fixtures: a small workspace written from text, and the CLI run as a user runs it."""

from __future__ import annotations

import shutil
import sqlite3
import textwrap
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from auftakt_batch import pipeline
from auftakt_batch.cli import main

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT.parent / "shared" / "samples"
TODAY = date(2026, 12, 3)

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


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


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

    def check(self, period: str = "2026-11", today: date = TODAY):
        from auftakt_batch.periods import parse_period

        return pipeline.check(self.root, parse_period(period), today=today)

    def cli(self, *args: str):
        return CliRunner().invoke(main, [*args, "--workspace", str(self.root)], catch_exceptions=False)


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "ws")


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    """Every run in the tests happens on TODAY, whatever the calendar says: the CLI's one seam
    (library calls take `today`)."""
    monkeypatch.setenv("AUFTAKT_TODAY", TODAY.isoformat())


@pytest.fixture(autouse=True)
def no_columns(monkeypatch):
    """Tables are as wide as their content, whatever width the test runner's environment sets
    (pytest-xdist sets COLUMNS=80 for its workers); a test about the width sets COLUMNS itself."""
    monkeypatch.delenv("COLUMNS", raising=False)


def ledger_dump(root: Path) -> list[str]:
    """The ledger's every row, as SQL (read-only): what "unchanged" means for the ledger."""
    conn = sqlite3.connect(f"file:{root / 'output' / 'ledger.sqlite'}?mode=ro", uri=True)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def problem_lines(run) -> list[str]:
    return [str(p) for p in run.problems]
