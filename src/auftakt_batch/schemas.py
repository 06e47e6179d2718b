"""The frames that pass between stages, as pandera models: the contract at each boundary.

RawEntries   ingest  → resolve: one row per exported row, values parsed, names as typed.
Entries      resolve → checks, pricing: names resolved to rates.yaml keys, `entry_id` set.

Fields that a bad cell can leave empty are nullable: such a row is kept and carries an
error problem, so it is never silently dropped. Validation is lazy (every failure at once)
and its failures become problems located at the entry's file and row.

pandera itself runs only when a quick look at the frame finds something it could reject:
pandera is what reports, but its first validation costs a `check` more than all its later
ones (it registers its backends and imports the optional extras that are installed).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.engines.pandas_engine import Engine
from pandera.errors import SchemaErrors
from pandera.typing import Series

from .config.clients import KEY
from .problems import Problem, Source, error

UTC = {"unit": "us", "tz": "UTC"}


class RawEntries(pa.DataFrameModel):
    source_file: Series[str] = pa.Field(str_length={"min_value": 1})
    source_row: Series[int] = pa.Field(ge=1)
    source_format: Series[str]
    date: Series[pd.Timestamp] = pa.Field(nullable=True)  # local start date, agency time zone
    start: Series[pd.DatetimeTZDtype] = pa.Field(nullable=True, dtype_kwargs=UTC)
    # the start's wall-clock time as the export wrote it, in the zone it was written in (the
    # person's, the agency's, a calendar event's own): what identifies an entry, whatever the settings
    local_start: Series[pd.Timestamp] = pa.Field(nullable=True)
    end: Series[pd.DatetimeTZDtype] = pa.Field(nullable=True, dtype_kwargs=UTC)
    duration_s: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    person: Series[str]
    client: Series[str]
    job: Series[str]
    task: Series[str]
    description: Series[str]
    email: Series[str]
    billable_flag: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    export_amount: Series[object] = pa.Field(nullable=True)  # the tracker's own price (Decimal): checked, not billed
    export_rate: Series[object] = pa.Field(nullable=True)
    export_currency: Series[str]
    # what the tracker already decided (imports: in rates.yaml says how far to follow it)
    invoiced_flag: Series[pd.BooleanDtype] = pa.Field(nullable=True)  # the export marks it invoiced (or exported)
    tracker_invoice: Series[str]  # the tracker's own invoice id, "" if none
    approved_flag: Series[pd.BooleanDtype] = pa.Field(nullable=True)  # NA: the export says nothing

    class Config:
        strict = True
        ordered = False


class Entries(RawEntries):
    person_name: Series[str] = pa.Field(nullable=True)
    client_key: Series[str] = pa.Field(nullable=True, str_matches=f"^{KEY}$")
    job_key: Series[str] = pa.Field(nullable=True)
    billable: Series[bool]
    # why the tracker's flags hold the entry back (tracker.py): "" | "invoiced" | "unapproved"
    tracker_hold: Series[str] = pa.Field(str_matches=r"^(invoiced|unapproved)?$")
    entry_id: Series[str] = pa.Field(unique=True, str_matches=r"^[0-9a-f]{20}$")
    slot: Series[str] = pa.Field(str_matches=r"^[td]:[0-9a-f]{20}$")
    duplicate_of: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=1)


def empty(schema: type[pa.DataFrameModel]) -> pd.DataFrame:
    """A frame of the schema's columns and types with no rows, so no stage needs a special case."""
    return schema.validate(pd.DataFrame({name: pd.Series(dtype=column.dtype.type)
                                         for name, column in schema.to_schema().columns.items()}))


def validate(schema: type[pa.DataFrameModel], frame: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    """Validate lazily; each failure becomes an error at the failing row and column."""
    if conforms(schema.to_schema(), frame):
        return frame, []
    try:
        return schema.validate(frame, lazy=True), []
    except SchemaErrors as exc:
        return frame, _problems(exc.failure_cases, frame, schema.__name__)


def _str_length(values: pd.Series, min_value=None, max_value=None, exact_value=None) -> pd.Series:
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
_CHECKS = {
    "greater_than_or_equal_to": lambda values, min_value: values >= min_value,
    "str_length": _str_length,
    # re.match on each value, as pandas' str.match does, without its per-value bookkeeping
    "str_matches": lambda values, pattern: np.bool_(all(map(re.compile(pattern).match, values.tolist()))),
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
            source = Source(str(row["source_file"]), int(row["source_row"]), case.column or None)
        problems.append(error(source, "schema", f"{stage} contract broken: {case.check} "
                                                f"(value {case.failure_case!r})"))
    return problems
