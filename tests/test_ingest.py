"""Reading native timesheets: encodings, separators, XLSX row numbers, and files that cannot be read."""

import csv
import io
from datetime import date, datetime, time
from unittest.mock import patch

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from auftakt_batch.ingest.formats import describe_unknown, recognise
from auftakt_batch.ingest.read import FileError, _records, read_csv

from .conftest import examples, problem_lines

HEADER = "date,person,client,job,task,description,hours,billable\n"
ROW = "2026-11-03,Anna Schmidt,ACME,website,,Homepage layout,1.5,yes\n"


def test_comma_csv_keeps_source_rows(ws):
    ws.input("a.csv", HEADER + ROW + "\n" + ROW.replace("1.5", "2").replace("Homepage", "Footer"))
    run = ws.check()
    assert not run.problems
    assert run.entries[["source_file", "source_row", "duration_s"]].values.tolist() == [
        ["input/a.csv", 2, 5400], ["input/a.csv", 4, 7200]]  # the blank line 3 keeps its number
    assert run.files[0].encoding == "utf-8" and run.files[0].separator == ","


def test_german_excel_csv_semicolon_cp1252_decimal_comma_dotted_dates(ws):
    text = "date;person;client;job;task;description;hours;billable\n03.11.2026;Anna Schmidt;ACME;website;;Übersicht für Müller;1,5;ja\n"
    ws.input("a.csv", text.encode("cp1252"))
    run = ws.check()
    assert not run.problems
    e = run.entries.iloc[0]
    assert (e["date"].date(), e["duration_s"], e["description"]) == (date(2026, 11, 3), 5400, "Übersicht für Müller")
    assert (run.files[0].encoding, run.files[0].separator) == ("cp1252", ";")


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"])
def test_bom_encodings(ws, encoding):
    ws.input("a.csv", (HEADER + ROW.replace("Homepage", "Größe")).encode(encoding))
    run = ws.check()
    assert not run.problems and run.entries["description"].tolist() == ["Größe layout"]


@pytest.mark.parametrize(("length", "refused"), [(32_766, False), (32_767, True)])
def test_a_value_as_long_as_a_cell_is_refused_even_where_each_of_its_lines_is_short(ws, length, refused):
    """The reader tells the build that no cell can be that long by its longest record, not line: a
    quoted value of short lines is still one cell."""
    value = (("y" * 99 + "\n") * 400)[:length - 1] + "y"
    assert len(value) == length and max(map(len, value.split("\n"))) < 100
    ws.input("a.csv", HEADER + ROW + f'2026-11-04,Anna Schmidt,ACME,website,,"{value}",1,yes\n'
             + ROW.replace("Homepage", "Footer"))
    found = [(p.code, p.source.row, p.source.column) for p in ws.check().problems]
    assert found == ([("too-long", 3, "description")] if refused else [])


def test_tab_separated_and_header_case_and_column_order(ws):
    ws.input("a.tsv", "Hours\tDate\tPerson\tClient\tJob\tDescription\n1:30\t2026-11-03\ta. schmidt\tacme corp.\t"
                      "WEBSITE RELAUNCH 2026\tx\n")
    run = ws.check()
    assert not run.problems
    e = run.entries.iloc[0]
    assert (e["person_name"], e["client_key"], e["job_key"], e["duration_s"]) == ("Anna Schmidt", "acme", "website",
                                                                                   5400)


def test_quoted_fields_with_separators_and_newlines(ws):
    ws.input("a.csv", HEADER + '2026-11-03,Anna Schmidt,ACME,website,,"Layout, part 1\nand 2",1.5,\n' + ROW)
    run = ws.check()
    assert not run.problems
    assert run.entries["source_row"].tolist() == [2, 3]  # rows as a spreadsheet counts them


def test_start_and_end_give_utc_instants_and_duration(ws):
    ws.input("a.csv", """\
        date,person,client,job,description,hours,start,end
        2026-11-03,Anna Schmidt,ACME,website,x,,09:00,10:30
        2026-11-03,Anna Schmidt,ACME,website,y,,23:30,00:30
        """)
    run = ws.check()
    assert problem_lines(run) == ["input/a.csv:3:end: warning: ends the next day (starts 23:30, ends 00:30) "
                                  "— fine for night work, otherwise correct the times"]
    e = run.entries
    assert e["duration_s"].tolist() == [5400, 3600]  # the second crosses midnight
    assert str(e["start"].iloc[0]) == "2026-11-03 08:00:00+00:00"


def test_xlsx_rows_are_the_rows_excel_shows(ws):
    book = Workbook()
    sheet = book.active
    sheet.append(["Timesheet November"])  # a title above the header
    sheet.append([])
    sheet.append(["date", "person", "client", "job", "task", "description", "hours", "billable"])
    sheet.append([datetime(2026, 11, 3), "Anna Schmidt", "ACME", "website", None, "Layout", 1.5, "yes"])
    sheet.append([])
    sheet.append([date(2026, 11, 4), "Ben Okafor", "Globex Corporation", "app", None, "API", time(2, 15), True])
    sheet.append([date(2026, 11, 5), "Ben Okafor", "globex", "app", None, "API", "zwei", None])
    book.save(ws.root / "input" / "book.xlsx")
    run = ws.check()
    assert problem_lines(run) == ["input/book.xlsx:7:hours: error: unreadable hours 'zwei' — use 1.5, 1,5 or 1:30 "
                                  "(hours), or 1:30:00"]
    assert run.entries["source_row"].tolist() == [4, 6, 7]
    assert run.entries["duration_s"].fillna(-1).tolist() == [5400, 8100, -1]


def test_xlsx_start_and_end_as_date_time_cells(ws):
    book = Workbook()
    book.active.append(["date", "person", "client", "job", "description", "start", "end"])
    book.active.append([date(2026, 11, 2), "Anna Schmidt", "ACME", "website", "x", datetime(2026, 11, 2, 13, 0),
                        datetime(2026, 11, 2, 14, 30)])
    book.save(ws.root / "input" / "book.xlsx")
    run = ws.check()
    assert not run.problems and run.entries["duration_s"].tolist() == [5400]


def test_xlsx_sheets_each_read_and_other_sheets_reported(ws):
    book = Workbook()
    for title in ("Week 46", "Week 47"):
        sheet = book.create_sheet(title)
        sheet.append(HEADER.strip().split(","))
        sheet.append(["2026-11-03" if title == "Week 46" else "2026-11-17", "Anna Schmidt", "ACME", "website", "",
                      "x", 1, ""])
    book["Sheet"].append(["Notes for the team"])
    book.save(ws.root / "input" / "book.xlsx")
    run = ws.check()
    assert problem_lines(run) == ["input/book.xlsx[Sheet]: warning: sheet not read: its header is not a timesheet "
                                  "format"]
    assert sorted(run.entries["source_file"]) == ["input/book.xlsx[Week 46]", "input/book.xlsx[Week 47]"]


def test_a_sheet_that_nearly_is_a_timesheet_makes_the_workbook_unreadable(ws):
    book = Workbook()
    book.active.append(HEADER.strip().split(","))
    book.active.append(["2026-11-03", "Anna Schmidt", "ACME", "website", "", "x", 1, ""])
    sheet = book.create_sheet("Week 46")
    sheet.append(["date", "person", "client", "job", "description", "duration"])
    sheet.append(["2026-11-10", "Anna Schmidt", "ACME", "website", "y", 8])
    book.save(ws.root / "input" / "book.xlsx")
    run = ws.check()
    assert run.unreadable == ("input/book.xlsx",)
    assert problem_lines(run)[0].startswith("input/book.xlsx[Week 46]:1: error: looks like a native timesheet but "
                                            "lacks column(s) hours")


@pytest.mark.parametrize("name, content, expected", [
    ("empty.csv", b"", "input/empty.csv: error: the file is empty — export it again"),
    ("blank.csv", b"\n \n", "input/blank.csv: error: the file is empty — export it again"),
    ("garbage.csv", bytes(range(256)) * 4,
     "input/garbage.csv: error: this is not a text file (it holds binary data) — export the timesheet as CSV or XLSX"),
    ("latin.csv", (HEADER + ROW).encode("utf-8") + b"\x81\x8d",
     "input/latin.csv: error: cannot decode the file as UTF-8, UTF-16 or Windows-1252 text — save it as CSV UTF-8"),
    ("other.csv", b"Name,Amount\nx,1\n",
     "input/other.csv:1: error: unrecognised header 'Name,Amount' — the first row must be the header of a Toggl "
     "Track, Clockify, Harvest, Kimai or solidtime export, or the native timesheet (date,person,client,job,task,"
     "description,hours,billable (optional: start,end))"),
    ("nearly.csv", b"date,person,client,task,hours\n",
     "input/nearly.csv:1: error: looks like a native timesheet but lacks column(s) job — the header must be "
     "date,person,client,job,task,description,hours,billable (optional: start,end)"),
    ("ragged.csv", (HEADER + ROW + ROW.strip() + ",extra\n").encode(),
     "input/ragged.csv:3: error: this row has 9 fields but the header has 8 — a value containing ',' must be in "
     "double quotes"),
    ("short.csv", (HEADER + ROW + "2026-11-03,Anna Schmidt,ACME,website,,3,1\n").encode(),
     "input/short.csv:3: error: this row has 7 fields but the header has 8 — a value or a separator is missing"),
    ("quote.csv", (HEADER + ROW + '2026-11-03,Anna Schmidt,ACME,website,,"Layout,1,\n' + ROW).encode(),
     'input/quote.csv:3: error: a double quote (") opened in this row is never closed, so the rest of the file '
     "would be one value — close or remove the quote"),
    ("twice.csv", b"date,person,client,job,hours,Hours\n2026-11-03,Anna Schmidt,ACME,website,1,2\n",
     "input/twice.csv:1:hours: error: column 'hours' appears 2 times (columns 5, 6) — keep one"),
    ("mixed.csv", (HEADER + ROW.replace("Homepage", "Größe")).encode() + b"2026-11-04,J\xf6rg,ACME,website,,x,1,\n",
     "input/mixed.csv:3: error: this line is not UTF-8 although the rest of the file is (byte 0xf6) — save the "
     "file again as CSV UTF-8"),
    ("both.csv", b"date;person;client;job;hours;x,date,person,client,job,hours\n",
     "input/both.csv:1: error: the header reads as a timesheet with comma and semicolon separators — save it with "
     "one separator"),
    ("fake.xlsx", b"PK\x03\x04 not really a zip", None),
])
def test_unreadable_files_are_errors_naming_the_file(ws, name, content, expected):
    ws.input(name, content)
    ws.input("good.csv", HEADER + ROW)
    run = ws.check()
    lines = problem_lines(run)
    assert run.unreadable == (f"input/{name}",)
    assert not run.ok
    if expected:
        assert lines == [expected]
    else:
        (line,) = lines
        assert line.startswith(f"input/{name}: error: cannot read this workbook (")
    assert run.entries["source_file"].tolist() == ["input/good.csv"]  # the other file is still read


def test_old_mac_line_ends_and_stray_carriage_returns(ws):
    ws.input("a.csv", (HEADER + ROW + ROW.replace("Homepage", "Footer")).replace("\n", "\r").encode())
    ws.input("b.csv", (HEADER + ROW.replace("Homepage", "Foo\rbar")).encode())
    run = ws.check()
    assert run.unreadable == ("input/b.csv",)
    assert run.entries["source_row"].tolist() == [2, 3]


def test_trailing_empty_columns_are_harmless(ws):
    ws.input("a.csv", HEADER.strip() + ",,\n" + ROW + ROW.replace("Homepage", "X").strip() + ",,\n")
    ws.input("b.csv", HEADER + ROW.replace("Homepage", "Y").replace("1.5", "2").strip() + ",,,\n")
    ws.input("c.csv", HEADER + ROW.replace("Homepage", "Z").strip() + ",,oops\n")
    run = ws.check()
    assert problem_lines(run) == ["input/c.csv:2: error: this row has 10 fields but the header has 8 — a value "
                                  "containing ',' must be in double quotes"]
    assert len(run.entries) == 3


def test_every_ragged_row_is_listed(ws):
    ws.input("a.csv", HEADER + ROW + "1,2\n" + ROW + ROW.strip() + ",x,y\n")
    assert problem_lines(ws.check()) == [
        "input/a.csv:3: error: this row has 2 fields but the header has 8 — a value or a separator is missing",
        "input/a.csv:5: error: this row has 10 fields but the header has 8 — a value containing ',' must be in "
        "double quotes",
    ]


def test_excel_sep_line_names_the_separator(ws):
    ws.input("a.csv", "sep=;\n" + HEADER.replace(",", ";") + ROW.replace(",", ";"))
    run = ws.check()
    assert not run.problems and run.entries["source_row"].tolist() == [2]  # Excel does not show the sep= line


def test_stray_rows_and_half_given_times(ws):
    ws.input("a.csv", """\
        date,person,client,job,description,hours,start,end
        2026-11-03,Anna Schmidt,ACME,website,x,,09:00,
        2026-11-03,Anna Schmidt,ACME,website,y,,,10:00
        ,,,,Total,12.5,,
        """)
    assert problem_lines(ws.check()) == [
        "input/a.csv:2:end: error: end is empty — give both start and end, or hours",
        "input/a.csv:3:start: error: start is empty — give both start and end, or hours",
        "input/a.csv:4: error: no date, person, client or job — delete the row if it is a totals or note row, or "
        "fill it in",
    ]


def test_totals_and_repeated_header_rows_are_one_error_each(ws):
    ws.input("a.csv", HEADER + ROW + ",,,,,Total,42,Summe\n" + HEADER + ROW.replace("Homepage", "Footer"))
    assert problem_lines(ws.check()) == [
        "input/a.csv:3: error: no date, person, client or job — delete the row if it is a totals or note row, or "
        "fill it in",
        "input/a.csv:4: error: the header again — delete this row",
    ]


def test_an_empty_timesheet_is_read_as_no_entries_an_empty_export_is_an_error(ws):
    ws.input("a.csv", HEADER)
    run = ws.check()
    assert [p.code for p in run.problems] == ["no-input"]  # not an error: input/ simply has no entries
    assert len(run.entries) == 0 and run.files[0].rows == 0
    ws.input("toggl.csv", "User,Email,Client,Project,Task,Description,Billable,Start date,Start time,End date,"
                          "End time,Duration,Tags\n")
    assert problem_lines(ws.check()) == [
        "input/toggl.csv: error: the export has a header but no entries — export it again; if there really was no "
        "time, delete it"]


def test_unparseable_rows_are_kept_never_zero_hours(ws):
    ws.input("a.csv", HEADER + ROW
             + "2026-11-04,Anna Schmidt,ACME,website,,x,anderthalb,\n"
             + "04.13.2026,Anna Schmidt,ACME,website,,x,1,\n"
             + "2026-11-04,Anna Schmidt,ACME,website,,x,,\n"
             + "2026-11-04,Anna Schmidt,ACME,website,,x,1,vielleicht\n")
    run = ws.check()
    assert problem_lines(run) == [
        "input/a.csv:3:hours: error: unreadable hours 'anderthalb' — use 1.5, 1,5 or 1:30 (hours), or 1:30:00",
        "input/a.csv:4:date: error: unreadable date '04.13.2026' — use YYYY-MM-DD, DD.MM.YYYY, DD.MM.YY, DD/MM/YYYY "
        "or MM/DD/YYYY",
        "input/a.csv:5:hours: error: hours is empty — give hours (or start and end)",
        "input/a.csv:6:billable: error: unreadable billable 'vielleicht' — use yes/no, ja/nein, true/false, 1/0 or x "
        "for yes",
    ]
    assert len(run.entries) == 5
    assert run.entries["duration_s"].isna().tolist() == [False, True, False, True, False]
    assert 0 not in run.entries["duration_s"].dropna().tolist()


def test_dst_gaps_and_repeats_are_errors(ws):
    ws.input("a.csv", """\
        date,person,client,job,description,hours,start,end
        2026-03-29,Anna Schmidt,ACME,website,x,,02:30,03:30
        2026-10-25,Anna Schmidt,ACME,website,x,,02:30,03:30
        """)
    assert problem_lines(ws.check("2026")) == [
        "input/a.csv:2:start: error: 2026-03-29 02:30 does not exist in Europe/Berlin (clocks jump forward) — "
        "correct the time",
        "input/a.csv:3:start: error: 2026-10-25 02:30 happens twice in Europe/Berlin (clocks go back) — give hours "
        "instead of start, or move the time out of that hour",
    ]


def test_an_ambiguous_time_with_hours_given_is_only_a_warning(ws):
    ws.input("a.csv", """\
        date,person,client,job,description,hours,start,end
        2026-10-25,Anna Schmidt,ACME,website,x,1,02:30,03:30
        """)
    run = ws.check("2026-10")
    assert [str(p) for p in run.problems if p.code == "dst-ambiguous"] == [
        "input/a.csv:2:start: warning: 2026-10-25 02:30 happens twice in Europe/Berlin (clocks go back) — the hours "
        "count; the time of day is left out"]
    assert run.ok
    assert run.entries["duration_s"].tolist() == [3600]


def test_hidden_lock_and_calendar_files(ws):
    ws.input("a.csv", HEADER + ROW)
    ws.input(".hidden", "junk")
    ws.input("._a.csv", "junk")  # macOS's AppleDouble file beside a.csv on a shared drive
    ws.input("~$book.xlsx", "junk")
    ws.input("notes.txt.bak", "junk")
    run = ws.check()
    assert problem_lines(run) == ["input/notes.txt.bak: warning: ignored: not a timesheet or calendar file (.csv, "
                                  ".tsv, .xlsx, .xlsm, .xls, .ods, .json, Watson's frames, .ics)"]
    assert [f.path for f in run.files] == ["input/a.csv"]


READ = ("put the exports there: native timesheet, Toggl Track detailed report, Clockify detailed report, Harvest "
        "detailed time report, Kimai timesheet export, solidtime detailed export, solidtime import CSV, Watson frames "
        "file (.csv, .json, .ods, .tsv, .xls, .xlsm, .xlsx), and calendars (.ics)")


@pytest.mark.parametrize("make, state", [
    (lambda input: input.rmdir(), "the input/ folder is missing — create it"),
    (lambda input: (input.rmdir(), input.write_text("x")),
     "input is a file, not a folder — move it away, create the folder input/"),
    (lambda input: None, "no time entries in input/ (0 files read, none with entries) — nothing was checked"),
    (lambda input: (input / "template.csv").write_text("date,person,client,job,task,description,hours,billable\n"),
     "no time entries in input/ (1 file read, none with entries) — nothing was checked"),
])
def test_an_input_folder_without_entries_is_a_warning_naming_what_is_read(ws, make, state):
    make(ws.root / "input")
    assert problem_lines(ws.check()) == [f"input/: warning: {state}; {READ}"]
    result = ws.cli("check", "--period", "2026-11")
    assert result.exit_code == 0 and "Result    NOTHING CHECKED: no time entries were read from input/" in result.output


def test_entries_of_another_period_or_a_calendar_are_something_read(ws):
    ws.input("week.csv", """\
        date,person,client,job,task,description,hours,billable
        2026-10-03,Anna Schmidt,ACME,website,,Layout,1.5,
        """)
    assert "no-input" not in {p.code for p in ws.check().problems}
    (ws.root / "input" / "week.csv").unlink()
    ws.input("anna.ics", "BEGIN:VCALENDAR\nVERSION:2.0\nEND:VCALENDAR\n")
    assert "no-input" not in {p.code for p in ws.check().problems}


def test_spans_across_a_clock_change_are_real_time_and_say_so(ws):
    ws.input("a.csv", """\
        date,person,client,job,description,hours,start,end
        2026-03-29,Anna Schmidt,ACME,website,x,3,01:00,04:00
        2026-10-24,Anna Schmidt,ACME,website,y,,22:00,06:00
        """)
    run = ws.check("2026")
    assert [line for line in problem_lines(run) if "error" in line] == [
        "input/a.csv:2:hours: error: hours say 3:00 but start–end spans 2:00 (the clocks changed that night) — "
        "correct one of them"]
    assert run.entries["duration_s"].tolist() == [10800, 9 * 3600]


def test_a_format_may_leave_out_optional_fields(ws):
    import pandas as pd

    from auftakt_batch.ingest.build import Rules, build_entries
    from auftakt_batch.ingest.formats import Format
    from auftakt_batch.ingest.read import Table

    lean = Format("lean", "lean export", {"date": ("day",), "person": ("who",), "client": ("customer",),
                                          "job": ("project",), "hours": ("h",)},
                  frozenset({"date", "person", "client", "job", "hours"}))
    rows = pd.DataFrame({0: ["2026-11-03"], 1: ["Anna Schmidt"], 2: ["ACME"], 3: ["website"], 4: ["1"],
                         "source_row": [2]})
    entries, problems, labels = build_entries(Table("x.csv", "lean", ("day", "who", "customer", "project", "h"),
                                                    rows), lean, Rules("Europe/Berlin"))
    assert problems == [] and entries["task"].tolist() == [""] and entries["duration_s"].tolist() == [3600]
    assert labels == {"date": "day", "person": "who", "client": "customer", "job": "project", "hours": "h"}


def test_a_zip_bomb_named_xlsx_is_refused_before_unpacking(ws):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:  # 64 MB of zeros, about 64 KB packed
            for _ in range(64):
                sheet.write(b"0" * 2**20)
    ws.input("bomb.xlsx", buffer.getvalue())
    run = ws.check()
    assert run.unreadable == ("input/bomb.xlsx",)
    (line,) = problem_lines(run)
    assert line.startswith("input/bomb.xlsx: error: this workbook would unpack to 64 MB from ")
    assert line.endswith(" KB — not a timesheet export; not read")


def test_an_xml_entity_bomb_in_a_workbook_expands_nothing(ws):
    import io
    import zipfile

    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["date", "person", "client", "job", "hours"])
    plain = io.BytesIO()
    book.save(plain)
    lol = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
           + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
           + ']>')
    bombed = io.BytesIO()
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(bombed, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>', b"")
                data = lol.encode() + data.replace(b"<v>", b"<v>&lol9;", 1) if b"<v>" in data else lol.encode() + data
            target.writestr(item, data)
    ws.input("lol.xlsx", bombed.getvalue())
    run = ws.check()  # returns at once: the entities are not expanded a billion times
    assert all(len(p.message) < 2000 for p in run.problems)


def test_a_csv_named_xlsx_is_told_to_be_renamed(ws):
    ws.input("export.xlsx", HEADER + ROW)
    run = ws.check()
    assert problem_lines(run) == ["input/export.xlsx: error: this is a text file, not a workbook — if it is a CSV "
                                  "export, rename it to .csv"]


@pytest.mark.parametrize("top, end", [("", "\n"), ("", "\r\n"), ("\n \n", "\n"), ("sep=,\n", "\r\n")])
def test_a_large_csv_reads_as_a_small_one(tmp_path, top, end):
    """A large export is parsed from its bytes (its text let go first): with Windows line ends,
    blank lines above the header or Excel's sep= line, it gives the table the csv module gives."""
    rows = [ROW.replace("Homepage layout", f'"Homepage, take {i}"') for i in range(400)]  # 26 KB
    path = tmp_path / "big.csv"
    path.write_bytes((top + HEADER + "".join(rows)).replace("\n", end).encode())
    large = read_csv(path, "big.csv", recognise, describe_unknown)
    with patch("auftakt_batch.ingest.read.SMALL_CSV", 10**9):  # read by the csv module, as a small file is
        small = read_csv(path, "big.csv", recognise, describe_unknown)
    assert large.header == small.header
    pd.testing.assert_frame_equal(large.rows, small.rows)
    above = top.count("\n") - top.count("sep=")  # rows a spreadsheet shows above the header: not the sep= line
    assert large.rows["source_row"].iloc[[0, -1]].tolist() == [2 + above, 401 + above]
    assert large.rows.iloc[-1].tolist()[:6] == ["2026-11-03", "Anna Schmidt", "ACME", "website", "", "Homepage, take 399"]


CSV_TEXT = st.text(alphabet='ab;" \n', min_size=1, max_size=60)  # read_csv never counts an empty file


@settings(max_examples=examples(3000))
@given(CSV_TEXT)
def test_fields_are_counted_over_the_bytes_as_the_csv_module_reads_them(body):
    """The count that lets pandas read a file without the csv module: where it counts at all
    (quotes only around fields, or doubled inside them), it is the csv module's, record by record."""
    records = _records(body.encode(), ";")
    if records is not None:
        rows = list(csv.reader(io.StringIO(body), delimiter=";"))
        assert records.fields.tolist() == [len(r) for r in rows]
        assert all(len(cell) <= records.longest for r in rows for cell in r)  # a bound on every cell
    with patch.multiple("auftakt_batch.ingest.read", BLOCK_BYTES=3, BLOCK_LINES=2):  # a large file's blocks
        in_blocks = _records(body.encode(), ";")
    assert (in_blocks is None) == (records is None)
    assert records is None or (in_blocks.fields.tolist(), in_blocks.longest) == (records.fields.tolist(),
                                                                                  records.longest)


@settings(max_examples=examples(300), deadline=None)
@given(st.lists(st.tuples(st.text(alphabet='ab;" ,', max_size=8), st.text(alphabet='ab ;"', max_size=5)),
                max_size=6))
def test_a_file_read_by_pandas_alone_reads_as_read_record_by_record(tmp_path_factory, rows):
    """The fast path (pandas, fields counted over the bytes) and the careful one (the csv
    module first) give the same table."""
    lines = ["date;person;client;job;description;hours"] + [
        f'2026-11-03;Anna Schmidt;ACME;website;"{a.replace(chr(34), 2 * chr(34))}";{b}' for a, b in rows]
    path = tmp_path_factory.mktemp("csv") / "t.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    def outcome():
        try:
            table = read_csv(path, "t.csv", recognise, describe_unknown)
        except FileError as exc:
            return [str(p) for p in exc.problems]
        return table.header, table.rows

    fast = outcome()
    with patch("auftakt_batch.ingest.read._records", return_value=None):
        careful = outcome()
    if isinstance(fast, list):
        assert fast == careful
    else:
        assert fast[0] == careful[0]
        pd.testing.assert_frame_equal(fast[1], careful[1])
