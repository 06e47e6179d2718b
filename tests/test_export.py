"""`export`: the period's issued invoices and credit notes as a DATEV booking batch (EXTF,
header version 700, Buchungsstapel format version 13) or a CSV journal, plus the e-invoices."""

import csv
import io

import pytest

from auftakt_batch.billing import bill, void
from auftakt_batch.export.datev import COLUMNS
from auftakt_batch.periods import parse_period

from .conftest import TODAY, dedent

HEADER = "date,person,client,job,task,description,hours,billable\n"
ROWS = dedent("""\
    2026-11-03,Anna Schmidt,ACME,website,,Layout,1.5,
    2026-11-05,Anna Schmidt,ACME,rights,,Nutzungsrechte,2,
    2026-11-04,Ben Okafor,globex,app,,API,2,
    2026-11-06,Ben Okafor,cyber,robots,,Spec,3,
    """)
ACCOUNTING = "  accounting: {chart: SKR03, consultant: 29098, client_number: 55003}\n"
NOVEMBER = parse_period("2026-11")


def prepared(ws, accounting=ACCOUNTING):
    ws.edit_rates("  vat_id: DE123456789\n", "  vat_id: DE123456789\n" + accounting, count=1)
    ws.edit_rates("    name: ACME GmbH\n", "    name: Bäckerei Müller GmbH\n")
    ws.edit_rates("        aliases: [\"Website Relaunch 2026\"]\n",
                  "        aliases: [\"Website Relaunch 2026\"]\n      rights: {name: Nutzungsrechte, vat_rate: \"7\"}\n")
    ws.edit_rates("    name: Globex Corporation\n", "    name: Globex Corporation\n    country: NL\n"
                  "    vat_id: NL123456789B01\n    vat: reverse-charge\n")
    ws.rates((ws.root / "rates.yaml").read_text() + "  cyber:\n    name: Cyberdyne Systems Inc.\n    country: US\n"
             "    vat: outside-scope\n    currency: USD\n    rate: \"100.00\"\n    jobs:\n      robots: {name: Robots}\n")
    ws.with_templates().input("week.csv", HEADER + ROWS)
    bill(ws.root, NOVEMBER, today=TODAY)
    void(ws.root, "2026-0001", "wrong job", TODAY)  # acme's: credit note 2026-0004
    return ws


def batch(ws) -> bytes:
    return (ws.root / "output" / "2026-11" / "export" / "EXTF_Buchungsstapel_2026-11.csv").read_bytes()


def fields(line: str) -> list[str]:
    return next(csv.reader([line], delimiter=";"))


def test_the_batch_books_each_invoice_and_vat_rate_as_computed_by_hand(ws):
    result = prepared(ws).cli("export", "--period", "2026-11", "--format", "datev")
    assert result.exit_code == 0, result.output
    lines = batch(ws).decode("cp1252").split("\r\n")
    assert lines[-1] == "" and len(lines) == 2 + 6 + 1  # header, headings, six bookings, the last CR LF
    rows = [fields(line) for line in lines[2:-1]]
    assert all(len(row) == 125 for row in rows)
    shown = [(r[0], r[1], r[2], r[6], r[7], r[8], r[9], r[10], r[13], r[39], r[116]) for r in rows]
    assert shown == [
        ("214,20", "S", "", "10001", "8400", "", "0312", "2026-0001", "Rechnung 2026-0001 Bäckerei Müller GmbH", "",
         "17122026"),  # 1.5 h × 120.00 = 180.00 + 19 % 34.20
        ("256,80", "S", "", "10001", "8300", "", "0312", "2026-0001", "Rechnung 2026-0001 Bäckerei Müller GmbH", "",
         "17122026"),  # 2 h × 120.00 = 240.00 + 7 % 16.80
        ("300,00", "S", "USD", "10004", "8338", "", "0312", "2026-0002", "Rechnung 2026-0002 Cyberdyne Systems Inc.",
         "", "17122026"),  # 3 h × 100.00 USD, outside the scope of German VAT
        ("300,00", "S", "", "10002", "8336", "", "0312", "2026-0003", "Rechnung 2026-0003 Globex Corporation", "NL123456789B01",
         "17122026"),  # 2 h × 150.00, reverse charge
        ("214,20", "H", "", "10001", "8400", "", "0312", "2026-0004",
         "Stornorechnung 2026-0004 zu 2026-0001 Bäckerei Müller GmbH", "", ""),
        ("256,80", "H", "", "10001", "8300", "", "0312", "2026-0004",
         "Stornorechnung 2026-0004 zu 2026-0001 Bäckerei Müller GmbH", "", ""),
    ]
    assert all(r[113] == "0" for r in rows)  # Festschreibung: left to the consultant
    assert all(value == "" for r in rows for i, value in enumerate(r) if i + 1 not in {1, 2, 3, 7, 8, 10, 11, 14, 40,
                                                                                         114, 117})


def test_the_header_field_by_field(ws):
    prepared(ws).cli("export", "--period", "2026-11", "--format", "datev")
    first, headings = batch(ws).split(b"\r\n")[:2]
    assert first == (b'"EXTF";700;21;"Buchungsstapel";13;20261203120000000;;"RE";"";"";29098;55003;20260101;4;'
                     b'20261203;20261203;"Rechnungsausgang 2026-11";"";1;0;0;"EUR";;"";;;"03";;;"";""')
    assert len(fields(first.decode("cp1252"))) == 31
    assert headings.decode("cp1252").split(";") == COLUMNS and len(COLUMNS) == 125
    assert headings.startswith(b"Umsatz (ohne Soll/Haben-Kz);Soll/Haben-Kennzeichen;WKZ Umsatz;Kurs;Basis-Umsatz;")
    assert headings.endswith(b";EU-Land u. UStID (Ursprung);EU-Steuersatz (Ursprung);Abw. Skontokonto")


def test_the_batch_is_windows_1252_with_crlf(ws):
    prepared(ws).cli("export", "--period", "2026-11", "--format", "datev")
    data = batch(ws)
    assert "Bäckerei Müller".encode("cp1252") in data and "Müller".encode("utf-8") not in data
    assert "Gegenkonto (ohne BU-Schlüssel)".encode("cp1252") in data
    assert data.count(b"\r\n") == data.count(b"\n") == 8  # header, headings, six bookings


def test_the_journal(ws):
    result = prepared(ws).cli("export", "--period", "2026-11", "--format", "journal")
    assert result.exit_code == 0, result.output
    data = (ws.root / "output" / "2026-11" / "export" / "journal-2026-11.csv").read_bytes()
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    assert [(r["number"], r["kind"], r["client_name"], r["revenue_account"], r["vat_rate"], r["net"], r["vat"],
             r["gross"], r["currency"]) for r in rows] == [
        ("2026-0001", "invoice", "Bäckerei Müller GmbH", "8400", "19", "180.00", "34.20", "214.20", "EUR"),
        ("2026-0001", "invoice", "Bäckerei Müller GmbH", "8300", "7", "240.00", "16.80", "256.80", "EUR"),
        ("2026-0002", "invoice", "Cyberdyne Systems Inc.", "8338", "0", "300.00", "0.00", "300.00", "USD"),
        ("2026-0003", "invoice", "Globex Corporation", "8336", "0", "300.00", "0.00", "300.00", "EUR"),
        ("2026-0004", "credit-note", "Bäckerei Müller GmbH", "8400", "19", "-180.00", "-34.20", "-214.20", "EUR"),
        ("2026-0004", "credit-note", "Bäckerei Müller GmbH", "8300", "7", "-240.00", "-16.80", "-256.80", "EUR"),
    ]
    assert rows[0]["date"] == "2026-12-03" and rows[0]["debtor_account"] == "10001"


def test_a_rerun_writes_the_same_bytes(ws):
    prepared(ws)
    folder = ws.root / "output" / "2026-11" / "export"
    ws.cli("export", "--period", "2026-11", "--format", "datev")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    ws.cli("export", "--period", "2026-11", "--format", "datev")
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_stand_in_pdfs_carry_no_e_invoice_and_each_is_named(ws):
    result = prepared(ws).cli("export", "--period", "2026-11", "--format", "datev")
    assert "2026-0001: output/2026-11/invoices/2026-0001-acme.pdf carries no factur-x.xml" in result.output


@pytest.mark.real_pdf  # the e-invoice is the XML the issued PDF carries
def test_the_e_invoices_are_copied_beside_the_batch(ws):
    result = prepared(ws).cli("export", "--period", "2026-11", "--format", "journal")
    assert "Warning" not in result.output
    folder = ws.root / "output" / "2026-11" / "export"
    names = sorted(p.name for p in folder.glob("*.xml"))
    assert names == ["2026-0001-acme.factur-x.xml", "2026-0002-cyber.factur-x.xml", "2026-0003-globex.factur-x.xml",
                     "2026-0004-acme.factur-x.xml"]
    assert b"<ram:ID>2026-0004</ram:ID>" in (folder / "2026-0004-acme.factur-x.xml").read_bytes()


def test_an_empty_period_writes_nothing(ws):
    prepared(ws)
    result = ws.cli("export", "--period", "2026-10", "--format", "datev")
    assert result.exit_code == 0
    assert "No issued invoices or credit notes for 2026-10 in the ledger: nothing to export." in result.output
    assert not (ws.root / "output" / "2026-10" / "export").exists()


def test_datev_needs_the_consultant_and_client_numbers(ws):
    prepared(ws, accounting="  accounting: {chart: SKR04}\n")
    result = ws.cli("export", "--period", "2026-11", "--format", "datev")
    assert result.exit_code == 1 and "add agency.accounting with chart, consultant" in result.output


@pytest.mark.parametrize("accounting, message", [
    ("{chart: SKR05}", "agency.accounting.chart: must be one of SKR03 | SKR04, got 'SKR05'"),
    ("{chart: SKR03, consultant: 999}", "agency.accounting.consultant: '999' is not the Beraternummer"),
    ("{chart: SKR03, client_number: 123456}", "agency.accounting.client_number: '123456' is not the Mandantennummer"),
    ("{chart: SKR03, fiscal_year_start: 13-01}", "agency.accounting.fiscal_year_start: '13-01' is not a month and day"),
    ("{chart: SKR03, revenue_accounts: {standard: 84}}",
     "agency.accounting.revenue_accounts.standard: '84' is not a four-digit account number"),
    ("{chart: SKR03, revenue_acounts: {}}", "agency.accounting.revenue_acounts: unknown key — did you mean 'revenue_accounts'?"),
])
def test_bad_accounting_keys_are_errors_at_their_line(ws, accounting, message):
    ws.edit_rates("  vat_id: DE123456789\n", f"  vat_id: DE123456789\n  accounting: {accounting}\n", count=1)
    result = ws.cli("check", "--period", "2026-11")
    assert f"rates.yaml:8: {message}" in result.output


def test_two_clients_never_share_a_debtor_account(ws):
    ws.edit_rates("    name: Globex Corporation\n", "    name: Globex Corporation\n    debtor_account: 10001\n")
    result = ws.cli("check", "--period", "2026-11")
    assert ("clients.globex.debtor_account: 10001 is the debtor account of acme too (its default: 10000 + its "
            "position) — give each client its own") in result.output


def test_a_fiscal_year_starting_in_july_is_the_header_s_wj_beginn(ws):
    prepared(ws, accounting="  accounting: {chart: SKR04, consultant: 1001, client_number: 1, "
                            "fiscal_year_start: 07-01, revenue_accounts: {reduced: \"4310\"}}\n")
    ws.cli("export", "--period", "2026-11", "--format", "datev")
    lines = batch(ws).decode("cp1252").split("\r\n")
    assert fields(lines[0])[10:14] == ["1001", "1", "20260701", "4"] and fields(lines[0])[26] == "04"
    assert [fields(line)[7] for line in lines[2:-1]] == ["4400", "4310", "4338", "4336", "4400", "4310"]
