"""Stages that skip their work when their input is empty (issue 19: most runs are small).

A stage with nothing to do returns at once; what it returns must be exactly what its general
path would have computed from the same empty input — the same columns, dtypes and index — so
no later stage can tell the difference. Each test here runs both paths and compares them.
"""

from __future__ import annotations

import pandas as pd
import pytest

from auftakt_batch.billing import bill
from auftakt_batch.check import checks
from auftakt_batch.check.checks import CHECKS, Context
from auftakt_batch.check.identity import _dropped_repeats, drop_repeats, identify
from auftakt_batch.check.overlaps import _not_held, _superseded, supersede
from auftakt_batch.check.reconcile import _reconciled, evidence, reconcile, unsettled
from auftakt_batch.check.resolve import resolve_names
from auftakt_batch.ingest.clock import _instants, instants
from auftakt_batch.ingest.values import calendar_date, parse_column, parsed_column
from auftakt_batch.pipeline import meeting_entries
from auftakt_batch.schemas import Entries as E
from auftakt_batch.schemas import RawEntries, validate

from .conftest import TODAY
from .test_billed_once import HEADER, NOVEMBER, WEEK
from .test_calendars import calendar_file, calendar_ws, event


def same_frame(fast: pd.DataFrame, general: pd.DataFrame) -> None:
    assert list(fast.columns) == list(general.columns)
    assert list(fast.dtypes) == list(general.dtypes)
    pd.testing.assert_frame_equal(fast, general, check_index_type=True, check_column_type=True, check_exact=True)


@pytest.mark.parametrize("settled", [False, True], ids=["nothing-billed", "all-billed-accepted"])
def test_reconciling_with_nothing_open_gives_what_the_general_path_gives(ws, settled):
    ws.with_templates().input("week.csv", HEADER + WEEK)
    if settled:  # billed, then every billed entry accepted as changed: nothing left open
        bill(ws.root, NOVEMBER, today=TODAY)
    run = ws.check()
    billed = run.billed.assign(gone="2026-12-03") if settled else run.billed
    assert billed.empty is not settled
    found = evidence(run.entries, NOVEMBER, billed, frozenset(), frozenset(), run.config)
    fast = reconcile(run.entries, billed, found, NOVEMBER, run.config)
    general = _reconciled(run.entries, billed, unsettled(billed, run.config), found, NOVEMBER, run.config)
    for part in ("gone", "pairs", "held"):
        same_frame(getattr(fast, part), getattr(general, part))
        assert getattr(fast, part).empty
    assert fast.problems == general.problems == []


def general_meetings(run, calendar) -> pd.DataFrame:
    """The meetings as entries the way the pipeline made them before it skipped empty calendars."""
    return identify(resolve_names(validate(RawEntries, calendar.entries)[0], run.config))


@pytest.mark.parametrize("calendars", [0, 1], ids=["no-calendar", "calendar-of-tracked-meetings"])
def test_no_meeting_becomes_an_entry_when_the_calendars_hold_none_to_bill(ws, calendars):
    from auftakt_batch.calendars import calendar_time

    calendar_ws(ws)
    ws.input("anna.csv", "date,person,client,job,description,hours,start,end\n"
                         "2026-11-03,Anna Schmidt,ACME,website,weekly,1,10:00,11:00\n")
    if calendars:  # a meeting of a client that bills meetings, which Anna tracked: it is not billed again
        calendar_file(ws, "anna.ics", event("a1", "ACME weekly", 3, "1000", "1100", "bob@acme.example"),
                      calname="anna@agency.example")
    run = ws.check()
    files = [(ws.root / "input" / "anna.ics", "anna.ics")] if calendars else []
    calendar = calendar_time(files, run.entries, run.config, NOVEMBER)
    assert meeting_entries(calendar, run.billed, run.config) is None
    general = general_meetings(run, calendar)
    assert len(general[~calendar.covered.to_numpy()]) == 0  # so the general path concatenated nothing either
    assert len(calendar.entries) == calendars
    assert run.ok, [str(p) for p in run.problems]
    assert len(run.entries) == 1


def one_export(ws):
    ws.input("week.csv", HEADER + WEEK + "2026-11-05,Anna Schmidt,ACME,website,,Review,1,\n")  # a row twice in it
    return ws.check()


def test_one_export_supersedes_nothing_as_the_general_path_finds(ws):
    run = one_export(ws)
    entries = run.entries.drop(columns=[E.tracker_hold])
    fast, general = supersede(entries, {}), _superseded(entries, {})
    same_frame(fast.entries, general.entries)
    assert (fast.lacking, fast.problems) == (general.lacking, general.problems) == (frozenset(), [])


@pytest.mark.parametrize("rows", [slice(None), slice(0, 0)], ids=["entries", "none"])
def test_entries_without_repeats_are_kept_as_the_general_path_keeps_them(ws, rows):
    run = one_export(ws)
    entries = run.entries.iloc[rows].set_axis(range(10, 10 + len(run.entries.iloc[rows])))  # not yet renumbered
    assert not entries[E.entry_id].duplicated().any()
    fast, general = drop_repeats(entries), _dropped_repeats(entries, True)
    same_frame(fast[0], general[0])
    assert fast[1] == general[1] == []


def clock_rows(days: list[str], zones: list[str]):
    n = len(days)
    rows = pd.DataFrame({"source_row": range(2, 2 + n), "source_file": "input/t.csv"})
    day = pd.Series(pd.to_datetime(days), dtype="datetime64[us]")
    none = pd.Series(pd.NA, index=day.index, dtype="Int64")
    return (rows, day, pd.Series(pd.NaT, index=day.index, dtype="datetime64[us]"), none, none.copy(),
            pd.Series(zones, index=day.index, dtype=object), pd.Series(True, index=day.index))


@pytest.mark.parametrize("days,zones", [
    (["2026-11-03", "2026-10-25"], ["Europe/Berlin"] * 2),  # one zone (and a night the clocks go back)
    (["2026-11-03", "2026-11-04"], ["Europe/Berlin", "America/New_York"]),  # zones of their own
    ([], []),
], ids=["one-zone", "zones", "no-rows"])
def test_an_export_without_clock_times_has_the_instants_the_general_path_gives(days, zones):
    args = clock_rows(days, zones)
    fast, general = instants(*args), _instants(*args)
    for part in range(3):
        assert fast[part].dtype == general[part].dtype
        pd.testing.assert_series_equal(fast[part], general[part], check_index_type=True, check_exact=True)
    assert fast[3] == general[3] == []


@pytest.mark.parametrize("calendars", [0, 1], ids=["no-calendar", "calendar-without-client-meetings"])
def test_calendars_without_client_meetings_give_what_the_general_path_gives(ws, calendars):
    from auftakt_batch.calendars import _client_time, calendar_time
    from auftakt_batch.calendars.meetings import read_meetings

    calendar_ws(ws)
    ws.input("anna.csv", HEADER + WEEK)
    if calendars:  # Anna's own appointment: no client's meeting
        calendar_file(ws, "anna.ics", event("a1", "Dentist", 3, "1000", "1100"), calname="anna@agency.example")
    run = ws.check()
    files = [(ws.root / "input" / "anna.ics", "anna.ics")] if calendars else []
    meetings, absences, problems, unreadable = read_meetings(files, run.config, NOVEMBER)
    assert len(meetings) == calendars
    fast = calendar_time(files, run.entries, run.config, NOVEMBER)
    general = _client_time(meetings[meetings["client_key"].notna()], absences, problems, unreadable, run.entries,
                           run.config)
    for part in ("entries", "untracked", "absences"):
        same_frame(getattr(fast, part), getattr(general, part))
    assert fast.covered.dtype == general.covered.dtype
    pd.testing.assert_series_equal(fast.covered, general.covered, check_index_type=True)
    assert (fast.problems, fast.unreadable) == (general.problems, general.unreadable)


@pytest.mark.parametrize("dtype", ["Int64", "boolean", "object", "date", "datetime64[us, UTC]"])
@pytest.mark.parametrize("cells", [[], [""], ["", "", ""], [None, ""]], ids=["no-rows", "one", "three", "missing"])
def test_an_empty_column_parses_as_the_general_path_parses_it(dtype, cells):
    texts = pd.Series(cells, index=range(7, 7 + len(cells)), dtype=object)
    codes, distinct = pd.factorize(texts.fillna(""))
    fast, general = parse_column(texts, calendar_date, dtype), parsed_column(codes, distinct, texts.index,
                                                                              calendar_date, dtype)
    for f, g in zip(fast, general):
        assert f.dtype == g.dtype
        pd.testing.assert_series_equal(f, g, check_index_type=True, check_exact=True)
    assert [type(v) for v in fast[0]] == [type(v) for v in general[0]]  # None stays None, not NaN


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_a_check_that_finds_nothing_finds_what_it_finds_on_all_rows_selected(ws, check):
    ws.with_templates().input("week.csv", HEADER + WEEK)
    run = ws.check()
    context = Context(run.config, NOVEMBER, TODAY, run.billed)
    assert checks._where(run.entries, run.entries[E.person].ne("")).equals(run.entries)
    same_frame(checks._where(run.entries, run.entries[E.person].eq("")), run.entries[run.entries[E.person].eq("")])
    assert check(run.entries.iloc[:0], context) == check(run.entries[run.entries[E.person].eq("")], context) == []


def test_of_no_moved_entries_none_is_new_and_every_column_stays():
    """overlaps._moved's filter of the newest export's entries: of no rows it gives no rows with the
    columns the next step groups by (a list of no booleans selects no columns: a KeyError)."""
    new = pd.DataFrame({E.source_file: ["a.csv"], "who": ["anna"], E.entry_id: ["1"], "newer": ["b.csv"]})
    for frame, held in ((new.iloc[:0], set()), (new, {("a.csv", "1")}), (new, set())):
        kept = _not_held(frame, held)
        assert kept.columns.tolist() == new.columns.tolist() and len(kept) == (not held and len(frame))
