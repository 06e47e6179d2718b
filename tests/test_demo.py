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

from .conftest import ROOT


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
    truth = load_generator().entries()
    seconds = Counter()
    for entry in truth:
        seconds[entry.client] += entry.seconds
    run = check(ROOT, parse_period("2026-11"))
    assert len(run.entries) == len(truth)
    assert run.entries.groupby("client_key")["duration_s"].sum().to_dict() == dict(seconds)
    _, doc = demo_json
    assert doc["hours"] == {client: round(s / 3600, 2) for client, s in sorted(seconds.items())}
    assert doc["repeated"] == sum(1 for e in truth if e.team == "dev" and e.day.isocalendar()[1] == 47)


def test_committed_demo_is_what_the_generator_writes(tmp_path: Path):
    load_generator().write_demo(tmp_path)
    assert (tmp_path / "rates.yaml").read_text() == (ROOT / "rates.yaml").read_text()
    for csv in (tmp_path / "input").rglob("*.csv"):
        assert csv.read_bytes() == (ROOT / csv.relative_to(tmp_path)).read_bytes(), csv.name
    for xlsx in (tmp_path / "input").rglob("*.xlsx"):
        fresh, committed = load_workbook(xlsx), load_workbook(ROOT / xlsx.relative_to(tmp_path))
        assert fresh.sheetnames == committed.sheetnames
        for name in fresh.sheetnames:
            assert list(fresh[name].values) == list(committed[name].values), (xlsx.name, name)
