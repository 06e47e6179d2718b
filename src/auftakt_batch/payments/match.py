"""Matching bank bookings to invoices, most certain first; nothing uncertain is guessed.

1. *number*: the remittance text names live invoice or credit-note numbers (as the bank wrote
   them: hyphens, spaces and dots may be lost or added) — the booking pays them, oldest first,
   each up to what is open of it; what is left over is an overpayment, a credit of the client.
2. *account*: a booking from a client's IBAN (rates.yaml `iban`) of exactly what is open of one
   of its invoices — or of all of them together — pays it (them).
3. *name*: the same from the counterparty's name (the client's name without its legal form, or
   its key; case and accents aside).

Money paid out (a debit) matches a credit note the same ways: what is open of one is negative.
A debit that names no credit note owing a refund and goes to no client's IBAN or name is the
agency's own spending (rent, bank fees): not a client's payment, and not listed for a person.
A booking in another currency than the invoice's never pays it. A booking that matches nothing,
or more than one invoice equally well, or that names a number the ledger does not know (a typo:
the closest known numbers are suggested), is listed for a person to decide. A booking already
allocated (its id in `done`) is skipped, so re-reading a statement changes nothing.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

NUMBER, ACCOUNT, NAME, OVERPAID = "number", "account", "name", "overpayment"
LEGAL_FORMS = {"gmbh", "ag", "kg", "ohg", "ug", "mbh", "co", "se", "ev", "ltd", "llc", "inc", "corp", "corporation",
               "plc", "sa", "sarl", "bv", "nv", "srl", "spa", "haftungsbeschrankt", "company", "the"}
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Receivable:
    """A live invoice or credit note and what is open of it (negative for a credit note)."""

    number: str
    client: str
    currency: str
    issue_date: date
    open: Decimal


@dataclass(frozen=True)
class Booking:
    booking_id: str
    booking_date: date
    amount: Decimal  # signed: money in is positive
    currency: str
    counterparty_name: str
    counterparty_iban: str
    remittance: str
    place: str  # file and position, for the person who decides


@dataclass(frozen=True)
class Allocation:
    booking_id: str
    number: str | None  # None: an overpayment, a credit of `client`
    client: str
    amount: Decimal
    rule: str  # number | account | name | overpayment


@dataclass(frozen=True)
class Unmatched:
    booking: Booking
    reason: str
    suggestions: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClientId:
    """What identifies a client's payments: its IBANs and its name."""

    name: str
    ibans: tuple[str, ...] = ()


@dataclass
class Matched:
    allocations: list[Allocation] = field(default_factory=list)
    unmatched: list[Unmatched] = field(default_factory=list)
    not_clients: list[Booking] = field(default_factory=list)  # the agency's own spending: counted, not listed


def match(bookings: Iterable[Booking], receivables: Iterable[Receivable], clients: Mapping[str, ClientId],
          done: frozenset[str] = frozenset()) -> Matched:
    """Allocate each booking not in `done`, in date order, against what is open as it goes."""
    opens = {r.number: r for r in receivables}
    found = Matched()
    numbers = _Numbers(opens)
    for booking in sorted(bookings, key=lambda b: (b.booking_date, b.place)):
        if booking.booking_id in done or booking.amount == 0:
            continue
        if _spending(booking, opens, numbers, clients):
            found.not_clients.append(booking)
            continue
        allocations, problem = _one(booking, opens, numbers, clients)
        if problem is not None:
            found.unmatched.append(problem)
            continue
        for a in allocations:
            if a.number is not None:
                r = opens[a.number]
                opens[a.number] = Receivable(r.number, r.client, r.currency, r.issue_date, r.open - a.amount)
        found.allocations.extend(allocations)
    return found


def _spending(booking: Booking, opens: dict[str, Receivable], numbers: _Numbers,
              clients: Mapping[str, ClientId]) -> bool:
    """Money paid out that names no credit note owing a refund, to no client's account or name."""
    if booking.amount >= 0 or _by_iban(booking, clients) or _by_name(booking, clients):
        return False
    named, _ = numbers.find(booking.remittance)
    return not any(opens[n].open < 0 for n in named)


def _one(booking: Booking, opens: dict[str, Receivable], numbers: _Numbers,
         clients: Mapping[str, ClientId]) -> tuple[list[Allocation], Unmatched | None]:
    named, unknown = numbers.find(booking.remittance)
    if named:
        return _by_number(booking, [opens[n] for n in named])
    if unknown:
        theirs = _by_iban(booking, clients) | _by_name(booking, clients)
        return [], Unmatched(booking, f"names {', '.join(unknown)}, which is no invoice of the ledger",
                             _suggestions(booking, unknown, {n: r for n, r in opens.items() if r.open}, theirs))
    for rule, client_keys in ((ACCOUNT, _by_iban(booking, clients)), (NAME, _by_name(booking, clients))):
        if client_keys:
            return _by_amount(booking, [r for r in opens.values() if r.client in client_keys], rule)
    return [], Unmatched(booking, "no invoice number in its text, and its account and name are no client's")


def _suggestions(booking: Booking, unknown: list[str], opens: dict[str, Receivable],
                 theirs: set[str]) -> tuple[str, ...]:
    """The open numbers closest to the unknown ones: those open for exactly the booking's amount
    first, then the payer's (by account or name), then by likeness."""
    close = {n for u in unknown for n in difflib.get_close_matches(u, list(opens), n=5, cutoff=0.6)}
    ranked = sorted(close, key=lambda n: (opens[n].open != booking.amount, opens[n].client not in theirs,
                                          -max(difflib.SequenceMatcher(None, u, n).ratio() for u in unknown), n))
    return tuple(ranked[:2])


def _by_number(booking: Booking, named: list[Receivable]) -> tuple[list[Allocation], Unmatched | None]:
    mine = [r for r in named if r.currency == booking.currency]
    if not mine:
        return [], Unmatched(booking, f"names {', '.join(r.number for r in named)} in another currency "
                                      f"than its {booking.currency}")
    if len({r.client for r in mine}) > 1:
        return [], Unmatched(booking, f"names invoices of several clients: {', '.join(r.number for r in mine)}")
    left, allocations = booking.amount, []
    for r in sorted(mine, key=lambda r: (r.issue_date, r.number)):
        take = _towards(left, r.open)
        if take:
            allocations.append(Allocation(booking.booking_id, r.number, r.client, take, NUMBER))
            left -= take
    if left:
        allocations.append(Allocation(booking.booking_id, None, mine[0].client, left, OVERPAID))
    return allocations, None


def _towards(left: Decimal, still_open: Decimal) -> Decimal:
    """What of `left` pays what is open of an invoice (both positive) or of a credit note (both negative)."""
    if left > 0 and still_open > 0:
        return min(left, still_open)
    if left < 0 and still_open < 0:
        return max(left, still_open)
    return ZERO


def _by_amount(booking: Booking, theirs: list[Receivable], rule: str) -> tuple[list[Allocation], Unmatched | None]:
    mine = [r for r in theirs if r.currency == booking.currency and r.open]
    exact = [r for r in mine if r.open == booking.amount]
    if len(exact) == 1:
        r = exact[0]
        return [Allocation(booking.booking_id, r.number, r.client, r.open, rule)], None
    if len(exact) > 1:
        return [], Unmatched(booking, f"pays exactly what is open of {len(exact)} invoices: "
                                      f"{', '.join(r.number for r in exact)} — which?")
    same_sign = [r for r in mine if (r.open > 0) == (booking.amount > 0)]
    if same_sign and sum((r.open for r in same_sign), ZERO) == booking.amount:
        return [Allocation(booking.booking_id, r.number, r.client, r.open, rule) for r in same_sign], None
    client = theirs[0].client if theirs else "the client"
    return [], Unmatched(booking, f"from {client}'s {'account' if rule == ACCOUNT else 'name'}, but "
                                  f"{booking.amount:,.2f} {booking.currency} is what is open of none of its invoices")


def _by_iban(booking: Booking, clients: Mapping[str, ClientId]) -> set[str]:
    iban = _compact(booking.counterparty_iban)
    return {key for key, c in clients.items() if iban and iban in {_compact(i) for i in c.ibans}}


def _by_name(booking: Booking, clients: Mapping[str, ClientId]) -> set[str]:
    words = _words(booking.counterparty_name)
    if not words:
        return set()
    text = " ".join(words)
    found = set()
    for key, c in clients.items():
        for name in (c.name, key):
            wanted = " ".join(w for w in _words(name) if w not in LEGAL_FORMS)
            if wanted and re.search(rf"(^| ){re.escape(wanted)}( |$)", text):
                found.add(key)
    return found if len(found) == 1 else set()  # two clients by one name: not certain


def _words(text: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().casefold()
    return re.findall(r"[a-z0-9]+", plain)


def _compact(iban: str) -> str:
    return re.sub(r"\s+", "", iban or "").upper()


class _Numbers:
    """The ledger's numbers as a bank text may carry them: found by their digits, the separators
    between their parts lost or changed (2026-0012, 2026 0012, 20260012, RE20260012), and a space
    where the bank cut its remittance lines mid-number (`RE 2026-00` + `12 Danke`, read as
    `RE 2026-00 12 Danke`); where two numbers share their digits (GS-2026-0001, 2026-0001), by the
    letters written before them."""

    def __init__(self, numbers: Iterable[str]) -> None:
        self.by_digits: dict[str, list[str]] = {}
        shapes = set()
        for n in numbers:
            runs = re.findall(r"\d+", n)
            self.by_digits.setdefault("".join(runs), []).append(n)
            shapes.add(tuple(len(run) for run in runs))
        parts = [_SEPARATOR.join(_digits(k) for k in shape) for shape in sorted(shapes, key=lambda s: -sum(s)) if shape]
        self.pattern = re.compile(rf"(?<!\d)(?:{'|'.join(parts)})(?!\d)") if parts else None

    def find(self, text: str) -> tuple[list[str], list[str]]:
        """(known numbers, unknown ones of a known number's shape) in `text`, each once, in order."""
        if self.pattern is None:
            return [], []
        known: list[str] = []
        unknown: list[str] = []
        for hit in self.pattern.finditer(text or ""):
            found = self.by_digits.get(re.sub(r"\D", "", hit.group()), [])
            if len(found) > 1:  # told apart by the letters before the digits
                before = _bare(text[max(0, hit.start() - 8):hit.start()])
                found = [n for n in found if before.endswith(_bare(re.split(r"\d", n, maxsplit=1)[0]))]
                found = sorted(found, key=len, reverse=True)[:1] if found else []
            target, value = (known, found[0]) if len(found) == 1 else (unknown, hit.group())
            if value not in target:
                target.append(value)
        return known, unknown


_SEPARATOR = r"\s?[\-./_]?\s?"  # between a number's parts: as written, lost, or with a cut line's space


def _digits(count: int) -> str:
    """A run of `count` digits, a line's cut (one space) allowed between two of them."""
    return r"\s?".join([r"\d"] * count)


def _bare(number: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", number).upper()


def payers(booking: Booking, clients: Mapping[str, ClientId]) -> set[str]:
    """The clients a booking comes from (or goes to), by its account or, failing that, its name."""
    return _by_iban(booking, clients) or _by_name(booking, clients)
