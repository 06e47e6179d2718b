"""The ledger enforces the guarantees itself: numbers once and gapless, entries billed at most once."""

import sqlite3
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auftakt_batch import ledger
from auftakt_batch.invoices import Billed, Draft, Line
from auftakt_batch.periods import parse_period

PATTERN = "{year}-{seq:04d}"
AT = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def billed(entry_id):
    return Billed(entry_id, f"t:{entry_id}", date(2026, 11, 2), "Anna Schmidt", f"work on {entry_id}", 3000)


def draft(entry_ids, client="acme"):
    line = Line("website", "Website relaunch", "", Decimal("0.8333"), Decimal("120.00"), Decimal("100.00"),
                date(2026, 11, 2), date(2026, 11, 20), tuple(map(billed, entry_ids)))
    return Draft(client, "EUR", parse_period("2026-11"), (line,), "standard", Decimal("19"))


def bill(conn, entry_ids, day=date(2026, 12, 1), client="acme"):
    return ledger.record_pending(conn, PATTERN, draft(entry_ids, client), kind="invoice", issue_date=day,
                                 due_date=date(2026, 12, 15), issued_at=AT)


@pytest.fixture
def conn(tmp_path):
    return ledger.connect(tmp_path / "output" / "ledger.sqlite")


def test_numbers_are_gapless_and_restart_each_year(conn):
    numbers = [bill(conn, [f"e{i}"], day) for i, day in enumerate([date(2026, 12, 1), date(2026, 12, 2),
                                                                     date(2027, 1, 2), date(2027, 1, 3)])]
    assert numbers == ["2026-0001", "2026-0002", "2027-0001", "2027-0002"]


def test_an_entry_is_never_on_two_live_invoices_and_a_refusal_consumes_no_number(conn):
    bill(conn, ["a", "b"])
    with pytest.raises(ledger.AlreadyBilled):
        bill(conn, ["c", "b"])
    assert [i.number for i in ledger.invoices(conn)] == ["2026-0001"]
    assert ledger.billed_entries(conn) == {"a": "2026-0001", "b": "2026-0001"}
    assert bill(conn, ["c"]) == "2026-0002"


def test_money_round_trips_exactly(conn):
    bill(conn, ["a"])
    (record,) = ledger.invoices(conn)
    assert (record.net, record.vat, record.gross, record.status) == (Decimal("100.00"), Decimal("19.00"),
                                                                    Decimal("119.00"), "pending")
    ledger.mark_issued(conn, "2026-0001", "output/2026-11/invoices/2026-0001-acme.pdf", "ab" * 32)
    assert ledger.invoices(conn, "issued")[0].pdf_sha256 == "ab" * 32


def test_a_credit_note_voids_its_invoice_and_frees_the_entries(conn):
    bill(conn, ["a"])
    with pytest.raises(ledger.NotVoidable):  # still pending: not issued yet
        ledger.record_pending(conn, PATTERN, draft([]), kind="credit-note", issue_date=date(2026, 12, 2),
                              due_date=date(2026, 12, 2), issued_at=AT, refers_to="2026-0001")
    ledger.mark_issued(conn, "2026-0001", "x.pdf", "00")
    note = ledger.record_pending(conn, PATTERN, draft([]), kind="credit-note", issue_date=date(2026, 12, 2),
                                 due_date=date(2026, 12, 2), issued_at=AT, refers_to="2026-0001", reason="wrong rate")
    assert note == "2026-0002"
    assert ledger.billed_entries(conn) == {}
    assert [(r.number, r.kind, r.status, r.refers_to) for r in ledger.invoices(conn)] == [
        ("2026-0001", "invoice", "void", None), ("2026-0002", "credit-note", "pending", "2026-0001")]
    assert bill(conn, ["a"]) == "2026-0003"


def test_the_database_itself_refuses_a_second_live_billing(conn):
    bill(conn, ["a"])
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO billed_entries (entry_id, invoice_id, position, slot, day, person, description, "
                     "billed_s) VALUES ('a', 1, 1, 't:a', '2026-11-02', 'Anna Schmidt', '', 3000)")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sets(st.sampled_from("abcdefghij"), min_size=1, max_size=5), min_size=1, max_size=12))
def test_any_sequence_of_runs_bills_each_entry_at_most_once(tmp_path_factory, runs):
    conn = ledger.connect(tmp_path_factory.mktemp("l") / "ledger.sqlite")
    billed = set()
    for entries in runs:
        fresh = entries - billed  # what a run would bill: the entries not billed yet
        if fresh:
            bill(conn, sorted(fresh))
            billed |= fresh
        with pytest.raises(ledger.AlreadyBilled):
            bill(conn, sorted(entries))  # billing anything again is refused
    numbers = [i.number for i in ledger.invoices(conn)]
    assert numbers == [f"2026-{n:04d}" for n in range(1, len(numbers) + 1)]  # gapless
    assert set(ledger.billed_entries(conn)) == billed


def test_a_recorded_invoice_can_be_rendered_again_exactly(conn):
    original = draft(["a", "b"])
    bill(conn, ["a", "b"])
    record = ledger.stored_draft(conn, "2026-0001")
    stored = record.draft
    assert (record.issue_date, record.due_date, record.issued_at, record.kind) == (
        date(2026, 12, 1), date(2026, 12, 15), AT, "invoice")
    assert stored.lines[0].amount == original.lines[0].amount and stored.lines[0].quantity == Decimal("0.8333")
    assert (stored.net, stored.vat, stored.gross, stored.period) == (original.net, original.vat, original.gross,
                                                                     original.period)


def test_a_ledger_of_another_schema_version_is_refused_untouched(tmp_path):
    path = tmp_path / "ledger.sqlite"
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE invoices (number TEXT)")
    old.commit()
    old.close()
    before = path.read_bytes()
    with pytest.raises(ledger.LedgerError, match="written by another version"):
        ledger.connect(path)
    assert path.read_bytes() == before
