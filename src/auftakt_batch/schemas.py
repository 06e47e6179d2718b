"""The frames that pass between stages, as pandera models: the contract at each boundary.

RawEntries     ingest  → resolve: one row per exported row, values parsed, names as typed.
Entries        resolve → checks, pricing: names resolved to rates.yaml keys, `entry_id` set.
PricedEntries  pricing → billing, review, reports: each entry's rate and billed duration.
ReviewedEntries  billing.reviewed → invoices: as the review workbook has them billed (held ones left out).
ReportEntries  reports/figures.entry_table → the workbooks: what each entry is worth and costs, on
               which invoice it is, what the review and the checks say of it.
ReviewDecisions  check/decisions → billing, reports: what the reviewer typed, one row per entry row.
RawExpenses    ingest/expenses → check/expenses: one row per row of an expense export, values parsed.
Expenses       check/expenses → billing: the period's expenses, names resolved, `expense_id` set.
Bookings       ingest/bank → payments: every booking of the bank statements in input/bank/, once.

Each field's description says where it is born (the module and function that set it) and its
unit. Other modules name a column through its model (`E.entry_id`, `P.billed_s`), never as a
string, so a column is renamed in one place and a misspelt one fails at import.

Fields that a bad cell can leave empty are nullable: such a row is kept and carries an
error problem, so it is never silently dropped. Validation is lazy (every failure at once)
and its failures become problems located at the entry's file and row.

pandera itself runs only when a quick look at the frame finds something it could reject:
pandera is what reports, but its first validation costs a `check` more than all its later
ones (it registers its backends and imports the optional extras that are installed).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.engines.pandas_engine import Engine
from pandera.errors import SchemaErrors
from pandera.typing import Series

from .config.clients import KEY
from .problems import Problem, Source, error

UTC = {"unit": "us", "tz": "UTC"}
ROW = "ingest/build.build_entries (calendars/__init__ for meetings)"  # where every raw field is born


def born(where: str, what: str) -> str:
    """A field's description: what it holds (with its unit), then where it is born."""
    return f"{what} — set by {where}"


class RawEntries(pa.DataFrameModel):
    source_file: Series[str] = pa.Field(str_length={"min_value": 1}, description=born(
        ROW, "the input file, relative to the workspace (input/toggl-w47.csv)"))
    source_row: Series[int] = pa.Field(ge=1, description=born(
        ROW, "the entry's row in that file as a spreadsheet numbers it (a calendar's: the occurrence's number)"))
    source_format: Series[str] = pa.Field(description=born(ROW, "the format that read it (toggl, native, calendar)"))
    date: Series[pd.Timestamp] = pa.Field(nullable=True, description=born(
        ROW, "the local start date, agency time zone (a Timestamp at midnight); NA when unreadable"))
    start: Series[pd.DatetimeTZDtype] = pa.Field(nullable=True, dtype_kwargs=UTC, description=born(
        ROW, "the start instant, UTC; NA when the export has no time of day"))
    # the start's wall-clock time as the export wrote it, in the zone it was written in (the
    # person's, the agency's, a calendar event's own): what identifies an entry, whatever the settings
    local_start: Series[pd.Timestamp] = pa.Field(nullable=True, description=born(
        ROW, "the start's wall-clock time as exported, in the zone it was written in (no zone)"))
    end: Series[pd.DatetimeTZDtype] = pa.Field(nullable=True, dtype_kwargs=UTC, description=born(
        ROW, "the end instant, UTC; NA when the export has none"))
    duration_s: Series[pd.Int64Dtype] = pa.Field(nullable=True, description=born(
        ROW, "the logged time, whole seconds; NA when unreadable (an error), negative kept as exported"))
    person: Series[str] = pa.Field(description=born(ROW, "the person as the export names them"))
    client: Series[str] = pa.Field(description=born(ROW, "the client as the export names it"))
    job: Series[str] = pa.Field(description=born(ROW, "the job (project) as the export names it"))
    task: Series[str] = pa.Field(description=born(ROW, "the task as exported, \"\" if none"))
    description: Series[str] = pa.Field(description=born(ROW, "the entry's description as exported"))
    email: Series[str] = pa.Field(description=born(ROW, "the person's e-mail as exported, \"\" if none"))
    billable_flag: Series[pd.BooleanDtype] = pa.Field(nullable=True, description=born(
        ROW, "the export's billable flag; NA: the export says nothing"))
    export_amount: Series[object] = pa.Field(nullable=True, description=born(
        ROW, "the tracker's own price (Decimal, export_currency): checked, not billed; None if none"))
    export_rate: Series[object] = pa.Field(nullable=True, description=born(
        ROW, "the tracker's own hourly rate (Decimal, export_currency); None if none"))
    export_currency: Series[str] = pa.Field(description=born(
        ROW, "the currency of export_amount and export_rate (ISO 4217), \"\" if unknown"))
    # what the tracker already decided (imports: in rates.yaml says how far to follow it)
    invoiced_flag: Series[pd.BooleanDtype] = pa.Field(nullable=True, description=born(
        ROW, "the export marks it invoiced (or exported); an invoice id alone says so too"))
    tracker_invoice: Series[str] = pa.Field(description=born(ROW, "the tracker's own invoice id, \"\" if none"))
    approved_flag: Series[pd.BooleanDtype] = pa.Field(nullable=True, description=born(
        ROW, "the export marks it approved; NA: the export says nothing"))

    class Config:
        strict = True
        ordered = False


RESOLVE = "check/resolve.resolve_names"
IDENTIFY = "check/identity.identify"


class Entries(RawEntries):
    person_name: Series[str] = pa.Field(nullable=True, description=born(
        RESOLVE, "the person's name in rates.yaml's team; NA when no one matches"))
    client_key: Series[str] = pa.Field(nullable=True, str_matches=f"^{KEY}$", description=born(
        RESOLVE, "the client's key in rates.yaml; NA when unknown (an error)"))
    job_key: Series[str] = pa.Field(nullable=True, description=born(
        RESOLVE, "the job's key under its client in rates.yaml, \"\" for none; NA when unknown"))
    billable: Series[bool] = pa.Field(description=born(
        RESOLVE, "whether the entry is billed: the job's, the client's or the export's say"))
    # why the tracker's flags hold the entry back (tracker.py): "" | "invoiced" | "unapproved"
    tracker_hold: Series[str] = pa.Field(str_matches=r"^(invoiced|unapproved)?$", description=born(
        "check/tracker.hold_by_tracker (cleared by pipeline._approved_by_reviewer)",
        "why the tracker's flags hold it back: \"\", \"invoiced\" or \"unapproved\""))
    entry_id: Series[str] = pa.Field(unique=True, str_matches=r"^[0-9a-f]{20}$", description=born(
        IDENTIFY, "the entry's fingerprint (20 hex digits): what the ledger and the review key on"))
    slot: Series[str] = pa.Field(str_matches=r"^[td]:[0-9a-f]{20}$", description=born(
        IDENTIFY, "who, for whom and when (t: by start time, d: by day): finds an entry edited since"))
    duplicate_of: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=1, description=born(
        IDENTIFY, "the source_row of the first identical copy in the same file; NA for a first"))


PRICE = "pricing.price"


class PricedEntries(Entries):
    rate: Series[object] = pa.Field(nullable=True, description=born(
        f"{PRICE} (reports/figures.entry_table: an invoiced entry's line price)",
        "the hourly rate in force (Decimal, the client's currency); None where there is none (no-rate)"))
    billed_s: Series[pd.Int64Dtype] = pa.Field(nullable=True, description=born(
        f"{PRICE} (written down by check/decisions.review_applied; reports/figures.entry_table: as invoiced)",
        "the billed time after the rounding rule, whole seconds; NA where duration_s is"))


FIGURES = "reports/figures.entry_table"


class ReviewedEntries(PricedEntries):
    written_down_from: Series[pd.Int64Dtype] = pa.Field(nullable=True, description=born(
        "billing.reviewed, from check/decisions.review_applied (reports/figures.entry_table: also the ledger's)",
        "billed_s before the reviewer wrote it down, whole seconds; NA if not written down"))


class ReportEntries(ReviewedEntries):
    error: Series[bool] = pa.Field(description=born(FIGURES, "an error is about the entry: counted in no total"))
    invoice: Series[str] = pa.Field(description=born(FIGURES, "the number of our live invoice that holds it, \"\""))
    held_in_review: Series[bool] = pa.Field(description=born(
        f"{FIGURES} (check/decisions.review_applied)", "the review workbook says no: left unbilled"))
    waits_for_approval: Series[bool] = pa.Field(description=born(
        FIGURES, "unbilled, unapproved in the tracker, and the review has not said yes"))
    tracker: Series[str] = pa.Field(description=born(
        "check/tracker.tracker_text", "what the export says, as the reports show it; \"\" if nothing"))
    currency: Series[str] = pa.Field(description=born(FIGURES, "the client's currency (ISO 4217), else the agency's"))
    flags: Series[str] = pa.Field(description=born(
        "reports/figures.flags", "the codes of the problems about its row, errors first, comma-separated"))
    value: Series[object] = pa.Field(description=born(
        FIGURES, "billed hours × rate (Decimal, currency); 0.00 if not billable, with errors, without a rate, or "
        "billed by a model (its fee or price is the revenue: reports/models.py)"))
    notional_value: Series[object] = pa.Field(description=born(
        FIGURES, "billed hours × the rate in force, a model's entries too (Decimal, currency): what amount budgets "
        "burn; 0.00 if not billable, with errors or without a rate"))
    model: Series[str] = pa.Field(description=born(
        "reports/models.entry_models", "the model that bills it: retainer, fixed, or \"\" (by the hour)"))
    cost: Series[object] = pa.Field(description=born(
        FIGURES, "logged hours × the person's cost_rate (Decimal, agency currency); 0.00 if none"))


DECIDED = "check/decisions.read_decisions"


class ReviewDecisions(pa.DataFrameModel):
    """One row per entry row of the review workbook's client sheets."""

    entry_id: Series[str] = pa.Field(description=born(DECIDED, "the row's entry id, as the hidden column holds it"))
    client: Series[str] = pa.Field(description=born(DECIDED, "the client key whose sheet the row is on"))
    sheet: Series[str] = pa.Field(description=born(DECIDED, "the sheet's name"))
    row: Series[int] = pa.Field(ge=2, description=born(DECIDED, "the row number in the sheet, 1 being the header"))
    approve_raw: Series[object] = pa.Field(nullable=True, description=born(DECIDED, "the approve cell as typed"))
    bill_raw: Series[object] = pa.Field(nullable=True, description=born(DECIDED, "the bill_hours cell as typed"))
    person: Series[object] = pa.Field(nullable=True, description=born(DECIDED, "the person cell as typed"))
    day: Series[object] = pa.Field(nullable=True, description=born(DECIDED, "the date cell as typed (a date if one)"))
    job: Series[object] = pa.Field(nullable=True, description=born(DECIDED, "the job cell as typed"))
    approve: Series[bool] = pa.Field(description=born(DECIDED, "approve read: False only for a no (empty: yes)"))
    bill_s: Series[pd.Int64Dtype] = pa.Field(nullable=True, description=born(
        DECIDED, "bill_hours read, whole seconds; NA when empty or unreadable"))

    class Config:
        strict = True
        ordered = False


EXPENSE_ROW = "ingest/expenses.read_expenses"


class RawExpenses(pa.DataFrameModel):
    """One row per row of an expense export (Harvest's, Clockify's, the native expense sheet)."""

    source_file: Series[str] = pa.Field(str_length={"min_value": 1}, description=born(
        EXPENSE_ROW, "the expense export, relative to the workspace (input/expenses.csv)"))
    source_row: Series[int] = pa.Field(ge=1, description=born(
        EXPENSE_ROW, "the expense's row in that file as a spreadsheet numbers it"))
    source_format: Series[str] = pa.Field(description=born(
        EXPENSE_ROW, "the format that read it (native-expenses, harvest-expenses, clockify-expenses)"))
    date: Series[pd.Timestamp] = pa.Field(nullable=True, description=born(
        EXPENSE_ROW, "the day of the expense (a Timestamp at midnight); NA when unreadable (an error)"))
    person: Series[str] = pa.Field(description=born(EXPENSE_ROW, "who spent it, as the export names them"))
    email: Series[str] = pa.Field(description=born(EXPENSE_ROW, "their e-mail as exported, \"\" if none"))
    client: Series[str] = pa.Field(description=born(EXPENSE_ROW, "the client as the export names it"))
    job: Series[str] = pa.Field(description=born(EXPENSE_ROW, "the job (project) as the export names it"))
    category: Series[str] = pa.Field(description=born(EXPENSE_ROW, "the expense category as exported (Travel)"))
    description: Series[str] = pa.Field(description=born(EXPENSE_ROW, "the expense's note as exported, \"\" if none"))
    amount: Series[object] = pa.Field(nullable=True, description=born(
        EXPENSE_ROW, "the money spent as exported (Decimal, `currency`), never a float; None when unreadable"))
    currency: Series[str] = pa.Field(str_matches=r"^([A-Z]{3})?$", description=born(
        f"{EXPENSE_ROW} (check/expenses: the client's when the export names none)",
        "the amount's currency (ISO 4217); \"\" only where unreadable (an error)"))
    billable: Series[bool] = pa.Field(description=born(
        EXPENSE_ROW, "whether the export bills it to the client (empty: yes); if not, it is a cost only"))
    receipt: Series[object] = pa.Field(nullable=True, description=born(
        EXPENSE_ROW, "the receipt's path as written, relative to input/ (str); None if none named"))
    vat_rate: Series[object] = pa.Field(nullable=True, description=born(
        EXPENSE_ROW, "its own VAT rate (percent, Decimal) if the export gives one; None: the job's or agency's"))

    class Config:
        strict = True
        ordered = False


EXPENSED = "check/expenses.expenses"


class Expenses(RawExpenses):
    person_name: Series[str] = pa.Field(nullable=True, description=born(
        EXPENSED, "the person's name in rates.yaml's team; NA when no one matches (an error)"))
    client_key: Series[str] = pa.Field(nullable=True, str_matches=f"^{KEY}$", description=born(
        EXPENSED, "the client's key in rates.yaml; NA when unknown (an error)"))
    job_key: Series[str] = pa.Field(nullable=True, description=born(
        EXPENSED, "the job's key under its client in rates.yaml, \"\" for none; NA when unknown (an error)"))
    expense_id: Series[str] = pa.Field(unique=True, str_matches=r"^expense:[0-9a-f]{20}$", description=born(
        EXPENSED, "what the expense is, as the ledger keys it: expense: and 20 hex digits; one per expense"))


BANKED = "ingest/bank.read_bank"


class Bookings(pa.DataFrameModel):
    """One row per booking of the bank statements in input/bank/ (camt.053, MT940, a bank's CSV),
    a booking in two statements once. A booking whose amount or date cannot be read is kept, with
    None or NA there and a warning at its place: a bank statement never holds back an invoice."""

    booking_id: Series[str] = pa.Field(unique=True, str_matches=r"^booking:[0-9a-f]{20}$", description=born(
        BANKED, "what the booking is: account, booking date, amount, currency, remittance, counterparty and "
                "bank reference hashed, the n-th identical booking of a file numbered; one per booking"))
    account: Series[str] = pa.Field(description=born(
        BANKED, "the statement's account: its IBAN without spaces (MT940's BLZ/account number as an IBAN), "
                "else as the bank writes it"))
    booking_date: Series[pd.Timestamp] = pa.Field(nullable=True, description=born(
        BANKED, "the day the bank booked it (a Timestamp at midnight, as the bank writes it); NA when unreadable"))
    value_date: Series[pd.Timestamp] = pa.Field(nullable=True, description=born(
        BANKED, "the value date (a Timestamp at midnight); NA when the bank gives none or it is unreadable"))
    amount: Series[object] = pa.Field(nullable=True, description=born(
        BANKED, "the money booked (Decimal, `currency`), signed: a credit (money in) positive; None when "
                "unreadable"))
    currency: Series[str] = pa.Field(str_matches=r"^([A-Z]{3})?$", description=born(
        BANKED, "the amount's currency (ISO 4217); \"\" only where unreadable"))
    counterparty_name: Series[str] = pa.Field(description=born(
        BANKED, "who paid (a credit) or was paid (a debit), as the bank writes it; \"\" if not given"))
    counterparty_iban: Series[str] = pa.Field(description=born(
        BANKED, "their account, an IBAN without spaces where it is one; \"\" if not given"))
    remittance: Series[str] = pa.Field(description=born(
        BANKED, "what the payer wrote (Verwendungszweck): its lines joined by a space, runs of spaces as one"))
    bank_reference: Series[str] = pa.Field(description=born(
        BANKED, "the bank's reference of the booking (camt AcctSvcrRef, MT940 //reference, the CSV's "
                "end-to-end reference); \"\" if none"))
    source_file: Series[str] = pa.Field(str_length={"min_value": 1}, description=born(
        BANKED, "the statement, relative to the workspace (input/bank/2026-11.xml)"))
    source_row: Series[int] = pa.Field(ge=1, description=born(
        BANKED, "where in it: camt's entry number (Ntry, counted from 1), MT940's line of the :61: field, "
                "the CSV's row as a spreadsheet numbers it"))
    source_format: Series[str] = pa.Field(description=born(
        BANKED, "what read it: camt.053.001.08 (the version), mt940, sparkasse-csv"))

    class Config:
        strict = True
        ordered = False


ENTRY_STAGES = (RawEntries, Entries, PricedEntries, ReviewedEntries, ReportEntries)
EXPENSE_STAGES = (RawExpenses, Expenses)
SCHEMAS = (*ENTRY_STAGES, ReviewDecisions, *EXPENSE_STAGES, Bookings)


def empty(schema: type[pa.DataFrameModel]) -> pd.DataFrame:
    """A frame of the schema's columns and types with no rows, so no stage needs a special case.
    Made once per schema (building a pandera schema is not free), a copy each time."""
    return _empty(schema).copy()


@cache
def _empty(schema: type[pa.DataFrameModel]) -> pd.DataFrame:
    """Checked by the quick look: a run that needs no pandera (every clean run) pays for none."""
    full = schema.to_schema()
    frame = pd.DataFrame({name: pd.Series(dtype=column.dtype.type) for name, column in full.columns.items()})
    return frame if conforms(full, frame) else schema.validate(frame)


@cache  # a model's columns never change: work out once what `added` checks on every call
def own_columns(schema: type[pa.DataFrameModel]) -> pa.DataFrameSchema:
    """The columns a stage adds to the one before it (its model's parent)."""
    full = schema.to_schema()
    parent = schema.__mro__[1]
    inherited = set(parent.to_schema().columns) if issubclass(parent, pa.DataFrameModel) \
        and parent is not pa.DataFrameModel else set()
    return full.select_columns([c for c in full.columns if c not in inherited])


def added(schema: type[pa.DataFrameModel], frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` as a stage gives it, its own columns checked: the ones before were validated (and
    their breaches reported as problems) where they were born. A stage's own column breaking its
    contract is a bug, so pandera raises. The quick look first, so pandera rarely runs."""
    own = own_columns(schema)
    part = frame[list(own.columns)]
    if not conforms(own, part):
        own.validate(part, lazy=True)
    return frame


def validate(schema: type[pa.DataFrameModel], frame: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    """Validate lazily; each failure becomes an error at the failing row and column."""
    if conforms(schema.to_schema(), frame):
        return frame, []
    try:
        return schema.validate(frame, lazy=True), []
    except SchemaErrors as exc:
        return frame, _problems(exc.failure_cases, frame, schema.__name__)


def _str_length(values: pd.Series, min_value: int | None = None, max_value: int | None = None,
                exact_value: int | None = None) -> pd.Series:
    length = values.str.len()
    if exact_value is not None:
        return length == exact_value
    if min_value is None and max_value is None:
        raise ValueError("str_length needs a bound")
    if max_value is None:
        return length >= min_value
    if min_value is None:
        return length <= max_value
    return (length <= max_value) & (length >= min_value)


# pandera's built-in checks that the schemas use, as pandera computes them (backends/pandas/builtin_checks.py)
_CHECKS: dict[str, Callable[..., pd.Series]] = {
    "greater_than_or_equal_to": lambda values, min_value: values >= min_value,
    "str_length": _str_length,
    # re.match on each distinct value, as pandas' str.match does on each value (keys repeat a million times)
    "str_matches": lambda values, pattern: np.bool_(all(map(re.compile(pattern).match, values.unique().tolist()))),
}


def conforms(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> bool:
    """Whether pandera would accept `frame` as it is, asked of the schema itself: exactly its
    columns, each of the type pandera's engine reads, without nulls where it allows none,
    unique where it must be, passing each check on its non-null values. False in any doubt —
    a schema feature or a check this does not know — so pandera decides (and reports)."""
    if (type(frame) is not pd.DataFrame or not frame.columns.is_unique or set(frame.columns) != set(schema.columns)
            or schema.checks or schema.parsers or schema.coerce or schema.dtype is not None or schema.unique
            or schema.ordered or schema.unique_column_names or schema.index is not None
            or schema.add_missing_columns or schema.drop_invalid_rows):
        return False
    try:
        for name, column in schema.columns.items():
            values = frame[name]
            if (column.regex or column.coerce or column.parsers or column.default is not None
                    or column.drop_invalid_rows or (not column.nullable and values.hasnans)
                    or (column.unique and not values.is_unique)):
                return False
            typed = column.dtype.check(Engine.dtype(values.dtype), values)
            if not (typed if isinstance(typed, bool) else typed.all()):
                return False
            for check in column.checks:
                rule = _CHECKS.get(check.name)
                if rule is None or not check.ignore_na or check.groupby is not None:
                    return False
                if not rule(values.dropna(), **check.statistics).all():
                    return False
    except Exception:  # a value the quick look cannot compare: pandera will say what it is  # noqa: BLE001
        return False
    return True


def _problems(cases: pd.DataFrame, frame: pd.DataFrame, stage: str) -> list[Problem]:
    problems = []
    for case in cases.itertuples(index=False):
        index = case.index
        if index is None or pd.isna(index) or index not in frame.index:
            source = Source(f"<{stage}>")
        else:
            row = frame.loc[index]
            source = Source(str(row[RawEntries.source_file]), int(row[RawEntries.source_row]), case.column or None)
        problems.append(error(source, "schema", f"{stage} contract broken: {case.check} "
                                                f"(value {case.failure_case!r})"))
    return problems
