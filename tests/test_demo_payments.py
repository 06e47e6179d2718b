"""The demo's month after the bill, as `make demo-month` walks it: bill on 3 December 2026, send
(dry run), the statement in input/bank/ read on 28 December, the typo decided, the reminders
issued and written as emails, then the hand-over to accounting."""

import csv
import sqlite3
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from auftakt_batch import ledger
from auftakt_batch.billing import bill
from auftakt_batch.cli import main
from auftakt_batch.payments.receivables import standings
from auftakt_batch.periods import parse_period

from .conftest import copy_demo, ledger_dump, stand_in_pdfs

BILLED_ON, PAID_ON = "2026-12-03", "2026-12-28"
STATEMENT = "input/bank/camt053-2026-12-16.xml"


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    """One billed copy of the demo, walked through the month once; each step's output kept."""
    root = copy_demo(tmp_path_factory.mktemp("month"))
    assert bill(root, parse_period("2026-11"), date.fromisoformat(BILLED_ON), renderer=stand_in_pdfs).stopped is None

    def cli(day, *args):
        return CliRunner().invoke(main, [*args, "--workspace", str(root)], env={"AUFTAKT_TODAY": day},
                                  catch_exceptions=False)

    sent = cli(BILLED_ON, "send", "--period", "2026-11", "--dry-run")
    outbox = sorted(p.name for p in (root / "output" / "2026-11" / "outbox").glob("*.eml"))
    first = cli(PAID_ON, "payments")
    after_first = ledger_dump(root)
    paid_first = payments_rows(root)
    book = ledger.read_book(root / "output" / "ledger.sqlite")
    second = cli(PAID_ON, "payments")
    after_second = ledger_dump(root)
    decided = cli(PAID_ON, "payments", "--match", f"{STATEMENT}:7", "2026-0013")
    reminded = cli(PAID_ON, "remind")
    again = cli(PAID_ON, "remind")
    mailed = cli(PAID_ON, "send", "--period", "2026-11", "--dry-run")
    datev = cli(PAID_ON, "export", "--period", "2026-11", "--format", "datev")
    journal = cli(PAID_ON, "export", "--period", "2026-11", "--format", "journal")
    return SimpleNamespace(root=root, sent=sent, first=first, second=second, datev=datev, journal=journal,
                           decided=decided, reminded=reminded, again=again, mailed=mailed, outbox=outbox,
                           paid_first=paid_first,
                           ledgers=(after_first, after_second), book=book,
                           standing={s.number: s for s in standings(book.invoices, book.paid, date(2026, 12, 28))})


def payments_rows(root):
    conn = sqlite3.connect(f"file:{root / 'output' / 'ledger.sqlite'}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT number, client_key, amount, rule, booking_date FROM payments ORDER BY id").fetchall()
    finally:
        conn.close()


def test_send_dry_run_writes_every_invoice_as_an_email(month):
    assert month.sent.exit_code == 0, month.sent.output
    assert len(month.outbox) == 17 and month.outbox[0] == "2026-0001-acme.eml"
    acme = (month.root / "output" / "2026-11" / "outbox" / "2026-0001-acme.eml").read_text()
    assert "To: invoices@acme.example" in acme
    assert "bis zum 17.12.2026" in acme  # issued on the demo's day, due 14 days later


def test_the_statement_pays_five_invoices_in_full_and_umbrella_s_in_part(month):
    assert month.first.exit_code == 0, month.first.output
    assert "Read 9 bookings from 1 statement; recorded 6 payments; 2 bookings were not client payments." in \
        month.first.output
    assert sorted(n for n, s in month.standing.items() if s.state == "paid") == [
        "2026-0001", "2026-0003", "2026-0005", "2026-0006", "2026-0016"]
    umbrella = month.standing["2026-0012"]
    assert (umbrella.client, umbrella.gross, umbrella.paid, umbrella.open) == (
        "umbrella", Decimal("45481.80"), Decimal("20000.00"), Decimal("25481.80"))
    assert umbrella.state == "overdue" and umbrella.days_overdue == 11  # due 17 December
    assert month.paid_first == [
        ("2026-0003", "duff", "6188.00", "number", "2026-12-07"),  # "RE 2026-0003"
        ("2026-0001", "acme", "21539.00", "account", "2026-12-08"),  # no number, from ACME's IBAN
        ("2026-0005", "gringotts", "22431.50", "number", "2026-12-09"),  # "Rechnung 2026 0005"
        ("2026-0006", "hooli", "29580.00", "number", "2026-12-10"),  # "INV20260006"
        ("2026-0012", "umbrella", "20000.00", "number", "2026-12-11"),
        ("2026-0016", "yoyodyne", "6000.00", "number", "2026-12-15")]
    assert "20,000.00  umbrella     2026-0012  overdue 11 d, 25,481.80 open  (by number)" in month.first.output
    assert "Open: 12 invoices (12 overdue)." in month.first.output


def test_the_swapped_digits_are_listed_unmatched_suggesting_the_invoice(month):
    vhs = month.standing["2026-0013"]
    assert (vhs.paid, vhs.state) == (Decimal("0.00"), "overdue")
    line = next(line for line in month.first.output.splitlines() if "Volkshochschule" in line)
    assert line.startswith(f"  {STATEMENT}:7: 2026-12-14 5,106.25 EUR from Volkshochschule Mitte")
    assert "names 2026-0031, which is no invoice of the ledger — did you mean 2026-0013 or " in line


def test_rent_and_the_bank_fee_pay_nothing(month):
    assert all(Decimal(amount) > 0 for _, _, amount, _, _ in payments_rows(month.root))
    assert not any(s.paid < 0 for s in month.standing.values())
    listed = [line for line in month.first.output.splitlines() if line.startswith(f"  {STATEMENT}:")]
    assert [line.split(": ")[1][:30] for line in listed] == ["2026-12-14 5,106.25 EUR from V"]  # spending: counted


def test_the_statement_read_again_records_nothing(month):
    assert month.second.exit_code == 0, month.second.output
    assert "recorded 0 payments;" in month.second.output
    assert month.ledgers[0] == month.ledgers[1]


def test_export_books_all_seventeen_invoices_for_datev_and_the_journal(month):
    export = month.root / "output" / "2026-11" / "export"
    assert month.datev.exit_code == 0 and month.journal.exit_code == 0, month.datev.output + month.journal.output
    datev = (export / "EXTF_Buchungsstapel_2026-11.csv").read_text(encoding="cp1252").splitlines()
    assert datev[0].startswith('"EXTF";700;21;"Buchungsstapel";13;')
    assert len(datev) == 2 + 17  # header, headings, one booking per invoice (one VAT rate each)
    with (export / "journal-2026-11.csv").open(encoding="utf-8", newline="") as f:
        journal = list(csv.DictReader(f))
    assert [row["number"] for row in journal] == [f"2026-{n:04d}" for n in range(1, 18)]
    assert {row["number"]: Decimal(row["gross"]) for row in journal} == {
        r.number: r.gross for r in month.book.invoices}
    assert '45481,80;"S";;;;;10004;8400;;0312;"2026-0012";' in datev[2 + 11]  # Umbrella's whole gross, paid or not


def test_the_typo_decided_pays_its_invoice(month):
    assert month.decided.exit_code == 0, month.decided.output
    assert "5,106.25  vhs          2026-0013  paid  (by person)" in month.decided.output
    assert "Open: 11 invoices (11 overdue)." in month.decided.output


def test_remind_issues_a_first_reminder_for_each_invoice_still_open_once(month):
    assert month.reminded.exit_code == 0, month.reminded.output
    lines = month.reminded.output.splitlines()
    assert lines[0] == "Issued 11 reminders:"
    assert [line.split()[0] for line in lines[1:12]] == [
        "2026-0002", "2026-0004", "2026-0007", "2026-0008", "2026-0009", "2026-0010", "2026-0011", "2026-0012",
        "2026-0014", "2026-0015", "2026-0017"]  # not the paid five, the part-paid's rest, not the decided typo
    umbrella = next(line for line in lines if line.startswith("  2026-0012"))
    assert "level 1   11 days overdue     25,481.80 EUR by 2027-01-04" in umbrella  # what is open of it, no fee
    assert "6,930.00 USD" in month.reminded.output  # Cyberdyne's, in its currency
    assert "Nothing to remind" in month.again.output
    folder = month.root / "output" / "2026-11" / "reminders"
    assert len(list(folder.glob("*-reminder-1.pdf"))) == 11


def test_send_writes_the_reminders_as_emails_with_both_pdfs(month):
    assert month.mailed.exit_code == 0, month.mailed.output
    outbox = month.root / "output" / "2026-11" / "outbox"
    assert len(list(outbox.glob("*-reminder-1-*.eml"))) == 11
    umbrella = (outbox / "2026-0012-reminder-1-umbrella.eml").read_bytes()
    assert b"Subject: Zahlungserinnerung: Rechnung 2026-0012 von Auftakt Studio GmbH" in umbrella
    assert b'filename="2026-0012-reminder-1.pdf"' in umbrella and b'filename="2026-0012-umbrella.pdf"' in umbrella
