"""The SMTP session `send` mails through (smtplib): STARTTLS, implicit TLS or none, a login
when rates.yaml names a user (the password only from AUFTAKT_SMTP_PASSWORD, never logged or
written), one connection for the run.

Each message is sent step by step (MAIL, RCPT, DATA) so that what happened is known: refused
before DATA means not delivered (failed: sent again by the next `send`); a connection lost
during DATA means the server may have taken it (delivery unknown: never sent again unasked).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass

from ..config import Smtp
from ..errors import Refused
from ..ledger.messages import FAILED, SENDING, SENT
from .message import Outgoing

PASSWORD_VARIABLE = "AUFTAKT_SMTP_PASSWORD"
TIMEOUT_S = 30.0


class NotSent(Exception):
    """The session cannot send (no connection, a failed login): the message was not tried."""


class NoPassword(Refused):
    """agency.mail.smtp names a user but the environment holds no password."""


@dataclass(frozen=True)
class Outcome:
    state: str  # sent | failed | sending (delivery unknown)
    problem: str | None = None  # what to tell the user, if anything


class Session:
    """An SMTP connection opened on first use; a login or connection that fails is not retried
    for the run's later messages (a mail server locks an account after repeated failed logins)."""

    def __init__(self, smtp: Smtp, password: str | None) -> None:
        if smtp.user and not password:
            raise NoPassword(f"agency.mail.smtp.user is {smtp.user!r} but {PASSWORD_VARIABLE} is not set — set it "
                             "in the environment to the mailbox's password (it is never read from rates.yaml); "
                             "nothing was sent")
        self.smtp, self.password = smtp, password
        self.conn: smtplib.SMTP | None = None
        self.broken: str | None = None

    def ready(self) -> None:
        """Connected and logged in; NotSent saying why not."""
        if self.broken:
            raise NotSent(self.broken)
        if self.conn is not None:
            return
        try:
            self.conn = self._open()
        except smtplib.SMTPAuthenticationError as exc:
            self.broken = f"the login as {self.smtp.user} failed ({_reply(exc.smtp_code, exc.smtp_error)}) — " \
                          f"check agency.mail.smtp.user and {PASSWORD_VARIABLE}"
        except smtplib.SMTPNotSupportedError:
            offered = "STARTTLS" if self.smtp.security == "starttls" else "AUTH"
            self.broken = f"{self._where()} does not offer {offered} — check agency.mail.smtp.security and port"
        except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
            self.broken = f"cannot connect to {self._where()}: {_said(exc)} — check agency.mail.smtp"
        except UnicodeEncodeError:  # smtplib sends AUTH in ASCII only
            self.broken = f"the login as {self.smtp.user} was not tried: smtplib can send only an ASCII user name " \
                          f"and password — use a password without umlauts or other non-ASCII letters"
        if self.broken:
            raise NotSent(self.broken)

    def _where(self) -> str:
        return f"{self.smtp.host}:{self.smtp.port} ({self.smtp.security})"

    def _open(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.smtp.security == "tls":
            conn: smtplib.SMTP = smtplib.SMTP_SSL(self.smtp.host, self.smtp.port, timeout=TIMEOUT_S, context=context)
        else:
            conn = smtplib.SMTP(self.smtp.host, self.smtp.port, timeout=TIMEOUT_S)
        try:
            if self.smtp.security == "starttls":
                conn.starttls(context=context)
            if self.smtp.user:
                conn.login(self.smtp.user, self.password or "")
        except BaseException:
            _close(conn)
            raise
        return conn

    def transmit(self, outgoing: Outgoing) -> Outcome:
        """Send one message (after `ready`); what became of it."""
        assert self.conn is not None  # ready() connected
        try:
            refused = self._envelope(self.conn, outgoing)
        except (smtplib.SMTPException, OSError) as exc:  # before DATA: the server has not taken it
            self._drop()
            return Outcome(FAILED, f"not sent: {_said(exc)}")
        if isinstance(refused, Outcome):
            return refused
        try:
            code, reply = self.conn.data(outgoing.data)
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            return Outcome(SENDING, f"the connection was lost while sending ({_said(exc)}) — delivery unknown: look "
                                    f"whether it arrived, then `auftakt-batch send --again {outgoing.record.key}` "
                                    "if not")
        if code != 250:
            return Outcome(FAILED, f"not sent: the server refused the message ({_reply(code, reply)})")
        if refused:
            return Outcome(SENT, "sent, but the server refused " + "; ".join(
                f"{address} ({_reply(*answer)})" for address, answer in refused.items()))
        return Outcome(SENT)

    @staticmethod
    def _envelope(conn: smtplib.SMTP, outgoing: Outgoing) -> dict[str, tuple[int, bytes]] | Outcome:
        """MAIL and RCPT: the recipients the server refused, or a failed Outcome (after RSET) when it
        refused the sender or the client's own address (To): then nobody gets it."""
        conn.ehlo_or_helo_if_needed()
        code, reply = conn.mail(outgoing.sender)
        if code != 250:
            conn.rset()
            return Outcome(FAILED, f"not sent: the server refused the sender {outgoing.sender} ({_reply(code, reply)})")
        refused = {}
        for address in outgoing.recipients:
            code, reply = conn.rcpt(address)
            if code not in (250, 251):
                refused[address] = (code, reply)
        to = outgoing.recipients[0]
        if to in refused:
            conn.rset()
            return Outcome(FAILED, f"not sent: the server refused the client's address {to} "
                                   f"({_reply(*refused[to])}) — correct clients.{outgoing.record.client_key}.email")
        return refused

    def _drop(self) -> None:
        if self.conn is not None:
            _close(self.conn)
        self.conn = None

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.quit()
            except (smtplib.SMTPException, OSError):
                pass
        self._drop()


def _close(conn: smtplib.SMTP) -> None:
    try:
        conn.close()
    except OSError:
        pass


def _reply(code: int, text: bytes | str) -> str:
    said = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(said.split())}"


def _said(exc: BaseException) -> str:
    """An smtplib or socket error in a few words (never the password: smtplib never echoes it)."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return _reply(exc.smtp_code, exc.smtp_error)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return "the server closed the connection"
    if isinstance(exc, TimeoutError):
        return f"no answer within {TIMEOUT_S:.0f} s"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc.reason or exc}"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc) or type(exc).__name__
    return str(exc) or type(exc).__name__
