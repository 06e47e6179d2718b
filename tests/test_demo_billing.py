"""The demo billing run, read back as a client reads it: every PDF against the ledger."""

import hashlib
from datetime import date

import pytest
from pypdf import PdfReader

from auftakt_batch import ledger
from auftakt_batch.billing import bill
from auftakt_batch.config import load_config
from auftakt_batch.periods import parse_period
from auftakt_batch.render.invoice import LABELS, format_date, format_money, format_number, vat_note

from .conftest import copy_demo

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
                    f"{format_date(date(2026, 11, 1), lang)} – {format_date(date(2026, 11, 30), lang)}",
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
