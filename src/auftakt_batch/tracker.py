"""What the tracker already decided: entries it marks invoiced, and entries it has not approved.

Harvest (`Invoiced?`, `Approved?`), Clockify (`Invoiced`, `Invoice ID`, approval status) and
Kimai (`Exported`) say so per entry; ingest reads their words into `invoiced_flag`,
`tracker_invoice` and `approved_flag`. rates.yaml's `imports:` says how far to follow them:

- `invoiced_in_tracker: skip` (the default): an entry the export marks invoiced is never
  billed again — an agency moving its billing from the tracker would otherwise bill it twice.
- `require_approval: true`: only entries the export marks approved are billed; the reviewer's
  explicit `yes` in the review workbook wins. Calendar meetings are no export: never held.

Runs after the repeats are counted once (pipeline step 5): copies of one entry in several
exports share what any of them says — an export written after the tracker invoiced an entry
marks it, an older one does not, and the order of the files must not decide the bill.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .config import Imports
from .schemas import Entries as E

INVOICED, UNAPPROVED = "invoiced", "unapproved"
HOLDS = {INVOICED: "already invoiced in the tracker", UNAPPROVED: "not approved in the tracker"}


def share_flags(entries: pd.DataFrame) -> pd.DataFrame:
    """Copies of one entry (the same entry_id) carry what any copy says: invoiced (with every
    invoice id named), approved. Entries with one copy are as they were."""
    repeated = entries[E.entry_id].duplicated(keep=False)
    said = entries[E.invoiced_flag].notna() | entries[E.approved_flag].notna()
    if not (repeated & said).any():  # the usual case: nothing to share
        return entries
    copies = entries[repeated]
    key = copies[E.entry_id]
    named = copies.loc[copies[E.tracker_invoice].ne(""), [E.entry_id, E.tracker_invoice]].drop_duplicates()
    joined = named.groupby(E.entry_id, sort=False)[E.tracker_invoice].agg(", ".join).to_dict()
    invoices = key.map(lambda entry_id: joined.get(entry_id, ""))
    return entries.assign(**{
        E.invoiced_flag: entries[E.invoiced_flag].mask(repeated, _any(copies[E.invoiced_flag], key)),
        E.approved_flag: entries[E.approved_flag].mask(repeated, _any(copies[E.approved_flag], key)),
        E.tracker_invoice: entries[E.tracker_invoice].mask(repeated, invoices).astype(str)})


def _any(flags: pd.Series, key: pd.Series) -> pd.Series:
    """Per copy: True if any copy of its entry says yes; else False if any says no; else NA."""
    yes = flags.eq(True).fillna(False).groupby(key).transform("max")
    no = flags.eq(False).fillna(False).groupby(key).transform("max")
    return pd.Series(pd.NA, index=flags.index, dtype="boolean").mask(no, False).mask(yes, True)


def tracker_hold(entries: pd.DataFrame, imports: Imports) -> pd.Series:
    """Per entry, why the tracker's flags hold it back: "invoiced", "unapproved" or ""."""
    skip, require = imports.invoiced_in_tracker == "skip", imports.require_approval
    invoiced = entries[E.invoiced_flag].fillna(False).astype(bool).to_numpy() & skip
    approved = entries[E.approved_flag].fillna(False).astype(bool).to_numpy()
    unapproved = ~approved & require & entries[E.source_format].ne("calendar").to_numpy()
    hold = np.select([invoiced, unapproved], [INVOICED, UNAPPROVED], "").astype(object)
    return pd.Series(hold, index=entries.index, dtype=str)


def hold_by_tracker(entries: pd.DataFrame, imports: Imports) -> pd.DataFrame:
    """The entries with `tracker_hold`: the stage that follows the tracker's flags."""
    return entries.assign(tracker_hold=tracker_hold(entries, imports))


def tracker_text(entries: pd.DataFrame) -> pd.Series:
    """What the export says, as the reports show it: 'invoiced in the tracker (INV-7)',
    'not approved in the tracker', both, or ''."""
    invoiced = entries[E.invoiced_flag].fillna(False).astype(bool)
    unapproved = entries[E.tracker_hold].eq(UNAPPROVED)
    texts = []
    for said, number, waits in zip(invoiced, entries[E.tracker_invoice], unapproved):
        parts = [f"invoiced in the tracker{f' ({number})' if number else ''}"] if said else []
        parts += ["not approved in the tracker"] if waits else []
        texts.append("; ".join(parts))
    return pd.Series(texts, index=entries.index, dtype=str)
