"""The pandera contracts between stages: a broken row becomes a located problem, all at once."""

import os
import subprocess
import sys

import pandas as pd

from auftakt_batch.schemas import Entries, RawEntries, conforms, validate

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
