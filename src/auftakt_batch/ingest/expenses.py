"""Expense exports → raw expenses, with a located problem for each unreadable cell.

Runs after ingest has read the files: ingest recognises an expense export by its header
(formats/: Harvest's, Clockify's, the native expense sheet) and hands its tables here instead
of reading them as time. As for timesheets, what varies between files of one tool — the
date order of slash dates, the decimal mark of amounts — is decided per file from all its
values. A row whose value cannot be read is kept, with None or NA there and an error naming
its file, row and column; it is never dropped and its amount never becomes zero.

A receipt names a file under input/ (`receipts/taxi.pdf`): one that is not there, is no PDF
or image, or lies outside input/ (`../`, an absolute path, a link out) is a warning on its
row, and the row keeps no receipt — nothing outside input/ is ever opened.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from decimal import Decimal
from functools import partial
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Callable, Mapping, Sequence

import pandas as pd

from ..problems import Problem, Severity, Source, for_rows, plural, selected, warning
from ..schemas import RawExpenses as X
from ..schemas import empty
from .formats import EXPENSE_FIELDS, Format, by_name
from .read import Table
from .values import (
    BOOL_FORMS,
    DATE_FORMS,
    MONEY_FORMS,
    calendar_date,
    date_order,
    decimal_mark,
    has_slash_dates,
    money,
    parse_column,
    yes_no,
)

ERROR = Severity.ERROR
RECEIPT_SUFFIXES = frozenset({".pdf", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".heic"})
NEEDED = ("date", "person", "amount")  # an expense without them cannot be billed (client: check/expenses says)
_CURRENCY = re.compile(r"(?:^|[^A-Za-z])([A-Za-z]{3})$")  # EUR, eur, "Euro - EUR"


def read_expenses(tables: Sequence[Table], input_dir: Path, date_format: str | None = None
                  ) -> tuple[pd.DataFrame, list[Problem], dict[str, dict[str, str]], frozenset[str]]:
    """(raw expenses of every table, problems, file -> {canonical field: header text}, the files
    named as receipts as the user sees them: input/receipts/taxi.pdf — attachable or not)."""
    frames, problems, labels = [], [], {}
    for table in tables:
        frame, table_problems, labels[table.file] = expense_rows(table, by_name(table.format), date_format)
        frames.append(frame)
        problems += table_problems
    expenses = pd.concat(frames, ignore_index=True) if frames else empty(X)
    named = frozenset(str(PurePosixPath("input") / r.replace("\\", "/")) for r in expenses[X.receipt].dropna())
    expenses, receipt_problems = checked_receipts(expenses, input_dir)
    return expenses, problems + receipt_problems, labels, named


def expense_rows(table: Table, fmt: Format, date_format: str | None
                 ) -> tuple[pd.DataFrame, list[Problem], dict[str, str]]:
    """One table's raw expenses, its problems and its header text per field."""
    positions = fmt.field_positions(table.header)
    labels = {f: table.header[i] for f, i in positions.items()}
    blank = pd.Series("", index=table.rows.index, dtype=str)
    text = {f: table.rows[positions[f]] if f in positions else blank for f in EXPENSE_FIELDS}
    if "person" not in positions and ("first_name" in positions or "last_name" in positions):
        text["person"] = (text["first_name"] + " " + text["last_name"]).str.strip()
        labels["person"] = labels.get("first_name") or labels["last_name"]
    rows = table.rows[["source_row"]].assign(source_file=table.file)
    problems: list[Problem] = []

    def parsed(f: str, parse: Callable[[str], object], dtype: str, forms: str, said: pd.Series | None = None
               ) -> pd.Series:
        values, bad = parse_column(text[f], parse, dtype)
        bad = bad if said is None else bad & ~said  # a value whose error is already said
        problems.extend(for_rows(selected(rows, bad, v=text[f]), f, f"bad-{f}", ERROR,
                                 lambda r: f"unreadable {f} {r.v!r} — use {forms}"))
        return values

    order, undecided = _date_order(text["date"], date_format)
    if undecided.any():
        problems.append(_undecided(rows[undecided], text["date"][undecided]))
    day = parsed("date", partial(calendar_date, order=order), "date", DATE_FORMS, undecided)
    amount = parsed("amount", partial(money, mark=decimal_mark(text["amount"].unique())[0] or "."), "object",
                    MONEY_FORMS)
    billable = parsed("billable", yes_no, "boolean", BOOL_FORMS)
    vat = parsed("vat", vat_percent, "object", "a percent from 0 to 100 such as 19, 7% or 0")
    currency, currency_problems = _currency(text["currency"], fmt.header_currency(table.header), rows)
    problems += currency_problems + _negative(rows, amount) + _missing(rows, text)
    frame = pd.DataFrame({
        X.source_file: rows["source_file"].astype(str),
        X.source_row: rows["source_row"].astype("int64"),
        X.source_format: fmt.name,
        X.date: day.where(~undecided),
        **{f: text[f].astype(str) for f in (X.person, X.email, X.client, X.job, X.category, X.description)},
        X.amount: amount.astype(object).where(amount.notna(), None),
        X.currency: currency,
        X.billable: billable.fillna(True).astype(bool),
        X.receipt: text["receipt"].astype(object).where(text["receipt"].ne(""), None),
        X.vat_rate: vat.astype(object).where(vat.notna(), None),
    })
    return frame.reset_index(drop=True), problems, labels


def vat_percent(text: str) -> Decimal | None:
    """'19' / '7 %' / '7,5%' → Decimal percent from 0 to 100; None when it is none of those."""
    found = money(text.replace("%", "").strip(), mark="," if "," in text else ".")
    return found if found is not None and 0 <= found <= 100 else None


def _date_order(dates: pd.Series, date_format: str | None) -> tuple[str | None, pd.Series]:
    """(dmy or mdy for this file's slash dates, the rows whose slash date nothing decides)."""
    distinct = dates.unique()
    if not has_slash_dates(distinct):
        return "dmy", pd.Series(False, index=dates.index)
    order, against = date_order(distinct)
    order = None if against else order or date_format
    return order, dates.str.contains("/") if order is None else pd.Series(False, index=dates.index)


def _undecided(rows: pd.DataFrame, dates: pd.Series) -> Problem:
    numbers = tuple(int(r) for r in rows["source_row"])
    return Problem(Source(rows["source_file"].iloc[0], numbers[0], "date"), "date-order", ERROR,
                   f"dates such as {dates.iloc[0]!r} could be day/month or month/day, and no date in this file tells "
                   f"which ({plural(len(numbers), 'row')}) — add `imports: {{date_format: DD/MM/YYYY}}` (or "
                   "MM/DD/YYYY) to rates.yaml, or write them YYYY-MM-DD", numbers if len(numbers) > 1 else ())


def _currency(column: pd.Series, from_header: str | None, rows: pd.DataFrame) -> tuple[pd.Series, list[Problem]]:
    """Each row's ISO code: from a Currency column (`EUR`, `Euro - EUR`), else the header's
    (`Amount (EUR)`), else "" (check/expenses takes the client's). Other text is an error."""
    distinct = column.unique()
    codes = column.map({t: (m[1].upper() if (m := _CURRENCY.search(t)) else "") for t in distinct})
    bad = column.ne("") & codes.eq("")
    problems = for_rows(selected(rows, bad, v=column), "currency", "bad-currency", ERROR,
                        lambda r: f"unreadable currency {r.v!r} — use its three-letter code (EUR, USD, CHF)")
    return codes.where(codes.ne(""), from_header or "").astype(str), problems


def _negative(rows: pd.DataFrame, amount: pd.Series) -> list[Problem]:
    negative = amount.map(lambda a: a is not None and not pd.isna(a) and a < 0).astype(bool)
    return for_rows(selected(rows, negative, v=amount), "amount", "negative-expense", ERROR,
                    lambda r: f"a negative amount ({r.v}) — an expense is money spent: record a refund as a credit, "
                              "not a negative expense, or delete the row")


def _missing(rows: pd.DataFrame, text: Mapping[str, pd.Series]) -> list[Problem]:
    problems: list[Problem] = []
    for field in NEEDED:
        empty_cell = text[field].eq("")
        problems += for_rows(selected(rows, empty_cell), field, "missing-value", ERROR,
                             partial(_said, f"{field} is empty — every expense needs one"))
    return problems


def _said(message: str, row: object) -> str:
    return message


def checked_receipts(expenses: pd.DataFrame, input_dir: Path) -> tuple[pd.DataFrame, list[Problem]]:
    """Each named receipt checked without being opened: a PDF or image file under input/. One
    that is not keeps no receipt, with a warning on its row."""
    named = expenses[X.receipt].notna()
    if not named.any():  # most exports name no receipt file
        return expenses, []
    root = input_dir.resolve()
    verdicts = {path: receipt_problem(path, input_dir, root) for path in expenses.loc[named, X.receipt].unique()}
    problems = [replace(verdict, source=Source(r.source_file, int(r.source_row), X.receipt))
                for r in expenses[named].itertuples(index=False) if (verdict := verdicts[r.receipt]) is not None]
    refused = expenses[X.receipt].map(lambda p: p is not None and verdicts[p] is not None).astype(bool)
    return expenses.assign(**{X.receipt: expenses[X.receipt].mask(refused, None)}), problems


def receipt_problem(written: str, input_dir: Path, root: Path) -> Problem | None:
    """Why the receipt `written` cannot be attached (a warning placed at its row by the caller);
    None if it can. `root`: input/, resolved."""
    here = Source("input/")
    relative = PurePosixPath(written.replace("\\", "/"))
    if relative.is_absolute() or PureWindowsPath(written).drive or ".." in relative.parts:
        return warning(here, "receipt-outside", f"receipt {written!r} is not under input/ — receipts are read only "
                                                "from input/: put the file there and name it relative to input/ "
                                                "(receipts/taxi.pdf)")
    path = input_dir / relative
    if path.suffix.lower() not in RECEIPT_SUFFIXES:
        return warning(here, "missing-receipt", f"receipt {written!r} is no PDF or image "
                                                f"({', '.join(sorted(RECEIPT_SUFFIXES))}) — scan it to PDF, or leave "
                                                "the cell empty")
    try:
        inside = path.resolve().is_relative_to(root)
    except (OSError, RuntimeError):  # a link loop: not a file we can attach (isfile says so below)
        inside = True
    if not inside:
        return warning(here, "receipt-outside", f"receipt {written!r} links to a file outside input/ — receipts are "
                                                "read only from input/: copy the file itself there")
    if not os.path.isfile(path):
        return warning(here, "missing-receipt", f"receipt {written!r} is not in input/ — put the file at "
                                                f"input/{relative}, or correct the name; the invoice goes out "
                                                "without it")
    return None
