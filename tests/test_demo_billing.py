"""The demo billing run, read back as a client reads it: every PDF against the ledger."""

import hashlib
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from auftakt_batch import ledger
from auftakt_batch.billing import bill
from auftakt_batch.config import load_config
from auftakt_batch.periods import parse_period
from auftakt_batch.render.invoice import LABELS, format_date, format_money, format_number, vat_note

from .conftest import copy_demo, stand_in_pdfs

pytestmark = pytest.mark.real_pdf  # every PDF read back

ISSUED_ON = date(2026, 12, 3)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = copy_demo(tmp_path_factory.mktemp("demo"))
    result = bill(root, parse_period("2026-11"), today=ISSUED_ON)
    conn = ledger.connect(root / "output" / "ledger.sqlite")
    records = {r.number: (r, ledger.stored_draft(conn, r.number).draft) for r in ledger.invoices(conn)}
    conn.close()
    return root, result, records, load_config(root / "rates.yaml")[0]


def text_of(path) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(path).pages)


def test_every_billable_client_gets_one_invoice(demo):
    root, result, records, config = demo
    assert result.stopped is None and result.skipped == ()
    billable = sorted(key for key, client in config.clients.items() if client.billable)
    assert sorted(r.client_key for r, _ in records.values()) == billable
    assert list(records) == [f"2026-{n:04d}" for n in range(1, len(records) + 1)]


NOVEMBER_DAYS = (date(2026, 11, 1), date(2026, 11, 30))
SERVICE = {"2026-0016": (date(2026, 10, 1), date(2026, 12, 31))}  # Yoyodyne's quarterly fee covers the quarter


def test_every_pdf_is_the_one_recorded_and_shows_what_the_ledger_holds(demo):
    root, _, records, config = demo
    for number, (record, draft) in records.items():
        pdf = root / record.pdf_path
        assert hashlib.sha256(pdf.read_bytes()).hexdigest() == record.pdf_sha256
        client = config.clients[record.client_key]
        lang, t = client.language, LABELS[client.language]
        text = text_of(pdf)

        def money(value, lang=lang, currency=record.currency):
            return format_money(value, currency, lang)

        required = [f"{t['title']} {number}", config.agency.name, client.name, config.agency.vat_id,
                    format_date(record.issue_date, lang), format_date(record.due_date, lang),
                    " – ".join(format_date(day, lang) for day in SERVICE.get(number, NOVEMBER_DAYS)),
                    f"{t['net']} {money(record.net)}", f"{t['gross']} {money(record.gross)}",
                    f"IBAN {config.agency.iban}"]
        required += [money(line.amount) for line in draft.lines]
        if record.vat != 0 or draft.vat_mode == "standard":
            required.append(f"{t['vat']} {format_number(draft.vat_rate, lang)} % {money(record.vat)}")
        if draft.vat_mode == "reverse-charge":
            required.append(client.vat_id)
        if draft.vat_mode != "standard":  # the reason no VAT is charged, in the client's language
            required.append(vat_note(draft, config, t))
        for expected in required:
            assert " ".join(expected.split()) in text, f"{number}: {expected!r} missing"  # the text has NBSPs as spaces
        assert record.net == sum(line.amount for line in draft.lines)
        assert record.gross == record.net + record.vat


# ---- the clients billed by the models (issue 20): each invoice worked out by hand from the demo's data


def lines(records, client_key: str) -> list[tuple[str, str, str, str, str]]:
    """(job, unit, quantity, unit price, amount) of the client's one invoice, as the ledger holds it."""
    (draft,) = [draft for record, draft in records.values() if record.client_key == client_key]
    return [(line.job_key, line.unit, str(line.quantity), str(line.unit_price), str(line.amount))
            for line in draft.lines]


def totals(records, client_key: str) -> tuple[Decimal, Decimal]:
    (record,) = [record for record, _ in records.values() if record.client_key == client_key]
    return record.net, record.gross


def test_xenia_pays_its_retainer_the_overage_and_its_expenses_with_the_markup(demo):
    _, _, records, _ = demo
    # care: 15 h included + October's unused 15 − 11 = 4 h rolled over (up to 5) = 19 h, whether or not October
    # was billed yet; 4 + 3.5 + 6 + 5 + 3 = 21.5 h logged → 2.5 h × 120.00 = 300.00. Expenses at cost + 10 %:
    # 89.00 × 1.1 = 97.90; 24.95 × 1.1 = 27.445 → 27.45 (half up); 38.40 × 1.1 = 42.24
    assert lines(records, "xenia") == [
        ("care", "MON", "1", "1800.00", "1800.00"),
        ("care", "HUR", "2.5", "120.00", "300.00"),
        ("care", "C62", "1", "97.90", "97.90"),
        ("care", "C62", "1", "27.45", "27.45"),
        ("care", "C62", "1", "42.24", "42.24"),
    ]
    # 1,800.00 + 300.00 + 97.90 + 27.45 + 42.24 = 2,267.59; VAT 19 % = 430.8421 → 430.84
    assert totals(records, "xenia") == (Decimal("2267.59"), Decimal("2698.43"))


def test_yoyodyne_pays_its_quarter_once_and_its_overage_is_absorbed(demo):
    _, _, records, _ = demo
    # Q4: 45 h included; October 8 + 6 + 6 = 20 h, November 6 + 7.5 + 8 + 5 + 4 = 30.5 h: 50.5 h, 5.5 h over,
    # absorbed (no line); the quarter's fee billed in this first run; reverse charge: no VAT
    assert lines(records, "yoyodyne") == [("content", "QAN", "1", "6000.00", "6000.00")]
    assert totals(records, "yoyodyne") == (Decimal("6000.00"), Decimal("6000.00"))


def test_zephyr_pays_the_november_milestone_the_capped_hours_and_its_billable_expenses(demo):
    _, _, records, _ = demo
    # ads: 6 + 8 + 7.5 + 4 = 25.5 h × 95.00 = 2,422.50, capped at 2,000.00 a month: 422.50 written down.
    # shop: milestone 2 of 3 (Design sign-off, done 2026-11-20) = 35 % of 24,000.00 = 8,400.00; Concept (done
    # in October) is not November's, Launch is not done; the 18 h on the shop ride on the milestone's line.
    # Expenses at cost (no markup): courier 18.70 (no job), train 129.90; the team lunch is not billable.
    assert lines(records, "zephyr") == [
        ("ads", "HUR", "25.5", "95.00", "2422.50"),
        ("ads", "C62", "-1", "422.50", "-422.50"),
        ("shop", "C62", "1", "8400.00", "8400.00"),
        ("", "C62", "1", "18.70", "18.70"),
        ("shop", "C62", "1", "129.90", "129.90"),
    ]
    # 2,422.50 − 422.50 + 8,400.00 + 18.70 + 129.90 = 10,548.60; VAT 19 % = 2,004.234 → 2,004.23
    assert totals(records, "zephyr") == (Decimal("10548.60"), Decimal("12552.83"))


def test_the_receipts_of_billed_expenses_are_embedded_in_their_invoices(demo):
    root, _, records, _ = demo
    attached = {record.client_key: sorted(PdfReader(root / record.pdf_path).attachments)
                for record, _ in records.values() if record.client_key in ("xenia", "zephyr")}
    assert attached == {  # the lunch (not billable) is on no invoice; the printing has no receipt
        "xenia": ["2026-11-04-stock-photos.pdf", "2026-11-19-webfont.pdf", "factur-x.xml"],
        "zephyr": ["2026-11-09-courier.png", "2026-11-12-train.pdf", "factur-x.xml"],
    }


def test_billing_october_first_leaves_november_as_billing_november_alone(tmp_path):
    root = copy_demo(tmp_path)  # the ledger's money read back, no PDF: the stand-in renders them (conftest)
    october = {i.client_key: i for i in bill(root, parse_period("2026-10"), today=ISSUED_ON,
                                              renderer=stand_in_pdfs).issued}
    # only the model clients have October: Xenia's fee (11 h of 15 used: no overage), Yoyodyne's Q4 fee,
    # Zephyr's Concept milestone (25 % of 24,000.00, done 2026-10-16)
    assert {key: i.net for key, i in october.items()} == {
        "xenia": Decimal("1800.00"), "yoyodyne": Decimal("6000.00"), "zephyr": Decimal("6000.00")}
    november = {i.client_key: i for i in bill(root, parse_period("2026-11"), today=ISSUED_ON,
                                              renderer=stand_in_pdfs).issued}
    # xenia: 15 h + min(5, 15 − 11 = 4) = 4 h rolled over = 19 h; 21.5 h logged → 2.5 h × 120.00 = 300.00;
    # net 1,800.00 + 300.00 + 97.90 + 27.45 + 42.24 = 2,267.59
    assert november["xenia"].net == Decimal("2267.59")
    conn = ledger.connect(root / "output" / "ledger.sqlite")
    fee = ledger.stored_draft(conn, november["xenia"].number).draft.lines[0]
    conn.close()
    assert fee.detail == "Pauschale November 2026: 15 Std. inklusive, 4 Std. übertragen"
    # yoyodyne: Q4's fee is billed and its 5.5 h over are absorbed: nothing to invoice in November
    assert "yoyodyne" not in november
    # zephyr: as before, the Concept milestone not again
    assert november["zephyr"].net == Decimal("10548.60")
