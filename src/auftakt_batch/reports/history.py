"""The months before the period, tabled into what the figures read of them (reports/before.py).

`before_figures` tables the check of those months (pipeline.check_before's run) as the period's
entries are tabled (figures.entry_table: priced, valued, costed, matched to the ledger) and keeps
of them only the sums and the few rows the figures read. Every entry is tabled on its own — a
price, a value, an invoice line of its own — so a year's entries are tabled in parts, by a worker
per core, where they are many (processes.forked_map): each part gives its sums and rows, and sums
add up.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pandas as pd

from ..check.checks import PARALLEL_ROWS
from ..check.digests import Ids, id_bytes, overlap
from ..ledger import Book
from ..memory import release
from ..processes import forked_map, forked_pool
from ..run import CheckRun
from ..schemas import Entries as E
from ..schemas import ReportEntries as R
from .before import NOTHING, UNBILLED, Before
from .expenses import expense_table
from .figures import BUDGET_READS, ZERO, entry_table, flags
from .models import uncovered
from .months import entry_facts, month_labels

PARTS = 4  # a year's entries are tabled in this many parts by two workers, each holding one part's table at a
# time: a worker tabling a half of the billed year's months before peaked 50 MB higher
UNBILLED_READS = [E.date, E.client_key, R.billed_s, R.value, R.currency]  # all `unbilled_sums` reads


def before_figures(earlier: CheckRun | None, book: Book) -> Before:
    """What the figures read of the check of the months before the period (None: there are none),
    with the ledger as `book` has it."""
    if earlier is None:
        return NOTHING
    config = earlier.loaded_config()
    rows = len(earlier.entries)
    parts = None
    ids = _billed_ids(earlier, book)
    if rows >= PARALLEL_ROWS:
        cuts = sorted({rows * k // PARTS for k in range(PARTS + 1)})  # no part empty
        release()  # the workers fork from this process: what its check freed is not theirs to start with (20 MB)
        parts = forked_map(forked_pool(2), _part, list(itertools.pairwise(cuts)), (earlier, book, ids), list)
    if parts is None:
        parts = [_tabled(earlier, book, ids)]
    tabled = [before for before, _ in parts]
    billed = earlier.billed[E.entry_id]
    held = np.logical_or.reduce([held for _, held in parts])
    days = [b.first_day for b in tabled if b.first_day is not None]
    expenses = expense_table(earlier, book, config, flags(earlier.expenses, earlier.problems)) \
        if len(earlier.expenses) else None
    return Before(entries=_joined([b.entries for b in tabled]),
                  unbilled=_summed(_joined([b.unbilled for b in tabled])),
                  budgets=_joined([b.budgets for b in tabled]), facts=_joined([b.facts for b in tabled]),
                  first_day=min(days) if days else None, unheld=frozenset(billed[~held]), expenses=expenses,
                  settled=not earlier.unreadable)


def _billed_ids(earlier: CheckRun, book: Book) -> Ids | None:
    """The ledger's billed ids as bytes (digests.id_bytes), made once for every part — as the check's
    reconciliation made them, if it did —, where the book and the check hold the same billed entries
    in the same order (read under one token, as a report reads them): each part then looks its entries
    up among them as integers, and which of them it holds is told in the book's order. None otherwise
    (they are looked up as text)."""
    ids = book.billed[R.entry_id]
    if len(ids) < PARALLEL_ROWS or not ids.reset_index(drop=True).equals(
            earlier.billed[E.entry_id].reset_index(drop=True)):
        return None
    made = earlier.reconciliation.ids if earlier.reconciliation is not None else None
    return made if made is not None and len(made[0]) == len(ids) else id_bytes(ids)


def _part(rows: tuple[int, int], shared: tuple[CheckRun, Book, Ids | None]) -> tuple[Before, np.ndarray]:
    earlier, book, ids = shared
    tabled = _tabled(replace(earlier, entries=earlier.entries.iloc[rows[0]:rows[1]]), book, ids)
    release()  # what the part's table took, handed back before the worker's next part
    return tabled


def _tabled(earlier: CheckRun, book: Book, ids: Ids | None = None) -> tuple[Before, np.ndarray]:
    """(What the figures read of `earlier`'s entries, its expenses left out; which of the ledger's
    billed entries are among them). `ids`: the billed ones' as bytes (`_billed_ids`), if made."""
    config = earlier.loaded_config()
    table = entry_table(earlier, book, config, billed_ids=ids)
    sound = ~table[R.error]  # masks: a year's table is not copied, only the few columns each figure reads
    pairs = [(client.key, job.key) for client in config.clients.values() for job in client.jobs.values()
             if job.retainer or job.fixed or job.cap]  # the jobs with a billing model: all looked for at once
    modelled = pd.MultiIndex.from_arrays([table[E.client_key], table[E.job_key]]).isin(pairs) if pairs \
        else np.zeros(len(table), dtype=bool)
    totals = [key for key, client in config.clients.items() if any(
        b is not None and b.per == "total" for b in (client.budget, *(job.budget for job in client.jobs.values())))]
    held = earlier.billed[E.entry_id].isin(table.loc[sound, E.entry_id]).to_numpy(dtype=bool) if ids is None \
        else overlap(ids, id_bytes(table.loc[sound, E.entry_id]))[0]
    return Before(entries=table[sound & modelled],
                  unbilled=unbilled_sums(table.loc[sound & uncovered(table), UNBILLED_READS]),
                  budgets=budget_sums(table.loc[sound & table[E.client_key].isin(totals), BUDGET_READS]),
                  facts=entry_facts(table), first_day=table.loc[sound, E.date].min() if sound.any() else None), held


def _joined(frames: list[pd.DataFrame | None]) -> pd.DataFrame | None:
    found = [f for f in frames if f is not None]
    return pd.concat(found, ignore_index=True) if len(found) > 1 else (found[0] if found else None)


def unbilled_sums(unbilled: pd.DataFrame) -> pd.DataFrame:
    """The billable entries of earlier periods on no invoice, billed by the hour (models.uncovered),
    per month and client, oldest first: how many, their billed seconds and value summed, their
    currency (UNBILLED)."""
    return _summed(pd.DataFrame({
        "month": month_labels(unbilled[E.date]), "client": unbilled[E.client_key], "entries": 1,
        "seconds": unbilled[R.billed_s].fillna(0).astype("int64"), "value": unbilled[R.value],
        "currency": unbilled[R.currency]}) if len(unbilled) else None)


def _summed(frame: pd.DataFrame | None) -> pd.DataFrame:
    """Rows of UNBILLED (an entry each, or the sums of some) summed per month and client."""
    if frame is None or frame.empty:
        return pd.DataFrame(columns=UNBILLED)
    sums = frame.groupby(["month", "client"], sort=True).agg(
        entries=("entries", "sum"), seconds=("seconds", "sum"), value=("value", "sum"), currency=("currency", "first"))
    return sums.reset_index()[UNBILLED]


def budget_sums(entries: pd.DataFrame) -> pd.DataFrame:
    """`entries` as `budget_table` reads them where it only sums them (a budget `per: total` of the
    months before the period): one row per client, job and billable, its durations, billed seconds
    and notional values summed (its date empty: not read)."""
    groups = entries.assign(**{R.billed_s: entries[R.billed_s].fillna(0)}).groupby(
        [E.client_key, E.job_key, E.billable], sort=True)
    sums = pd.DataFrame({E.duration_s: groups[E.duration_s].sum(min_count=1), R.billed_s: groups[R.billed_s].sum(),
                         R.notional_value: groups[R.notional_value].agg(lambda values: sum(values, ZERO))})
    return sums.reset_index().assign(**{E.date: pd.NaT})[BUDGET_READS]
