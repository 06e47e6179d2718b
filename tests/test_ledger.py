"""The ledger enforces the guarantees itself: numbers once and gapless, entries billed at most once."""

import sqlite3
from dataclasses import replace
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auftakt_batch import ledger
from auftakt_batch.periods import parse_period
from auftakt_batch.pricing.invoices import HUR, Billed, Charge, Draft, Line, hours_charge

from .conftest import examples

PATTERN = "{year}-{seq:04d}"
AT = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def billed(entry_id):
    return Billed(entry_id=entry_id, slot=f"t:{entry_id}", day=date(2026, 11, 2), person="Anna Schmidt",
                  description=f"work on {entry_id}", billed_s=3000)


def draft(entry_ids, client="acme"):
    line = Line(job_key="website", job_name="Website relaunch", detail="", unit=HUR, quantity=Decimal("0.8333"),
                unit_price=Decimal("120.00"), amount=Decimal("100.00"), first_day=date(2026, 11, 2),
                last_day=date(2026, 11, 20),
                charges=tuple(hours_charge(billed(e), Decimal("120.00")) for e in entry_ids))
    return Draft(client, "EUR", parse_period("2026-11"), (line,), "standard", Decimal("19"))


def bill(conn, entry_ids, day=date(2026, 12, 1), client="acme"):
    return ledger.record_pending(conn, PATTERN, draft(entry_ids, client), kind="invoice", issue_date=day,
                                 due_date=date(2026, 12, 15), stamped_at=AT)


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


def batch(conn, *drafts_and_numbers):
    return ledger.record_all_pending(conn, PATTERN, list(drafts_and_numbers), kind="invoice",
                                     issue_date=date(2026, 12, 1), due_date=date(2026, 12, 15), stamped_at=AT)


def test_invoices_reserved_together_are_numbered_in_turn_and_recorded_in_one_transaction(conn):
    bill(conn, ["a"])
    assert batch(conn, (draft(["b", "c"]), "2026-0002"), (draft(["d"], "globex"), None)) == ["2026-0002", "2026-0003"]
    assert [(r.number, r.client_key, r.status) for r in ledger.invoices(conn)] == [
        ("2026-0001", "acme", "pending"), ("2026-0002", "acme", "pending"), ("2026-0003", "globex", "pending")]
    assert ledger.billed_entries(conn) == {"a": "2026-0001", "b": "2026-0002", "c": "2026-0002", "d": "2026-0003"}
    statements = []
    conn.set_trace_callback(statements.append)
    batch(conn, (draft(["e"]), None), (draft(["f"]), None), (draft(["g"]), None))
    conn.set_trace_callback(None)
    assert [s for s in statements if s in ("BEGIN IMMEDIATE", "COMMIT", "ROLLBACK")] == ["BEGIN IMMEDIATE", "COMMIT"]


@pytest.mark.parametrize("refused", ["an entry billed already", "an entry twice in the batch", "another number"])
def test_a_batch_with_one_invoice_refused_records_none_of_them(conn, refused):
    bill(conn, ["a"])
    second, number = {"an entry billed already": (draft(["a"]), None), "an entry twice in the batch": (draft(["b"]), None),
                      "another number": (draft(["x"]), "2026-0009")}[refused]
    with pytest.raises(RuntimeError if refused == "another number" else ledger.AlreadyBilled):
        batch(conn, (draft(["b"]), "2026-0002"), (second, number))
    assert [i.number for i in ledger.invoices(conn)] == ["2026-0001"]
    assert ledger.billed_entries(conn) == {"a": "2026-0001"}
    assert bill(conn, ["b"]) == "2026-0002"  # no number was used up


def test_a_credit_note_is_reserved_on_its_own(conn):
    bill(conn, ["a"])
    ledger.mark_issued(conn, "2026-0001", "x.pdf", "00")
    with pytest.raises(ValueError, match="on its own"):
        ledger.record_all_pending(conn, PATTERN, [(draft([]), None), (draft([]), None)], kind="credit-note",
                                  issue_date=date(2026, 12, 2), due_date=date(2026, 12, 2), stamped_at=AT,
                                  refers_to="2026-0001")
    assert [i.status for i in ledger.invoices(conn)] == ["issued"]


def test_reserving_gives_the_page_cache_room_and_takes_it_back(conn):
    (before,) = conn.execute("PRAGMA cache_size").fetchone()
    with ledger.reserving(conn):
        assert conn.execute("PRAGMA cache_size").fetchone() == (-ledger.writing.RESERVING_CACHE_KIB,)
        batch(conn, (draft(["a"]), None), (draft(["b"]), None))
    assert conn.execute("PRAGMA cache_size").fetchone() == (before,)
    with ledger.reserving(conn):
        conn.close()  # a run that failed while reserving closes the ledger first: nothing to take back then


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
                              due_date=date(2026, 12, 2), stamped_at=AT, refers_to="2026-0001")
    ledger.mark_issued(conn, "2026-0001", "x.pdf", "00")
    note = ledger.record_pending(conn, PATTERN, draft([]), kind="credit-note", issue_date=date(2026, 12, 2),
                                 due_date=date(2026, 12, 2), stamped_at=AT, refers_to="2026-0001", reason="wrong rate")
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


@settings(max_examples=examples(200), deadline=None)
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
    assert ledger.charged(conn) == {("hours", e): number for e, number in ledger.billed_entries(conn).items()}


def test_a_recorded_invoice_can_be_rendered_again_exactly(conn):
    original = draft(["a", "b"])
    bill(conn, ["a", "b"])
    record = ledger.stored_draft(conn, "2026-0001")
    stored = record.draft
    assert (record.issue_date, record.due_date, record.stamped_at, record.kind) == (
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


# Schema 4 as it shipped: the ledgers written before the instant of issue was kept. Schemas 2 and 3
# are this without the columns they added; every older ledger is migrated to the current schema.
SCHEMA_4 = """
CREATE TABLE invoices (
    id          INTEGER PRIMARY KEY,
    number      TEXT NOT NULL UNIQUE,
    year        INTEGER NOT NULL,
    seq         INTEGER NOT NULL CHECK (seq >= 1),
    kind        TEXT NOT NULL CHECK (kind IN ('invoice', 'credit-note')),
    refers_to   TEXT REFERENCES invoices (number),
    reason      TEXT,
    client_key  TEXT NOT NULL,
    period      TEXT NOT NULL,
    issue_date  TEXT NOT NULL,
    due_date    TEXT NOT NULL,
    issued_at   TEXT NOT NULL,
    currency    TEXT NOT NULL,
    vat_mode    TEXT NOT NULL,
    vat_rate    TEXT NOT NULL,
    net         TEXT NOT NULL,
    vat         TEXT NOT NULL,
    gross       TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('pending', 'issued', 'void')),
    pdf_path    TEXT,
    pdf_sha256  TEXT,
    UNIQUE (year, seq)
);
CREATE TABLE invoice_lines (
    invoice_id  INTEGER NOT NULL REFERENCES invoices (id),
    position    INTEGER NOT NULL,
    job_key     TEXT NOT NULL,
    job_name    TEXT NOT NULL,
    detail      TEXT NOT NULL,
    first_day   TEXT NOT NULL,
    last_day    TEXT NOT NULL,
    quantity    TEXT NOT NULL,
    unit_price  TEXT NOT NULL,
    amount      TEXT NOT NULL,
    PRIMARY KEY (invoice_id, position)
);
CREATE TABLE billed_entries (
    entry_id    TEXT NOT NULL,
    invoice_id  INTEGER NOT NULL REFERENCES invoices (id),
    position    INTEGER NOT NULL,
    slot        TEXT NOT NULL,
    day         TEXT NOT NULL,
    person      TEXT NOT NULL,
    description TEXT NOT NULL,
    billed_s    INTEGER NOT NULL CHECK (billed_s > 0),
    written_down_from INTEGER CHECK (written_down_from > billed_s),
    live        INTEGER NOT NULL DEFAULT 1 CHECK (live IN (0, 1)),
    duration_s  INTEGER,
    start       TEXT,
    source      TEXT,
    gone        TEXT CHECK (gone IN ('edited', 'deleted')),
    replaces    TEXT,
    FOREIGN KEY (invoice_id, position) REFERENCES invoice_lines (invoice_id, position)
);
CREATE UNIQUE INDEX billed_once ON billed_entries (entry_id) WHERE live = 1;
"""
ADDED = {3: ("written_down_from",), 4: ("duration_s", "start", "source", "gone", "replaces")}
NOON = "2026-12-01T12:00:00+01:00"  # what schema 4 kept as issued_at: the PDF's pinned time, not the instant


def old_ledger(path, version: int, rows: str = "") -> None:
    """A ledger as schema `version` wrote it, with `rows` (SQL) in it."""
    later = tuple(column for v, columns in ADDED.items() if v > version for column in columns)
    conn = sqlite3.connect(path)
    conn.executescript("\n".join(line for line in SCHEMA_4.splitlines() if not line.strip().startswith(later))
                       + rows + f"\nPRAGMA user_version = {version};")
    conn.close()


def test_a_ledger_of_schema_2_is_migrated_in_place(tmp_path):
    path = tmp_path / "ledger.sqlite"
    old_ledger(path, 2)
    assert ledger.read_book(path).billed.empty  # a read-only reader reads it as it is
    assert ledger.read_billed(path).empty
    ledger.connect(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone() == (ledger.SCHEMA_VERSION,)
    for table, columns in ledger.schema.columns_of().items():
        assert {r[1] for r in conn.execute(f"PRAGMA table_info({table})")} == set(columns)  # a new ledger's


def test_schema_4_is_migrated_to_plain_decimals_and_an_unknown_instant_of_issue(tmp_path):
    path = tmp_path / "ledger.sqlite"
    old_ledger(path, 4, f"""
        INSERT INTO invoices VALUES (1, '2026-0001', 2026, 1, 'invoice', NULL, NULL, 'acme', '2026-11', '2026-12-01',
            '2026-12-15', '{NOON}', 'EUR', 'standard', '19', '4.8E+3', '912.00', '5712.00', 'issued', 'x.pdf', 'ab');
        INSERT INTO invoice_lines VALUES (1, 1, 'website', 'Website relaunch', '', '2026-11-02', '2026-11-20',
            '4E+1', '1.2E+2', '4.8E+3');
        INSERT INTO billed_entries (entry_id, invoice_id, position, slot, day, person, description, billed_s)
            VALUES ('a', 1, 1, 't:a', '2026-11-02', 'Anna Schmidt', 'work', 144000);""")
    conn = ledger.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone() == (ledger.SCHEMA_VERSION,)
    assert conn.execute("SELECT stamped_at, issued_at, vat_rate, net, vat, gross FROM invoices").fetchall() == [
        (NOON, None, "19", "4800", "912.00", "5712.00")]  # the instant is unknown, not invented
    assert conn.execute("SELECT quantity, unit_price, amount FROM invoice_lines").fetchall() == [("40", "120", "4800")]
    stored = ledger.stored_draft(conn, "2026-0001")
    assert (stored.draft.lines[0].quantity, stored.draft.net, stored.stamped_at) == (
        Decimal(40), Decimal(4800), datetime.fromisoformat(NOON))
    assert conn.execute("SELECT vat_rate FROM invoice_lines").fetchall() == [(None,)]  # schema 6: a line's own rate
    assert stored.draft.lines[0].vat_rate is None and [(s.rate, s.basis, s.vat) for s in stored.draft.breakdown] == [
        (Decimal(19), Decimal(4800), Decimal("912.00"))]  # an old line has the invoice's one rate
    with pytest.raises(sqlite3.IntegrityError):  # the instant is UTC, or nothing
        conn.execute("UPDATE invoices SET issued_at = ?", (NOON,))
    note = ledger.record_pending(conn, PATTERN, draft([]), kind="credit-note", issue_date=date(2026, 12, 2),
                                 due_date=date(2026, 12, 2), stamped_at=AT, refers_to="2026-0001", reason="wrong rate")
    assert note == "2026-0002" and ledger.billed_entries(conn) == {}


def test_an_invoice_records_the_instant_it_was_reserved_in_utc(conn):
    before = datetime.now(timezone.utc).replace(microsecond=0)
    bill(conn, ["a"])
    after = datetime.now(timezone.utc)
    (stamped, issued), = conn.execute("SELECT stamped_at, issued_at FROM invoices").fetchall()
    assert stamped == AT.isoformat()  # the PDF's time, as given
    assert issued.endswith("Z") and before <= datetime.fromisoformat(issued) <= after


def test_decimal_text_is_plain_and_reads_back_equal():
    assert [ledger.decimal_text(Decimal(t)) for t in ("4E+1", "1.2E+3", "0.8333", "-100.00", "0E-2", "1E-7")] == [
        "40", "1200", "0.8333", "-100.00", "0.00", "0.0000001"]
    with pytest.raises(ValueError):
        ledger.decimal_text(Decimal("NaN"))


DECIMALS = st.builds(lambda digits, exponent: Decimal(digits).scaleb(exponent),
                     st.integers(-10**9, 10**9), st.integers(-6, 6))  # exponent forms included: 4E+1, 1.2E+3


@settings(max_examples=examples(100), deadline=None)
@given(st.lists(st.tuples(DECIMALS, DECIMALS, DECIMALS), min_size=1, max_size=3),
       st.builds(lambda digits, exponent: Decimal(digits).scaleb(exponent), st.integers(0, 99), st.integers(-2, 1)))
def test_every_decimal_the_ledger_writes_reads_back_equal_and_never_has_an_exponent(tmp_path_factory, lines,
                                                                                     vat_rate):
    conn = ledger.connect(tmp_path_factory.mktemp("l") / "ledger.sqlite")
    original = Draft("acme", "EUR", parse_period("2026-11"), tuple(
        Line(job_key="website", job_name="Website relaunch", detail="", unit=HUR, quantity=q, unit_price=p, amount=a,
             first_day=date(2026, 11, 2), last_day=date(2026, 11, 20))
        for q, p, a in lines), "standard", vat_rate)
    ledger.record_pending(conn, PATTERN, original, kind="invoice", issue_date=date(2026, 12, 1),
                          due_date=date(2026, 12, 15), stamped_at=AT)
    written = [value for table, columns in ledger.DECIMALS.items()
               for row in conn.execute(f"SELECT {', '.join(columns)} FROM {table}") for value in row]
    assert not [text for text in written if "e" in text.lower()]
    stored = ledger.stored_draft(conn, "2026-0001").draft
    assert [(x.quantity, x.unit_price, x.amount) for x in stored.lines] == lines
    assert (stored.vat_rate, stored.net, stored.vat, stored.gross) == (vat_rate, original.net, original.vat,
                                                                       original.gross)
    assert [r.gross for r in ledger.invoices(conn)] == [original.gross]
    conn.close()


def test_the_book_is_read_as_of_one_moment_while_another_run_writes(tmp_path, monkeypatch):
    """A report reads the ledger while a bill may be writing it: every query of one read sees the
    ledger as of one moment — an invoice recorded between two of them is in none of them."""
    from auftakt_batch.ledger import reading

    path = tmp_path / "output" / "ledger.sqlite"
    writer = ledger.connect(path)
    bill(writer, ["a", "b"])
    real, wrote = reading.invoices, []

    def meanwhile(conn, status=None):  # the book asks for the invoices after its lines and entries
        if not wrote:  # an invoice with hours and a retainer's fee: a charge the models' state holds
            hours = draft(["c"], "globex")
            fee = Charge("retainer", "retainer:globex/care:2026-11", HUR, Decimal("1"), Decimal("100.00"))
            with_fee = replace(hours, lines=(replace(hours.lines[0], charges=(*hours.lines[0].charges, fee)),))
            wrote.append(ledger.record_pending(writer, PATTERN, with_fee, kind="invoice", issue_date=date(2026, 12, 1),
                                               due_date=date(2026, 12, 15), stamped_at=AT))
        return real(conn, status)

    monkeypatch.setattr(reading, "invoices", meanwhile)
    book = ledger.read_book(path)
    assert wrote == ["2026-0002"]  # committed while the book was being read
    assert [i.number for i in book.invoices] == ["2026-0001"]
    assert sorted(book.billed["entry_id"]) == ["a", "b"] and set(book.lines["number"]) == {"2026-0001"}
    assert book.models.charged == set()  # the fee is not in it: one moment (hours are never in it)
    after = ledger.read_book(path)  # the next read: both
    assert [i.number for i in after.invoices] == ["2026-0001", "2026-0002"]
    assert after.models.charged == {("retainer", "retainer:globex/care:2026-11")}


def test_a_write_killed_halfway_is_undone_before_the_ledger_is_read(tmp_path):
    """A run killed in the middle of a transaction leaves a hot journal (a ledger from before WAL, or one
    restored from a backup, is migrated before it turns to WAL). A read-only connection may not roll
    it back ("attempt to write a readonly database"): the reader undoes it as the next writer would,
    then reads the ledger as it was before that transaction."""
    import subprocess
    import sys

    path = tmp_path / "output" / "ledger.sqlite"
    conn = ledger.connect(path)
    bill(conn, ["a", "b"])
    conn.close()
    before = ledger.read_billed(path)
    with sqlite3.connect(path, isolation_level=None) as plain:
        plain.execute("PRAGMA journal_mode = DELETE")
    killed = ("import os, sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None); "
              "c.execute('PRAGMA cache_size = 1'); c.execute('BEGIN IMMEDIATE'); "
              "c.execute(\"UPDATE billed_entries SET description = 'half-written'\"); "
              "c.execute(\"UPDATE invoices SET status = 'void'\"); os._exit(9)")
    subprocess.run([sys.executable, "-c", killed, str(path)], check=False)
    assert path.with_name("ledger.sqlite-journal").exists()  # hot: the transaction never committed
    assert ledger.read_billed(path).equals(before)
    assert [i.status for i in ledger.read_invoices(path)] == ["pending"]
    assert not path.with_name("ledger.sqlite-journal").exists()
