"""The invoice page: escaped text, the right numbers in the PDF, the same bytes every time,
and a renderer that fetches nothing outside templates/."""

import hashlib
import subprocess
import sys
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from pypdf import PdfReader

from auftakt_batch.pricing import price
from auftakt_batch.pricing.invoices import draft_invoices
from auftakt_batch.render.invoice import Issue, format_money, format_number, invoice_html
from auftakt_batch.render.pdf import FetchRefused, fetcher_within, write_pdf

from .conftest import RATES, ROOT, TODAY

TEMPLATES = ROOT / "src" / "auftakt_batch" / "skeleton" / "templates"
AT = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
ISSUE = Issue("2026-0007", date(2026, 12, 1), date(2026, 12, 15), AT)
HEADER = "date,person,client,job,task,description,hours,billable\n"
HOSTILE = '<img src=file:///etc/passwd> {{ 7*7 }} =HYPERLINK("x")'


def drafts(ws, rates=RATES):
    ws.rates(rates.replace('  vat_rate: "19"\n', '  vat_rate: "19"\n  group_by: entry\n'))
    ws.input("a.csv", HEADER + f"2026-11-03,Anna Schmidt,ACME,website,,\"{HOSTILE.replace(chr(34), chr(34) * 2)}\",1.5,\n"
                               "2026-11-04,Ben Okafor,ACME,website,,Build,2:15,\n")
    run = ws.check(today=TODAY)
    return {d.client_key: d for d in draft_invoices(price(run.entries, run.config), run.config, run.period)}, run


def test_text_from_exports_is_escaped(ws):
    found, run = drafts(ws)
    html = invoice_html(found["acme"], run.config, ISSUE, TEMPLATES)
    assert "&lt;img src=file:///etc/passwd&gt; {{ 7*7 }}" in html
    assert "<img" not in html and "49" not in html


def test_pdf_shows_the_numbers_of_the_draft(ws, tmp_path):
    found, run = drafts(ws)
    acme = found["acme"]
    target = tmp_path / "out" / "2026-0007-acme.pdf"
    write_pdf(invoice_html(acme, run.config, ISSUE, TEMPLATES), TEMPLATES, target, AT)
    text = " ".join(PdfReader(target).pages[0].extract_text().split())
    assert (acme.net, acme.vat, acme.gross) == (Decimal("450.00"), Decimal("85.50"), Decimal("535.50"))
    for expected in ("Invoice 2026-0007", "Test Studio GmbH", "ACME GmbH", "1 Dec 2026", "15 Dec 2026",
                     "1 Nov 2026 – 30 Nov 2026", "1.50", "2.25", "€120.00", "€180.00", "€270.00", "Net €450.00",
                     "VAT 19 % €85.50", "Total €535.50", "<img src=file:///etc/passwd>"):
        assert expected in text, expected
    assert not list(tmp_path.joinpath("out").glob(".*.tmp"))  # written atomically


def test_numbers_dates_and_money_follow_the_clients_locale():
    assert format_money(Decimal("1234.5"), "EUR", "de") == "1.234,50\u00a0€"  # a space that never breaks
    assert format_money(Decimal("1234.5"), "EUR", "en") == "€1,234.50"
    assert format_money(Decimal("99"), "CHF", "en") == "CHF\u00a099.00"
    assert format_money(Decimal("-5610"), "USD", "en") == "-US$5,610.00"
    assert format_number(Decimal("67.5"), "de", places=2) == "67,50"


def test_the_same_invoice_renders_to_the_same_bytes_in_any_process(ws, tmp_path):
    found, run = drafts(ws)
    html = invoice_html(found["acme"], run.config, ISSUE, TEMPLATES)
    (tmp_path / "page.html").write_text(html)
    script = ("import sys, datetime; from pathlib import Path; from auftakt_batch.render.pdf import write_pdf; "
              "print(write_pdf(Path(sys.argv[1]).read_text(), Path(sys.argv[2]), Path(sys.argv[3]), "
              "datetime.datetime.fromisoformat(sys.argv[4])))")
    hashes = {subprocess.run([sys.executable, "-c", script, str(tmp_path / "page.html"), str(TEMPLATES),
                              str(tmp_path / f"{i}.pdf"), AT.isoformat()], capture_output=True, text=True,
                             check=True).stdout.strip() for i in range(2)}
    assert len(hashes) == 1


def test_the_renderer_fetches_only_from_templates(tmp_path):
    fetch = fetcher_within(TEMPLATES)
    with pytest.raises(FetchRefused):
        fetch.fetch("file:///etc/passwd")
    with pytest.raises(FetchRefused):
        fetch.fetch((TEMPLATES / ".." / ".." / "cli.py").resolve().as_uri())
    with pytest.raises(FetchRefused):
        fetch.fetch("https://example.com/logo.png")
    assert fetch.fetch((TEMPLATES / "invoice.css").as_uri()) is not None
    page = '<img src="file:///etc/passwd"><link rel="stylesheet" href="https://example.com/x.css"><p>ok</p>'
    write_pdf(page, TEMPLATES, tmp_path / "x.pdf", AT)
    assert "ok" in PdfReader(tmp_path / "x.pdf").pages[0].extract_text()


@pytest.mark.real_pdf  # reads the PDF
def test_labels_are_translatable_from_the_templates_folder(ws):
    from auftakt_batch.billing import bill
    from auftakt_batch.periods import parse_period

    from .conftest import TODAY

    ws.with_templates().input("week.csv", "date,person,client,job,task,description,hours,billable\n"
                                          "2026-11-03,Anna Schmidt,ACME,website,,Layout,1.5,\n")
    labels = ws.root / "templates" / "labels.yaml"
    labels.write_text('en:\n  title: "Bill"\n  gross: "Grand total"\n', encoding="utf-8")
    (issued,) = bill(ws.root, parse_period("2026-11"), today=TODAY).issued
    text = " ".join(PdfReader(issued.pdf).pages[0].extract_text().split())
    assert "Bill 2026-0001" in text and "Grand total €214.20" in text and "Net €180.00" in text


def test_a_label_typo_stops_the_billing_run_before_any_number_is_given(ws):
    from auftakt_batch.billing import bill
    from auftakt_batch.periods import parse_period

    from .conftest import TODAY

    ws.with_templates().input("week.csv", "date,person,client,job,task,description,hours,billable\n"
                                          "2026-11-03,Anna Schmidt,ACME,website,,Layout,1.5,\n")
    (ws.root / "templates" / "labels.yaml").write_text('en:\n  titel: "Bill"\n', encoding="utf-8")
    result = bill(ws.root, parse_period("2026-11"), today=TODAY)
    assert result.issued == () and result.stopped.startswith("templates/labels.yaml: en.titel: no such label")
    (ws.root / "templates" / "labels.yaml").write_text('de:\n  pay: "Zahlen Sie {betrag}"\n', encoding="utf-8")
    assert bill(ws.root, parse_period("2026-11"), today=TODAY).stopped == (
        "templates/labels.yaml: de.pay: expected text using only {bic}, {due}, {gross}, {iban}, {number}")


def test_labels_nested_too_deep_are_one_line(tmp_path):
    from auftakt_batch.render.invoice import LabelsError, load_labels

    (tmp_path / "labels.yaml").write_text("en:\n  title: " + "[" * 500 + "]" * 500 + "\n", encoding="utf-8")
    with pytest.raises(LabelsError) as refused:
        load_labels(tmp_path)
    assert str(refused.value) == (
        "templates/labels.yaml:2: en.title[0][0]…: nested too deep (more than 64 levels of lists and mappings) — "
        "look for brackets that are never closed, or lines indented further and further")


def test_the_stand_in_renderer_leaves_what_weasyprint_leaves_where_it_leaves_it(tmp_path):
    """tests/conftest.py's stand-in, which billing tests not marked real_pdf render with, writes
    the same files (an XRechnung beside ACME's PDF) and the same ledger rows as WeasyPrint's
    `write_pdfs`: only the PDFs' bytes, and so their recorded hashes, differ."""
    from auftakt_batch import ledger
    from auftakt_batch.billing import bill
    from auftakt_batch.periods import parse_period
    from auftakt_batch.render.pdf import write_pdfs

    from .conftest import Workspace, stand_in_pdfs
    from .test_einvoice import XRECHNUNG_RATES

    left = {}
    for name, renderer in (("weasyprint", write_pdfs), ("stand-in", stand_in_pdfs)):
        ws = Workspace(tmp_path / name).with_templates()
        ws.rates(XRECHNUNG_RATES)
        ws.input("week.csv", """\
            date,person,client,job,task,description,hours,billable
            2026-11-03,Anna Schmidt,ACME,website,,Layout,1.5,
            2026-11-04,Ben Okafor,globex,app,,API,2,
            """)
        bill(ws.root, parse_period("2026-11"), today=TODAY, renderer=renderer)
        invoices = ws.root / "output" / "2026-11" / "invoices"
        conn = ledger.connect(ws.root / "output" / "ledger.sqlite")
        records = ledger.invoices(conn)
        conn.close()
        assert [r.pdf_sha256 for r in records] == [hashlib.sha256((ws.root / r.pdf_path).read_bytes()).hexdigest()
                                                   for r in records]
        left[name] = (sorted(p.name for p in invoices.iterdir()),
                      (invoices / "2026-0001-acme.xrechnung.xml").read_bytes(),
                      [(r.number, r.status, r.pdf_path, str(r.gross)) for r in records])
    assert left["stand-in"] == left["weasyprint"]
    assert left["stand-in"][0] == ["2026-0001-acme.pdf", "2026-0001-acme.xrechnung.xml", "2026-0002-globex.pdf"]


WORKER_SCRIPT = '''\
import sys
from {module} import {function}  # as the auftakt-batch script pip writes imports its entry point


def imported(_):
    return sorted(m for m in ("auftakt_batch.cli", "pandas") if m in sys.modules)


if __name__ == "__main__":
    from concurrent.futures import ProcessPoolExecutor

    from auftakt_batch.render import pdf

    with ProcessPoolExecutor(1, mp_context=pdf._context()) as pool:
        print(list(pool.map(imported, [0]))[0])
'''


def test_a_pdf_worker_of_the_auftakt_batch_script_imports_no_command_line(tmp_path):
    """multiprocessing imports the script again in every worker it starts (as __mp_main__): the
    entry point pyproject names imports the command line only when it runs, so the workers that
    render the PDFs do not import the CLI and pandas (0.4 s and 50 MB each)."""
    import tomllib

    entry = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]["auftakt-batch"]
    module, function = entry.split(":")
    script = tmp_path / "auftakt-batch"
    script.write_text(WORKER_SCRIPT.format(module=module, function=function))
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert result.stdout.strip() == "[]"


def test_the_longest_invoice_made_goes_to_the_next_free_worker_first(monkeypatch, tmp_path):
    """Invoices are made in the series' order while the workers render; a worker that frees takes the
    longest one made and waiting, not the next in the series: a long invoice made late (a client billed
    entry by entry) would otherwise render alone at the end, the other core idle."""
    from concurrent.futures import Future

    from auftakt_batch.render import pdf

    class Pool:  # what the workers were handed, in order; each finishes only when the run waits for one
        def __init__(self) -> None:
            self.handed: list[str] = []
            self.futures: list[Future] = []

        def submit(self, write, job):
            self.handed.append(job.target.name)
            future: Future = Future()
            self.futures.append(future)
            return future

    pool = Pool()

    def wait(running, timeout=None, return_when=None):
        if timeout == 0:  # still making invoices: none has finished yet
            return set(), set(running)
        oldest = next(f for f in pool.futures if f in running and not f.done())
        oldest.set_result("0" * 64)
        return {oldest}, set(running) - {oldest}

    monkeypatch.setattr(pdf, "wait", wait)
    lengths = {"a": 10, "b": 20, "c": 5000, "d": 30, "e": 40}
    jobs = (pdf.Job("x" * n, tmp_path, tmp_path / name, datetime(2026, 11, 30, 12)) for name, n in lengths.items())
    done: list[str] = []
    pdf._longest_first(pool, jobs, lambda job, sha: done.append(job.target.name), workers=1)
    assert pool.handed == ["a", "b", "c", "e", "d"]  # two at a time: then the longest of those waiting
    assert sorted(done) == sorted(lengths)  # every one rendered, each once


def test_text_is_kept_as_python_strings_even_where_pyarrow_is_installed():
    """pandas 3 would keep text in Arrow arrays wherever pyarrow happens to be installed; the tool keeps
    it as Python strings (auftakt_batch/frames.py): the same results, and its cold runs 1.1-1.2x as
    fast (bench/ARROW.md). Importing the command line sets it, before any frame is made."""
    script = "import auftakt_batch.cli, pandas; print(pandas.get_option('mode.string_storage'))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "python"
