"""The billing run end to end: invoices issued once, re-runs change nothing, crashes heal."""

import gc
import hashlib
import json
import sys
import time

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from auftakt_batch import billing, ledger
from auftakt_batch.billing import Busy, bill, locked, void
from auftakt_batch.cli import main
from auftakt_batch.periods import parse_period
from auftakt_batch.render.pdf import write_documents
from auftakt_batch.reports import report

from .conftest import RATES, TODAY, dedent, stand_in_pdf, status_cells

HEADER = "date,person,client,job,task,description,hours,billable\n"
WEEK = dedent("""\
    2026-11-03,Anna Schmidt,ACME,website,,Layout,1.5,
    2026-11-04,Ben Okafor,globex,app,,API,2,
    2026-11-04,Ben Okafor,studio,admin,,Admin,3,
    """)
NOVEMBER = parse_period("2026-11")


def prepared(ws):
    ws.with_templates().input("week.csv", HEADER + WEEK)
    return ws


def pdf_text(path) -> str:
    return " ".join(PdfReader(path).pages[0].extract_text().split())


def fingerprints(ws) -> dict:
    return {p.name: (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
            for p in (ws.root / "output").rglob("*.pdf")}


@pytest.mark.real_pdf  # reads the PDF
def test_issues_one_invoice_per_client_with_billable_time(ws):
    result = bill(prepared(ws).root, NOVEMBER, today=TODAY)
    assert [(i.number, i.client_key, str(i.net), str(i.gross)) for i in result.issued] == [
        ("2026-0001", "acme", "180.00", "214.20"), ("2026-0002", "globex", "300.00", "357.00")]
    conn = ledger.connect(ws.root / "output" / "ledger.sqlite")
    records = ledger.invoices(conn, "issued")
    assert [r.number for r in records] == ["2026-0001", "2026-0002"]
    for record, issued in zip(records, result.issued):
        assert hashlib.sha256(issued.pdf.read_bytes()).hexdigest() == record.pdf_sha256
        text = pdf_text(issued.pdf)
        assert f"Invoice {record.number}" in text and f"Total €{record.gross:,.2f}" in text
    assert len(ledger.billed_entries(conn)) == 2  # the internal client's hour is not billed


def test_a_second_run_changes_nothing_and_late_entries_get_a_new_invoice(ws):
    prepared(ws)
    bill(ws.root, NOVEMBER, today=TODAY)
    before = fingerprints(ws)
    again = bill(ws.root, NOVEMBER, today=TODAY)
    assert again.issued == () and fingerprints(ws) == before
    ws.input("late.csv", HEADER + "2026-11-28,Anna Schmidt,ACME,website,,Fixes,1,\n" + WEEK)
    late = bill(ws.root, NOVEMBER, today=TODAY)
    assert [(i.number, i.client_key, str(i.net)) for i in late.issued] == [("2026-0003", "acme", "120.00")]


def test_errors_hold_back_only_their_client(ws):
    prepared(ws).input("more.csv", HEADER + "2026-11-05,Ben Okafor,globex,app,,Oops,zwei,\n")
    result = bill(ws.root, NOVEMBER, today=TODAY)
    assert [i.client_key for i in result.issued] == ["acme"]
    assert result.skipped == (("globex", "held back by errors (listed above)"),)


def test_an_unreadable_file_stops_the_run(ws):
    prepared(ws).input("broken.csv", b"\x00\x01")
    result = bill(ws.root, NOVEMBER, today=TODAY)
    assert result.issued == () and "input/broken.csv cannot be read" in result.stopped
    assert not (ws.root / "output" / "ledger.sqlite").exists()


def test_a_second_run_while_one_writes_is_refused(ws):
    prepared(ws)
    with locked(ws.root / "output" / ".billing.lock"):
        try:
            bill(ws.root, NOVEMBER, today=TODAY)
        except Busy as exc:
            assert "another billing run is writing" in str(exc)
        else:
            raise AssertionError("the second run was not refused")


def test_bill_command(ws):
    prepared(ws)
    result = CliRunner().invoke(main, ["bill", "--workspace", str(ws.root), "--period", "2026-11"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:4] == [
        "Issued 2 invoices:",
        "  number     client  hours     net   gross",
        "  2026-0001  acme     1.50  180.00  214.20  EUR",
        "  2026-0002  globex   2.00  300.00  357.00  EUR"]
    again = CliRunner().invoke(main, ["bill", "--workspace", str(ws.root), "--period", "2026-11"])
    assert again.output.strip().splitlines() == [
        "Nothing new to bill — the period's 3 entries (6.50 h):",
        "  3.00 h  not billable by rates.yaml (the client's or job's billable: false)",
        "  3.50 h  already on an invoice",
        "Report    output/2026-11/profitability-2026-11.xlsx"]


@pytest.mark.real_pdf  # reads the PDF
def test_drafts_touch_neither_ledger_nor_series(ws):
    prepared(ws)
    result = bill(ws.root, NOVEMBER, today=TODAY, draft=True)
    assert [(i.number, i.client_key) for i in result.issued] == [("DRAFT", "acme"), ("DRAFT", "globex")]
    assert "ENTWURF" not in pdf_text(result.issued[0].pdf) and "DRAFT" in pdf_text(result.issued[0].pdf)
    assert result.issued[0].pdf.parent == ws.root / "output" / "2026-11" / "drafts"
    assert not (ws.root / "output" / "ledger.sqlite").exists()
    assert [i.number for i in bill(ws.root, NOVEMBER, today=TODAY).issued] == ["2026-0001", "2026-0002"]


def test_invoices_command_lists_the_ledger(ws):
    prepared(ws)
    runner = CliRunner()
    assert runner.invoke(main, ["invoices", "--workspace", str(ws.root)]).output.startswith("No invoices yet")
    bill(ws.root, NOVEMBER, today=TODAY)
    listing = runner.invoke(main, ["invoices", "--workspace", str(ws.root)]).output.splitlines()
    assert listing == [
        "number     kind     client  period   issued       gross       status  sent  payment",
        "2026-0001  invoice  acme    2026-11  2026-12-03  214.20  EUR  issued  —     open",
        "2026-0002  invoice  globex  2026-11  2026-12-03  357.00  EUR  issued  —     open",
    ]
    void(ws.root, "2026-0001", "wrong rate", today=TODAY)
    listing = runner.invoke(main, ["invoices", "--workspace", str(ws.root), "--period", "2026-Q4"]).output
    assert listing.splitlines()[1:] == [  # a void invoice and its credit note owe nothing (nothing was paid)
        "2026-0001  invoice      acme    2026-11  2026-12-03   214.20  EUR  void, cancelled by 2026-0003  —",
        "2026-0002  invoice      globex  2026-11  2026-12-03   357.00  EUR  issued                        —     open",
        "2026-0003  credit note  acme    2026-11  2026-12-03  -214.20  EUR  cancels 2026-0001             —",
    ]
    october = runner.invoke(main, ["invoices", "--workspace", str(ws.root), "--period", "2026-10"]).output
    assert october.splitlines()[1:] == []


def status_rows(ws) -> list[tuple]:
    doc = json.loads(ws.cli("status", "--period", "2026-11", "--json").output)
    return [(c["client"], c["unbilled_hours"], c["unbilled_value"], c["last_invoice"], c["last_invoice_date"])
            for c in doc["clients"]]


def test_status_shows_unbilled_time_and_last_invoices(ws):
    prepared(ws)
    assert status_rows(ws) == [("globex", "2.00", "300.00", None, None), ("acme", "1.50", "180.00", None, None)]
    table = ws.cli("status", "--period", "2026-11").output
    assert "Billing status 2026-11" in table
    assert [row for row in status_cells(table) if row[0] == "acme"] == [  # the Overview's columns
        ["acme", "1.50", "1.50", "180.00 €", "0.00 €", "1.50", "180.00 €", "—", "—", "—", "100.0 %", "no budget"]]  # no cost_rate: no cost
    bill(ws.root, NOVEMBER, today=TODAY)
    assert status_rows(ws) == [("acme", "0.00", "0.00", "2026-0001", "2026-12-03"),
                               ("globex", "0.00", "0.00", "2026-0002", "2026-12-03")]


@pytest.mark.real_pdf  # reads the PDF
def test_void_issues_a_credit_note_and_frees_the_entries(ws):
    prepared(ws)
    bill(ws.root, NOVEMBER, today=TODAY)
    original_pdf = (ws.root / "output" / "2026-11" / "invoices" / "2026-0001-acme.pdf").read_bytes()
    result = CliRunner().invoke(main, ["void", "2026-0001", "--reason", "wrong rate", "--workspace", str(ws.root)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Issued credit note 2026-0003 for 2026-0001 (acme, -214.20 EUR)")
    conn = ledger.connect(ws.root / "output" / "ledger.sqlite")
    assert [(r.number, r.kind, r.status, str(r.gross)) for r in ledger.invoices(conn)] == [
        ("2026-0001", "invoice", "void", "214.20"), ("2026-0002", "invoice", "issued", "357.00"),
        ("2026-0003", "credit-note", "issued", "-214.20")]
    text = pdf_text(ws.root / "output" / "2026-11" / "invoices" / "2026-0003-acme.pdf")
    assert "Credit note 2026-0003" in text and "cancels invoice 2026-0001" in text and "Total -€214.20" in text
    assert (ws.root / "output" / "2026-11" / "invoices" / "2026-0001-acme.pdf").read_bytes() == original_pdf
    rebilled = bill(ws.root, NOVEMBER, today=TODAY)
    assert [(i.number, i.client_key) for i in rebilled.issued] == [("2026-0004", "acme")]
    again = CliRunner().invoke(main, ["void", "2026-0001", "--reason", "twice", "--workspace", str(ws.root)])
    assert again.exit_code == 2 and "only an issued invoice can be cancelled" in again.output
    assert "Credit note no. 2026-0003" in text


def test_late_entries_are_reported_with_the_invoice_they_follow(ws):
    prepared(ws)
    bill(ws.root, NOVEMBER, today=TODAY)
    ws.input("late.csv", HEADER + "2026-11-28,Anna Schmidt,ACME,website,,Fixes,1,\n")
    result = CliRunner().invoke(main, ["bill", "--workspace", str(ws.root), "--period", "2026-11"])
    assert "  2026-0003  acme     1.00  120.00  142.80  EUR  (late entries: acme already has 2026-0001 for this period)" \
        in result.output.splitlines()


def changed_since_billed(run):
    return [str(p) for p in run.check.problems if p.code == "changed-since-billed"]


def test_an_entry_changed_after_billing_is_an_error_naming_the_invoice(ws):
    prepared(ws)
    bill(ws.root, NOVEMBER, today=TODAY)
    ws.input("week.csv", HEADER + WEEK.replace("Layout,1.5", "Layout,2.5"))  # edited in the tracker
    result = bill(ws.root, NOVEMBER, today=TODAY)
    assert result.issued == () and result.skipped == (("acme", "held back by errors (listed above)"),)
    assert changed_since_billed(result) == [
        "input/week.csv:2: error: changed since billed on invoice 2026-0001 (its hours): invoiced 2026-11-03 Anna "
        "Schmidt acme/website 1:30 h 'Layout', now 2026-11-03 Anna Schmidt acme/website 2:30 h 'Layout' — restore it "
        "as invoiced, or cancel the invoice (`auftakt-batch void 2026-0001 --reason ...`) and bill again, or keep the "
        "invoice as it is with `auftakt-batch accept --period 2026-11` (this entry is then never billed)"]
    # the way out: a credit note frees the entry, and the corrected one is billed
    void(ws.root, "2026-0001", "hours corrected", today=TODAY)
    rebilled = bill(ws.root, NOVEMBER, today=TODAY)
    assert [(i.number, i.client_key, str(i.hours)) for i in rebilled.issued] == [("2026-0004", "acme", "2.5")]
    assert changed_since_billed(rebilled) == []


def test_a_renamed_person_is_not_billed_again(ws):
    prepared(ws)
    bill(ws.root, NOVEMBER, today=TODAY)
    rates = (ws.root / "rates.yaml").read_text()
    ws.rates(rates.replace('  - name: Anna Schmidt\n', '  - name: Anna Schmidt-Weber\n')
                  .replace('aliases: ["A. Schmidt"]', 'aliases: ["A. Schmidt", "Anna Schmidt"]'))
    result = bill(ws.root, NOVEMBER, today=TODAY)
    assert result.issued == () and [p.split(": error")[0] for p in changed_since_billed(result)] == ["input/week.csv:2"]


def test_an_edited_timed_entry_beside_the_billed_export_is_caught(ws):
    header = "date,start,end,person,client,job,task,description,hours,billable\n"
    prepared(ws).input("week.csv", header + "2026-11-03,09:00,10:30,Anna Schmidt,ACME,website,,Layout,,\n")
    bill(ws.root, NOVEMBER, today=TODAY)
    # a re-export with the end time edited, while the billed export is still in input/
    ws.input("week-again.csv", header + "2026-11-03,09:00,11:00,Anna Schmidt,ACME,website,,Layout,,\n")
    result = bill(ws.root, NOVEMBER, today=TODAY)
    assert result.issued == () and [p.split(": error")[0] for p in changed_since_billed(result)] == [
        "input/week-again.csv:2"]


def test_a_new_entry_beside_a_billed_one_is_billed(ws):
    prepared(ws)
    bill(ws.root, NOVEMBER, today=TODAY)
    # the same person, day and job as a billed entry, other words and hours, the billed one still there: new work
    ws.input("late.csv", HEADER + "2026-11-03,Anna Schmidt,ACME,website,,Copy edits,1,\n")
    result = bill(ws.root, NOVEMBER, today=TODAY)
    assert [(i.client_key, str(i.hours)) for i in result.issued] == [("acme", "1")]
    assert changed_since_billed(result) == []


@pytest.mark.real_pdf  # reads the PDF
def test_the_appendix_lists_the_entries_behind_each_line(ws):
    prepared(ws)
    ws.edit_rates('    name: ACME GmbH\n', '    name: ACME GmbH\n    appendix: true\n')
    ws.input("more.csv", HEADER + "2026-11-05,Ben Okafor,ACME,website,,Wireframes <v2>,0:45,\n")
    acme, globex = bill(ws.root, NOVEMBER, today=TODAY).issued
    pages = [" ".join(page.extract_text().split()) for page in PdfReader(acme.pdf).pages]
    assert len(pages) == 2 and "Appendix" not in pages[0]
    assert pages[1].startswith("Appendix: time entries — Invoice 2026-0001 1. Website relaunch 2.25 "
                               "DATE PERSON DESCRIPTION HOURS "
                               "3 Nov 2026 Anna Schmidt Layout 1.50 5 Nov 2026 Ben Okafor Wireframes <v2> 0.75")
    assert len(PdfReader(globex.pdf).pages) == 1  # globex did not ask for it


def test_a_ledger_that_is_not_a_database_is_reported_and_left_alone(ws):
    prepared(ws)
    (ws.root / "output").mkdir()
    (ws.root / "output" / "ledger.sqlite").write_bytes(b"not a database")
    result = ws.cli("check", "--period", "2026-11")
    assert result.exit_code == 1 and "output/ledger.sqlite: error: " in result.output
    assert "ledger.sqlite cannot be read: file is not a database" in result.output
    billed = ws.cli("bill", "--period", "2026-11")
    assert billed.exit_code == 1 and billed.output.startswith("Error: ") and "file is not a database" in billed.output
    assert (ws.root / "output" / "ledger.sqlite").read_bytes() == b"not a database"


def test_an_unknown_client_is_a_usage_error_and_a_name_or_alias_works(ws):
    prepared(ws)
    typo = ws.cli("bill", "--period", "2026-11", "--client", "acmee")
    assert typo.exit_code == 2 and "no client 'acmee' in rates.yaml — closest: acme (ACME GmbH)" in typo.output
    by_alias = bill(ws.root, NOVEMBER, today=TODAY, only="Acme Corp.")
    assert [i.client_key for i in by_alias.issued] == ["acme"]


def test_work_dated_after_today_waits_for_a_later_run(ws):
    prepared(ws).input("ahead.csv", HEADER + "2026-12-05,Anna Schmidt,ACME,website,,Planned,2,\n")
    december = parse_period("2026-12")
    first = bill(ws.root, december, today=TODAY)
    assert first.issued == () and first.later == ("1 billable entry dated after today (2026-12-05 .. 2026-12-05) "
                                                  "wait for a run on or after their day")
    later = bill(ws.root, december, today=TODAY.replace(day=7))
    assert [(i.client_key, str(i.hours)) for i in later.issued] == [("acme", "2")] and later.later is None


@pytest.mark.real_pdf  # reads the PDF
def test_a_credit_note_needs_a_reason_and_shows_no_due_date(ws):
    prepared(ws)
    bill(ws.root, NOVEMBER, today=TODAY)
    empty = ws.cli("void", "2026-0001", "--reason", "  ")
    assert empty.exit_code == 2 and "give the reason the client will read" in empty.output
    note = void(ws.root, "2026-0001", "wrong rate", today=TODAY)
    assert "Due" not in pdf_text(note.pdf) and "Due" in pdf_text(ws.root / "output/2026-11/invoices/2026-0001-acme.pdf")
    again = ws.cli("void", "2026-0003", "--reason", "x")
    assert again.exit_code == 2 and "2026-0003 is a credit note: only an issued invoice can be cancelled" in again.output
    assert status_rows(ws)[0] == ("acme", "1.50", "180.00", None, None)  # the void invoice is not the last one


@pytest.mark.real_pdf  # reads the PDF
def test_a_draft_run_replaces_the_drafts_of_earlier_runs(ws):
    prepared(ws)
    bill(ws.root, NOVEMBER, today=TODAY, draft=True)
    ws.input("more.csv", HEADER + "2026-11-05,Ben Okafor,globex,app,,Oops,zwei,\n")  # globex now held back
    result = bill(ws.root, NOVEMBER, today=TODAY, draft=True)
    drafts = sorted(p.name for p in (ws.root / "output" / "2026-11" / "drafts").iterdir())
    assert [i.client_key for i in result.issued] == ["acme"] and drafts == ["DRAFT-acme.pdf"]
    assert "quoting invoice number DRAFT" in pdf_text(result.issued[0].pdf)


def test_an_entry_edited_in_a_newer_overlapping_export_is_not_billed_again(ws):
    prepared(ws)
    bill(ws.root, NOVEMBER, today=TODAY)  # week.csv: Anna's Layout 1.5 h on the 3rd is on 2026-0001
    # a later export of the same sheet (it shares Ben's entries) with Anna's entry reworded: untimed,
    # so the words are part of where it sits — only the newer export's replacing it tells it was edited
    ws.input("week-again.csv", HEADER + WEEK.replace("Layout,1.5", "Layout and fixes,1.5")
             + "2026-11-10,Ben Okafor,globex,app,,More API,1,\n")
    result = bill(ws.root, NOVEMBER, today=TODAY)
    codes = {p.code: str(p) for p in result.check.problems}
    assert codes["replaced-by-newer"].startswith("input/week.csv:2: warning: 1 entry on 1 day(s) replaced by the "
                                                 "newer export input/week-again.csv")
    assert codes["changed-since-billed"].startswith(
        "input/week-again.csv:2: error: changed since billed on invoice 2026-0001 (its words): invoiced 2026-11-03 "
        "Anna Schmidt acme/website 1:30 h 'Layout', now 2026-11-03 Anna Schmidt acme/website 1:30 h 'Layout and fixes'")
    assert [(i.client_key, str(i.hours)) for i in result.issued] == [("globex", "1")]
    assert result.skipped == (("acme", "held back by errors (listed above)"),)


def test_the_report_is_prepared_while_the_pdfs_render_and_placed_once_all_are(ws):
    """Once every invoice is reserved, the report is computed and its workbook written beside its
    place while the PDFs render; it shows the invoices as issued, as a report after the run does."""
    prepared(ws)
    workbook = ws.root / "output" / "2026-11" / "profitability-2026-11.xlsx"
    seen = []

    def slow_renderer(jobs, done, *, count=None):
        jobs = list(jobs)  # every invoice reserved: the report's thread starts now
        deadline = time.monotonic() + 60
        while not list(workbook.parent.glob(".profitability-2026-11.xlsx.*.tmp")):  # no PDF is done yet
            assert time.monotonic() < deadline, "no workbook was prepared while the PDFs rendered"
            time.sleep(0.01)
        seen.append(workbook.exists())
        for job in jobs:
            done(job, write_documents(job, stand_in_pdf))

    result = bill(ws.root, NOVEMBER, today=TODAY, renderer=slow_renderer)
    assert seen == [False] and workbook.is_file()  # in place only once every PDF was
    assert not list(workbook.parent.glob(".*.tmp"))
    invoices = result.report.figures.invoices
    assert invoices[["number", "status", "pdf"]].values.tolist() == [
        ["2026-0001", "issued", "output/2026-11/invoices/2026-0001-acme.pdf"],
        ["2026-0002", "issued", "output/2026-11/invoices/2026-0002-globex.pdf"]]
    after = report(ws.root, NOVEMBER, TODAY)  # the same figures as a report of the ledger as it now is
    assert after.figures.invoices.equals(invoices) and after.figures.clients.equals(result.report.figures.clients)


def test_a_failed_rendering_leaves_the_workbook_as_it_was(ws):
    prepared(ws)
    workbook = ws.root / "output" / "2026-11" / "profitability-2026-11.xlsx"

    def failing_renderer(jobs, done, *, count=None):
        jobs = list(jobs)
        done(jobs[0], write_documents(jobs[0], stand_in_pdf))
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        bill(ws.root, NOVEMBER, today=TODAY, renderer=failing_renderer)
    assert not workbook.exists() and not list(workbook.parent.glob(".*.tmp"))  # not prepared for nothing
    healed = bill(ws.root, NOVEMBER, today=TODAY)  # the next run finishes the pending invoice
    assert [i.number for i in healed.issued] == ["2026-0002"] and workbook.is_file()
    assert healed.report.figures.invoices["status"].tolist() == ["issued", "issued"]


def many_clients(ws, count: int):
    """The workspace of `prepared` with `count` clients more, each with an hour to bill."""
    prepared(ws)
    ws.rates(RATES + "".join(f"  client{i}:\n    name: Client {i}\n    rate: \"100.00\"\n    jobs:\n"
                             f"      work: {{name: Work}}\n" for i in range(count)))
    ws.input("more.csv", HEADER + "".join(f"2026-11-05,Anna Schmidt,client{i},work,,Work,1,\n" for i in range(count)))
    return ws


@pytest.mark.parametrize("most, sizes", [(64, [1, 2, 4, 2]), (2, [1, 2, 2, 2, 2])])
def test_invoices_are_reserved_the_first_alone_then_in_growing_batches(ws, monkeypatch, most, sizes):
    """The first invoice is reserved (and handed to the workers) before the others are; then two at
    a time, four, …, up to BATCH, each batch one transaction."""
    many_clients(ws, 7)  # 9 invoices
    monkeypatch.setattr(billing, "BATCH", most)
    reserved, original = [], ledger.record_all_pending
    monkeypatch.setattr(ledger, "record_all_pending",
                        lambda conn, pattern, drafts, **h: reserved.append(len(drafts)) or original(conn, pattern,
                                                                                                    drafts, **h))
    known_at_first = []

    def renderer(jobs, done, *, count=None):
        for place, job in enumerate(jobs):
            if place == 0:
                known_at_first.append(len(ledger.read_invoices(ws.root / "output" / "ledger.sqlite")))
            done(job, write_documents(job, stand_in_pdf))

    result = bill(ws.root, NOVEMBER, today=TODAY, renderer=renderer)
    assert reserved == sizes and known_at_first == [1]
    assert [i.number for i in result.issued] == [f"2026-{n:04d}" for n in range(1, 10)]
    assert [r.status for r in ledger.read_invoices(ws.root / "output" / "ledger.sqlite")] == ["issued"] * 9


def test_a_rendering_that_fails_between_batches_leaves_them_pending_for_the_next_run(ws, monkeypatch):
    many_clients(ws, 7)
    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)

    def failing_renderer(jobs, done, *, count=None):
        first = next(iter(jobs))  # the first batch alone: the others are never reserved
        done(first, write_documents(first, stand_in_pdf))
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        bill(ws.root, NOVEMBER, today=TODAY, renderer=failing_renderer)
    gc.collect()  # the run's reservations, left halfway, let go: nothing to say about a ledger closed already
    assert unraisable == []
    path = ws.root / "output" / "ledger.sqlite"
    assert [(r.number, r.status) for r in ledger.read_invoices(path)] == [("2026-0001", "issued")]
    healed = bill(ws.root, NOVEMBER, today=TODAY)
    assert [i.number for i in healed.issued] == [f"2026-{n:04d}" for n in range(2, 10)]
    billed = ledger.read_billed(path)
    assert not billed["entry_id"].duplicated().any() and len(billed) == 9
