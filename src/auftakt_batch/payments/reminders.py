"""Which payment reminders are due (rates.yaml `agency.reminders: {after_days: [7, 21, 35], fee}`).

An invoice overdue by at least `after_days[n - 1]` days, with money open, is due its reminder of
level n — the highest level its days reach, once: a level issued before is never issued again,
and a run that finds an invoice past two levels at once issues only the higher one. The first
reminder is a friendly one without a fee; from the second on, `fee` is added to what it asks for.
A credit note, a paid or cancelled invoice, one not yet overdue gets none; nor does one with less
open than SMALLEST or than the fee (a cent left over is not worth a letter, and a fee larger than
the debt would embarrass).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from ..config import Reminders
from .receivables import Standing

ZERO = Decimal("0.00")
SMALLEST = Decimal("1.00")  # less open than this (or than the fee) is not reminded


@dataclass(frozen=True)
class Reminder:
    number: str
    client: str
    currency: str
    level: int
    days_overdue: int
    paid: Decimal
    open: Decimal
    fee: Decimal


def due_reminders(standings: Iterable[Standing], issued: Mapping[str, int], rule: Reminders) -> list[Reminder]:
    """The reminders to issue now, in the standings' order; `issued`: invoice number -> the
    highest reminder level it has had."""
    found = []
    for s in standings:
        if s.kind != "invoice" or s.state != "overdue" or s.open < max(SMALLEST, rule.fee):
            continue
        level = sum(1 for days in rule.after_days if s.days_overdue >= days)
        if level > issued.get(s.number, 0):
            found.append(Reminder(s.number, s.client, s.currency, level, s.days_overdue, s.paid, s.open,
                                  rule.fee if level > 1 else ZERO))
    return found


def is_final(level: int, rule: Reminders | None) -> bool:
    """Whether a reminder of `level` is of the last level (its words say so: "Final reminder")."""
    return level > 1 and (rule is None or level >= len(rule.after_days))
