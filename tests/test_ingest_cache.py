"""The ingest cache (ingest/cache.py): an unchanged export is never parsed again, and a warm run
says and bills exactly what a cold one does — whatever is edited, added or deleted between runs,
whatever is wrong with the cache."""

import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auftakt_batch import billing, ingest
from auftakt_batch.ingest import cache as ingest_cache
from auftakt_batch.periods import parse_period

from .conftest import TODAY, Workspace, examples, ledger_dump

NOVEMBER = parse_period("2026-11")
NATIVE = "date,person,client,job,task,description,hours,billable\n"
TOGGL = ("User,Email,Client,Project,Task,Description,Billable,Start date,Start time,End date,End time,"
         "Duration,Tags,Amount (EUR)\n")
HARVEST = ("Date,Client,Project,Project Code,Task,Notes,Hours,Hours Rounded,Billable?,Invoiced?,Approved?,"
           "First Name,Last Name,Employee Id,Roles,Employee?,Billable Rate,Billable Amount,Cost Rate,Cost Amount,"
           "Currency,External Reference URL\n")
WRITTEN_AT = re.compile(r"'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ'")  # when the ledger wrote a row: the clock's
PEOPLE = [("Anna", "Schmidt", "anna@studio.example"), ("Ben", "Okafor", "ben@studio.example")]
JOBS = [("ACME GmbH", "Website Relaunch 2026"), ("Globex Corporation", "app")]


def row(kind: str, day: int, who: int, job: int, minutes: int, words: str) -> str:
    first, last, email = PEOPLE[who]
    client, project = JOBS[job]
    hours = "x" if minutes == 0 else f"{minutes / 60:.2f}"  # an unreadable cell: a problem kept with the file
    if kind == "native":
        return f"2026-11-{day:02d},{first} {last},{client},{project},,{words},{hours},yes\n"
    if kind == "toggl":
        end = 9 * 60 + minutes
        duration = "x" if minutes == 0 else f"{minutes // 60:02d}:{minutes % 60:02d}:00"
        return (f"{first} {last},{email},{client},{project},,{words},Yes,2026-11-{day:02d},09:00:00,"
                f"2026-11-{day:02d},{end // 60:02d}:{end % 60:02d}:00,{duration},,\n")
    return (f"2026-11-{day:02d},{client},{project},,Work,{words},{hours},{hours},Yes,No,Yes,{first},{last},,,Yes,"
            f"120.0,1.5,60.0,0.5,Euro - EUR,\n")


HEADERS = {"native": NATIVE, "toggl": TOGGL, "harvest": HARVEST}
entries = st.lists(st.tuples(st.integers(1, 28), st.integers(0, 1), st.integers(0, 1),
                             st.sampled_from([0, 15, 45, 90, 240])), min_size=1, max_size=4)
exports = st.dictionaries(st.sampled_from([f"e{n}" for n in range(4)]),
                          st.tuples(st.sampled_from(sorted(HEADERS)), entries), min_size=1, max_size=3)
# Anna's calendar, or none: meetings (day, hour, minutes, client) and, if set, a weekly series from that day
calendars = st.one_of(st.none(), st.tuples(
    st.lists(st.tuples(st.integers(1, 28), st.integers(8, 16), st.sampled_from([30, 60]), st.integers(0, 1)),
             max_size=3), st.one_of(st.none(), st.integers(1, 7))))


def write_state(ws: Workspace, state: dict, step: int, calendar: tuple | None = None) -> None:
    """input/ as `state` says: each export's file, with a fixed modification time (which of two
    overlapping exports is newer must not depend on when the test wrote it); and Anna's calendar."""
    shutil.rmtree(ws.root / "input")
    (ws.root / "input").mkdir()
    for n, (name, (kind, rows)) in enumerate(sorted(state.items())):
        text = HEADERS[kind] + "".join(row(kind, *r, f"{name} task {i}") for i, r in enumerate(rows))
        path = ws.input(f"{name}-{kind}.csv", text)
        os.utime(path, (1_790_000_000 + step * 100 + n,) * 2)
    if calendar is not None:
        meetings, weekly = calendar
        events = [(f"m{i}", day, hour, minutes, client, "") for i, (day, hour, minutes, client) in enumerate(meetings)]
        events += [("w", weekly, 9, 30, 0, "RRULE:FREQ=WEEKLY;COUNT=6\r\n")] if weekly else []
        ws.input("calendars/anna-schmidt.ics", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:test\r\n"
                 "X-WR-CALNAME:Anna Schmidt\r\n" + "".join(
                     f"BEGIN:VEVENT\r\nUID:{uid}@test\r\nDTSTART:202611{day:02d}T{hour:02d}0000Z\r\n"
                     f"DTEND:202611{day:02d}T{hour + minutes // 60:02d}{minutes % 60:02d}00Z\r\n{rule}"
                     f"SUMMARY:[{('acme', 'globex')[client]}] call\r\n"
                     "ATTENDEE;PARTSTAT=ACCEPTED:mailto:anna@studio.example\r\n"
                     "END:VEVENT\r\n" for uid, day, hour, minutes, client, rule in events) + "END:VCALENDAR\r\n")


def outputs(ws: Workspace) -> tuple:
    """What a run says and bills: check --json, then a billing run's ledger rows and PDFs' bytes."""
    checked = ws.cli("check", "--period", "2026-11", "--json")
    billing.bill(ws.root, NOVEMBER, today=TODAY)
    pdfs = {p.relative_to(ws.root).as_posix(): p.read_bytes() for p in sorted((ws.root / "output").rglob("*.pdf"))}
    ledger = [WRITTEN_AT.sub("'…Z'", line) for line in ledger_dump(ws.root)]
    return checked.exit_code, json.loads(checked.output), ledger, pdfs


def cached(ws: Workspace) -> list[Path]:
    folder = ws.root / ingest_cache.FOLDER
    return sorted(folder.glob("*.npz")) if folder.is_dir() else []


def workspace(root: Path) -> Workspace:
    ws = Workspace(root).with_templates()
    (ws.root / "output").mkdir()
    return ws


# Each example checks and bills up to three states in two workspaces (up to twelve whole runs, an example
# costs seconds): CI runs 3; `make fuzz` (the long profile) runs 30.
@settings(max_examples=examples(3), deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(exports, calendars), min_size=2, max_size=3))
def test_warm_runs_say_and_bill_what_cold_runs_do_across_edits_additions_and_deletions(tmp_path_factory, states):
    """Exports and a calendar edited, added and deleted between runs: a run that finds what earlier
    runs kept (exports read, identities, calendars' occurrences) says and bills what a cold one does."""
    warm, cold = workspace(tmp_path_factory.mktemp("warm")), workspace(tmp_path_factory.mktemp("cold"))
    for step, (state, calendar) in enumerate(states):
        for ws in (warm, cold):
            write_state(ws, state, step, calendar)
        shutil.rmtree(cold.root / "output" / ".cache", ignore_errors=True)
        assert outputs(warm) == outputs(cold)
        assert len(cached(warm)) == len(state)  # one entry per export; those of deleted or edited ones pruned


def a_month(ws: Workspace) -> None:
    ws.input("anna-toggl.csv", TOGGL + row("toggl", 3, 0, 0, 90, "Layout") + row("toggl", 4, 0, 1, 0, "Broken"))
    ws.input("ben.csv", NATIVE + row("native", 5, 1, 1, 45, "API") + "2026-11-06,Ben Okafor,Nobody,,,?,1,yes\n")
    ws.input("harvest.csv", HARVEST + row("harvest", 9, 0, 0, 240, "Copy"))


def said(ws: Workspace) -> tuple[int, str]:
    result = ws.cli("check", "--period", "2026-11", "--json")
    return result.exit_code, result.output


def test_an_unchanged_export_is_not_parsed_again(ws, monkeypatch):
    (ws.root / "output").mkdir()
    a_month(ws)
    cold = said(ws)
    assert len(cached(ws)) == 3 and json.loads(cold[1])["problems"]  # its problems are kept with it

    def parse(*args):
        raise AssertionError("an unchanged export was parsed again")

    monkeypatch.setattr(ingest, "_read_file", parse)
    assert said(ws) == cold


def test_warm_frame_has_the_cold_frames_values_and_dtypes(ws):
    from auftakt_batch.config import load_config
    from auftakt_batch.pipeline import import_rules
    from auftakt_batch.schemas import RawEntries

    (ws.root / "output").mkdir()
    a_month(ws)
    rules = import_rules(load_config(ws.root / "rates.yaml")[0])
    cold = ingest.ingest(ws.root / "input", ws.root, rules)
    store = ingest_cache.IngestCache.of(ws.root, rules)
    ingest.ingest(ws.root / "input", ws.root, rules, store)
    warm = ingest.ingest(ws.root / "input", ws.root, rules, ingest_cache.IngestCache.of(ws.root, rules))
    assert len(cached(ws)) == 3
    assert warm.entries.dtypes.equals(cold.entries.dtypes)
    assert warm.entries.equals(cold.entries) and warm.problems == cold.problems and warm.files == cold.files
    assert dict(warm.labels) == dict(cold.labels)
    assert [type(v) for v in warm.entries["export_amount"]] == [type(v) for v in cold.entries["export_amount"]]
    RawEntries.validate(warm.entries)


@pytest.mark.parametrize("spoil", ["truncated", "random bytes", "another export's", "another format's"])
def test_a_spoilt_cache_entry_is_rebuilt_and_changes_nothing(ws, spoil):
    (ws.root / "output").mkdir()
    a_month(ws)
    cold = said(ws)
    entries = cached(ws)
    victim = entries[0]
    if spoil == "truncated":
        victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
    elif spoil == "random bytes":
        victim.write_bytes(os.urandom(victim.stat().st_size))
    elif spoil == "another export's":
        victim.write_bytes(entries[1].read_bytes())
    else:  # a well-formed file whose metadata names another FORMAT
        with np.load(victim, allow_pickle=False) as kept:
            stored = {name: kept[name] for name in kept.files}
        meta = json.loads(stored[ingest_cache._META].tobytes())
        assert meta["format"] == ingest_cache.FORMAT
        meta["format"] += 1
        stored[ingest_cache._META] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
        with victim.open("wb") as out:
            np.savez(out, **stored)
    assert said(ws) == cold
    assert cached(ws) == entries and victim.read_bytes() != b""  # rebuilt in place
    assert said(ws) == cold


def test_a_cache_written_under_other_import_settings_is_not_used(ws):
    (ws.root / "output").mkdir()
    ws.input("dates.csv", NATIVE + "03/11/2026,Anna Schmidt,ACME,website,,Layout,1.5,yes\n")
    ws.rates((ws.root / "rates.yaml").read_text() + "imports: {date_format: DD/MM/YYYY}\n")
    day_first = said(ws)
    before = cached(ws)
    ws.edit_rates("DD/MM/YYYY", "MM/DD/YYYY")
    month_first = said(ws)
    assert cached(ws) != before and len(cached(ws)) == 1  # a new entry; the other settings' one pruned
    shutil.rmtree(ws.root / ingest_cache.FOLDER)
    assert said(ws) == month_first != day_first  # 3 November was 11 March under the other setting


def test_without_an_output_folder_nothing_is_written(ws):
    a_month(ws)
    said(ws)
    assert not (ws.root / "output").exists()


class Unpickled:
    """What a pickle in a cache file would make: unpickling it creates `marker`."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return os.mkdir, (str(self.marker),)


@pytest.mark.parametrize("where", ["the columns", "the metadata"])
def test_a_cache_entry_holding_pickles_is_rebuilt_never_unpickled(ws, tmp_path, where):
    (ws.root / "output").mkdir()
    a_month(ws)
    cold = said(ws)
    marker = tmp_path / "unpickled"
    for victim in cached(ws):
        with np.load(victim, allow_pickle=False) as kept:
            stored = {name: kept[name] for name in kept.files}
        name = next(n for n in sorted(stored) if n != ingest_cache._META) if where == "the columns" else ingest_cache._META
        stored[name] = np.array([Unpickled(marker)] * len(stored[name]), dtype=object)
        with victim.open("wb") as out:
            np.savez(out, allow_pickle=True, **stored)
        assert b"mkdir" in victim.read_bytes()  # the pickle is there, ready to run
    assert said(ws) == cold
    assert not marker.exists()
    for victim in cached(ws):  # rebuilt: plain arrays again
        with np.load(victim, allow_pickle=False) as kept:
            assert all(kept[name].dtype != object for name in kept.files)


texts = st.lists(st.one_of(st.none(), st.text(st.characters(exclude_categories=()))), max_size=6)  # any code point
decimals = st.lists(st.one_of(st.none(), st.decimals(allow_nan=False, allow_infinity=False)), max_size=6)
instants = st.lists(st.one_of(st.none(), st.integers(-2**52, 2**52)), max_size=6)


@settings(max_examples=examples(60), deadline=None)
@given(texts, decimals, instants, st.sampled_from(["us", "ns", "s"]), st.sampled_from(["UTC", "Europe/Berlin"]))
def test_every_kind_of_column_comes_back_exactly(words, amounts, counts, unit, zone):
    import pandas as pd

    from auftakt_batch.ingest import arrays

    rows = len(words)
    amounts, counts = (amounts + [None] * rows)[:rows], (counts + [None] * rows)[:rows]
    frame = pd.DataFrame({
        "text": pd.array(words, dtype="str"),
        "amount": pd.Series(amounts, dtype=object),
        "seconds": pd.array(counts, dtype="Int64"),
        "flag": pd.array([None if c is None else c % 2 == 0 for c in counts], dtype="boolean"),
        "row": pd.Series(range(rows), dtype="int64"),
        "local": pd.Series(pd.array(counts, dtype="Int64").to_numpy("int64", na_value=-2**63).view(f"M8[{unit}]")),
        "names": pd.Series(words, dtype=object),  # str or None
        "nan": pd.Series(words, dtype="str").astype(object),  # str or NaN (how the ledger's billed entries read)
    })
    frame["start"] = frame["local"].dt.tz_localize("UTC").dt.tz_convert(zone)
    described, packed = arrays.pack({name: arrays.encode(frame[name]) for name in frame.columns})
    assert all(values.dtype != object for values in packed.values())
    back = arrays.frame({name: arrays.unpack(described[name], packed, rows) for name in frame.columns})
    assert back.dtypes.equals(frame.dtypes) and back.equals(frame)
    for name in ("amount", "names", "nan"):  # 1.50 stays 1.50, None None and NaN NaN
        assert [(type(v), str(v)) for v in back[name]] == [(type(v), str(v)) for v in frame[name]]


def test_an_object_column_of_none_and_nan_both_is_not_kept():
    import pandas as pd

    from auftakt_batch.ingest import arrays

    assert arrays.encode(pd.Series(["a", None, float("nan")], dtype=object)) is None
    assert arrays.encode(pd.Series(["a", pd.NA], dtype=object)) is None


def many_small(ws: Workspace, monkeypatch, count: int = 6) -> None:
    """`count` one-row exports: more than the cache keeps one file each (PACK_MIN lowered to 4)."""
    monkeypatch.setattr(ingest_cache, "PACK_MIN", 4)
    (ws.root / "output").mkdir()
    for n in range(count):
        kind = sorted(HEADERS)[n % 3]
        ws.input(f"e{n}-{kind}.csv", HEADERS[kind] + row(kind, n + 2, n % 2, n % 2, 0 if n == 4 else 90, f"t{n}"))


def parsed_files(monkeypatch) -> list[str]:
    """The labels of the files parsed from now on."""
    calls: list[str] = []
    read_file = ingest._read_file

    def counted(path, label, kind, *data):
        calls.append(label)
        return read_file(path, label, kind, *data)

    monkeypatch.setattr(ingest, "_read_file", counted)
    return calls


def test_many_small_exports_are_kept_in_one_pack_and_never_parsed_again(ws, monkeypatch):
    many_small(ws, monkeypatch)
    cold = said(ws)
    assert [p.name for p in (ws.root / ingest_cache.FOLDER).iterdir()] == [ingest_cache.PACK]
    parsed = parsed_files(monkeypatch)
    assert said(ws) == cold and parsed == []
    ws.input("e1-native.csv", HEADERS["native"] + row("native", 20, 1, 0, 45, "edited"))  # one edited export
    edited = said(ws)
    assert parsed == ["input/e1-native.csv"] and edited != cold  # only it is parsed again
    assert said(ws) == edited and parsed == ["input/e1-native.csv"]
    shutil.rmtree(ws.root / ingest_cache.FOLDER)
    assert said(ws) == edited  # what a cold run says


@pytest.mark.parametrize("spoil", ["truncated", "random bytes"])
def test_a_spoilt_pack_is_rebuilt_and_changes_nothing(ws, monkeypatch, spoil):
    many_small(ws, monkeypatch)
    cold = said(ws)
    pack = ws.root / ingest_cache.FOLDER / ingest_cache.PACK
    if spoil == "truncated":
        pack.write_bytes(pack.read_bytes()[: pack.stat().st_size // 2])
    else:
        pack.write_bytes(os.urandom(pack.stat().st_size))
    parsed = parsed_files(monkeypatch)
    assert said(ws) == cold and len(parsed) == 6  # read again, silently
    parsed.clear()
    assert said(ws) == cold and parsed == []  # and kept again
    assert [p.name for p in (ws.root / ingest_cache.FOLDER).iterdir()] == [ingest_cache.PACK]


def test_few_small_exports_are_kept_one_file_each_and_the_pack_is_pruned(ws, monkeypatch):
    many_small(ws, monkeypatch)
    said(ws)
    for n in range(2, 6):
        next((ws.root / "input").glob(f"e{n}-*")).unlink()
    fewer = said(ws)
    assert len(cached(ws)) == 2 and not (ws.root / ingest_cache.FOLDER / ingest_cache.PACK).exists()
    parsed = parsed_files(monkeypatch)
    assert said(ws) == fewer and parsed == []


def test_a_cold_years_exports_are_read_by_workers_and_say_what_one_process_reads(tmp_path, monkeypatch):
    """With an empty cache, workers forked from the run read the exports into it (ingest/ahead.py);
    the run then reads them from the cache, and says what a run reading them itself says. A file
    no worker could read is read by the run, which says why."""
    from auftakt_batch.ingest import ahead

    monkeypatch.setattr(ingest_cache, "PACK_ROWS", 0)  # these small exports are kept one file each
    together, alone = workspace(tmp_path / "together"), workspace(tmp_path / "alone")
    for ws in (together, alone):
        a_month(ws)
        ws.input("broken.csv", b"\x00\x01binary\xff")
    monkeypatch.setattr(ahead, "AHEAD_BYTES", 10**12)  # one process reads them all
    said_alone = said(alone)
    monkeypatch.setattr(ahead, "AHEAD_BYTES", 0)
    parsed = parsed_files(monkeypatch)  # the files this process parses (a worker's calls are its own)
    assert said(together) == said_alone and "broken.csv" in said_alone[1]
    assert parsed == ["input/broken.csv"]  # the exports came from the cache the workers filled
    assert [p.name for p in cached(together)] == [p.name for p in cached(alone)]
    parsed.clear()
    assert said(together) == said_alone and parsed == ["input/broken.csv"]  # warm: no worker, the same


def test_an_export_read_ahead_is_hashed_once_by_its_worker_and_not_again_by_the_run(tmp_path, monkeypatch):
    """A worker keeps an export under the digest of the bytes it read and hands that key back: the run
    takes the export from the cache by it, reading and hashing none of those bytes again, and says what
    a run reading them itself says; the worker's CSV, parsed from the bytes it hashed, is not hashed twice."""
    from auftakt_batch.ingest import ahead

    monkeypatch.setattr(ingest_cache, "PACK_ROWS", 0)
    ws = workspace(tmp_path / "ws")
    a_month(ws)
    monkeypatch.setattr(ahead, "AHEAD_BYTES", 10**12)  # one process reads them all
    alone = said(ws)
    shutil.rmtree(ws.root / ingest_cache.FOLDER)
    hashed: list[bytes] = []
    key = ingest_cache.IngestCache._key
    monkeypatch.setattr(ingest_cache.IngestCache, "_key", lambda self, data, label: hashed.append(data) or
                        key(self, data, label))
    rules = ingest.Rules("Europe/Berlin")
    folder = tmp_path / "kept"
    folder.mkdir()
    kept = ingest.read_and_keep(ws.root / "input" / "ben.csv", "input/ben.csv", ".csv", rules, folder)
    assert len(hashed) == 1 and kept == key(ingest_cache.IngestCache(folder, rules), hashed[0], "input/ben.csv")
    assert ingest_cache.IngestCache(folder, rules).kept(kept) is not None
    hashed.clear()
    monkeypatch.setattr(ahead, "AHEAD_BYTES", 0)  # workers read every export ahead
    parsed = parsed_files(monkeypatch)
    assert said(ws) == alone and parsed == [] and hashed == []  # this process: from the cache, by the workers' keys


def test_an_ingest_worker_killed_leaves_its_exports_to_the_run(tmp_path, monkeypatch):
    from auftakt_batch.ingest import ahead

    monkeypatch.setattr(ingest_cache, "PACK_ROWS", 0)
    monkeypatch.setattr(ahead, "AHEAD_BYTES", 0)
    ws = workspace(tmp_path / "ws")
    a_month(ws)
    whole = said(ws)
    shutil.rmtree(ws.root / ingest_cache.FOLDER)
    monkeypatch.setattr(ingest, "read_and_keep", killed)
    pools: list = []
    real = ahead.forked_pool
    monkeypatch.setattr(ahead, "forked_pool", lambda workers: pools.append(real(workers)) or pools[-1])
    parsed = parsed_files(monkeypatch)
    assert said(ws) == whole and sorted(parsed) == ["input/anna-toggl.csv", "input/ben.csv", "input/harvest.csv"]
    assert pools and None not in pools  # its workers were forked, and killed


def killed(*args) -> None:
    """A worker's task that ends its process, as the OOM killer would (module-level: a pool pickles it by name)."""
    os._exit(1)
