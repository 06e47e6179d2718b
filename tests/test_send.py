"""`send`: issued invoices mailed through a real SMTP server on localhost (aiosmtpd) — plain,
STARTTLS and implicit TLS (a certificate of a test CA, trustme), with AUTH over TLS — each once,
byte for byte as composed; a refused recipient, a failed login, a dry run's .eml files and a run
killed between the ledger's two records ("delivery unknown")."""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from email import message_from_bytes, policy

import pytest

from auftakt_batch.files import FAULT
from auftakt_batch.ledger import SCHEMA_VERSION

from .conftest import ROOT, Workspace, bill_once, edited
from .test_einvoice import XRECHNUNG_RATES

aiosmtpd = pytest.importorskip("aiosmtpd")
trustme = pytest.importorskip("trustme")
from aiosmtpd.controller import Controller  # noqa: E402
from aiosmtpd.smtp import AuthResult, LoginPassword  # noqa: E402

# aiosmtpd warns of AUTH without STARTTLS, which over implicit TLS is as it should be
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
PASSWORD = "s3cret-Passwort"
EXPORT = ("date,person,client,job,task,description,hours,billable\n"
          "2026-11-03,Anna Schmidt,ACME,website,,Layout,1.5,\n"
          "2026-11-04,Ben Okafor,globex,app,,API,2,\n")
# the agency's name and the sender's display name have umlauts; ACME reads German and gets an XRechnung
RATES = edited(edited(edited(XRECHNUNG_RATES, "name: Test Studio GmbH", "name: Tönstudio Grüße GmbH"),
                      "    email: rechnungen@acme.example\n",
                      "    email: rechnungen@acme.example\n    cc: [einkauf@acme.example]\n    language: de\n"),
               "    name: Globex Corporation\n", "    name: Globex Corporation\n    email: ap@globex.example\n")


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes


@dataclass
class Inbox:
    """An aiosmtpd handler that keeps what it is given and refuses the addresses in `refuse`."""

    refuse: set[str] = field(default_factory=set)
    messages: list[Received] = field(default_factory=list)
    hang_up: dict[str, str] = field(default_factory=dict)  # address -> at which step the connection is cut

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802  # aiosmtpd's name
        if self.hang_up.get(address) == "RCPT":
            server.transport.close()
        if address in self.refuse:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.hang_up.get(envelope.rcpt_tos[0]) == "DATA":  # it has the message, but the client never hears so
            server.transport.close()
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 2.0.0 accepted"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data == (b"billing@studio.example", PASSWORD.encode())
    return AuthResult(success=ok, handled=False, message=None if ok else "535 5.7.8 credentials invalid")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def ca(tmp_path, monkeypatch):
    """A test CA the client trusts (SSL_CERT_FILE: Python's default context reads it) and a
    certificate it issued for localhost."""
    authority = trustme.CA()
    path = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(path))
    monkeypatch.setenv("SSL_CERT_FILE", str(path))
    return authority


@pytest.fixture
def server(request, ca):
    """start(security, auth=False, refuse=()) → (Inbox, port); the servers stop after the test."""
    started = []

    def start(security: str = "none", auth: bool = False, refuse: tuple[str, ...] = ()) -> tuple[Inbox, int]:
        inbox, port = Inbox(set(refuse)), free_port()
        context = ca.issue_cert("localhost", "127.0.0.1").configure_cert if security != "none" else None
        tls = None
        if context is not None:
            import ssl

            tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context(tls)
        # AUTH over TLS only (aiosmtpd's auth_require_tls knows STARTTLS, not an implicit TLS connection)
        options = {"authenticator": authenticator, "auth_required": True,
                   "auth_require_tls": security == "starttls"} if auth else {}
        if security == "starttls":
            options |= {"tls_context": tls, "require_starttls": True}
        elif security == "tls":
            options |= {"ssl_context": tls}
        controller = Controller(inbox, hostname="127.0.0.1", port=port, server_hostname="localhost", **options)
        controller.start()
        started.append(controller)
        return inbox, port

    yield start
    for controller in started:
        controller.stop()


def billed(ws: Workspace, port: int, security: str = "none", user: bool = False, extra: str = "") -> Workspace:
    """The workspace with November billed (2026-0001 ACME, German, with an XRechnung; 2026-0002
    Globex) and agency.mail pointing at the test server."""
    mail = (f"  mail:\n    from: \"Tönstudio Büro <billing@studio.example>\"\n"
            f"    smtp: {{host: localhost, port: {port}, security: {security}"
            + (", user: billing@studio.example" if user else "") + "}\n"
            f"    bcc: [archiv@studio.example]\n{extra}")
    ws.rates(edited(RATES, "  iban: DE89370400440532013000\n", "  iban: DE89370400440532013000\n" + mail))
    ws.with_templates().input("november.csv", EXPORT)
    bill_once(ws, ("send", security, user, extra), lambda: _billed(ws))  # billing reads no mail setting
    return ws


def _billed(ws: Workspace) -> None:
    result = ws.cli("bill", "--period", "2026-11")
    assert result.exit_code == 0, result.output


def messages(ws: Workspace) -> list[tuple]:
    conn = sqlite3.connect(ws.root / "output" / "ledger.sqlite")
    try:
        return conn.execute("SELECT number, recipients, state, finished_at IS NOT NULL FROM messages "
                            "ORDER BY id").fetchall()
    finally:
        conn.close()


def header_lines(data: bytes) -> dict[bytes, bytes]:
    """The message's top-level header lines (folded lines unfolded), raw bytes."""
    head = data.split(b"\r\n\r\n", 1)[0]
    unfolded = re.sub(rb"\r\n[ \t]", b" ", head)
    return dict(line.split(b": ", 1) for line in unfolded.split(b"\r\n"))


def test_each_invoice_is_mailed_once_with_its_documents(ws, server):
    inbox, port = server("none")
    billed(ws, port)
    result = ws.cli("send", "--period", "2026-11")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Sent 2026-0001 (acme) to rechnungen@acme.example, einkauf@acme.example, archiv@studio.example",
        "Sent 2026-0002 (globex) to ap@globex.example, archiv@studio.example"]
    acme, globex = inbox.messages
    assert (acme.sender, acme.recipients) == ("billing@studio.example", [
        "rechnungen@acme.example", "einkauf@acme.example", "archiv@studio.example"])
    headers = header_lines(acme.data)
    assert headers[b"From"] == b"=?utf-8?q?T=C3=B6nstudio_B=C3=BCro?= <billing@studio.example>"
    assert headers[b"To"] == b"rechnungen@acme.example"
    assert headers[b"Cc"] == b"einkauf@acme.example"
    assert headers[b"Subject"] == b"Rechnung 2026-0001 von =?utf-8?b?VMO2bnN0dWRpbyBHcsO8w59l?= GmbH"  # RFC 2047
    assert b"Bcc" not in headers and b"archiv@" not in acme.data  # the bcc is in the envelope only
    assert re.fullmatch(rb"<[^@>]+@studio\.example>", headers[b"Message-ID"])
    parsed = message_from_bytes(acme.data, policy=policy.SMTP)
    assert parsed["Subject"] == "Rechnung 2026-0001 von Tönstudio Grüße GmbH"
    body = parsed.get_body(("plain",)).get_content()
    assert "anbei erhalten Sie unsere Rechnung 2026-0001 für 2026-11" in body and "Tönstudio Grüße GmbH" in body
    invoices = ws.root / "output" / "2026-11" / "invoices"
    assert [(a.get_filename(), a.get_content_type(), a.get_content()) for a in parsed.iter_attachments()] == [
        ("2026-0001-acme.pdf", "application/pdf", (invoices / "2026-0001-acme.pdf").read_bytes()),
        ("2026-0001-acme.xrechnung.xml", "application/xml",
         (invoices / "2026-0001-acme.xrechnung.xml").read_bytes())]
    english = message_from_bytes(globex.data, policy=policy.SMTP)
    assert english["Subject"] == "Invoice 2026-0002 from Tönstudio Grüße GmbH" and english["Cc"] is None
    assert [a.get_filename() for a in english.iter_attachments()] == ["2026-0002-globex.pdf"]
    assert english.get_body(("plain",)).get_content().splitlines()[2:4] == [
        "Please find attached our invoice 2026-0002 for 2026-11 of €357.00.", "We kindly ask you to pay it by 17 Dec 2026."]

    again = ws.cli("send", "--period", "2026-11")  # never twice
    assert (again.exit_code, again.output) == (0, "Nothing to send: every issued invoice for 2026-11 was sent "
                                                  "already.\n")
    assert len(inbox.messages) == 2
    assert [m[:3] for m in messages(ws)] == [
        ("2026-0001", "rechnungen@acme.example, einkauf@acme.example, archiv@studio.example", "sent"),
        ("2026-0002", "ap@globex.example, archiv@studio.example", "sent")]
    listing = ws.cli("invoices").output
    assert re.search(r"2026-0001 .* issued\s+\d{4}-\d\d-\d\d\s+open\n", listing), listing


def test_dry_run_writes_the_exact_messages_and_records_nothing(ws, server):
    inbox, port = server("none")
    billed(ws, port)
    result = ws.cli("send", "--period", "2026-11", "--dry-run")
    assert result.exit_code == 0, result.output
    outbox = ws.root / "output" / "2026-11" / "outbox"
    assert result.output.splitlines()[0] == ("Wrote 2026-0001 (acme, to rechnungen@acme.example, einkauf@acme.example, "
                                             "archiv@studio.example): output/2026-11/outbox/2026-0001-acme.eml")
    assert sorted(p.name for p in outbox.iterdir()) == ["2026-0001-acme.eml", "2026-0002-globex.eml"]
    assert inbox.messages == [] and messages(ws) == []
    assert re.search(r"2026-0001 .* issued\s+—\s+open\n", ws.cli("invoices").output)
    ws.cli("send", "--period", "2026-11")
    # what differs between two compositions: the Date and Message-ID lines, the MIME boundary
    unstable = re.compile(rb"^(Date|Message-ID): .*$|={15}\d+==", re.MULTILINE)
    for sent, name in zip(inbox.messages, ["2026-0001-acme.eml", "2026-0002-globex.eml"], strict=True):
        written = (outbox / name).read_bytes()
        assert unstable.sub(b"", sent.data) == unstable.sub(b"", written)


def test_outbox_in_rates_yaml_writes_instead_of_sending(ws, server):
    inbox, port = server("none")
    billed(ws, port, extra="    outbox: true\n")
    assert ws.cli("send").exit_code == 0
    assert len(list((ws.root / "output" / "2026-11" / "outbox").iterdir())) == 2 and inbox.messages == []


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_tls_with_a_login(ws, server, monkeypatch, security):
    inbox, port = server(security, auth=True)
    billed(ws, port, security, user=True)
    monkeypatch.setenv("AUFTAKT_SMTP_PASSWORD", PASSWORD)
    result = ws.cli("send", "--client", "globex")
    assert result.exit_code == 0, result.output
    assert [m.recipients for m in inbox.messages] == [["ap@globex.example", "archiv@studio.example"]]
    assert PASSWORD not in result.output and PASSWORD.encode() not in (ws.root / "rates.yaml").read_bytes()
    assert [m[2] for m in messages(ws)] == ["sent"]


def test_a_failed_login_sends_nothing_and_says_so_per_invoice(ws, server, monkeypatch):
    inbox, port = server("starttls", auth=True)
    billed(ws, port, "starttls", user=True)
    monkeypatch.setenv("AUFTAKT_SMTP_PASSWORD", "wrong")
    result = ws.cli("send")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert len(lines) == 2 and all(line.startswith(f"Error: 2026-000{i} (") for i, line in enumerate(lines, 1))
    assert "the login as billing@studio.example failed (535" in lines[0] and "wrong" not in result.output
    assert inbox.messages == [] and messages(ws) == []
    monkeypatch.setenv("AUFTAKT_SMTP_PASSWORD", PASSWORD)
    assert ws.cli("send").exit_code == 0 and len(inbox.messages) == 2


def test_a_password_smtplib_cannot_send_is_one_line_per_invoice(ws, server, monkeypatch):
    _, port = server("starttls", auth=True)
    billed(ws, port, "starttls", user=True)
    monkeypatch.setenv("AUFTAKT_SMTP_PASSWORD", "Pässwort")
    result = ws.cli("send", "--client", "globex")
    assert (result.exit_code, result.output) == (1, (
        "Error: 2026-0002 (globex): not sent: the login as billing@studio.example was not tried: smtplib can send "
        "only an ASCII user name and password — use a password without umlauts or other non-ASCII letters\n"))


def test_a_user_without_a_password_is_one_line(ws, server, monkeypatch):
    _, port = server("starttls", auth=True)
    billed(ws, port, "starttls", user=True)
    monkeypatch.delenv("AUFTAKT_SMTP_PASSWORD", raising=False)
    result = ws.cli("send")
    assert result.exit_code == 1
    assert result.output == ("Error: agency.mail.smtp.user is 'billing@studio.example' but AUFTAKT_SMTP_PASSWORD is not "
                             "set — set it in the environment to the mailbox's password (it is never read from "
                             "rates.yaml); nothing was sent\n")


def test_an_untrusted_certificate_is_refused(ws, server, monkeypatch):
    _, port = server("tls")
    billed(ws, port, "tls")
    monkeypatch.delenv("SSL_CERT_FILE")
    result = ws.cli("send", "--client", "acme")
    assert result.exit_code == 1 and "TLS failed" in result.output and "CERTIFICATE_VERIFY_FAILED" in result.output
    assert messages(ws) == []


def test_a_refused_recipient_fails_its_invoice_only(ws, server):
    inbox, port = server("none", refuse=("ap@globex.example", "einkauf@acme.example"))
    billed(ws, port)
    result = ws.cli("send")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "Sent 2026-0001 (acme) to rechnungen@acme.example, einkauf@acme.example, archiv@studio.example",
        "Error: 2026-0001 (acme): sent, but the server refused einkauf@acme.example (550 5.1.1 no such mailbox here)",
        "Error: 2026-0002 (globex): not sent: the server refused the client's address ap@globex.example (550 5.1.1 "
        "no such mailbox here) — correct clients.globex.email"]
    assert [m.recipients for m in inbox.messages] == [["rechnungen@acme.example", "archiv@studio.example"]]
    assert [m[2] for m in messages(ws)] == ["sent", "failed"]
    inbox.refuse.clear()  # the address corrected: the failed one is sent, the sent one is not
    assert ws.cli("send").output == "Sent 2026-0002 (globex) to ap@globex.example, archiv@studio.example\n"


def test_a_connection_lost_before_the_message_fails_it_and_during_it_is_delivery_unknown(ws, server):
    inbox, port = server("none")
    inbox.hang_up = {"rechnungen@acme.example": "DATA", "ap@globex.example": "RCPT"}
    billed(ws, port)
    result = ws.cli("send")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "Error: 2026-0001 (acme): the connection was lost while sending (the server closed the connection) — "
        "delivery unknown: look whether it arrived, then `auftakt-batch send --again 2026-0001` if not",
        "Error: 2026-0002 (globex): not sent: the server closed the connection"]
    assert [m[2] for m in messages(ws)] == ["sending", "failed"]
    inbox.hang_up.clear()
    result = ws.cli("send")  # globex is tried again; acme's delivery is unknown: left to the user
    assert result.output.splitlines() == [
        "2026-0001: delivery unknown — an earlier send was interrupted while mailing it; look whether it arrived, "
        "then `auftakt-batch send --again 2026-0001` if not",
        "Sent 2026-0002 (globex) to ap@globex.example, archiv@studio.example"]


def test_again_sends_a_sent_invoice_once_more(ws, server):
    inbox, port = server("none")
    billed(ws, port)
    ws.cli("send")
    result = ws.cli("send", "--again", "2026-0002")
    assert result.output == "Sent 2026-0002 (globex) to ap@globex.example, archiv@studio.example\n"
    assert len(inbox.messages) == 3
    unknown = ws.cli("send", "--again", "2026-0099")
    assert unknown.exit_code == 2 and "2026-0099 is not in the ledger" in unknown.output


SEND = ("import datetime, sys; from pathlib import Path; from auftakt_batch.sending import send; "
        "send(Path(sys.argv[1]), datetime.datetime.now(datetime.timezone.utc))")


def test_a_run_killed_between_the_two_records_leaves_delivery_unknown(ws, server):
    inbox, port = server("none")
    billed(ws, port)
    env = {**os.environ, FAULT: "sending:2", "PYTHONPATH": str(ROOT / "src")}
    killed = subprocess.run([sys.executable, "-c", SEND, str(ws.root)], env=env, capture_output=True, timeout=60)
    assert killed.returncode == -9
    assert [m[2:] for m in messages(ws)] == [("sent", True), ("sending", False)]
    assert len(inbox.messages) == 1
    result = ws.cli("send")
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "2026-0002: delivery unknown — an earlier send was interrupted while mailing it; look whether it arrived, "
        "then `auftakt-batch send --again 2026-0002` if not",
        "Nothing to send: every issued invoice was sent already."]
    assert len(inbox.messages) == 1
    assert re.search(r"2026-0002 .*delivery unknown", ws.cli("invoices").output)
    assert ws.cli("send", "--again", "2026-0002").exit_code == 0 and len(inbox.messages) == 2
    assert "delivery unknown" not in ws.cli("invoices").output


def test_a_void_invoice_never_sent_goes_nowhere_nor_does_its_credit_note(ws, server):
    inbox, port = server("none")
    billed(ws, port)
    ws.cli("send", "--client", "acme")
    assert ws.cli("void", "2026-0002", "--reason", "wrong job").exit_code == 0
    assert ws.cli("send").output == "Nothing to send: every issued invoice was sent already.\n"
    assert ws.cli("void", "2026-0001", "--reason", "wrong rate").exit_code == 0
    result = ws.cli("send")  # the client has 2026-0001: its credit note goes too
    assert result.output.startswith("Sent 2026-0004 (acme)")
    subject = message_from_bytes(inbox.messages[-1].data, policy=policy.SMTP)["Subject"]
    assert subject == "Stornorechnung 2026-0004 von Tönstudio Grüße GmbH"


def test_values_are_never_template_syntax(ws, server):
    inbox, port = server("none")
    billed(ws, port)
    ws.edit_rates("    name: Globex Corporation\n", "    name: \"{{ 7*7 }} {% raw %}\"\n")
    (ws.root / "templates" / "email.en.txt").write_text("Subject: For {{ client }}\n{{ client }}\n", encoding="utf-8")
    assert ws.cli("send", "--client", "globex").exit_code == 0
    parsed = message_from_bytes(inbox.messages[0].data, policy=policy.SMTP)
    assert parsed["Subject"] == "For {{ 7*7 }} {% raw %}"
    assert parsed.get_body(("plain",)).get_content() == "{{ 7*7 }} {% raw %}\r\n"


def test_a_template_without_a_subject_fails_its_invoices(ws, server):
    inbox, port = server("none")
    billed(ws, port)
    (ws.root / "templates" / "email.en.txt").write_text("Hello {{ client }}\n", encoding="utf-8")
    result = ws.cli("send")
    assert result.exit_code == 1 and len(inbox.messages) == 1  # ACME (German) is sent
    assert result.output.splitlines()[-1] == (
        "Error: 2026-0002 (globex): not sent: templates/email.en.txt:1: the first line must be `Subject: …` "
        "(the email's subject), then the body")


def test_a_client_without_an_email_is_one_line(ws, server):
    _, port = server("none")
    billed(ws, port)
    ws.edit_rates("    email: ap@globex.example\n", "")
    result = ws.cli("send")
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == ("Error: 2026-0002 (globex): not sent: client globex has no email in "
                                              "rates.yaml — add `email: ap@…` to clients.globex")


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("    email: ap@globex.example\n", "    email: ap@globex\n",
     "rates.yaml:{line}: clients.globex.email: 'ap@globex' is not an email address"),
    ("    cc: [einkauf@acme.example]\n", "    cc: [einkauf@acme.example, \"Einkauf <x@acme.example>\"]\n",
     "rates.yaml:{line}: clients.acme.cc[1]: 'Einkauf <x@acme.example>': write the address alone (x@acme.example)"),
    ("security: none", "security: ssl", "rates.yaml:{line}: agency.mail.smtp.security: must be one of starttls | tls "
                                        "| none, got 'ssl'"),
    ("security: none", "security: none, user: me@studio.example",
     "rates.yaml:{line}: agency.mail.smtp.user: a password is never sent unencrypted"),
    ("    bcc: [archiv@studio.example]\n", "    bcc: [archiv@studio.example]\n    sender: x@y.example\n",
     "rates.yaml:{line}: agency.mail.sender: unknown key"),
])
def test_mail_settings_are_checked_at_their_line(ws, old, new, expected):
    billed(ws, 2525)
    path = ws.edit_rates(old, new)
    line = next(i for i, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if new.split("\n")[-2 if
                new.endswith("\n") else -1].strip() in text)
    result = ws.cli("check", "--period", "2026-11")
    assert result.exit_code == 1
    assert expected.format(line=line) in result.output, result.output


def test_a_ledger_of_schema_8_is_migrated_by_the_first_send(ws, server):
    inbox, port = server("none")
    billed(ws, port)
    conn = sqlite3.connect(ws.root / "output" / "ledger.sqlite")
    conn.executescript("DROP TABLE messages; PRAGMA user_version = 8;")
    conn.close()
    assert "—" in ws.cli("invoices").output  # read-only: a schema-8 ledger has no messages, nothing is written
    assert sqlite3.connect(ws.root / "output" / "ledger.sqlite").execute("PRAGMA user_version").fetchone() == (8,)
    assert ws.cli("send", "--client", "acme").exit_code == 0
    conn = sqlite3.connect(ws.root / "output" / "ledger.sqlite")
    assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)  # on to the current schema
    assert [m[:1] + m[2:3] for m in messages(ws)] == [("2026-0001", "sent")]
