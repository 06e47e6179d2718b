"""Expenses in the reports: the Expenses sheet's rows and what they add to the clients and jobs.

- Every sound expense's amount is a *cost* of its client (and job), billable or not — counted
  in the cost and margin where it is in the agency's currency (there is no exchange rate).
- A billable expense on a live invoice is *revenue* at what its invoice line says (cost plus
  markup, or the review's amount to bill); one not billed yet counts in the *unbilled* value
  at cost plus markup (or the review's amount). A non-billable expense is a cost only.
- An expense with an error is listed, and counted in no total.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from ..check.expense_decisions import expenses_applied
from ..config import Config
from ..ledger import Book
from ..pricing.expenses import EXPENSE, billable_expenses, marked_up
from ..run import CheckRun
from ..schemas import Expenses as X
from .models import period_lines

ZERO = Decimal("0.00")
SUMS = ["expense_cost", "expense_revenue", "expense_billed", "expense_unbilled"]


def expense_table(run: CheckRun, book: Book, config: Config, flags: list[str]) -> pd.DataFrame:
    """One row per expense of the period (`flags`: the problem codes on each row), as the
    Expenses sheet shows it, with its cost, billed and unbilled value."""
    x = run.expenses.reset_index(drop=True)
    error = run.expenses_with_errors().to_numpy()
    bills = x.index.isin(billable_expenses(x, config, frozenset()).index) & ~error
    lines = period_lines(book, None)
    lines = lines[lines["charge"].eq(EXPENSE)].drop_duplicates("charge_key").set_index("charge_key")
    on_invoice = x[X.expense_id].isin(lines.index).to_numpy()
    review = expenses_applied(x[X.expense_id], run.expense_decisions)
    held = review.held.to_numpy() & bills & ~on_invoice
    billed = [lines.at[i, "amount"] if o else ZERO for i, o in zip(x[X.expense_id], on_invoice)]
    to_bill = [(w if isinstance(w, Decimal) else marked_up(a, config.clients[c])) if b and not o else ZERO
               for a, c, b, o, w in zip(x[X.amount], x[X.client_key], bills, on_invoice, review.amount)]
    agency = config.agency.currency
    return x.assign(**{
        X.person_name: x[X.person_name].fillna(x[X.person]), "client_shown": x[X.client_key].fillna(x[X.client]),
        "job_shown": x[X.job_key].fillna(x[X.job]),
        "billable_text": ["yes" if b else "no" for b in bills], "receipt_text": x[X.receipt].fillna(""),
        "invoice_number": [lines.at[i, "number"] if o else "" for i, o in zip(x[X.expense_id], on_invoice)],
        "billed": billed, "to_bill": to_bill, "faulty": error, "flag_text": flags,
        "review_text": ["held back" if h else "written down" if isinstance(w, Decimal) and b and not o else ""
                        for h, w, b, o in zip(held, review.amount, bills, on_invoice)],
        "expense_cost": [a if cur == agency and not e else ZERO
                         for a, cur, e in zip(x[X.amount], x[X.currency], error)],
        "expense_billed": billed, "expense_unbilled": to_bill,
        "expense_revenue": [b + u for b, u in zip(billed, to_bill)]}).sort_values(
        [X.date, "client_shown", X.source_file, X.source_row], na_position="first").reset_index(drop=True)


def expense_sums(expenses: pd.DataFrame | None, by: list[str]) -> pd.DataFrame:
    """Per client (and job: "" for none) the SUMS of the sound expenses, indexed by `by` (client_key, job_key)."""
    if expenses is None or expenses.empty:
        index = pd.MultiIndex.from_tuples([], names=by) if len(by) > 1 else pd.Index([], name=by[0])
        return pd.DataFrame(columns=SUMS, index=index)
    sound = expenses[~expenses["faulty"]]
    keys = [sound[X.client_key], sound[X.job_key].fillna("")][:len(by)]
    return sound.groupby(keys)[SUMS].sum().rename_axis(by)


def expense_status(expenses: pd.DataFrame, client: str) -> dict | None:
    """A client's billable expenses billed and not billed yet (count and amount); None without any."""
    mine = expenses[~expenses["faulty"] & expenses[X.client_key].eq(client) & expenses["billable_text"].eq("yes")]
    if mine.empty:
        return None
    billed = mine["invoice_number"].ne("")
    return {"billed": int(billed.sum()), "billed_value": sum(mine.loc[billed, "billed"], ZERO),
            "unbilled": int((~billed).sum()), "unbilled_value": sum(mine.loc[~billed, "to_bill"], ZERO)}
