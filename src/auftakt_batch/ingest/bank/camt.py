"""camt.053 (ISO 20022 BankToCustomerStatement) → bookings.

Read safely with lxml: no DTD loaded, no entity resolved, nothing fetched from the network, no
huge trees; a file that declares a DOCTYPE is refused (a bank statement never has one). The
versions 001.02 to 001.13 are read; they differ where this reader looks only in that a party's
name sits in `Dbtr/Nm` up to 001.06 and in `Dbtr/Pty/Nm` from 001.07, a status is `Sts` text up
to 001.07 and `Sts/Cd` after, and a transaction's own amount is `TxDtls/AmtDtls/TxAmt/Amt` in
001.02 and also `TxDtls/Amt` from 001.03 on.

Each `Stmt` is an account (`Acct/Id/IBAN`), each `Ntry` a booking: `Amt@Ccy` with `CdtDbtInd`
(CRDT positive), `BookgDt` and `ValDt` (`Dt`, or `DtTm` whose date is taken as written),
`AcctSvcrRef`. A batch entry whose `TxDtls` each carry an amount is one booking per `TxDtls`;
otherwise the entry is one booking. The counterparty is the debtor of a credit, the creditor of
a debit (`RltdPties/Dbtr`, `DbtrAcct/Id/IBAN`); the remittance is every `RmtInf/Ustrd` line
and structured reference (`Strd/CdtrRefInf/Ref`). An entry not booked yet (`Sts` PDNG or INFO)
is counted as pending and not read. A booking's row is its entry's number in the file.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from lxml import etree

from ...problems import Problem
from .booking import Booking, Read, bad_value, iban, text, unreadable

NAMESPACE = re.compile(r"urn:iso:std:iso:20022:tech:xsd:camt\.(\d{3})\.001\.(\d{2})")
VERSIONS = tuple(f"{v:02d}" for v in range(2, 14))  # camt.053.001.02 … 001.13
READ = "camt.053.001.02 to 001.13"
_AMOUNT = re.compile(r"\d{1,18}(\.\d{1,5})?")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def read_camt(data: bytes, label: str) -> Read:
    root = _parse(data, label)
    ns = _version(root, label)
    q = _Query(ns)
    bookings: list[Booking] = []
    problems: list[Problem] = []
    number, pending = 0, 0
    for statement in root.iter(f"{{{ns}}}Stmt"):
        account = iban(q.text(statement, "Acct/Id/IBAN") or q.text(statement, "Acct/Id/Othr/Id"))
        for entry in q.all(statement, "Ntry"):
            number += 1
            if q.status(entry) in ("PDNG", "INFO"):
                pending += 1
                continue
            found, entry_problems = _entry(entry, q, account, label, number, ns)
            bookings += found
            problems += entry_problems
    return Read(bookings, problems, f"camt.053.001.{ns[-2:]}", pending)


def _parse(data: bytes, label: str) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if isinstance(exc.lineno, int) and exc.lineno > 0 else None
        raise unreadable(label, f"this is not well-formed XML ({exc.msg}) — download the camt.053 statement from "
                                "the bank again", line) from None
    if root is None:
        raise unreadable(label, "this XML file is empty — download the statement again")
    if root.getroottree().docinfo.doctype:
        raise unreadable(label, "this XML declares a DOCTYPE, which no camt.053 statement has — not read; "
                                "download the statement from the bank again")
    return root


def _version(root: etree._Element, label: str) -> str:
    """The camt.053 namespace of the document; a warning for any other XML."""
    ns = etree.QName(root).namespace or ""
    found = NAMESPACE.fullmatch(ns)
    if found is None or etree.QName(root).localname != "Document":
        kind = f"an XML document of {ns}" if ns else f"an XML document <{etree.QName(root).localname}>"
        raise unreadable(label, f"{kind}, not a camt.053 bank statement — export the account statement as "
                                f"camt.053 ({READ}), MT940 or the bank's CSV", 1)
    message, version = found.group(1), found.group(2)
    if message != "053":
        raise unreadable(label, f"a camt.{message} message, not a camt.053 statement (camt.052 is an intraday "
                                f"report, camt.054 a notice) — export the account statement as camt.053 ({READ})", 1)
    if version not in VERSIONS:
        raise unreadable(label, f"camt.053.001.{version} is a version not read — the versions read are {READ}: "
                                "choose one of them in the bank's export, or export MT940", 1)
    return ns


class _At(NamedTuple):
    """Where an entry is, for its warnings: the file, the entry's number, and words naming it with its line."""

    label: str
    number: int
    where: str

    def said(self, column: str, message: str) -> Problem:
        return bad_value(self.label, self.number, column, f"{self.where}: {message}")


class _Query:
    """Paths like `Acct/Id/IBAN` in the document's namespace."""

    def __init__(self, ns: str) -> None:
        self.ns = {"c": ns}

    def _path(self, path: str) -> str:
        return "/".join(f"c:{step}" for step in path.split("/"))

    def all(self, element: etree._Element, path: str) -> list[etree._Element]:
        return element.findall(self._path(path), self.ns)

    def one(self, element: etree._Element, path: str) -> etree._Element | None:
        return element.find(self._path(path), self.ns)

    def text(self, element: etree._Element, path: str) -> str:
        found = self.one(element, path)
        return (found.text or "").strip() if found is not None else ""

    def status(self, entry: etree._Element) -> str:
        return self.text(entry, "Sts/Cd") or self.text(entry, "Sts")


def _entry(entry: etree._Element, q: _Query, account: str, label: str, number: int, ns: str
           ) -> tuple[list[Booking], list[Problem]]:
    """The bookings of one Ntry: one per TxDtls when each has its amount, else the entry."""
    problems: list[Problem] = []
    at = _At(label, number, f"entry {number} (line {entry.sourceline})")
    booked = _day(q, entry, "BookgDt", at, problems, needed=True)
    valued = _day(q, entry, "ValDt", at, problems, needed=False)
    reference = q.text(entry, "AcctSvcrRef")
    details = q.all(entry, "NtryDtls/TxDtls")
    own = [_tx_amount(q, tx) for tx in details]
    parts = list(zip(details, own)) if len(details) > 1 and all(a is not None for a in own) else \
        [(details[0] if details else None, q.one(entry, "Amt"))]
    bookings = []
    for tx, amount_element in parts:
        sign = (q.text(tx, "CdtDbtInd") if tx is not None else "") or q.text(entry, "CdtDbtInd")
        amount, currency = _amount(amount_element, sign, at, problems)
        debtor, creditor = ("Dbtr", "Cdtr") if sign != "DBIT" else ("Cdtr", "Dbtr")
        bookings.append(Booking(
            account=account, booking_date=booked, value_date=valued, amount=amount, currency=currency,
            counterparty_name=_party(q, tx, debtor) if tx is not None else "",
            counterparty_iban=iban(q.text(tx, f"RltdPties/{debtor}Acct/Id/IBAN")) if tx is not None else "",
            remittance=_remittance(q, tx) if tx is not None else "",
            bank_reference=(q.text(tx, "Refs/AcctSvcrRef") if tx is not None else "") or reference,
            source_file=label, source_row=number, source_format=f"camt.053.001.{ns[-2:]}"))
    return bookings, problems


def _tx_amount(q: _Query, tx: etree._Element) -> etree._Element | None:
    return q.one(tx, "Amt") if q.one(tx, "Amt") is not None else q.one(tx, "AmtDtls/TxAmt/Amt")


def _amount(element: etree._Element | None, sign: str, at: _At, problems: list[Problem]) -> tuple[Decimal | None, str]:
    written = (element.text or "").strip() if element is not None else ""
    currency = (element.get("Ccy") or "").strip().upper() if element is not None else ""
    if not re.fullmatch(r"[A-Z]{3}", currency):
        problems.append(at.said("Amt@Ccy", f"currency {currency!r} is no three-letter "
                                                            "code — download the statement again"))
        currency = ""
    if sign not in ("CRDT", "DBIT"):
        problems.append(at.said("CdtDbtInd", f"CdtDbtInd {sign!r} is neither CRDT nor "
                                                              "DBIT, so whether money came in is unknown — download "
                                                              "the statement again"))
        return None, currency
    if not _AMOUNT.fullmatch(written):
        problems.append(at.said("Amt", f"amount {written!r} cannot be read (camt writes "
                                                        "1234.56) — download the statement again"))
        return None, currency
    try:
        value = Decimal(written)
    except InvalidOperation:  # the pattern lets through only what Decimal reads; kept for safety's sake
        return None, currency
    return (value if sign == "CRDT" else -value), currency


def _day(q: _Query, entry: etree._Element, tag: str, at: _At, problems: list[Problem], needed: bool) -> date | None:
    """BookgDt or ValDt: its Dt, or its DtTm's date as written; None (with a warning if it is
    needed or unreadable) otherwise."""
    written = q.text(entry, f"{tag}/Dt") or q.text(entry, f"{tag}/DtTm")
    if not written:
        if needed:
            problems.append(at.said(tag, "no booking date (BookgDt) — download the "
                                                          "statement again"))
        return None
    found = _DATE.match(written)
    try:
        return date(int(found[1]), int(found[2]), int(found[3])) if found else date.fromisoformat(written)
    except ValueError:
        problems.append(at.said(tag, f"{tag} {written!r} is no date (camt writes "
                                                      "2026-11-30) — download the statement again"))
        return None


def _party(q: _Query, tx: etree._Element, role: str) -> str:
    return text(q.text(tx, f"RltdPties/{role}/Pty/Nm") or q.text(tx, f"RltdPties/{role}/Nm"))


def _remittance(q: _Query, tx: etree._Element) -> str:
    lines = [e.text or "" for e in q.all(tx, "RmtInf/Ustrd")]
    lines += [e.text or "" for e in q.all(tx, "RmtInf/Strd/CdtrRefInf/Ref")]
    return text(" ".join(lines))
