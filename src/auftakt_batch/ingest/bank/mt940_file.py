"""MT940 (SWIFT customer statement, as German banks export it: .sta, .mt940) → bookings.

The file is split into its fields here, each with its line, so that a broken field is a warning
at its line and the other bookings are still read; each booking's `:61:` with its `:86:` is
then parsed by the `mt-940` package, under its statement's `:25:` account and `:60F:` balance
(which gives the currency). `:61:` gives the value date, the booking date (MMDD, its year taken
from the value date's), the sign (C, D, and the reversals RC and RD) and amount, and the bank
reference after `//`. A German structured `:86:` (`166?00GUTSCHR. UEBERWEISUNG?20…`) gives the
remittance from `?20`–`?29` and `?60`–`?63` — the purpose after `SVWZ+` where the SEPA keywords
(`EREF+`, `SVWZ+`, …) are used — joined as the DK's format says they were cut: a subfield holds
at most 27 characters and a longer text goes on in the next one, mid-word (`RE 2026-00` +
`07 Danke`), so a full subfield joins the next without a space, a shorter one with a space
(`RE 2026-0001` + `2026-0002`); a keyword always starts a new subfield. The counterparty's
account comes from `?31` and name from `?32`/`?33`; an unstructured `:86:` is the remittance
as it stands. An account given as BLZ/account number (`37040044/0532013000`) is written as its
IBAN. A booking's row is the line of its `:61:`.
"""

from __future__ import annotations

import logging
import re
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

import mt940

from ...problems import Problem
from .booking import Booking, Read, bad_value, german_iban, iban, text, unreadable

# The package logs a field it cannot parse, with the field's text; the warning here says it,
# located, so its own log (the client's remittance data) stays quiet.
logging.getLogger("mt940").addHandler(logging.NullHandler())
logging.getLogger("mt940").propagate = False

_FIELD = re.compile(r":(\d{2}[A-Z]?|NS):")
_STATEMENT_FIELDS = ("20", "25", "28C", "60F", "60M")
_SUBFIELD = re.compile(r"\?(\d{2})")
_PURPOSE_SUBFIELDS = frozenset([*map(str, range(20, 30)), "60", "61", "62", "63"])
SUBFIELD_WIDTH = 27  # DK, Anlage 3 (DFÜ-Abkommen), field 86: ?20–?29 and ?60–?63 are ..27 characters each
_KEYWORD = re.compile(r"(EREF|KREF|MREF|CRED|DEBT|COAM|OAMT|SVWZ|ABWA|ABWE|IBAN|BIC)\+")
FORMAT = "mt940"


class Field(NamedTuple):
    tag: str
    line: int  # where the field starts, counted from 1
    value: str  # its text, continuation lines joined by line breaks


def looks_like_mt940(text_: str) -> bool:
    """A file whose fields include an account (:25:) and a statement line or balance (:61:, :60F:)."""
    return bool(re.search(r"^:25:", text_, re.M)) and bool(re.search(r"^:(61|60[FM]):", text_, re.M))


def read_mt940(content: str, label: str) -> Read:
    bookings: list[Booking] = []
    problems: list[Problem] = []
    header: dict[str, Field] = {}
    fields = split_fields(content)
    if not any(f.tag == "61" for f in fields) and not any(f.tag == "25" for f in fields):
        raise unreadable(label, "no MT940 fields (:25: account, :61: statement lines) — export the statement as "
                                "MT940 again", 1)
    for i, field in enumerate(fields):
        if field.tag == "20":
            header = {}
        if field.tag in _STATEMENT_FIELDS:
            header[field.tag] = field
        if field.tag != "61":
            continue
        details = fields[i + 1] if i + 1 < len(fields) and fields[i + 1].tag == "86" else None
        booking, problem = _booking(header, field, details, label)
        if booking is not None:
            bookings.append(booking)
        problems += [problem] if problem else []
    return Read(bookings, problems, FORMAT)


def split_fields(content: str) -> list[Field]:
    """The file's fields in order; the SWIFT blocks ({1:…}{4:) and the `-` ending a statement end a field."""
    fields: list[Field] = []
    for number, line in enumerate(content.splitlines(), start=1):
        line = line.rstrip()
        if found := _FIELD.match(line):
            fields.append(Field(found[1], number, line[found.end():]))
        elif line.startswith(("{", "-}")) or line == "-":
            if fields and fields[-1].tag != "-":
                fields.append(Field("-", number, ""))
        elif fields and fields[-1].tag != "-":
            last = fields[-1]
            fields[-1] = last._replace(value=f"{last.value}\n{line}")
    return [f for f in fields if f.tag != "-"]


def _booking(header: dict[str, Field], line: Field, details: Field | None, label: str
             ) -> tuple[Booking | None, Problem | None]:
    """One :61: (and its :86:) parsed by the package; a warning at its line if it cannot be."""
    chunk = "".join(f":{f.tag}:{f.value}\n" for f in (*header.values(), line, *([details] if details else [])))
    try:
        parsed = mt940.models.Transactions(options=mt940.Options.all())
        transactions = parsed.parse(chunk)
        data: dict[str, Any] = transactions[-1].data
        amount = data["amount"]
    except Exception:  # noqa: BLE001 — the package raises what its parsing meets (RuntimeError, KeyError, …)
        first = line.value.splitlines()[0] if line.value else ""
        return None, bad_value(label, line.line, ":61:", f"statement line :61:{first} cannot be read (MT940 writes "
                                                         "YYMMDD[MMDD]C|D amount,cents type reference, e.g. "
                                                         ":61:2612021202CR1190,00NTRFNONREF) — export the statement "
                                                         "again")
    return Booking(
        account=_account(header), booking_date=_day(data.get("entry_date") or data.get("date")),
        value_date=_day(data.get("date")), amount=Decimal(amount.amount), currency=str(amount.currency or ""),
        counterparty_name=text(data.get("applicant_name")), counterparty_iban=iban(data.get("applicant_iban")),
        remittance=_purpose(details.value if details else "") or _remittance(data),
        bank_reference=text(data.get("bank_reference")),
        source_file=label, source_row=line.line, source_format=FORMAT), None


def _account(header: dict[str, Field]) -> str:
    written = text(header["25"].value) if "25" in header else ""
    bank_code, _, number = written.partition("/")
    return german_iban(bank_code, number.split("/")[0].strip()) or iban(written)


def _day(value: object) -> date | None:
    return date(value.year, value.month, value.day) if isinstance(value, date) else None


def _purpose(details: str) -> str:
    """The remittance of a structured :86: (`166?00…?20…`): its purpose subfields joined as they
    were cut, the text after `SVWZ+` where keywords are used, else the text before any keyword;
    "" for an unstructured :86:."""
    joined = "".join(details.splitlines())  # its lines are cut at 65 characters: joined as they are
    if not re.match(r"\d{3}\?", joined):
        return ""
    pieces = _SUBFIELD.split(joined)[1:]
    segments: dict[str, str] = {}
    key, previous = "", ""
    for tag, value in zip(pieces[::2], pieces[1::2]):
        if tag not in _PURPOSE_SUBFIELDS:
            continue
        if keyword := _KEYWORD.match(value):
            key, part, gap = keyword[1], value[keyword.end():], ""
        else:
            part, gap = value, "" if len(previous) >= SUBFIELD_WIDTH else " "
        segments[key] = segments[key] + gap + part if key in segments else part
        previous = value
    return text(segments.get("SVWZ", segments.get("", "")))


def _remittance(data: dict[str, Any]) -> str:
    """The purpose (?20–?29 after the SEPA keywords), else the unstructured :86: text."""
    parts = [data.get("purpose"), data.get("additional_purpose")]
    found = text(" ".join(str(p) for p in parts if p))
    return found or text(data.get("transaction_details"))
