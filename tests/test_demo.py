"""The demo workspace in the repo: clean, reproducible, and its totals are the generator's truth."""

import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from auftakt_batch.cli import main
from auftakt_batch.periods import parse_period
from auftakt_batch.pipeline import check

from .conftest import ROOT, TODAY


def load_generator():
    spec = importlib.util.spec_from_file_location("make_demo", ROOT / "scripts" / "make_demo.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_demo", module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def demo_json():
    result = CliRunner().invoke(main, ["check", "--workspace", str(ROOT), "--period", "2026-11", "--json"])
    return result.exit_code, json.loads(result.output)


@pytest.fixture(scope="module")
def demo_run():
    """The demo's November checked once: the tests below only read the run."""
    return check(ROOT, parse_period("2026-11"), TODAY)


def test_demo_check_passes(demo_json):
    exit_code, doc = demo_json
    assert exit_code == 0
    assert [p for p in doc["problems"] if p["severity"] == "error"] == []


def test_demo_bank_statement_is_read_whole_and_adds_no_problem(demo_json):
    _, doc = demo_json
    assert sorted({p["code"] for p in doc["problems"]}) == [
        "missing-days", "outside-period", "repeated-entry", "untracked-meeting"]  # the demo's on purpose, nothing else
    assert [p for p in doc["problems"] if (p["file"] or "").startswith("input/bank")] == []
    assert len(load_generator().TRANSFERS) == 9
    assert [(f["file"], f["bookings"], f["format"]) for f in doc["bank"]] == [
        ("input/bank/camt053-2026-12-16.xml", 9, "camt.053.001.08")]


def test_demo_totals_are_the_generated_truth(demo_json, demo_run):
    generator = load_generator()
    logged = generator.entries()
    truth = logged + generator.meeting_entries(logged)  # the Umbrella meetings nobody logged are billed
    truth += [e for e in generator.ACCOUNT_ENTRIES if (e.day.year, e.day.month) == generator.MONTH]  # not October's
    seconds = Counter()
    for entry in truth:
        seconds[entry.client] += entry.seconds
    run = demo_run
    assert len(run.entries) == len(truth)
    assert run.entries.groupby("client_key")["duration_s"].sum().to_dict() == dict(seconds)
    _, doc = demo_json
    assert doc["hours"] == {client: round(s / 3600, 2) for client, s in sorted(seconds.items())}
    assert doc["repeated"] == sum(1 for e in truth if e.team == "dev" and e.day.isocalendar()[1] == 47)


def test_demo_calendars_bill_umbrella_meetings_and_list_the_untracked_ones(demo_run):
    generator = load_generator()
    logged = generator.entries()
    run = demo_run  # checked on 2026-12-03
    meetings = run.entries[run.entries["source_format"].eq("calendar")]
    billed = generator.meeting_entries(logged)
    assert 0 < len(billed) < sum(m.client == "umbrella" for m in generator.MEETINGS)  # some were logged
    assert sorted(zip(meetings["description"], meetings["date"].dt.date, meetings["duration_s"],
                      meetings["job_key"])) == sorted((e.description, e.day, e.seconds, e.job) for e in billed)
    untracked = generator.untracked_meetings(logged)
    assert untracked
    assert sorted(zip(run.untracked["person"], run.untracked["client_key"], run.untracked["date"].dt.date,
                      run.untracked["duration_s"])) == sorted((m.person, m.client, m.day, m.seconds) for m in untracked)
    assert not run.absences.empty and set(run.absences["person"]) == {"Greta Lindqvist"}
    assert {p.source.key for p in run.problems if p.code == "missing-days"} == {"Ben Okafor", "Lena Hoffmann"}


def test_demo_hours_of_the_model_clients_are_the_account_team_s_november(demo_run):
    run = demo_run
    hours = run.entries.groupby("client_key")["duration_s"].sum() / 3600
    assert hours["xenia"] == 21.5  # 4 + 3.5 + 6 + 5 + 3 (October's 5 + 4 + 2 are outside the period)
    assert hours["yoyodyne"] == 30.5  # 6 + 7.5 + 8 + 5 + 4
    assert hours["zephyr"] == 43.5  # shop 7 + 8 + 3 = 18; ads 6 + 8 + 7.5 + 4 = 25.5
    assert [p.code for p in run.problems if p.source.file == "input/accounts/account-team-2026-10-to-11.csv"] == [
        "outside-period"]  # a note: October's six entries, read for the retainers' earlier periods


def test_demo_expenses_are_the_generated_sheet_with_every_receipt_found(demo_run):
    generator = load_generator()
    run = demo_run
    expenses = run.expenses.sort_values(["date", "source_row"])
    assert [(str(a), b, r or "") for a, b, r in zip(expenses["amount"], expenses["billable"], expenses["receipt"])] == [
        (x.amount, x.billable, x.receipt) for x in sorted(generator.EXPENSES, key=lambda x: x.day)]
    assert sorted(expenses["client_key"]) == ["xenia"] * 3 + ["zephyr"] * 3
    assert [p for p in run.problems if p.source.file.startswith("input/expenses")] == []  # no receipt is missing


def test_committed_demo_is_what_the_generator_writes(tmp_path: Path):
    load_generator().write_demo(tmp_path)
    assert (tmp_path / "rates.yaml").read_text() == (ROOT / "rates.yaml").read_text()
    written = [path for kind in ("csv", "ics", "pdf", "png", "xml") for path in (tmp_path / "input").rglob(f"*.{kind}")]
    assert (tmp_path / "input" / "bank" / "camt053-2026-12-16.xml") in written
    for csv in written:
        assert csv.read_bytes() == (ROOT / csv.relative_to(tmp_path)).read_bytes(), csv.name
    for xlsx in (tmp_path / "input").rglob("*.xlsx"):
        fresh, committed = load_workbook(xlsx), load_workbook(ROOT / xlsx.relative_to(tmp_path))
        assert fresh.sheetnames == committed.sheetnames
        for name in fresh.sheetnames:
            assert list(fresh[name].values) == list(committed[name].values), (xlsx.name, name)
