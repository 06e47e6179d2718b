"""Every check fires on a crafted bad file, with the exact message and location a user sees."""

import os

import pandas as pd
import pytest

from auftakt_batch import pipeline
from auftakt_batch.periods import parse_period

from .conftest import TODAY, copy_demo, problem_lines

HEADER = "date,person,client,job,task,description,hours,billable\n"


def lines_for(ws, rows: str, header: str = HEADER, period: str = "2026-11") -> list[str]:
    ws.input("week.csv", header + rows)
    return problem_lines(ws.check(period))


def test_clean_file_has_no_problems(ws):
    assert lines_for(ws, "2026-11-03,Anna Schmidt,ACME,website,,Layout,1.5,\n") == []


def test_unknown_person_once_per_name_with_closest_match(ws):
    assert lines_for(ws, "2026-11-03,Anna Schmit,ACME,website,,x,1,\n2026-11-04,Anna Schmit,ACME,website,,x,1,\n"
                         "2026-11-04,Zed,ACME,website,,y,1,\n") == [
        "input/week.csv:2:person: error: unknown person 'Anna Schmit' (2 rows: 2, 3) — add them (or an alias) to "
        "team in rates.yaml; closest: Anna Schmidt",
        "input/week.csv:4:person: error: unknown person 'Zed' — add them (or an alias) to team in rates.yaml; "
        "known: Anna Schmidt, Ben Okafor",
    ]


def test_unknown_client_lists_known_ones(ws):
    assert lines_for(ws, "2026-11-03,Anna Schmidt,Nobody Inc,website,,x,1,\n") == [
        "input/week.csv:2:client: error: unknown client 'Nobody Inc' — add it (or an alias) to rates.yaml; known: "
        "acme (ACME GmbH), globex (Globex Corporation), studio (Studio (internal))"]


def test_unknown_client_closest_match(ws):
    assert lines_for(ws, "2026-11-03,Anna Schmidt,Globex Corp,app,,x,1,\n") == [
        "input/week.csv:2:client: error: unknown client 'Globex Corp' — add it (or an alias) to rates.yaml; "
        "closest: globex (Globex Corporation)"]


def test_unknown_and_missing_job(ws):
    assert lines_for(ws, "2026-11-03,Anna Schmidt,ACME,Webseite,,x,1,\n2026-11-03,Anna Schmidt,ACME,,,y,1,\n") == [
        "input/week.csv:2:job: error: unknown job 'Webseite' for client acme — add it (or an alias) under "
        "clients.acme.jobs in rates.yaml; closest: website (Website relaunch)",
        "input/week.csv:3:job: error: job is empty — acme has jobs: website, internal",
    ]


def test_no_rate_in_force(ws):
    # globex has no client rate; only its job 'app' has one: a new job without a rate has none
    ws.edit_rates('      app: {name: Customer app, rate: "150.00"}',
                  '      app: {name: Customer app, rate: "150.00"}\n      audit: {name: Audit, rates: [{from: 2026-11-10, rate: "99"}]}')
    assert lines_for(ws, "2026-11-09,Ben Okafor,globex,audit,,x,1,\n2026-11-10,Ben Okafor,globex,audit,,x,1,\n"
                         "2026-11-09,Ben Okafor,globex,audit,,unbilled,1,no\n") == [
        "input/week.csv:2:date: error: no rate in force for Ben Okafor on globex/audit on 2026-11-09 — set "
        "clients.globex.rate (or a job, person or role rate) in rates.yaml, or mark the entries non-billable"]


def test_no_rate_before_a_client_rate_starts(ws):
    """A client rate with a start is not in force before it: its entries then are looked up (only a
    client rate without a start prices every entry of its client without a lookup)."""
    ws.edit_rates('    rate: "120.00"\n', '    rates: [{from: 2026-11-05, rate: "120.00"}]\n', count=1)
    assert lines_for(ws, "2026-11-04,Anna Schmidt,ACME,website,,x,1,\n2026-11-05,Anna Schmidt,ACME,website,,y,1,\n"
                         "2026-11-04,Ben Okafor,globex,app,,z,1,\n") == [
        "input/week.csv:2:date: error: no rate in force for Anna Schmidt on acme/website on 2026-11-04 — set "
        "clients.acme.rate (or a job, person or role rate) in rates.yaml, or mark the entries non-billable"]


def test_non_positive_and_impossible_durations(ws):
    assert lines_for(ws, "2026-11-03,Anna Schmidt,ACME,website,,a,0,\n2026-11-04,Anna Schmidt,ACME,website,,b,-1:30,\n"
                         "2026-11-05,Anna Schmidt,ACME,website,,c,25,\n2026-11-06,Anna Schmidt,ACME,website,,d,17,\n"
                     ) == [
        "input/week.csv:2:hours: warning: no time (0:00) — nothing to bill; a timer started and stopped at once?",
        "input/week.csv:3:hours: error: duration is -1:30 — an entry needs more than zero time; correct it or "
        "delete the row",
        "input/week.csv:4:hours: error: 25:00 h in one entry is more than a day — correct it or split it",
        "input/week.csv:5:hours: warning: 17:00 h in one entry (more than 16 h) — check it",
    ]


TOGGL = "User,Email,Client,Project,Task,Description,Billable,Start date,Start time,End date,End time,Duration\n"


def test_an_entry_ending_the_next_day_is_a_warning_also_where_the_export_gives_the_end_date(ws):
    ws.input("native.csv", """\
        date,person,client,job,description,start,end
        2026-11-03,Anna Schmidt,ACME,website,Launch,23:30,00:30
        """)
    assert lines_for(ws, "Ben Okafor,,globex,app,,Deploy,Yes,2026-11-04,22:30:00,2026-11-05,01:00:00,02:30:00\n"
                         "Ben Okafor,,globex,app,,Fix,Yes,2026-11-05,09:00:00,2026-11-05,10:00:00,01:00:00\n",
                     header=TOGGL) == [
        "input/native.csv:2:end: warning: ends the next day (starts 23:30, ends 00:30) — fine for night work, "
        "otherwise correct the times",
        "input/week.csv:2:End time: warning: ends the next day (starts 22:30, ends 01:00) — fine for night work, "
        "otherwise correct the times"]


def test_more_than_24_hours_in_one_day(ws):
    assert lines_for(ws, "2026-11-03,Anna Schmidt,ACME,website,,a,14,\n2026-11-03,A. Schmidt,globex,app,,b,11,\n") == [
        "input/week.csv:2:hours: error: Anna Schmidt logged 25:00 h on 2026-11-03, more than 24 h in one day "
        "(rows 2, 3) — correct the hours"]


def test_overlapping_entries_are_a_warning(ws):
    header = "date,person,client,job,description,hours,start,end\n"
    assert lines_for(ws, "2026-11-03,Anna Schmidt,ACME,website,a,,09:00,11:00\n"
                         "2026-11-03,Anna Schmidt,globex,app,b,,10:30,12:00\n"
                         "2026-11-03,Ben Okafor,globex,app,c,,10:30,12:00\n", header) == [
        "input/week.csv:2:start: warning: Anna Schmidt's entries on 2026-11-03 overlap (rows 2, 3) — fine if they "
        "really did two things at once"]


def test_overlaps_on_many_days_are_one_warning_per_person(ws):
    header = "date,person,client,job,description,hours,start,end\n"
    assert lines_for(ws, "".join(f"2026-11-{d:02d},Anna Schmidt,ACME,website,a,,09:00,11:00\n"
                                 f"2026-11-{d:02d},Anna Schmidt,globex,app,b,,10:30,12:00\n" for d in (3, 4, 5)),
                     header) == [
        "input/week.csv:2:start: warning: Anna Schmidt's entries on 3 days (2026-11-03 .. 2026-11-05) overlap (rows "
        "2, 3, 4, 5, 6, 7) — fine if they really did two things at once"]


def test_nested_overlaps_are_found(ws):
    header = "date,person,client,job,description,hours,start,end\n"
    assert lines_for(ws, "2026-11-03,Anna Schmidt,ACME,website,day,,09:00,17:00\n"
                         "2026-11-03,Anna Schmidt,globex,app,call,,10:00,11:00\n"
                         "2026-11-03,Anna Schmidt,globex,app,review,,12:00,13:00\n"
                         "2026-11-03,Anna Schmidt,globex,app,evening,,17:00,18:00\n", header) == [
        "input/week.csv:2:start: warning: Anna Schmidt's entries on 2026-11-03 overlap (rows 2, 3, 4) — fine if "
        "they really did two things at once"]


def test_an_edited_reexport_is_flagged(ws):
    ws.input("export-v1.csv", HEADER + "2026-11-02,Anna Schmidt,ACME,website,,Homepage desgin,2,\n")
    assert lines_for(ws, "2026-11-02,Anna Schmidt,ACME,website,,Homepage design,2,\n") == [
        "input/week.csv:2: warning: looks like input/export-v1.csv:2 edited (same person and day, same job and "
        "hours) — both are counted; if one file is an edited re-export of the other, remove the older one"]


def test_a_reexport_with_edited_hours_is_flagged(ws):
    ws.input("export-v1.csv", HEADER + "2026-11-02,Anna Schmidt,ACME,website,,Design review,1.5,\n")
    assert lines_for(ws, "2026-11-02,Anna Schmidt,ACME,website,,design review,2,\n") == [
        "input/week.csv:2: warning: looks like input/export-v1.csv:2 edited (same person and day, same words) — "
        "both are counted; if one file is an edited re-export of the other, remove the older one"]


def test_grouped_problems_cover_all_their_rows(ws):
    ws.input("week.csv", HEADER + "2026-11-03,Zed,ACME,website,,a,1,\n2026-11-04,Zed,ACME,website,,b,1,\n")
    run = ws.check()
    (problem,) = run.problems
    assert problem.rows == (2, 3) and problem.locations() == [("input/week.csv", 2), ("input/week.csv", 3)]
    assert run.with_errors().tolist() == [True, True]


def test_future_entries_are_grouped_per_file(ws):
    rows = "".join(f"2026-12-0{d},Anna Schmidt,ACME,website,,x{d},1,\n" for d in (3, 4, 7))
    assert lines_for(ws, rows, period="2026-12") == [
        "input/week.csv:3:date: warning: 2 entries dated 2026-12-04 .. 2026-12-07 (rows 3, 4), after today "
        "(2026-12-03) — check the dates unless the time is planned"]


def test_weekend_work(ws):
    assert lines_for(ws, "2026-11-07,Anna Schmidt,ACME,website,,x,1,\n") == [
        "input/week.csv:2:date: warning: 1 entry logged on a Saturday (2026-11-07) — check the date"]


def test_missing_description_only_on_billable_entries(ws):
    assert lines_for(ws, "2026-11-03,Anna Schmidt,ACME,website,,,1,\n2026-11-03,Anna Schmidt,ACME,internal,,,1,\n"
                         "2026-11-03,Anna Schmidt,studio,admin,,,1,\n2026-11-04,Anna Schmidt,ACME,website,,,1,no\n") == [
        "input/week.csv:2:description: warning: 1 entry billable without a description — the client sees the line "
        "unexplained"]


def test_marked_billable_on_a_non_billable_job(ws):
    assert lines_for(ws, "2026-11-03,Anna Schmidt,ACME,internal,,x,1,yes\n") == [
        "input/week.csv:2:billable: warning: marked billable, but acme/internal is not billable in rates.yaml — "
        "it is not billed"]


def test_identical_rows_in_one_file_are_both_counted_and_flagged(ws):
    row = "2026-11-03,Anna Schmidt,ACME,website,,Layout,1,\n"
    ws.input("week.csv", HEADER + row + row)
    run = ws.check()
    assert problem_lines(run) == [
        "input/week.csv:3: warning: same as row 2 (person, date, time, job and description) — both are counted; "
        "delete one if it was logged twice"]
    assert run.entries["duration_s"].sum() == 7200


def test_entries_outside_the_period_are_ignored_and_counted(ws):
    run_lines = lines_for(ws, "2026-10-30,Anna Schmidt,ACME,website,,x,1,\n2026-11-02,Anna Schmidt,ACME,website,,x,1,\n"
                              "2026-12-01,Nobody,ACME,website,,x,1,\n")
    assert run_lines == ["input/week.csv: note: 2 entries outside 2026-11 ignored (2026-10-30 .. 2026-12-01)"]


@pytest.mark.parametrize("period, hours", [("2026-W45", 1), ("2026-11-01..2026-11-03", 1), ("2026-Q4", 2)])
def test_period_forms_select_entries(ws, period, hours):
    ws.input("week.csv", HEADER + "2026-11-03,Anna Schmidt,ACME,website,,x,1,\n2026-11-10,Anna Schmidt,ACME,website,,y,1,\n")
    run = ws.check(period)
    assert run.entries["duration_s"].sum() == hours * 3600


def test_errors_make_the_run_not_ok_warnings_do_not(ws):
    ws.input("week.csv", HEADER + "2026-11-07,Anna Schmidt,ACME,website,,,1,\n")
    assert ws.check().ok
    ws.input("week.csv", HEADER + "2026-11-07,Anna Schmidt,Nobody,website,,,1,\n")
    assert not ws.check().ok


@pytest.mark.parametrize("rows, held", [
    ("2026-11-03,Anna Schmidt,ACME,website,,a,1,\n", (frozenset(), False)),
    ("2026-11-03,Anna Schmidt,ACME,website,,a,zwei,\n", (frozenset({"acme"}), False)),
    ("2026-11-03,Anna Schmidt,ACME,website,,a,1,\n2026-11-03,Nobody,globex,app,,a,1,\n", (frozenset({"globex"}), False)),
    ("2026-11-03,Anna Schmidt,Globex Corp,app,,a,1,\n", (frozenset({"globex"}), False)),  # its likely client
    ("2026-11-03,Anna Schmidt,Zzyzx Ltd,app,,a,1,\n", (frozenset(), True)),  # could be anyone's
    (",Anna Schmidt,ACME,website,,a,1,\n", (frozenset({"acme"}), False)),
])
def test_errors_hold_back_their_clients(ws, rows, held):
    ws.input("week.csv", HEADER + rows)
    assert ws.check().held_back() == held


def test_an_unreadable_file_holds_back_everyone(ws):
    ws.input("week.csv", HEADER + "2026-11-03,Anna Schmidt,ACME,website,,a,1,\n")
    ws.input("broken.csv", b"\x00\x01binary")
    assert ws.check().held_back() == (frozenset(), True)


def test_near_repeat_in_another_file_alike_in_job_and_hours_or_in_words(ws):
    ws.input("a.csv", HEADER + "2026-11-03,Anna Schmidt,ACME,website,,Layout,1.5,\n"
                               "2026-11-04,Anna Schmidt,ACME,website,,Navigation,2,\n"
                               "2026-11-05,Anna Schmidt,ACME,website,,Fonts,1,\n")  # shares no entry: another source
    lines = lines_for(ws, "2026-11-03,Anna Schmidt,ACME,website,,Layout v2,1.5,\n"  # same job and hours
                          "2026-11-04,Anna Schmidt,ACME,website,,  navigation ,2.5,\n"  # same words
                          "2026-11-05,Ben Okafor,ACME,website,,Fonts,1,\n")  # someone else
    assert [line for line in lines if "near-repeat" in line or "looks like" in line] == [
        "input/week.csv:2: warning: looks like input/a.csv:2 edited (same person and day, same job and hours) — both "
        "are counted; if one file is an edited re-export of the other, remove the older one",
        "input/week.csv:3: warning: looks like input/a.csv:3 edited (same person and day, same words) — both are "
        "counted; if one file is an edited re-export of the other, remove the older one",
    ]


_RUN = os.getpid()


def _killed_in_a_worker(e, ctx):
    """A check that kills the worker it runs in (as the OOM killer would); in the run, finds nothing."""
    if os.getpid() != _RUN:
        os._exit(1)
    return []


def test_checks_run_on_every_core_find_what_they_find_here(tmp_path, monkeypatch):
    """A year's entries are checked by workers forked from the run, a check at a time: the same
    problems, in the same order, as checked here; a worker killed mid-check leaves its checks to
    the run."""
    from auftakt_batch import processes
    from auftakt_batch.check import checks as module

    ws = copy_demo(tmp_path)
    (ws / "input" / "odd.csv").write_text(
        "date,person,client,job,description,hours,start,end\n"
        "2026-11-03,Anna Schmidt,ACME,website,x,,09:00,11:00\n2026-11-03,Anna Schmidt,ACME,website,y,,10:00,12:00\n"
        "2026-11-07,Anna Schmidt,ACME,website,,2,,\n2026-11-04,Nobody,ACME,website,z,1,,\n"
        "2026-11-04,Anna Schmidt,Nope Corp,website,z,1,,\n2026-11-05,Anna Schmidt,ACME,website,long,17,,\n")
    pools: list = []
    monkeypatch.setattr(module, "forked_pool", lambda workers: pools.append(processes.forked_pool(workers)) or pools[-1])

    def problems(every_core: bool) -> list:
        monkeypatch.setattr(module, "PARALLEL_ROWS", 0 if every_core else 10**9)
        return list(pipeline.check(ws, parse_period("2026-11"), TODAY).problems)

    here = problems(False)
    codes = {p.code for p in here}
    assert not pools and {"overlap", "weekend", "unknown-person", "unknown-client", "long-entry",
                          "missing-days"} <= codes, codes  # the missing days too: a closure, checked in a worker
    assert problems(True) == here
    assert pools and None not in pools  # the workers were forked
    monkeypatch.setattr(pipeline, "CHECKS", [*module.CHECKS, _killed_in_a_worker])
    assert problems(True) == here


def test_the_contract_and_prices_worked_out_while_the_workers_check_are_what_they_are_alone(tmp_path, monkeypatch):
    """On a year's entries the run looks at the Entries contract and prices every entry while the checks'
    workers check (pipeline.py); a contract broken (a person missing) gives the same errors as looked at
    before the checks in one process (which prices nothing: billing prices what it bills), and billing
    takes the prices pricing gives the entries."""
    import multiprocessing

    from auftakt_batch import processes
    from auftakt_batch.check import checks
    from auftakt_batch.pricing import price
    from auftakt_batch.problems import Severity

    if not processes.forks():
        pytest.skip("forking is not safe here (not Linux, or another thread runs)")
    ws = copy_demo(tmp_path)
    real, workers = pipeline._contract, []

    def broken_and_beside(entries):
        workers.append(len(multiprocessing.active_children()))
        entries = entries.copy()
        entries.loc[entries.index[0], "person"] = None
        return real(entries)

    monkeypatch.setattr(pipeline, "_contract", broken_and_beside)
    said, priced = {}, {}
    for beside in (False, True):
        for module in (checks, pipeline):
            monkeypatch.setattr(module, "PARALLEL_ROWS", 0 if beside else 10**9)
        run = pipeline.check(ws, parse_period("2026-11"), TODAY)
        said[beside], priced[beside] = list(run.problems), pipeline.billable_now(run)
        unbilled = priced[beside].drop(columns=["rate", "billed_s"])
        pd.testing.assert_frame_equal(priced[beside], price(unbilled, run.loaded_config()))  # as pricing gives them
        assert run.prices.index.equals(run.entries.index) if beside else run.prices is None
    assert workers[0] == 0 and workers[1] > 0  # alone; then while the workers checked
    assert said[False] == said[True] and any(p.source.column == "person" and p.severity is Severity.ERROR
                                             for p in said[True])
    pd.testing.assert_frame_equal(priced[False], priced[True])


# ---- near repeats: each row's first row with its key, found as a groupby finds it

import numpy as np  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from auftakt_batch.check.checks import near_repeat  # noqa: E402
from auftakt_batch.names import normalised  # noqa: E402
from auftakt_batch.problems import Problem, Severity, Source  # noqa: E402

from .conftest import examples  # noqa: E402


def near_repeats_by_groupby(known: pd.DataFrame) -> list[Problem]:
    """near_repeat's problems as it found them with a groupby and a sort (its way until this session)."""
    known = known.assign(words=normalised(known["description"]))
    problems, seen = [], set()
    for key in (["person_name", "date", "client_key", "job_key", "duration_s", "start"],
                ["person_name", "date", "words"]):
        candidates = known[known["words"].ne("")] if "words" in key else known
        group = candidates.groupby(key, sort=False, dropna=False).ngroup().to_numpy()
        first = np.unique(group, return_index=True)[1][group]
        files, ids = candidates["source_file"].to_numpy(dtype=object), candidates["entry_id"].to_numpy(dtype=object)
        for i in np.flatnonzero((files != files[first]) & (ids != ids[first])):
            r, f = candidates.iloc[i], candidates.iloc[first[i]]
            if (r.source_file, r.source_row) not in seen:
                seen.add((r.source_file, r.source_row))
                problems.append(Problem(Source(r.source_file, int(r.source_row), None), "near-repeat",
                                        Severity.WARNING, f"{f.source_file}:{int(f.source_row)} {'words' in key}"))
    return problems


rows = st.lists(st.tuples(st.sampled_from(["a.csv", "b.csv", "c.csv"]), st.sampled_from(["anna", "ben"]),
                          st.integers(1, 3), st.sampled_from(["acme", None]), st.sampled_from(["web", "", None]),
                          st.sampled_from([3600, 5400]), st.sampled_from([None, 9, 10]),
                          st.sampled_from(["Layout", "layout ", "", "Call"]), st.integers(0, 3)), max_size=40)


@settings(max_examples=examples(50), deadline=None)
@given(rows)
def test_near_repeats_are_the_rows_a_groupby_finds(rows):
    frame = pd.DataFrame({
        "source_file": [r[0] for r in rows], "source_row": list(range(2, len(rows) + 2)),
        "person_name": pd.array([r[1] for r in rows], dtype="str"),
        "date": pd.to_datetime([f"2026-11-0{r[2]}" for r in rows]).astype("datetime64[us]"),
        "client_key": pd.array([r[3] for r in rows], dtype="str"), "job_key": pd.array([r[4] for r in rows], dtype="str"),
        "duration_s": pd.array([r[5] for r in rows], dtype="Int64"),
        "start": pd.Series([pd.NaT if r[6] is None else pd.Timestamp(f"2026-11-0{r[2]} {r[6]}:00", tz="UTC")
                            for r in rows], dtype="datetime64[us, UTC]"),
        "description": pd.array([r[7] for r in rows], dtype="str"),
        "entry_id": [f"id{r[8]}" for r in rows],
    })
    found = [(p.source.file, p.source.row, p.message.split(" ")[2]) for p in near_repeat(frame, None)]
    expected = [(p.source.file, p.source.row, p.message.split(" ")[0]) for p in near_repeats_by_groupby(frame)]
    assert found == expected


def test_overlaps_do_not_hang_on_the_order_of_the_rows():
    """Two people's entries at one file and row (nothing the pipeline makes, but a frame may hold them):
    what is told is the same in any order of the rows, the people taken in the order of their names."""
    from auftakt_batch.check.checks import overlapping

    at = [("Ben Okafor", "09:00", "11:00", 2), ("Ben Okafor", "10:00", "12:00", 4),
          ("Anna Schmidt", "09:00", "11:00", 2), ("Anna Schmidt", "10:00", "12:00", 3)]
    e = pd.DataFrame({"person_name": pd.array([p for p, *_ in at], dtype="str"),
                      "start": pd.to_datetime([f"2026-11-03 {s}" for _, s, _, _ in at]).tz_localize("UTC"),
                      "end": pd.to_datetime([f"2026-11-03 {x}" for _, _, x, _ in at]).tz_localize("UTC"),
                      "date": pd.to_datetime(["2026-11-03"] * len(at)),
                      "source_file": pd.array(["input/a.csv"] * len(at), dtype="str"),
                      "source_row": [row for *_, row in at]})
    told = [str(p) for p in overlapping(e, None)]
    assert told == [str(p) for p in overlapping(e.iloc[::-1].reset_index(drop=True), None)]
    assert told == [
        "input/a.csv:2:start: warning: Anna Schmidt's entries on 2026-11-03 overlap (rows 2, 3) — fine if they "
        "really did two things at once",
        "input/a.csv:4:start: warning: Ben Okafor's entries on 2026-11-03 overlap — fine if they really did two "
        "things at once"]
