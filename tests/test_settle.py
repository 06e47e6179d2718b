"""`payments` end to end on a billed workspace: bookings matched, recorded once, standings after."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal as D

import pandas as pd

from auftakt_batch.billing import bill
from auftakt_batch.config import load_config
from auftakt_batch.payments.settle import BOOKING_COLUMNS, settle

from .conftest import TODAY
from .test_billing import HEADER, NOVEMBER, WEEK


def bookings(*rows) -> pd.DataFrame:
    return pd.DataFrame([dict(zip(BOOKING_COLUMNS, (f"b{i}", date(2026, 12, 10), D(amount), "EUR", name, "", text,
                                                    "input/bank/december.xml", i)))
                         for i, (amount, text, name) in enumerate(rows, 1)], columns=list(BOOKING_COLUMNS))


def test_payments_are_matched_recorded_once_and_the_invoices_stand_paid_part_paid_or_open(ws, monkeypatch):
    ws.with_templates().input("week.csv", HEADER + WEEK)
    issued = {i.client_key: i for i in bill(ws.root, NOVEMBER, today=TODAY).issued}
    # acme: 1.50 h × 120.00 = 180.00 + 19 % = 214.20; globex: 2 h × 150.00 = 300.00 + 19 % = 357.00
    assert (issued["acme"].number, issued["acme"].gross, issued["globex"].number, issued["globex"].gross) == (
        "2026-0001", D("214.20"), "2026-0002", D("357.00"))
    config, _ = load_config(ws.root / "rates.yaml")
    path = ws.root / "output" / "ledger.sqlite"
    frame = bookings(("214.20", "RE 2026 0001", "ACME GmbH"), ("100.00", "Anzahlung 2026-0002", "Globex"),
                     ("57.00", "Rechnung 2026-0020", "Globex"))  # a typo: listed, not guessed
    settled = settle(path, frame, config, date(2026, 12, 20))
    assert settled.recorded == 2 and [u.booking.booking_id for u in settled.unmatched] == ["b3"]
    assert settled.unmatched[0].suggestions[0] == "2026-0002"
    states = {s.number: (s.state, s.open, s.days_overdue) for s in settled.standings}
    assert states == {"2026-0001": ("paid", D("0.00"), 0), "2026-0002": ("overdue", D("257.00"), 3)}  # due 17 Dec
    again = settle(path, frame, config, date(2026, 12, 20))  # the same statement read again
    assert again.recorded == 0 and again.allocations == () and [s.open for s in again.standings] == [D("0.00"),
                                                                                                   D("257.00")]
    monkeypatch.setenv("AUFTAKT_TODAY", "2026-12-20")
    listed = ws.cli("invoices").output.splitlines()
    assert listed[1].endswith("issued  —     paid") and listed[2].endswith("issued  —     overdue 3 d, 257.00 open")
    monkeypatch.setenv("AUFTAKT_TODAY", "2026-12-15")
    assert ws.cli("invoices").output.splitlines()[2].endswith("—     100.00 of 357.00 paid")  # not due yet
    from auftakt_batch.reports import report

    from .test_reports import book, records

    wb = book(report(ws.root, NOVEMBER, today=date(2026, 12, 20)).path)
    rows = [(r["number"].value, r["open"].value, r["state"].value, r["days overdue"].value)
            for r in records(wb["Receivables"])]
    assert rows == [("2026-0002", 257, "overdue", 3)]  # 2026-0001 is paid: not listed
    (eur,) = records(wb["Receivables"], 6)  # the age table, under its heading
    # 257.00 open, 1–30 days past due; DSO: 257.00 ÷ (214.20 + 357.00) invoiced in 90 days × 90 = 40.5
    assert (eur["1–30 days"].value, eur["open"].value, eur["DSO (days)"].value) == (257, 257, 40.5)


def test_the_payments_command_reads_a_camt_statement_records_the_payments_and_lists_the_rest(ws, monkeypatch):
    """By hand: acme's 214.20 pays 2026-0001 by its number; Globex pays 100.00 of 2026-0002's 357.00
    (by its number); 57.00 names 2026-0020, no invoice: listed, 2026-0002 suggested. A second
    run records nothing."""
    from .conftest import dedent
    from .test_bank import camt, entry

    ws.with_templates().input("week.csv", HEADER + WEEK)
    bill(ws.root, NOVEMBER, today=TODAY)
    assert ws.cli("payments").output.splitlines()[:2] == [
        "No bank statements in input/bank/: save your bank's camt.053 (XML), MT940 or CSV export there.",
        "Read 0 bookings from 0 statements; recorded 0 payments."]
    ws.input("bank/2026-12.xml", dedent(camt("08", "\n".join([
        entry("08", amount="214.20", name="ACME GmbH", remittance="RE 2026 0001", ref="r1"),
        entry("08", amount="100.00", name="Globex Corporation", remittance="Anzahlung 2026-0002", ref="r2"),
        entry("08", amount="57.00", name="Globex Corporation", remittance="Rechnung 2026-0020", ref="r3")]))))
    monkeypatch.setenv("AUFTAKT_TODAY", "2026-12-20")
    result = ws.cli("payments")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Read 3 bookings from 1 statement; recorded 2 payments."
    assert "214.20  acme         2026-0001  paid  (by number)" in lines[1]
    assert "100.00  globex       2026-0002  overdue 3 d, 257.00 open  (by number)" in lines[2]
    assert lines[3] == "Not matched — yours to decide (1):"
    assert lines[4].endswith('57.00 EUR from Globex Corporation "Rechnung 2026-0020": names 2026-0020, which is '
                             'no invoice of the ledger — did you mean 2026-0002? → auftakt-batch payments --match '
                             'input/bank/2026-12.xml:3 2026-0002')
    assert lines[-1] == "Open: 1 invoice (1 overdue)."
    again = ws.cli("payments").output.splitlines()
    assert again[0] == "Read 3 bookings from 1 statement; recorded 0 payments." and len(again) == 4  # b3 again
    shown = ws.cli("status", "--period", "2026-11").output
    receivables = shown[shown.index("Receivables"):].splitlines()
    assert [line for line in receivables if "globex" in line] == [
        "│ globex │ 1 · 257.00 EUR │ 1 · 257.00 EUR │                 3 │"]  # acme paid: not listed
    assert json.loads(ws.cli("status", "--period", "2026-11", "--json").output)["receivables"] == [
        {"client": "globex", "currency": "EUR", "open_invoices": 1, "open": "257.00", "overdue_invoices": 1,
         "overdue": "257.00", "most_days_overdue": 3}]
