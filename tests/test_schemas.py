"""The pandera contracts between stages: a broken row becomes a located problem, all at once."""

from auftakt_batch.schemas import Entries, RawEntries, validate

from .conftest import TODAY

HEADER = "date,person,client,job,task,description,hours,billable\n"


def test_pipeline_output_satisfies_the_contracts(ws):
    ws.input("a.csv", HEADER + "2026-11-03,Anna Schmidt,ACME,website,,Layout,1.5,\n"
                               "2026-11-04,Ben Okafor,Nobody,x,,y,zwei,\n")
    run = ws.check(today=TODAY)
    _, problems = validate(Entries, run.entries)
    assert problems == []


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
