"""A large CSV export read in parts on every core (ingest/split.py) gives exactly what reading it
whole gives: the same entries and dtypes, the same problems, the same `check --json` — cold, and
warm from the cache it was kept in. Where the parts would say something the whole does not (a
decision all the rows take together, a problem naming several rows), the export is read whole."""

import json
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auftakt_batch import ingest
from auftakt_batch.ingest import split
from auftakt_batch.ingest.build import Rules
from auftakt_batch.ingest.cache import IngestCache
from auftakt_batch.problems import sorted_problems

from .conftest import Workspace, examples
from .test_ingest_batch import BAD, clocked, native
from .test_ingest_cache import HEADERS

RULES = Rules("Europe/Berlin")
QUOTED = [  # native rows whose quoted description holds what only quotes may: a separator, a line end, a quote
    '2026-11-{d:02d},Anna Schmidt,ACME GmbH,app,,"Layout, first draft",1.5,yes\n',
    '2026-11-{d:02d},Ben Okafor,Globex Corporation,app,,"Call\nwith the client",0.75,yes\n',
    '2026-11-{d:02d},Anna Schmidt,ACME GmbH,app,,"The ""big"" review",2,yes\n',
]
LEADS = ["", "\n\n", "sep=,\n"]  # above the header: nothing, blank lines, Excel's separator line


@pytest.fixture
def parts(monkeypatch):
    """Every export is read in `n` parts (set the number of parts with parts(n)); returns the
    pieces each read was joined from, or None where it was read whole."""
    joined: list = []
    real_whole = split._whole

    def counted(pieces, read_as):
        whole = real_whole(pieces, read_as)
        joined.append(len(pieces) if whole else None)
        return whole

    monkeypatch.setattr(split, "SPLIT_BYTES", 0)
    monkeypatch.setattr(split, "forks", lambda: True)
    monkeypatch.setattr(split, "_whole", counted)

    def into(n: int) -> list:
        monkeypatch.setattr(split, "cores", lambda: n)
        joined.clear()
        return joined
    return into


def read_whole(ws: Workspace, monkeypatch, rules: Rules = RULES):
    """What ingest gives with no export read in parts, and what `check --json` says then, in another workspace."""
    with monkeypatch.context() as patched:
        patched.setattr(split, "SPLIT_BYTES", 10**15)
        alone = Workspace(ws.root.parent / f"{ws.root.name}-whole")
        for path in (ws.root / "input").iterdir():
            alone.input(path.name, path.read_bytes())
        (alone.root / "output").mkdir()
        return read(alone, rules), said(alone)


def said(ws: Workspace) -> tuple[int, dict]:
    result = ws.cli("check", "--period", "2026-11", "--json")
    return result.exit_code, json.loads(result.output.replace(ws.root.name + "-whole", ws.root.name))


def same(one, other) -> None:
    assert one.entries.dtypes.equals(other.entries.dtypes) and one.entries.equals(other.entries)
    assert sorted_problems(one.problems) == sorted_problems(other.problems)
    assert [replace(f, modified=0) for f in one.files] == [replace(f, modified=0) for f in other.files]
    assert dict(one.labels) == dict(other.labels)


def read(ws: Workspace, rules: Rules = RULES):
    return ingest.ingest(ws.root / "input", ws.root, rules, IngestCache.of(ws.root, rules))


good = st.one_of(
    st.builds(native, st.integers(1, 28), st.sampled_from([0, 3]), st.integers(0, 1), st.sampled_from([15, 90])),
    st.builds(lambda text, d: text.format(d=d), st.sampled_from(QUOTED), st.integers(1, 28)),
)
lines = st.one_of(good, good, good, st.just("\n"), st.sampled_from(sorted(BAD)).map(BAD.get))


# Each example reads its export three times and checks it twice through the CLI: CI runs 15, `make fuzz` 150.
@settings(max_examples=examples(15), deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.lists(lines, min_size=2, max_size=40), st.sampled_from(LEADS), st.booleans(), st.integers(2, 4))
def test_an_export_read_in_parts_gives_what_reading_it_whole_gives(tmp_path_factory, monkeypatch, parts, rows, lead,
                                                                    crlf, n):
    ws = Workspace(tmp_path_factory.mktemp("split"))
    (ws.root / "output").mkdir()
    text = lead + HEADERS["native"] + "".join(rows)
    ws.input("year.csv", (text.replace("\n", "\r\n") if crlf else text).encode())
    whole, said_whole = read_whole(ws, monkeypatch)
    joined = parts(n)
    cold = read(ws)
    cut = len(joined)  # at most once: an export of one record is not cut
    warm = read(ws)
    same(cold, whole)
    same(warm, whole)
    assert said(ws) == said_whole
    assert cut <= 1 and len(joined) == cut  # the warm read came from the cache


def test_a_clean_export_is_read_in_parts_and_kept_whole(ws, monkeypatch, parts):
    (ws.root / "output").mkdir()
    ws.input("year.csv", HEADERS["native"] + "".join(
        QUOTED[d % 3].format(d=d) if d % 5 == 0 else native(d, 0, d % 2, 90) for d in range(1, 29)))
    whole, _ = read_whole(ws, monkeypatch)
    joined = parts(3)
    got = read(ws)
    assert joined == [3] and len(got.entries) == 28
    same(got, whole)
    assert list(got.entries["source_row"]) == list(range(2, 30))  # numbered as in the file
    assert len(list((ws.root / "output" / ".cache" / "ingest").glob("*.npz"))) == 1  # one entry for the export


def test_row_problems_of_several_parts_are_the_wholes(ws, monkeypatch, parts):
    (ws.root / "output").mkdir()
    body = [native(d, 0, d % 2, 90) for d in range(1, 21)]
    body[2], body[17] = BAD["no-person"], BAD["bad-date"]  # one in the first part, one in the last
    ws.input("year.csv", HEADERS["native"] + "".join(body))
    whole, said_whole = read_whole(ws, monkeypatch)
    joined = parts(2)
    got = read(ws)
    assert joined == [2]
    same(got, whole)
    assert said(ws) == said_whole
    assert [(p.code, p.source.row) for p in sorted_problems(got.problems)] == [("missing-value", 4),
                                                                                ("bad-date", 19)]


@pytest.mark.parametrize("body, why", [
    ([native(d, 1, d % 2, 90) for d in range(1, 11)] + [native(d, 1, 0, 90) for d in range(2, 12)],
     "slash dates that tell no order: one error naming every such row"),
    ([native(13 + d, 1, 0, 90) for d in range(10)] + [native(d, 1, 0, 90) for d in range(1, 11)],
     "the first part's dates tell day/month, the second's do not: the whole decides from both"),
    ([clocked(d, 9 * 60, 10, 15) for d in range(1, 11)] + [clocked(d, 9 * 60, 60, 60) for d in range(11, 21)],
     "durations rounded by the tracker, decided from all the rows"),
    ([native(d, 0, 0, 90) for d in range(1, 11)] + [clocked(d, 9 * 60, 20, 31) for d in range(11, 13)],
     "another table's header: the second part is not the first's format"),
])
def test_what_the_whole_decides_is_read_whole(ws, monkeypatch, parts, body, why):
    (ws.root / "output").mkdir()
    header = HEADERS["toggl"] if body[0].count(",") == HEADERS["toggl"].count(",") else HEADERS["native"]
    ws.input("year.csv", header + "".join(body))
    whole, said_whole = read_whole(ws, monkeypatch)
    joined = parts(2)
    got = read(ws)
    assert joined in ([None], []), why  # read whole (or not even cut: a part was not readable)
    same(got, whole)
    assert said(ws) == said_whole


def test_an_export_is_read_in_parts_by_processes_forked_from_the_run(ws, monkeypatch):
    """For real: each part but the first in a process of its own (the test runs as the run does)."""
    from auftakt_batch import processes

    if not processes.forks():
        pytest.skip("forking is not safe here (not Linux, or another thread runs)")
    (ws.root / "output").mkdir()
    ws.input("year.csv", HEADERS["native"] + "".join(native(d % 28 + 1, 0, d % 2, 90) for d in range(400)))
    whole, _ = read_whole(ws, monkeypatch)
    forked = []
    real = split.forked_call
    monkeypatch.setattr(split, "forked_call", lambda work: forked.append(work) or real(work))
    monkeypatch.setattr(split, "SPLIT_BYTES", 0)
    monkeypatch.setattr(split, "cores", lambda: 2)
    got = read(ws)
    assert len(forked) == 1
    same(got, whole)


def test_a_part_that_cannot_be_read_leaves_the_whole_to_say_why(ws, monkeypatch, parts):
    (ws.root / "output").mkdir()
    body = [native(d, 0, 0, 90) for d in range(1, 21)]
    body[15] = "2026-11-16,Ben Okafor,ACME GmbH,app,,Work,2,yes,surplus,cells\n"  # values beyond the header
    ws.input("year.csv", HEADERS["native"] + "".join(body))
    whole, said_whole = read_whole(ws, monkeypatch)
    joined = parts(2)
    got = read(ws)
    assert joined == [None]
    same(got, whole)
    assert said(ws) == said_whole and any(p.code == "bad-csv" for p in got.problems)


def test_parts_are_cut_at_record_ends_outside_quotes(ws, parts):
    from auftakt_batch.ingest.read import record_ends

    body = b'date,person\n2026-11-01,"Anna\nSchmidt"\n2026-11-02,Ben\n2026-11-03,"A ""quoted"" name"'
    ends = record_ends(body, ",")
    assert [body[e:e + 1] for e in ends] == [b"\n", b"\n", b"\n", b""]  # the last record ends with the text
    assert split._bounds(ends, len(body), 2) == [1, 3, 4] and split._bounds(ends, len(body), 9) == [1, 2, 3, 4]
    assert record_ends(b'date,person\n2026-11-01,5" screen\n', ",") is None  # a quote only a CSV reader reads


def slashed(day: int, month_first: bool) -> str:
    """A Toggl row on a slash date of November (11/03/2026 or 03/11/2026)."""
    date = f"11/{day:02d}/2026" if month_first else f"{day:02d}/11/2026"
    return (f"Anna Schmidt,anna@x.example,ACME GmbH,app,,Work {day},Yes,{date},09:00:00,{date},10:00:00,01:00:00,,"
            "\n")


NOTE = ",,,,,a note,,,,13/11/2026,,,,\n"  # not an entry: its end date tells nothing of the file's date order
toggl_rows = st.one_of(st.builds(slashed, st.integers(1, 28), st.booleans()), st.just(NOTE),
                       st.builds(lambda d: slashed(d, False).replace("Anna Schmidt", ""), st.integers(1, 12)))


@settings(max_examples=examples(15), deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.lists(toggl_rows, min_size=2, max_size=30), st.sampled_from([None, "dmy", "mdy"]), st.integers(2, 3))
def test_slash_dates_read_in_parts_are_read_as_the_whole_reads_them(tmp_path_factory, monkeypatch, parts, rows,
                                                                     order, n):
    """Whatever order the rows' slash dates tell (or none, or both ways), wherever a stray row stands."""
    ws = Workspace(tmp_path_factory.mktemp("slashed"))
    (ws.root / "output").mkdir()
    ws.input("year.csv", HEADERS["toggl"] + "".join(rows))
    rules = Rules("Europe/Berlin", date_format=order)
    whole, _ = read_whole(ws, monkeypatch, rules)
    parts(n)
    same(read(ws, rules), whole)


def test_a_stray_rows_date_decides_nothing_in_a_part(ws, monkeypatch, parts):
    """A note row's end date is day/month: the whole file's entries tell no order (the setting
    decides), and neither does the part that holds the note."""
    (ws.root / "output").mkdir()
    ws.input("year.csv", HEADERS["toggl"] + NOTE + slashed(3, False) * 9 + slashed(14, False) * 10)
    rules = Rules("Europe/Berlin", date_format="mdy")
    whole, _ = read_whole(ws, monkeypatch, rules)
    joined = parts(2)
    got = read(ws, rules)
    assert joined == [None]  # the first part, left to the setting, decides otherwise than the whole
    same(got, whole)
    assert str(got.entries["date"].iloc[0].date()) == "2026-11-03"


def test_an_overlong_value_in_a_part_read_record_by_record_is_the_wholes_error(ws, monkeypatch, parts):
    (ws.root / "output").mkdir()
    ok = native(3, 0, 0, 90)
    ws.input("year.csv", HEADERS["native"] + ok * 10 + "2026-11-04,Anna Schmidt,ACME GmbH,app,1.5,yes\n"
             + "2026-11-05,Anna Schmidt,ACME GmbH,app,," + "x" * 140_000 + ",1.5,yes\n" + ok * 10)
    whole, said_whole = read_whole(ws, monkeypatch)
    parts(2)
    got = read(ws)
    same(got, whole)
    assert said(ws) == said_whole and [p.code for p in got.problems] == ["bad-csv"]


@pytest.mark.parametrize("wrong, joined", [([7], [2]), ([3, 15], [None])])
def test_a_duration_off_its_times_is_a_rows_own_unless_another_is_too(ws, monkeypatch, parts, wrong, joined):
    """One duration off its start–end is that row's error, read in parts; two may be the tracker's
    rounding, which the whole file decides: read whole."""
    (ws.root / "output").mkdir()
    body = [clocked(d % 28 + 1, 9 * 60, 20 if d in wrong else 60, 31 if d in wrong else 60) for d in range(20)]
    ws.input("year.csv", HEADERS["toggl"] + "".join(body))
    whole, said_whole = read_whole(ws, monkeypatch)
    cut = parts(2)
    got = read(ws)
    assert cut == joined
    same(got, whole)
    assert said(ws) == said_whole
    assert [p.code for p in got.problems] == ["duration-mismatch"] * len(wrong)
