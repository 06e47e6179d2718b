"""An invoice as UN/CEFACT Cross Industry Invoice XML (EN 16931): the data of a Factur-X /
ZUGFeRD PDF, and of an XRechnung.

Needs: an invoice draft as the ledger holds it, its issue data, the config. Gives: the XML
bytes. Everything comes from the same draft the PDF shows, so the two cannot disagree. A credit
note is type 381 with the amounts of the invoice it cancels (positive, as EN 16931 wants a
credit note) and a reference to it. VAT: standard rate (S, one breakdown per rate), reverse
charge (AE, 0 %), exempt (E) or not subject to VAT (O: no rate, and neither party's VAT ID —
EN 16931 BR-O-02 —, so the seller's VAT ID number identifies it as seller ID, BT-29, BR-CO-26);
each without VAT with its reason (BT-120) in the client's language. The free texts (notes,
payment terms) are the PDF's, in the client's language; the seller carries its VAT ID (scheme
VA), its tax number (FC, BT-32) and its register entry (BT-30).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Mapping

from lxml import etree

from ..config import Agency, Client, Config
from ..pricing.invoices import Draft, Line, Share
from ..render.invoice import LABELS, cancels_text, format_date, vat_note, vat_reason

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NAMESPACES = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}

FACTURX = "urn:cen.eu:en16931:2017"
XRECHNUNG = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
PEPPOL_PROCESS = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"

CATEGORIES = {  # vat mode -> (category code, exemption reason code)
    "standard": ("S", None),
    "reverse-charge": ("AE", "VATEX-EU-AE"),
    "exempt": ("E", None),  # the reason is the client's own (its vat_note): no one code fits every exemption
    "outside-scope": ("O", "VATEX-EU-O"),
}
PAYMENT_MEANS = {"EUR": "58"}  # SEPA credit transfer is in euros only; any other currency: 30, credit transfer
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_POSTCODE_CITY = re.compile(
    r"(?:[A-Z]{1,2}-)?"  # D-80331, CH-8001
    r"(\d{4} ?[A-Z]{2}(?= )"  # NL: 1015 CJ
    r"|\d{2}-\d{3}|\d{3} \d{2}(?= )"  # PL: 00-001, SE: 111 43
    r"|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}"  # UK: EC1A 1BB
    r"|\d{4,5})\s+(.+)")  # DE, AT, CH, FR, …


@dataclass(frozen=True, kw_only=True)
class Document:
    number: str
    kind: str  # invoice | credit-note
    issue_date: date
    due_date: date | None
    refers_to: str | None = None  # the invoice a credit note cancels
    refers_to_date: date | None = None
    reason: str | None = None


def cii_xml(draft: Draft, doc: Document, config: Config, guideline: str = FACTURX,
            labels: dict[str, dict[str, str]] = LABELS) -> bytes:
    """`labels`: the invoice's words per language (the workspace's labels.yaml), for the texts the XML carries."""
    sign = -1 if doc.kind == "credit-note" else 1  # a credit note's lines are stored negated; the XML states a credit
    client = config.clients[draft.client_key]
    category, reason_code = CATEGORIES[draft.vat_mode]
    t, language = labels[client.language], client.language
    tax = _Tax(category, reason_code, vat_reason(draft, config, t))

    root = etree.Element(_q("rsm", "CrossIndustryInvoice"), nsmap=NAMESPACES)
    _context(root, guideline)
    _header(root, doc, _notes(doc, t, language, vat_note(draft, config, t)))
    deal = _sub(root, "rsm", "SupplyChainTradeTransaction")
    for position, line in enumerate(draft.lines, 1):
        _line_item(deal, position, line, draft.rate_of(line), tax, sign)
    _agreement(deal, client, config.agency, tax.outside)
    _delivery(deal, draft)
    money = _sub(deal, "ram", "ApplicableHeaderTradeSettlement")
    _payment(money, doc, draft.currency, config.agency)
    for share in draft.breakdown:  # one VAT breakdown (BG-23) per rate
        _breakdown(money, share, tax, sign)
    _period(money, *draft.service)
    _terms(money, doc, t["terms_credit"] if doc.due_date is None else t["terms"], config.agency, language)
    _totals(money, draft, sign)
    if doc.kind == "credit-note" and doc.refers_to:
        reference = _sub(money, "ram", "InvoiceReferencedDocument")
        _text(reference, "IssuerAssignedID", doc.refers_to)
        if doc.refers_to_date:
            _date(_sub(reference, "ram", "FormattedIssueDateTime"), doc.refers_to_date, ns="qdt")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


@dataclass(frozen=True)
class _Tax:
    """How the invoice states its VAT: the category, and why none is charged (a code and words)."""
    category: str
    reason_code: str | None
    reason: str | None

    @property
    def outside(self) -> bool:
        return self.category == "O"  # no VAT identifiers and no rates (BR-O-02, BR-O-05)


@dataclass(frozen=True, kw_only=True)
class _Party:
    """A seller or buyer as CII states it."""
    name: str
    address: str | None
    country: str | None
    email: str | None
    registrations: list[tuple[str, str]]
    contact: tuple[str, str | None, str | None] | None = None  # person, phone, email
    register: str | None = None  # the legal registration identifier (BT-30)
    identifier: str | None = None  # the seller ID (BT-29)


def _context(root: etree._Element, guideline: str) -> None:
    context = _sub(root, "rsm", "ExchangedDocumentContext")
    if guideline == XRECHNUNG:
        _text(_sub(context, "ram", "BusinessProcessSpecifiedDocumentContextParameter"), "ID", PEPPOL_PROCESS)
    _text(_sub(context, "ram", "GuidelineSpecifiedDocumentContextParameter"), "ID", guideline)


def _header(root: etree._Element, doc: Document, notes: list[str]) -> None:
    header = _sub(root, "rsm", "ExchangedDocument")
    _text(header, "ID", doc.number)
    _text(header, "TypeCode", "381" if doc.kind == "credit-note" else "380")
    _date(_sub(header, "ram", "IssueDateTime"), doc.issue_date)
    for note in notes:
        _text(_sub(header, "ram", "IncludedNote"), "Content", note)


def _line_item(deal: etree._Element, position: int, line: Line, rate: Decimal, tax: _Tax, sign: int) -> None:
    item = _sub(deal, "ram", "IncludedSupplyChainTradeLineItem")
    _text(_sub(item, "ram", "AssociatedDocumentLineDocument"), "LineID", str(position))
    product = _sub(item, "ram", "SpecifiedTradeProduct")
    _text(product, "Name", line.job_name)
    if line.detail:
        _text(product, "Description", line.detail)
    price = _sub(_sub(item, "ram", "SpecifiedLineTradeAgreement"), "ram", "NetPriceProductTradePrice")
    _text(price, "ChargeAmount", _money(line.unit_price))
    _text(_sub(item, "ram", "SpecifiedLineTradeDelivery"), "BilledQuantity", _quantity(sign * line.quantity),
          unitCode=line.unit)  # UN/ECE Recommendation 20, as the line's charges are counted
    settlement = _sub(item, "ram", "SpecifiedLineTradeSettlement")
    trade_tax = _sub(settlement, "ram", "ApplicableTradeTax")
    _text(trade_tax, "TypeCode", "VAT")
    _text(trade_tax, "CategoryCode", tax.category)
    if not tax.outside:
        _text(trade_tax, "RateApplicablePercent", _percent(rate))
    _period(settlement, line.first_day, line.last_day)
    _text(_sub(settlement, "ram", "SpecifiedTradeSettlementLineMonetarySummation"), "LineTotalAmount",
          _money(sign * line.amount))


def _agreement(deal: etree._Element, client: Client, agency: Agency, outside: bool) -> None:
    agreement = _sub(deal, "ram", "ApplicableHeaderTradeAgreement")
    if client.buyer_reference:
        _text(agreement, "BuyerReference", client.buyer_reference)
    contact = (agency.contact, agency.phone, agency.email) if agency.contact else None
    _party(agreement, "SellerTradeParty", _Party(
        name=agency.name, address=agency.address, country=agency.country, email=agency.email,
        registrations=_registrations(None if outside else agency.vat_id, agency.tax_number), contact=contact,
        register=agency.register, identifier=agency.vat_id if outside else None))
    _party(agreement, "BuyerTradeParty", _Party(  # a client without a country is in the agency's
        name=client.name, address=client.address, country=client.country or agency.country, email=client.email,
        registrations=_registrations(None if outside else client.vat_id)))


def _delivery(deal: etree._Element, draft: Draft) -> None:
    delivery = _sub(deal, "ram", "ApplicableHeaderTradeDelivery")  # the service was delivered by the last day worked
    event = _sub(delivery, "ram", "ActualDeliverySupplyChainEvent")
    _date(_sub(event, "ram", "OccurrenceDateTime"), max((line.last_day for line in draft.lines),
                                                         default=draft.period.end))


def _payment(money: etree._Element, doc: Document, currency: str, agency: Agency) -> None:
    credit = doc.kind == "credit-note"
    if not credit:
        _text(money, "PaymentReference", doc.number)
    _text(money, "InvoiceCurrencyCode", currency)
    means = _sub(money, "ram", "SpecifiedTradeSettlementPaymentMeans")
    if agency.iban and not credit:
        _text(means, "TypeCode", PAYMENT_MEANS.get(currency, "30"))  # SEPA only in euros
        _text(_sub(means, "ram", "PayeePartyCreditorFinancialAccount"), "IBANID", agency.iban)
        if agency.bic:
            _text(_sub(means, "ram", "PayeeSpecifiedCreditorFinancialInstitution"), "BICID", agency.bic)
    else:
        _text(means, "TypeCode", "1")  # not specified


def _breakdown(money: etree._Element, share: Share, tax: _Tax, sign: int) -> None:
    trade_tax = _sub(money, "ram", "ApplicableTradeTax")
    _text(trade_tax, "CalculatedAmount", _money(sign * share.vat))
    _text(trade_tax, "TypeCode", "VAT")
    if tax.reason:
        _text(trade_tax, "ExemptionReason", tax.reason)
    _text(trade_tax, "BasisAmount", _money(sign * share.basis))
    _text(trade_tax, "CategoryCode", tax.category)
    if tax.reason_code:
        _text(trade_tax, "ExemptionReasonCode", tax.reason_code)
    if not tax.outside:
        _text(trade_tax, "RateApplicablePercent", _percent(share.rate))


def _terms(money: etree._Element, doc: Document, words: str, agency: Agency, language: str) -> None:
    terms = _sub(money, "ram", "SpecifiedTradePaymentTerms")
    if doc.due_date is None:  # a credit note: nothing is due (einvoice_xml gives it no due date)
        _text(terms, "Description", words.format(ref=doc.refers_to))
    else:
        _text(terms, "Description", words.format(days=agency.payment_terms_days,
                                                 due=format_date(doc.due_date, language)))
        _date(_sub(terms, "ram", "DueDateDateTime"), doc.due_date)


def _totals(money: etree._Element, draft: Draft, sign: int) -> None:
    total = _sub(money, "ram", "SpecifiedTradeSettlementHeaderMonetarySummation")
    _text(total, "LineTotalAmount", _money(sign * draft.net))
    _text(total, "TaxBasisTotalAmount", _money(sign * draft.net))
    _text(total, "TaxTotalAmount", _money(sign * draft.vat), currencyID=draft.currency)
    _text(total, "GrandTotalAmount", _money(sign * draft.gross))
    _text(total, "DuePayableAmount", _money(sign * draft.gross))


def _notes(doc: Document, t: Mapping[str, str], language: str, vat: str | None) -> list[str]:
    """The PDF's notes, in its words: what a credit note cancels, and why an invoice charges no VAT."""
    notes = []
    if doc.kind == "credit-note":
        notes.append(cancels_text(t, language, doc.refers_to, doc.refers_to_date, doc.reason))
    if vat:
        notes.append(vat)
    return notes


def _registrations(vat_id: str | None, tax_number: str | None = None) -> list[tuple[str, str]]:
    """A party's tax registrations as (scheme, id): its VAT ID (VA), its national tax number (FC)."""
    return [(scheme, number) for scheme, number in (("VA", vat_id and vat_id.replace(" ", "")), ("FC", tax_number))
            if number]


def _party(parent: etree._Element, tag: str, p: _Party) -> None:
    party = _sub(parent, "ram", tag)
    if p.identifier:
        _text(party, "ID", p.identifier.replace(" ", ""))
    _text(party, "Name", p.name)
    if p.register:  # the legal registration identifier (BT-30): with the VAT ID, what identifies a seller (BR-CO-26)
        _text(_sub(party, "ram", "SpecifiedLegalOrganization"), "ID", p.register)
    if p.contact:
        person, phone, mail = p.contact
        trade_contact = _sub(party, "ram", "DefinedTradeContact")
        _text(trade_contact, "PersonName", person)
        if phone:
            _text(_sub(trade_contact, "ram", "TelephoneUniversalCommunication"), "CompleteNumber", phone)
        if mail:
            _text(_sub(trade_contact, "ram", "EmailURIUniversalCommunication"), "URIID", mail)
    postal = _sub(party, "ram", "PostalTradeAddress")
    postcode, lines, city = split_address(p.address)
    if postcode:
        _text(postal, "PostcodeCode", postcode)
    for field, text in zip(("LineOne", "LineTwo", "LineThree"), lines):
        _text(postal, field, text)
    if city:
        _text(postal, "CityName", city)
    _text(postal, "CountryID", p.country or "")
    if p.email:
        _text(_sub(party, "ram", "URIUniversalCommunication"), "URIID", p.email, schemeID="EM")
    for scheme, number in p.registrations:
        _text(_sub(party, "ram", "SpecifiedTaxRegistration"), "ID", number, schemeID=scheme)


def split_address(address: str | None) -> tuple[str | None, list[str], str | None]:
    """'Torstraße 1\\n10119 Berlin' → ('10119', ['Torstraße 1'], 'Berlin'): postcode, street lines, city."""
    lines = [line.strip() for line in (address or "").splitlines() if line.strip()]
    if len(lines) > 1 and lines[-1].casefold() in _countries():  # the country is the CountryID, not the city
        lines = lines[:-1]
    if not lines:
        return None, [], None
    last = lines[-1]
    if m := _POSTCODE_CITY.fullmatch(last):
        return m[1], _street(lines[:-1]), m[2]
    return None, _street(lines[:-1]), last


def _street(lines: list[str]) -> list[str]:
    """At most three address lines (CII has three): the rest joins the third."""
    return lines[:2] + [", ".join(lines[2:])] if len(lines) > 3 else lines


@cache
def _countries() -> frozenset[str]:
    """Country names in English and German, as an address's last line may name them (read once a
    process: 1 ms each time)."""
    from babel import Locale

    names = {name for language in ("en", "de") for name in Locale(language).territories.values()}
    return frozenset(name.casefold() for name in names | {"USA", "UK", "Deutschland"})


def _period(parent: etree._Element, first: date, last: date) -> None:
    period = _sub(parent, "ram", "BillingSpecifiedPeriod")
    _date(_sub(period, "ram", "StartDateTime"), first)
    _date(_sub(period, "ram", "EndDateTime"), last)


def _q(prefix: str, tag: str) -> str:
    return f"{{{NAMESPACES[prefix]}}}{tag}"


def _sub(parent: etree._Element, prefix: str, tag: str) -> etree._Element:
    return etree.SubElement(parent, _q(prefix, tag))


def _text(parent: etree._Element, tag: str, text: str, **attributes: str) -> None:
    """An element with text; characters XML 1.0 cannot hold (a vertical tab from a word processor)
    become spaces, so no export can stop an invoice from being written."""
    etree.SubElement(parent, _q("ram", tag), attributes).text = _NOT_XML.sub(" ", text)


def _date(parent: etree._Element, day: date, ns: str = "udt") -> None:
    etree.SubElement(parent, _q(ns, "DateTimeString"), format="102").text = f"{day:%Y%m%d}"


def _money(value: Decimal) -> str:
    return f"{value if value else abs(value):.2f}"  # never -0.00: a validator may not take it for zero


def _quantity(value: Decimal) -> str:
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}"


def _percent(value: Decimal) -> str:
    return f"{value.normalize():f}" if value else "0"
