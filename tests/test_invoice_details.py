"""What the law and an accounts department want on every invoice, on the PDF and in its XML: the
agency's tax number, register and managing directors, the credit note's reference to the invoice
it cancels (number and date), a checked Leitweg-ID, the XML's free texts in the client's language,
no SEPA claim outside euros, and the embedded XML's dates those of the document."""

from datetime import datetime
from zoneinfo import ZoneInfo

import facturx
import pytest
from lxml import etree
from pypdf import PdfReader

from auftakt_batch.billing import bill, void
from auftakt_batch.config.leitweg import leitweg_fault, looks_like_leitweg
from auftakt_batch.periods import parse_period

from .conftest import dedent, edited
from .test_einvoice import FACTURX, ISSUED_ON, NS, XRECHNUNG, XRECHNUNG_RATES, embedded, schematron, value  # noqa: F401

pytestmark = pytest.mark.real_pdf  # what is on the PDF and in the XML it embeds

DETAILS = edited(XRECHNUNG_RATES, "  vat_id: DE123456789\n", '''  vat_id: DE123456789
  register: "Amtsgericht Berlin-Charlottenburg HRB 123456"
  managing_directors: ["Clara Weiß", "Ben Okafor"]
  bic: COBADEFFXXX
''')
# the agency's tax number is XRECHNUNG_RATES': 27/123/45678
ENTRIES = dedent("""\
    date,person,client,job,task,description,hours,billable
    2026-11-03,Anna Schmidt,ACME,website,,Layout,1.5,
    2026-11-04,Ben Okafor,globex,app,,API,2,
    """)


def pdf_text(path) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(path).pages)


def valid(xml: bytes, schematron) -> etree._Element:  # noqa: F811
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert schematron(xml.replace(XRECHNUNG.encode(), FACTURX.encode())) == []
    return etree.fromstring(xml)


def billed(ws, rates: str, language: str):
    """ACME (XRechnung) and Globex billed in `language`, and ACME's invoice cancelled."""
    ws.rates(rates.replace("    rate: \"120.00\"\n", f"    rate: \"120.00\"\n    language: {language}\n")
             .replace("    name: Globex Corporation\n", f"    name: Globex Corporation\n    language: {language}\n"))
    ws.with_templates().input("week.csv", ENTRIES)
    assert list(ws.check().problems) == []
    issued = bill(ws.root, parse_period("2026-11"), today=ISSUED_ON).issued
    return issued, void(ws.root, issued[0].number, "wrong rate", today=ISSUED_ON)


PRINTED = {
    "en": ["Tax number 27/123/45678", "Amtsgericht Berlin-Charlottenburg HRB 123456",
           "Managing directors: Clara Weiß, Ben Okafor"],
    "de": ["Steuernummer 27/123/45678", "Amtsgericht Berlin-Charlottenburg HRB 123456",
           "Geschäftsführung: Clara Weiß, Ben Okafor"],
}
CANCELS = {"en": "This credit note cancels invoice 2026-0001 of 3 Dec 2026 in full. Reason: wrong rate",
           "de": "Diese Stornorechnung storniert die Rechnung 2026-0001 vom 03.12.2026 vollständig. Grund: wrong rate"}
TERMS = {"en": ("Payable within 14 days, by 17 Dec 2026", "Nothing to pay: cancels invoice 2026-0001"),
         "de": ("Zahlbar innerhalb von 14 Tagen bis zum 17.12.2026", "Nichts zu zahlen: storniert die Rechnung 2026-0001")}


@pytest.mark.parametrize("language", ["en", "de"])
def test_tax_number_register_directors_and_the_cancelled_invoice_on_pdf_and_in_xml(ws, schematron, language):  # noqa: F811
    (acme, globex), note = billed(ws, DETAILS, language)
    for document in (acme, globex, note):
        text = pdf_text(document.pdf)
        assert all(words in text for words in PRINTED[language]), (document.number, text)
        doc = valid(embedded(document.pdf), schematron)
        registrations = doc.xpath("//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID", namespaces=NS)
        assert [(r.get("schemeID"), r.text) for r in registrations] == [("VA", "DE123456789"), ("FC", "27/123/45678")]
    xrechnung = (ws.root / "output/2026-11/invoices/2026-0001-acme.xrechnung.xml").read_bytes()
    assert value(valid(xrechnung, schematron), "//ram:BuyerReference") == "991-33333TEST-33"
    # the credit note: the number and date of the invoice it cancels, printed and in the XML (BT-25, BT-26)
    assert CANCELS[language] in pdf_text(note.pdf)
    credit = valid(embedded(note.pdf), schematron)
    assert value(credit, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == "2026-0001"
    assert value(credit, "//ram:InvoiceReferencedDocument/ram:FormattedIssueDateTime/qdt:DateTimeString") == "20261203"
    # the XML's free texts are the PDF's, in the client's language
    assert value(credit, "//ram:IncludedNote/ram:Content") == CANCELS[language]
    assert value(credit, "//ram:SpecifiedTradePaymentTerms/ram:Description") == TERMS[language][1]
    invoice = etree.fromstring(embedded(acme.pdf))
    assert value(invoice, "//ram:SpecifiedTradePaymentTerms/ram:Description") == TERMS[language][0]




def test_leitweg_ids_are_checked_by_format_and_iso_7064_check_digits():
    # public examples: KoSIT's format specification (04011000-1234512345-06) and XRechnung test data
    for good in ("04011000-1234512345-06", "991-33333TEST-33", "991-99012-32", "99661-WEBSERVICEOZG-28"):
        assert leitweg_fault(good) is None, good
    for bad in ("04011000-1234512345-05", "04011000-12345-34", "991-01234-56"):  # a check digit off
        assert "check digits" in leitweg_fault(bad), bad
    for shape in ("991-01234", "1-01234-38", "1234567890123-1-00", "991-ABC_DEF-33", "991-01234-4"):
        assert "2–12 digits" in leitweg_fault(shape), shape
    # a business's order number on an XRechnung is no Leitweg-ID and is not checked as one
    assert [looks_like_leitweg(text) for text in ("PO-4711", "4711", "991-01234-56", " 04011000-1")] == [
        False, False, True, True]


def test_rates_yaml_refuses_a_wrong_leitweg_id_and_an_invoice_without_tax_number_or_vat_id(ws):
    ws.rates(XRECHNUNG_RATES.replace("991-33333TEST-33", "991-33333TEST-34").replace("  tax_number: 27/123/45678\n", "")
             .replace("  vat_id: DE123456789\n", ""))
    assert [str(p) for p in ws.check().problems] == [
        "rates.yaml:1: agency: an invoice must show the agency's tax number or VAT ID (§14(4) UStG, EN 16931 BR-S-02) "
        "— add tax_number or vat_id",
        "rates.yaml:27: clients.acme.buyer_reference: '991-33333TEST-34' is not a Leitweg-ID: its check digits 34 do "
        "not match (ISO 7064 MOD 97-10) — copy it again from the authority's order"]


def pdf_date(text: str) -> datetime:
    """A PDF date, D:20261203120000+01'00 or D:20261203110000Z, as an aware datetime."""
    stamp, zone = text[2:16], text[16:].replace("'", "")
    return datetime.strptime(stamp + ("+0000" if zone in ("Z", "") else zone), "%Y%m%d%H%M%S%z")


def test_the_embedded_xmls_dates_are_the_documents(ws):
    ws.with_templates().input("week.csv", ENTRIES)
    ws.rates(DETAILS)
    for issued in bill(ws.root, parse_period("2026-11"), today=ISSUED_ON).issued:
        reader = PdfReader(issued.pdf)
        catalog = reader.trailer["/Root"]
        params = catalog["/AF"][0].get_object()["/EF"]["/F"].get_object()["/Params"]
        xmp = catalog["/Metadata"].get_object().get_data().decode()
        created = datetime.fromisoformat(xmp.split("<xmp:CreateDate>")[1].split("<")[0])
        modified = datetime.fromisoformat(xmp.split("<xmp:ModifyDate>")[1].split("<")[0])
        info = reader.metadata
        assert created == modified == datetime(2026, 12, 3, 12, tzinfo=ZoneInfo("Europe/Berlin"))  # the stamped noon
        assert {pdf_date(info["/CreationDate"]), pdf_date(info["/ModDate"]), pdf_date(params["/CreationDate"]),
                pdf_date(params["/ModDate"])} == {created}


PAY = {"en": "Please transfer US$57.12 by 17 Dec 2026 to IBAN DE89370400440532013000 (BIC COBADEFFXXX)",
       "de": "Bitte überweisen Sie 57,12 $ bis zum 17.12.2026 auf IBAN DE89370400440532013000 (BIC COBADEFFXXX)"}


@pytest.mark.parametrize("language", ["en", "de"])
def test_an_invoice_outside_euros_claims_no_sepa_transfer_and_no_girocode(ws, schematron, language):  # noqa: F811
    rates = DETAILS.replace("    name: Globex Corporation\n", "    name: Globex Corporation\n    currency: USD\n")
    ws.rates(rates.replace("app: {name: Customer app, rate: \"150.00\"}", "app: {name: Customer app, rate: \"24.00\"}")
             .replace("    name: Globex Corporation\n", f"    name: Globex Corporation\n    language: {language}\n"))
    ws.with_templates().input("week.csv", ENTRIES)
    acme, globex = bill(ws.root, parse_period("2026-11"), today=ISSUED_ON).issued
    text = pdf_text(globex.pdf)
    assert PAY[language] in text
    assert "Scan" not in text and "scannen" not in text  # the EPC code pays euros only
    doc = valid(embedded(globex.pdf), schematron)
    assert value(doc, "//ram:InvoiceCurrencyCode") == "USD"
    means = doc.xpath("//ram:SpecifiedTradeSettlementPaymentMeans", namespaces=NS)[0]
    assert [value(means, p) for p in ("ram:TypeCode", "ram:PayeePartyCreditorFinancialAccount/ram:IBANID",
                                      "ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID")] == [
        "30", "DE89370400440532013000", "COBADEFFXXX"]
    assert value(valid(embedded(acme.pdf), schematron), "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode") \
        == "58"  # in euros: SEPA
    ws.rates(rates.replace("  bic: COBADEFFXXX\n", ""))
    assert [str(p) for p in ws.check().problems] == [
        "rates.yaml:12: agency.iban: invoices in USD are paid by international transfer, which needs the bank's BIC "
        "besides the IBAN — add agency.bic"]


VAT_NOTES = {
    "en": ("Reverse charge: VAT is payable by the recipient (Art. 196 VAT Directive 2006/112/EC). Supplier VAT ID "
           "DE123456789, recipient VAT ID ATU12345678.", "VAT exempt: no VAT is charged."),
    "de": ("Steuerschuldnerschaft des Leistungsempfängers (Reverse Charge). USt-IdNr. des Leistenden DE123456789, "
           "des Leistungsempfängers ATU12345678.",
           "Steuerfreie Leistung; es wird keine Umsatzsteuer berechnet."),
}


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_xmls_vat_notes_are_the_printed_ones_in_the_clients_language(ws, schematron, language):  # noqa: F811
    rates = DETAILS.replace("    einvoice: xrechnung\n", "    vat: reverse-charge\n    vat_id: ATU12345678\n").replace(
        "    country: DE\n", "    country: AT\n", 1)  # ACME, in Austria
    rates = rates.replace("    name: Globex Corporation\n", "    name: Globex Corporation\n    vat: exempt\n")
    (acme, globex), note = billed(ws, rates, language)
    for document, printed in ((acme, VAT_NOTES[language][0]), (globex, VAT_NOTES[language][1]),
                              (note, VAT_NOTES[language][0])):
        assert printed in pdf_text(document.pdf)
        notes = valid(embedded(document.pdf), schematron).xpath("//ram:IncludedNote/ram:Content/text()",
                                                                namespaces=NS)
        assert notes[-1] == printed, document.number


def test_a_tax_number_without_a_vat_id_identifies_the_seller(ws, schematron):  # noqa: F811
    (acme, globex), note = billed(ws, DETAILS.replace("  vat_id: DE123456789\n", ""), "de")
    for document in (acme, globex, note):
        assert "Steuernummer 27/123/45678" in pdf_text(document.pdf)
        doc = valid(embedded(document.pdf), schematron)  # BR-S-02: the tax registration (BT-32) suffices
        registrations = doc.xpath("//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID", namespaces=NS)
        assert [(r.get("schemeID"), r.text) for r in registrations] == [("FC", "27/123/45678")]
        assert value(doc, "//ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID") == (
            "Amtsgericht Berlin-Charlottenburg HRB 123456")  # BR-CO-26: the legal registration (BT-30) names it
    ws.rates(DETAILS.replace("  vat_id: DE123456789\n", "").replace(
        '  register: "Amtsgericht Berlin-Charlottenburg HRB 123456"\n', ""))
    assert [str(p) for p in ws.check().problems] == [
        "rates.yaml:8: agency.tax_number: without a vat_id, the e-invoice names the agency by its register entry "
        "(EN 16931 BR-CO-26) — add register (e.g. \"Amtsgericht Berlin-Charlottenburg HRB 123456\") or vat_id"]
