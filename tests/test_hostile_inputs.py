"""Malformed exports are refused, loudly and precisely, and change nothing.

Each case of the generated corpus (tests/corpus/make_corpus.py) is dropped into a workspace
whose ledger already holds October's invoices; then `check --period 2026-11` runs as a user
runs it. For every case: no crash, the exit code is not 0, an error names the file (and its
row and column when the fault sits in a cell: `file:3:Start time`, never `file:30`) and says
what to do after the dash, the ledger is unchanged to the last row, and no invoice or
e-invoice file appears. `bill --period 2026-11` runs the same for one case of each kind of
fault (a missing column, an hour that is no number, a zip bomb, ...), spread over the formats:
billing reads the exports as `check` does, and must refuse them in the same words.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from auftakt_batch.billing import bill
from auftakt_batch.cli import main
from auftakt_batch.periods import parse_period

from .conftest import Workspace, ledger_dump, stand_in_pdfs
from .corpus.make_corpus import EXPORTS, Case, cases

CASES = cases()
MEETINGS = "    calendar: {domains: [acme.example], keywords: [ACME], bill_meetings: true}\n"


def kind(case: Case) -> str:
    """The kind of fault: "toggl/missing-column/Start date" is a missing-column."""
    return case.name.split("/")[1]


def one_of_each_kind(found: list[Case]) -> list[Case]:
    """A case of each kind of fault, each from the format picked least often so far."""
    picked: list[Case] = []
    for name in dict.fromkeys(kind(c) for c in found):
        of_kind = [c for c in found if kind(c) == name]
        times = {c.name: sum(p.name.split("/")[0] == c.name.split("/")[0] for p in picked) for c in of_kind}
        picked.append(min(of_kind, key=lambda c: times[c.name]))
    return picked


BILLED = one_of_each_kind(CASES)


def test_the_corpus_is_large_and_covers_every_format():
    kinds = {case.name.split("/")[0] for case in CASES}
    assert len(CASES) >= 150 and kinds == {x.name for x in EXPORTS} | {"xlsx", "ics"}


def test_billing_meets_every_kind_of_fault_and_every_format():
    assert {kind(c) for c in BILLED} == {kind(c) for c in CASES} and len(BILLED) == len({kind(c) for c in CASES})
    assert {c.name.split("/")[0] for c in BILLED} == {c.name.split("/")[0] for c in CASES}


@pytest.fixture(scope="module")
def billed_october(tmp_path_factory) -> Path:
    """A workspace whose ledger holds October's invoices, ACME billing its meetings; no input."""
    ws = Workspace(tmp_path_factory.mktemp("corpus") / "ws").with_templates()
    ws.edit_rates('    aliases: ["ACME", "Acme Corp."]\n', '    aliases: ["ACME", "Acme Corp."]\n' + MEETINGS)
    october = ws.input("october.csv", """\
        date,person,client,job,task,description,hours,billable
        2026-10-06,Anna Schmidt,ACME,website,,Layout,2:00,yes
        2026-10-07,Ben Okafor,globex,app,,API,1:00,yes
        """)
    issued = bill(ws.root, parse_period("2026-10"), today=date(2026, 11, 2), renderer=stand_in_pdfs).issued
    assert [i.number for i in issued] == ["2026-0001", "2026-0002"]
    october.unlink()
    return ws.root


def invoice_files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in (root / "output").rglob("*") if p.suffix in (".pdf", ".xml")}


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_malformed_export_is_refused_and_changes_nothing(case: Case, billed_october: Path, tmp_path: Path):
    refused_by("check", case, billed_october, tmp_path)


@pytest.mark.parametrize("case", BILLED, ids=[case.name for case in BILLED])
def test_billing_refuses_a_malformed_export_and_changes_nothing(case: Case, billed_october: Path, tmp_path: Path):
    refused_by("bill", case, billed_october, tmp_path)


def refused_by(command: str, case: Case, billed_october: Path, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    shutil.copytree(billed_october, root)
    ledger, invoices = ledger_dump(root), invoice_files(root)
    (root / case.path).parent.mkdir(parents=True, exist_ok=True)
    (root / case.path).write_bytes(case.data)
    if case.calendar:  # a good timesheet beside it: the unreadable calendar may hide ACME's billable meetings
        (root / EXPORTS[0].path).write_bytes(EXPORTS[0].csv())
    result = CliRunner().invoke(main, [command, "--workspace", str(root), "--period", case.period],
                                catch_exceptions=False)
    errors = [line.strip().split(": error: ", 1) for line in result.output.splitlines() if ": error: " in line]
    assert result.exit_code != 0, result.output
    assert any(place == case.where or place.startswith(case.where + ":") for place, _ in errors), result.output
    assert all("—" in message for _, message in errors), result.output  # what is wrong — what to do about it
    assert ledger_dump(root) == ledger
    assert invoice_files(root) == invoices
