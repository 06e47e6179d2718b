"""The frames that pass between stages, as pandera models: the contract at each boundary.

RawEntries   ingest  → resolve: one row per exported row, values parsed, names as typed.
Entries      resolve → checks, pricing: names resolved to rates.yaml keys, `entry_id` set.

Fields that a bad cell can leave empty are nullable: such a row is kept and carries an
error problem, so it is never silently dropped. Validation is lazy (every failure at once)
and its failures become problems located at the entry's file and row.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
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

    class Config:
        strict = True
        ordered = False


class Entries(RawEntries):
    person_name: Series[str] = pa.Field(nullable=True)
    client_key: Series[str] = pa.Field(nullable=True, str_matches=f"^{KEY}$")
    job_key: Series[str] = pa.Field(nullable=True)
    billable: Series[bool]
    entry_id: Series[str] = pa.Field(unique=True, str_matches=r"^[0-9a-f]{20}$")
    slot: Series[str] = pa.Field(str_matches=r"^[td]:[0-9a-f]{20}$")
    duplicate_of: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=1)


def empty(schema: type[pa.DataFrameModel]) -> pd.DataFrame:
    """A frame of the schema's columns and types with no rows, so no stage needs a special case."""
    return schema.validate(pd.DataFrame({name: pd.Series(dtype=column.dtype.type)
                                         for name, column in schema.to_schema().columns.items()}))


def validate(schema: type[pa.DataFrameModel], frame: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    """Validate lazily; each failure becomes an error at the failing row and column."""
    try:
        return schema.validate(frame, lazy=True), []
    except SchemaErrors as exc:
        return frame, _problems(exc.failure_cases, frame, schema.__name__)


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
