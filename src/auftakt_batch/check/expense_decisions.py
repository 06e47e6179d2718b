"""What a reviewer decided on the review workbook's Expenses sheet (reports/review.py writes it).

Each expense the next `bill` would invoice has a row: `approve` (yes/no, empty means yes) and
`amount to bill` (empty: cost plus markup; a smaller amount writes the expense down). As for
hours, nothing is applied blindly: a value that is neither yes nor no, an amount that is no
amount, nothing, or more than cost plus markup, and a sheet whose rows no longer match the
expenses to bill are errors at their sheet, row and column that hold back that client until
the review is written again. A workbook without an Expenses sheet (written before there were
expenses, or by an older version) decides nothing about expenses: they are billed as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

import pandas as pd

from ..config import Config
from ..ingest.values import money
from ..periods import Period
from ..pricing.expenses import BILL_AMOUNT, marked_up
from ..problems import Problem, Severity, Source, plural
from ..schemas import Expenses as X
from ..units import CENT
from .review_file import AMOUNT_HEADER, ANSWERS, EXPENSE_ID_HEADER, EXPENSE_SHEET, blank

PRICE = "price"  # the expenses to bill: their cost plus markup (pipeline.expenses_now)
COLUMNS = ["expense_id", "owner", "row", "approve_raw", "amount_raw", "approve", "amount"]
NO_EXPENSE_DECISIONS = pd.DataFrame({c: pd.Series(dtype=bool if c == "approve" else "int64" if c == "row" else object)
                                     for c in COLUMNS})


@dataclass(frozen=True)
class ReviewedExpenses:
    """What the reviewer's decisions make of some expenses (Series over them)."""

    held: pd.Series  # bool: set to no — left unbilled
    amount: pd.Series  # Decimal: the amount to bill the reviewer wrote down; None where none


def expenses_applied(expense_ids: pd.Series, decisions: pd.DataFrame | None) -> ReviewedExpenses:
    """The review's decisions applied to expenses (their ids): billing and the reports read them here."""
    said = {} if decisions is None else {r.expense_id: (r.approve, r.amount) for r in decisions.itertuples()}
    held = [said.get(i, (True, None))[0] is False for i in expense_ids]
    amount = [a if isinstance(a := said.get(i, (True, None))[1], Decimal) else None for i in expense_ids]
    return ReviewedExpenses(pd.Series(held, index=expense_ids.index, dtype=bool),
                            pd.Series(amount, index=expense_ids.index, dtype=object))


class BilledAsReviewed(NamedTuple):
    kept: pd.DataFrame  # the expenses to bill, with the review's amount to bill (BILL_AMOUNT) where it wrote one
    said: list[str]  # what the review changed of them, for `bill`'s summary


def billed_as_reviewed(expenses: pd.DataFrame, decisions: pd.DataFrame | None, config: Config) -> BilledAsReviewed:
    """The expenses to bill as the review decided: set to no, left unbilled; with an amount to
    bill, billed at it (pricing/expenses.py reads BILL_AMOUNT) — and what that changed."""
    review = expenses_applied(expenses[X.expense_id], decisions)
    kept = expenses[~review.held].assign(**{BILL_AMOUNT: review.amount[~review.held]})
    cut: dict[str, Decimal] = {}
    for cost, key, wanted in zip(kept[X.amount], kept[X.client_key], kept[BILL_AMOUNT]):
        if isinstance(wanted, Decimal):
            client = config.clients[key]
            cut[client.currency] = cut.get(client.currency, Decimal("0.00")) + marked_up(cost, client) - wanted
    held = int(review.held.sum())
    said = [f"{plural(held, 'expense')} held back (left unbilled)"] if held else []
    down = sum(isinstance(w, Decimal) for w in kept[BILL_AMOUNT])
    said += [f"{plural(down, 'expense')} written down by "
             f"{' and '.join(f'{v:,.2f} {c}' for c, v in sorted(cut.items()))}"] if down else []
    return BilledAsReviewed(kept, said)


def read_expense_sheet(cells: list[list] | None, to_bill: pd.DataFrame, billed: frozenset[str], label: str,
                       period: Period) -> tuple[pd.DataFrame, list[Problem]]:
    """The decisions of the Expenses sheet (`cells`, from A1; None: the workbook has none), checked
    against `to_bill` (the expenses a billing run would invoice, with their PRICE) and `billed`
    (the expense ids on live invoices)."""
    if cells is None:
        return NO_EXPENSE_DECISIONS, []
    where = f"{label}[{EXPENSE_SHEET}]"
    head = [str(v).strip() if v is not None else "" for v in (cells[0] if cells else ())]
    if not {"approve", AMOUNT_HEADER, EXPENSE_ID_HEADER} <= set(head):
        return NO_EXPENSE_DECISIONS, [Problem(Source(where, 1), "review", Severity.ERROR, (
            f"the sheet lost its approve, {AMOUNT_HEADER!r} or {EXPENSE_ID_HEADER!r} column — write the review again "
            f"with `auftakt-batch review --period {period.label}`; no expense is billed until then"))]
    at = {name: head.index(name) for name in ("approve", AMOUNT_HEADER, EXPENSE_ID_HEADER, "client") if name in head}
    client_of = dict(zip(to_bill[X.expense_id], to_bill[X.client_key]))
    found = []
    for number, values in enumerate(cells[1:], 2):
        expense_id = _cell(values, at[EXPENSE_ID_HEADER])
        if blank(expense_id):
            continue
        key = str(expense_id).strip()
        typed_client = _cell(values, at.get("client", len(values)))
        found.append((key, client_of.get(key, "" if blank(typed_client) else str(typed_client).strip()), number,
                      _cell(values, at["approve"]), _cell(values, at[AMOUNT_HEADER])))
    rows = pd.DataFrame(found, columns=COLUMNS[:5]).astype({"approve_raw": object, "amount_raw": object})
    problems: list[Problem] = []
    price = dict(zip(to_bill[X.expense_id], to_bill[PRICE]))
    approve, amount = [], []
    for r in rows.itertuples():
        answer = True if blank(r.approve_raw) else ANSWERS.get(str(r.approve_raw).strip().lower())
        if answer is None:
            problems.append(_error(where, r, "approve", f"{r.approve_raw!r} is neither yes nor no — write yes or no "
                                                        f"(empty means yes); {r.owner} is not billed until then"))
        approve.append(answer is not False)
        amount.append(_amount(r, price.get(r.expense_id), where, problems))
    rows = rows.assign(approve=pd.Series(approve, dtype=bool), amount=pd.Series(amount, dtype=object))
    problems += _mismatches(rows, to_bill, billed, where, period)
    return (rows if len(rows) else NO_EXPENSE_DECISIONS), problems


def _cell(values: list[object], index: int) -> Any:
    return values[index] if index < len(values) else None


def _amount(r: Any, price: Decimal | None, where: str, problems: list[Problem]) -> Decimal | None:
    """The amount to bill as typed (40, 40.00, 40,00, EUR 40.00), checked: in cents, more than
    nothing, not more than the cost plus markup; None when empty or wrong (an error says so)."""
    raw = r.amount_raw
    if blank(raw):
        return None
    value = _decimal(raw)
    if value is None or value != value.quantize(CENT):
        problems.append(_error(where, r, AMOUNT_HEADER, f"{raw!r} is not an amount in cents — use 40.00"))
    elif value <= 0:
        problems.append(_error(where, r, AMOUNT_HEADER, f"{raw!r} would bill nothing — set approve to no to hold "
                                                        "the expense back"))
    elif price is not None and value > price:
        problems.append(_error(where, r, AMOUNT_HEADER, f"{value:.2f} is more than the {price:.2f} to bill (cost plus "
                                                        "markup) — a review writes expenses down, never up"))
    else:
        return value.quantize(CENT)
    return None


def _decimal(raw: object) -> Decimal | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        try:
            return Decimal(str(raw))
        except InvalidOperation:  # inf, nan
            return None
    text = str(raw).strip()
    return money(text, ".") or money(text, ",")


def _mismatches(rows: pd.DataFrame, to_bill: pd.DataFrame, billed: frozenset[str], where: str,
                period: Period) -> list[Problem]:
    """Per client: rows whose expense is no longer to bill (changed or removed since: an expense's
    id is what it says) and expenses to bill the sheet lacks — an error that holds it back."""
    stale = rows[~rows["expense_id"].isin(to_bill[X.expense_id]) & ~rows["expense_id"].isin(billed)]
    missing = to_bill[~to_bill[X.expense_id].isin(rows["expense_id"])]
    problems = []
    for client in sorted(set(stale["owner"]) | set(missing[X.client_key])):
        gone, new = stale[stale["owner"].eq(client)], missing[missing[X.client_key].eq(client)]
        parts = []
        if len(gone):
            shown = ", ".join(map(str, gone["row"].head(8))) + (", …" if len(gone) > 8 else "")
            parts.append(f"{'row' if len(gone) == 1 else 'rows'} {shown} no longer "
                         f"{'matches' if len(gone) == 1 else 'match'} the expense exports (changed or removed since "
                         "it was written)")
        if len(new):
            listed = "; ".join(_expense_text(e) for e in new.head(5).itertuples(index=False))
            more = f"; and {len(new) - 5} more" if len(new) > 5 else ""
            parts.append(f"it lacks {plural(len(new), 'expense')} of {client}: {listed}{more} (added or changed "
                         "since, or deleted: to hold an expense back, set approve to no instead)")
        numbers = tuple(int(n) for n in gone["row"])
        problems.append(Problem(Source(where, numbers[0] if numbers else None), "review", Severity.ERROR, (
            f"{' and '.join(parts)} — {client or 'the client'} is not billed until you run `auftakt-batch review "
            f"--period {period.label}` again (decisions already made are kept)"), rows=numbers if len(numbers) > 1
            else (), client=client or None))
    return problems


def _expense_text(expense: Any) -> str:
    """An expense as a reviewer finds it in the export: 2026-11-04 Anna Schmidt 49.99 EUR 'Stock photos — Hero'."""
    words = " — ".join(p for p in (getattr(expense, X.category), getattr(expense, X.description)) if p)
    return (f"{getattr(expense, X.date):%Y-%m-%d} {getattr(expense, X.person_name)} "
            f"{getattr(expense, X.amount):.2f} {getattr(expense, X.currency)} {repr(words) if words else ''}").strip()


def _error(where: str, r: Any, column: str, message: str) -> Problem:
    """An error at a cell of the Expenses sheet, holding back the expense's client."""
    return Problem(Source(where, int(r.row), column), "review", Severity.ERROR, message, client=r.owner or None)
