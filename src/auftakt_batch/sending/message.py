"""An invoice's email: subject and body from templates/email.<language>.txt, the PDF (and the
XRechnung XML) attached, as one EmailMessage in the SMTP policy (CRLF, RFC 2047 for umlauts).

The template is Jinja with autoescape off (plain text), rendered in a sandbox with the values as
variables only: a client called "{{ 7*7 }}" is mailed as those characters, never evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from importlib.resources import files
from pathlib import Path

from ..config import Client, Mail
from ..errors import Refused
from ..ledger import InvoiceRecord, ReminderRecord
from ..render.confined import TemplateRefused, read_within
from ..render.invoice import format_date
from ..render.reminder import title as reminder_title
from ..units import format_money


class BadTemplate(Refused):
    """templates/email.<lang>.txt cannot be rendered: nothing is sent with it."""


@dataclass(frozen=True, kw_only=True)
class Attachment:
    name: str
    subtype: str  # application/<subtype>: pdf, xml
    data: bytes


@dataclass(frozen=True, kw_only=True)
class Outgoing:
    """One message, ready: its bytes, who it goes to (the envelope: To, Cc and Bcc) and its id."""

    record: InvoiceRecord | ReminderRecord
    message: EmailMessage
    sender: str  # the envelope's, the address of agency.mail.from
    recipients: tuple[str, ...]

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    @property
    def data(self) -> bytes:
        return self.message.as_bytes(policy=policy.SMTP)


def letter(templates: Path, language: str, values: dict[str, object], kind: str = "email") -> tuple[str, str]:
    """(subject, body) of templates/<kind>.<language>.txt (email: an invoice's, reminder: a payment
    reminder's; the packaged one where the workspace has none) rendered with `values`. Raises
    BadTemplate naming the file and line."""
    from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError
    from jinja2.sandbox import SandboxedEnvironment

    name = f"{kind}.{language}.txt"
    try:
        data = read_within(templates, name)
    except TemplateRefused as exc:
        raise BadTemplate(str(exc)) from None
    if data is None:
        data = (files("auftakt_batch") / "skeleton" / "templates" / name).read_bytes()
    env = SandboxedEnvironment(autoescape=False, undefined=StrictUndefined, keep_trailing_newline=True)
    try:
        text = env.from_string(data.decode("utf-8")).render(**values)
    except UnicodeDecodeError:
        raise BadTemplate(f"templates/{name} is not UTF-8 text — save it as UTF-8") from None
    except TemplateSyntaxError as exc:
        raise BadTemplate(f"templates/{name}:{exc.lineno}: {exc.message} — correct the template") from None
    except TemplateError as exc:
        raise BadTemplate(f"templates/{name}: {exc} — the variables are {', '.join(sorted(values))}") from None
    first, _, body = text.partition("\n")
    if not first.startswith("Subject:") or not first.removeprefix("Subject:").strip():
        raise BadTemplate(f"templates/{name}:1: the first line must be `Subject: …` (the email's subject), "
                          "then the body")
    return first.removeprefix("Subject:").strip(), body.lstrip("\n")


def values(record: InvoiceRecord, client: Client, agency: str, labels: dict[str, dict[str, str]]) -> dict:
    """What a template may use: number, kind, credit_note, client, period, gross, currency,
    due_date, agency — each as text in the client's language."""
    language = client.language
    kind = labels[language]["credit_note" if record.kind == "credit-note" else "title"]
    return {"number": record.number, "kind": kind if language == "de" else kind.lower(),
            "credit_note": record.kind == "credit-note", "client": client.name, "period": record.period,
            "gross": format_money(abs(record.gross) if record.kind == "credit-note" else record.gross,
                                  record.currency, language),
            "currency": record.currency, "due_date": format_date(record.due_date, language), "agency": agency}


def reminder_values(r: ReminderRecord, invoice: InvoiceRecord, client: Client, agency: str,
                    labels: dict[str, dict[str, str]], *, final: bool) -> dict:
    """What a reminder's template may use: number (the invoice's), title, level, client, period,
    invoice_date, due_date, open, fees, has_fees, total, pay_by, currency, agency — as text in the client's language."""
    language = client.language
    t = labels[language]
    title = reminder_title(t, r.level, final)
    money = {name: format_money(value, r.currency, language) for name, value in
             (("open", r.open), ("fees", r.fees), ("total", r.asked))}
    return {"number": r.number, "title": title, "level": r.level, "client": client.name, "period": invoice.period,
            "invoice_date": format_date(invoice.issue_date, language),
            "due_date": format_date(invoice.due_date, language), **money,
            "has_fees": r.fees > 0, "pay_by": format_date(r.pay_by, language), "currency": r.currency,
            "agency": agency}


def compose(record: InvoiceRecord | ReminderRecord, client: Client, mail: Mail, written: tuple[str, str], *,
            attachments: tuple[Attachment, ...], now: datetime) -> Outgoing:
    """The message for `record`, its `written` (subject, body) from `letter`, to the client's email
    (and cc), from agency.mail.from."""
    subject, body = written
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = mail.sender
    message["To"] = client.email
    if client.cc:
        message["Cc"] = ", ".join(client.cc)
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    sender = message["From"].addresses[0].addr_spec
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    message.set_content(body, cte="quoted-printable")
    for a in attachments:
        message.add_attachment(a.data, maintype="application", subtype=a.subtype, filename=a.name)
    recipients = tuple(dict.fromkeys([client.email or "", *client.cc, *mail.bcc]))
    return Outgoing(record=record, message=message, sender=sender, recipients=recipients)

