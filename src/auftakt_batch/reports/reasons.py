"""Why the period's entries are not billed: one reason per entry, with the hours of each.

`bill` says this when it issues nothing — "nothing to bill" must never read as "all is well"
when there never was anything billable — and, when it does issue, still names the hours the
tracker's own flags held back. Each entry gets the first reason that applies, its own error
first and its client's being held back by another entry's error last (so hours already
invoiced stay "already on an invoice"); an entry with none is billed (or would be, by this run).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from ..check.resolve import rates_billable
from ..check.tracker import INVOICED, UNAPPROVED, invoice_ids
from ..frames import among
from ..pricing import logged_seconds
from ..pricing.models import modelled
from ..run import CheckRun
from ..schemas import Entries as E
from ..schemas import ReviewDecisions as D
from ..units import hours_text

# key -> (what the user reads, whether it is worth saying when invoices were issued too)
REASONS = {
    "errors": ("held back by errors (listed above)", False),
    "rates": ("not billable by rates.yaml (the client's or job's billable: false)", False),
    "export": ("not billable by the export's own flag (imports.billable: rates would bill them)", False),
    "ledger": ("already on an invoice", False),
    INVOICED: ("already invoiced in the tracker (imports.invoiced_in_tracker: skip)", True),
    "later": ("dated after today (a run on or after their day bills them)", False),
    UNAPPROVED: ("not approved in the tracker (imports.require_approval: true)", True),
    "review": ("held back by the review workbook (approve: no)", False),
    "empty": ("no time logged (0:00)", False),
    "model": ("covered by a retainer fee or a fixed price, never billed by the hour (their own lines bill them)",
              False),
}


@dataclass(frozen=True)
class Unbilled:
    key: str  # of REASONS
    entries: int
    seconds: int
    detail: str = ""  # per person, or the tracker's invoice ids

    @property
    def text(self) -> str:
        return REASONS[self.key][0]

    @property
    def always(self) -> bool:
        return REASONS[self.key][1]

    @property
    def hours(self) -> str:
        return hours_text(self.seconds)

    def __str__(self) -> str:
        return f"{self.hours} h {self.text}{f': {self.detail}' if self.detail else ''}"


def reasons(run: CheckRun, today: date, only: str | None = None) -> pd.Series:
    """Per entry of the period (of client `only`, if given): the key of why it is not billed, or ""."""
    e = run.entries if only is None else run.entries[run.entries[E.client_key].eq(only)]
    held, everyone = run.held_back()
    decided = run.decisions.set_index(D.entry_id)[D.approve] if run.decisions is not None else pd.Series(dtype=bool)
    cases = [
        ("errors", run.with_errors()[e.index]),
        ("rates", ~rates_billable(e, run.loaded_config())),
        ("export", ~e[E.billable]),
        ("ledger", among(e[E.entry_id], run.billed[E.entry_id])),
        (INVOICED, e[E.tracker_hold].eq(INVOICED)),
        ("later", e[E.date].gt(pd.Timestamp(today)).fillna(False)),
        (UNAPPROVED, e[E.tracker_hold].eq(UNAPPROVED)),
        ("review", e[E.entry_id].map(decided).eq(False)),
        ("empty", e[E.duration_s].fillna(0).le(0)),
        ("errors", e[E.client_key].isin(held) | everyone),  # the rest of a client another entry's error holds back
        ("model", modelled(e, run.loaded_config())),
    ]
    why, open_ = np.full(len(e), "", dtype=object), np.ones(len(e), dtype=bool)
    for key, applies in cases:
        hit = open_ & applies.astype(bool).reindex(e.index, fill_value=False).to_numpy(dtype=bool)
        why[hit], open_ = key, open_ & ~hit
    return pd.Series(why, index=e.index, dtype=str)


def not_billed(run: CheckRun, today: date, only: str | None = None) -> tuple[Unbilled, ...]:
    """Entries, hours and detail per reason, in the order of REASONS (reasons no entry has left out)."""
    if run.config is None:
        return ()
    why = reasons(run, today, only)
    e = run.entries.loc[why.index].assign(why=why, seconds=logged_seconds(run.entries))
    found, present = [], set(why)
    for key in REASONS:
        if key not in present:  # most reasons apply to no entry
            continue
        group = e[e["why"].eq(key)]
        if len(group):
            found.append(Unbilled(key, len(group), int(group["seconds"].sum()), _detail(key, group)))
    return tuple(found)


def _detail(key: str, group: pd.DataFrame) -> str:
    if key == UNAPPROVED:  # listed per person: whose approval the tracker still waits for
        people = group[E.person_name].fillna(group[E.person])
        per_person = group.groupby(people, sort=True)["seconds"].sum()
        return ", ".join(f"{name} {hours_text(s)} h" for name, s in per_person.items())
    if key == INVOICED:
        return f"invoice {ids}" if (ids := invoice_ids(group)) else ""
    return ""
