"""The review workbook round trip: write it, edit it as a reviewer would, bill as it says."""

import json
import os
import shutil
import sqlite3
import subprocess
import zipfile
from datetime import date, time
from xml.sax.saxutils import escape

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from auftakt_batch.billing import bill
from auftakt_batch.periods import parse_period
from auftakt_batch.reports import report, review

from .conftest import RATES, TODAY, dedent

NOVEMBER = parse_period("2026-11")
HEADER = "date,person,client,job,task,description,hours,billable\n"
ENTRIES = dedent("""\
    2026-11-03,Anna Schmidt,ACME,website,,Layout,1.5,
    2026-11-04,Anna Schmidt,ACME,website,,Navigation,2,
    2026-11-05,Ben Okafor,ACME,website,,Templates,3,
    2026-11-07,Ben Okafor,globex,app,,API,2,
    2026-11-04,Ben Okafor,studio,admin,,Admin,3,
    """)


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


ODS_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')


def _ods_cell(value) -> str:
    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, bool) or not isinstance(value, (int, float, date, time)):
        return f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p></table:table-cell>'
    if isinstance(value, (int, float)):
        kind = f'office:value-type="float" office:value="{value}"'
    elif isinstance(value, time):
        kind = f'office:value-type="time" office:time-value="PT{value.hour:02d}H{value.minute:02d}M{value.second:02d}S"'
    else:
        kind = f'office:value-type="date" office:date-value="{value.isoformat()}"'
    return f"<table:table-cell {kind}><text:p>{value}</text:p></table:table-cell>"


def write_ods(path, sheets: dict[str, list]) -> None:
    """An OpenDocument spreadsheet of these cells, typed as LibreOffice types them (text, numbers,
    dates, times of day)."""
    tables = "".join(f'<table:table table:name="{escape(name)}">' + "".join(
        "<table:table-row>" + "".join(_ods_cell(v) for v in row) + "</table:table-row>" for row in rows)
        + "</table:table>" for name, rows in sheets.items())
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:'
            'xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type='
            '"application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" '
            'manifest:media-type="text/xml"/></manifest:manifest>'))
        archive.writestr("content.xml", f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODS_NS} '
                                        'office:version="1.2"><office:body><office:spreadsheet>'
                                        f"{tables}</office:spreadsheet></office:body></office:document-content>")


def save_as_ods(xlsx, saver: str, tmp_path):
    """review-P.ods beside the workbook, as a LibreOffice user saves it in LibreOffice's own format:
    by LibreOffice itself ("libreoffice", skipped when it is not installed), or written here from
    the workbook's cells ("written")."""
    ods = xlsx.with_suffix(".ods")
    if saver == "written":
        write_ods(ods, {sheet.title: list(sheet.values) for sheet in load_workbook(xlsx).worksheets})
        return ods
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    subprocess.run([soffice, f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}", "--headless",
                    "--norestore", "--convert-to", "ods", "--outdir", str(xlsx.parent), str(xlsx)],
                   check=True, capture_output=True, timeout=180)
    return ods


def older(path, than) -> None:
    """Set `path`'s modification time a second before `than`'s."""
    before = than.stat().st_mtime_ns - 10**9
    os.utime(path, ns=(before, before))


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


@pytest.mark.real_pdf  # reads the PDF
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
        "output/2026-11/review-2026-11.xlsx[acme]:4: error: row 4 no longer matches the inputs (changed or removed "
        "since it was written) and it lacks 1 entry: 2026-11-05 Ben Okafor 4.00 h 'Templates' (added or changed in "
        "the exports since, or its row deleted: to hold an entry back, set approve to no instead) — acme is not "
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
        "output/2026-11/review-2026-11.xlsx[acme]:2:approve: error: 'maybe' is neither yes nor no — write yes or no "
        "(empty means yes); acme is not billed until then",
        "output/2026-11/review-2026-11.xlsx[acme]:3:bill_hours: error: 5.00 h is more than the 2.00 h to bill — a review "
        "writes entries down, never up",
        "output/2026-11/review-2026-11.xlsx[acme]:4:bill_hours: error: 0 h would bill nothing — set approve to no to hold the "
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
        "output/2026-11/review-2026-11.xlsx[acme]:3:bill_hours: error: 0.001 is not in the 15-minute rounding step — use 0:15",
        "output/2026-11/review-2026-11.xlsx[acme]:4:bill_hours: error: '1:20' is not in the 15-minute rounding step — use 1:15 "
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
        "output/2026-11/review-2026-11.xlsx: error: it has no sheet 'globex' for the 1 entry of globex to bill now "
        "(it was written before there were any, or the sheet was deleted or renamed) — globex is not billed until you run `auftakt-batch review --period 2026-11` again (decisions "
        "already made are kept) and review them"]


@pytest.mark.parametrize("saver", ["libreoffice", "written"])
def test_a_review_saved_in_libreoffices_own_format_is_followed(ws, tmp_path, saver):
    result = reviewed_ws(ws)
    as_written = result.path.read_bytes()
    edit(result.path, "acme", {"Navigation": {"approve": "no"}, "Templates": {"bill_hours": time(2, 15)}})
    ods = save_as_ods(result.path, saver, tmp_path)
    result.path.write_bytes(as_written)  # "Save as .ods" leaves the .xlsx as `review` wrote it
    older(result.path, than=ods)
    assert [str(p) for p in ws.check().problems if p.code == "review"] == [
        "output/2026-11/review-2026-11.ods: note: followed: saved after output/2026-11/review-2026-11.xlsx, which "
        "is ignored — delete the older one if you do not need it"]
    result.path.unlink()  # the .ods alone is followed just the same, without a word
    assert [p for p in ws.check().problems if p.code == "review"] == []
    # writing the review again carries the .ods's decisions into a new .xlsx, which is followed from then on
    again = ws.cli("review", "--period", "2026-11")
    assert again.output.splitlines()[1:] == [
        "Kept      2 decisions of the workbook it replaces",
        "Note      output/2026-11/review-2026-11.ods is older now and no longer followed (its decisions are kept "
        "above): edit review-2026-11.xlsx"]
    assert [(r["description"], r["approve"], r["bill_hours"]) for r in rows_of(result.path, "acme")] == [
        ("Layout", "yes", None), ("Navigation", "no", None), ("Templates", "yes", "2:15")]
    run = bill(ws.root, NOVEMBER, today=TODAY)
    assert [(i.client_key, str(i.hours)) for i in run.issued] == [("acme", "3.75"), ("globex", "2")]
    assert run.review == ("1 entry held back (left unbilled) and 1 entry written down by 0.75 h, as the review "
                          "workbook says")


def test_of_an_xlsx_and_an_ods_the_one_saved_last_is_followed_and_a_tie_holds_back_everyone(ws, tmp_path):
    result = reviewed_ws(ws)
    ods = save_as_ods(result.path, "written", tmp_path)
    edit(result.path, "acme", {"Navigation": {"approve": "no"}})  # the .xlsx, saved after the .ods
    older(ods, than=result.path)
    run = ws.check()
    assert [str(p) for p in run.problems if p.code == "review"] == [
        "output/2026-11/review-2026-11.xlsx: note: followed: saved after output/2026-11/review-2026-11.ods, which "
        "is ignored — delete the older one if you do not need it"]
    assert run.decisions.set_index("entry_id")["approve"].value_counts().to_dict() == {True: 3, False: 1}
    os.utime(ods, ns=(result.path.stat().st_mtime_ns,) * 2)
    run = ws.check()
    assert [str(p) for p in run.problems if p.code == "review"] == [
        "output/2026-11/review-2026-11.xlsx: error: output/2026-11/review-2026-11.ods is there too, saved at the "
        "same time: which review to follow cannot be told — delete the one that does not hold your decisions; no "
        "client is billed until then"]
    assert run.held_back() == (frozenset(), True)
    assert bill(ws.root, NOVEMBER, today=TODAY).issued == ()


def test_an_empty_approve_cell_means_yes_as_the_workbook_says(ws):
    result = reviewed_ws(ws)
    about = [row[0] for row in load_workbook(result.path)["How to review"].values if row[0]]
    assert "              empty = yes. To hold an entry back, set no: never delete its row." in about
    edit(result.path, "acme", {"Layout": {"approve": None}, "Navigation": {"approve": "  "},
                               "Templates": {"approve": "no"}})
    run = bill(ws.root, NOVEMBER, today=TODAY)
    assert [(i.client_key, str(i.hours)) for i in run.issued] == [("acme", "3.5"), ("globex", "2")]  # 1.5 + 2
    assert run.review == "1 entry held back (left unbilled), as the review workbook says"


def test_a_deleted_row_names_the_entry_the_review_lacks(ws):
    result = reviewed_ws(ws)
    book = load_workbook(result.path)
    book["acme"].delete_rows(3)  # Navigation
    book.save(result.path)
    run = ws.check()
    assert [str(p) for p in run.problems if p.code == "review"] == [
        "output/2026-11/review-2026-11.xlsx[acme]: error: it lacks 1 entry: 2026-11-04 Anna Schmidt 2.00 h "
        "'Navigation' (added or changed in the exports since, or its row deleted: to hold an entry back, set approve "
        "to no instead) — acme is not billed until you run `auftakt-batch review --period 2026-11` again (decisions "
        "already made are kept) and review them"]
    assert run.held_back() == (frozenset({"acme"}), False)


def test_review_problems_give_sheet_row_and_column_in_json_and_the_problems_sheet(ws, tmp_path):
    result = reviewed_ws(ws)
    edit(result.path, "acme", {"Layout": {"approve": "maybe"}, "Navigation": {"bill_hours": 5}})
    save_as_ods(result.path, "written", tmp_path)
    result.path.unlink()
    doc = json.loads(ws.cli("check", "--period", "2026-11", "--json").output)
    located = [(p["file"], p["row"], p["column"]) for p in doc["problems"] if p["code"] == "review"]
    assert located == [("output/2026-11/review-2026-11.ods[acme]", 2, "approve"),
                       ("output/2026-11/review-2026-11.ods[acme]", 3, "bill_hours")]
    sheet = rows_of(report(ws.root, NOVEMBER, TODAY).path, "Problems")
    assert [(r["file"], r["row"], r["column"]) for r in sheet if r["code"] == "review"] == located


def test_the_review_shows_logged_and_billed_hours_when_a_rounding_rule_applies(ws):
    ws.rates(RATES.replace('  vat_rate: "19"\n', '  vat_rate: "19"\n  rounding: {minutes: 15, mode: up}\n'))
    ws.input("more.csv", HEADER + "2026-11-09,Anna Schmidt,ACME,website,,Call,0:07,\n")
    book = load_workbook(reviewed_ws(ws).path)
    cells = list(book["How to review"].values)
    head = next(i for i, row in enumerate(cells) if row[0] == "client (sheet)")
    table = [dict(zip(cells[head], row)) for row in cells[head + 1:]]
    assert [(r["client (sheet)"], r["logged h"], r["billed h"]) for r in table] == [("acme", 6.62, 6.75),
                                                                                    ("globex", 2, 2)]
    assert "billed h is the logged h after the rounding rule of rates.yaml (`rounding: none`: as logged)." in [
        row[0] for row in cells]


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
    assert report(ws.root, NOVEMBER, TODAY).path.exists()
