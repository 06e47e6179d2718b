"""The command line's edges: the one day every command runs on, the stage timings, the listing."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from auftakt_batch.cli import EXIT_USAGE


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
