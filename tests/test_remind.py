"""`remind`: payment reminders for overdue invoices at the levels and fee of agency.reminders —
a PDF in the client's language beside the invoice, recorded in the ledger once per level, the
bank statements settled first, a run killed anywhere healed — and `send` mailing them."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from email import message_from_bytes, policy

import pytest
from pypdf import PdfReader

from auftakt_batch import billing, reminding
from auftakt_batch.files import FAULT

from .conftest import ROOT, Workspace, bill_once, edited, stand_in_pdfs
from .test_bank import camt, entry
from .test_send import EXPORT, RATES, ca, messages, server  # noqa: F401  # ca and server: fixtures

LEVELS = '  reminders: {after_days: [7, 21, 35], fee: "5.00"}\n'
# 2026-0001 ACME (German): 1.5 h × 120.00 + 19 % = 214.20; 2026-0002 Globex (English): 2 h × 150.00 + 19 % = 357.00;
# both issued on 3 Dec 2026, due on 17 Dec 2026 (14 days)


def billed(ws: Workspace, mail: str = '  mail: {from: "Studio <billing@studio.example>", outbox: true}\n',
           levels: str = LEVELS) -> Workspace:
    ws.rates(edited(RATES, "  iban: DE89370400440532013000\n", "  iban: DE89370400440532013000\n" + mail + levels))
    ws.with_templates().input("november.csv", EXPORT)
    bill_once(ws, ("remind", (ws.root / "rates.yaml").read_text()), lambda: _billed(ws))
    return ws


def _billed(ws: Workspace) -> None:
    result = ws.cli("bill", "--period", "2026-11")
    assert result.exit_code == 0, result.output


@pytest.fixture
def stand_in_invoices(monkeypatch):
    """For a test marked real_pdf for its reminders' PDFs: the invoices' PDFs, which no reminder
    reads, the stand-in's (conftest), so billing starts no WeasyPrint workers."""
    monkeypatch.setattr(billing, "write_pdfs", stand_in_pdfs)


def reminders(ws: Workspace) -> list[tuple]:
    conn = sqlite3.connect(ws.root / "output" / "ledger.sqlite")
    try:
        return conn.execute("SELECT number, level, issue_date, pay_by, days_overdue, paid, open, fee, fees_before, "
                            "status FROM reminders ORDER BY id").fetchall()
    finally:
        conn.close()


def pdf_text(path) -> str:
    return " ".join(PdfReader(path).pages[0].extract_text().split())


def on(monkeypatch, day: str) -> None:
    monkeypatch.setenv("AUFTAKT_TODAY", day)


def test_each_overdue_invoice_gets_each_level_once_with_the_fee_from_the_second(ws, monkeypatch):
    billed(ws)
    on(monkeypatch, "2026-12-23")  # 6 days past due
    assert ws.cli("remind").output.splitlines() == [
        "Nothing to remind: no invoice is overdue past a level without its reminder (levels at 7, 21, 35 days "
        "past due)."]
    on(monkeypatch, "2026-12-24")
    result = ws.cli("remind")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Issued 2 reminders:",
        "  2026-0001  acme         level 1    7 days overdue        214.20 EUR by 2026-12-31  "
        "output/2026-11/reminders/2026-0001-reminder-1.pdf",
        "  2026-0002  globex       level 1    7 days overdue        357.00 EUR by 2026-12-31  "
        "output/2026-11/reminders/2026-0002-reminder-1.pdf",
        "`auftakt-batch send` mails them."]
    assert "Nothing to remind" in ws.cli("remind").output  # the same day again: each level once
    assert "overdue 7 d, reminder 1" in ws.cli("invoices").output
    on(monkeypatch, "2027-02-25")  # 70 days past due: straight to the third level, once
    ws.cli("remind", "--client", "globex")
    on(monkeypatch, "2027-01-08")  # 22 days: ACME's second
    ws.cli("remind")
    on(monkeypatch, "2027-01-25")  # 39 days: ACME's third, asking both fees
    ws.cli("remind")
    assert reminders(ws) == [
        ("2026-0001", 1, "2026-12-24", "2026-12-31", 7, "0.00", "214.20", "0.00", "0.00", "issued"),
        ("2026-0002", 1, "2026-12-24", "2026-12-31", 7, "0.00", "357.00", "0.00", "0.00", "issued"),
        ("2026-0002", 3, "2027-02-25", "2027-03-04", 70, "0.00", "357.00", "5.00", "0.00", "issued"),
        ("2026-0001", 2, "2027-01-08", "2027-01-15", 22, "0.00", "214.20", "5.00", "0.00", "issued"),
        ("2026-0001", 3, "2027-01-25", "2027-02-01", 39, "0.00", "214.20", "5.00", "5.00", "issued")]
    conn = sqlite3.connect(ws.root / "output" / "ledger.sqlite")
    with pytest.raises(sqlite3.IntegrityError):  # the database itself refuses a second reminder of a level
        conn.execute("INSERT INTO reminders (number, level, issue_date, pay_by, days_overdue, paid, open, fee, "
                     "fees_before, currency, status, pdf_path, issued_at) VALUES ('2026-0001', 2, '2027-01-09', "
                     "'2027-01-16', 23, '0', '214.20', '5.00', '0', 'EUR', 'issued', 'x', '2027-01-09T10:00:00Z')")
    conn.close()


@pytest.mark.real_pdf
def test_the_pdf_speaks_the_clients_language_and_asks_for_what_is_open_and_the_fees(ws, monkeypatch, stand_in_invoices):
    billed(ws)
    on(monkeypatch, "2026-12-24")
    ws.cli("remind")
    on(monkeypatch, "2027-01-25")
    ws.cli("remind")
    first = pdf_text(ws.root / "output/2026-11/reminders/2026-0001-reminder-1.pdf")
    assert "Zahlungserinnerung — Rechnungsnr. 2026-0001" in first
    assert ("unsere Rechnung 2026-0001 vom 03.12.2026 war am 17.12.2026 fällig; eine Zahlung von 214,20 € ist bei "
            "uns bisher nicht eingegangen.") in first
    assert "Zu zahlen 214,20 €" in first and "Mahngebühr" not in first
    assert "bis zum 31.12.2026 auf IBAN DE89370400440532013000" in first
    last = pdf_text(ws.root / "output/2026-11/reminders/2026-0002-reminder-3.pdf")
    assert "Final reminder — Invoice no. 2026-0002" in last
    assert ("We have reminded you of our invoice 2026-0002 of 3 Dec 2026, due on 17 Dec 2026, before; €357.00 of it "
            "is still unpaid.") in last
    assert "Open €357.00 Reminder fee €5.00 To pay €362.00" in last
    assert "Reminder fees are not subject to VAT." in last
    assert "Please transfer €362.00 by 1 Feb 2027" in last
    assert not (ws.root / "output/2026-11/reminders/2026-0002-reminder-2.pdf").exists()  # a level skipped
    conn = sqlite3.connect(ws.root / "output" / "ledger.sqlite")
    recorded = dict(conn.execute("SELECT pdf_path, pdf_sha256 FROM reminders").fetchall())
    conn.close()
    assert recorded == {path: hashlib.sha256((ws.root / path).read_bytes()).hexdigest() for path in recorded}


def statement(*entries: str) -> str:
    return camt("08", "\n".join(entries))


def globex_pays_in_full(ws, ref: str, booked: str) -> None:
    """input/bank/ gets a statement: Globex pays its invoice 2026-0002 (357.00) in full on `booked`."""
    ws.input("bank/december.xml", statement(entry("08", "357.00", name="Globex Corporation",
                                                  remittance="Invoice 2026-0002", ref=ref,
                                                  booked=f"<Dt>{booked}</Dt>")))


def test_the_statements_are_settled_first_a_paid_invoice_is_not_reminded_a_part_paid_one_for_its_rest(
        ws, monkeypatch):
    billed(ws)
    ws.input("bank/december.xml", statement(
        entry("08", "357.00", name="Globex Corporation", remittance="Invoice 2026-0002", ref="A1",
              booked="<Dt>2026-12-20</Dt>"),
        entry("08", "100.00", name="ACME GmbH", remittance="RE 2026-0001 Teilzahlung", ref="A2",
              booked="<Dt>2026-12-21</Dt>")))
    on(monkeypatch, "2026-12-28")
    result = ws.cli("remind")
    assert result.output.splitlines()[:2] == [
        "Recorded 2 payments from input/bank/ first (`auftakt-batch payments` lists them).",
        "Issued 1 reminder:"]
    assert [r[:8] for r in reminders(ws)] == [
        ("2026-0001", 1, "2026-12-28", "2027-01-04", 11, "100.00", "114.20", "0.00")]


def test_an_invoice_a_booking_not_matched_yet_may_pay_is_held_back(ws, monkeypatch):
    billed(ws)
    ws.input("bank/december.xml", statement(entry("08", "357.00", name="Someone", remittance="Invoice 2026-0020",
                                                  ref="B1", booked="<Dt>2026-12-20</Dt>")))  # a typo of 2026-0002
    on(monkeypatch, "2026-12-28")
    result = ws.cli("remind")
    assert "Held back: 2026-0002 (globex) — the booking input/bank/december.xml:1 may pay it; if it does: " \
           "`auftakt-batch payments --match input/bank/december.xml:1 2026-0002`, then remind again." in result.output
    assert ws.cli("payments", "--match", "input/bank/december.xml:1", "2026-0002").exit_code == 0
    assert "Nothing to remind" in ws.cli("remind").output  # paid: no reminder, none held
    assert [r[0] for r in reminders(ws)] == ["2026-0001"]


def test_a_cancelled_invoice_is_never_reminded(ws, monkeypatch):
    billed(ws)
    assert ws.cli("void", "2026-0002", "--reason", "wrong job").exit_code == 0
    on(monkeypatch, "2027-01-30")
    ws.cli("remind")
    assert [r[:2] for r in reminders(ws)] == [("2026-0001", 3)]


@pytest.mark.parametrize(("levels", "expected"), [
    ('  reminders: {fee: "5.00"}\n', "agency.reminders.after_days: missing (required)"),
    ("  reminders: {after_days: [21, 7]}\n", "expected up to 9 days, each more than the one before"),
    ("  reminders: {after_days: [7, seven]}\n", "agency.reminders.after_days[1]: not a number"),
    ('  reminders: {after_days: [7], fee: "5.001"}\n', "has more than 2 decimal places"),
    ("  reminders: {after_days: [7], fees: 5}\n", "agency.reminders.fees: unknown key — did you mean 'fee'?"),
])
def test_reminder_settings_are_checked_at_their_line(ws, levels, expected):
    ws.rates(edited(RATES, "  iban: DE89370400440532013000\n", "  iban: DE89370400440532013000\n" + levels))
    result = ws.cli("remind")
    assert result.exit_code == 1
    assert "rates.yaml:13: agency.reminders" in result.output and expected in result.output


def test_without_levels_remind_says_what_to_add(ws):
    billed(ws, levels="")
    result = ws.cli("remind")
    assert result.exit_code == 1
    assert "rates.yaml has no agency.reminders — add `reminders: {after_days: [7, 21, 35], fee: \"5.00\"}`" in \
        result.output


REMIND = ("import datetime, sys; from pathlib import Path; from auftakt_batch.cli import main; "
          "main(['remind', '--workspace', sys.argv[1]])")


REMINDED = ("2026-0001-reminder-1.pdf", "2026-0002-reminder-1.pdf")
RENDER_PDF = reminding.render_pdf  # WeasyPrint's, as imported: conftest's stand-in is put in its place per test


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> dict[str, bytes]:
    """The reminders' PDFs (WeasyPrint's) of a `remind` that was never interrupted, on 24 December:
    made once for every step a run is killed at."""
    clean = Workspace(tmp_path_factory.mktemp("clean") / "ws")
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(billing, "write_pdfs", stand_in_pdfs)  # no reminder reads its invoice's PDF
        patched.setattr(reminding, "render_pdf", RENDER_PDF)
        patched.setenv("AUFTAKT_TODAY", "2026-12-03")
        billed(clean)
        on(patched, "2026-12-24")
        assert clean.cli("remind").exit_code == 0
    return {name: (clean.root / "output/2026-11/reminders" / name).read_bytes() for name in REMINDED}


@pytest.mark.real_pdf  # the killed run renders in a process of its own, with WeasyPrint
@pytest.mark.parametrize("step", ["reminder-reserved", "pdf-written", "reminder-written"])
def test_a_run_killed_anywhere_is_finished_by_the_next_with_the_same_pdf(ws, monkeypatch, step, stand_in_invoices,
                                                                       uninterrupted):
    billed(ws)
    on(monkeypatch, "2026-12-24")
    env = {**os.environ, FAULT: step, "PYTHONPATH": str(ROOT / "src")}
    killed = subprocess.run([sys.executable, "-c", REMIND, str(ws.root)], env=env, capture_output=True, timeout=120)
    assert killed.returncode == -9, killed.stderr
    assert reminders(ws)[0][-1] == "pending"
    result = ws.cli("remind")
    assert result.exit_code == 0
    assert "Issued 2 reminders:" in result.output
    assert [r[-1] for r in reminders(ws)] == ["issued", "issued"]
    assert not list((ws.root / "output").rglob(".*.tmp*"))  # no temporary file left
    for name in REMINDED:
        assert (ws.root / "output/2026-11/reminders" / name).read_bytes() == uninterrupted[name]


def test_send_mails_each_reminder_once_and_a_later_level_waits_for_the_last_to_arrive(ws, server,  # noqa: F811
                                                                                     monkeypatch):
    inbox, port = server("none")
    billed(ws, mail=f'  mail: {{from: "Studio <billing@studio.example>", smtp: {{host: localhost, port: {port}, '
                    f'security: none}}}}\n')
    assert ws.cli("send").exit_code == 0 and len(inbox.messages) == 2  # the invoices
    on(monkeypatch, "2026-12-24")
    ws.cli("remind")
    on(monkeypatch, "2027-01-08")
    held = ws.cli("remind", "--client", "acme")  # its first was never sent: no "we have reminded you before" yet
    assert "Held back: 2026-0001 (acme) — its reminder 1 was never delivered: send it first" in held.output
    first = ws.cli("send")
    assert first.output.splitlines() == [
        "Sent 2026-0001-reminder-1 (acme) to rechnungen@acme.example, einkauf@acme.example",
        "Sent 2026-0002-reminder-1 (globex) to ap@globex.example"]
    assert "Issued 1 reminder:" in ws.cli("remind", "--client", "acme").output
    result = ws.cli("send")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Sent 2026-0001-reminder-2 (acme) to rechnungen@acme.example, einkauf@acme.example"]
    acme = message_from_bytes(inbox.messages[4].data, policy=policy.SMTP)
    assert acme["Subject"] == "Mahnung: Rechnung 2026-0001 von Tönstudio Grüße GmbH"
    assert b"Subject: Mahnung: Rechnung 2026-0001 von =?utf-8?" in inbox.messages[4].data  # RFC 2047
    body = acme.get_body(("plain",)).get_content().replace("\r\n", "\n").replace("\xa0", " ")  # babel: 5,00\xa0€
    assert ("Mit den Mahngebühren von 5,00 € bitten wir Sie, 219,20 € bis zum 15.01.2027 zu überweisen."
            in body)
    assert [p.get_filename() for p in acme.iter_attachments()] == ["2026-0001-reminder-2.pdf", "2026-0001-acme.pdf"]
    assert [m[0] for m in messages(ws)][2:] == ["2026-0001", "2026-0002", "2026-0001"]
    conn = sqlite3.connect(ws.root / "output" / "ledger.sqlite")
    assert conn.execute("SELECT number, reminder, state FROM messages WHERE reminder IS NOT NULL").fetchall() == [
        ("2026-0001", 1, "sent"), ("2026-0002", 1, "sent"), ("2026-0001", 2, "sent")]
    conn.close()
    assert ws.cli("send").output.startswith("Nothing to send")
    assert len(inbox.messages) == 5


def test_without_a_mail_server_only_an_invoices_latest_reminder_is_written(ws, monkeypatch):
    billed(ws)  # agency.mail.outbox: the user mails them; a later reminder supersedes one not sent
    on(monkeypatch, "2026-12-24")
    ws.cli("remind", "--client", "acme")
    on(monkeypatch, "2027-01-08")
    ws.cli("remind", "--client", "acme")
    result = ws.cli("send", "--client", "acme", "--dry-run")
    assert [line.split(" (")[0] for line in result.output.splitlines()] == [
        "Wrote 2026-0001", "Wrote 2026-0001-reminder-2"]


def test_a_reminder_paid_since_it_was_issued_is_not_sent_unless_asked(ws, monkeypatch):
    billed(ws)
    on(monkeypatch, "2026-12-24")
    ws.cli("remind", "--client", "globex")
    globex_pays_in_full(ws, ref="C1", booked="2026-12-23")
    assert ws.cli("payments").exit_code == 0
    result = ws.cli("send", "--client", "globex")
    assert result.exit_code == 1
    assert ("Error: 2026-0002-reminder-1 (globex): not sent: 357.00 EUR of invoice 2026-0002 was paid since this "
            "reminder was issued") in result.output
    forced = ws.cli("send", "--again", "2026-0002-reminder-1")
    assert forced.exit_code == 0
    assert "Wrote 2026-0002-reminder-1 (globex" in forced.output


def test_a_ledger_of_schema_10_gets_the_reminders_table_on_the_first_remind(ws, monkeypatch):
    billed(ws)
    path = ws.root / "output" / "ledger.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript("DROP TABLE reminders; ALTER TABLE messages DROP COLUMN reminder; PRAGMA user_version = 10;")
    conn.close()
    assert "2026-0001" in ws.cli("invoices").output  # read as it is, without a write
    on(monkeypatch, "2026-12-24")
    assert ws.cli("remind").exit_code == 0
    assert len(reminders(ws)) == 2
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone() == (12,)
    conn.close()


def test_a_workspace_from_before_reminders_uses_the_packaged_templates(ws, monkeypatch):
    billed(ws)
    for name in ("reminder.html", "reminder.en.txt", "reminder.de.txt"):
        (ws.root / "templates" / name).unlink()
    on(monkeypatch, "2026-12-24")
    assert ws.cli("remind").exit_code == 0
    result = ws.cli("send", "--dry-run")
    assert result.exit_code == 0, result.output
    eml = (ws.root / "output/2026-11/outbox/2026-0002-reminder-1-globex.eml").read_bytes()
    assert b"Subject: Payment reminder: invoice 2026-0002 from" in eml


def test_a_client_gone_from_rates_yaml_is_held_back_not_a_traceback(ws, monkeypatch):
    billed(ws)
    ws.edit_rates("  globex:\n", "  globex-old:\n")  # renamed: the ledger's globex is no client now
    on(monkeypatch, "2026-12-24")
    result = ws.cli("remind")
    assert result.exit_code == 0, result.output
    assert "Held back: 2026-0002 (globex) — client globex is no longer in rates.yaml: put it back to remind it." \
        in result.output
    assert [r[0] for r in reminders(ws)] == ["2026-0001"]


def test_a_cent_left_open_is_not_worth_a_reminder(ws, monkeypatch):
    billed(ws)
    ws.input("bank/december.xml", statement(entry("08", "356.99", name="Globex Corporation",
                                                  remittance="Invoice 2026-0002", ref="D1",
                                                  booked="<Dt>2026-12-20</Dt>")))
    on(monkeypatch, "2027-01-08")
    ws.cli("remind")
    assert [r[:2] for r in reminders(ws)] == [("2026-0001", 2)]  # Globex's 0.01 open: none


@pytest.mark.real_pdf
def test_a_reminder_pdf_gone_is_written_again_by_remind_as_it_was_issued(ws, monkeypatch, stand_in_invoices):
    billed(ws)
    on(monkeypatch, "2026-12-24")
    ws.cli("remind", "--client", "globex")
    pdf = ws.root / "output/2026-11/reminders/2026-0002-reminder-1.pdf"
    issued = pdf.read_bytes()
    pdf.unlink()
    failed = ws.cli("send", "--client", "globex")
    assert "its PDF output/2026-11/reminders/2026-0002-reminder-1.pdf is gone — restore it from a backup (or " \
           "`auftakt-batch remind` writes it again)" in failed.output
    result = ws.cli("remind", "--client", "globex")
    assert "Wrote output/2026-11/reminders/2026-0002-reminder-1.pdf again (it was gone)." in result.output
    assert pdf.read_bytes() == issued
    assert len(reminders(ws)) == 1


def test_where_invoices_are_mailed_one_never_delivered_gets_no_reminder(ws, server, monkeypatch):  # noqa: F811
    inbox, port = server("none", refuse=("ap@globex.example",))
    billed(ws, mail=f'  mail: {{from: "Studio <billing@studio.example>", smtp: {{host: localhost, port: {port}, '
                    f'security: none}}}}\n')
    assert ws.cli("send").exit_code == 1  # Globex's address refused: its invoice never arrived
    on(monkeypatch, "2026-12-24")
    result = ws.cli("remind")
    assert "Held back: 2026-0002 (globex) — the invoice itself was never delivered" in result.output
    assert [r[0] for r in reminders(ws)] == ["2026-0001"]


def test_send_holds_a_reminder_a_statement_in_input_bank_pays_before_payments_records_it(ws, monkeypatch):
    billed(ws)
    on(monkeypatch, "2026-12-24")
    ws.cli("remind", "--client", "globex")
    globex_pays_in_full(ws, ref="E1", booked="2026-12-27")
    result = ws.cli("send", "--client", "globex", "--dry-run")
    assert result.exit_code == 1
    assert ("Error: 2026-0002-reminder-1 (globex): not sent: a booking in input/bank/ pays 357.00 EUR of invoice "
            "2026-0002, not recorded yet — run `auftakt-batch payments`, then `send`") in result.output
    assert not (ws.root / "output/2026-11/outbox/2026-0002-reminder-1-globex.eml").exists()
    assert (ws.root / "output/2026-11/outbox/2026-0002-globex.eml").exists()  # the invoice itself goes
