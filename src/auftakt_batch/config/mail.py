"""rates.yaml's mail keys: `agency.mail` (the sender, the SMTP server, bcc, outbox) and the
addresses invoices go to (a client's `email` and `cc`), each checked as an email address."""

from __future__ import annotations

from email import policy

from .model import Mail, Smtp
from .reader import Reader
from .yamltree import Node, Scalar

MAIL_KEYS = {"from", "smtp", "bcc", "outbox"}
SMTP_KEYS = {"host", "port", "security", "user"}
SECURITY = ("starttls", "tls", "none")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}


def address_fault(text: str, named: bool = False) -> str | None:
    """Why `text` is not one email address (with a display name where `named`), or None."""
    try:
        header = policy.SMTP.header_factory("to", text)
    except Exception:  # noqa: BLE001  # the stdlib's parser raises IndexError and others on some garbage
        header = None
    if header is None or header.defects or len(header.addresses) != 1:
        return f"{text!r} is not one email address — write it like ap@client.example"
    found = header.addresses[0]
    if not found.username or "." not in found.domain.strip(".") or not found.addr_spec.isascii():
        return f"{text!r} is not an email address — write it like ap@client.example (plain ASCII; an umlaut " \
               "domain as its xn-- form)"
    if found.display_name and not named:
        return f"{text!r}: write the address alone ({found.addr_spec}), without a name"
    return None


def read_address(r: Reader, node: Node | None, path: str, named: bool = False) -> str | None:
    text = r.text(node, path)
    if text is None:
        return None
    if (fault := address_fault(text.strip(), named)) is not None:
        r.fail(node.line, path, fault)
        return None
    return text.strip()


def read_addresses(r: Reader, node: Node | None, path: str) -> tuple[str, ...]:
    """A list of addresses, or one address as plain text."""
    if isinstance(node, Scalar) and not node.is_null:
        return tuple(a for a in [read_address(r, node, path)] if a)
    items = r.sequence(node, path, example=", e.g. [accounts@agency.example]")
    return tuple(a for i, item in enumerate(items) if (a := read_address(r, item, f"{path}[{i}]")))


def read_mail(r: Reader, node: Node | None) -> Mail | None:
    """agency.mail: {from, smtp: {host, port, security, user}, bcc, outbox}; None if not given."""
    m = r.mapping(node, "agency.mail", MAIL_KEYS, {"from"})
    if m is None:
        return None
    f = m.items.get
    sender = read_address(r, f("from"), "agency.mail.from", named=True)
    outbox = r.boolean(f("outbox"), "agency.mail.outbox")
    smtp = _smtp(r, f("smtp"))
    if f("smtp") is None and not outbox:
        r.fail(m.line, "agency.mail.smtp", "missing — add `smtp: {host: smtp.example.com, port: 587, security: "
                                           "starttls, user: …}`, or `outbox: true` to write .eml files only")
    mail = Mail(sender=sender or "", smtp=smtp, bcc=read_addresses(r, f("bcc"), "agency.mail.bcc"),
                outbox=bool(outbox))
    return mail if sender else None


def _smtp(r: Reader, node: Node | None) -> Smtp | None:
    m = r.mapping(node, "agency.mail.smtp", SMTP_KEYS, {"host"})
    if m is None:
        return None
    f = m.items.get
    host = r.text(f("host"), "agency.mail.smtp.host")
    security = r.choice(f("security"), "agency.mail.smtp.security", SECURITY) or "starttls"
    port = r.integer(f("port"), "agency.mail.smtp.port", low=1, high=65535)
    user = r.text(f("user"), "agency.mail.smtp.user")
    if user and security == "none":
        r.fail(m.items["user"].line, "agency.mail.smtp.user", "a password is never sent unencrypted — use "
                                                               "security: starttls or tls with a user")
        return None
    return Smtp(host=host, port=port or DEFAULT_PORTS[security], security=security, user=user) if host else None
