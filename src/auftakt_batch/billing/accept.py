"""Accepting changes made after billing: the user's word on billed entries no longer in the exports.

`check` reports a billed entry that the exports no longer hold (reconcile.py) and holds back
what could be its edited version. Besides restoring the export or voiding the invoice, the
user may accept the exports as they are now, and this records it in the ledger:

- by default, each gone entry's most likely edited version (the pairing `check` shows) takes
  its place on the invoice — it is never billed — and a gone entry with none is recorded as
  deleted; the issued invoices stay as they are;
- with `as_new`, every gone entry is recorded as deleted and what is in the exports now is new
  work, billed by the next run.

Needs: a workspace and a period whose inputs can all be read (an unreadable file would make
its billed entries look deleted). Gives: what was recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from .. import ledger
from ..check.reconcile import Reconciliation, billed_as, deleted, exported_as, shown
from ..errors import NothingToAccept
from ..ledger.backups import backup
from ..periods import Period
from ..pipeline import check
from ..pricing.invoices import Billed, as_billed
from ..schemas import Entries as E
from . import config_errors, locked


@dataclass(frozen=True)
class Change:
    number: str  # the invoice the entry was billed on
    client_key: str
    billed: str  # the billed entry, as check shows it
    now: str | None  # its edited version (None: recorded as deleted)


def accept(workspace: Path, period: Period, as_new: bool = False, *, today: date) -> list[Change]:
    with locked(workspace / "output" / ".billing.lock"):
        run = check(workspace, period, today)  # under the lock: the ledger it compares with stays as read
        if run.config is None:
            raise NothingToAccept(config_errors(list(run.problems)))
        if any(p.code == "no-input" for p in run.problems):
            raise NothingToAccept("input/ holds no time entries, so every billed entry would look deleted — put the "
                                  "exports back first")
        if run.unreadable:
            raise NothingToAccept(f"{', '.join(run.unreadable)} cannot be read, so an entry in it would look deleted "
                                  "— make it readable first")
        ledger_errors = [p.message for p in run.problems if p.code == "ledger"]
        if ledger_errors:
            raise NothingToAccept(ledger_errors[0])
        found = run.reconciliation
        if found is None or found.gone.empty:
            raise NothingToAccept(f"every entry billed for {period} is in the exports as billed — nothing to accept")
        edited = [] if as_new else _edited(found, run.entries)
        removed = list(found.gone["entry_id"] if as_new else found.gone.loc[deleted(found.gone, found.pairs),
                                                                             "entry_id"])
        path = workspace / "output" / "ledger.sqlite"
        conn = ledger.connect(path)
        try:
            backup(conn, path)
            ledger.record_accepted(conn, edited, removed)
            backup(conn, path)
        finally:
            conn.close()
    return _changes(found, run.entries, dict(edited), set(removed))


def _edited(found: Reconciliation, entries: pd.DataFrame) -> list[tuple[str, Billed]]:
    rows = found.successors(entries)
    unreadable = rows[rows[E.duration_s].isna()]
    if len(unreadable):  # an edited version whose hours do not read: it cannot take the billed entry's place
        r = unreadable.iloc[0]
        raise NothingToAccept(f"{r[E.source_file]}:{r[E.source_row]}: the edited version of a billed entry has no "
                              "hours that can be read — correct it in the export first (`check` says why)")
    return [(r.replaces, as_billed(r, int(r.duration_s))) for r in rows.itertuples(index=False)]


def _changes(found: Reconciliation, entries: pd.DataFrame, edited: dict[str, Billed], removed: set[str]
             ) -> list[Change]:
    """What was recorded, as `check` showed it: each edited entry with its version now, each deleted one."""
    now = {gone_id: f"{shown(exported_as(entries.loc[i]))} ({entries.loc[i, E.source_file]}:"
                    f"{entries.loc[i, E.source_row]})"
           for gone_id, i in zip(found.pairs["entry_id"], found.pairs["index"]) if gone_id in edited}
    recorded = found.gone[found.gone["entry_id"].isin(edited.keys() | removed)]
    return [Change(b["number"], b["client_key"], shown(billed_as(b)), now.get(b["entry_id"]))
            for _, b in recorded.sort_values(["number", "day", "person"]).iterrows()]
