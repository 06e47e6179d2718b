"""The command line as a user meets it: exact output, exit codes, help with examples, init."""

import ast
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from auftakt_batch import cli
from auftakt_batch.cli import main
from auftakt_batch.config import load_config

from .conftest import RATES, edited

HEADER = "date,person,client,job,task,description,hours,billable\n"


def test_check_prints_problems_then_a_summary_and_exits_1_on_errors(ws):
    ws.input("week.csv", HEADER + "2026-11-03,Anna Schmidt,ACME,website,,Layout,1.5,\n"
                                  "2026-11-03,Anna Schmidt,Nobody Inc,website,,Layout,2,\n"
                                  "2026-11-04,Ben Okafor,globex,app,,,1:15,\n")
    result = ws.cli("check", "--period", "2026-11")
    assert result.exit_code == 1
    assert result.output == (
        "input/week.csv:3:client: error: unknown client 'Nobody Inc' — add it (or an alias) to rates.yaml; known: "
        "acme (ACME GmbH), globex (Globex Corporation), studio (Studio (internal))\n"
        "input/week.csv:4:description: warning: 1 entry billable without a description — the client sees the line "
        "unexplained\n"
        "\n"
        "Period    2026-11 (2026-11-01 .. 2026-11-30)\n"
        "Files     1 read\n"
        "          input/week.csv      3 rows  native, utf-8, comma\n"
        "Entries   3 in the period (1 with errors) · 0 outside it, ignored · 0 repeated across files, counted once\n"
        "Hours     client      logged  billable\n"
        "          acme          1.50      1.50\n"
        "          globex        1.25      1.25\n"
        "          total         2.75      2.75\n"
        "          not counted: 2.00 h in 1 entry with errors\n"
        "Problems  1 error · 1 warning · 0 notes\n"
        "          unknown-client               1 error\n"
        "          missing-description          1 warning\n"
        "Result    NOT READY: fix the errors above; they hold back the invoices they touch\n"
    )


def test_check_json(ws):
    ws.input("week.csv", HEADER + "2026-11-03,Anna Schmidt,ACME,website,,Layout,1.5,\n"
                                  "2026-11-04,Ben Okafor,globex,app,,x,1:20,\n2026-11-04,Ben Okafor,studio,admin,,x,1,\n"
                                  "2026-11-05,Ben Okafor,globex,app,,x,eins,\n")
    result = ws.cli("check", "--period", "2026-11", "--json")
    assert result.exit_code == 1
    doc = json.loads(result.output)
    assert doc == {
        "period": "2026-11",
        "start": "2026-11-01",
        "end": "2026-11-30",
        "files": ["input/week.csv"],
        "entries": 4,
        "hours": {"acme": 1.5, "globex": 1.33, "studio": 1.0},
        "problems": [{"file": "input/week.csv", "row": 5, "column": "hours", "severity": "error",
                      "code": "bad-hours", "message": "unreadable hours 'eins' — use 1.5, 1,5 or 1:30 (hours), "
                                                      "or 1:30:00"}],
        "ok": False,
        "errors": 1,
        "warnings": 0,
        "billable_hours": {"acme": 1.5, "globex": 1.33, "studio": 0.0},
        "billed_hours": {"acme": 1.5, "globex": 1.33, "studio": 0.0},  # no rounding rule: as billable
        "entries_with_errors": 1,
        "hours_with_errors": 0.0,
        "invoiced_in_tracker_hours": 0.0,
        "not_approved_hours": 0.0,
        "export_not_billable_hours": 0.0,
        "outside_period": 0,
        "repeated": 0,
        "unreadable": [],
        "calendars": [],
        "untracked_meetings": [],
    }


def test_check_shows_billed_beside_logged_hours_when_a_rounding_rule_is_in_force(ws):
    ws.rates(RATES.replace('  vat_rate: "19"\n', '  vat_rate: "19"\n  rounding: {minutes: 15, mode: up}\n')
             .replace('rate: "150.00"}', 'rate: "150.00", rounding: none}'))
    ws.input("week.csv", HEADER + "2026-11-03,Anna Schmidt,ACME,website,,Layout,0:07,\n"
                                  "2026-11-03,Anna Schmidt,ACME,website,,Menu,1:20,\n"
                                  "2026-11-04,Ben Okafor,globex,app,,API,0:50,\n"
                                  "2026-11-04,Ben Okafor,studio,admin,,Admin,0:10,\n")
    result = ws.cli("check", "--period", "2026-11")
    assert result.exit_code == 0
    hours = result.output[result.output.index("Hours"):result.output.index("Problems")]
    assert hours == (
        "Hours     client      logged  billable    billed\n"
        "          acme          1.45      1.45      1.75\n"  # 0:07 and 1:20 up to 0:15 and 1:30
        "          globex        0.83      0.83      0.83\n"  # its job says rounding: none
        "          studio        0.17      0.00      0.00\n"
        "          total         2.45      2.28      2.58\n"
        "          billed: billable hours after rates.yaml's rounding, +0.30 h (+13.1 %) — `rounding: none` bills them "
        "as logged\n")
    doc = json.loads(ws.cli("check", "--period", "2026-11", "--json").output)
    assert (doc["billable_hours"], doc["billed_hours"]) == ({"acme": 1.45, "globex": 0.83, "studio": 0.0},
                                                            {"acme": 1.75, "globex": 0.83, "studio": 0.0})


def test_clean_check_exits_0(ws):
    ws.input("week.csv", HEADER + "2026-11-03,Anna Schmidt,ACME,website,,Layout,1.5,\n")
    result = ws.cli("check", "--period", "2026-11")
    assert result.exit_code == 0
    assert result.output.endswith("Result    OK: no errors\n")


def test_broken_rates_yaml_is_reported_with_line_and_key(ws):
    ws.rates("agency:\n  name: X\n  colour: red\n")
    result = ws.cli("check", "--period", "2026-11")
    assert result.exit_code == 1
    assert result.output == (
        "rates.yaml:1: clients: missing (required) — add `clients: {…}`\n"
        "rates.yaml:1: team: missing (required) — add `team: [{name: …}]`\n"
        "rates.yaml:2: agency.country: missing (required) — add `country: DE`\n"
        "rates.yaml:2: agency.currency: missing (required) — add `currency: EUR`\n"
        "rates.yaml:2: agency.timezone: missing (required) — add `timezone: Europe/Berlin`\n"
        "rates.yaml:2: agency.vat_rate: missing (required) — add `vat_rate: 19`\n"
        "rates.yaml:3: agency.colour: unknown key — allowed here: accounting, address, appendix, bic, contact, country, currency, email, "
        "group_by, iban, invoice_number, language, mail, managing_directors, missing_day_below, name, payment_terms_days, "
        "phone, region, register, reminders, rounding, tax_number, timezone, vat_id, vat_rate\n"
        "\n"
        "Period    2026-11 (2026-11-01 .. 2026-11-30)\n"
        "Files     not read: rates.yaml must load first\n"
        "Problems  7 errors · 0 warnings · 0 notes\n"
        "          config                       7 errors\n"
        "Result    NOT READY: fix the errors above; they hold back the invoices they touch\n"
    )


def test_bad_period_is_a_usage_error_showing_the_forms(ws):
    result = ws.cli("check", "--period", "November")
    assert result.exit_code == 2
    assert ("'November' is not a period; use 2026-11 (month), 2026-W47 (ISO week), 2026-Q4 (quarter), "
            "2026 (year), 2026-11-01..2026-11-15 (date range)") in result.output


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_has_help_with_an_example(command):
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output and f"auftakt-batch {command}" in result.output


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_is_in_the_readme(command):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert f"| `{command}" in readme, f"README's command table lacks `{command}`"


def test_the_readme_table_of_exit_codes_is_the_codes_the_cli_uses():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("Exit codes"):]
    section = section[:section.index("\n\n", section.index("| code |"))]
    documented = [int(code) for code in re.findall(r"^\| `(\d+)` \|", section, re.MULTILINE)]
    constants = {name: value for name, value in vars(cli).items() if name.startswith("EXIT_")}
    assert sorted(documented) == sorted(constants.values()), f"README's exit codes: {documented}; cli.py: {constants}"
    assert len(set(constants.values())) == len(constants), "two meanings share an exit code"
    # click's own codes are the constants' (a ClickException is a refusal, a UsageError a usage error)
    assert (click.ClickException.exit_code, click.UsageError.exit_code) == (cli.EXIT_DATA_ERRORS, cli.EXIT_USAGE)
    tree = ast.parse(Path(cli.__file__).read_text(encoding="utf-8"))
    exits = [call for call in ast.walk(tree) if isinstance(call, ast.Call) and ast.unparse(call.func) == "sys.exit"]
    numbers = [ast.unparse(call) for call in exits for node in ast.walk(call) if isinstance(node, ast.Constant)]
    assert exits and not numbers, "an exit code written as a number instead of an EXIT_ constant"


def test_workspace_option_everywhere_except_init():
    for name, command in main.commands.items():
        options = {opt for param in command.params for opt in getattr(param, "opts", [])}
        assert name == "init" or "--workspace" in options


def test_init_creates_a_working_workspace_and_refuses_to_overwrite(tmp_path):
    target = tmp_path / "agency"
    result = CliRunner().invoke(main, ["init", str(target)])
    assert result.exit_code == 0, result.output
    assert {p.relative_to(target).as_posix() for p in target.rglob("*")} >= {
        "rates.yaml", "input", "input/timesheet-template.xlsx", "templates", "output"}
    assert "# Money is written as text" in (target / "rates.yaml").read_text()

    check = CliRunner().invoke(main, ["check", "--workspace", str(target), "--period", "2026-11"])
    assert check.exit_code == 0, check.output

    (target / "rates.yaml").write_text("# mine\n")
    again = CliRunner().invoke(main, ["init", str(target)])
    assert again.exit_code == 2
    assert "already holds a workspace (rates.yaml, input, templates, output already there)" in again.output
    assert (target / "rates.yaml").read_text() == "# mine\n"


@pytest.mark.parametrize("make, message", [
    (lambda d: (d.mkdir(), (d / "notes.txt").write_text("x")), "is not empty — choose a new or empty folder"),
    (lambda d: d.write_text("x"), "is a file"),
    (lambda d: None, None),
])
def test_init_only_into_a_new_or_empty_folder(tmp_path, make, message):
    target = tmp_path / "agency"
    make(target)
    result = CliRunner().invoke(main, ["init", str(target)])
    if message is None:
        assert result.exit_code == 0
        nested = CliRunner().invoke(main, ["init", str(target / "input" / "inner")])
        assert nested.exit_code == 2 and "is inside the workspace" in nested.output
    else:
        assert result.exit_code == 2 and message in result.output
        assert "rates.yaml" not in {p.name for p in tmp_path.rglob("*")}


def test_init_reports_a_folder_it_cannot_create(tmp_path):
    (tmp_path / "file").write_text("x")
    result = CliRunner().invoke(main, ["init", str(tmp_path / "file" / "sub")])
    assert result.exit_code == 2 and "cannot create" in result.output and "Traceback" not in result.output


def test_a_missing_workspace_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(main, ["check", "--workspace", str(tmp_path / "nope"), "--period", "2026-11"])
    assert result.exit_code == 2 and "does not exist" in result.output


ARGS = {"check": ["--period", "2026-11"], "bill": ["--period", "2026-11"], "report": ["--period", "2026-11"],
        "review": ["--period", "2026-11"], "accept": ["--period", "2026-11"], "void": ["2026-0001", "--reason", "x"],
        "invoices": [], "status": [], "export": ["--period", "2026-11", "--format", "journal"], "send": [], "payments": [], "remind": []}


@pytest.mark.parametrize("command", sorted(set(main.commands) - {"init"}))
@pytest.mark.parametrize("how", ["--workspace", "current folder", "AUFTAKT_WORKSPACE"])
def test_outside_a_workspace_every_command_is_a_usage_error_that_writes_nothing(command, how, tmp_path,
                                                                                monkeypatch):
    """No rates.yaml: `bill` left output/.billing.lock there, `invoices` said "No invoices yet"."""
    folder = tmp_path / "downloads"
    folder.mkdir()
    (folder / "export.csv").write_text(HEADER)
    monkeypatch.chdir(folder if how == "current folder" else tmp_path)
    where = ["--workspace", str(folder)] if how == "--workspace" else []
    env = {"AUFTAKT_WORKSPACE": str(folder)} if how == "AUFTAKT_WORKSPACE" else {}
    result = CliRunner().invoke(main, [command, *ARGS[command], *where], env=env, catch_exceptions=False)
    shown = f"this folder ({folder})" if how == "current folder" else str(folder)
    assert result.exit_code == 2 and result.output.strip().splitlines()[-1] == (
        f"Error: Invalid value for '--workspace' / '-w': {shown} is not a workspace (it has no rates.yaml) — create "
        "one with `auftakt-batch init DIR`, or give the workspace's folder")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["downloads", "export.csv"]


def test_every_command_is_tried_outside_a_workspace():
    assert set(ARGS) == set(main.commands) - {"init"}


def test_timesheet_template_drop_downs_come_from_rates_yaml(tmp_path):
    target = tmp_path / "agency"
    CliRunner().invoke(main, ["init", str(target)])
    config, _ = load_config(target / "rates.yaml")
    book = load_workbook(target / "input" / "timesheet-template.xlsx")
    sheet = book["Timesheet"]
    assert [c.value for c in sheet[1]] == ["date", "person", "client", "job", "task", "description", "hours",
                                           "billable"]
    assert book["Lists"].sheet_state == "hidden"
    rules = {str(dv.sqref): dv.formula1 for dv in sheet.data_validations.dataValidation}
    assert rules["C2:C2001"] == "=Clients" and rules["B2:B2001"] == "=People"
    assert rules["D2:D2001"] == "=INDIRECT(VLOOKUP($C2,ClientJobs,2,FALSE))"

    def cells(name):
        sheet_name, ref = book.defined_names[name].attr_text.split("!")
        return [c.value for row in book[sheet_name][ref.replace("$", "")] for c in row]

    assert cells("Clients") == [c.name for c in config.clients.values()]
    assert cells("People") == [p.name for p in config.team]
    assert cells("jobs_example") == [j.name for j in config.clients["example"].jobs.values()]
    assert cells("ClientJobs")[1::2] == [f"jobs_{k}" for k in config.clients]


def test_totals_count_only_sound_entries_of_the_period(ws):
    ws.input("week.csv", HEADER + "2026-10-30,Anna Schmidt,ACME,website,,oct,5,\n"
                                  "31.11.2026,Anna Schmidt,ACME,website,,bad date,7,\n"
                                  ",Anna Schmidt,ACME,website,,no date,3,\n"
                                  "2026-11-02,Anna Schmidt,ACME,website,,ok,1,\n"
                                  "2026-11-03,Anna Schmidt,ACME,website,,flag,2,WAHR\n")
    doc = json.loads(ws.cli("check", "--period", "2026-11", "--json").output)
    assert (doc["hours"], doc["entries_with_errors"], doc["hours_with_errors"]) == ({"acme": 1.0}, 3, 12.0)
    december = json.loads(ws.cli("check", "--period", "2026-12", "--json").output)
    assert december["hours"] == {} and december["outside_period"] == 3


LEAN_CHECK = """
import sys
from pathlib import Path
from auftakt_batch.cli import main
try:
    main(["check", "--workspace", sys.argv[1], "--period", "2026-11"])
except SystemExit:
    pass
print("imported:", *sorted(name for name in sys.argv[2:] if name in sys.modules))
"""
HEAVY = ("openpyxl", "lxml", "hypothesis", "pandera", "icalendar",
         "recurring_ical_events", "weasyprint", "jinja2", "babel", "rich", "mt940")


def test_check_imports_nothing_it_does_not_use(ws):
    """No review workbook, no calendar, sound data: check reads no spreadsheet with openpyxl, no
    .ics, imports no pandera (the quick look answers: bad cells are nulls its contracts allow) and
    renders nothing. Each of these is a fixed cost a user pays on every check."""
    ws.input("week.csv", HEADER + "2026-11-03,Anna Schmidt,ACME,website,,Layout,1.5,\n"
                                  "2026-11-04,Ben Okafor,Nobody Inc,app,,API,zwei,\n")
    done = subprocess.run([sys.executable, "-c", LEAN_CHECK, str(ws.root), *HEAVY], capture_output=True, text=True,
                          check=True)
    assert "Result    NOT READY" in done.stdout  # it did check: an unknown client, unreadable hours
    assert done.stdout.splitlines()[-1] == "imported:"


FOLDER = ("rates.yaml: is a folder, not a file — move it away and put the config file in its place "
          "(`auftakt-batch init DIR` writes one)\n")
NOT_LOADED = ("\n"
              "Period    2026-11 (2026-11-01 .. 2026-11-30)\n"
              "Files     not read: rates.yaml must load first\n"
              "Problems  1 error · 0 warnings · 0 notes\n"
              "          config                       1 error\n"
              "Result    NOT READY: fix the errors above; they hold back the invoices they touch\n")


@pytest.mark.parametrize("args, output", [
    (["check", "--period", "2026-11"], FOLDER + NOT_LOADED),
    (["bill", "--period", "2026-11"], FOLDER + "Nothing issued: rates.yaml has errors.\n"),
    (["report", "--period", "2026-11"], FOLDER),
    (["review", "--period", "2026-11"], FOLDER),
    (["status", "--period", "2026-11"], FOLDER),
])
def test_a_rates_yaml_folder_is_one_line_in_every_command(ws, args, output):
    (ws.root / "rates.yaml").unlink()
    (ws.root / "rates.yaml").mkdir()
    result = ws.cli(*args)
    assert (result.exit_code, result.output) == (1, output)


def test_void_with_a_rates_yaml_folder_says_so_without_a_traceback(ws):
    (ws.root / "rates.yaml").unlink()
    (ws.root / "rates.yaml").mkdir()
    result = CliRunner().invoke(main, ["void", "2026-0001", "--reason", "x", "--workspace", str(ws.root)])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code != 0 and FOLDER.strip() in result.output


def test_a_rates_yaml_pipe_is_refused_without_reading_it(ws):
    (ws.root / "rates.yaml").unlink()
    os.mkfifo(ws.root / "rates.yaml")  # reading it would wait for a writer for ever
    writer = threading.Timer(5, lambda: os.close(os.open(ws.root / "rates.yaml", os.O_WRONLY | os.O_NONBLOCK)))
    writer.start()  # should it read after all, a writer that closes at once ends the wait: fail, do not hang
    try:
        result = ws.cli("check", "--period", "2026-11")
    finally:
        writer.cancel()
    assert (result.exit_code, result.output) == (
        1, "rates.yaml: is a pipe or a device, not a file — put the config file there instead\n" + NOT_LOADED)


def test_an_unreadable_rates_yaml_is_one_line(ws, monkeypatch):
    real = Path.read_bytes

    def denied(path: Path) -> bytes:  # chmod 000 does not stop root, who may run the tests
        if path.name == "rates.yaml":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(Path, "read_bytes", denied)
    result = ws.cli("check", "--period", "2026-11")
    assert (result.exit_code, result.output) == (
        1, "rates.yaml: cannot be read: permission denied — give the user running auftakt-batch read access to it\n"
        + NOT_LOADED)


def test_rates_yaml_that_is_not_utf8_names_the_line(ws):
    (ws.root / "rates.yaml").write_bytes(ws.rates(RATES).read_bytes().replace(b"GmbH", "GmbH".encode("utf-16"), 1))
    result = ws.cli("check", "--period", "2026-11")
    assert (result.exit_code, result.output) == (
        1, "rates.yaml:2: not UTF-8 text (invalid start byte) — save it as UTF-8\n" + NOT_LOADED)


# ---------------------------------------------------------------------------------------------
# tables: columns sized to their content, numbers and amounts never cut


LONG_KEY = "kaffeeroesterei-hamburg-und-umgebung"
LONG_RATES = edited(RATES, '  vat_rate: "19"\n', '  vat_rate: "19"\n  invoice_number: "HS-{year}-{seq:04}"\n') + f"""\
  {LONG_KEY}:
    name: Kaffeerösterei Hamburg und Umgebung GmbH & Co. KG
    rate: "95.00"
    jobs:
      beans: {{name: Bohnen}}
"""
RANGE = "2026-11-01..2026-11-15"


def table_rows(text: str, folded: int) -> list[list[str]]:
    """The rows of a printed table: cells are parted by two spaces or more; a line that starts with
    no invoice number goes on with the row above, in column `folded` (a name that did not fit)."""
    rows: list[list[str]] = []
    for line in text.splitlines():
        cells = re.split(r" {2,}", line.strip())
        if re.fullmatch(r"HS-2026-\d{4}", cells[0]):
            rows.append(cells)
        elif rows and len(cells) == 1 and line.startswith(" "):
            rows[-1][folded] += cells[0]
    return rows


@pytest.mark.parametrize("columns", [None, "80"], ids=["not-a-terminal", "COLUMNS=80"])
def test_bill_and_invoices_keep_long_numbers_names_and_ranges_in_their_columns(ws, monkeypatch, columns):
    ws.with_templates().rates(LONG_RATES)
    ws.input("week.csv", HEADER + "".join(f"2026-11-0{d},Anna Schmidt,{LONG_KEY},beans,,Rösten,10,\n"
                                          for d in (2, 3, 4, 5)) + "2026-11-03,Ben Okafor,globex,app,,API,2,\n")
    if columns is not None:
        monkeypatch.setenv("COLUMNS", columns)
    billed = ws.cli("bill", "--period", RANGE)
    assert billed.exit_code == 0, billed.output
    table = billed.output[:billed.output.index("Report")]
    assert table_rows(table, folded=1) == [
        ["HS-2026-0001", "globex", "2.00", "300.00", "357.00", "EUR"],
        ["HS-2026-0002", LONG_KEY, "40.00", "3,800.00", "4,522.00", "EUR"]]
    listing = ws.cli("invoices").output
    assert table_rows(listing, folded=2) == [
        ["HS-2026-0001", "invoice", "globex", RANGE, "2026-12-03", "357.00", "EUR", "issued", "—", "open"],
        ["HS-2026-0002", "invoice", LONG_KEY, RANGE, "2026-12-03", "4,522.00", "EUR", "issued", "—", "open"]]
    if columns is None:  # output for a file or a program: one line per row, for grep
        assert f"HS-2026-0002  {LONG_KEY}" in table and f"HS-2026-0002  invoice  {LONG_KEY}  {RANGE}" in listing
    else:  # the name folds to fit; nothing else does
        assert max(map(len, table.splitlines())) <= 80 and LONG_KEY not in table
        assert LONG_KEY not in listing


def test_a_table_too_wide_for_the_terminal_is_printed_wider_not_cut(monkeypatch):
    from auftakt_batch.reports.tables import FOLD, Column, table_text

    monkeypatch.setenv("COLUMNS", "30")
    number = "AGENCY-HAMBURG-2026-000001"
    text = table_text([Column("number"), Column("client", fit=FOLD), Column("gross", right=True)],
                      [[number, "Kaffeerösterei Hamburg", "1,234,567.89"]])
    assert text.splitlines() == [
        "number                      client             gross",
        "AGENCY-HAMBURG-2026-000001  Kaffeeröst  1,234,567.89",
        "                            erei",
        "                            Hamburg"]
