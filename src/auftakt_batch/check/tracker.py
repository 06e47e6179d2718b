"""What the tracker already decided: entries it marks invoiced, and entries it has not approved.

Harvest (`Invoiced?`, `Approved?`), Clockify (`Invoiced`, `Invoice ID`, approval status) and
Kimai (`Exported`) say so per entry; ingest reads their words into `invoiced_flag`,
`tracker_invoice` and `approved_flag`. rates.yaml's `imports:` says how far to follow them:

- `invoiced_in_tracker: skip` (the default): an entry the export marks invoiced is never
  billed again — an agency moving its billing from the tracker would otherwise bill it twice.
- `require_approval: true`: only entries the export marks approved are billed; the reviewer's
  explicit `yes` in the review workbook wins. Calendar meetings are no export: never held.

Runs after the repeats are counted once (pipeline step 5): copies of one entry in several
exports share the safe side of what they say — an export written after the tracker invoiced an
entry marks it, an older one does not (invoiced wins); an approval withdrawn since is not
overruled by an older export (not approved wins); the order of the files never decides the bill.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import Imports
from ..schemas import Entries as E
from ..schemas import repeated_ids

INVOICED, UNAPPROVED = "invoiced", "unapproved"
HOLDS = {INVOICED: "already invoiced in the tracker", UNAPPROVED: "not approved in the tracker"}


def share_flags(entries: pd.DataFrame) -> pd.DataFrame:
    """Copies of one entry (the same entry_id) carry what any copy says: invoiced (with every
    invoice id named); not approved. Entries with one copy are as they were."""
    said = entries[E.invoiced_flag].notna() | entries[E.approved_flag].notna()
    if not said.any():  # an export without those flags: nothing to share (and no copy to look for)
        return entries
    repeated = repeated_ids(entries[E.entry_id])
    if not (repeated & said).any():  # the usual case: nothing to share
        return entries
    copies = entries[repeated]
    key = copies[E.entry_id]
    named = copies.loc[copies[E.tracker_invoice].ne(""), [E.entry_id, E.tracker_invoice]].drop_duplicates()
    joined = named.groupby(E.entry_id, sort=False)[E.tracker_invoice].agg(", ".join).to_dict()
    invoices = key.map(lambda entry_id: joined.get(entry_id, ""))
    return entries.assign(**{
        E.invoiced_flag: entries[E.invoiced_flag].mask(repeated, _agreed(copies[E.invoiced_flag], key, True)),
        E.approved_flag: entries[E.approved_flag].mask(repeated, _agreed(copies[E.approved_flag], key, False)),
        E.tracker_invoice: entries[E.tracker_invoice].mask(repeated, invoices).astype(str)})


def _agreed(flags: pd.Series, key: pd.Series, wins: bool) -> pd.Series:
    """Per copy: `wins` if any copy of its entry says so; else what the others say; else NA. The
    safe side wins: invoiced if any copy says invoiced (never billed twice), not approved if any
    copy says not approved (an approval withdrawn in a newer export is not overruled by an older one)."""
    said = {value: flags.eq(value).fillna(False).groupby(key).transform("max") for value in (True, False)}
    return pd.Series(pd.NA, index=flags.index, dtype="boolean").mask(said[not wins], not wins).mask(said[wins], wins)


def tracker_hold(entries: pd.DataFrame, imports: Imports) -> pd.Series:
    """Per entry, why the tracker's flags hold it back: "invoiced", "unapproved" or ""."""
    skip, require = imports.invoiced_in_tracker == "skip", imports.require_approval
    invoiced = entries[E.invoiced_flag].fillna(False).astype(bool).to_numpy() & skip
    approved = entries[E.approved_flag].fillna(False).astype(bool).to_numpy()
    unapproved = ~approved & require & (entries[E.source_format].to_numpy(dtype=object) != "calendar")
    reasons = np.array(["", INVOICED, UNAPPROVED], dtype=object)  # each row takes one of these: no text made per row
    return pd.Series(reasons[np.select([invoiced, unapproved], [1, 2], 0)], index=entries.index, dtype=str)


def hold_by_tracker(entries: pd.DataFrame, imports: Imports) -> pd.DataFrame:
    """The entries with `tracker_hold`: the stage that follows the tracker's flags."""
    return entries.assign(**{E.tracker_hold: tracker_hold(entries, imports)})


def invoice_ids(entries: pd.DataFrame, shown: int = 5) -> str:
    """The tracker's invoice ids of `entries`, each once, the first `shown` of them: 'INV-7, INV-8, …'."""
    ids = list(dict.fromkeys(i for text in entries[E.tracker_invoice] for i in text.split(", ") if i))
    return f"{', '.join(ids[:shown])}{', …' if len(ids) > shown else ''}"


def tracker_text(entries: pd.DataFrame) -> pd.Series:
    """What the export says, as the reports show it: 'invoiced in the tracker (INV-7)',
    'not approved in the tracker', both, or ''."""
    invoiced = entries[E.invoiced_flag].fillna(False).astype(bool)
    unapproved = entries[E.tracker_hold].eq(UNAPPROVED)
    texts = [""] * len(entries)  # most entries: the tracker says nothing
    said = (invoiced | unapproved).to_numpy(dtype=bool)
    for at in np.flatnonzero(said):
        number = entries[E.tracker_invoice].iat[at]
        parts = [f"invoiced in the tracker{f' ({number})' if isinstance(number, str) and number else ''}"] \
            if invoiced.iat[at] else []
        parts += ["not approved in the tracker"] if unapproved.iat[at] else []
        texts[at] = "; ".join(parts)
    return pd.Series(texts, index=entries.index, dtype=str)
