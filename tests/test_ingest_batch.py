"""Many small exports built together (ingest/batch.py) give exactly what each gives alone:
the same entries, the same problems in the same order, the same `check --json`."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auftakt_batch import ingest
from auftakt_batch.ingest import batch, build
from auftakt_batch.ingest.build import Rules

from .conftest import Workspace, examples
from .test_ingest_cache import HEADERS, row

RULES = Rules("Europe/Berlin")
DATES = ["2026-11-{d:02d}", "{d:02d}/11/2026", "11/{d:02d}/2026", "{d:02d}.11.2026"]  # ISO, slash both ways, dotted
BAD = {  # rows that are not what they should be, as native rows
    "stray": ",,,,,,,\n",
    "note": ",,,,,a note,2,\n",  # not an entry: a file of these keeps none
    "no-person": "2026-11-04,,ACME GmbH,app,,Work,1.5,yes\n",
    "comma-hours": '2026-11-05,Anna Schmidt,ACME GmbH,app,,Work,"1,5",yes\n',
    "bad-date": "2026-13-45,Ben Okafor,Globex Corporation,app,,Work,2,yes\n",
}


def native(day: int, form: int, who: int, minutes: int) -> str:
    first, last, _ = [("Anna", "Schmidt", ""), ("Ben", "Okafor", "")][who]
    return f"{DATES[form].format(d=day)},{first} {last},ACME GmbH,app,,Work {day},{minutes / 60:.2f},yes\n"


def toggl(day: int, start: str, end: str, duration: str) -> str:
    return (f"Anna Schmidt,anna@x.example,ACME GmbH,app,,Work {day},Yes,2026-11-{day:02d},{start},2026-11-{day:02d},"
            f"{end},{duration},,\n")


def clocked(day: int, start: int, span: int, duration: int) -> str:
    """A Toggl row whose duration may be off its start–end (a tracker's rounding, or a mistake)."""
    end = (start + span) % (24 * 60)  # past midnight on the same date: an error of its own
    return toggl(day, f"{start // 60:02d}:{start % 60:02d}:00", f"{end // 60:02d}:{end % 60:02d}:00",
                 f"{duration // 60:02d}:{duration % 60:02d}:00")


good_rows = st.one_of(
    st.builds(native, st.integers(1, 28), st.integers(0, 3), st.integers(0, 1), st.sampled_from([15, 90, 240])),
    st.builds(clocked, st.integers(1, 28), st.sampled_from([9 * 60, 23 * 60 + 50]), st.sampled_from([10, 20, 60]),
              st.sampled_from([15, 30, 31, 60])),
    st.builds(lambda kind, *args: row(kind, *args, "Work"), st.sampled_from(sorted(HEADERS)), st.integers(1, 28),
              st.integers(0, 1), st.integers(0, 1), st.sampled_from([0, 15, 90])))
exports = st.one_of(
    st.lists(st.lists(st.one_of(good_rows, st.sampled_from(sorted(BAD)).map(BAD.get)), min_size=1, max_size=3),
             min_size=2, max_size=12),
    st.lists(st.lists(st.builds(clocked, st.integers(1, 28), st.just(9 * 60), st.sampled_from([10, 20]),
                                st.sampled_from([15, 30, 31])), min_size=1, max_size=3),  # rounded, or wrong
             min_size=2, max_size=6))


def write(ws: Workspace, files: list[list[str]]) -> None:
    for n, rows in enumerate(files):
        kind = next((k for k, header in HEADERS.items() if k != "native" and rows[0].count(",") ==
                     header.count(",")), "native")  # a file's format: its first row's
        rows = [r.replace("Work", f"Work f{n}") for r in rows  # words of its own: no work moves between files
                if kind == "native" or r.count(",") == HEADERS[kind].count(",")]
        ws.input(f"e{n:02d}.csv", HEADERS[kind] + "".join(rows))


def one_by_one(tables, rules):
    return [batch._alone(t, rules) for t in tables]


# Each example ingests its exports four times and checks them twice through the CLI (one costs most of a
# second): CI runs 10; `make fuzz` (the long profile) runs 100.
@settings(max_examples=examples(10), deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(exports)
def test_small_exports_built_together_give_what_each_gives_alone(tmp_path_factory, monkeypatch, files):
    ws = Workspace(tmp_path_factory.mktemp("batch")).with_templates()
    write(ws, files)
    together = ingest.ingest(ws.root / "input", ws.root, RULES)
    said = ws.cli("check", "--period", "2026-11", "--json")
    with monkeypatch.context() as patched:
        patched.setattr(ingest, "build_tables", one_by_one)
        alone = ingest.ingest(ws.root / "input", ws.root, RULES)
        said_alone = ws.cli("check", "--period", "2026-11", "--json")
    assert together.entries.dtypes.equals(alone.entries.dtypes) and together.entries.equals(alone.entries)
    assert together.problems == alone.problems and together.files == alone.files
    assert dict(together.labels) == dict(alone.labels)
    assert (said.exit_code, json.loads(said.output)) == (said_alone.exit_code, json.loads(said_alone.output))


def test_alike_exports_are_built_once(ws, monkeypatch):
    for n in range(12):
        ws.input(f"e{n:02d}.csv", HEADERS["native"] + native(n + 1, 0, n % 2, 90))
    ws.input("bad.csv", HEADERS["native"] + BAD["no-person"])  # a problem of its own row: built with the others
    ws.input("stray.csv", HEADERS["native"] + ",,,,,total,3,\n" * 2)  # no entry left: built alone
    calls = []

    def counted(table, fmt, rules):
        calls.append(table.file)
        return build.build_entries(table, fmt, rules)

    monkeypatch.setattr(batch, "build_entries", counted)
    read = ingest.ingest(ws.root / "input", ws.root, RULES)
    assert len(read.entries) == 13 and len(calls) == 2  # the fourteen together, then stray.csv alone
    assert calls[1] == "input/stray.csv"
    assert list(read.entries["source_file"]) == ["input/bad.csv"] + [f"input/e{n:02d}.csv" for n in range(12)]
    assert [(p.code, p.source.file, p.source.row) for p in read.problems] == [
        ("missing-value", "input/bad.csv", 2), ("stray-row", "input/stray.csv", 2), ("stray-row", "input/stray.csv", 3)]


def test_a_table_whose_durations_its_tracker_rounded_says_so_as_alone(ws):
    """Whether a report's durations are the tracker's rounding is decided from all of its rows:
    built with another table, whose durations are simply wrong, its rows would each be a mismatch."""
    ws.input("rounded.csv", HEADERS["toggl"] + toggl(2, "09:00:00", "09:10:00", "00:15:00")
             + toggl(3, "09:00:00", "09:20:00", "00:30:00"))  # both rounded up to the quarter: the tracker's rounding
    ws.input("wrong.csv", HEADERS["toggl"] + toggl(4, "09:00:00", "09:07:00", "00:31:00"))  # a mistake
    for n in range(3):
        ws.input(f"e{n}.csv", HEADERS["toggl"] + toggl(5 + n, "09:00:00", "10:00:00", "01:00:00"))
    together = ingest.ingest(ws.root / "input", ws.root, RULES)
    alone = [batch._alone(t, RULES) for t in
             [ingest._cached_or_read(p, f"input/{p.name}", "csv", RULES, None).table
              for p in sorted((ws.root / "input").iterdir())]]
    assert together.problems == tuple(p for _, problems, _ in alone for p in problems)
    assert [(p.code, p.source.file) for p in together.problems] == [
        ("tracker-rounding", "input/rounded.csv"), ("duration-mismatch", "input/wrong.csv")]


def test_a_stray_rows_date_decides_nothing_for_the_tables_built_together(ws, monkeypatch):
    """Alike small exports are grouped by what their values tell; a note row's end date tells
    nothing of its file's date order (it is no entry), so a file whose entries alone tell none is
    read by the setting — as alone — not by another file's order."""
    ws.input("a.csv", HEADERS["toggl"] + ",,,,,a note,,,,13/11/2026,,,,\n"
             + "Anna Schmidt,a@x.example,ACME GmbH,app,,Work,Yes,03/11/2026,09:00:00,03/11/2026,10:00:00,01:00:00,,\n")
    ws.input("b.csv", HEADERS["toggl"]
             + "Anna Schmidt,a@x.example,ACME GmbH,app,,Work,Yes,14/11/2026,09:00:00,14/11/2026,10:00:00,01:00:00,,\n")
    rules = Rules("Europe/Berlin", date_format="mdy")
    together = ingest.ingest(ws.root / "input", ws.root, rules)
    monkeypatch.setattr(ingest, "build_tables", one_by_one)
    alone = ingest.ingest(ws.root / "input", ws.root, rules)
    assert together.entries.equals(alone.entries) and together.problems == alone.problems
    assert [str(d.date()) for d in together.entries["date"]] == ["2026-03-11", "2026-11-14"]
