"""What the tracker already decided: invoiced there, approved there, billable by its flag.

An agency moving its billing from a tracker to auftakt-batch must never bill twice what the
tracker already invoiced; with `require_approval` only approved time is billed (or what the
reviewer approves); and hours the export's own flag keeps from billing are never silent.
"""

import json
import re
import shutil
from decimal import Decimal

import pandas as pd
import pytest
from openpyxl import load_workbook

from auftakt_batch import ledger
from auftakt_batch.billing import bill
from auftakt_batch.config import parse_config
from auftakt_batch.periods import parse_period
from auftakt_batch.reports import review

from .conftest import RATES, SAMPLES, TODAY, problem_lines
from .test_reports import section_rows
from .test_review import edit, rows_of

NOVEMBER = parse_period("2026-11")
HARVEST = ("Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,Invoiced?,Approved?,First Name,Last Name,"
           "Roles,Employee?,Billable Rate,Billable Amount,Cost Rate,Cost Amount,Currency,External Reference URL\n")
CLOCKIFY = ('"Project","Client","Description","Task","User","Group","Email","Tags","Type","Billable","Invoiced",'
            '"Invoice ID","Start Date","Start Time","End Date","End Time","Duration (h)","Duration (decimal)",'
            '"Billable Rate (EUR)","Billable Amount (EUR)","Approval status"\n')
KIMAI_DE = "Datum,Von,Bis,Dauer,Preis,Benutzer,Kunde,Projekt,Tätigkeit,Beschreibung,Exportiert,Tags,Stundenpreis\n"
TOGGL = ("User,Email,Client,Project,Task,Description,Billable,Start date,Start time,End date,End time,Duration,Tags,"
         "Amount ()\n")
NATIVE = "date,person,client,job,task,description,hours,billable\n"


def harvest_row(day: str, client: str, job: str, notes: str, hours: str, invoiced: str, approved: str,
                person: str = "Anna,Schmidt", billable: str = "Yes") -> str:
    return f"2026-11-{day},{client},{job},,Design,{notes},{hours},{billable},{invoiced},{approved},{person},,Yes,,,,,,\n"


def with_imports(ws, block: str):
    ws.rates(RATES + "imports:\n" + "".join(f"  {line}\n" for line in block.splitlines()))
    return ws


def harvest_ws(ws, *rows: str):
    ws.with_templates().input("harvest.csv", HARVEST + "".join(rows))
    return ws


def descriptions_billed(ws) -> list[str]:
    return sorted(ledger.read_billed(ws.root / "output" / "ledger.sqlite")["description"])


# --- invoiced in the tracker ----------------------------------------------------------------

def test_an_entry_harvest_invoiced_is_noted_and_never_billed_again(ws):
    harvest_ws(ws, harvest_row("03", "ACME", "website", "Layout", "1.5", "Yes", "No"),
               harvest_row("04", "ACME", "website", "Fixes", "2", "No", "No"),
               harvest_row("05", "ACME", "website", "Menu", "0.5", "Yes", "No"))
    run = ws.check()
    assert problem_lines(run) == [
        "input/harvest.csv:2:Invoiced?: note: 2 entries (2.00 h) invoiced in the tracker already (2 rows: 2, 4) — "
        "not billed again (imports.invoiced_in_tracker: skip; set it to bill to invoice them anyway)"]
    result = ws.cli("bill", "--period", "2026-11")
    assert result.exit_code == 0, result.output
    assert "2026-0001  acme     2.00  240.00" in result.output
    assert "Not billed: 2.00 h already invoiced in the tracker (imports.invoiced_in_tracker: skip)." \
        in result.output.splitlines()
    assert descriptions_billed(ws) == ["Fixes"]
    again = ws.cli("bill", "--period", "2026-11")
    assert again.output.splitlines()[:3] == [
        "Nothing new to bill — the period's 3 entries (4.00 h):",
        "  2.00 h  already on an invoice",
        "  2.00 h  already invoiced in the tracker (imports.invoiced_in_tracker: skip)"]


def test_invoiced_in_tracker_bill_bills_them_and_says_so(ws):
    with_imports(harvest_ws(ws, harvest_row("03", "ACME", "website", "Layout", "1.5", "Yes", "No")),
                 "invoiced_in_tracker: bill")
    assert problem_lines(ws.check()) == [
        "input/harvest.csv:2:Invoiced?: note: 1 entry (1.50 h) invoiced in the tracker already — billed anyway, as "
        "imports.invoiced_in_tracker: bill says; make sure the tracker's invoice does not cover it"]
    assert [i.client_key for i in bill(ws.root, NOVEMBER, today=TODAY).issued] == ["acme"]
    assert descriptions_billed(ws) == ["Layout"]


def test_clockify_invoice_ids_are_named_and_an_id_alone_means_invoiced(ws):
    def row(day: int, description: str, invoiced: str, number: str) -> str:
        return (f'"website","ACME","{description}","","Anna Schmidt","","anna@studio.example","","Regular","Yes",'
                f'"{invoiced}","{number}","11/{day}/2026","10:00:00 AM","11/{day}/2026","11:00:00 AM","01:00:00",'
                '"1.00","120.00","120.00","APPROVED"\n')

    ws.with_templates().input("clockify.csv", CLOCKIFY + row(16, "One", "Yes", "INV-7") + row(17, "Two", "", "INV-8")
                              + row(18, "Three", "No", ""))
    (note,) = ws.check().problems
    assert note.code == "invoiced-in-tracker" and note.rows == (2, 3)
    assert "2 entries (2.00 h) invoiced in the tracker already (invoice INV-7, INV-8) (2 rows: 2, 3)" in note.message
    assert [str(i.hours) for i in bill(ws.root, NOVEMBER, today=TODAY).issued] == ["1"]
    assert descriptions_billed(ws) == ["Three"]


@pytest.mark.parametrize("exported, not_exported", [("Abgerechnet", "Offen"), ("Cleared", "Open"), ("1", ""),
                                                    ("true", "false"), ("Exportiert", "Nicht exportiert")])
def test_kimai_exported_in_its_own_words_is_not_billed_again(ws, exported, not_exported):
    ws.input("kimai.csv", KIMAI_DE
             + f"2026-11-03,09:00,10:30,1:30,180,Anna Schmidt,ACME,website,Design,Layout,{exported},,120\n"
             + f"2026-11-04,09:00,11:00,2:00,240,Anna Schmidt,ACME,website,Design,Fixes,{not_exported},,120\n")
    run = ws.check()
    assert run.files[0].format == "kimai" and run.ok, problem_lines(run)
    assert [p.code for p in run.problems] == ["invoiced-in-tracker"]
    assert problem_lines(run)[0].startswith("input/kimai.csv:2:Exportiert: note: 1 entry (1.50 h) invoiced")
    assert list(run.entries["tracker_hold"]) == ["invoiced", ""]


def test_an_invoiced_value_the_tracker_would_not_write_is_an_error_not_a_guess(ws):
    harvest_ws(ws, harvest_row("03", "ACME", "website", "Layout", "1.5", "Maybe", "No"))
    assert problem_lines(ws.check()) == [
        "input/harvest.csv:2:Invoiced?: error: unreadable invoiced 'Maybe' — use yes/no, ja/nein, true/false, 1/0 "
        "or x for yes, or Cleared/Open (Kimai: Abgerechnet/Offen)"]


def test_an_export_written_after_the_tracker_invoiced_wins_over_an_older_copy(ws):
    """The same entry in two exports: the older says not invoiced, the newer says invoiced (with
    its invoice). Whatever the order of the files, it is not billed."""
    harvest_ws(ws)
    ws.input("a-week.csv", HARVEST + harvest_row("03", "ACME", "website", "Layout", "1.5", "No", "No"))
    ws.input("b-month.csv", HARVEST + harvest_row("03", "ACME", "website", "Layout", "1.5", "Yes", "No")
             + harvest_row("04", "ACME", "website", "Fixes", "2", "No", "No"))
    (ws.root / "input" / "harvest.csv").unlink()
    run = ws.check()
    assert run.repeated == 1 and list(run.entries["tracker_hold"]) == ["invoiced", ""]
    bill(ws.root, NOVEMBER, today=TODAY)
    assert descriptions_billed(ws) == ["Fixes"]


def test_an_approval_withdrawn_in_one_export_is_not_overruled_by_another(ws):
    """Whatever the order of the files: one copy saying not approved holds the entry back."""
    with_imports(harvest_ws(ws), "require_approval: true")
    for older, newer in (("Yes", "No"), ("No", "Yes")):
        ws.input("a-week.csv", HARVEST + harvest_row("03", "ACME", "website", "Layout", "1.5", "No", older))
        ws.input("b-month.csv", HARVEST + harvest_row("03", "ACME", "website", "Layout", "1.5", "No", newer))
        (ws.root / "input" / "harvest.csv").unlink(missing_ok=True)
        run = ws.check()
        assert run.repeated == 1 and list(run.entries["tracker_hold"]) == ["unapproved"]


def test_under_billable_rates_copies_that_differ_only_in_the_exports_flag_are_one_entry(ws):
    with_imports(harvest_ws(ws), "billable: rates")
    (ws.root / "input" / "harvest.csv").unlink()
    ws.input("a-week.csv", HARVEST + harvest_row("03", "ACME", "website", "Layout", "1.5", "No", "No"))
    ws.input("b-month.csv", HARVEST + harvest_row("03", "ACME", "website", "Layout", "1.5", "No", "No",
                                                  billable="No"))
    run = ws.check()
    assert run.ok and run.repeated == 1
    assert [i.client_key for i in bill(ws.root, NOVEMBER, today=TODAY).issued] == ["acme"]


def test_the_flags_do_not_change_an_entrys_id(ws):
    """Invoicing or approving an entry in the tracker is not editing it: same id, so the ledger
    and the review still know it."""
    ws.input("harvest.csv", HARVEST + harvest_row("03", "ACME", "website", "Layout", "1.5", "No", "No"))
    before = ws.check().entries["entry_id"].tolist()
    ws.input("harvest.csv", HARVEST + harvest_row("03", "ACME", "website", "Layout", "1.5", "Yes", "Yes"))
    assert ws.check().entries["entry_id"].tolist() == before


def test_what_we_invoiced_ourselves_is_not_a_tracker_invoice(ws):
    """An entry on one of our invoices that the tracker marks invoiced later (the agency tells the
    tracker what it billed): billed once, and no note says the tracker invoiced it."""
    harvest_ws(ws, harvest_row("03", "ACME", "website", "Layout", "1.5", "No", "No"))
    bill(ws.root, NOVEMBER, today=TODAY)
    ws.input("harvest.csv", HARVEST + harvest_row("03", "ACME", "website", "Layout", "1.5", "Yes", "No"))
    run = ws.check()
    assert problem_lines(run) == []
    assert bill(ws.root, NOVEMBER, today=TODAY).unbilled[0].key == "ledger"


# --- approval --------------------------------------------------------------------------------

def approval_ws(ws):
    with_imports(harvest_ws(ws, harvest_row("03", "ACME", "website", "Layout", "1.5", "No", "Yes"),
                            harvest_row("04", "ACME", "website", "Fixes", "2", "No", "No"),
                            harvest_row("05", "ACME", "website", "Menu", "0.5", "No", "No"),
                            harvest_row("06", "Globex Corporation", "app", "API", "3", "No", "No", "Ben,Okafor")),
                 "require_approval: true")
    return ws


def test_require_approval_bills_only_approved_entries_and_lists_the_others_per_person(ws):
    approval_ws(ws)
    assert problem_lines(ws.check()) == [
        "input/harvest.csv:3:Approved?: note: Anna Schmidt: 2 entries (2.50 h) the export does not mark approved "
        "(2 rows: 3, 4) — held back (imports.require_approval: true); approve them in the tracker and export "
        "again, or set approve to yes in the review workbook",
        "input/harvest.csv:5:Approved?: note: Ben Okafor: 1 entry (3.00 h) the export does not mark approved — "
        "held back (imports.require_approval: true); approve them in the tracker and export again, or set "
        "approve to yes in the review workbook"]
    result = ws.cli("bill", "--period", "2026-11")
    assert "2026-0001  acme     1.50  180.00" in result.output
    assert ("Not billed: 5.50 h not approved in the tracker (imports.require_approval: true): Anna Schmidt 2.50 h, "
            "Ben Okafor 3.00 h.") in result.output.splitlines()
    assert descriptions_billed(ws) == ["Layout"]


def test_the_reviewers_yes_wins_over_require_approval_and_an_empty_cell_does_not(ws):
    approval_ws(ws)
    written = review(ws.root, NOVEMBER, today=TODAY)
    acme = rows_of(written.path, "acme")
    assert [(r["description"], r["approve"]) for r in acme] == [("Layout", "yes"), ("Fixes", None), ("Menu", None)]
    assert "not approved in the tracker: only yes bills it" in acme[1]["flags"] and acme[0]["flags"] is None
    edit(written.path, "acme", {"Fixes": {"approve": "yes"}})
    checked = ws.cli("check", "--period", "2026-11").output  # check counts what still waits, as bill does
    assert "Anna Schmidt: 1 entry (0.50 h) the export does not mark approved" in checked
    assert "not billed: 3.50 h not approved in the tracker" in checked
    run = bill(ws.root, NOVEMBER, today=TODAY)
    assert [(i.client_key, str(i.hours)) for i in run.issued] == [("acme", "3.5")]  # Layout and Fixes, not Menu
    assert descriptions_billed(ws) == ["Fixes", "Layout"]
    assert [(u.key, u.seconds, u.detail) for u in run.unbilled] == [  # what this run did not bill
        ("unapproved", 12600, "Anna Schmidt 0.50 h, Ben Okafor 3.00 h")]


def test_an_export_that_says_nothing_of_approval_holds_everything_back(ws):
    """require_approval is strict: a native timesheet or Toggl export has no approval column."""
    with_imports(ws.with_templates(), "require_approval: true")
    ws.input("week.csv", NATIVE + "2026-11-03,Anna Schmidt,ACME,website,,Layout,1.5,\n")
    result = ws.cli("bill", "--period", "2026-11")
    assert result.output.splitlines()[:2] == [
        "Nothing new to bill — the period's 1 entry (1.50 h):",
        "  1.50 h  not approved in the tracker (imports.require_approval: true): Anna Schmidt 1.50 h"]


def test_clockify_approval_status_words(ws):
    def row(description: str, status: str) -> str:
        return (f'"website","ACME","{description}","","Anna Schmidt","","anna@studio.example","","Regular","Yes","No",'
                f'"","11/16/2026","10:00:00 AM","11/16/2026","11:00:00 AM","01:00:00","1.00","120.00","120.00",'
                f'"{status}"\n')

    with_imports(ws, "require_approval: true")
    ws.input("clockify.csv", CLOCKIFY + row("A", "APPROVED") + row("B", "PENDING") + row("C", "UNSUBMITTED")
             + row("D", "Approved"))
    run = ws.check()
    assert run.ok and list(run.entries["approved_flag"]) == [True, False, False, True]
    assert list(run.entries["tracker_hold"]) == ["", "unapproved", "unapproved", ""]


# --- the export's billable flag --------------------------------------------------------------

TOGGL_NO = (TOGGL + "Anna Schmidt,anna@studio.example,ACME,website,,Layout,No,2026-11-03,09:00:00,2026-11-03,"
            "10:30:00,01:30:00,,\n"
            "Ben Okafor,ben@studio.example,Globex Corporation,app,,API,No,2026-11-04,09:00:00,2026-11-04,"
            "11:00:00,02:00:00,,\n")


def test_a_toggl_export_that_says_billable_no_everywhere_is_explained(ws):
    ws.with_templates().input("toggl.csv", TOGGL_NO)
    check = ws.cli("check", "--period", "2026-11")
    assert ("          not billable by the export's flag: 3.50 h that rates.yaml bills — set imports.billable: rates "
            "to bill them") in check.output.splitlines()
    assert json.loads(ws.cli("check", "--period", "2026-11", "--json").output)["export_not_billable_hours"] == 3.5
    result = ws.cli("bill", "--period", "2026-11")
    assert result.output.splitlines()[:2] == [
        "Nothing new to bill — the period's 2 entries (3.50 h):",
        "  3.50 h  not billable by the export's own flag (imports.billable: rates would bill them)"]


def test_imports_billable_rates_lets_rates_yaml_decide(ws):
    with_imports(ws.with_templates(), "billable: rates")
    ws.input("toggl.csv", TOGGL_NO + "Ben Okafor,ben@studio.example,Studio (internal),admin,,Admin,Yes,2026-11-05,"
                                     "09:00:00,2026-11-05,10:00:00,01:00:00,,\n")
    check = ws.cli("check", "--period", "2026-11")
    assert "not billable by the export's flag" not in check.output
    run = bill(ws.root, NOVEMBER, today=TODAY)
    assert [(i.client_key, str(i.hours)) for i in run.issued] == [("acme", "1.5"), ("globex", "2")]
    assert [(u.key, u.seconds) for u in run.unbilled] == [("rates", 3600)]


# --- why nothing was billed ------------------------------------------------------------------

def test_bill_without_entries_says_there_were_none(ws):
    ws.with_templates().input("october.csv", NATIVE + "2026-10-30,Anna Schmidt,ACME,website,,Late,1,\n")
    result = ws.cli("bill", "--period", "2026-11")
    assert result.output.splitlines()[0] == "Nothing to bill: no entries in 2026-11 (1 outside it, ignored)."
    assert ws.cli("bill", "--period", "2026-11", "--client", "globex").output.splitlines()[0] == \
        "Nothing to bill: no entries in 2026-11 (1 outside it, ignored)."


def test_bill_with_an_empty_input_folder_says_so(ws):
    ws.with_templates()
    assert ws.cli("bill", "--period", "2026-11").output.splitlines()[0].startswith(
        "Nothing to bill: no time entries in input/ (0 files read, none with entries) — nothing was checked; put "
        "the exports there: native timesheet, Toggl Track")


def test_bill_names_every_reason_with_its_hours(ws):
    with_imports(ws.with_templates(), "require_approval: true")
    ws.input("harvest.csv", HARVEST
             + harvest_row("03", "ACME", "website", "Layout", "1.5", "No", "Yes")      # reviewed: no
             + harvest_row("04", "ACME", "internal", "Sync", "2", "No", "Yes")         # rates.yaml: not billable
             + harvest_row("05", "ACME", "website", "Flagged", "0.25", "No", "Yes", billable="No")
             + harvest_row("06", "ACME", "website", "Old", "1", "Yes", "Yes")         # invoiced in Harvest
             + harvest_row("09", "ACME", "website", "Waits", "0.75", "No", "No")       # not approved
             + harvest_row("05", "Globex Corporation", "app", "Broken", "zwei", "No", "Yes", "Ben,Okafor")
             + harvest_row("10", "Globex Corporation", "app", "API", "3", "No", "Yes", "Ben,Okafor")
             + harvest_row("12", "ACME", "website", "Zero", "0", "No", "Yes"))
    written = review(ws.root, NOVEMBER, today=TODAY)
    edit(written.path, "acme", {"Layout": {"approve": "no"}})
    result = ws.cli("bill", "--period", "2026-11")
    lines = result.output.splitlines()
    assert lines[lines.index("Nothing new to bill — the period's 8 entries (8.50 h):"):][:7] == [
        "Nothing new to bill — the period's 8 entries (8.50 h):",
        "  3.00 h  held back by errors (listed above)",
        "  2.00 h  not billable by rates.yaml (the client's or job's billable: false)",
        "  0.25 h  not billable by the export's own flag (imports.billable: rates would bill them)",
        "  1.00 h  already invoiced in the tracker (imports.invoiced_in_tracker: skip)",
        "  0.75 h  not approved in the tracker (imports.require_approval: true): Anna Schmidt 0.75 h",
        "  1.50 h  held back by the review workbook (approve: no)"]
    assert "  0.00 h  no time logged (0:00)" in lines and "Skipped globex: held back by errors (listed above)" in lines
    assert result.exit_code != 0  # a client held back is trouble


def test_a_client_held_back_by_one_error_keeps_its_other_reasons(ws):
    """Only the entries an error holds back are "held back by errors": hours already on our
    invoice or invoiced in the tracker are said to be so, also for a client that waits."""
    harvest_ws(ws, harvest_row("03", "ACME", "website", "Layout", "1.5", "No", "Yes"))
    assert [i.client_key for i in bill(ws.root, NOVEMBER, today=TODAY).issued] == ["acme"]
    harvest_ws(ws, harvest_row("03", "ACME", "website", "Layout", "1.5", "No", "Yes"),
               harvest_row("04", "ACME", "website", "Old", "2", "Yes", "Yes"),
               harvest_row("05", "ACME", "website", "Broken", "zwei", "No", "Yes"),
               harvest_row("06", "ACME", "website", "Fine", "0.5", "No", "Yes"))
    lines = ws.cli("bill", "--period", "2026-11").output.splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith("Nothing new to bill"))
    assert lines[start + 1:start + 4] == [
        "  0.50 h  held back by errors (listed above)",
        "  1.50 h  already on an invoice",
        "  2.00 h  already invoiced in the tracker (imports.invoiced_in_tracker: skip)"]


def test_the_reasons_account_for_every_entry_of_the_period_once(ws):
    from auftakt_batch.reports.reasons import reasons

    approval_ws(ws)
    bill(ws.root, NOVEMBER, today=TODAY)
    run = ws.check()
    why = reasons(run, TODAY)
    assert len(why) == len(run.entries) and why.index.equals(run.entries.index)
    assert sorted(why) == ["ledger", "unapproved", "unapproved", "unapproved"]


# --- reports ---------------------------------------------------------------------------------

def test_billing_gap_and_entries_sheet_show_what_the_tracker_holds_back(ws):
    with_imports(harvest_ws(ws, harvest_row("03", "ACME", "website", "Layout", "1.5", "No", "Yes"),
                            harvest_row("04", "ACME", "website", "Old", "2", "Yes", "Yes"),
                            harvest_row("05", "ACME", "website", "Waits", "0.5", "No", "No")),
                 "require_approval: true")
    run = bill(ws.root, NOVEMBER, today=TODAY)
    book = load_workbook(run.report.path)
    gap = {r["client"]: r for r in rows_of(run.report.path, "Billing gap") if r["client"] == "acme"}["acme"]
    assert (gap["tracked billable value"], gap["invoiced"], gap["of which invoiced in the tracker"],
            gap["not invoiced yet"], gap["of which not approved in the tracker"]) == (480, 420, 240, 60, 60)
    assert [(r[3], r[4], r[5], r[7]) for r in section_rows([book["Billing gap"]],
                                                           "Entries invoiced in the tracker")] == [
        ("website", "Old", 2, "invoiced in the tracker")]
    assert [(r[4], r[7]) for r in section_rows([book["Billing gap"]], "Entries not approved in the tracker")] == [
        ("Waits", "not approved in the tracker")]
    entries = {r["description"]: r for r in rows_of(run.report.path, "Entries")}
    assert entries["Old"]["tracker"] == "invoiced in the tracker" and entries["Old"]["invoice"] is None
    assert (entries["Waits"]["tracker"], entries["Waits"]["review"]) == ("not approved in the tracker",
                                                                       "waits for approval")
    assert entries["Layout"]["invoice"] == "2026-0001"


def test_the_review_lists_what_the_tracker_invoiced_apart(ws):
    harvest_ws(ws, harvest_row("03", "ACME", "website", "Layout", "1.5", "No", "No"),
               harvest_row("04", "ACME", "website", "Old", "2", "Yes", "No"))
    written = review(ws.root, NOVEMBER, today=TODAY)
    assert [r["description"] for r in rows_of(written.path, "acme")] == ["Layout"]
    about = [row for row in load_workbook(written.path)["How to review"].values if any(row)]
    heading = next(i for i, row in enumerate(about) if str(row[0]).startswith("Invoiced in the tracker"))
    assert about[heading][0] == ("Invoiced in the tracker — not billed again (1 entry; "
                                 "imports.invoiced_in_tracker: skip)")
    assert about[heading + 2][1:] == ("Anna Schmidt", "acme", "website", "Old", 2, "invoiced in the tracker")
    assert bill(ws.root, NOVEMBER, today=TODAY).issued[0].hours == Decimal("1.50")


# --- rates.yaml ------------------------------------------------------------------------------

def test_imports_keys_are_checked(ws):
    text = RATES + "imports:\n  billable: maybe\n  invoiced_in_tracker: twice\n  require_approval: perhaps\n"
    config, problems = parse_config(text)
    assert config is None and [str(p) for p in problems] == [
        "rates.yaml:37: imports.billable: must be one of export | rates, got 'maybe'",
        "rates.yaml:38: imports.invoiced_in_tracker: must be one of skip | bill, got 'twice'",
        "rates.yaml:39: imports.require_approval: expected true or false, got 'perhaps'"]
    config, problems = parse_config(RATES + "imports: {billable: rates, invoiced_in_tracker: bill}\n")
    assert problems == [] and (config.imports.billable, config.imports.invoiced_in_tracker,
                               config.imports.require_approval) == ("rates", "bill", False)


def test_the_commented_imports_block_init_writes_means_the_defaults(ws):
    from .conftest import ROOT

    skeleton = (ROOT / "src" / "auftakt_batch" / "skeleton" / "rates.yaml").read_text()
    block = skeleton[skeleton.index("# imports:"):].split("\n\n")[0]
    config, problems = parse_config(RATES + "\n".join(line[2:] for line in block.splitlines()) + "\n")
    assert problems == [] and config.imports.date_format == "dmy"
    assert (config.imports.billable, config.imports.invoiced_in_tracker, config.imports.require_approval) == (
        "export", "skip", False)


# --- real exports ----------------------------------------------------------------------------

needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not present")


def sample_ws(ws, name: str, team: list[str], clients: dict[str, list[str]], imports: str = "") -> None:
    """A workspace for a real export: its people, its clients and their projects as jobs."""
    people = "".join(f"  - name: {p}\n" for p in team)
    listed = "".join(f"  c{i}:\n    name: {json.dumps(c)}\n    rate: \"100.00\"\n    jobs:\n"
                     + "".join(f"      j{k}: {{name: {json.dumps(j)}}}\n" for k, j in enumerate(jobs))
                     for i, (c, jobs) in enumerate(clients.items()))
    ws.rates(RATES.split("team:")[0] + "team:\n" + people + "clients:\n" + listed + imports)
    ws.with_templates()
    shutil.copy(SAMPLES / name, ws.root / "input")


@needs_samples
def test_real_clockify_export_with_an_invoice_id_is_not_billed_again(ws):
    sample_ws(ws, "clockify/clockify_time_entries_import_test_2.csv", ["Peter Tester"],
              {"Real World Client": ["Real World Project"]}, "imports: {date_format: MM/DD/YYYY}\n")
    period = parse_period("2024-10")
    notes = [str(p) for p in bill(ws.root, period, today=TODAY).check.problems if p.code == "invoiced-in-tracker"]
    assert notes == ["input/clockify_time_entries_import_test_2.csv:2:Invoiced: note: 1 entry (0.50 h) invoiced in the "
                     "tracker already (invoice Invoice100) — not billed again (imports.invoiced_in_tracker: skip; "
                     "set it to bill to invoice them anyway)"]
    result = ws.cli("bill", "--period", "2024-10")
    assert result.output.splitlines()[:2] == [
        "Nothing new to bill — the period's 1 entry (0.50 h):",
        "  0.50 h  already invoiced in the tracker (imports.invoiced_in_tracker: skip): invoice Invoice100"]


@needs_samples
def test_real_harvest_export_with_require_approval_waits_for_approval(ws):
    sample_ws(ws, "harvest/harvest_time_report_from2026-04-08to2026-04-14.csv", ["Shahzodbek Mirzayev"],
              {"EIB": ["Lease Agreement"]}, "imports: {require_approval: true}\n")
    result = ws.cli("bill", "--period", "2026-04")
    assert result.output.splitlines()[:2] == [
        "Nothing new to bill — the period's 2 entries (2.15 h):",
        "  2.15 h  not approved in the tracker (imports.require_approval: true): Shahzodbek Mirzayev 2.15 h"]
    ws.edit_rates("require_approval: true", "require_approval: false")
    assert [str(i.hours) for i in bill(ws.root, parse_period("2026-04"), today=TODAY).issued] == ["2.15"]


@needs_samples
def test_real_toggl_export_all_billable_no_says_why_nothing_is_billed(ws):
    name = "toggl/Toggl_time_entries_2019-03-02_to_2020-03-01.csv"
    frame = pd.read_csv(SAMPLES / name, encoding="utf-8-sig", keep_default_na=False)
    clients = {c: sorted(set(g["Project"])) for c, g in frame.groupby("Client") if c}
    sample_ws(ws, name, sorted(set(frame["User"])), clients)
    period = parse_period("2019-Q2")
    days = pd.to_datetime(frame["Start date"])
    inside = frame[days.between("2019-04-01", "2019-06-30") & frame["Client"].ne("")]
    seconds = sum(int(h) * 3600 + int(m) * 60 + int(s) for h, m, s in inside["Duration"].str.split(":"))
    logged = f"{Decimal(seconds) / 3600:.2f}"
    check = ws.cli("check", "--period", period.label)
    assert (f"          not billable by the export's flag: {logged} h that rates.yaml bills — set imports.billable: "
            "rates to bill them") in check.output.splitlines()
    result = ws.cli("bill", "--period", period.label)
    assert re.search(rf"^  +{re.escape(logged)} h  not billable by the export's own flag", result.output, re.M)
    ws.rates((ws.root / "rates.yaml").read_text() + "imports: {billable: rates}\n")
    assert sum(i.hours for i in bill(ws.root, period, today=TODAY).issued) > 0
