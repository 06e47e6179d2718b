"""The pandera contracts between stages: a broken row becomes a located problem, all at once."""

import os
import subprocess
import sys
from unittest.mock import patch

import numpy as np
import pandas as pd

from auftakt_batch import schemas
from auftakt_batch.schemas import Entries, RawEntries, conforms, empty, validate

from .conftest import TODAY, copy_demo

HEADER = "date,person,client,job,task,description,hours,billable\n"


def test_pipeline_output_satisfies_the_contracts(ws):
    ws.input("a.csv", HEADER + "2026-11-03,Anna Schmidt,ACME,website,,Layout,1.5,\n"
                               "2026-11-04,Ben Okafor,Nobody,x,,y,zwei,\n")
    run = ws.check(today=TODAY)
    _, problems = validate(Entries, run.entries)
    assert problems == []
    assert conforms(Entries.columns, run.entries)  # the quick look, so pandera is not asked
    Entries.validate(run.entries, lazy=True)  # and pandera agrees


def test_the_quick_look_leaves_every_breach_to_pandera(ws):
    """`conforms` passes only frames pandera passes: each kind of breach goes to pandera, which reports it."""
    ws.input("a.csv", HEADER + "2026-11-03,Anna Schmidt,ACME,website,,Layout,1.5,\n"
                               "2026-11-04,Ben Okafor,globex,app,,API,2,\n")
    entries = ws.check(today=TODAY).entries
    first = entries.index == entries.index[0]
    broken = {
        "a column missing": entries.drop(columns="slot"),
        "a column too many": entries.assign(rate=1),
        "a column of another type": entries.assign(source_row=entries["source_row"].astype("float64")),
        "text as objects that are not text": entries.assign(task=pd.Series([1, 2], index=entries.index, dtype=object)),
        "a null where none may be": entries.assign(person=entries["person"].where(~first)),
        "a repeated entry id": entries.assign(entry_id=entries["entry_id"].iloc[0]),
        "a row number below 1": entries.assign(source_row=entries["source_row"].where(~first, 0)),
        "an empty file name": entries.assign(source_file=entries["source_file"].where(~first, "")),
        "a client key no key may be": entries.assign(client_key=entries["client_key"].where(~first, "ACME GmbH")),
        "a malformed slot": entries.assign(slot=entries["slot"].where(~first, "x:1")),
        "a duplicate_of of 0": entries.assign(duplicate_of=pd.array([0, pd.NA], dtype="Int64")),
    }
    schema = Entries.columns
    assert conforms(schema, entries)
    for what, frame in broken.items():
        assert not conforms(schema, frame), what
        assert validate(Entries, frame)[1], what


def test_violations_are_reported_lazily_at_file_row_and_column(ws):
    ws.input("a.csv", HEADER + "2026-11-03,Anna Schmidt,ACME,website,,Layout,1.5,\n"
                               "2026-11-04,Ben Okafor,globex,app,,API,2,\n")
    entries = ws.check(today=TODAY).entries
    broken = entries.assign(entry_id=entries["entry_id"].iloc[0], source_row=[2, 0])
    _, problems = validate(Entries, broken)
    assert sorted(str(p) for p in problems) == sorted([
        "input/a.csv:0:source_row: error: Entries contract broken: greater_than_or_equal_to(1) (value 0)",
        "input/a.csv:2:entry_id: error: Entries contract broken: field_uniqueness "
        f"(value '{entries['entry_id'].iloc[0]}')",
        "input/a.csv:0:entry_id: error: Entries contract broken: field_uniqueness "
        f"(value '{entries['entry_id'].iloc[0]}')",
    ])


def test_raw_contract_rejects_a_stray_column(ws):
    ws.input("a.csv", HEADER + "2026-11-03,Anna Schmidt,ACME,website,,Layout,1.5,\n")
    raw = ws.check(today=TODAY).entries[list(RawEntries.to_schema().columns)]
    _, problems = validate(RawEntries, raw.assign(rate=1))
    assert [str(p) for p in problems] == ["<RawEntries>: error: RawEntries contract broken: column_in_schema "
                                          "(value 'rate')"]


def test_a_broken_contract_reads_as_it_always_has(ws):
    """The quick look says no, pandera (imported only now) reports: the same problems, word for word,
    as when the models were pandera's own classes."""
    ws.input("a.csv", HEADER + "2026-11-03,Anna Schmidt,ACME,website,,Layout,1.5,\n"
                               "2026-11-04,Ben Okafor,globex,app,,API,2,\n")
    entries = ws.check(today=TODAY).entries
    first = entries.index == entries.index[0]
    broken = entries.assign(person=entries["person"].where(~first), slot=entries["slot"].where(first, "x:1"),
                            billable=entries["billable"].astype(object), duplicate_of=pd.array([0, pd.NA], "Int64"))
    _, problems = validate(Entries, broken)
    assert sorted(str(p) for p in problems) == sorted([
        "input/a.csv:2:person: error: Entries contract broken: not_nullable (value nan)",
        "input/a.csv:3:slot: error: Entries contract broken: str_matches('^[td]:[0-9a-f]{20}$') (value 'x:1')",
        "input/a.csv:2:duplicate_of: error: Entries contract broken: greater_than_or_equal_to(1) (value 0)",
        "<Entries>: error: Entries contract broken: dtype('bool') (value 'object')",
    ])


DEMO_CHECK = """
import sys
from auftakt_batch.cli import main
try:
    main(["check", "--workspace", sys.argv[1], "--period", "2026-11"])
except SystemExit:
    pass
print("pandera imported:", "pandera" in sys.modules)
"""


def test_a_clean_check_of_the_demo_never_imports_pandera(tmp_path):
    """Every contract holds on the demo, so the quick look answers alone: pandera (and what it pulls
    in: pydantic, typeguard, …) is never imported, cold (no cache) or warm."""
    root = copy_demo(tmp_path)
    (root / "output").mkdir()
    env = {**os.environ, "AUFTAKT_TODAY": "2026-12-03"}
    for run in ("cold", "warm"):
        done = subprocess.run([sys.executable, "-c", DEMO_CHECK, str(root)], capture_output=True, text=True,
                              check=True, env=env)
        assert "Result    OK" in done.stdout, run
        assert done.stdout.splitlines()[-1] == "pandera imported: False", run


# ---- the quick look against pandera itself: never True where pandera says no

from datetime import datetime  # noqa: E402
from decimal import Decimal  # noqa: E402

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from auftakt_batch.schemas import (  # noqa: E402
    INT,
    OBJECT,
    SCHEMAS,
    STR,
    TIMESTAMP,
    UTC_TIMESTAMP,
    Field,
    Model,
)

from .conftest import examples  # noqa: E402

TYPES = ["object", "str", "string[python]", "int64", "int32", "Int64", "float64", "bool", "boolean",
         "datetime64[s]", "datetime64[ms]", "datetime64[us]", "datetime64[ns]", "datetime64[us, UTC]",
         "datetime64[ns, UTC]", "datetime64[us, Europe/Berlin]", "category"]
SAMPLES = {
    "text": ["a", "b"], "ints": [1, 2], "floats": [1.5, 2.0], "flags": [True, False], "decimals": [Decimal(1), None],
    "mixed": ["a", 1], "days": pd.to_datetime(["2026-11-03", "2026-11-04"]).tolist(), "none": [],
}
DTYPES = sorted({field.dtype for model in SCHEMAS for field in model.columns.values()}, key=lambda d: d.name)


def _column(values: list, dtype: str) -> pd.Series | None:
    try:
        return pd.Series(values, dtype=object).astype(dtype)
    except (TypeError, ValueError):
        return None


def test_the_quick_look_takes_a_type_only_where_pandera_does():
    """Each column type the models use, against every pandas dtype a frame may bring (full and empty):
    the quick look's yes is pandera's yes, and it says yes to the type pandera itself makes."""
    import pandera.pandas as pa
    from pandera.errors import SchemaErrors

    for dtype in DTYPES:
        schema = pa.DataFrameSchema({"x": pa.Column(dtype.pandera, nullable=True)})
        for (sample, values), name in ((s, n) for s in SAMPLES.items() for n in TYPES):
            series = _column(values, name)
            if series is None or not dtype.accepts(series):
                continue
            try:
                schema.validate(pd.DataFrame({"x": series}), lazy=True)
            except SchemaErrors:
                raise AssertionError(f"{dtype.name} took {sample} as {name}") from None
        assert dtype.accepts(pd.Series(dtype=dtype.empty)), dtype.name
        assert str(schema.columns["x"].dtype.type) == str(dtype.empty), dtype.name


def test_an_empty_frame_has_the_types_pandera_reads():
    for model in SCHEMAS:
        columns = model.to_schema().columns
        assert [str(t) for t in empty(model).dtypes] == [str(c.dtype.type) for c in columns.values()], model.__name__


def _values(field: Field, rows: int) -> st.SearchStrategy:
    """`rows` values that keep `field`'s contract (nulls where it may be null)."""
    base: st.SearchStrategy
    if field.dtype is STR:
        pattern = next((dict(c.arguments)["pattern"] for c in field.checks if c.name == "str_matches"), None)
        base = st.from_regex(pattern, fullmatch=True) if pattern else st.text("ab c-", min_size=1, max_size=4)
    elif field.dtype in (INT,) or field.dtype.name == "Int64":
        least = next((dict(c.arguments)["min_value"] for c in field.checks), -3)
        base = st.integers(least, least + 50)
    elif field.dtype in (TIMESTAMP, UTC_TIMESTAMP):
        base = st.datetimes(datetime(2020, 1, 1), datetime(2030, 1, 1))
    elif field.dtype is OBJECT:
        base = st.decimals(-100, 100, places=2)
    else:
        base = st.booleans()
    if field.nullable:
        base = st.none() | base
    return st.lists(base, min_size=rows, max_size=rows, unique=field.unique)


def _series(field: Field, values: list) -> pd.Series:
    if field.dtype is TIMESTAMP:
        return pd.Series(pd.to_datetime(values), dtype="datetime64[us]")
    if field.dtype is UTC_TIMESTAMP:
        return pd.Series(pd.to_datetime(values), dtype="datetime64[us]").dt.tz_localize("UTC")
    return pd.Series(values, dtype=field.dtype.empty)


@st.composite
def frames(draw: st.DrawFn) -> tuple[type[Model], pd.DataFrame]:
    """A frame that keeps a model's contract, then up to three breaches of it: a null, another type,
    a repeated value, a stray text, a number out of bounds, a column dropped or one too many."""
    model = draw(st.sampled_from(SCHEMAS))
    rows = draw(st.integers(1, 3))
    frame = pd.DataFrame({name: _series(field, draw(_values(field, rows))) for name, field in model.columns.items()})
    assert conforms(model.columns, frame), "a frame that keeps the contract passes the quick look"
    names = list(model.columns)
    checked = [name for name, field in model.columns.items() if field.checks or field.unique]  # half the time
    for _ in range(draw(st.integers(0, 3))):
        name, row = draw(st.sampled_from(names) | st.sampled_from(checked)), draw(st.integers(0, rows - 1))
        kind = draw(st.sampled_from(["null", "type", "repeat", "text", "number", "drop", "extra"]))
        if name not in frame:  # dropped before
            continue
        column = frame[name].astype(object)
        if kind == "null":
            column.iloc[row] = draw(st.sampled_from([None, float("nan"), pd.NA, pd.NaT]))
        elif kind == "repeat":
            column.iloc[-1] = column.iloc[0]  # a repeat once there are two rows
        elif kind == "text":
            column.iloc[row] = draw(st.sampled_from(["", "x:1", "ACME GmbH", "EUR", "1", "t:" + "0" * 20]))
        elif kind == "number":
            column.iloc[row] = draw(st.sampled_from([0, -1, 1, 2, 1.5]))
        elif kind == "drop":
            frame = frame.drop(columns=name)
            continue
        elif kind == "extra":
            frame = frame.assign(rate=1)
            continue
        target = draw(st.sampled_from(TYPES)) if kind == "type" else str(frame[name].dtype)
        made = _column(column.tolist(), target)
        frame[name] = made if made is not None else column
    return model, frame


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames())
def test_what_the_quick_look_takes_pandera_takes(case):
    model, frame = case
    if conforms(model.columns, frame):
        model.validate(frame, lazy=True)


@st.composite
def _fingerprint_columns(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A head of HEADS and ids of it, some broken: a character changed, a line break or a letter
    added, cut short, run into the next one."""
    from auftakt_batch.schemas import HEADS

    head = draw(st.sampled_from(sorted(HEADS)))
    one = st.from_regex(f"{head}[0-9a-f]{{20}}", fullmatch=True)
    ids = draw(st.lists(one, min_size=1, max_size=6))
    for _ in range(draw(st.integers(0, 2))):
        at, where = draw(st.integers(0, len(ids) - 1)), draw(st.integers(0, 27))
        text = ids[at]
        ids[at] = draw(st.sampled_from([text[:where] + draw(st.sampled_from("\nGé:x0 ")) + text[where + 1:],
                                        text + "\n", text[:where] + "\n" + text[where:], text[:where],
                                        text + (ids[0] if len(ids) > 1 else "a")]))
    return head, ids


AT_ONCE = st.sampled_from([1, 2, 3, schemas.LINES_AT_ONCE])  # values joined into one text at a time


@settings(max_examples=examples(300), deadline=None)
@given(_fingerprint_columns(), AT_ONCE)
def test_ids_looked_at_all_at_once_pass_only_as_each_matched_alone(case, at_once):
    """The look at a column of ids or slots (one matrix of bytes, not a regex per value; `at_once`
    values at a time) passes a column only if every value matches the pattern alone — and passes
    every column of clean ones."""
    import re

    from auftakt_batch.schemas import _fingerprints

    head, ids = case
    check = _fingerprints(head)
    pattern = dict(check.arguments)["pattern"]
    try:
        with patch.object(schemas, "LINES_AT_ONCE", at_once):
            passed = check.holds(pd.Series(ids, dtype="str"), False)
    except UnicodeEncodeError:
        passed = False  # conforms says no, and pandera decides
    assert not passed or all(re.match(pattern, i) for i in ids)
    assert passed or not all(re.fullmatch(pattern.strip("^$"), i) for i in ids)


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(st.one_of(st.text(max_size=3), st.just(None)), max_size=12), st.sampled_from(["python", "object"]))
def test_the_quick_look_for_nulls_says_what_pandas_says(values, storage):
    """schemas._nulls looks at Python-stored text as its array; for every column it says what hasnans says."""
    from auftakt_batch.schemas import _nulls

    column = pd.Series(values, dtype=pd.StringDtype("python", na_value=float("nan")) if storage == "python" else object)
    assert _nulls(column) == column.hasnans


ids = st.text(alphabet="0123456789abcdef", min_size=20, max_size=20)
odd = st.one_of(st.text(alphabet="0123456789abcdef\n", min_size=18, max_size=22), st.text(min_size=20, max_size=20))


@given(st.lists(st.one_of(ids, ids.map(lambda i: "0123456789abcdef" + i[16:]), ids.map(lambda i: i[:16] + "0000")),
                max_size=30), st.lists(odd, max_size=2), st.randoms(), AT_ONCE)
def test_ids_are_found_distinct_exactly_when_they_are(values, others, random, at_once):
    """`distinct_ids` mixes each id's bytes into an integer (`at_once` ids at a time): ids alike in all
    but their last digits, or in all but their first, are told apart; any value not 20 ASCII characters
    leaves it to pandas."""
    values = values + values[:random.randint(0, 2)] + others  # a copy or two, and maybe an odd value
    random.shuffle(values)
    column = pd.Series(values, dtype="str")
    with patch.object(schemas, "LINES_AT_ONCE", at_once):
        found = schemas.distinct_ids(column)
        assert schemas.id_integers(values) is None or (schemas.id_integers(values) == np.concatenate(
            [schemas.id_integers([v]) for v in values] or [np.zeros(0, dtype=np.uint64)])).all()
    assert found is None or found == column.is_unique
    if all(len(v) == 20 and v.isascii() and "\n" not in v for v in values):
        assert found == column.is_unique


@given(st.lists(st.one_of(ids, ids.map(lambda i: "0123456789abcdef" + i[16:]), ids.map(lambda i: i[:16] + "0000")),
                max_size=30), st.lists(odd, max_size=2), st.randoms(), AT_ONCE)
def test_repeated_ids_are_what_duplicated_says(values, others, random, at_once):
    """`repeated_ids` compares whole only the ids whose integers repeat: it marks exactly the values
    `duplicated(keep=False)` marks, ids or not, on any index."""
    values = values + values[:random.randint(0, 3)] + others
    random.shuffle(values)
    column = pd.Series(values, index=[f"r{n}" for n in range(len(values))], dtype="str")
    with patch.object(schemas, "LINES_AT_ONCE", at_once):
        pd.testing.assert_series_equal(schemas.repeated_ids(column), column.duplicated(keep=False))
    with patch.object(schemas, "id_integers", lambda texts: np.zeros(len(texts), dtype=np.uint64)):  # all collide
        pd.testing.assert_series_equal(schemas.repeated_ids(column), column.duplicated(keep=False))
