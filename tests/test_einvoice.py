"""E-invoices: every issued PDF is a Factur-X PDF/A-3b whose XML passes the official XSD, the
EN 16931 schematron and the arithmetic rules, and says what the ledger says."""

import shutil
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import facturx
import pytest
from lxml import etree
from pypdf import PdfReader

from auftakt_batch import ledger
from auftakt_batch.billing import bill, void
from auftakt_batch.einvoice.cii import FACTURX, XRECHNUNG, split_address
from auftakt_batch.periods import parse_period

from .conftest import RATES, copy_demo, edited

pytestmark = pytest.mark.real_pdf  # Factur-X: the XML inside the PDF, the PDF/A-3b itself

NS = {"rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
      "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
      "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
      "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"}
SVRL = "{http://purl.oclc.org/dsdl/svrl}"
SCHEMATRON = Path(facturx.__file__).parent / "xsd_and_schematron" / "facturx-en16931" / "FACTUR-X_EN16931.xslt"
ISSUED_ON = date(2026, 12, 3)
CENT = Decimal("0.01")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo workspace billed, then its first invoice cancelled by a credit note."""
    root = copy_demo(tmp_path_factory.mktemp("demo"))
    bill(root, parse_period("2026-11"), today=ISSUED_ON)
    void(root, "2026-0001", "wrong rate", today=ISSUED_ON)
    conn = ledger.connect(root / "output" / "ledger.sqlite")
    records = [(r, ledger.stored_draft(conn, r.number)) for r in ledger.invoices(conn)]
    conn.close()
    return root, records


@pytest.fixture(scope="module")
def schematron():
    saxonche = pytest.importorskip("saxonche")
    with saxonche.PySaxonProcessor(license=False) as processor:
        executable = processor.new_xslt30_processor().compile_stylesheet(stylesheet_file=str(SCHEMATRON))

        def failures(xml: bytes) -> list[tuple[str, str, str]]:
            svrl = etree.fromstring(executable.transform_to_string(
                xdm_node=processor.parse_xml(xml_text=xml.decode())).encode())
            return [(f.get("id"), f.get("flag"), " ".join("".join(f.itertext()).split()))
                    for f in svrl.iter(f"{SVRL}failed-assert")]

        yield failures


def embedded(pdf: Path) -> bytes:
    name, xml = facturx.get_xml_from_pdf(pdf.read_bytes(), check_xsd=False)
    assert name == "factur-x.xml"
    return xml


def value(node, path: str) -> str:
    (found,) = node.xpath(path, namespaces=NS)
    return found if isinstance(found, str) else found.text


def money(node, path: str) -> Decimal:
    return Decimal(value(node, path))


def test_every_pdf_is_a_pdf_a_3b_with_its_xml_attached_as_the_alternative(demo):
    root, records = demo
    assert len(records) == 18  # 17 invoices and a credit note
    for record, stored in records:
        reader = PdfReader(root / record.pdf_path)
        catalog = reader.trailer["/Root"]
        xmp = catalog["/Metadata"].get_object().get_data().decode()
        assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp, record.number
        assert "<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>" in xmp
        assert "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>" in xmp
        packet = etree.fromstring(xmp[xmp.index("<x:xmpmeta"):xmp.index("</x:xmpmeta>") + len("</x:xmpmeta>")])
        assert len(packet) == 1  # one rdf:RDF, as strict XMP readers want it
        specs = [spec.get_object() for spec in catalog["/AF"]]
        (xml_spec,) = [spec for spec in specs if spec["/F"] == "factur-x.xml"]  # listed once
        assert xml_spec["/AFRelationship"] == "/Alternative"
        # the receipts of the invoice's expenses (the demo's Xenia and Zephyr) beside it, as supplements
        assert [spec["/AFRelationship"] for spec in specs if spec is not xml_spec] == ["/Supplement"] * (len(specs) - 1)
        assert len(specs) - 1 == len({c.receipt for line in stored.draft.lines for c in line.charges if c.receipt})


def test_the_xml_passes_the_xsd_and_the_en16931_schematron(demo, schematron):
    root, records = demo
    for record, _ in records:
        xml = embedded(root / record.pdf_path)
        assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
        assert [f for f in schematron(xml) if f[1] != "warning"] == [], record.number
        assert schematron(xml) == [], record.number  # not even a warning


def test_the_xml_adds_up_and_says_what_the_ledger_says(demo):
    root, records = demo
    for record, stored in records:
        doc = etree.fromstring(embedded(root / record.pdf_path))
        credit = record.kind == "credit-note"
        sign = -1 if credit else 1
        assert value(doc, "//rsm:ExchangedDocument/ram:ID") == record.number
        assert value(doc, "//rsm:ExchangedDocument/ram:TypeCode") == ("381" if credit else "380")
        assert value(doc, "//ram:IssueDateTime/udt:DateTimeString") == f"{record.issue_date:%Y%m%d}"
        assert value(doc, "//ram:InvoiceCurrencyCode") == record.currency
        lines = doc.xpath("//ram:IncludedSupplyChainTradeLineItem", namespaces=NS)
        assert len(lines) == len(stored.draft.lines)
        total = Decimal(0)
        for node, line in zip(lines, stored.draft.lines):
            quantity = money(node, ".//ram:BilledQuantity")
            price = money(node, ".//ram:NetPriceProductTradePrice/ram:ChargeAmount")
            amount = money(node, ".//ram:LineTotalAmount")
            assert value(node, ".//ram:BilledQuantity/@unitCode") == line.unit  # HUR, MON, QAN or C62
            assert amount == (quantity * price).quantize(CENT, ROUND_HALF_UP)  # line = quantity × price
            assert (quantity, price, amount) == (sign * line.quantity, line.unit_price, sign * line.amount)
            total += amount
        summary = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
        net, vat, gross = (money(doc, summary + f"ram:{t}") for t in ("TaxBasisTotalAmount", "TaxTotalAmount",
                                                                      "GrandTotalAmount"))
        assert money(doc, summary + "ram:LineTotalAmount") == total == net  # BR-CO-10
        assert (net, vat, gross) == (sign * record.net, sign * record.vat, sign * record.gross)
        assert gross == net + vat and money(doc, summary + "ram:DuePayableAmount") == gross
        (tax,) = doc.xpath("//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=NS)
        category = {"standard": "S", "reverse-charge": "AE", "exempt": "E", "outside-scope": "O"}[
            stored.draft.vat_mode]
        rate = money(tax, "ram:RateApplicablePercent") if category != "O" else Decimal(0)  # O has none (BR-O-05)
        assert money(tax, "ram:BasisAmount") == net
        assert money(tax, "ram:CalculatedAmount") == (net * rate / 100).quantize(CENT, ROUND_HALF_UP) == vat
        assert value(tax, "ram:CategoryCode") == category
        if category in ("AE", "O"):
            assert value(tax, "ram:ExemptionReasonCode") == f"VATEX-EU-{category}" and rate == 0
    units = {line.unit for _, stored in records for line in stored.draft.lines}
    assert units == {"HUR", "MON", "QAN", "C62"}  # the demo bills every model: hours, retainers, milestones, expenses


def test_parties_period_payment_and_the_credit_notes_reference(demo):
    root, records = demo
    (first, _), (note, _) = records[0], records[-1]
    doc = etree.fromstring(embedded(root / first.pdf_path))
    seller = doc.xpath("//ram:SellerTradeParty", namespaces=NS)[0]
    assert value(seller, "ram:Name") == "Auftakt Studio GmbH"
    assert [value(seller, f"ram:PostalTradeAddress/ram:{t}") for t in ("PostcodeCode", "LineOne", "CityName",
                                                                       "CountryID")] == [
        "10119", "Torstraße 1", "Berlin", "DE"]
    assert value(seller, "ram:SpecifiedTaxRegistration/ram:ID") == "DE123456789"
    assert value(doc, "//ram:BuyerTradeParty/ram:Name") == "ACME GmbH"
    assert value(doc, "//ram:IBANID") == "DE89370400440532013000"
    assert value(doc, "//ram:DueDateDateTime/udt:DateTimeString") == f"{first.due_date:%Y%m%d}"
    assert [value(doc, f"//ram:ApplicableHeaderTradeSettlement/ram:BillingSpecifiedPeriod/ram:{t}/udt:DateTimeString")
            for t in ("StartDateTime", "EndDateTime")] == ["20261101", "20261130"]
    credit = etree.fromstring(embedded(root / note.pdf_path))
    assert value(credit, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == "2026-0001"
    assert value(credit, "//ram:InvoiceReferencedDocument/ram:FormattedIssueDateTime/qdt:DateTimeString") == \
        f"{first.issue_date:%Y%m%d}"
    assert "wrong rate" in value(credit, "//ram:IncludedNote/ram:Content")


def test_addresses_are_split_into_postcode_street_and_city():
    assert split_address("Torstraße 1\n10119 Berlin") == ("10119", ["Torstraße 1"], "Berlin")
    assert split_address("c/o Hub\nMain St 5\nD-80331 München") == ("80331", ["c/o Hub", "Main St 5"], "München")
    assert split_address("1 Canal St\nEC1A 1BB London") == ("EC1A 1BB", ["1 Canal St"], "London")
    assert split_address("Keizersgracht 1\n1015 CJ Amsterdam\nNetherlands") == ("1015 CJ", ["Keizersgracht 1"],
                                                                              "Amsterdam")
    assert split_address("ul. Prosta 1\n00-001 Warszawa") == ("00-001", ["ul. Prosta 1"], "Warszawa")
    assert split_address("Storgatan 1\n111 43 Stockholm\nSchweden") == ("111 43", ["Storgatan 1"], "Stockholm")
    assert split_address("A\nB\nC\nD\n10115 Berlin") == ("10115", ["A", "B", "C, D"], "Berlin")
    assert split_address("Somewhere") == (None, [], "Somewhere")
    assert split_address(None) == (None, [], None)


def epc(text: str) -> dict:
    lines = text.split("\n")
    assert lines[:4] == ["BCD", "002", lines[2], "SCT"] and lines[2] in ("1", "2")
    return {"bic": lines[4], "name": lines[5], "iban": lines[6], "amount": Decimal(lines[7].removeprefix("EUR")),
            "text": lines[10] if len(lines) > 10 else ""}


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs pdftoppm (poppler-utils) to see the page")
def test_the_payment_qr_code_on_the_page_pays_the_invoice(demo, tmp_path):
    import subprocess

    import zxingcpp
    from PIL import Image

    root, records = demo
    for record, _ in records:
        # every page at 100 dpi: each demo invoice's code is found down to 60 dpi (200 dpi took three times as long)
        subprocess.run(["pdftoppm", "-r", "100", "-png", str(root / record.pdf_path), str(tmp_path / record.number)],
                       check=True)
        codes = [c.text for page in sorted(tmp_path.glob(f"{record.number}-*.png"))
                 for c in zxingcpp.read_barcodes(Image.open(page)) if c.text.startswith("BCD")]
        if record.kind == "credit-note" or record.currency != "EUR":
            assert codes == [], record.number  # nothing to pay, or not in euros: no code
            continue
        (code,) = codes
        assert epc(code) == {"bic": "COBADEFFXXX", "name": "Auftakt Studio GmbH", "iban": "DE89370400440532013000",
                             "amount": record.gross, "text": record.number}


def test_the_payment_qr_code_holds_iban_amount_and_number():
    import io

    import zxingcpp
    from PIL import Image

    from auftakt_batch.render.qr import payment_qr

    code = payment_qr("Auftakt Studio GmbH", "DE89 3704 0044 0532 0130 00", None, Decimal("1234.50"), "2026-0042")
    image = io.BytesIO()
    code.save(image, kind="png", scale=4, border=4)
    (found,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(image.getvalue())))
    assert epc(found.text) == {"bic": "", "name": "Auftakt Studio GmbH", "iban": "DE89370400440532013000",
                               "amount": Decimal("1234.50"), "text": "2026-0042"}
    assert payment_qr("X", "DE89370400440532013000", None, Decimal("0.00"), "1") is None  # nothing to pay


XRECHNUNG_RATES = edited(edited(RATES, '  vat_rate: "19"\n', '''  vat_rate: "19"
  address: "Torstraße 1\\n10119 Berlin"
  tax_number: 27/123/45678
  email: billing@studio.example
  contact: Clara Weiß
  phone: "+49 30 1234567"
  iban: DE89370400440532013000
'''), '    aliases: ["ACME", "Acme Corp."]\n', '''    aliases: ["ACME", "Acme Corp."]
    address: "Bezirksamt Mitte\\nMathilde-Jacob-Platz 1\\n10551 Berlin"
    country: DE
    email: rechnungen@acme.example
    buyer_reference: 991-33333TEST-33
    einvoice: xrechnung
''')


def test_a_public_sector_client_also_gets_an_xrechnung(ws, schematron):
    ws.rates(XRECHNUNG_RATES)
    ws.with_templates().input("week.csv", "date,person,client,job,task,description,hours,billable\n"
                                          "2026-11-03,Anna Schmidt,ACME,website,,Layout,1.5,\n"
                                          "2026-11-04,Ben Okafor,globex,app,,API,2,\n")
    acme, globex = bill(ws.root, parse_period("2026-11"), today=ISSUED_ON).issued
    xml = (ws.root / "output/2026-11/invoices/2026-0001-acme.xrechnung.xml").read_bytes()
    assert not (ws.root / "output/2026-11/invoices/2026-0002-globex.xrechnung.xml").exists()
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    # the EN 16931 rules hold (the Factur-X schematron checks them once told the guideline is its own; KoSIT's
    # XRechnung schematron is not available offline, so its BR-DE rules are checked one by one below)
    assert schematron(xml.replace(XRECHNUNG.encode(), FACTURX.encode())) == []
    doc = etree.fromstring(xml)
    assert value(doc, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == (
        "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0")
    assert value(doc, "//ram:BuyerReference") == "991-33333TEST-33"  # the Leitweg-ID (BR-DE-15)
    contact = doc.xpath("//ram:SellerTradeParty/ram:DefinedTradeContact", namespaces=NS)[0]  # BR-DE-2
    assert [value(contact, p) for p in ("ram:PersonName", "ram:TelephoneUniversalCommunication/ram:CompleteNumber",
                                        "ram:EmailURIUniversalCommunication/ram:URIID")] == [
        "Clara Weiß", "+49 30 1234567", "billing@studio.example"]
    assert value(doc, "//ram:BuyerTradeParty/ram:URIUniversalCommunication/ram:URIID") == "rechnungen@acme.example"
    assert [value(doc, f"//ram:BuyerTradeParty/ram:PostalTradeAddress/ram:{t}") for t in (
        "PostcodeCode", "LineOne", "LineTwo", "CityName")] == [
        "10551", "Bezirksamt Mitte", "Mathilde-Jacob-Platz 1", "Berlin"]
    assert value(doc, "//ram:IBANID") == "DE89370400440532013000"  # BR-DE-1: how to pay
    # the PDF carries the same invoice as Factur-X
    pdf = etree.fromstring(embedded(acme.pdf))
    assert value(pdf, "//rsm:ExchangedDocument/ram:ID") == value(doc, "//rsm:ExchangedDocument/ram:ID") == "2026-0001"


def test_an_xrechnung_client_without_what_xrechnung_needs_is_a_config_error(ws):
    ws.rates(XRECHNUNG_RATES.replace("    buyer_reference: 991-33333TEST-33\n", "").replace("  phone: \"+49 30 1234567\"\n",
                                                                                     ""))
    run = ws.check()
    assert [str(p) for p in run.problems] == [
        "rates.yaml:28: clients.acme.einvoice: an XRechnung needs buyer_reference (the Leitweg-ID), agency.phone — "
        "add them, or remove einvoice"]


def test_credit_notes_of_reverse_charge_and_exempt_invoices_and_hostile_text_stay_valid(ws, schematron):
    rates = XRECHNUNG_RATES.replace("    einvoice: xrechnung\n", "    vat: reverse-charge\n    vat_id: ATU12345678\n"
                                    "    group_by: entry\n").replace("    country: DE\n", "    country: AT\n")
    rates = rates.replace("  globex:\n    name: Globex Corporation\n", "  globex:\n    name: Globex & <Co>\n"
                                                                       "    vat: exempt\n")
    ws.rates(rates)
    ws.with_templates().input("week.csv", "date,person,client,job,task,description,hours,billable\n"
                                          "2026-11-03,Anna Schmidt,ACME,website,,Layout\x0bsoft break,1.5,\n"
                                          "2026-11-04,Ben Okafor,globex,app,,API & <tests>,2,\n")
    issued = bill(ws.root, parse_period("2026-11"), today=ISSUED_ON).issued
    notes = [void(ws.root, i.number, "wrong rate", today=ISSUED_ON) for i in issued]
    for document in [*issued, *notes]:
        xml = embedded(document.pdf)
        assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
        assert schematron(xml) == [], document.number
        assert b"-0.00" not in xml
    acme = etree.fromstring(embedded(issued[0].pdf))
    assert value(acme, "//ram:SpecifiedTradeProduct/ram:Description") == "Layout soft break"
    assert value(acme, "//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == "ATU12345678"
    globex = etree.fromstring(embedded(issued[1].pdf))
    assert value(globex, "//ram:BuyerTradeParty/ram:Name") == "Globex & <Co>"
    assert value(globex, "//ram:BuyerTradeParty/ram:PostalTradeAddress/ram:CountryID") == "DE"  # the agency's


def test_rates_yaml_refuses_what_no_invoice_can_carry(ws):
    ws.rates(RATES.replace('  vat_rate: "19"\n  vat_id: DE123456789\n', '  vat_rate: "0"\n  vat_id: "12-3456789"\n')
             .replace('    rate: "120.00"\n', '    rate: "120.00"\n    vat: reverse-charge\n', 1))
    assert [str(p) for p in ws.check().problems] == [
        "rates.yaml:6: agency.vat_rate: 0 % cannot be the standard rate of globex (EN 16931 BR-S-05) — if you charge "
        "no VAT (e.g. as a small business), set vat: exempt for those clients",
        "rates.yaml:7: agency.vat_id: '12-3456789' is not a VAT ID: it starts with the country code, e.g. "
        "DE123456789",
        "rates.yaml:21: clients.acme.vat: reverse charge needs the client's vat_id: the invoice must show it "
        "(EN 16931 BR-AE-02)"]


# --- the VAT cases (issue 18): each rendered, its XML extracted and validated, its words checked in de and en ---

HEADER = "date,person,client,job,task,description,hours,billable\n"


def vat_rates(clients: str) -> str:
    """The XRechnung agency (VAT ID, IBAN, contact) and its team, with these clients."""
    agency = XRECHNUNG_RATES.split("clients:\n")[0].replace("  iban: DE89370400440532013000\n",
                                                            "  iban: DE89370400440532013000\n  bic: COBADEFFXXX\n")
    return agency + "clients:\n" + clients


def text_of(pdf: Path) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(pdf).pages)


def billed(ws, schematron, clients: str, rows: str) -> dict:
    """Bill the rows; every invoice, its credit note and any XRechnung must pass the XSD and the EN 16931
    schematron (not even a warning). client key -> (its XML, its PDF's text, what was issued)."""
    ws.rates(vat_rates(clients))
    ws.with_templates().input("week.csv", HEADER + rows)
    issued = bill(ws.root, parse_period("2026-11"), today=ISSUED_ON).issued
    assert issued
    for document in [*issued, *(void(ws.root, i.number, "wrong rate", today=ISSUED_ON) for i in issued)]:
        xml = embedded(document.pdf)
        assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
        assert schematron(xml) == [], document.number
        xrechnung = document.pdf.with_name(document.pdf.name.replace(".pdf", ".xrechnung.xml"))
        if xrechnung.exists():
            xml = xrechnung.read_bytes()
            assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
            assert schematron(xml.replace(XRECHNUNG.encode(), FACTURX.encode())) == [], xrechnung.name
    return {i.client_key: (etree.fromstring(embedded(i.pdf)), text_of(i.pdf), i) for i in issued}


def breakdown(doc) -> list[tuple[str, str | None, Decimal, Decimal]]:
    """(category, rate, basis, VAT) of each VAT breakdown (BG-23)."""
    return [(value(tax, "ram:CategoryCode"), (tax.xpath("ram:RateApplicablePercent/text()", namespaces=NS) or [None])[0],
             money(tax, "ram:BasisAmount"), money(tax, "ram:CalculatedAmount"))
            for tax in doc.xpath("//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=NS)]


def reason(doc) -> tuple[str, str | None]:
    (tax,) = doc.xpath("//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=NS)
    return value(tax, "ram:ExemptionReason"), (tax.xpath("ram:ExemptionReasonCode/text()", namespaces=NS) or [None])[0]


def test_services_to_a_business_outside_the_eu_are_not_subject_to_vat(ws, schematron):
    cases = billed(ws, schematron, '''\
  tyrell:
    name: Tyrell Robotics AG
    rate: "100.00"
    address: "Bahnhofstrasse 1\\n8001 Zürich"
    country: CH
    vat_id: CHE123456789
    vat: outside-scope
    jobs: {launch: {name: Product launch}}
  cyberdyne:
    name: Cyberdyne Systems Inc.
    rate: "100.00"
    address: "1 Main St\\nSunnyvale, CA 94086"
    country: US
    language: de
    currency: USD
    vat: outside-scope
    email: ap@cyberdyne.example
    buyer_reference: PO-4711
    einvoice: xrechnung
    jobs: {research: {name: UX research}}
''', "2026-11-03,Anna Schmidt,tyrell,launch,,Storyboard,2,\n2026-11-04,Ben Okafor,cyberdyne,research,,Interviews,3,\n")
    said = {"tyrell": ("Not subject to German VAT (place of supply outside Germany)",
                       "Not subject to German VAT (place of supply outside Germany): no VAT is charged."),
            "cyberdyne": ("Nicht im Inland steuerbare Leistung",
                          "Nicht im Inland steuerbare Leistung; es wird keine Umsatzsteuer berechnet.")}
    for key, (because, note) in said.items():
        doc, text, issued = cases[key]
        assert breakdown(doc) == [("O", None, issued.net, Decimal("0.00"))]  # O: no rate, no VAT (BR-O-05, BR-O-09)
        assert doc.xpath("//ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode/text()",
                         namespaces=NS) == ["O"]
        assert not doc.xpath("//ram:RateApplicablePercent", namespaces=NS)
        assert not doc.xpath("//ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']", namespaces=NS)  # BR-O-02
        assert value(doc, "//ram:SellerTradeParty/ram:ID") == "DE123456789"  # who the seller is (BR-CO-26)
        assert reason(doc) == (because, "VATEX-EU-O")
        assert note in doc.xpath("//ram:IncludedNote/ram:Content/text()", namespaces=NS)
        assert note in text and issued.gross == issued.net
    assert sorted(p.name for p in (ws.root / "output/2026-11/invoices").glob("*.xml")) == [
        "2026-0001-cyberdyne.xrechnung.xml", "2026-0003-cyberdyne.xrechnung.xml"]  # the invoice and its credit note
    assert "CHE123456789" in cases["tyrell"][1]  # the client's VAT ID is still printed on the page
    assert "VAT —" in cases["tyrell"][1] and "VAT 0 %" not in cases["tyrell"][1]  # no rate, as in the XML


def test_reverse_charge_and_exempt_invoices_state_their_reason_in_the_clients_language(ws, schematron):
    cases = billed(ws, schematron, '''\
  initech:
    name: Initech AG
    rate: "100.00"
    country: AT
    vat_id: ATU12345678
    language: de
    vat: reverse-charge
    jobs: {work: {name: Design}}
  hooli:
    name: Hooli Europe Ltd
    rate: "100.00"
    country: IE
    vat_id: IE1234567T
    vat: reverse-charge
    jobs: {work: {name: Design}}
  vhs:
    name: Volkshochschule Mitte
    rate: "100.00"
    language: de
    vat: exempt
    vat_note: "Steuerfrei nach § 4 Nr. 21 UStG"
    jobs: {work: {name: Kurs}}
  school:
    name: Language School
    rate: "100.00"
    vat: exempt
    jobs: {work: {name: Course}}
''', "".join(f"2026-11-0{day},Anna Schmidt,{key},work,,Work,1,\n"
             for day, key in enumerate(("initech", "hooli", "vhs", "school"), 2)))
    said = {
        "initech": ("AE", "Steuerschuldnerschaft des Leistungsempfängers", "VATEX-EU-AE",
                    "Steuerschuldnerschaft des Leistungsempfängers (Reverse Charge). USt-IdNr. des Leistenden "
                    "DE123456789, des Leistungsempfängers ATU12345678."),
        "hooli": ("AE", "Reverse charge", "VATEX-EU-AE",
                  "Reverse charge: VAT is payable by the recipient (Art. 196 VAT Directive 2006/112/EC). "
                  "Supplier VAT ID DE123456789, recipient VAT ID IE1234567T."),
        "vhs": ("E", "Steuerfrei nach § 4 Nr. 21 UStG", None,  # the client's vat_note overrides the default
                "Steuerfrei nach § 4 Nr. 21 UStG; es wird keine Umsatzsteuer berechnet."),
        "school": ("E", "VAT exempt", None, "VAT exempt: no VAT is charged."),
    }
    for key, (category, because, code, note) in said.items():
        doc, text, issued = cases[key]
        assert breakdown(doc) == [(category, "0", issued.net, Decimal("0.00"))], key
        assert reason(doc) == (because, code), key
        assert note in doc.xpath("//ram:IncludedNote/ram:Content/text()", namespaces=NS), key
        assert note in text, key
    assert value(cases["initech"][0], "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']") == "DE123456789"


def test_a_job_at_its_own_rate_gets_a_vat_breakdown_per_rate_each_rounded_on_its_own(ws, schematron):
    jobs = '''    group_by: entry
    jobs:
      website: {name: Website relaunch, rate: "120.00"}
      rights: {name: Usage rights, rate: "150.50", vat_rate: "7"}
'''
    cases = billed(ws, schematron, f"  acme:\n    name: ACME GmbH\n    language: de\n{jobs}"
                                   f"  globex:\n    name: Globex GmbH\n{jobs}",
                   "".join(f"2026-11-0{day},Anna Schmidt,{key},{job},,Work {day},{hours},\n"
                           for key in ("acme", "globex")
                           for day, job, hours in ((2, "website", "1.5"), (3, "rights", 1), (4, "rights", 1))))
    for doc, _, issued in cases.values():
        # 7 % of 301.00 is 21.07; rounded per line it would be 2 × 10.54 = 21.08 (BR-CO-17 rounds per breakdown)
        assert breakdown(doc) == [("S", "19", Decimal("180.00"), Decimal("34.20")),
                                  ("S", "7", Decimal("301.00"), Decimal("21.07"))]
        assert sorted(doc.xpath("//ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/ram:RateApplicablePercent"
                                "/text()", namespaces=NS)) == ["19", "7", "7"]
        assert money(doc, "//ram:TaxTotalAmount") == Decimal("55.27") == issued.gross - issued.net  # BR-CO-14
    assert "USt. 19 % auf 180,00 € 34,20 €" in cases["acme"][1]
    assert "USt. 7 % auf 301,00 € 21,07 €" in cases["acme"][1]
    assert "VAT 19 % of €180.00 €34.20" in cases["globex"][1]
    assert "VAT 7 % of €301.00 €21.07" in cases["globex"][1]
    # and each line says which rate applies (§14(4) UStG), as an invoice with one rate need not
    for line in ("Usage rights — Work 3 03.11.2026 · USt. 7 % 1,00", "Website relaunch — Work 2 02.11.2026 · USt. 19 %",
                 "Usage rights — Work 4 04.11.2026 · USt. 7 % 1,00"):
        assert line in cases["acme"][1]
    assert "· VAT 7 %" in cases["globex"][1]
    conn = ledger.connect(ws.root / "output" / "ledger.sqlite")
    stored = ledger.stored_draft(conn, cases["acme"][2].number).draft
    assert {line.job_key: line.vat_rate for line in stored.lines} == {"website": Decimal(19), "rights": Decimal(7)}
    assert conn.execute("SELECT vat_rate, vat FROM invoices WHERE number = ?", (cases["acme"][2].number,)).fetchone() \
        == ("19", "55.27")
    conn.close()


def test_rates_yaml_refuses_vat_cases_no_valid_invoice_can_carry(ws):
    ws.rates(vat_rates('''\
  acme:
    name: ACME GmbH
    vat: outside-scope
  globex:
    name: Globex GmbH
    country: DE
    vat_id: DE987654321
    vat: reverse-charge
  initech:
    name: Initech SARL
    country: FR
    vat: outside-scope
  tyrell:
    name: Tyrell AG
    country: CH
    vat: outside-scope
    jobs: {rights: {vat_rate: "0"}}
  wonka:
    name: Wonka Inc.
    country: US
    vat: reverse-charge
    vat_id: US123
  umbrella:
    name: Umbrella GmbH
    country: de
    vat: reverse-charge
    vat_id: DE111111111
'''))
    assert [str(p) for p in ws.check().problems] == [
        "rates.yaml:26: clients.acme.vat: outside-scope is for a client outside the agency's country; this client is "
        "in DE (it has no country: the agency's) — use standard, or set the client's country",
        "rates.yaml:31: clients.globex.vat: reverse charge is for a client in another country; this client is in DE, "
        "where the agency charges VAT itself — use standard, or set the client's country",
        "rates.yaml:35: clients.initech.vat: a business client in FR (EU) is billed with reverse charge, not "
        "outside-scope — use vat: reverse-charge and its vat_id",
        "rates.yaml:40: clients.tyrell.jobs.rights.vat_rate: 0 % is not a standard rate (EN 16931 BR-S-05) — leave "
        'vat_rate out, or give the reduced rate, e.g. "7"',
        "rates.yaml:44: clients.wonka.vat: a business client in US (outside the EU) is not subject to the agency's "
        "VAT (place of supply: the client's country) — use vat: outside-scope; reverse charge is for clients in the "
        "EU",
        "rates.yaml:48: clients.umbrella.country: 'de' is not an ISO country code like DE"]  # and nothing on its vat


def test_receipts_are_embedded_beside_the_factur_x_xml_and_the_xml_stays_valid(ws, schematron):
    receipt = b"%PDF-1.4\n% a stock photo licence\n"
    ws.with_templates().input("receipts/photo.pdf", receipt)
    ws.input("expenses.csv", "date,person,client,job,category,description,amount,currency,billable,receipt\n"
                             "2026-11-04,Anna Schmidt,ACME,website,Stock photos,Hero image,49.99,EUR,yes,"
                             "receipts/photo.pdf\n")
    (issued,) = bill(ws.root, parse_period("2026-11"), today=ISSUED_ON).issued
    reader = PdfReader(issued.pdf)
    catalog = reader.trailer["/Root"]
    xmp = catalog["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3"' in xmp
    specs = [spec.get_object() for spec in catalog["/AF"]]
    assert [(s["/F"], s["/AFRelationship"]) for s in specs] == [("factur-x.xml", "/Alternative"),
                                                                 ("photo.pdf", "/Supplement")]
    assert reader.attachments["photo.pdf"] == [receipt]
    xml = embedded(issued.pdf)
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert schematron(xml) == []
    assert "receipt attached: photo.pdf" in text_of(issued.pdf)
