"""Expense exports: recognised from their header beside the timesheets, read into Expenses with
Decimal amounts, every bad value located at its file, row and column, names resolved against
rates.yaml (conftest's), and the same expense in two exports counted once."""

import json
from decimal import Decimal

import pandas as pd
from openpyxl import Workbook

from auftakt_batch.ingest.formats import recognise
from auftakt_batch.schemas import Expenses as X

from .conftest import dedent, problem_lines

NATIVE = "date,person,client,job,category,description,amount,currency,billable,receipt\n"
# Harvest's detailed expense report and Clockify's expense report, as modelled in their formats/ modules
HARVEST = ("Date,Client,Project,Project Code,Expense Category,Notes,Units,Amount,Billable?,Invoiced?,First Name,"
           "Last Name,Currency,Receipt URL\n")
CLOCKIFY = "Date,Project,Client,Category,User,Email,Note,Amount (EUR),Billable,Invoiced,Receipt\n"
TIMESHEET = "date,person,client,job,task,description,hours,billable\n2026-11-03,Anna Schmidt,ACME,website,,Layout,1.5,\n"
FIELDS = (X.source_row, X.date, X.person_name, X.client_key, X.job_key, X.category, X.description, X.amount,
          X.currency, X.billable, X.receipt)


def rows(run, *columns: str) -> list[tuple]:
    frame = run.expenses
    return [tuple(r) for r in frame[list(columns or FIELDS)].itertuples(index=False)]


def day(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


def test_the_native_expense_sheet_is_read_exactly(ws):
    ws.input("receipts/taxi-1103.pdf", "%PDF-1.4\n")
    ws.input("expenses.csv", NATIVE
             + "2026-11-03,Anna Schmidt,ACME,website,Travel,Taxi to the workshop,\"12,50\",EUR,yes,"
               "receipts/taxi-1103.pdf\n"
             + "2026-11-04,A. Schmidt,acme,Website Relaunch 2026,Stock photos,Hero image,\"1.234,50\",eur,0,\n"
             + "2026-11-05,Ben Okafor,Globex Corporation,app,Software,,99,,,\n")
    run = ws.check()
    assert problem_lines(run) == []
    assert rows(run) == [
        (2, day("2026-11-03"), "Anna Schmidt", "acme", "website", "Travel", "Taxi to the workshop", Decimal("12.50"),
         "EUR", True, "receipts/taxi-1103.pdf"),
        (3, day("2026-11-04"), "Anna Schmidt", "acme", "website", "Stock photos", "Hero image", Decimal("1234.50"),
         "EUR", False, None),
        (4, day("2026-11-05"), "Ben Okafor", "globex", "app", "Software", "", Decimal("99"), "EUR", True, None),
    ]
    assert all(type(a) is Decimal for a in run.expenses[X.amount])  # never a float
    assert run.expenses[X.source_format].unique().tolist() == ["native-expenses"]
    X.validate(run.expenses, lazy=True)


def test_the_native_expense_sheet_as_a_workbook(ws):
    book = Workbook()
    sheet = book.active
    sheet.append(NATIVE.strip().split(","))
    sheet.append([pd.Timestamp("2026-11-03").to_pydatetime(), "Ben Okafor", "globex", "app", "Hosting", "Server",
                  49.9, "EUR", "true", None])
    sheet.append([pd.Timestamp("2026-11-04").to_pydatetime(), "Ben Okafor", "globex", "app", "Hosting", "Backup",
                  12, "EUR", False, None])
    book.save(ws.root / "input" / "expenses.xlsx")
    run = ws.check()
    assert problem_lines(run) == []
    assert rows(run, X.source_file, X.date, X.amount, X.billable) == [
        ("input/expenses.xlsx", day("2026-11-03"), Decimal("49.9"), True),
        ("input/expenses.xlsx", day("2026-11-04"), Decimal("12"), False),
    ]


def test_harvests_expense_report(ws):
    ws.input("harvest_expenses_report_2026-11.csv", HARVEST
             + "2026-11-03,ACME GmbH,Website Relaunch 2026,WEB,Travel,Train to Hamburg,,\"1,165.50\",Yes,No,Anna,"
               "Schmidt,Euro - EUR,https://studio.harvestapp.com/expenses/1/receipt\n"
             + "11/24/2026,Globex Corporation,app,,Meals,Team lunch,,80.00,No,No,Ben,Okafor,Euro - EUR,\n")
    run = ws.check()
    assert problem_lines(run) == []
    assert rows(run, X.source_format, X.date, X.person_name, X.client_key, X.job_key, X.category, X.description,
                X.amount, X.currency, X.billable, X.receipt) == [
        ("harvest-expenses", day("2026-11-03"), "Anna Schmidt", "acme", "website", "Travel", "Train to Hamburg",
         Decimal("1165.50"), "EUR", True, None),  # a receipt URL is Harvest's, no file to attach
        ("harvest-expenses", day("2026-11-24"), "Ben Okafor", "globex", "app", "Meals", "Team lunch",
         Decimal("80.00"), "EUR", False, None),
    ]


def test_clockifys_expense_report(ws):
    ws.input("Clockify_Expense_Report_01_11_2026-30_11_2026.csv", CLOCKIFY
             + "05/11/2026,app,Globex Corporation,Mileage,Ben Okafor,ben@studio.example,Client visit,42.30,Yes,No,\n"
             + "20/11/2026,Website Relaunch 2026,ACME GmbH,Stock,anna.s,anna@studio.example,Icons,19.00,No,No,\n")
    run = ws.check()
    assert problem_lines(run) == []
    assert rows(run, X.source_format, X.date, X.person_name, X.client_key, X.job_key, X.category, X.description,
                X.amount, X.currency, X.billable) == [
        ("clockify-expenses", day("2026-11-05"), "Ben Okafor", "globex", "app", "Mileage", "Client visit",
         Decimal("42.30"), "EUR", True),
        ("clockify-expenses", day("2026-11-20"), "Anna Schmidt", "acme", "website", "Stock", "Icons",
         Decimal("19.00"), "EUR", False),  # the user found by email; the currency from the header
    ]


def test_expense_headers_are_never_timesheets_nor_the_reverse():
    assert recognise(NATIVE.strip().split(",")) == "native-expenses"
    assert recognise(HARVEST.strip().split(",")) == "harvest-expenses"
    assert recognise(CLOCKIFY.strip().split(",")) == "clockify-expenses"
    assert recognise(TIMESHEET.split("\n")[0].split(",")) == "native"
    harvest_time = ("Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,Invoiced?,Approved?,First Name,"
                    "Last Name,Billable Rate,Billable Amount,Currency")
    assert recognise(harvest_time.split(",")) == "harvest"


def test_a_timesheet_beside_an_expense_sheet_each_read_by_its_own_reader(ws):
    ws.input("week.csv", TIMESHEET)
    ws.input("expenses.csv", NATIVE + "2026-11-03,Anna Schmidt,ACME,website,Travel,Taxi,12.50,EUR,,\n")
    run = ws.check()
    assert problem_lines(run) == []
    assert [(f.path, f.format, f.rows) for f in run.files] == [("input/week.csv", "native", 1)]
    assert run.entries["source_file"].tolist() == ["input/week.csv"]
    assert run.entries["duration_s"].tolist() == [5400]
    assert rows(run, X.source_file, X.amount) == [("input/expenses.csv", Decimal("12.50"))]


def test_bad_values_are_errors_at_their_row_and_column(ws):
    ws.input("expenses.csv", NATIVE
             + "2026-11-03,Anna Schmidt,ACME,website,Travel,Taxi,12x,EUR,yes,\n"
             + "2026-13-40,Anna Schmidt,ACME,website,Travel,Taxi,12.00,EUR,yes,\n"
             + "2026-11-04,Anna Schmidt,ACME,website,Travel,Taxi,12.00,EUR,maybe,\n"
             + "2026-11-05,Anna Schmidt,Nobody Inc,website,Travel,Taxi,12.00,EUR,yes,\n"
             + "2026-11-06,Anna Schmidt,ACME,website,Travel,Refund,-12.00,Euro,yes,\n"
             + "2026-11-07,,ACME,website,Travel,Taxi,,EUR,yes,\n")
    run = ws.check()
    assert problem_lines(run) == [
        "input/expenses.csv:2:amount: error: unreadable amount '12x' — use a number such as 1,234.50 or 1.234,50, "
        "optionally with its currency",
        "input/expenses.csv:3:date: error: unreadable date '2026-13-40' — use YYYY-MM-DD, DD.MM.YYYY, DD.MM.YY, "
        "DD/MM/YYYY or MM/DD/YYYY",
        "input/expenses.csv:4:billable: error: unreadable billable 'maybe' — use yes/no, ja/nein, true/false, 1/0 or "
        "x for yes",
        "input/expenses.csv:5:client: error: unknown client 'Nobody Inc' — add it (or an alias) to rates.yaml; known: "
        "acme (ACME GmbH), globex (Globex Corporation), studio (Studio (internal))",
        "input/expenses.csv:6:amount: error: a negative amount (-12.00) — an expense is money spent: record a refund "
        "as a credit, not a negative expense, or delete the row",
        "input/expenses.csv:6:currency: error: unreadable currency 'Euro' — use its three-letter code (EUR, USD, CHF)",
        "input/expenses.csv:7:amount: error: amount is empty — every expense needs one",
        "input/expenses.csv:7:person: error: person is empty — every expense needs one",
    ]
    assert len(run.expenses) == 6  # every bad row kept (the undated one too), none dropped


def test_a_harvest_header_names_the_column_as_the_file_does(ws):
    ws.input("harvest.csv", HARVEST + "2026-11-03,ACME GmbH,website,,Travel,Taxi,,zwölf,Yes,No,Anna,Schmidt,EUR,\n")
    assert problem_lines(ws.check()) == [
        "input/harvest.csv:2:Amount: error: unreadable amount 'zwölf' — use a number such as 1,234.50 or 1.234,50, "
        "optionally with its currency"]


def test_a_missing_receipt_is_a_warning_on_its_row_and_the_expense_keeps_none(ws):
    ws.input("expenses.csv", NATIVE + "2026-11-03,Anna Schmidt,ACME,website,Travel,Taxi,12.50,EUR,yes,"
                                      "receipts/taxi.pdf\n")
    run = ws.check()
    assert problem_lines(run) == [
        "input/expenses.csv:2:receipt: warning: receipt 'receipts/taxi.pdf' is not in input/ — put the file at "
        "input/receipts/taxi.pdf, or correct the name; the invoice goes out without it"]
    assert rows(run, X.receipt, X.amount) == [(None, Decimal("12.50"))]
    assert run.ok


def test_a_receipt_outside_input_is_refused_unread(ws, tmp_path):
    (tmp_path / "secret.pdf").write_bytes(b"%PDF-1.4\n")
    (ws.root / "input" / "link.pdf").symlink_to(tmp_path / "secret.pdf")
    ws.input("expenses.csv", NATIVE
             + "2026-11-03,Anna Schmidt,ACME,website,Travel,Taxi,1,EUR,yes,../../secret.pdf\n"
             + f"2026-11-04,Anna Schmidt,ACME,website,Travel,Taxi,2,EUR,yes,{tmp_path / 'secret.pdf'}\n"
             + "2026-11-05,Anna Schmidt,ACME,website,Travel,Taxi,3,EUR,yes,link.pdf\n")
    run = ws.check()
    assert [(p.source.row, p.code) for p in run.problems] == [(2, "receipt-outside"), (3, "receipt-outside"),
                                                              (4, "receipt-outside")]
    assert run.expenses[X.receipt].isna().all()


def test_a_pdf_no_expense_names_is_not_read(ws):
    ws.input("receipts/taxi.pdf", "%PDF-1.4\n")
    ws.input("receipts/stray.png", "png")
    ws.input("expenses.csv", NATIVE + "2026-11-03,Anna Schmidt,ACME,website,Travel,Taxi,1,EUR,yes,receipts/taxi.pdf\n")
    assert problem_lines(ws.check()) == [
        "input/receipts/stray.png: warning: ignored: no expense names it as its receipt (nor is it a timesheet or "
        "calendar file)"]


def test_two_overlapping_exports_count_each_expense_once(ws):
    first = "2026-11-03,Anna Schmidt,ACME,website,Travel,Taxi,12.50,EUR,yes,\n"
    twice = "2026-11-04,Ben Okafor,globex,app,Meals,Lunch,20.00,EUR,yes,\n"
    ws.input("expenses-w45.csv", NATIVE + first + twice + twice)  # Ben's lunch logged twice: two expenses
    ws.input("expenses-november.csv", NATIVE + first.replace("12.50", "12.5").replace("ACME", "ACME GmbH")
             + twice + twice + "2026-11-20,Ben Okafor,globex,app,Meals,Dinner,30.00,EUR,yes,\n")
    run = ws.check()
    assert problem_lines(run) == ["input/expenses-w45.csv: note: 3 expenses also in input/expenses-november.csv — "
                                  "counted once"]
    assert sorted(rows(run, X.description, X.amount)) == [
        ("Dinner", Decimal("30.00")), ("Lunch", Decimal("20.00")), ("Lunch", Decimal("20.00")),
        ("Taxi", Decimal("12.5"))]
    assert run.expenses[X.expense_id].is_unique


def test_an_expense_id_is_stable_and_says_what_the_expense_is(ws):
    ws.input("expenses.csv", NATIVE + "2026-11-03,Anna Schmidt,ACME,website,Travel,Taxi,12.50,EUR,yes,\n")
    before = ws.check().expenses[X.expense_id].tolist()
    ws.input("expenses.csv", NATIVE + "2026-11-02,Ben Okafor,globex,app,Meals,Lunch,9,EUR,yes,\n"
                                      "2026-11-03,A. Schmidt,acme,website,travel,taxi,12.5,EUR,no,\n")
    after = ws.check().expenses[X.expense_id].tolist()
    assert after[1] == before[0] and after[0] != before[0]  # moved, respelt, re-flagged: the same expense
    assert before[0].startswith("expense:") and len(before[0]) == len("expense:") + 20


def test_only_the_periods_expenses_and_undated_rows_with_errors(ws):
    ws.input("expenses.csv", NATIVE + "2026-10-31,Anna Schmidt,ACME,website,Travel,Taxi,12x,EUR,yes,\n"
                                      "2026-11-03,Anna Schmidt,ACME,website,Travel,Taxi,1,EUR,yes,\n"
                                      "someday,Anna Schmidt,ACME,website,Travel,Taxi,2,EUR,yes,\n")
    run = ws.check()
    assert rows(run, X.source_row) == [(3,), (4,)]
    # October's bad amount: not ours — only a note that October's expense is outside the period
    assert [(p.source.row, p.code) for p in run.problems] == [(None, "outside-period"), (4, "bad-date")]
    assert str(run.problems[0]) == "input/expenses.csv: note: 1 expense outside 2026-11 ignored (2026-10-31 .. 2026-10-31)"


def test_an_error_on_an_expense_holds_back_its_client_only(ws):
    ws.input("week.csv", TIMESHEET.replace("2026-11-03,Anna", "2026-11-03,Anna") +
             "2026-11-04,Ben Okafor,globex,app,,API,2,\n")
    ws.input("expenses.csv", NATIVE + "2026-11-03,Anna Schmidt,ACME,website,Travel,Taxi,12x,EUR,yes,\n"
                                      "2026-11-04,Ben Okafor,globex,app,Meals,Lunch,9,EUR,yes,\n")
    run = ws.check()
    assert not run.ok
    assert run.held_back() == (frozenset({"acme"}), False)  # located on an expense row: not "everyone"
    assert run.expenses_with_errors().tolist() == [True, False]
    assert not run.with_errors().any()


def test_an_error_on_an_expense_of_an_unknown_client_holds_back_the_nearest(ws):
    ws.input("expenses.csv", NATIVE + "2026-11-03,Anna Schmidt,Acme Corp,website,Travel,Taxi,1,EUR,yes,\n")
    assert ws.check().held_back() == (frozenset({"acme"}), False)


def test_no_expense_files_cost_nothing(ws, monkeypatch):
    from auftakt_batch.check import expenses

    ws.input("week.csv", TIMESHEET)
    monkeypatch.setattr(expenses, "read_expenses", lambda *a: (_ for _ in ()).throw(AssertionError("read")))
    run = ws.check()
    assert run.ok and run.expenses.empty and set(run.expenses.columns) == set(X.to_schema().columns)


def test_check_prints_an_expense_error_and_exits_as_errors_do(ws):
    ws.input("week.csv", TIMESHEET)
    ws.input("expenses.csv", NATIVE + "2026-11-03,Anna Schmidt,ACME,website,Travel,Taxi,12x,EUR,yes,\n")
    result = ws.cli("check", "--period", "2026-11")
    assert result.exit_code == 1
    assert result.output.startswith(
        "input/expenses.csv:2:amount: error: unreadable amount '12x' — use a number such as 1,234.50 or 1.234,50, "
        "optionally with its currency\n\n")
    assert "bad-amount                   1 error" in result.output
    assert "NOT READY" in result.output


def test_check_sums_the_periods_expenses_per_client_in_text_and_json(ws):
    ws.input("expenses.csv", NATIVE + dedent("""\
        2026-11-03,Anna Schmidt,ACME,website,Travel,Taxi,12.50,EUR,yes,
        2026-11-04,Anna Schmidt,ACME,website,Meals,Lunch,30.00,EUR,no,
        2026-11-05,Ben Okafor,globex,app,Fonts,Licence,99.00,EUR,yes,
        """))
    text = ws.cli("check", "--period", "2026-11").output
    assert "Files     1 read\n          input/expenses.csv              expenses\n" in text
    assert ("Expenses  3 expenses in the period (0 with errors)\n"
            "          client         spent    billable\n"
            "          acme           42.50       12.50  EUR\n"  # 12.50 + 30.00 spent, the taxi billable
            "          globex         99.00       99.00  EUR\n") in text
    document = json.loads(ws.cli("check", "--period", "2026-11", "--json").output)
    assert document["expenses"] == [{"client": "acme", "currency": "EUR", "spent": "42.50", "billable": "12.50"},
                                    {"client": "globex", "currency": "EUR", "spent": "99.00", "billable": "99.00"}]


def test_check_writes_large_expense_sums_with_thousands_separators(ws):
    ws.input("expenses.csv", NATIVE + "2026-11-03,Anna Schmidt,ACME,website,Ads,Campaign,1234.50,EUR,yes,\n")
    assert "          acme      1,234.50    1,234.50  EUR\n" in ws.cli("check", "--period", "2026-11").output
