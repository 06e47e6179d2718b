"""Expenses: the expense exports ingest set aside → the period's expenses, resolved and keyed.

Needs: the expense tables and the PDFs and images ingest found in input/, the config and the
period. Gives: `Expensed`, the Expenses frame (the period's expenses, plus undated rows with
their errors) and its problems, each at its file, row and column. Names are resolved as
timesheet entries' are (resolve.py) and their unknown ones reported by the same checks. An
expense's `expense_id` is what it is — day, person, client, job, category, description,
amount and currency, the n-th identical copy in one file numbered —, so the same expense in
two overlapping exports counts once. Without expense exports or attachments, nothing runs.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ..config import Config
from ..ingest.expenses import read_expenses
from ..ingest.read import Table
from ..names import normalised
from ..periods import Period
from ..problems import Problem, Severity, Source, for_rows, info, plural, relabel, selected, warning
from ..schemas import Expenses as X
from ..schemas import RawExpenses, empty, validate
from .checks import Context, missing_client, unknown_client, unknown_job, unknown_person
from .identity import ID_BYTES
from .resolve import client_and_job_keys, person_names

NAME_CHECKS = (unknown_person, unknown_client, missing_client, unknown_job)


@dataclass(frozen=True)
class Expensed:
    frame: pd.DataFrame  # Expenses: the period's, and undated rows (each with its error)
    problems: tuple[Problem, ...]
    files: tuple[str, ...] = ()  # the expense exports read (a workbook's sheets each)


def expenses(tables: Sequence[Table], attachments: Sequence[str], input_dir: Path, config: Config,  # noqa: PLR0913
             period: Period, billed: pd.DataFrame | None = None) -> Expensed:  # the ledger's, BILLED_EXPENSE_COLUMNS
    """The period's expenses and their problems; `billed`: the expenses on live invoices (the
    ledger's), for those edited since they were billed (`changed_since_billed`)."""
    if not tables and not attachments:  # most workspaces bill no expenses: nothing to do
        return Expensed(empty(X), ())
    raw, problems, labels, receipts = read_expenses(tables, input_dir, config.imports.date_format)
    raw, schema_problems = validate(RawExpenses, raw)
    day = raw[X.date]
    outside = set(zip(raw.loc[day.notna() & ~period.holds(day), X.source_file],
                      raw.loc[day.notna() & ~period.holds(day), X.source_row]))
    problems = [p for p in problems + schema_problems if (p.source.file, p.source.row) not in outside]
    problems += outside_notes(raw[day.notna() & ~period.holds(day)], period)
    inside = raw[day.isna() | period.holds(day)].reset_index(drop=True)
    resolved = identified(resolved_names(inside, config))
    problems += [p for check in NAME_CHECKS for p in check(resolved, Context(config, period, period.end, empty(X)))]
    frame, repeats = drop_repeats(resolved)
    problems += repeats + unnamed_attachments(attachments, receipts) + other_currency(frame, config)
    problems += changed_since_billed(frame, billed, period) if billed is not None and len(billed) else []
    return Expensed(frame, tuple(relabel(problems, labels)), tuple(t.file for t in tables))


def resolved_names(raw: pd.DataFrame, config: Config) -> pd.DataFrame:
    """Person, client and job resolved to rates.yaml's (an expense may name no job: its job key is
    ""); a currency the export leaves out is the client's (or, for an unknown client, the agency's)."""
    client_key, job_key = client_and_job_keys(raw, config)
    # an expense may be the client's, of no job (travel to a workshop): not so an hour of work
    job_key = job_key.mask(client_key.notna() & raw[X.job].str.strip().eq(""), "")
    clients = config.clients
    billed_in = client_key.map(lambda key: clients[key].currency if isinstance(key, str) else config.agency.currency)
    return raw.assign(**{
        X.person_name: person_names(raw, config),
        X.client_key: client_key,
        X.job_key: job_key,
        X.currency: raw[X.currency].where(raw[X.currency].ne(""), billed_in.astype(str)),
    })


def identified(expenses: pd.DataFrame) -> pd.DataFrame:
    """`expense_id`: what the expense is, names as rates.yaml's where known. Identical rows in one
    file are copies 0, 1, …; a row whose date or amount cannot be read is only itself."""
    def known(key: str, typed: str) -> np.ndarray:
        return np.where(expenses[key].isna(), normalised(expenses[typed]), expenses[key].to_numpy(dtype=object))

    amount = expenses[X.amount].map(lambda a: "" if a is None else format(a.normalize(), "f"))
    parts = [expenses[X.date].dt.strftime("%Y-%m-%d").fillna(""), known(X.person_name, X.person),
             known(X.client_key, X.client), known(X.job_key, X.job), normalised(expenses[X.category]),
             normalised(expenses[X.description]), amount, expenses[X.currency]]
    content = np.array(["\x1f".join(map(str, p)) for p in zip(*parts)], dtype=object)
    comparable = (expenses[X.date].notna() & expenses[X.amount].notna()).to_numpy()
    copy = pd.Series(0, index=expenses.index).groupby([expenses[X.source_file], content]).cumcount().to_numpy()
    place = expenses[X.source_file] + ":" + expenses[X.source_row].astype(str)
    occurrence = np.where(comparable, copy.astype(str), place.to_numpy(dtype=object))
    blake2b = hashlib.blake2b
    ids = ["expense:" + blake2b(f"{c}\x1f{o}".encode(), digest_size=ID_BYTES).hexdigest()
           for c, o in zip(content, occurrence)]
    return expenses.assign(**{X.expense_id: pd.Series(ids, index=expenses.index, dtype="str")})


def drop_repeats(expenses: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    """The first of expenses with the same id (files in input/ order); a note per file for the rest."""
    repeat = expenses[X.expense_id].duplicated(keep="first")
    if not repeat.any():
        return expenses, []
    first = expenses[~repeat].set_index(X.expense_id)[X.source_file]
    dropped = expenses[repeat].assign(kept_in=lambda d: d[X.expense_id].map(first))
    problems = [info(Source(file), "repeated-expense", f"{n} expense{'s' if n > 1 else ''} also in {kept_in} — "
                                                       "counted once")
                for (file, kept_in), n in dropped.groupby([X.source_file, "kept_in"]).size().items()]
    return expenses[~repeat].reset_index(drop=True), problems


def outside_notes(outside: pd.DataFrame, period: Period) -> list[Problem]:
    """One note per expense export: how many of its expenses fall outside the period, and when."""
    return [info(Source(file), "outside-period", f"{plural(len(rows), 'expense')} outside {period} ignored "
                                                 f"({rows[X.date].min():%Y-%m-%d} .. {rows[X.date].max():%Y-%m-%d})")
            for file, rows in outside.groupby(X.source_file, sort=True)]


def changed_since_billed(expenses: pd.DataFrame, billed: pd.DataFrame, period: Period) -> list[Problem]:
    """An expense of the period on a live invoice that the exports no longer hold as billed, and
    an unbilled expense of its client on its day with its category or its words: edited since
    (its id is what it says, so the edited one would be billed as new). An error on the edited
    one, naming the invoice: void it and bill again, or restore the export. A billed expense gone
    with nothing like it is no risk (deleted, or its export archived): nothing is said."""
    gone = billed[period.holds(billed["day"]) & ~billed["expense_id"].isin(expenses[X.expense_id])]
    fresh = expenses[~expenses[X.expense_id].isin(billed["expense_id"])]
    if gone.empty or fresh.empty:
        return []
    pairs = fresh.reset_index().merge(gone, left_on=[X.client_key, X.date], right_on=["billed_to", "day"],
                                      suffixes=("", "_billed"))
    words = (pairs[X.category] + " — " + pairs[X.description]).str.strip(" —")
    alike = [bool(category) and detail.startswith(category) or bool(note) and note in detail
             for category, note, detail in zip(pairs[X.category], pairs[X.description], pairs["detail"])]
    rows = pairs.assign(words=words)[alike].drop_duplicates("index")
    return for_rows(rows, None, "expense-changed", Severity.ERROR, lambda r: (
        f"looks like an expense billed on invoice {r.number} edited since: invoiced {r.day:%Y-%m-%d} '{r.detail}' "
        f"at {r.amount_billed} (as billed, with any markup), now '{r.words}' costing {r.amount} — restore the export "
        f"as it was, or cancel the invoice with "
        f"`auftakt-batch void {r.number} --reason ...` and bill again"))


def other_currency(expenses: pd.DataFrame, config: Config) -> list[Problem]:
    """A billable expense in another currency than its client is billed in: an error (the invoice
    has one currency; which rate converts it is the agency's to say, not ours to guess)."""
    clients = config.clients
    billed_in = expenses[X.client_key].map(lambda key: clients[key].currency if isinstance(key, str) else None)
    rows = selected(expenses, expenses[X.billable] & billed_in.notna() & expenses[X.currency].ne(billed_in)
                    & expenses[X.currency].ne(""), billed_in=billed_in)
    return for_rows(rows, "currency", "other-currency", Severity.ERROR, lambda r: (
        f"a billable expense in {r.currency}, but {r.client_key} is billed in {r.billed_in} — convert it (at the "
        f"rate your bank charged) and write the amount in {r.billed_in}, or mark it not billable"))


def unnamed_attachments(attachments: Sequence[str], receipts: frozenset[str]) -> list[Problem]:
    """A PDF or image in input/ that no expense names as its receipt is not read: said, as of any
    other file of a type not read."""
    return [warning(Source(label), "not-read", "ignored: no expense names it as its receipt (nor is it a "
                                               "timesheet or calendar file)")
            for label in attachments if label not in receipts]
