"""The command line's edges: the one day every command runs on, the stage timings, the listing."""

from __future__ import annotations

import csv
import json
import os
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from auftakt_batch.cli import EXIT_USAGE

from .conftest import TODAY


def test_auftakt_today_is_the_day_every_command_runs_on(ws, monkeypatch):
    monkeypatch.setenv("AUFTAKT_TODAY", "2026-12-10")
    shown = json.loads(ws.cli("status", "--period", "2026-11", "--json").output)
    assert shown["today"] == "2026-12-10"


def test_without_auftakt_today_a_command_runs_on_the_agencys_local_date(ws, monkeypatch):
    monkeypatch.delenv("AUFTAKT_TODAY")
    before = datetime.now(ZoneInfo("Europe/Berlin")).date()  # conftest's agency
    shown = json.loads(ws.cli("status", "--period", "2026-11", "--json").output)
    after = datetime.now(ZoneInfo("Europe/Berlin")).date()
    assert shown["today"] in {before.isoformat(), after.isoformat()}


def test_an_auftakt_today_that_is_no_date_is_a_usage_error(ws, monkeypatch):
    monkeypatch.setenv("AUFTAKT_TODAY", "3.12.2026")
    result = ws.cli("check", "--period", "2026-11")
    assert result.exit_code == EXIT_USAGE
    assert "AUFTAKT_TODAY='3.12.2026' is no date: give YYYY-MM-DD, or unset it" in result.output


def test_reading_a_csv_leaves_the_csv_modules_field_limit_as_it_was(ws):
    before = csv.field_size_limit()
    ws.input("long.csv", "date,person,client,job,task,description,hours,billable\n"
                         f"2026-11-02,Anna Schmidt,acme,web,,{'x' * (before + 10)},1,\n")
    assert "too-long" in {p.code for p in ws.check().problems}  # read whole, and refused at its cell
    assert csv.field_size_limit() == before


def test_rendering_a_pdf_leaves_source_date_epoch_as_it_was(tmp_path, monkeypatch):
    from auftakt_batch.render.pdf import write_pdf

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    stamped = datetime(2026, 12, 3, 9, 30, tzinfo=timezone.utc)
    first = write_pdf("<p>Invoice</p>", tmp_path, tmp_path / "a.pdf", stamped)
    assert "SOURCE_DATE_EPOCH" not in os.environ
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1")
    assert write_pdf("<p>Invoice</p>", tmp_path, tmp_path / "b.pdf", stamped) == first  # the issue time counts
    assert os.environ["SOURCE_DATE_EPOCH"] == "1"


WEEK = """\
date,person,client,job,task,description,hours,billable
2026-11-03,Anna Schmidt,ACME,website,,Layout,1.5,
"""


def test_bill_writes_the_profitability_workbook_unless_it_stops_or_drafts(ws):
    ws.with_templates().input("week.csv", WEEK)
    workbook = ws.root / "output" / "2026-11" / "profitability-2026-11.xlsx"
    draft = ws.cli("bill", "--period", "2026-11", "--draft")
    assert draft.exit_code == 0 and "Drafted 1 invoice" in draft.output and "Report" not in draft.output
    assert not workbook.exists()  # a draft is a preview: the ledger and the figures are as they were
    ws.input("broken.csv", WEEK.replace("1.5", "-1"))
    stopped = ws.cli("bill", "--period", "2026-11", "--strict")
    assert stopped.exit_code == 1 and "Nothing issued: --strict" in stopped.output and not workbook.exists()
    (ws.root / "input" / "broken.csv").unlink()
    issued = ws.cli("bill", "--period", "2026-11")
    assert issued.exit_code == 0 and "Report    output/2026-11/profitability-2026-11.xlsx" in issued.output
    workbook.unlink()
    again = ws.cli("bill", "--period", "2026-11")  # nothing new, but nothing stopped it: the figures as they are
    assert "Nothing new to bill" in again.output and "Report    output/2026-11/" in again.output and workbook.exists()


def test_the_listing_reads_the_ledger_without_writing_it(ws):
    from auftakt_batch.periods import parse_period
    from auftakt_batch.reports.listing import listing

    ws.with_templates().input("week.csv", WEEK)
    assert listing(ws.root, TODAY) == listing(ws.root, TODAY, parse_period("2026-11"))  # no ledger yet: none made either
    assert not listing(ws.root, TODAY).ledger and not (ws.root / "output" / "ledger.sqlite").exists()
    assert ws.cli("bill", "--period", "2026-11").exit_code == 0
    ledger = ws.root / "output" / "ledger.sqlite"
    ledger.chmod(0o444)  # a reader needs no write access
    found = listing(ws.root, TODAY, parse_period("2026-11"))
    assert [(r.number, r.client_key) for r in found.records] == [("2026-0001", "acme")] and found.ledger
    assert listing(ws.root, TODAY, parse_period("2026-10")).records == ()


def test_an_argument_that_names_nothing_usable_is_a_usage_error_of_that_argument(ws):
    ws.with_templates().input("week.csv", WEEK)
    client = ws.cli("bill", "--period", "2026-11", "--client", "initech")
    assert client.exit_code == EXIT_USAGE and "Invalid value for --client: no client 'initech'" in client.output
    number = ws.cli("void", "2026-0099", "--reason", "wrong rate")
    assert number.exit_code == EXIT_USAGE
    assert "Invalid value for NUMBER: there is no invoice 2026-0099 in the ledger" in number.output


def test_the_readmes_table_of_formats_lists_exactly_the_registrys_formats():
    from auftakt_batch.ingest.formats import FORMATS

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Timesheets"):]
    table = section[section.index("| format | how to export |"):].split("\n\n", 1)[0].splitlines()[2:]
    assert sorted(row.split("|")[1].strip() for row in table) == sorted(f.title for f in FORMATS)


def test_the_formats_named_to_the_user_are_the_registrys():
    from auftakt_batch.ingest.formats import FORMATS, KNOWN

    assert KNOWN == "Toggl Track, Clockify, Harvest, Kimai or solidtime export, or the native timesheet"
    assert all(f.tool in KNOWN for f in FORMATS if f.container == "table")


STAGES = ["config", "ingest", "period", "validate", "resolve", "calendars", "identity", "checks", "expenses",
          "bank", "reconcile", "review"]


def test_check_timings_gives_each_stage_its_seconds(ws):
    ws.input("week.csv", WEEK)
    plain = ws.cli("check", "--period", "2026-11")
    timed = ws.cli("check", "--period", "2026-11", "--timings")
    assert timed.exit_code == plain.exit_code == 0 and timed.output.startswith(plain.output)
    lines = timed.output[len(plain.output):].splitlines()
    assert [line.split()[-3] for line in lines] == [*STAGES, "total"]
    assert lines[0].startswith("Timings   config ") and all(line.endswith(" s") for line in lines)
    doc = json.loads(ws.cli("check", "--period", "2026-11", "--json", "--timings").output)
    assert list(doc["timings"]) == [*STAGES, "total"] and all(s >= 0 for s in doc["timings"].values())
    assert "timings" not in json.loads(ws.cli("check", "--period", "2026-11", "--json").output)


def test_a_check_that_stops_at_rates_yaml_times_only_that(ws):
    from auftakt_batch.periods import parse_period
    from auftakt_batch.pipeline import check
    from auftakt_batch.timings import Timings

    ws.rates("agency: [\n")
    timings = Timings()
    assert check(ws.root, parse_period("2026-11"), date(2026, 12, 3), timings).config is None
    assert list(timings.stages) == ["config"]
