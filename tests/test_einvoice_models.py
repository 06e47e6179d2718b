"""E-invoices of the billing models (issue 20): the invoices of a retainer (a month's fee, MON; a
quarter's, QAN), its overage (HUR), a milestone (C62) and a cap's write-down (quantity −1, C62, a
negative line amount), and the credit notes that cancel them, each pass the Factur-X XSD and the
EN 16931 schematron with no failure and no warning — the XML embedded in the PDF and the client's
XRechnung beside it — and say per line and in total what the ledger says."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import facturx
import pytest
from lxml import etree

from auftakt_batch import ledger
from auftakt_batch.billing import bill, void
from auftakt_batch.einvoice.cii import FACTURX, XRECHNUNG
from auftakt_batch.periods import parse_period

from . import test_einvoice
from .conftest import TODAY, Workspace, dedent, edited
from .test_billing_models import KAFFEE
from .test_einvoice import NS, XRECHNUNG_RATES, embedded, money, value

pytestmark = pytest.mark.real_pdf  # the XML as the PDF embeds it
schematron = test_einvoice.schematron  # its fixture: the compiled EN 16931 schematron

HEADER = "date,person,client,job,task,description,hours,billable\n"
CENT = Decimal("0.01")
SUPPORT = """\
      support:
        name: Support
        retainer:
          fee: "900.00"
          hours: 10
          per: quarter
          overage: bill
          from: 2026-10-01
"""
# Kaffee gets XRechnungs (a public client's fields), and a quarterly retainer beside its monthly one
KAFFEE_XRECHNUNG = edited(KAFFEE, "    name: Kaffee & Kuchen KG\n", """\
    name: Kaffee & Kuchen KG
    address: "Hauptstraße 5\\n10827 Berlin"
    country: DE
    email: buchhaltung@kaffee.example
    buyer_reference: 991-44444TEST-55
    einvoice: xrechnung
""") + SUPPORT


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """October and November billed (every model line), Kaffee's two invoices voided by credit notes
    and billed again, then a late entry's overage: (workspace root, [(record, stored draft)])."""
    ws = Workspace(tmp_path_factory.mktemp("models") / "ws").with_templates()
    ws.rates(XRECHNUNG_RATES + KAFFEE_XRECHNUNG)
    ws.input("autumn.csv", HEADER + dedent("""\
        2026-10-05,Anna Schmidt,kaffee,care,,Updates,9,
        2026-10-06,Anna Schmidt,kaffee,support,,Tickets,6,
        2026-10-08,Ben Okafor,kaffee,launch,,Wireframes,10,
        2026-11-03,Anna Schmidt,kaffee,care,,Updates,8,
        2026-11-10,Anna Schmidt,kaffee,care,,Security fixes,9,
        2026-11-11,Anna Schmidt,kaffee,support,,Tickets,5.5,
        2026-11-12,Ben Okafor,kaffee,launch,,Checkout,8,
        2026-11-04,Ben Okafor,kaffee,seo,,Audit,12,
        2026-11-18,Ben Okafor,kaffee,seo,,Backlinks,13,
        2026-11-03,Anna Schmidt,ACME,website,,Layout,1.5,
        """))
    ws.input("receipts/guide.pdf", b"%PDF-1.4\n% a style guide\n")  # an expense of its own VAT rate, with a receipt
    ws.input("expenses.csv", "date,person,client,job,category,description,amount,currency,billable,receipt,vat\n"
                             "2026-11-13,Anna Schmidt,kaffee,,Books,Style guide,40.00,EUR,yes,receipts/guide.pdf,7\n")
    october, november = parse_period("2026-10"), parse_period("2026-11")
    (first,) = [i for i in bill(ws.root, october, today=TODAY).issued if i.client_key == "kaffee"]
    (second,) = [i for i in bill(ws.root, november, today=TODAY).issued if i.client_key == "kaffee"]
    void(ws.root, second.number, "wrong cap", today=TODAY)
    void(ws.root, first.number, "wrong fee", today=TODAY)
    bill(ws.root, october, today=TODAY)
    bill(ws.root, november, today=TODAY)
    ws.input("late.csv", HEADER + "2026-11-28,Anna Schmidt,kaffee,care,,Hotfix,2,\n")
    bill(ws.root, november, today=TODAY)
    conn = ledger.connect(ws.root / "output" / "ledger.sqlite")
    try:
        records = [(r, ledger.stored_draft(conn, r.number)) for r in ledger.invoices(conn)]
    finally:
        conn.close()
    return ws.root, records


def documents(root, record) -> list[tuple[str, bytes]]:
    """The XMLs of an invoice or credit note: the one its PDF embeds, and its XRechnung if it has one."""
    found = [("factur-x", embedded(root / record.pdf_path))]
    xrechnung = (root / record.pdf_path).with_suffix(".xrechnung.xml")
    if xrechnung.exists():
        found.append(("xrechnung", xrechnung.read_bytes()))
    return found


def test_every_model_and_its_credit_note_is_there(models):
    _, records = models
    units = {(line.unit, line.quantity > 0 if r.kind == "invoice" else line.quantity < 0)
             for r, stored in records for line in stored.draft.lines}
    # MON, QAN, HUR and C62 lines, on invoices and negated on credit notes; the cap's write-down: −1 C62
    assert {("MON", True), ("QAN", True), ("HUR", True), ("C62", True), ("C62", False)} <= units
    kinds = {(r.kind, r.client_key) for r, _ in records}
    assert {("invoice", "kaffee"), ("credit-note", "kaffee"), ("invoice", "acme")} <= kinds
    notes = [line for r, stored in records if r.kind == "credit-note" for line in stored.draft.lines]
    assert {line.unit for line in notes} == {"MON", "QAN", "HUR", "C62"}
    assert any(line.unit == "C62" and line.quantity == 1 and line.amount > 0 for line in notes), \
        "a credit note cancels the cap's write-down with a positive line"
    assert all((r.pdf_path and (models[0] / r.pdf_path).with_suffix(".xrechnung.xml").exists()) ==
               (r.client_key in ("kaffee", "acme")) for r, _ in records)


def test_the_xml_of_every_model_passes_the_xsd_and_the_en16931_schematron(models, schematron):
    root, records = models
    for record, _ in records:
        for flavour, xml in documents(root, record):
            assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931"), (record.number, flavour)
            if flavour == "xrechnung":  # the EN 16931 rules, as test_einvoice checks an XRechnung
                assert value(etree.fromstring(xml), "//ram:BuyerReference")
                xml = xml.replace(XRECHNUNG.encode(), FACTURX.encode())
            assert schematron(xml) == [], (record.number, flavour)  # no failure, not even a warning


def test_the_xml_states_each_lines_unit_and_the_ledgers_totals(models):
    root, records = models
    for record, stored in records:
        sign = -1 if record.kind == "credit-note" else 1
        for flavour, xml in documents(root, record):
            doc = etree.fromstring(xml)
            nodes = doc.xpath("//ram:IncludedSupplyChainTradeLineItem", namespaces=NS)
            assert len(nodes) == len(stored.draft.lines), (record.number, flavour)
            total = Decimal(0)
            for node, line in zip(nodes, stored.draft.lines):
                quantity = money(node, ".//ram:BilledQuantity")
                price = money(node, ".//ram:NetPriceProductTradePrice/ram:ChargeAmount")
                amount = money(node, ".//ram:LineTotalAmount")
                assert value(node, ".//ram:BilledQuantity/@unitCode") == line.unit
                assert price >= 0  # BR-27: never a negative price, a write-down is a negative quantity
                assert amount == (quantity * price).quantize(CENT, ROUND_HALF_UP)
                assert (quantity, price, amount) == (sign * line.quantity, line.unit_price, sign * line.amount)
                total += amount
            summary = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
            assert money(doc, summary + "ram:LineTotalAmount") == total == sign * record.net
            assert (money(doc, summary + "ram:TaxBasisTotalAmount"), money(doc, summary + "ram:TaxTotalAmount"),
                    money(doc, summary + "ram:GrandTotalAmount"), money(doc, summary + "ram:DuePayableAmount")) == (
                sign * record.net, sign * record.vat, sign * record.gross, sign * record.gross)


def test_novembers_kaffee_invoice_holds_the_hand_computed_lines(models):
    _, records = models
    novembers = [(r, s) for r, s in records if r.client_key == "kaffee" and r.period == "2026-11"
                 and r.kind == "invoice"]
    (first, _), (again, stored), (late, late_stored) = novembers
    assert (first.status, again.status, late.status) == ("void", "issued", "issued")
    # seo: 25 h × 95.00 = 2,375.00, capped at 2,000.00: −375.00; care: 12 + 3 rolled over (12 − 9) = 15 h
    # included, 17 h: 2 h × 110.00 = 220.00; support: Q4 billed in October, 6 + 5.5 = 11.5 h of 10: 1.5 h
    # × 100.00 (the client's rate) = 150.00; launch: Beta, done 2026-11-20, 30 % of 12,000.00 = 3,600.00
    assert [(line.job_key, line.unit, str(line.quantity), str(line.amount)) for line in stored.draft.lines] == [
        ("seo", "HUR", "25", "2375.00"), ("seo", "C62", "-1", "-375.00"),
        ("care", "MON", "1", "1500.00"), ("care", "HUR", "2", "220.00"),
        ("launch", "C62", "1", "3600.00"), ("support", "HUR", "1.5", "150.00"), ("", "C62", "1", "40.00")]
    assert again.net == Decimal("7510.00")  # 2,375 − 375 + 1,500 + 220 + 3,600 + 150 + the book's 40.00
    # VAT per rate: 7,470.00 × 19 % = 1,419.30 and 40.00 × 7 % = 2.80
    assert again.vat == Decimal("1422.10")
    assert [(line.unit, str(line.quantity)) for line in late_stored.draft.lines] == [("HUR", "2")]
