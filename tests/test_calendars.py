"""Calendar exports read as occurrences of a period: recurrences, moves, exclusions, zones."""

import json
import os
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auftakt_batch.calendars.meetings import covered
from auftakt_batch.calendars.read import CalendarError, read_calendar
from auftakt_batch.periods import parse_period

from .conftest import ROOT, SAMPLES, TODAY, Workspace, examples, problem_lines

ICS = SAMPLES / "ics"
needs_samples = pytest.mark.skipif(not ICS.is_dir(), reason="../shared/samples is not present")


def read(path: Path, period: str, zone: str = "Europe/Berlin"):
    return read_calendar(path, path.name, parse_period(period), zone)


def write(tmp_path, body: str) -> Path:
    path = tmp_path / "cal.ics"
    path.write_text("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:test\r\n" + body + "END:VCALENDAR\r\n")
    return path


@needs_samples
def test_google_calendar_across_the_clocks_going_forward():
    cal = read(ICS / "google" / "daylight_saving_time.ics", "2019-03-18..2019-04-14")
    assert cal.name == "machBar - Öffentlich" and len(cal.events) == 25
    chaos = cal.events[cal.events["summary"] == "Chaostreff - CCCP"]
    # 19:00 in Berlin every Wednesday: 18:00 UTC before the clocks go forward on 31 March, 17:00 after
    assert [f"{s:%m-%d %H:%M}" for s in chaos["start"]] == ["03-20 18:00", "03-27 18:00", "04-03 17:00",
                                                            "04-10 17:00"]
    ok_lab = cal.events[cal.events["summary"] == "OK Lab"]  # fortnightly
    assert [f"{s:%m-%d %H:%M}" for s in ok_lab["start"]] == ["03-19 18:00", "04-02 17:00"]


@needs_samples
def test_google_moved_occurrence_and_all_day_series():
    cal = read(ICS / "google" / "issue_62_moved_event_2.ics", "2023-08", "Australia/Sydney")
    timed = cal.events[~cal.events["all_day"]]
    assert [f"{s:%Y-%m-%d %H:%M}" for s in timed["start"]] == ["2023-08-08 04:00", "2023-08-14 04:00",
                                                              "2023-08-22 04:00"]
    assert [str(d) for d in cal.events.loc[cal.events["all_day"], "first_day"]] == [
        "2023-08-10", "2023-08-16", "2023-08-24"]


@needs_samples
def test_exchange_windows_zone_moved_occurrences_and_all_day():
    cal = read(ICS / "outlook_exchange" / "issue_28_rrule_with_UTC_endinginZ.ics", "2020-04", "Europe/London")
    assert cal.name == "Calendar"
    assert [(e.summary, str(e.first_day)) for e in cal.events.itertuples()] == [
        ("Refuse black bin", "2020-04-02"), ("Blue Recycle bin", "2020-04-09"),
        ("Refuse black bin", "2020-04-17"),  # moved from the 16th (RECURRENCE-ID)
        ("Blue Recycle bin", "2020-04-23"), ("Refuse black bin", "2020-04-30")]


@needs_samples
def test_exchange_cdo_rule_with_spaces_is_mended():
    cal = read(ICS / "outlook_exchange" / "issue_165_missing_event.ics", "2015-07")
    days = [s.day for s in cal.events["start"]]
    assert days == [3, 6, 7, 8, 9, 10, 13, 14, 15, 16, 17, 20, 21, 22]  # weekdays until 22 July
    assert {f"{s:%H:%M}" for s in cal.events["start"]} == {"08:00"}  # 10:00 at GMT+2


@needs_samples
def test_google_weekday_series_in_zurich():
    cal = read(ICS / "google" / "x_location.ics", "2016-10-24..2016-11-06", "Europe/Zurich")
    assert [f"{s:%m-%d %H:%M}" for s in cal.events["start"]] == [
        "10-28 12:00", "10-31 13:00", "11-01 13:00", "11-02 13:00", "11-03 13:00", "11-04 13:00"]


def test_windows_zone_names_exdate_folding_and_status(tmp_path):
    cal = read(write(tmp_path, (
        "X-WR-CALNAME:Anna Schmidt\r\nBEGIN:VEVENT\r\nUID:w1\r\nSUMMARY:ACME weekly\r\n"
        "DTSTART;TZID=W. Europe Standard Time:20261026T100000\r\nDTEND;TZID=W. Europe Standard Time:20261026T110000\r\n"
        "RRULE:FREQ=WEEKLY;COUNT=3\r\nEXDATE;TZID=W. Europe Standard Time:20261102T100000\r\n"
        "ATTENDEE;PARTSTAT=ACCEPTED:mailto:Bob@ACME.example\r\nORGANIZER:mailto:anna@studio.example\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:w2\r\nSUMMARY:Kickoff with a title that Outlook folds over more than seventy-five oc\r\n"
        " tets\r\nDTSTART;TZID=W. Europe Standard Time:20261104T140000\r\n"
        "DTEND;TZID=W. Europe Standard Time:20261104T153000\r\nSTATUS:CANCELLED\r\nEND:VEVENT\r\n")),
        "2026-10-01..2026-11-30")
    assert cal.name == "Anna Schmidt"
    assert [(e.uid, f"{e.start:%m-%d %H:%M}", e.status) for e in cal.events.itertuples()] == [
        ("w1", "10-26 09:00", "CONFIRMED"), ("w2", "11-04 13:00", "CANCELLED"), ("w1", "11-09 09:00", "CONFIRMED")]
    assert cal.events["summary"][1].endswith("seventy-five octets")
    assert cal.events["attendees"][0] == (("bob@acme.example", "ACCEPTED"),)


def test_a_hostile_recurrence_is_refused(tmp_path):
    """Refused by its count of occurrences or by the expansion's deadline (MAX_SECONDS), whichever
    comes first; how fast is the benchmark's and the fuzzer's to watch, not a timed unit test."""
    for rule in ("FREQ=SECONDLY", "FREQ=MINUTELY;INTERVAL=1", "FREQ=HOURLY;BYMINUTE=0,5,10,15,20,25,30,35,40,45,50,55"):
        with pytest.raises(CalendarError, match="cal.ics: .*(recurs (secondly|minutely)|dense).*the file is not read"):
            read(write(tmp_path, "BEGIN:VEVENT\r\nUID:x\r\nSUMMARY:bomb\r\nDTSTART:20261101T000000Z\r\n"
                                 f"DTEND:20261101T000001Z\r\nRRULE:{rule}\r\nEND:VEVENT\r\n"), "2026-11")


def test_a_leave_of_three_years_is_read_at_once(tmp_path):  # found by bench/fuzz: it took seconds per year
    path = write(tmp_path, "BEGIN:VEVENT\r\nUID:p1\r\nSUMMARY:Elternzeit\r\nDTSTART;VALUE=DATE:20260101\r\n"
                           "DTEND;VALUE=DATE:20290101\r\nEND:VEVENT\r\n")
    cal = read(path, "2026-11")  # within the expansion's deadline, or this would be refused
    assert cal.events[["summary", "all_day"]].values.tolist() == [["Elternzeit", True]]


def test_not_a_calendar(tmp_path):
    path = tmp_path / "cal.ics"
    path.write_text("date,person\n")
    with pytest.raises(CalendarError, match="not a calendar"):
        read(path, "2026-11")


@needs_samples
def test_google_excluded_dates_are_left_out():
    cal = read(ICS / "google" / "daylight_saving_time.ics", "2019-03-01..2019-03-15")
    school = cal.events[cal.events["summary"] == "Montessori Schulklasse"]
    # weekly on Thursday and Friday from 28 Feb, but not 7 and 8 March (EXDATE)
    assert [f"{s:%m-%d}" for s in school["start"]] == ["03-01", "03-14", "03-15"]


def calendar_config(extra: str = ""):
    from auftakt_batch.config import parse_config

    from .conftest import RATES, dedent

    text = dedent(RATES).replace(
        '    aliases: ["ACME", "Acme Corp."]\n',
        '    aliases: ["ACME", "Acme Corp."]\n    calendar: {domains: [acme.example], keywords: ["ACME"], '
        'bill_meetings: true, job: website}\n').replace(
        "    name: Globex Corporation\n",
        "    name: Globex Corporation\n    calendar: {domains: [globex.example], keywords: [Globex]}\n") + extra
    config, problems = parse_config(text)
    assert problems == [], problems
    return config


def test_a_calendar_belongs_to_whom_its_name_file_or_rates_yaml_says():
    from auftakt_batch.calendars.match import owner_of, unowned_message

    config = calendar_config("calendars:\n  work.ics: {owner: Ben Okafor}\n")
    assert owner_of("input/calendars/anna@studio.example.ics", None, config) == "Anna Schmidt"
    assert owner_of("input/anna-schmidt.ics", None, config) == "Anna Schmidt"
    assert owner_of("input/anna.ics", None, config) == "Anna Schmidt"  # her mailbox
    assert owner_of("input/export.ics", "A. Schmidt", config) == "Anna Schmidt"
    assert owner_of("input/work.ics", "Calendar", config) == "Ben Okafor"
    assert owner_of("input/export.ics", "Calendar", config) is None
    assert unowned_message("input/export.ics", "Calendar", config) == (
        "whose calendar is this? its name 'Calendar' and the file name match no one in the team — name the file "
        "after its owner (e.g. anna.ics), or add `calendars: {export.ics: {owner: NAME}}` to rates.yaml")
    from auftakt_batch.config import parse_config

    from .conftest import RATES, dedent
    _, problems = parse_config(dedent(RATES) + "calendars:\n  work.ics: {owner: Bert}\n")
    assert [str(p) for p in problems][0].startswith("rates.yaml:")
    assert "calendars.work.ics.owner: 'Bert' is not in the team" in str(problems[0])


def test_which_client_an_event_is_for():
    import pandas as pd

    from auftakt_batch.calendars.match import clients_of

    events = pd.DataFrame({
        "summary": ["Weekly sync", "ACME kickoff", "Review [globex]", "Lunch", "ACME and Globex workshop",
                    "[acme] call with globex.example"],
        "attendees": [(("bob@mail.acme.example", "ACCEPTED"),), (), (("bob@acme.example", ""),), (), (), ()],
        "organizer": ["anna@studio.example", "", "", "friend@gmail.com", "", "x@globex.example"],
    })
    assert clients_of(events, calendar_config()).tolist() == [
        ("acme",), ("acme",), ("globex",), (), ("acme", "globex"), ("acme",)]


def calendar_ws(ws, extra: str = ""):
    ws.edit_rates('    aliases: ["ACME", "Acme Corp."]\n',
                  '    aliases: ["ACME", "Acme Corp."]\n    calendar: {domains: [acme.example], bill_meetings: true, '
                  'job: website}\n')
    ws.edit_rates("    name: Globex Corporation\n",
                  "    name: Globex Corporation\n    calendar: {domains: [globex.example], keywords: [Globex]}\n")
    ws.rates((ws.root / "rates.yaml").read_text() + extra)
    return ws


def event(uid: str, summary: str, day: int, start: str, end: str, attendee: str = "", status: str = "") -> str:
    return (f"BEGIN:VEVENT\r\nUID:{uid}\r\nSUMMARY:{summary}\r\nDTSTART;TZID=Europe/Berlin:202611{day:02d}T{start}00\r\n"
            f"DTEND;TZID=Europe/Berlin:202611{day:02d}T{end}00\r\n"
            + (f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{attendee}\r\n" if attendee else "")
            + (f"STATUS:{status}\r\n" if status else "") + "END:VEVENT\r\n")


def calendar_file(ws, name: str, *events: str, calname: str = "") -> None:
    ws.input(name, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:test\r\n"
             + (f"X-WR-CALNAME:{calname}\r\n" if calname else "") + "".join(events) + "END:VCALENDAR\r\n")


TIMED = "date,person,client,job,description,hours,start,end\n"


def test_meetings_billed_from_a_calendar_count_once_and_untracked_ones_are_reported(ws):
    calendar_ws(ws)
    calendar_file(ws, "anna.ics",
                  event("a1", "ACME weekly", 3, "1000", "1100", "bob@acme.example"),  # nobody tracked it: billed
                  event("a2", "ACME review", 4, "1000", "1130", "bob@acme.example"),  # tracked below: counted once
                  event("g1", "Globex sync", 5, "1400", "1500"),  # globex does not bill meetings: untracked
                  event("c1", "ACME cancelled", 6, "0900", "1000", "bob@acme.example", "CANCELLED"),
                  event("x1", "Dentist", 6, "1100", "1200"))
    ws.input("week.csv", TIMED + "2026-11-04,Anna Schmidt,ACME,website,Review,,10:00,11:30\n")
    run = ws.check()
    meetings = run.entries[run.entries["source_format"] == "calendar"]
    assert [(m.description, m.client_key, m.job_key, m.duration_s) for m in meetings.itertuples()] == [
        ("ACME weekly", "acme", "website", 3600)]
    assert run.entries["duration_s"].sum() == 3600 + 5400
    assert [p for p in problem_lines(run) if "meeting" in p] == [
        "input/anna.ics: warning: 1 meeting with globex (1:00 h) that no timesheet entry of Anna Schmidt covers: "
        "'Globex sync' 2026-11-05 (1:00) — time that is probably not billed"]
    assert run.untracked["summary"].tolist() == ["Globex sync"]
    result = ws.cli("check", "--period", "2026-11")
    assert ("Calendars 1 calendar · 1 meeting billed as time (1.00 h) · 1 meeting nobody logged (1.00 h) · "
            "0 person-days away") in result.output
    doc = json.loads(ws.cli("check", "--period", "2026-11", "--json").output)
    assert doc["calendars"] == ["input/anna.ics"]
    assert doc["untracked_meetings"] == [{"person": "Anna Schmidt", "client": "globex", "date": "2026-11-05",
                                          "summary": "Globex sync", "hours": 1.0, "file": "input/anna.ics"}]


def test_a_check_of_months_past_counts_the_same_meetings_and_skips_untracked_time(ws):
    """check_before reads only the meetings of clients that bill them: it counts the same entries as a
    full check of those days (a billed meeting, one covered by a logged entry), and no untracked time."""
    from auftakt_batch import pipeline

    from .conftest import TODAY

    calendar_ws(ws)
    october = [event(uid, summary, day, start, end, guest).replace("202611", "202610") for uid, summary, day, start, end,
               guest in [("a1", "ACME weekly", 8, "1000", "1100", "bob@acme.example"),  # billed as time
                         ("a2", "ACME review", 7, "1000", "1130", "bob@acme.example"),  # logged below: once
                         ("g1", "Globex sync", 9, "1400", "1500", "")]]  # untracked, of a client that does not bill
    calendar_file(ws, "anna.ics", *october, event("a3", "ACME weekly", 3, "1000", "1100", "bob@acme.example"))
    ws.input("week.csv", TIMED + "2026-10-07,Anna Schmidt,ACME,website,Review,,10:00,11:30\n"
                                 "2026-11-04,Anna Schmidt,ACME,website,Build,,10:00,12:00\n")
    run = ws.check()
    history = pipeline.check_before(run, TODAY)
    full = pipeline.check(ws.root, run.period.before(run.earliest), TODAY)
    pd.testing.assert_frame_equal(history.entries, full.entries)
    assert sorted(history.entries["description"]) == ["ACME weekly", "Review"]
    assert full.untracked["summary"].tolist() == ["Globex sync"] and history.untracked.empty


def test_a_check_keeps_its_calendars_for_the_months_before_too(ws, monkeypatch):
    """A calendar a check parses is listed from the first day the inputs hold to the period's end,
    and kept so: the report's check of the months before reads it from there (nothing parsed) and
    counts what it counts with no calendar kept at all."""
    import icalendar

    from auftakt_batch import pipeline

    from .conftest import TODAY

    calendar_ws(ws)
    october = [event("a1", "ACME weekly", 8, "1000", "1100", "bob@acme.example").replace("202611", "202610"),
               event("a2", "ACME review", 7, "1000", "1130", "bob@acme.example").replace("202611", "202610")]
    calendar_file(ws, "anna.ics", *october, event("a3", "ACME weekly", 3, "1000", "1100", "bob@acme.example"))
    ws.input("week.csv", TIMED + "2026-10-07,Anna Schmidt,ACME,website,Review,,10:00,11:30\n"
                                 "2026-11-04,Anna Schmidt,ACME,website,Build,,10:00,12:00\n")
    (ws.root / "output").mkdir(exist_ok=True)  # a run keeps nothing where output/ is not a folder
    run = ws.check()
    folder = ws.root / "output" / ".cache" / "calendars"
    assert [p.name.split(".", 1)[1] for p in folder.glob("*.json")] == [
        "2026-10-07.2026-11-30.json"]  # the stretch (less than twice the period: November has no entry of its own)

    def refused(*args, **kwargs):
        raise AssertionError("parsed again")

    with monkeypatch.context() as patched:
        patched.setattr(icalendar.Calendar, "from_ical", refused)
        history = pipeline.check_before(run, TODAY)
    for entry in folder.glob("*.json"):
        entry.unlink()
    again = pipeline.check_before(ws.check(), TODAY)  # nothing kept: parsed
    pd.testing.assert_frame_equal(history.entries, again.entries)
    assert sorted(history.entries["description"]) == ["ACME weekly", "Review"]


def test_a_calendar_too_dense_to_list_since_the_first_day_is_kept_for_its_period(ws, monkeypatch):
    """Listed from the first day the inputs hold, a calendar may be more than MAX_OCCURRENCES for
    each period's length of that stretch where the period alone is not: it is then read and kept
    for the period, as it would have been, not refused."""
    from auftakt_batch.calendars import read as reading

    calendar_ws(ws)
    monkeypatch.setattr(reading, "MAX_OCCURRENCES", 5)
    busy = [event(f"o{day}", "ACME daily", day, "0900", "0915", "bob@acme.example").replace("202611", "202610")
            for day in range(1, 29)]
    calendar_file(ws, "anna.ics", *busy, event("n1", "ACME weekly", 3, "1000", "1100", "bob@acme.example"))
    ws.input("week.csv", TIMED + "2026-10-07,Anna Schmidt,ACME,website,Review,,10:00,11:30\n")
    (ws.root / "output").mkdir(exist_ok=True)
    run = ws.check()
    assert not [p for p in run.problems if p.code == "bad-calendar"]
    assert run.entries.loc[run.entries["source_format"] == "calendar", "description"].tolist() == ["ACME weekly"]
    folder = ws.root / "output" / ".cache" / "calendars"
    assert [p.name.split(".", 1)[1] for p in folder.glob("*.json")] == ["2026-11-01.2026-11-30.json"]


def test_a_calendar_nobody_owns_stops_billing_when_meetings_are_billed(ws):
    calendar_ws(ws)
    calendar_file(ws, "export.ics", event("a1", "ACME weekly", 3, "1000", "1100", "bob@acme.example"),
                  calname="Calendar")
    run = ws.check()
    assert problem_lines(run) == [
        "input/export.ics: error: whose calendar is this? its name 'Calendar' and the file name match no one in the "
        "team — name the file after its owner (e.g. anna.ics), or add `calendars: {export.ics: {owner: NAME}}` to "
        "rates.yaml"]
    assert run.held_back() == (frozenset(), True)


def test_an_event_two_clients_claim_is_reported_not_guessed(ws):
    calendar_ws(ws)
    calendar_file(ws, "anna.ics", event("a1", "Globex intro for ACME", 3, "1000", "1100", "bob@acme.example"))
    run = ws.check()
    assert problem_lines(run) == [
        "input/anna.ics: warning: 'Globex intro for ACME' on 2026-11-03 10:00 matches clients acme and globex — not "
        "counted for either; put [client-key] in its title"]
    assert len(run.entries) == 0


def test_declined_meetings_and_absences(ws):
    calendar_ws(ws)
    ws.input("anna.ics", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:test\r\n"
             "BEGIN:VEVENT\r\nUID:d1\r\nSUMMARY:ACME board\r\nDTSTART:20261103T090000Z\r\nDTEND:20261103T100000Z\r\n"
             "ATTENDEE;PARTSTAT=DECLINED:mailto:anna@studio.example\r\nATTENDEE:mailto:bob@acme.example\r\n"
             "END:VEVENT\r\nBEGIN:VEVENT\r\nUID:v1\r\nSUMMARY:Urlaub\r\nDTSTART;VALUE=DATE:20261109\r\n"
             "DTEND;VALUE=DATE:20261111\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    run = ws.check()
    assert len(run.entries) == 0 and run.ok
    assert [f"{d:%Y-%m-%d}" for d in run.absences["date"]] == ["2026-11-09", "2026-11-10"]


def test_missing_days_skip_weekends_public_holidays_absences_and_the_future(ws):
    ws.edit_rates("    role: designer\n", "    role: designer\n    hours_per_week: 40\n")
    header = "date,person,client,job,task,description,hours,billable\n"
    logged = {4: 8, 5: 8, 6: 4, 7: 8, 8: 2}  # half a day is enough; May 2026: the 1st is Labour Day, the 14th Ascension
    ws.input("may.csv", header + "".join(f"2026-05-{d:02d},Anna Schmidt,ACME,website,,x,{h},\n"
                                         for d, h in logged.items()))
    ws.input("anna.ics", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:test\r\nBEGIN:VEVENT\r\nUID:v\r\n"
             "SUMMARY:Urlaub\r\nDTSTART;VALUE=DATE:20260511\r\nDTEND;VALUE=DATE:20260514\r\nEND:VEVENT\r\n"
             "END:VCALENDAR\r\n")
    from datetime import date

    run = ws.check("2026-05", today=date(2026, 5, 15))
    assert [p for p in problem_lines(run) if "working day" in p] == [
        "team: Anna Schmidt: warning: 2 working days with little or no time logged (capacity 8:00 a day): "
        "2026-05-08 (2:00), 2026-05-15 (0:00) — time not tracked yet?"]


def test_a_billed_meeting_is_on_the_invoice_once(ws):
    from auftakt_batch.billing import bill
    from auftakt_batch.periods import parse_period

    from .conftest import TODAY

    calendar_ws(ws).with_templates()
    calendar_file(ws, "anna.ics", event("a1", "ACME weekly", 3, "1000", "1130", "bob@acme.example"))
    first = bill(ws.root, parse_period("2026-11"), today=TODAY)
    assert [(i.client_key, str(i.hours)) for i in first.issued] == [("acme", "1.5")]
    assert bill(ws.root, parse_period("2026-11"), today=TODAY).issued == ()


def test_a_meeting_billed_from_the_calendar_and_logged_later_is_not_billed_twice(ws):
    from auftakt_batch.billing import bill
    from auftakt_batch.periods import parse_period

    from .conftest import TODAY

    calendar_ws(ws).with_templates()
    calendar_file(ws, "anna.ics", event("a1", "ACME weekly", 3, "1000", "1130", "bob@acme.example"))
    bill(ws.root, parse_period("2026-11"), today=TODAY)  # the meeting is on 2026-0001
    ws.input("week.csv", TIMED + "2026-11-03,Anna Schmidt,ACME,website,Weekly,,10:05,11:30\n")  # logged afterwards
    again = bill(ws.root, parse_period("2026-11"), today=TODAY)
    assert again.issued == () and again.skipped == (("acme", "held back by errors (listed above)"),)
    assert [p for p in problem_lines(again.check) if "error" in p] == [
        "input/week.csv:2:start: error: overlaps the meeting 'ACME weekly' already billed from the calendar on invoice "
        "2026-0001 — delete this entry, or void the invoice and bill again"]


ZONE = "Europe/Berlin"
SPANS = st.tuples(st.sampled_from(["Anna", "Ben"]), st.integers(0, 6 * 24 * 4),  # start: a quarter of the week
                  st.integers(1, 3 * 24 * 4))  # up to three days long


def _spans(rows, person_column: str) -> pd.DataFrame:
    start = pd.Timestamp("2026-10-24", tz=ZONE) + pd.to_timedelta([15 * q for _, q, _ in rows], unit="min")
    end = start + pd.to_timedelta([15 * n for _, _, n in rows], unit="min")
    return pd.DataFrame({person_column: [p for p, _, _ in rows], "client_key": "acme",
                         "start": start.tz_convert("UTC"), "end": end.tz_convert("UTC"),
                         "date": start.tz_localize(None).normalize()})


@settings(max_examples=examples(300), deadline=None)
@given(st.lists(SPANS, min_size=1, max_size=8), st.lists(SPANS, max_size=12))
def test_a_meeting_is_covered_exactly_when_an_entry_of_its_owner_overlaps_it(meetings, entries):
    """Across midnight, across the clocks going back (2026-10-25), entries and meetings of days:
    the same answer as comparing every meeting with every entry."""
    m, e = _spans(meetings, "person"), _spans(entries, "person_name")
    expected = [any(p == q and a < f and s < b for q, a, b in zip(e["person_name"], e["start"], e["end"]))
                for p, s, f in zip(m["person"], m["start"], m["end"])]
    assert covered(m, e).tolist() == expected


def all_day(summary: str, day: int, description: str = "", categories: str = "") -> str:
    return (f"BEGIN:VEVENT\r\nUID:{summary}-{day}\r\nSUMMARY:{summary}\r\nDTSTART;VALUE=DATE:202611{day:02d}\r\n"
            f"DTEND;VALUE=DATE:202611{day + 1:02d}\r\n" + (f"DESCRIPTION:{description}\r\n" if description else "")
            + (f"CATEGORIES:{categories}\r\n" if categories else "") + "END:VEVENT\r\n")


GOOGLE_HOLIDAYS = (  # as Google's "Holidays in Germany" describes its events
    all_day("St. Martin's Day", 11, "Observance\\nTo hide observances\\, go to Google Calendar Settings > Holidays "
                                    "in Germany"),
    all_day("Repentance Day (Saxony)", 18, "Public holiday in Saxony"),
    all_day("Bank Holiday Eve", 24, "Not a public holiday"),
    all_day("Founders' Day", 26, "Public holiday"),
)


def away(run) -> list[tuple[str, str]]:
    return sorted((p, f"{d:%Y-%m-%d}") for p, d in zip(run.absences["person"], run.absences["date"]))


def test_a_holiday_calendar_s_observances_are_no_days_off_and_its_holidays_are_everyone_s(ws):
    calendar_file(ws, "holidays.ics", *GOOGLE_HOLIDAYS, calname="Holidays in Germany")
    run = ws.check()
    assert away(run) == [("Anna Schmidt", "2026-11-26"), ("Ben Okafor", "2026-11-26")]
    assert problem_lines(run) == [
        "input/holidays.ics: note: a public-holiday calendar: its holidays are days off for the whole team"]


def test_a_holiday_calendar_is_known_by_its_words_and_may_be_one_person_s(ws):
    ws.rates((ws.root / "rates.yaml").read_text() + "calendars:\n  feed.ics: {owner: Ben Okafor}\n")
    calendar_file(ws, "feed.ics", *GOOGLE_HOLIDAYS)  # no calendar name: Google's descriptions say what it is
    run = ws.check()
    assert away(run) == [("Ben Okafor", "2026-11-26")] and run.ok and problem_lines(run) == []


def test_a_feed_without_google_s_words_is_all_days_off(ws):
    calendar_file(ws, "outlook-feiertage.ics", all_day("Tag der Deutschen Einheit", 3, categories="Holiday"),
                  all_day("Founders' Day", 26, categories="Holiday"))
    assert away(ws.check()) == [(p, f"2026-11-{d:02d}") for p in ("Anna Schmidt", "Ben Okafor") for d in (3, 26)]


def test_in_someone_s_calendar_an_all_day_event_is_away_only_if_its_title_says_so(ws):
    calendar_file(ws, "anna.ics", all_day("Team offsite", 2), all_day("Cleanup week", 3), all_day("OOO", 4),
                  all_day("Annual leave", 5), all_day("Krankmeldung", 6), all_day("Holiday", 9),
                  all_day("Christmas market", 10, "Not a public holiday"), all_day("Founders' Day", 12, "Public holiday"))
    assert [d for _, d in away(ws.check())] == ["2026-11-04", "2026-11-05", "2026-11-06", "2026-11-09", "2026-11-12"]


def test_holidays_of_the_agency_s_region_and_of_a_person_s_own(ws):
    ws.edit_rates('  vat_rate: "19"\n', '  vat_rate: "19"\n  region: BY\n')
    ws.edit_rates("    role: designer\n", "    role: designer\n    hours_per_week: 40\n")
    ws.edit_rates("    role: developer\n", "    role: developer\n    hours_per_week: 40\n    region: Berlin\n")
    header = "date,person,client,job,task,description,hours,billable\n"
    ws.input("june.csv", header + "".join(f"2026-06-{d:02d},{p},ACME,website,,x,8,\n"
                                          for d in (1, 2, 3, 5) for p in ("Anna Schmidt", "Ben Okafor")))
    from datetime import date

    run = ws.check("2026-06-01..2026-06-05", today=date(2026, 6, 5))
    # Corpus Christi (4 June 2026) is a holiday in Bavaria, not in Berlin
    assert [p for p in problem_lines(run) if "working day" in p] == [
        "team: Ben Okafor: warning: 1 working day with little or no time logged (capacity 8:00 a day): "
        "2026-06-04 (0:00) — time not tracked yet?"]


def test_a_deadline_raised_where_it_is_swallowed_is_raised_again():
    """A garbage collector's callback swallows an exception raised inside it (pytest saw the
    deadline's raise end so once): the deadline then raises again, it does not let the block run on."""
    import time

    from auftakt_batch.calendars.read import _deadline

    swallowed = []
    with pytest.raises(CalendarError, match="too long"):
        with _deadline(0.01, CalendarError("too long")):
            try:
                time.sleep(5)  # the first raise lands here ...
            except CalendarError as exc:
                swallowed.append(exc)  # ... and is swallowed, as a gc callback would
            time.sleep(5)  # the second one ends the block
    assert len(swallowed) == 1


def test_a_deadline_that_cuts_its_own_exit_short_never_fires_after_the_block():
    """The repeated alarm once landed inside contextlib's __exit__, before the timer was stopped:
    the generator's cleanup never ran, and the alarm went on raising in whatever ran next (a fresh
    clone's CI saw it in pandas and in pytest itself). An alarm outside the block now stops the timer."""
    import signal
    import time

    from auftakt_batch.calendars.read import _deadline

    def entered_and_left_without_its_exit():
        block = _deadline(0.01, CalendarError("too long"))
        block.__enter__()
        return block  # kept alive, its cleanup never run: as when an alarm cut __exit__ short

    kept = entered_and_left_without_its_exit()
    try:
        time.sleep(0.3)  # the first alarm and two REPEATs fall here, outside the block: nothing is raised
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        del kept


def _calendar_files() -> list[Path]:
    """The demo's calendars, and the real exports of ../shared/samples where they are present."""
    return sorted((ROOT / "input").rglob("*.ics")) + (sorted(ICS.rglob("*.ics")) if ICS.is_dir() else [])


@pytest.mark.parametrize("period", ["2026-11", "2026-02-01..2026-10-31",
                                    pytest.param("2019", marks=needs_samples)])  # the samples' years
def test_a_calendar_kept_reads_as_it_parses(tmp_path, monkeypatch, period):
    """What a calendar holds for a period is kept: read again, it is the same frame, name and feed
    (every value of the type a parse gives), and nothing is parsed; what cannot be read is not kept."""
    import icalendar

    keep = tmp_path / "kept"
    parsed = {}
    for path in _calendar_files():
        try:
            parsed[path] = read_calendar(path, path.name, parse_period(period), "Europe/Berlin", keep)
        except CalendarError as exc:
            parsed[path] = str(exc)
    assert any(not isinstance(c, str) and len(c.events) for c in parsed.values())
    kept_before = len(list(keep.glob("*.json")))
    assert kept_before == sum(not isinstance(c, str) for c in parsed.values())

    def refused(*args, **kwargs):
        raise AssertionError("parsed again")

    monkeypatch.setattr(icalendar.Calendar, "from_ical", refused)
    for path, first in parsed.items():
        if isinstance(first, str):
            continue
        again = read_calendar(path, path.name, parse_period(period), "Europe/Berlin", keep)
        assert (again.file, again.name, again.holidays) == (first.file, first.name, first.holidays)
        pd.testing.assert_frame_equal(again.events, first.events)
        assert [tuple(r) for r in again.events.itertuples(index=False)] == \
            [tuple(r) for r in first.events.itertuples(index=False)]


@pytest.mark.parametrize("wide, periods", [
    ("2026", ["2026-11", "2026-02-01..2026-10-31", "2026-01-01..2026-01-01", "2026-12-31..2026-12-31", "2026-03-29..2026-03-29", "2026-W44"]),
    pytest.param("2019", ["2019-03", "2019-10-27..2019-10-27", "2019-12", "2019-Q2"], marks=needs_samples)])
def test_a_period_within_a_kept_one_reads_as_it_parses(tmp_path, monkeypatch, wide, periods):
    """What was kept for a period serves any period within it (a check of the year, each month's;
    the days about the turn of the clocks and of the year included): the same frame as a parse of
    that period alone gives, nothing parsed. What it took is kept for that period on its own where
    the kept one is more than twice as long, and read from there the next time (the year's entry
    gone, still nothing parsed). A period reaching outside it is parsed and kept anew."""
    import icalendar

    keep = tmp_path / "kept"
    alone = {}
    for path in _calendar_files():
        try:
            read_calendar(path, path.name, parse_period(wide), "Europe/Berlin", keep)
        except CalendarError:
            continue
        alone[path] = {p: read_calendar(path, path.name, parse_period(p), "Europe/Berlin") for p in periods}
    assert any(len(c.events) for by_period in alone.values() for c in by_period.values())
    kept_wide = sorted(keep.glob("*.json"))
    assert len(kept_wide) == len(alone)

    def refused(*args, **kwargs):
        raise AssertionError("parsed again")

    own = [p for p in periods if parse_period(wide).days > 2 * parse_period(p).days]  # kept on their own too
    assert own
    with monkeypatch.context() as patched:
        patched.setattr(icalendar.Calendar, "from_ical", refused)
        for from_wide in (True, False):  # first from the year's entry, then from each period's own
            for path, by_period in alone.items():
                for period, first in by_period.items():
                    if not from_wide and period not in own:
                        continue
                    again = read_calendar(path, path.name, parse_period(period), "Europe/Berlin", keep)
                    assert (again.name, again.holidays) == (first.name, first.holidays)
                    pd.testing.assert_frame_equal(again.events, first.events)
                    assert [tuple(r) for r in again.events.itertuples(index=False)] == \
                        [tuple(r) for r in first.events.itertuples(index=False)]
            assert len(list(keep.glob("*.json"))) == len(alone) * len(own) + (len(kept_wide) if from_wide else 0)
            for entry in kept_wide:
                entry.unlink(missing_ok=True)  # gone: the second round can read only each period's own entry
    path = next(iter(alone))
    kept_wide = sorted(keep.glob("*.json"))
    reaching = f"{int(wide) - 1}-12-01..{wide}-01-31"
    read_calendar(path, path.name, parse_period(reaching), "Europe/Berlin", keep)
    assert len(list(keep.glob("*.json"))) == len(kept_wide) + 1


def test_a_kept_calendar_that_is_damaged_or_edited_is_parsed_again(tmp_path):
    path = write(tmp_path, "BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20261103T090000Z\r\nDTEND:20261103T100000Z\r\n"
                           "SUMMARY:ACME weekly\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\nEND:VEVENT\r\n")
    keep = tmp_path / "kept"
    first = read_calendar(path, "cal.ics", parse_period("2026-11"), "Europe/Berlin", keep)
    [entry] = keep.glob("*.json")
    stored = json.loads(entry.read_text())
    stored["body"]["rows"][0][1] = "tampered"  # its digest no longer matches: not trusted
    entry.write_text(json.dumps(stored))
    again = read_calendar(path, "cal.ics", parse_period("2026-11"), "Europe/Berlin", keep)
    pd.testing.assert_frame_equal(again.events, first.events)
    entry.write_bytes(b"\0" * 100)  # a crash left zeros
    pd.testing.assert_frame_equal(read_calendar(path, "cal.ics", parse_period("2026-11"), "Europe/Berlin",
                                                keep).events, first.events)
    path.write_text(path.read_text().replace("COUNT=4", "COUNT=2"))  # edited: other bytes, another entry
    assert len(read_calendar(path, "cal.ics", parse_period("2026-11"), "Europe/Berlin", keep).events) == 2
    assert len(first.events) == 4


def test_kept_calendars_no_run_used_for_a_while_are_removed(ws):
    """The folder of kept calendars does not grow without end: a check removes the entries no run
    has used for EXPIRE_DAYS (then keeps what it reads)."""
    import os
    import time

    from auftakt_batch.calendars import kept

    ws.input("calendars/anna.ics", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:test\r\nBEGIN:VEVENT\r\nUID:a\r\n"
                                   "DTSTART:20261103T090000Z\r\nDTEND:20261103T100000Z\r\nSUMMARY:ACME\r\n"
                                   "END:VEVENT\r\nEND:VCALENDAR\r\n")
    (ws.root / "output").mkdir(exist_ok=True)  # a run keeps nothing where output/ is not a folder
    ws.check()
    folder = ws.root / "output" / ".cache" / "calendars"
    [used] = folder.glob("*.json")
    stale = folder / ("0" * 64 + ".json")
    stale.write_text("{}")
    old = time.time() - (kept.EXPIRE_DAYS + 1) * 86400
    os.utime(stale, (old, old))
    os.utime(used, (old, old))
    ws.check()
    assert sorted(folder.glob("*.json")) == [used]  # the stale ones removed; the one this run reads, there again


def test_a_meeting_tagged_for_a_client_without_calendar_settings_is_untracked_time(ws):
    """A `[key]` tag makes a meeting the client's, whether or not rates.yaml gives the client
    calendar settings; without them its meetings are not billed, and nobody's time for it is listed.
    (It ended in an AssertionError: only clients with settings were thought to be matched.)"""
    ws.input("calendars/anna-schmidt.ics", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:test\r\nX-WR-CALNAME:Anna Schmidt\r\n"
                                           "BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20261103T090000Z\r\nDTEND:20261103T100000Z\r\n"
                                           "SUMMARY:[acme] kickoff\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    run = ws.check()
    assert [(p.code, p.message.split(" — ")[0]) for p in run.problems if p.code == "untracked-meeting"] == [
        ("untracked-meeting", "1 meeting with acme (1:00 h) that no timesheet entry of Anna Schmidt covers: "
                              "'[acme] kickoff' 2026-11-03 (1:00)")]


def test_a_kept_calendar_is_read_where_it_cannot_be_marked_used(tmp_path, monkeypatch):
    """On a disk that will not take the entry's new modification time (read-only), what is kept is
    still read, not parsed again."""
    import icalendar

    from auftakt_batch.calendars import kept

    path = write(tmp_path, "BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20261103T090000Z\r\nDTEND:20261103T100000Z\r\n"
                           "SUMMARY:ACME\r\nEND:VEVENT\r\n")
    keep = tmp_path / "kept"
    first = read_calendar(path, "cal.ics", parse_period("2026-11"), "Europe/Berlin", keep)

    def refused(*args, **kwargs):
        raise PermissionError("read-only file system")

    monkeypatch.setattr(kept.os, "utime", refused)
    monkeypatch.setattr(icalendar.Calendar, "from_ical", refused)
    again = read_calendar(path, "cal.ics", parse_period("2026-11"), "Europe/Berlin", keep)
    pd.testing.assert_frame_equal(again.events, first.events)


def test_calendars_not_kept_are_parsed_by_workers_and_read_as_one_process_reads_them(tmp_path, monkeypatch):
    """A month's fresh calendar exports are parsed on every core before the check reads them
    (calendars/ahead.py): the check then reads them kept — parsing none itself — and says and
    counts what a check parsing them one after another does; an unreadable one it reads itself."""
    import icalendar

    from auftakt_batch import pipeline, processes
    from auftakt_batch.calendars import ahead

    if not processes.forks():
        pytest.skip("forking is not safe here (not Linux, or another thread runs)")
    monkeypatch.setattr(ahead, "AHEAD_BYTES", 0)  # these few small ones, too
    monkeypatch.setattr(pipeline, "forked_call", processes._once)  # the check reads its calendars itself: counted here
    runs, parsed = {}, []
    real = icalendar.Calendar.from_ical
    monkeypatch.setattr(icalendar.Calendar, "from_ical", lambda *a, **k: parsed.append(1) or real(*a, **k))
    for how in ("one by one", "ahead"):
        ws = calendar_ws(Workspace(tmp_path / how.replace(" ", "-")))
        (ws.root / "output").mkdir()
        calendar_file(ws, "anna.ics", event("a1", "ACME weekly", 3, "1000", "1100", "bob@acme.example"),
                      event("g1", "Globex sync", 5, "1400", "1500"))
        calendar_file(ws, "ben.ics", event("b1", "ACME review", 4, "0900", "0930", "bob@acme.example"))
        ws.input("broken.ics", "BEGIN:VCALENDAR\r\nnot a calendar")
        ws.input("week.csv", TIMED + "2026-11-04,Anna Schmidt,ACME,website,Review,,10:00,11:30\n")
        with monkeypatch.context() as patched:
            if how == "one by one":
                patched.setattr(ahead, "forked_pool", lambda workers: None)
            parsed.clear()
            run = ws.check()
        runs[how] = (run, len(parsed))
    (alone, parsed_alone), (together, parsed_here) = runs["one by one"], runs["ahead"]
    assert parsed_alone == 3 and parsed_here == 1  # ahead: only the broken one, by the check itself
    assert problem_lines(together) == problem_lines(alone) and any("broken.ics" in p for p in problem_lines(alone))
    pd.testing.assert_frame_equal(together.entries, alone.entries)
    assert (together.entries["source_format"] == "calendar").sum() == 2  # ACME's two meetings: billed


def test_calendars_read_by_a_process_beside_the_check_give_what_reading_them_in_the_check_gives(tmp_path, monkeypatch):
    """On a year's entries the check reads its calendars in a process forked beside the resolve step
    (pipeline.py) and matches them afterwards: problems, entries (the meetings billed, and a logged entry beside them),
    untracked time and absences are what reading them in the check itself gives — for the month
    and for the months before it (a report's history, which reads only calendars that bill)."""
    from auftakt_batch import pipeline, processes
    from auftakt_batch.pipeline import check_before

    if not processes.forks():
        pytest.skip("forking is not safe here (not Linux, or another thread runs)")
    runs, forked, real = {}, [], pipeline.read_meetings
    readers = tmp_path / "readers"

    def read_where(files, *args):  # the process that reads them, said in a file (a forked one's list is its own)
        with readers.open("a") as out:
            out.write(f"{os.getpid()}\n")
        return real(files, *args)

    monkeypatch.setattr(pipeline, "read_meetings", read_where)
    monkeypatch.setattr(pipeline, "BESIDE_ROWS", 0)  # these few entries, too
    for how in ("in the check", "beside it"):
        ws = calendar_ws(Workspace(tmp_path / how.replace(" ", "-")))
        (ws.root / "output").mkdir()
        calendar_file(ws, "anna.ics", event("a1", "ACME weekly", 3, "1000", "1100", "bob@acme.example"),
                      event("g1", "Globex sync", 5, "1400", "1500"), event("o1", "Out of office", 6, "0000", "2359"))
        calendar_file(ws, "ben.ics", event("b1", "ACME review", 4, "0900", "0930", "bob@acme.example"))
        ws.input("broken.ics", "BEGIN:VCALENDAR\r\nnot a calendar")
        ws.input("week.csv", TIMED + "2026-10-28,Anna Schmidt,ACME,website,Older,,10:00,11:00\n"
                                     "2026-11-04,Anna Schmidt,ACME,website,Review,,10:00,11:30\n")
        with monkeypatch.context() as patched:
            if how == "in the check":
                patched.setattr(pipeline, "forked_call", processes._once)
            else:
                patched.setattr(pipeline, "forked_call", lambda work: forked.append(1) or processes.forked_call(work))
            readers.write_text("")
            run = ws.check()
            before = check_before(run, TODAY)
        runs[how] = (run, before, {int(pid) for pid in readers.read_text().split()})
    (alone, alone_before, read_here), (beside, beside_before, read_beside) = runs["in the check"], runs["beside it"]
    assert len(forked) == 2 and read_here == {os.getpid()}  # the month's check and the months' before
    assert len(read_beside) == 2 and os.getpid() not in read_beside  # each by a process of its own
    assert problem_lines(beside) == problem_lines(alone) and any("broken.ics" in p for p in problem_lines(alone))
    assert problem_lines(beside_before) == problem_lines(alone_before)
    assert (beside.entries["source_format"] == "calendar").sum() == 2
    for part in ("entries", "untracked", "absences"):
        pd.testing.assert_frame_equal(getattr(beside, part), getattr(alone, part))
    pd.testing.assert_frame_equal(beside_before.entries, alone_before.entries)
