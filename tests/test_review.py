"""The review workbook round trip: write it, edit it as a reviewer would, bill as it says."""

import sqlite3

from openpyxl import load_workbook
from pypdf import PdfReader

from auftakt_batch.billing import bill
from auftakt_batch.periods import parse_period
from auftakt_batch.reports import review, write_report

from .conftest import RATES, TODAY

NOVEMBER = parse_period("2026-11")
HEADER = "date,person,client,job,task,description,hours,billable\n"
ENTRIES = ("2026-11-03,Anna Schmidt,ACME,website,,Layout,1.5,\n"
           "2026-11-04,Anna Schmidt,ACME,website,,Navigation,2,\n"
           "2026-11-05,Ben Okafor,ACME,website,,Templates,3,\n"
           "2026-11-07,Ben Okafor,globex,app,,API,2,\n"
           "2026-11-04,Ben Okafor,studio,admin,,Admin,3,\n")


def reviewed_ws(ws):
    ws.with_templates().input("week.csv", HEADER + ENTRIES)
    result = review(ws.root, NOVEMBER, today=TODAY)
    assert result.path == ws.root / "output" / "2026-11" / "review-2026-11.xlsx"
    return result


def rows_of(path, sheet: str) -> list[dict]:
    book = load_workbook(path)
    cells = list(book[sheet].values)
    return [dict(zip(cells[0], row)) for row in cells[1:]]


def edit(path, sheet: str, changes: dict[str, dict]) -> None:
    """Set cells by description: {'Layout': {'approve': 'no'}}, as a reviewer saving in place."""
    book = load_workbook(path)
    page = book[sheet]
    head = [c.value for c in page[1]]
    for row in page.iter_rows(min_row=2):
        description = row[head.index("description")].value
        for column, value in changes.get(description, {}).items():
            row[head.index(column)].value = value
    book.save(path)


def test_the_workbook_lists_what_bill_would_invoice_with_flags_and_editable_columns(ws):
    ws.input("more.csv", HEADER + "2026-11-08,Anna Schmidt,ACME,website,,,1,\n")  # a Sunday, no description
    result = reviewed_ws(ws)
    assert (result.clients, result.entries) == (2, 5)
    book = load_workbook(result.path)
    assert book.sheetnames == ["How to review", "acme", "globex"]  # the internal client bills nothing
    acme = rows_of(result.path, "acme")
    assert [(r["description"], r["billed h"], r["rate"], r["value"], r["approve"], r["bill_hours"]) for r in acme] == [
        ("Layout", 1.5, 120, 180, "yes", None), ("Navigation", 2, 120, 240, "yes", None),
        ("Templates", 3, 120, 360, "yes", None), (None, 1, 120, 120, "yes", None)]
    assert "no description" in acme[-1]["flags"] and "weekend" in acme[-1]["flags"]
    page = book["acme"]
    kinds = {dv.formula1: str(dv.sqref) for dv in page.data_validations.dataValidation}
    assert kinds == {'"yes,no"': "L2:L5", "0": "M2:M5"}
    assert page.column_dimensions["N"].hidden and page.freeze_panes == "A2"


def test_held_back_and_written_down_entries_are_billed_as_reviewed_and_recorded(ws):
    result = reviewed_ws(ws)
    edit(result.path, "acme", {"Navigation": {"approve": "no"}, "Templates": {"bill_hours": "2:15"}})
    run = bill(ws.root, NOVEMBER, today=TODAY)
    assert [(i.client_key, str(i.hours), str(i.net)) for i in run.issued] == [
        ("acme", "3.75", "450.00"), ("globex", "2", "300.00")]  # 1.5 + 2.25 h; Navigation held back
    assert run.review == ("1 entry held back (left unbilled) and 1 entry written down by 0.75 h, as the review "
                          "workbook says")
    conn = sqlite3.connect(ws.root / "output" / "ledger.sqlite")
    billed = conn.execute("SELECT description, billed_s, written_down_from FROM billed_entries ORDER BY day").fetchall()
    assert billed == [("Layout", 5400, None), ("Templates", 8100, 10800), ("API", 7200, None)]
    text = " ".join(PdfReader(run.issued[0].pdf).pages[0].extract_text().split())
    assert "3.75" in text and "450.00" in text
    # the held-back entry stays unbilled, and the reports say so
    gap = {r["client"]: r for r in rows_of(run.report.path, "Billing gap") if r["client"] in ("acme", "globex")}
    assert gap["acme"]["not invoiced yet"] == 240 and gap["acme"]["of which held back in review"] == 240
    entries = {r["description"]: r for r in rows_of(run.report.path, "Entries")}
    assert entries["Templates"]["written down from h"] == 3 and entries["Templates"]["billed h"] == 2.25
    assert entries["Navigation"]["review"] == "held back" and entries["Navigation"]["invoice"] is None
    # billing again issues nothing; writing the review again keeps the decision on what is left
    assert bill(ws.root, NOVEMBER, today=TODAY).issued == ()
    again = review(ws.root, NOVEMBER, today=TODAY)
    assert (again.entries, again.kept) == (1, 1)
    assert [(r["description"], r["approve"]) for r in rows_of(again.path, "acme")] == [("Navigation", "no")]


def test_a_review_that_no_longer_matches_the_inputs_holds_back_that_client_only(ws):
    result = reviewed_ws(ws)
    ws.input("week.csv", HEADER + ENTRIES.replace("Templates,3", "Templates,4"))  # changed since the review
    run = ws.check()
    assert [str(p) for p in run.problems if p.code == "review"] == [
        "output/2026-11/review-2026-11.xlsx: error: 1 row of sheet 'acme' no longer matches the inputs (row 4: changed "
        "or removed since it was written) and 1 entry of acme is not in it (added or changed since) — acme is not "
        "billed until you run `auftakt-batch review --period 2026-11` again (decisions already made are kept) and "
        "review them"]
    assert run.held_back() == (frozenset({"acme"}), False)
    billed = bill(ws.root, NOVEMBER, today=TODAY)
    assert [i.client_key for i in billed.issued] == ["globex"]
    review(ws.root, NOVEMBER, today=TODAY)
    assert [i.client_key for i in bill(ws.root, NOVEMBER, today=TODAY).issued] == ["acme"]
    assert result.path.exists()


def test_values_a_review_cannot_mean_are_errors_at_their_cell_and_survive_a_rewrite(ws):
    result = reviewed_ws(ws)
    edit(result.path, "acme", {"Layout": {"approve": "maybe"}, "Navigation": {"bill_hours": 5},
                               "Templates": {"bill_hours": 0}})
    edit(result.path, "globex", {"API": {"approve": "Nein", "bill_hours": "1,5"}})
    expected = [
        "output/2026-11/review-2026-11.xlsx: acme!L2: error: 'maybe' is neither yes nor no",
        "output/2026-11/review-2026-11.xlsx: acme!M3: error: 5.00 h is more than the 2.00 h to bill — a review "
        "writes entries down, never up",
        "output/2026-11/review-2026-11.xlsx: acme!M4: error: 0 h would bill nothing — set approve to no to hold the "
        "entry back"]
    run = ws.check()
    assert [str(p) for p in run.problems if p.code == "review"] == expected
    assert run.held_back() == (frozenset({"acme"}), False)
    assert bill(ws.root, NOVEMBER, today=TODAY).issued == ()  # globex: its only entry is held back ("Nein")
    # writing the review again keeps what was typed, so a "maybe" is never taken for a yes
    again = review(ws.root, NOVEMBER, today=TODAY)
    assert [(r["approve"], r["bill_hours"]) for r in rows_of(again.path, "acme")] == [
        ("maybe", None), ("yes", 5), ("yes", 0)]
    assert [str(p) for p in ws.check().problems if p.code == "review"] == expected


def test_write_downs_follow_the_rounding_step(ws):
    ws.rates(RATES.replace('  vat_rate: "19"\n', '  vat_rate: "19"\n  rounding: {minutes: 15, mode: up}\n'))
    result = reviewed_ws(ws)
    edit(result.path, "acme", {"Templates": {"bill_hours": "1:20"}, "Navigation": {"bill_hours": 0.001}})
    assert [str(p) for p in ws.check().problems if p.code == "review"] == [
        "output/2026-11/review-2026-11.xlsx: acme!M3: error: 0.001 is not in the 15-minute rounding step — use 0:15",
        "output/2026-11/review-2026-11.xlsx: acme!M4: error: '1:20' is not in the 15-minute rounding step — use 1:15 "
        "or 1:30"]


def test_a_decision_follows_its_entry_through_an_edit_and_a_lost_sheet_is_named(ws):
    result = reviewed_ws(ws)
    edit(result.path, "acme", {"Navigation": {"approve": "no"}})
    ws.input("week.csv", HEADER + ENTRIES.replace("Navigation,2", "Navigation menu,2"))  # words edited
    again = review(ws.root, NOVEMBER, today=TODAY)
    assert (again.kept, again.changed, again.dropped) == (1, 1, 0)
    rows = {r["description"]: r for r in rows_of(again.path, "acme")}
    assert rows["Navigation menu"]["approve"] == "no" and "changed since your decision" in rows["Navigation menu"]["flags"]
    book = load_workbook(again.path)
    book["globex"].title = "Globex Corp"
    book.save(again.path)
    assert [str(p) for p in ws.check().problems if p.code == "review"] == [
        "output/2026-11/review-2026-11.xlsx: error: it has no sheet 'globex' for the 1 entry of globex (deleted or "
        "renamed?) — globex is not billed until you run `auftakt-batch review --period 2026-11` again (decisions "
        "already made are kept) and review them"]


def test_an_unreadable_review_stops_every_invoice(ws):
    result = reviewed_ws(ws)
    result.path.write_bytes(b"PK\x03\x04 not really a workbook")
    run = ws.check()
    assert any(p.code == "review" and "cannot be read" in p.message for p in run.problems)
    assert run.held_back() == (frozenset(), True)
    assert bill(ws.root, NOVEMBER, today=TODAY).issued == ()


def test_text_from_the_inputs_is_never_a_formula_in_the_review(ws):
    hostile = ['=1+1', '+SUM(A1)', '-2+3', '@SUM(1)', '=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0"]
    ws.with_templates().input("week.csv", HEADER + "".join(
        f'2026-11-0{i + 2},Anna Schmidt,ACME,website,"{t.replace(chr(34), chr(34) * 2)}",'
        f'"{t.replace(chr(34), chr(34) * 2)}",1,\n' for i, t in enumerate(hostile)))
    path = review(ws.root, NOVEMBER, today=TODAY).path
    for sheet in load_workbook(path).worksheets:
        for row in sheet.iter_rows():
            assert not [c.coordinate for c in row if c.data_type == "f"], sheet.title
    acme = rows_of(path, "acme")
    assert [r["description"] for r in acme] == hostile and [r["task"] for r in acme] == hostile
    assert all(c.quotePrefix for c in load_workbook(path)["acme"]["E"][1:])
    assert write_report(ws.check(), TODAY).path.exists()
