"""A check run's result: the data every later stage (billing, reports) starts from.

A leaf: it holds what `pipeline.check` found and answers questions about it, and imports no stage.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import pandas as pd

from .periods import Period
from .problems import Problem, Severity, error_rows, has_errors
from .schemas import Bookings, Entries, Expenses, empty

if TYPE_CHECKING:
    from .check.reconcile import Reconciliation
    from .config import Config
    from .ingest import Ingested, SourceFile
    from .ingest.bank import BankFile


class HeldBack(NamedTuple):
    clients: frozenset[str]  # clients whose invoice an error holds back
    everyone: bool  # errors hold back every invoice


@dataclass(frozen=True, kw_only=True)
class CheckRun:
    workspace: Path
    period: Period
    config: Config | None
    files: tuple[SourceFile, ...]
    entries: pd.DataFrame  # Entries of the period, plus rows whose date could not be read (with an error)
    problems: tuple[Problem, ...]
    unreadable: tuple[str, ...]  # files that could not be read: no billing run may proceed
    outside_period: int
    repeated: int
    billed: pd.DataFrame  # the ledger's live billed entries (entry_id, slot, number), read before the checks
    untracked: pd.DataFrame | None = None  # client meetings no timesheet entry covers (calendars/)
    absences: pd.DataFrame | None = None  # person, date: away by their calendar
    calendars: tuple[str, ...] = ()  # the .ics files read
    earliest: date | None = None  # the first day of entries before the period, if the inputs have any
    decisions: pd.DataFrame | None = None  # the review workbook's: entry_id, approve, bill_s (none: no workbook)
    reconciliation: Reconciliation | None = None  # billed entries no longer in the exports, and what they hold back
    expenses: pd.DataFrame = field(default_factory=lambda: empty(Expenses))  # the period's (check/expenses)
    expense_decisions: pd.DataFrame | None = None  # the review's Expenses sheet (check/expense_decisions)
    expense_files: tuple[str, ...] = ()  # the expense exports read (a workbook's sheets each)
    bookings: pd.DataFrame = field(default_factory=lambda: empty(Bookings))  # input/bank/'s, each once (ingest/bank)
    bank_files: tuple[BankFile, ...] = ()  # the statements in input/bank/, read or not
    ingested: Ingested | None = field(default=None, repr=False, compare=False)  # what was read: check_before's too
    prices: pd.DataFrame | None = field(default=None, repr=False, compare=False)  # pricing.prices of `entries`, if
    # the check worked them out (a year's entries: pipeline.check); pricing.price takes them for its rows

    @property
    def ok(self) -> bool:
        return not has_errors(self.problems)

    def without_inputs(self) -> CheckRun:
        """The run without what it read (`ingested`, a year's raw entries): once the check of the
        months before it (pipeline.check_before) has reused them, the report needs them no more."""
        return replace(self, ingested=None)

    def loaded_config(self) -> Config:
        """The config, for a stage that runs only once rates.yaml has loaded (pricing, the review,
        billing, the workbook's figures): a run without one stops at its problems before them."""
        if self.config is None:
            raise ValueError("rates.yaml did not load: this stage needs its config")
        return self.config

    def held_back(self) -> HeldBack:
        """The clients whose invoice an error holds back, and whether errors hold back every invoice.

        An error on an entry holds back its client; on an entry of an unknown client, the client
        its name most resembles (or everyone, if it resembles none); an error that is not about
        any entry of the period — an unreadable file, a broken contract — holds back everyone."""
        if self.config is None or self.unreadable:
            return HeldBack(frozenset(), everyone=True)
        located = error_rows(self.problems)
        # an error on an expense holds back the expense's client, as one on an entry does its
        faulty = pd.concat([self.entries[self.with_errors()][[Entries.source_file, Entries.source_row,
                                                               Entries.client_key, Entries.client]],
                            self.expenses[_marked(self.expenses, located)][[Expenses.source_file, Expenses.source_row,
                                                                            Expenses.client_key, Expenses.client]]])
        known = {(f, r) for f, r in zip(faulty[Entries.source_file], faulty[Entries.source_row])}
        errors = [p for p in self.problems if p.severity is Severity.ERROR]
        if any(not p.locations() and p.client is None for p in errors) or located - known:
            return HeldBack(frozenset(), everyone=True)
        held = set(faulty[Entries.client_key].dropna()) | {p.client for p in errors if p.client}
        for name in faulty.loc[faulty[Entries.client_key].isna(), Entries.client].unique():
            key = self.config.client_names.closest(name) if name else None
            if key is None:
                return HeldBack(frozenset(), everyone=True)
            held.add(key)
        return HeldBack(frozenset(held), everyone=False)

    def with_errors(self) -> pd.Series:
        """Mask over `entries`: the entries an error is about (they are held back from billing)."""
        return _marked(self.entries, error_rows(self.problems))

    def expenses_with_errors(self) -> pd.Series:
        """Mask over `expenses`: the expenses an error is about (they are held back from billing)."""
        return _marked(self.expenses, error_rows(self.problems))


def _marked(frame: pd.DataFrame, rows: set[tuple[str, int]]) -> pd.Series:
    """Mask over `frame` (Entries or Expenses): its rows among `rows`, (file, row) pairs."""
    if not rows:  # the usual case: no error about any row (a year's rows are not merged with none)
        return pd.Series(False, index=frame.index)
    place = [Entries.source_file, Entries.source_row]
    bad = pd.DataFrame(sorted(rows), columns=place).assign(bad=True)
    marked = frame[place].merge(bad, how="left", on=place)
    return pd.Series(marked["bad"].eq(True).to_numpy(), index=frame.index)
