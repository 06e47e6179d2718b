"""rates.yaml's `agency.reminders: {after_days: [7, 21, 35], fee: "5.00"}`: the days past due of
each reminder level, increasing, and the fee asked from the second level on."""

from __future__ import annotations

from decimal import Decimal

from .model import Reminders
from .reader import Reader
from .yamltree import Node

REMINDER_KEYS = {"after_days", "fee"}
MAX_LEVELS = 9


def read_reminders(r: Reader, node: Node | None) -> Reminders | None:
    m = r.mapping(node, "agency.reminders", REMINDER_KEYS, {"after_days"})
    if m is None:
        return None
    f = m.items.get
    path = "agency.reminders.after_days"
    items = r.sequence(f("after_days"), path, example=", e.g. [7, 21, 35] (days past due of each level)")
    days = [r.integer(item, f"{path}[{i}]", low=1, high=3650) for i, item in enumerate(items)]
    fee = r.decimal(f("fee"), "agency.reminders.fee", places=2)
    if not items or any(d is None for d in days):
        if not items and f("after_days") is not None:
            r.fail(m.key_lines["after_days"], path, "empty — give the days past due of each level, e.g. [7, 21, 35]")
        return None
    found = tuple(d for d in days if d is not None)
    if len(found) > MAX_LEVELS or any(b <= a for a, b in zip(found, found[1:])):
        r.fail(m.key_lines["after_days"], path, f"expected up to {MAX_LEVELS} days, each more than the one before "
                                                f"(a level per number), got {list(found)}")
        return None
    return Reminders(after_days=found, fee=Decimal("0.00") if fee is None else fee)
