"""What the figures take from the entries before the period: a year's rows come to a few thousand.

The check of the months before the period (pipeline.check_before) holds every entry since the
first day the inputs hold — 905,000 of a 500-person agency's year by November. The figures read
few of them one by one: the billing models look at their own jobs' entries. Total budgets read
sums per client and job; the billing gap, of the entries still to bill by the hour, and the
Months sheet, of them all, read sums per month and client; the archived billed entries are the
ledger's that none of them is. `Before` is those, made where the entries are
(history.before_figures), and small enough to be handed over by a process that made them beside
the period's check (reports.report).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Before:
    """The months before the period, as the figures read them: the entries without errors, tabled
    as `figures.entry_table` tables them."""

    entries: pd.DataFrame | None  # of them, those of jobs with a billing model
    unbilled: pd.DataFrame | None  # the uncovered ones' sums per month and client (UNBILLED: history.unbilled_sums)
    budgets: pd.DataFrame | None  # of the clients with a budget `per: total`, their sums (history.budget_sums)
    facts: pd.DataFrame | None  # all of them summed per month and client (months.entry_facts)
    first_day: pd.Timestamp | None  # the first day of any of them (the Months sheet's models start there)
    # the ledger's billed entries (as the check of those months read it) none of them is; None: every one
    unheld: frozenset[str] | None = None
    expenses: pd.DataFrame | None = None  # the expenses before the period (reports/expenses.expense_table)
    settled: bool = True  # every input of those months could be read (else it may differ next time: not kept)


NOTHING = Before(None, None, None, None, None)  # no entry before the period
UNBILLED = ["month", "client", "entries", "seconds", "value", "currency"]  # `Before.unbilled`'s columns
