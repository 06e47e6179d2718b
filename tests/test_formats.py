"""Real trackers' exports, each recognised from its header and read onto the canonical entries.

The fixtures are written here, in the shape each tracker exports (header generations, user
settings for dates, times and numbers, encodings, separators), with names from conftest's
rates.yaml — so the entries resolve and the numbers can be checked exactly.
"""

from datetime import datetime
from decimal import Decimal

import pytest

from .conftest import problem_lines

TOGGL = ("\ufeffUser,Email,Client,Project,Task,Description,Billable,Start date,Start time,End date,End time,"
         "Duration,Tags,Amount (EUR)\n")


def entries(run, *columns):
    return [tuple(row) for row in run.entries[list(columns)].itertuples(index=False)]


def hours(run) -> list[float]:
    return [s / 3600 for s in run.entries["duration_s"]]


def test_toggl_detailed_report(ws):
    ws.input("Toggl_time_entries_2026-11-02_to_2026-11-08.csv", TOGGL
             + 'Anna Schmidt,anna@studio.example,ACME GmbH,Website Relaunch 2026,,Layout,Yes,2026-11-03,09:00:00,'
               '2026-11-03,10:30:00,01:30:00,"Design, UX",180.00\n'
             + 'Ben Okafor,ben@studio.example,Globex Corporation,app,Backend,"API, auth",Yes,2026-11-04,22:30:00,'
               '2026-11-05,01:00:00,02:30:00,,375.00\n'
             + "anna.s,anna@studio.example,,Website Relaunch 2026,,Fixes,Yes,2026-11-05,14:00:00,2026-11-05,14:45:00,"
               "00:45:00,,67.50\n")
    run = ws.check()
    assert run.files[0].format == "toggl"
    assert entries(run, "person_name", "client_key", "job_key", "task", "description") == [
        ("Anna Schmidt", "acme", "website", "", "Layout"),
        ("Ben Okafor", "globex", "app", "Backend", "API, auth"),  # the midnight crosser: the day it started
        ("Anna Schmidt", "acme", "website", "", "Fixes"),  # found by email; the client from its job
    ]
    assert hours(run) == [1.5, 2.5, 0.75]
    assert [d.day for d in run.entries["date"]] == [3, 4, 5]
    assert problem_lines(run) == [
        "input/Toggl_time_entries_2026-11-02_to_2026-11-08.csv:3:End time: warning: ends the next day (starts 22:30, "
        "ends 01:00) — fine for night work, otherwise correct the times",
        "input/Toggl_time_entries_2026-11-02_to_2026-11-08.csv:4:Amount (EUR): warning: the export prices this at "
        "90.00/h, "
        "rates.yaml at 120.00/h — the invoice uses rates.yaml; correct the rate in the tracker or in rates.yaml"]


def test_toggl_time_entries_export_without_amount_every_field_quoted(ws):
    ws.input("TogglTrack_Report.csv",
             '"User","Email","Client","Project","Task","Description","Billable","Start date","Start time",'
             '"End date","End time","Duration","Tags"\n'
             '"Anna Schmidt","anna@studio.example","ACME","website","","Layout","Yes","2026-11-10","09:00:00",'
             '"2026-11-10","11:00:00","02:00:00",""\n')
    run = ws.check()
    assert run.files[0].format == "toggl" and run.ok and hours(run) == [2.0]


CLOCKIFY_OLD = ('"Project","Client","Description","Task","User","Group","Email","Tags","Billable","Start Date",'
                '"Start Time","End Date","End Time","Duration (h)","Duration (decimal)","Billable Rate (EUR)",'
                '"Billable Amount (EUR)"\n')
CLOCKIFY_NEW = ('"Project","Client","Description","Activity","User","Group","Email","Tags","Type","Billable","Invoiced",'
                '"Invoice ID","Start Date","Start Time","End Date","End Time","Duration (h)","Duration (decimal)",'
                '"Billable Rate (EUR)","Billable Amount (EUR)","Date of creation","Ticket"\n')


def test_clockify_day_first_24_hour(ws):
    ws.input("Clockify_Time_Report_Detailed.csv", CLOCKIFY_OLD
             + '"Website Relaunch 2026","ACME","Layout","","Anna Schmidt","","anna@studio.example","","Yes",'
               '"17/11/2026","09:00:00","17/11/2026","10:15:00","01:15:00","1.25","120.00","150.00"\n'
             + '"app","Globex Corporation","API","","Ben Okafor","","ben@studio.example","","Yes",'
               '"05/11/2026","13:00:00","05/11/2026","15:00:00","02:00:00","2.00","150.00","300.00"\n')
    run = ws.check()
    assert run.files[0].format == "clockify" and run.ok, problem_lines(run)
    assert [d.strftime("%Y-%m-%d") for d in run.entries["date"]] == ["2026-11-17", "2026-11-05"]
    assert hours(run) == [1.25, 2.0]


def test_clockify_newer_header_month_first_12_hour_clock(ws):
    ws.input("Clockify_Time_Report_Detailed_11_01_2026-11_30_2026.csv", CLOCKIFY_NEW
             + '"website","ACME GmbH","Review","Design","Anna Schmidt","Group1, Group2","anna@studio.example","",'
               '"Regular","Yes","Yes","Invoice100","11/16/2026","10:23:52 AM","11/16/2026","11:23:52 AM","01:00:00",'
               '"1.00","120.00","120.00","11/16/2026","T-1"\n'
             + '"website","ACME GmbH","Evening fix","","Anna Schmidt","","anna@studio.example","","Regular","Yes",'
               '"No","","11/09/2026","11:30 PM","11/10/2026","12:15 AM","00:45:00","0.75","130.00","97.50",'
               '"11/10/2026",""\n')
    run = ws.check()
    assert run.files[0].format == "clockify"
    assert entries(run, "task", "description") == [("Design", "Review"), ("", "Evening fix")]
    assert [str(s) for s in run.entries["start"]] == ["2026-11-16 09:23:52+00:00", "2026-11-09 22:30:00+00:00"]
    assert hours(run) == [1.0, 0.75]
    assert problem_lines(run) == [
        "input/Clockify_Time_Report_Detailed_11_01_2026-11_30_2026.csv:2:Invoiced: note: 1 entry (1.00 h) invoiced "
        "in the tracker already (invoice Invoice100) — not billed again (imports.invoiced_in_tracker: skip; set it "
        "to bill to invoice them anyway)",
        "input/Clockify_Time_Report_Detailed_11_01_2026-11_30_2026.csv:3:Billable Rate (EUR): warning: the export "
        "prices this at "
        "130.00/h, rates.yaml at 120.00/h — the invoice uses rates.yaml; correct the rate in the tracker or in "
        "rates.yaml",
        "input/Clockify_Time_Report_Detailed_11_01_2026-11_30_2026.csv:3:End Time: warning: ends the next day "
        "(starts 23:30, ends 00:15) — fine for night work, otherwise correct the times"]


def test_dates_a_file_cannot_settle_need_imports_date_format(ws):
    ws.input("clockify.csv", CLOCKIFY_OLD
             + '"website","ACME","Layout","","Anna Schmidt","","","","Yes","03/11/2026","09:00:00","03/11/2026",'
               '"10:00:00","01:00:00","1.00","120.00","120.00"\n'
             + '"website","ACME","Layout","","Anna Schmidt","","","","Yes","04/11/2026","09:00:00","04/11/2026",'
               '"10:00:00","01:00:00","1.00","120.00","120.00"\n')
    run = ws.check()
    assert problem_lines(run) == [
        "input/clockify.csv:2:Start Date: error: dates such as '03/11/2026' could be day/month or month/day, and no "
        "date in this file tells which (2 rows) — add `imports: {date_format: DD/MM/YYYY}` (or MM/DD/YYYY) to "
        "rates.yaml"]
    assert run.held_back() == (frozenset({"acme"}), False)
    ws.rates((ws.root / "rates.yaml").read_text() + "imports:\n  date_format: DD/MM/YYYY\n")
    run = ws.check()
    assert run.ok and [d.strftime("%Y-%m-%d") for d in run.entries["date"]] == ["2026-11-03", "2026-11-04"]


def test_clockify_xlsx_with_typed_cells(ws):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Detailed report 01/11/2026 - 30/11/2026"])  # a title above the header
    sheet.append([h.strip('"') for h in CLOCKIFY_OLD.strip().split(",")])
    sheet.append(["website", "ACME", "Layout", "", "Anna Schmidt", "", "anna@studio.example", "", "Yes",
                  datetime(2026, 11, 3), "09:00:00", datetime(2026, 11, 3), "10:30:00", "01:30:00", 1.5, 120, 180])
    book.save(ws.root / "input" / "Clockify_Time_Report_Detailed.xlsx")
    run = ws.check()
    assert run.files[0].format == "clockify" and run.ok, problem_lines(run)
    assert [str(s) for s in run.entries["start"]] == ["2026-11-03 08:00:00+00:00"]
    assert entries(run, "source_row") == [(3,)]  # as Excel shows it


HARVEST = ("Date,Client,Project,Project Code,Task,Notes,Hours,Hours Rounded,Billable?,Invoiced?,Approved?,"
           "First Name,Last Name,Employee Id,Roles,Employee?,Billable Rate,Billable Amount,Cost Rate,Cost Amount,"
           "Currency,External Reference URL\n")


def test_harvest_with_thousands_separators(ws):
    ws.input("harvest_time_report_from2026-11-01to2026-11-30.csv", HARVEST
             + '2026-11-12,ACME GmbH,Website Relaunch 2026,,Design,Layout,9.75,10.0,Yes,No,No,Anna,Schmidt,,'
               'Designer,Yes,120.0,"1,170.0",60.0,585.0,Euro - EUR,\n'
             + '2026-11-13,Globex Corporation,app,,Dev,API,1.26,1.5,Yes,No,No,Ben,Okafor,,,Yes,150.0,189.0,0,0,'
               'Euro - EUR,\n')
    run = ws.check()
    assert run.files[0].format == "harvest" and run.ok, problem_lines(run)
    assert entries(run, "person_name", "client_key", "task", "description", "export_currency") == [
        ("Anna Schmidt", "acme", "Design", "Layout", "EUR"), ("Ben Okafor", "globex", "Dev", "API", "EUR")]
    assert run.entries["duration_s"].tolist() == [35100, 4536]  # the raw hours, not Harvest's rounded ones
    assert run.entries["export_amount"].tolist() == [Decimal("1170.0"), Decimal("189.0")]


def test_harvest_no_price_in_any_case_is_no_amount(ws):
    """What trackers write for no price (n/a, N/A, a dash) is no amount and no rate, never a garbled number."""
    rows = [f'2026-11-{day},ACME,website,,Design,Layout {day},1.0,1.0,Yes,No,No,Anna,Schmidt,,,Yes,{rate},{amount},'
            '0,0,Euro - EUR,\n' for day, rate, amount in
            [(10, "N/A", "n/a"), (11, "nA", "—"), (12, "-", "–"), (13, "120.0", "120.0"), (14, "n.a.", "NaN")]]
    ws.input("harvest.csv", HARVEST + "".join(rows))
    run = ws.check()
    assert run.entries["export_amount"].tolist() == [None, None, None, Decimal("120.0"), None]
    assert run.entries["export_rate"].tolist() == [None, None, None, Decimal("120.0"), None]
    assert [(p.code, p.source.row, p.source.column) for p in run.problems if p.code.startswith("bad-")] == [
        ("bad-amount", 6, "Billable Amount"), ("bad-rate", 6, "Billable Rate")]  # other text is garbled


def test_harvest_european_numbers(ws):
    ws.input("harvest.csv", HARVEST
             + '2026-11-12,ACME,website,,Design,Layout,"2,5","2,5",Yes,No,No,Anna,Schmidt,,,Yes,"120,0","300,0",'
               '"0,0","0,0",Euro - EUR,\n'
             + '2026-11-13,ACME,website,,Design,Workshop,"8,0","8,0",Yes,No,No,Anna,Schmidt,,,Yes,"125,0",'
               '"1.000,0","0,0","0,0",Euro - EUR,\n')
    run = ws.check()
    assert hours(run) == [2.5, 8.0]
    assert run.entries["export_amount"].tolist() == [Decimal("300.0"), Decimal("1000.0")]
    assert problem_lines(run) == [
        "input/harvest.csv:3:Billable Rate: warning: the export prices this at 125.00/h, rates.yaml at 120.00/h — the "
        "invoice uses "
        "rates.yaml; correct the rate in the tracker or in rates.yaml"]


KIMAI_EN = "Date,From,To,Duration,Rate,User,Customer,Project,Activity,Description,Exported,Tags,Hourly rate,Fixed rate\n"


def test_kimai_english_csv_with_a_night_shift(ws):
    ws.input("kimai-export.csv", KIMAI_EN
             + "2026-11-03,09:00,10:30,01:30,180.00,Anna Schmidt,ACME GmbH,Website relaunch,Design,Layout,"
               "not exported,,120.00,\n"
             + "2026-11-04,22:00,02:00,04:00,600.00,Ben Okafor,Globex Corporation,Customer app,Ops,Release,"
               "not exported,,150.00,\n")
    run = ws.check()
    assert run.files[0].format == "kimai"
    assert hours(run) == [1.5, 4.0] and [d.day for d in run.entries["date"]] == [3, 4]
    assert [p for p in problem_lines(run) if "error" in p] == []


def test_kimai_german_semicolons_windows_1252_and_the_clocks_going_back(ws):
    ws.input("kimai-de.csv",
             "Datum;Von;Bis;Dauer;Preis;Benutzer;Kunde;Projekt;Tätigkeit;Beschreibung;Exportiert;Tags;Stundenpreis;"
             "Festpreis\n"
             "03.11.2026;09:00;10:30;1:30;180,00 €;Anna Schmidt;ACME GmbH;Website relaunch;Gestaltung;Überarbeitung;"
             "nein;;120,00 €;\n"
             "25.10.2026;01:30;03:30;3:00;450,00 €;Ben Okafor;Globex Corporation;Customer app;Betrieb;Umstellung;"
             "nein;;150,00 €;\n", encoding="cp1252")
    run = ws.check("2026-10-01..2026-11-30")
    assert run.files[0].format == "kimai" and run.files[0].encoding == "cp1252" and run.files[0].separator == ";"
    assert entries(run, "task", "description") == [("Gestaltung", "Überarbeitung"), ("Betrieb", "Umstellung")]
    by_day = dict(zip(run.entries["date"].dt.day, run.entries["duration_s"]))
    assert by_day == {3: 5400, 25: 3 * 3600}  # 01:30 summer time to 03:30 winter time is three hours
    assert [p for p in problem_lines(run) if "error" in p] == []


def test_kimai_xlsx_totals_row_is_not_an_entry(ws):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append([h for h in KIMAI_EN.strip().split(",")])
    # as Kimai writes it: typed dates and times, the duration a fraction of a day as [hh]:mm, and
    # a totals row (formulas, stored with their values)
    sheet.append([datetime(2026, 11, 3), datetime(2026, 11, 3, 9), datetime(2026, 11, 3, 10, 30), 5400 / 86400,
                  180, "Anna Schmidt", "ACME GmbH", "Website relaunch", "Design", "Layout", "not exported", "", 120])
    sheet.append([datetime(2026, 11, 4), datetime(2026, 11, 4, 14), datetime(2026, 11, 4, 16), 7200 / 86400,
                  300, "Ben Okafor", "Globex Corporation", "Customer app", "Dev", "API", "not exported", "", 150])
    sheet.append([None, None, None, 12600 / 86400, 480])
    for row in (2, 3, 4):
        sheet.cell(row, 4).number_format = "[hh]:mm"
    for row in (2, 3):
        sheet.cell(row, 2).number_format = sheet.cell(row, 3).number_format = "hh:mm"
    book.save(ws.root / "input" / "kimai.xlsx")
    run = ws.check()
    assert run.ok, problem_lines(run)
    assert hours(run) == [1.5, 2.0]
    assert "input/kimai.xlsx:4: note: the export's totals row — not an entry, skipped" in problem_lines(run)


def test_a_person_s_own_time_zone(ws):
    ws.edit_rates("    email: ben@studio.example\n", "    email: ben@studio.example\n    timezone: America/New_York\n")
    ws.input("toggl.csv", TOGGL
             + "Ben Okafor,ben@studio.example,Globex Corporation,app,,Late call,Yes,2026-11-30,20:00:00,2026-11-30,"
               "22:00:00,02:00:00,,300.00\n")
    november, december = ws.check("2026-11"), ws.check("2026-12")
    # 20:00 in New York is 02:00 the next day in Berlin: the entry belongs to the agency's December
    assert len(november.entries) == 0 and november.outside_period == 1
    assert [str(s) for s in december.entries["start"]] == ["2026-12-01 01:00:00+00:00"]


def week(rows) -> str:
    return TOGGL + "".join(
        f"Anna Schmidt,anna@studio.example,ACME,website,,{what},Yes,2026-11-{day:02d},09:00:00,2026-11-{day:02d},"
        f"{9 + h}:00:00,0{h}:00:00,,{120 * h}.00\n" for day, what, h in rows)


W1 = [(2, "Kickoff", 2), (3, "Layout", 3), (6, "Review", 1)]
W2_EDITED = [(3, "Layout", 3), (6, "Review", 2), (9, "Build", 4), (10, "Build", 3)]  # the 6th was edited since
MONTH = [(2, "Kickoff", 2), (3, "Layout", 3), (6, "Review", 2), (9, "Build", 4), (10, "Build", 3), (20, "QA", 1)]


def billable_hours(ws) -> float:
    run = ws.check()
    assert run.ok, problem_lines(run)
    return run.entries["duration_s"].sum() / 3600


def test_the_newer_of_two_overlapping_exports_wins_a_day_they_disagree_on(ws):
    ws.input("week-45.csv", week(W1))
    ws.input("week-45-46.csv", week(W2_EDITED))
    run = ws.check()
    assert sorted(hours(run)) == [2.0, 2.0, 3.0, 3.0, 4.0]
    assert [p for p in problem_lines(run) if "replaced" in p] == [
        "input/week-45.csv:4: warning: 1 entry on 1 day(s) replaced by the newer export input/week-45-46.csv (its "
        "dates reach 2026-11-10), which differs there: Anna Schmidt on 2026-11-06 — the newer export counts; remove "
        "this file if it is outdated"]
    assert billable_hours(ws) == 14.0


def toggl_rows(rows) -> str:
    return TOGGL + "".join(
        f"{who},,{client},{job},,{what},Yes,2026-11-{day:02d},{start}:00:00,2026-11-{day:02d},{start + h}:00:00,"
        f"0{h}:00:00,,\n" for who, client, job, day, start, h, what in rows)


def test_exports_that_share_no_entry_both_count(ws):
    # one export per client, the same person and day in both: different scopes, not versions
    ws.input("toggl-acme-w47.csv", toggl_rows([("Anna Schmidt", "ACME", "website", 17, 9, 2, "Layout")]))
    ws.input("toggl-globex-w47.csv", toggl_rows([("Anna Schmidt", "globex", "app", 17, 13, 3, "API")]))
    run = ws.check()
    assert sorted(hours(run)) == [2.0, 3.0] and run.ok
    assert not [p for p in problem_lines(run) if "newer" in p]


def test_a_newer_export_wins_even_when_another_source_has_the_same_day(ws):
    old = [("Anna Schmidt", "ACME", "website", 16, 9, 1, "Kickoff"), ("Anna Schmidt", "ACME", "website", 17, 9, 2, "x")]
    new = [old[0], ("Anna Schmidt", "ACME", "website", 17, 9, 3, "x"), ("Anna Schmidt", "ACME", "website", 18, 9, 1, "y")]
    ws.input("toggl-w47.csv", toggl_rows(old))
    ws.input("toggl-w47-again.csv", toggl_rows(new))
    header = "date,person,client,job,task,description,hours,billable\n"
    ws.input("sheet.csv", header + "2026-11-17,Anna Schmidt,ACME,website,,Call,0.5,\n")  # newest of all, unrelated
    run = ws.check()
    assert sorted(hours(run)) == [0.5, 1.0, 1.0, 3.0]


def test_a_day_the_newer_export_lacks_is_reported_not_dropped(ws):
    old = [("Anna Schmidt", "ACME", "website", 16, 9, 1, "Kickoff"), ("Anna Schmidt", "ACME", "website", 17, 9, 2, "x")]
    # the 17th's entry gone, another on the 18th: not the same work (its words differ), so nothing says the
    # 17th's was moved (an entry moved with its words and hours gives way: test_billed_once)
    moved = [old[0], ("Anna Schmidt", "ACME", "website", 18, 9, 2, "y")]
    ws.input("toggl-w47.csv", toggl_rows(old))
    ws.input("toggl-w47-again.csv", toggl_rows(moved))
    run = ws.check()
    assert sorted(hours(run)) == [1.0, 2.0, 2.0]
    assert [p for p in problem_lines(run) if "newer" in p] == [
        "input/toggl-w47.csv:3: warning: 1 entry not in the newer export input/toggl-w47-again.csv, though it covers "
        "Anna Schmidt on 2026-11-17 — if they were deleted or moved in the tracker, remove this file; both files "
        "count until then"]


def test_overlapping_weekly_exports_and_the_month_bill_what_the_month_alone_bills(ws, tmp_path):
    from .conftest import Workspace

    ws.input("week-45.csv", week(W1))
    ws.input("week-45-46.csv", week(W2_EDITED))
    ws.input("month-11.csv", week(MONTH))
    alone = Workspace(tmp_path / "alone")
    alone.input("month-11.csv", week(MONTH))
    assert billable_hours(ws) == billable_hours(alone) == 15.0
    assert invoiced(ws) == invoiced(alone) == [("acme", "15", "1800.00")]


def invoiced(ws) -> list[tuple]:
    from auftakt_batch.pricing import price
    from auftakt_batch.pricing.invoices import draft_invoices

    run = ws.check()
    return [(d.client_key, str(d.hours), str(d.net)) for d in draft_invoices(price(run.entries, run.config),
                                                                             run.config, run.period)]


def test_two_team_sheets_with_one_person_s_day_both_count(ws):
    header = "date,person,client,job,task,description,hours,billable\n"
    ws.input("design.csv", header + "2026-11-03,Anna Schmidt,ACME,website,,Layout,2,\n")
    ws.input("pm.csv", header + "2026-11-03,Anna Schmidt,globex,app,,Planning,1,\n")
    run = ws.check()
    assert run.ok and sorted(hours(run)) == [1.0, 2.0]
    assert not [p for p in problem_lines(run) if "replaced" in p]


def test_a_native_re_export_that_shares_entries_is_an_export_of_the_same_sheet(ws):
    header = "date,person,client,job,task,description,hours,billable\n"
    ws.input("team-week-45.csv", header + "2026-11-03,Anna Schmidt,ACME,website,,Layout,2,\n"
                                          "2026-11-04,Anna Schmidt,ACME,website,,Review,1,\n")
    ws.input("team-week-45-46.csv", header + "2026-11-03,Anna Schmidt,ACME,website,,Layout,2,\n"
                                             "2026-11-04,Anna Schmidt,ACME,website,,Review,1.5,\n"
                                             "2026-11-10,Anna Schmidt,ACME,website,,Build,3,\n")
    run = ws.check()
    assert sorted(hours(run)) == [1.5, 2.0, 3.0]
    assert [p.split(" replaced")[0] for p in problem_lines(run) if "replaced" in p] == [
        "input/team-week-45.csv:3: warning: 1 entry on 1 day(s)"]


def test_durations_rounded_by_the_tracker_are_recognised_and_the_times_count(ws):
    ws.input("clockify-rounded.csv", CLOCKIFY_OLD
             + '"website","ACME","Layout","","Anna Schmidt","","","","Yes","17/11/2026","09:00:00","17/11/2026",'
               '"10:07:00","01:15:00","1.25","120.00","150.00"\n'
             + '"website","ACME","Review","","Anna Schmidt","","","","Yes","18/11/2026","09:00:00","18/11/2026",'
               '"09:38:00","00:45:00","0.75","120.00","90.00"\n'
             + '"website","ACME","Build","","Anna Schmidt","","","","Yes","19/11/2026","09:00:00","19/11/2026",'
               '"11:00:00","02:00:00","2.00","120.00","240.00"\n')
    run = ws.check()
    assert run.entries["duration_s"].tolist() == [67 * 60, 38 * 60, 120 * 60]
    assert [p for p in problem_lines(run) if "rounded" in p] == [
        "input/clockify-rounded.csv:2:Duration (h): warning: the durations are rounded to 15 minutes by the tracker (2 "
        "rows differ from their start and end) — the start and end times count, and rates.yaml's rounding applies; "
        "turn rounding off in the tracker's report to silence this"]
    assert not [p for p in problem_lines(run) if "error" in p]


def test_a_file_writing_dates_both_ways_is_not_trusted(ws):
    ws.input("clockify.csv", CLOCKIFY_OLD
             + '"website","ACME","a","","Anna Schmidt","","","","Yes","17/11/2026","09:00:00","17/11/2026",'
               '"10:00:00","01:00:00","1.00","120.00","120.00"\n'
             + '"website","ACME","b","","Anna Schmidt","","","","Yes","11/18/2026","09:00:00","11/18/2026",'
               '"10:00:00","01:00:00","1.00","120.00","120.00"\n'
             + '"website","ACME","c","","Anna Schmidt","","","","Yes","19/11/2026","09:00:00","19/11/2026",'
               '"10:00:00","01:00:00","1.00","120.00","120.00"\n')
    run = ws.check()
    assert [p for p in problem_lines(run) if "error" in p] == [
        "input/clockify.csv:2:Start Date: error: this file writes dates both ways ('17/11/2026' is day/month, "
        "'11/18/2026' month/day), so none of its slash dates can be trusted (3 rows) — export it again with one date "
        "format"]


def test_a_date_that_does_not_fit_the_file_s_order_says_so(ws):
    ws.input("clockify.csv", CLOCKIFY_OLD
             + '"website","ACME","a","","Anna Schmidt","","","","Yes","17/11/2026","09:00:00","17/11/2026",'
               '"10:00:00","01:00:00","1.00","120.00","120.00"\n'
             + '"website","ACME","b","","Anna Schmidt","","","","Yes","31/11/2026","09:00:00","17/11/2026",'
               '"10:00:00","01:00:00","1.00","120.00","120.00"\n')
    assert [p for p in problem_lines(ws.check()) if "error" in p] == [
        "input/clockify.csv:3:Start Date: error: unreadable date '31/11/2026' — use DD/MM/YYYY as in the rest of this "
        "file, or YYYY-MM-DD"]


def test_dotted_dates_make_a_file_day_first(ws):
    header = "date,person,client,job,task,description,hours,billable\n"
    ws.input("sheet.csv", header + "03.11.2026,Anna Schmidt,ACME,website,,a,1,\n06/11/2026,Anna Schmidt,ACME,website,,b,2,\n")
    ws.rates((ws.root / "rates.yaml").read_text() + "imports:\n  date_format: MM/DD/YYYY\n")  # for another file
    run = ws.check()
    assert run.ok and [f"{d:%Y-%m-%d}" for d in run.entries["date"]] == ["2026-11-03", "2026-11-06"]


def test_typed_net_hours_in_a_spreadsheet_are_not_taken_for_tracker_rounding(ws):
    header = "date,person,client,job,task,description,hours,billable,start,end\n"
    ws.input("sheet.csv", header + "2026-11-03,Anna Schmidt,ACME,website,,a,8,,09:00,17:30\n"
                                   "2026-11-04,Anna Schmidt,ACME,website,,b,8,,08:30,17:00\n")
    run = ws.check()
    assert [p.split(": error: ")[1][:30] for p in problem_lines(run) if "error" in p] == [
        "hours say 8:00 but start–end s"] * 2


def test_absurd_amounts_are_unreadable_not_a_crash(ws):
    ws.input("toggl.csv", TOGGL + "Anna Schmidt,,ACME,website,,x,Yes,2026-11-03,09:00:00,2026-11-03,10:00:00,"
                                  "01:00:00,,99999999999999999999999999999999.00\n")
    run = ws.check()
    assert problem_lines(run) == [
        "input/toggl.csv:2:Amount (EUR): error: unreadable amount '99999999999999999999999999999999.00' — use a "
        "number such as 1,234.50 or 1.234,50, optionally with its currency"]


def test_an_entry_without_a_client_takes_the_client_of_its_job_if_only_one_has_it(ws):
    ws.edit_rates("      app: {name: Customer app, rate: \"150.00\"}", "      app: {name: Customer app, rate: \"150.00\"}\n"
                  "      website: {name: Globex site}")  # now two clients have a job 'website'
    ws.input("toggl.csv", TOGGL
             + "Anna Schmidt,,,Customer app,,a,Yes,2026-11-03,09:00:00,2026-11-03,10:00:00,01:00:00,,\n"
             + "Anna Schmidt,,,website,,b,Yes,2026-11-03,11:00:00,2026-11-03,12:00:00,01:00:00,,\n"
             + "Anna Schmidt,,,Entur,,c,Yes,2026-11-03,13:00:00,2026-11-03,14:00:00,01:00:00,,\n")
    run = ws.check()
    assert run.entries["client_key"].tolist()[0] == "globex"
    assert [p.split("error: ")[1] for p in problem_lines(run) if "error" in p] == [
        "client is empty and 2 clients in rates.yaml have a job 'website' — fill in the client, or add the job (or an "
        "alias) under its one client in rates.yaml",
        "client is empty and no client in rates.yaml has a job 'Entur' — fill in the client, or add the job (or an "
        "alias) under its one client in rates.yaml"]


SOLIDTIME = "Description,Task,Project,Client,User,Start,End,Duration,Duration (decimal),Billable,Tags\n"


def test_solidtime_detailed_export_with_date_and_time_in_one_cell(ws):
    ws.input("solidtime-detailed-2026-11.csv", SOLIDTIME
             + "Layout,,Website Relaunch 2026,ACME GmbH,Anna Schmidt,2026-11-03 09:00:00,2026-11-03 10:30:00,"
               "1:30:00,1.5,Yes,\"Design, UX\"\n"
             + "Release,Ops,app,Globex Corporation,Ben Okafor,2026-11-04 22:30:00,2026-11-05 01:00:00,2:30:00,"
               "2.5000277777777776,Yes,\n"
             + "Fixes,,website,,A. Schmidt,2026-11-05 14:00:00,2026-11-05 14:45:00,0:45:00,0.75,No,\n")
    run = ws.check()
    assert [f.format for f in run.files] == ["solidtime"] and run.ok, problem_lines(run)
    assert entries(run, "person_name", "client_key", "job_key", "task", "description", "billable") == [
        ("Anna Schmidt", "acme", "website", "", "Layout", True),
        ("Ben Okafor", "globex", "app", "Ops", "Release", True),  # past midnight: the day it started
        ("Anna Schmidt", "acme", "website", "", "Fixes", False)]
    assert [f"{d:%Y-%m-%d}" for d in run.entries["date"]] == ["2026-11-03", "2026-11-04", "2026-11-05"]
    assert [str(s) for s in run.entries["start"]] == ["2026-11-03 08:00:00+00:00", "2026-11-04 21:30:00+00:00",
                                                      "2026-11-05 13:00:00+00:00"]
    assert hours(run) == [1.5, 2.5, 0.75]


def test_solidtime_excel_export_with_typed_date_times_one_at_midnight(ws):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(SOLIDTIME.strip().split(","))
    sheet.append(["Night", "", "app", "Globex Corporation", "Ben Okafor", datetime(2026, 11, 4), datetime(2026, 11, 4, 2),
                  "2h 00m", 2.0, "Yes", ""])  # the duration as the user's setting writes it: the decimal one counts
    book.save(ws.root / "input" / "solidtime.xlsx")
    run = ws.check()
    assert run.ok, problem_lines(run)
    assert [str(s) for s in run.entries["start"]] == ["2026-11-03 23:00:00+00:00"] and hours(run) == [2.0]


def test_a_solidtime_entry_without_its_start_says_so_once(ws):
    ws.input("solidtime.csv", SOLIDTIME + "Layout,,website,ACME,Anna Schmidt,,2026-11-03 10:30:00,1:30:00,1.5,Yes,\n")
    assert problem_lines(ws.check()) == [
        "input/solidtime.csv:2:Start: error: start is empty — every entry needs one (it gives the date)"]


SOLIDTIME_IMPORT = "description,billable,client,project,tags,start,end,task,user_name,user_email\n"


def test_solidtime_import_csv_of_utc_instants_belongs_to_the_agency_s_day(ws):
    ws.input("solidtime-import.csv", SOLIDTIME_IMPORT
             + '"Layout","true","ACME GmbH","website","Design, UX","2026-11-03T08:00:00Z","2026-11-03T09:30:00Z",'
               '"","Anna Schmidt","anna@studio.example"\n'
             + '"Late call","false","","Customer app","","2026-11-30T23:30:00Z","2026-12-01T00:15:00Z","Calls",'
               '"B. Okafor","ben@studio.example"\n')
    november, december = ws.check("2026-11"), ws.check("2026-12")
    assert [f.format for f in november.files] == ["solidtime-import"] and november.ok, problem_lines(november)
    assert entries(november, "person_name", "client_key", "job_key", "description", "billable") == [
        ("Anna Schmidt", "acme", "website", "Layout", True)]
    assert hours(november) == [1.5] and november.outside_period == 1
    # 23:30 UTC on 30 November is half past midnight on 1 December in Berlin: the agency's December
    assert entries(december, "person_name", "client_key", "task", "billable") == [("Ben Okafor", "globex", "Calls",
                                                                                   False)]
    assert [f"{d:%Y-%m-%d}" for d in december.entries["date"]] == ["2026-12-01"] and hours(december) == [0.75]


def test_utc_instants_keep_their_ids_whatever_the_time_zones_say(ws):
    ws.input("solidtime-import.csv", SOLIDTIME_IMPORT + '"Layout","true","ACME","website","","2026-11-03T08:00:00Z",'
                                                        '"2026-11-03T09:30:00Z","","Anna Schmidt",""\n')
    ws.input("anna/frames", '[[1793692800, 1793698200, "acme/website", "ab12", ["review"], 1793698200]]')
    before = ws.check().entries[["entry_id", "slot"]].values.tolist()
    text = (ws.root / "rates.yaml").read_text()
    ws.rates(text.replace("timezone: Europe/Berlin", "timezone: Europe/Lisbon").replace(
        "    role: designer\n", "    role: designer\n    timezone: America/New_York\n"))
    after = ws.check()
    assert after.entries[["entry_id", "slot"]].values.tolist() == before and len(before) == 2
    assert [str(s) for s in after.entries["start"]] == ["2026-11-03 08:00:00+00:00"] * 2


def test_an_unreadable_instant_names_its_row_and_the_forms(ws):
    ws.input("solidtime-import.csv", SOLIDTIME_IMPORT + '"x","true","ACME","website","","2026-11-03 09:00:00",'
                                                        '"2026-11-03T09:30:00Z","","Anna Schmidt",""\n'
                                                        '"y","true","ACME","website","","2026-11-03T10:00:00Z",'
                                                        '"2026-11-03T09:30:00Z","","Anna Schmidt",""\n')
    assert problem_lines(ws.check()) == [
        "input/solidtime-import.csv:2:start: error: unreadable start '2026-11-03 09:00:00' — use an ISO 8601 time "
        "with its zone (2026-11-03T08:00:00Z, 2026-11-03T09:00:00+01:00) or Unix seconds",
        "input/solidtime-import.csv:3:end: error: ends (2026-11-03 09:30 UTC) before it starts (2026-11-03 10:00 "
        "UTC) — correct the times"]


def test_solidtime_s_organization_export_says_what_to_export_instead(ws):
    ws.input("time_entries.csv", "id,description,start,end,billable_rate,billable,member_id,user_id,organization_id,"
                                 "client_id,project_id,task_id,tags,is_imported,still_active_email_sent_at,"
                                 "created_at,updated_at\n")
    assert problem_lines(ws.check()) == [
        "input/time_entries.csv:1: error: this header names ids, not names: solidtime's organization export — "
        "export Reporting → Detailed → CSV instead"]


def frames(*frames) -> str:
    """A Watson frames file, as Watson writes it (indented JSON)."""
    import json

    return json.dumps(list(frames), indent=1)


def test_watson_frames_file_is_its_folder_s_person(ws):
    ws.input("anna/frames", frames(
        [1793692800, 1793698200, "acme/website", "5e0b7c", ["layout", "review"], 1793698200],  # 08:00-09:30 UTC
        [1793797200, 1793805300, "Customer app", "77aa01", [], 1793805300]))  # the client from its job
    run = ws.check()
    assert [(f.path, f.format) for f in run.files] == [("input/anna/frames", "watson")] and run.ok, problem_lines(run)
    assert entries(run, "person_name", "client_key", "job_key", "description") == [
        ("Anna Schmidt", "acme", "website", "layout, review"), ("Anna Schmidt", "globex", "app", "")]
    assert [str(s) for s in run.entries["start"]] == ["2026-11-03 08:00:00+00:00", "2026-11-04 13:00:00+00:00"]
    assert hours(run) == [1.5, 2.25] and [d.day for d in run.entries["date"]] == [3, 4]


def test_watson_files_named_after_their_person_and_watson_log_json(ws):
    ws.input("watson/ben-okafor.json", frames([1793692800, 1793698200, "globex/app", "c0ffee", ["api"], 1]))
    ws.input("watson/anna.json", frames(  # `watson log --json`: objects, times with the machine's offset
        {"id": "5e0b7c", "project": "acme/website", "start": "2026-11-05T10:00:00+01:00",
         "stop": "2026-11-05T11:00:00+01:00", "tags": ["call"]}))
    run = ws.check()
    assert run.ok, problem_lines(run)
    assert entries(run, "source_file", "person_name", "client_key", "description") == [
        ("input/watson/anna.json", "Anna Schmidt", "acme", "call"),  # anna@studio.example's mailbox
        ("input/watson/ben-okafor.json", "Ben Okafor", "globex", "api")]
    assert [str(s) for s in run.entries["start"]] == ["2026-11-05 09:00:00+00:00", "2026-11-03 08:00:00+00:00"]


def test_watson_frames_that_are_not_entries_are_named_by_their_number(ws):
    ws.input("anna/frames", frames(
        [1793692800, 1793698200, "acme/website", "a1", ["layout"], 1],
        [1793692800, "soon", "acme/website", "a2", ["layout"], 1],
        [1793692800, 1793698200],
        [1793698200, 1793692800, "acme/website", "a4", ["layout"], 1],
        [1793692800, 1793698200, "acme/website", "a5", [["nested"]], 1],
        "a note"))
    run = ws.check()
    assert problem_lines(run) == [
        "input/anna/frames:2:stop: error: unreadable end 'soon' — use an ISO 8601 time with its zone "
        "(2026-11-03T08:00:00Z, 2026-11-03T09:00:00+01:00) or Unix seconds",
        "input/anna/frames:3: error: a record of 2 items — expected [start, stop, project, id, tags, updated_at]; "
        "correct or delete this record",
        "input/anna/frames:4:stop: error: ends (2026-11-03 08:00 UTC) before it starts (2026-11-03 09:30 UTC) — "
        "correct the times",
        "input/anna/frames:5: error: item 5 (tags) holds a nested value — expected [start, stop, project, id, tags, "
        "updated_at]; correct or delete this record",
        "input/anna/frames:6: error: a str, not a record — expected [start, stop, project, id, tags, updated_at]; "
        "correct or delete this record"]
    assert hours(run)[0] == 1.5 and run.held_back() == (frozenset(), True)


def test_a_watson_file_that_names_no_one_is_refused(ws):
    ws.input("frames", frames([1793692800, 1793698200, "acme/website", "a1", [], 1]))
    run = ws.check()
    assert problem_lines(run) == [
        "input/frames: error: whose time is this? a Watson frames file names no person — name the file after its "
        "person (input/anna.json) or put it in a folder named after them (input/anna/frames)"]
    assert run.unreadable == ("input/frames",)


@pytest.mark.parametrize("text, message", [
    ('{"frames": []}', "input/x.json: error: a JSON dict, not a list of records — a Watson frames file is a list of "
                       "frames [start, stop, project, id, tags, updated_at]"),
    ('[[1, 2, "a", "b"],\n [1, 2,', "input/x.json:2: error: not valid JSON (Expecting value, column 8) — copy the file "
                                    "again"),
    ("[" * 100_000 + "]" * 100_000, "input/x.json: error: nested too deep to be an export — not read"),
    ("[1" + "0" * 5000 + "]", "input/x.json: error: a number thousands of digits long — not an export; not read"),
    ("[[1, 2, 3, 4, 5, 6, 7, 8]]", "input/x.json: error: not a known JSON export — a Watson frames file is a list of "
                                   "frames [start, stop, project, id, tags, updated_at], or the list `watson log "
                                   "--json` writes"),
    ("[]", "input/x.json: error: the export has no entries — export it again; if there really was no time, delete "
           "it"),
    ("  \n", "input/x.json: error: the file is empty — export it again"),
    (b"\xff\xfe[\x00\xd8", "input/x.json: error: cannot decode the file as UTF-8, UTF-16 or Windows-1252 text — "
                            "copy or export it again as UTF-8"),
])
def test_json_that_is_no_export_is_refused_with_a_located_message(ws, text, message):
    ws.input("x.json", text)
    assert problem_lines(ws.check()) == [message]
