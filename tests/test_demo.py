"""The demo workspace in the repo: clean, reproducible, and its totals are the generator's truth."""

import importlib.util
import json
import sys
from collections import Counter
from datetime import date
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


def test_demo_check_passes(demo_json):
    exit_code, doc = demo_json
    assert exit_code == 0
    assert [p for p in doc["problems"] if p["severity"] == "error"] == []


def test_demo_totals_are_the_generated_truth(demo_json):
    generator = load_generator()
    logged = generator.entries()
    truth = logged + generator.meeting_entries(logged)  # the Umbrella meetings nobody logged are billed
    seconds = Counter()
    for entry in truth:
        seconds[entry.client] += entry.seconds
    run = check(ROOT, parse_period("2026-11"), TODAY)
    assert len(run.entries) == len(truth)
    assert run.entries.groupby("client_key")["duration_s"].sum().to_dict() == dict(seconds)
    _, doc = demo_json
    assert doc["hours"] == {client: round(s / 3600, 2) for client, s in sorted(seconds.items())}
    assert doc["repeated"] == sum(1 for e in truth if e.team == "dev" and e.day.isocalendar()[1] == 47)


def test_demo_calendars_bill_umbrella_meetings_and_list_the_untracked_ones():
    generator = load_generator()
    logged = generator.entries()
    run = check(ROOT, parse_period("2026-11"), today=date(2026, 12, 3))
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


def test_committed_demo_is_what_the_generator_writes(tmp_path: Path):
    load_generator().write_demo(tmp_path)
    assert (tmp_path / "rates.yaml").read_text() == (ROOT / "rates.yaml").read_text()
    for csv in [*(tmp_path / "input").rglob("*.csv"), *(tmp_path / "input").rglob("*.ics")]:
        assert csv.read_bytes() == (ROOT / csv.relative_to(tmp_path)).read_bytes(), csv.name
    for xlsx in (tmp_path / "input").rglob("*.xlsx"):
        fresh, committed = load_workbook(xlsx), load_workbook(ROOT / xlsx.relative_to(tmp_path))
        assert fresh.sheetnames == committed.sheetnames
        for name in fresh.sheetnames:
            assert list(fresh[name].values) == list(committed[name].values), (xlsx.name, name)
