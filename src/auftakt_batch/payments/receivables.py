"""What is open of each invoice, its state, and how old the open money is.

- An issued invoice is *open* for its gross less what payments allocated to it; *part-paid* once
  something is allocated, *paid* at nothing open (an overpayment is the client's credit, not the
  invoice's), *overdue* when open past its due date, by so many days.
- A void invoice is cancelled by its credit note: neither is owed — except what the client had
  paid of the cancelled invoice, which its credit note owes back (open: negative) until refunded.
- Aging buckets the open amounts by days past due (not yet due, 1–30, 31–60, 61–90, over 90);
  DSO (days sales outstanding) is what is open ÷ what was invoiced over the last 90 days × 90.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from ..ledger.reading import InvoiceRecord
from .match import Receivable

ZERO = Decimal("0.00")
BUCKETS = (("not due", None, 0), ("1–30", 1, 30), ("31–60", 31, 60), ("61–90", 61, 90), ("over 90", 91, None))
DSO_DAYS = 90


@dataclass(frozen=True)
class Standing:
    """An invoice or credit note as far as payments go."""

    number: str
    client: str
    kind: str
    currency: str
    issue_date: date
    due_date: date
    gross: Decimal
    paid: Decimal  # allocated to it (negative: refunded, for a credit note)
    open: Decimal
    state: str  # paid | part-paid | open | overdue | cancelled | refund due | refunded
    days_overdue: int  # 0 unless overdue


def standings(invoices: Iterable[InvoiceRecord], paid: Mapping[str, Decimal], today: date) -> list[Standing]:
    """Every invoice and credit note of the ledger that is not pending, in the series' order."""
    records = [r for r in invoices if r.status in ("issued", "void")]
    cancelled = {r.refers_to: r for r in records if r.kind == "credit-note" and r.refers_to}
    found = []
    for r in records:
        got = paid.get(r.number, ZERO)
        if r.kind == "credit-note":
            owed = -paid.get(r.refers_to or "", ZERO)  # what the client paid of what it cancels
            still = owed - got
            state = "cancelled" if not owed else "refunded" if not still else "refund due"
        elif r.status == "void" or r.number in cancelled:
            still, state = ZERO, "cancelled"
        else:
            still = r.gross - got
            state = "paid" if still <= 0 else _unpaid(got, r.due_date, today)
        late = (today - r.due_date).days if state == "overdue" else 0
        found.append(Standing(r.number, r.client_key, r.kind, r.currency, r.issue_date, r.due_date, r.gross, got,
                              max(still, ZERO) if r.kind == "invoice" else still, state, late))
    return found


def _unpaid(got: Decimal, due: date, today: date) -> str:
    if today > due:
        return "overdue"
    return "part-paid" if got else "open"


def receivables(rows: Iterable[Standing]) -> list[Receivable]:
    """What payments may still be matched to: invoices open and credit notes owing a refund."""
    return [Receivable(s.number, s.client, s.currency, s.issue_date, s.open) for s in rows if s.open]


@dataclass(frozen=True)
class Aging:
    currency: str
    buckets: tuple[tuple[str, Decimal], ...]  # (label, open amount), in BUCKETS' order
    open: Decimal
    dso: Decimal | None  # days; None when nothing was invoiced over the last DSO_DAYS


def aging(rows: Iterable[Standing], invoices: Iterable[InvoiceRecord], today: date) -> list[Aging]:
    """Per currency: the open invoices' amounts by days past due, and DSO."""
    rows = [s for s in rows if s.kind == "invoice" and s.open > 0]
    since = today - timedelta(days=DSO_DAYS)
    sold: dict[str, Decimal] = {}
    for r in invoices:
        if r.status in ("issued", "void") and since < r.issue_date <= today:
            sold[r.currency] = sold.get(r.currency, ZERO) + r.gross  # a void one nets with its credit note
    found = []
    for currency in sorted({s.currency for s in rows}):
        mine = [s for s in rows if s.currency == currency]
        buckets = tuple((label, sum((s.open for s in mine if _in(s, today, low, high)), ZERO))
                        for label, low, high in BUCKETS)
        total = sum((s.open for s in mine), ZERO)
        sales = sold.get(currency, ZERO)
        dso = (total / sales * DSO_DAYS).quantize(Decimal("0.1"), ROUND_HALF_UP) if sales > 0 else None
        found.append(Aging(currency, buckets, total, dso))
    return found


def _in(s: Standing, today: date, low: int | None, high: int | None) -> bool:
    late = (today - s.due_date).days
    return (low is None or late >= low) and (high is None or late <= high)
