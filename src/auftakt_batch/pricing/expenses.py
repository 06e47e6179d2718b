"""Expenses on invoices: each billable expense a line of its own, at cost plus the client's markup.

Needs: the period's expenses (check/expenses.py: resolved, keyed, without errors) and the
config. Gives: per expense what its line says — the price (the amount × (100 + markup) / 100,
rounded half-up to cents, or the review's amount to bill: `BILL_AMOUNT`), the words (category,
description, the receipt attached) and its charge's key, the expense id, so the ledger bills it
at most once. A non-billable expense is a cost only: it is on no invoice (the reports count it).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import PurePosixPath

import pandas as pd

from ..config import Client, Config
from ..schemas import Expenses as X
from ..units import CENT

EXPENSE = "expense"  # the charge kind; its key is the expense id
BILL_AMOUNT = "bill_amount"  # an optional column: the review's amount to bill (a write-down), else None
RECEIPT = {"en": "receipt attached: {name}", "de": "Beleg anbei: {name}"}
EXPENSES_TITLE = {"en": "Expenses", "de": "Auslagen"}  # the title of an expense of no job


@dataclass(frozen=True, kw_only=True)
class ExpenseLine:
    key: str  # the expense id
    job_key: str  # "" for an expense of no job
    detail: str
    price: Decimal  # cost plus markup
    day: date
    receipt: str | None  # the receipt's path under input/, attached to the invoice
    vat_rate: Decimal | None  # its own VAT rate (percent), where the export gives one


def billable_expenses(expenses: pd.DataFrame, config: Config, charged: frozenset[tuple[str, str]]) -> pd.DataFrame:
    """The expenses an invoice may carry: dated, billable by the export and by rates.yaml (their
    client's and job's `billable`), and on no live invoice yet."""
    def rates_say(client_key: object, job_key: object) -> bool:
        client = config.clients.get(client_key) if isinstance(client_key, str) else None
        job = client.jobs.get(job_key) if client is not None and isinstance(job_key, str) else None
        return client is not None and client.billable and (job is None or job.billable)

    ok = [rates_say(c, j) for c, j in zip(expenses[X.client_key], expenses[X.job_key])]
    on_invoice = expenses[X.expense_id].map(lambda key: (EXPENSE, key) in charged).astype(bool)
    return expenses[expenses[X.date].notna() & expenses[X.billable] & pd.Series(ok, index=expenses.index, dtype=bool)
                    & ~on_invoice]


def expense_lines(expenses: pd.DataFrame, client: Client) -> Iterator[ExpenseLine]:
    """One line per expense of `client`, by day, then as exported."""
    if expenses.empty:  # most clients, most runs
        return
    written = expenses[BILL_AMOUNT] if BILL_AMOUNT in expenses else pd.Series(None, index=expenses.index)
    expenses = expenses.assign(**{BILL_AMOUNT: written})
    for r in expenses.sort_values([X.date, X.source_file, X.source_row]).itertuples(index=False):
        words = " — ".join(part for part in (r.category, r.description) if part)
        receipt = r.receipt if isinstance(r.receipt, str) and r.receipt else None
        if receipt is not None:
            words += f" ({RECEIPT[client.language].format(name=PurePosixPath(receipt).name)})"
        yield ExpenseLine(key=r.expense_id, job_key=r.job_key or "", detail=words, day=r.date.date(),
                          price=r.bill_amount if isinstance(r.bill_amount, Decimal) else marked_up(r.amount, client),
                          receipt=receipt, vat_rate=r.vat_rate if isinstance(r.vat_rate, Decimal) else None)


def marked_up(cost: Decimal, client: Client) -> Decimal:
    """What an expense bills: its cost × (100 + the client's markup) / 100, half-up to cents."""
    return (cost * (Decimal(100) + client.expense_markup) / 100).quantize(CENT, rounding=ROUND_HALF_UP)
