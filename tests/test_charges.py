"""The unit of billing is a charge (issue 19): a kind and a key the ledger bills at most once, a
unit, a quantity, a price and the entries it covers. Hours are the only charges so far; the
ledger's guarantee is the same for any kind: no (kind, key) on two live invoices."""

import sqlite3
from dataclasses import replace
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from lxml import etree

from auftakt_batch import ledger
from auftakt_batch.billing import bill, einvoice_xml
from auftakt_batch.config import load_config
from auftakt_batch.periods import parse_period
from auftakt_batch.pricing.invoices import HOURS, HUR, Billed, Charge, Draft, Line, hours_charge, quantity
from auftakt_batch.pricing.models import NOTHING_BILLED
from auftakt_batch.render.invoice import Issue

from .conftest import TODAY
from .test_einvoice import NS
from .test_ledger import NOON, SCHEMA_4

PATTERN = "{year}-{seq:04d}"
AT = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
NOVEMBER = parse_period("2026-11")


def line(*charges: Charge, unit: str = HUR) -> Line:
    return Line(job_key="website", job_name="Website relaunch", detail="", unit=unit, quantity=Decimal(1),
                unit_price=Decimal("120.00"), amount=Decimal("120.00"), first_day=date(2026, 11, 2),
                last_day=date(2026, 11, 30), charges=charges)


def draft(*lines: Line) -> Draft:
    return Draft(client_key="acme", currency="EUR", period=NOVEMBER, lines=lines, vat_mode="standard",
                 vat_rate=Decimal(19))


def retainer(period: str = "2026-11") -> Charge:
    """A charge of the kind the next issue adds: keyed on what it bills once, covering no entry."""
    return Charge(kind="retainer", key=f"website:{period}", unit="MON", quantity=Decimal(1),
                  unit_price=Decimal("120.00"))


def entry(entry_id: str) -> Billed:
    return Billed(entry_id=entry_id, slot=f"t:{entry_id}", day=date(2026, 11, 2), person="Anna Schmidt",
                  description=f"work on {entry_id}", billed_s=3600)


def record(conn, d: Draft, **kwargs) -> str:
    return ledger.record_pending(conn, PATTERN, d, kind="invoice", issue_date=date(2026, 12, 1),
                                 due_date=date(2026, 12, 15), stamped_at=AT, **kwargs)


def cancel(conn, number: str) -> str:
    ledger.mark_issued(conn, number, "x.pdf", "00")
    return ledger.record_pending(conn, PATTERN, draft(), kind="credit-note", issue_date=date(2026, 12, 2),
                                 due_date=date(2026, 12, 2), stamped_at=AT, refers_to=number, reason="wrong")


@pytest.fixture
def conn(tmp_path):
    conn = ledger.connect(tmp_path / "output" / "ledger.sqlite")
    yield conn
    conn.close()


def test_a_charge_key_is_refused_on_a_second_live_invoice_by_the_index_itself(conn):
    record(conn, draft(line(retainer())))
    with pytest.raises(ledger.AlreadyBilled):
        record(conn, draft(line(retainer("2026-12")), line(retainer())))
    assert [r.number for r in ledger.invoices(conn)] == ["2026-0001"]  # the refusal recorded nothing
    with pytest.raises(sqlite3.IntegrityError, match="charges.kind, charges.key"):  # SQL, not only Python
        conn.execute("INSERT INTO charges (invoice_id, position, kind, key, unit, quantity, unit_price) "
                     "VALUES (1, 1, 'retainer', 'website:2026-11', 'MON', '1', '120.00')")
    conn.execute("INSERT INTO charges (invoice_id, position, kind, key, unit, quantity, unit_price) "
                 "VALUES (1, 1, 'expense', 'website:2026-11', 'C62', '1', '120.00')")  # the key is per kind
    assert ledger.charged(conn) == {("retainer", "website:2026-11"): "2026-0001",
                                    ("expense", "website:2026-11"): "2026-0001"}


def test_an_entrys_hours_are_a_charge_keyed_on_the_entry(conn):
    record(conn, draft(line(hours_charge(entry("a"), Decimal("120.00")))))
    assert conn.execute("SELECT kind, key, unit, quantity, unit_price, live FROM charges").fetchall() == [
        (HOURS, "a", HUR, "1", "120.00", 1)]
    with pytest.raises(ledger.AlreadyBilled):
        record(conn, draft(line(hours_charge(entry("a"), Decimal("100.00")))))
    (stored_line,) = ledger.stored_draft(conn, "2026-0001").draft.lines
    assert stored_line.unit == HUR and stored_line.charges == (hours_charge(entry("a"), Decimal("120.00")),)


def test_a_void_frees_the_charges_of_the_invoice(conn):
    record(conn, draft(line(retainer(), hours_charge(entry("a"), Decimal("120.00")))))
    cancel(conn, "2026-0001")
    assert ledger.charged(conn) == {}
    assert conn.execute("SELECT live FROM charges ORDER BY rowid").fetchall() == [(0,), (0,)]
    assert record(conn, draft(line(retainer(), hours_charge(entry("a"), Decimal("120.00"))))) == "2026-0003"
    assert ledger.charged(conn) == {("retainer", "website:2026-11"): "2026-0003", (HOURS, "a"): "2026-0003"}


# Schema 6 as it shipped (the ledgers before charges): schema 4 with the instant of issue and a line's own rate
SCHEMA_6 = (SCHEMA_4
            .replace("    issued_at   TEXT NOT NULL,\n", "    stamped_at  TEXT NOT NULL,\n")
            .replace("    pdf_sha256  TEXT,\n", "    pdf_sha256  TEXT,\n"
                     "    issued_at TEXT CHECK (issued_at GLOB '????-??-??T??:??:??Z'),\n")
            .replace("    amount      TEXT NOT NULL,\n", "    amount      TEXT NOT NULL,\n    vat_rate    TEXT,\n"))
ROWS_6 = f"""
INSERT INTO invoices VALUES (1, '2026-0001', 2026, 1, 'invoice', NULL, NULL, 'acme', '2026-11', '2026-12-01',
    '2026-12-15', '{NOON}', 'EUR', 'standard', '19', '240.00', '45.60', '285.60', 'issued', 'a.pdf', 'ab', NULL);
INSERT INTO invoices VALUES (2, '2026-0002', 2026, 2, 'invoice', NULL, NULL, 'globex', '2026-11', '2026-12-01',
    '2026-12-15', '{NOON}', 'EUR', 'standard', '19', '150.00', '28.50', '178.50', 'void', 'b.pdf', 'cd',
    '2026-12-01T08:00:00Z');
INSERT INTO invoices VALUES (3, '2026-0003', 2026, 3, 'credit-note', '2026-0002', 'wrong', 'globex', '2026-11',
    '2026-12-02', '2026-12-02', '{NOON}', 'EUR', 'standard', '19', '-150.00', '-28.50', '-178.50', 'issued',
    'c.pdf', 'ef', '2026-12-02T08:00:00Z');
INSERT INTO invoice_lines VALUES (1, 1, 'website', 'Website relaunch', 'Anna Schmidt', '2026-11-02', '2026-11-03',
    '1.5', '120.00', '180.00', '19');
INSERT INTO invoice_lines VALUES (1, 2, 'website', 'Website relaunch', 'Ben Okafor', '2026-11-04', '2026-11-04',
    '0.5', '120.00', '60.00', NULL);
INSERT INTO invoice_lines VALUES (2, 1, 'app', 'App', '', '2026-11-05', '2026-11-05', '1', '150.00', '150.00', '19');
INSERT INTO invoice_lines VALUES (3, 1, 'app', 'App', '', '2026-11-05', '2026-11-05', '-1', '150.00', '-150.00',
    '19');
INSERT INTO billed_entries (entry_id, invoice_id, position, slot, day, person, description, billed_s, live,
    written_down_from, duration_s, start, source, gone, replaces) VALUES
    ('a', 1, 1, 't:a', '2026-11-02', 'Anna Schmidt', 'Layout', 3600, 1, NULL, 3600, NULL, 'week.csv:2', 'edited',
     NULL),
    ('b', 1, 1, 't:b', '2026-11-03', 'Anna Schmidt', 'Review', 1800, 1, 2700, 2700, '2026-11-03T09:00:00',
     'week.csv:3', NULL, NULL),
    ('c', 1, 2, 't:c', '2026-11-04', 'Ben Okafor', 'API', 1800, 1, NULL, 1800, NULL, 'week.csv:4', NULL, NULL),
    ('a2', 1, 1, 't:a2', '2026-11-02', 'Anna Schmidt', 'Layout (edited)', 3600, 1, NULL, 3700, NULL, 'week.csv:2',
     NULL, 'a'),
    ('d', 2, 1, 't:d', '2026-11-05', 'Ben Okafor', 'App', 3600, 0, NULL, 3600, NULL, 'week.csv:5', NULL, NULL);
"""


def schema_6_ledger(path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA_6 + ROWS_6 + "\nPRAGMA user_version = 6;")
    conn.close()


def test_a_schema_6_ledger_is_migrated_keeping_every_billed_entry_and_line_as_hours(tmp_path):
    path = tmp_path / "output" / "ledger.sqlite"
    path.parent.mkdir()
    schema_6_ledger(path)
    before = sqlite3.connect(path)
    lines_before = before.execute("SELECT * FROM invoice_lines ORDER BY rowid").fetchall()
    entries_before = before.execute("SELECT * FROM billed_entries ORDER BY rowid").fetchall()
    before.close()
    billed_before = ledger.read_billed(path)  # read-only, as it is: nothing migrated yet
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone() == (6,)

    conn = ledger.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone() == (ledger.SCHEMA_VERSION,) == (12,)
    assert conn.execute("SELECT * FROM invoice_lines ORDER BY rowid").fetchall() == [
        (*row, "HUR") for row in lines_before]  # every line kept, each in hours
    assert conn.execute("SELECT * FROM billed_entries ORDER BY rowid").fetchall() == entries_before
    assert ledger.read_billed(path).equals(billed_before)  # as reconcile reads them, unchanged
    assert conn.execute("SELECT invoice_id, position, kind, key, unit, quantity, unit_price, live FROM charges "
                        "ORDER BY rowid").fetchall() == [
        (1, 1, "hours", "a", "HUR", "1", "120.00", 1), (1, 1, "hours", "b", "HUR", "0.5", "120.00", 1),
        (1, 2, "hours", "c", "HUR", "0.5", "120.00", 1),  # a2 replaces a: it was never billed itself
        (2, 1, "hours", "d", "HUR", "1", "150.00", 0)]  # on the void invoice: free
    assert ledger.charged(conn) == {("hours", "a"): "2026-0001", ("hours", "b"): "2026-0001",
                                    ("hours", "c"): "2026-0001"}
    stored = ledger.stored_draft(conn, "2026-0001").draft
    assert [[(c.key, c.quantity, [b.entry_id for b in c.entries]) for c in x.charges] for x in stored.lines] == [
        [("a", Decimal(1), ["a"]), ("b", Decimal("0.5"), ["b"])], [("c", Decimal("0.5"), ["c"])]]
    assert [x.unit for x in stored.lines] == ["HUR", "HUR"]
    with pytest.raises(ledger.AlreadyBilled):  # still billed: the migrated charges are under the new index
        record(conn, draft(line(Charge(kind=HOURS, key="b", unit=HUR, quantity=Decimal(1),
                                       unit_price=Decimal(120)))))
    assert record(conn, draft(line(hours_charge(entry("d"), Decimal("150.00"))))) == "2026-0004"  # voided: free
    conn.close()


def test_a_lines_unit_reaches_the_e_invoice(ws):
    ws.with_templates().input("week.csv", "date,person,client,job,task,description,hours,billable\n"
                                          "2026-11-03,Anna Schmidt,ACME,website,,Layout,3,\n")
    (issued,) = bill(ws.root, NOVEMBER, today=TODAY).issued
    conn = ledger.connect(ws.root / "output" / "ledger.sqlite")
    stored = ledger.stored_draft(conn, issued.number)
    conn.close()
    config, _ = load_config(ws.root / "rates.yaml")
    issue = Issue(issued.number, stored.issue_date, stored.due_date, stored.stamped_at)

    def unit_codes(d: Draft) -> list[str]:
        return etree.fromstring(einvoice_xml(d, issue, config)).xpath(".//ram:BilledQuantity/@unitCode",
                                                                      namespaces=NS)

    assert unit_codes(stored.draft) == ["HUR"]
    months = replace(stored.draft, lines=tuple(replace(x, unit="MON") for x in stored.draft.lines))
    assert unit_codes(months) == ["MON"]  # the line's own unit, whatever it is


def test_an_hours_charge_is_the_entrys_billed_time_at_the_lines_price():
    charge = hours_charge(entry("a"), Decimal("95.00"))
    assert (charge.kind, charge.key, charge.unit, charge.quantity, charge.unit_price, charge.entries) == (
        HOURS, "a", HUR, quantity(3600), Decimal("95.00"), (entry("a"),))
    assert line(charge).entries == (entry("a"),) and line().entries == ()


def test_a_ledger_without_its_charged_once_index_is_refused_untouched(tmp_path):
    path = tmp_path / "output" / "ledger.sqlite"
    conn = ledger.connect(path)
    record(conn, draft(line(retainer())))
    conn.execute("DROP INDEX charged_once")
    conn.close()
    damaged = path.read_bytes()
    for read in (ledger.connect, ledger.read_invoices):
        with pytest.raises(ledger.LedgerError, match="is damaged: index charged_once missing"):
            read(path)
    assert path.read_bytes() == damaged


def test_a_schema_6_ledger_read_as_it_is_holds_no_model_charges(tmp_path):
    """`bill --draft` reads the ledger without migrating it: one from before the charges table billed
    hours alone, so it holds nothing of the billing models — not a damaged ledger."""
    path = tmp_path / "output" / "ledger.sqlite"
    path.parent.mkdir()
    schema_6_ledger(path)
    assert ledger.read_model_state(path) == NOTHING_BILLED
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone() == (6,)  # read, not migrated
