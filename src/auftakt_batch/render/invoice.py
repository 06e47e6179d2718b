"""An invoice draft → the HTML of its page, from the workspace's templates/invoice.html.

Jinja2 with autoescape on: names and descriptions from exports are text, never markup.
Labels, dates and numbers follow the client's language (en or de): dates, numbers and
amounts as babel formats them for its locale.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping

from ..config import Client, Config
from ..config.yamltree import YamlSyntaxError, refuse_deep_nesting
from ..pricing.invoices import Draft, Line, quantity
from ..pricing.models import C62, HUR, MON, QAN
from ..units import LOCALES, format_money, format_number
from .confined import TemplateRefused, read_within, stamp

if TYPE_CHECKING:  # imported where used, so that a run that renders nothing never loads them
    from jinja2 import BaseLoader, Environment
    from markupsafe import Markup

UNIT_WORDS = {HUR: "hours", MON: "month", QAN: "quarter", C62: "piece"}  # a line's unit (UN/ECE Rec 20) -> its label
SHORT_UNITS = {HUR: "hour_short", MON: "month", QAN: "quarter", C62: ""}  # after a quantity, on mixed invoices

LABELS = {
    "en": {
        "title": "Invoice", "credit_note": "Credit note", "draft": "DRAFT",
        "cancels": "This credit note cancels invoice {ref} of {date} in full. Reason: {reason}",
        "refund": "The amount of {gross} is credited to you; any payment of invoice {ref} will be refunded.",
        "number": "Invoice no.", "credit_note_number": "Credit note no.", "issue_date": "Date",
        "appendix": "Appendix: time entries", "date": "Date", "person": "Person",
        "service_period": "Service period", "due_date": "Due", "vat_id": "VAT ID", "our_vat_id": "Our VAT ID",
        "description": "Description", "hours": "Hours", "rate": "Rate", "amount": "Amount", "net": "Net",
        "quantity": "Quantity", "hour_short": "h", "month": "month", "quarter": "quarter", "piece": "unit",
        "vat": "VAT", "gross": "Total",
        "vat_of": "{vat} {rate} % of {basis}",
        "reverse_charge": "{reason}: VAT is payable by the recipient (Art. 196 VAT Directive 2006/112/EC). "
                          "Supplier VAT ID {ours}, recipient VAT ID {theirs}.",
        "exempt": "{reason}: no VAT is charged.",
        "outside_scope": "{reason}: no VAT is charged.",
        "reason_reverse_charge": "Reverse charge",
        "reason_exempt": "VAT exempt",
        "reason_outside_scope": "Not subject to German VAT (place of supply outside Germany)",
        "pay": "Please transfer {gross} by {due} to IBAN {iban}{bic}, quoting invoice number {number}.",
        "pay_no_bank": "Please pay {gross} by {due}, quoting invoice number {number}.",
        "scan": "Scan to pay with your banking app",
        "terms": "Payable within {days} days, by {due}", "terms_credit": "Nothing to pay: cancels invoice {ref}",
        "tax_number": "Tax number", "managing_directors": "Managing directors",
        # payment reminders (render/reminder.py): the first, those between, the last level's
        "reminder": "Payment reminder", "reminder_next": "Reminder", "reminder_final": "Final reminder",
        "reminder_number": "Reminder no.", "invoice_date": "Invoice date", "salutation": "Dear Sir or Madam,",
        "reminder_text": "Our invoice {number} of {date} was due on {due}; we have not yet received payment of "
                         "{open}. Perhaps it has escaped your attention.",
        "reminder_again": "We have reminded you of our invoice {number} of {date}, due on {due}, before; {open} of "
                          "it is still unpaid.",
        "invoice_of": "Invoice {number} of {date}", "paid_so_far": "Paid so far", "still_open": "Open",
        "reminder_fee": "Reminder fee", "earlier_fees": "Fees of earlier reminders", "to_pay": "To pay",
        "fee_note": "Reminder fees are not subject to VAT.",
        "paid_meanwhile": "If you have paid in the meantime, please disregard this letter.",
        "regards": "Kind regards",
    },
    "de": {
        "title": "Rechnung", "credit_note": "Stornorechnung", "draft": "ENTWURF",
        "cancels": "Diese Stornorechnung storniert die Rechnung {ref} vom {date} vollständig. Grund: {reason}",
        "refund": "Der Betrag von {gross} wird Ihnen gutgeschrieben; eine Zahlung der Rechnung {ref} erstatten "
                  "wir.",
        "number": "Rechnungsnr.", "credit_note_number": "Stornorechnungsnr.", "issue_date": "Datum",
        "appendix": "Anlage: Zeiteinträge", "date": "Datum", "person": "Person",
        "service_period": "Leistungszeitraum", "due_date": "Fällig am", "vat_id": "USt-IdNr.",
        "our_vat_id": "Unsere USt-IdNr.", "description": "Leistung", "hours": "Std.", "rate": "Satz",
        "quantity": "Menge", "hour_short": "Std.", "month": "Monat", "quarter": "Quartal", "piece": "Stück",
        "amount": "Betrag", "net": "Netto", "vat": "USt.", "gross": "Gesamt",
        "vat_of": "{vat} {rate} % auf {basis}",
        "reverse_charge": "{reason} (Reverse Charge). USt-IdNr. des Leistenden {ours}, des Leistungsempfängers "
                          "{theirs}.",
        "exempt": "{reason}; es wird keine Umsatzsteuer berechnet.",
        "outside_scope": "{reason}; es wird keine Umsatzsteuer berechnet.",
        "reason_reverse_charge": "Steuerschuldnerschaft des Leistungsempfängers",
        "reason_exempt": "Steuerfreie Leistung",
        "reason_outside_scope": "Nicht im Inland steuerbare Leistung",
        "pay": "Bitte überweisen Sie {gross} bis zum {due} auf IBAN {iban}{bic} unter Angabe der "
               "Rechnungsnummer {number}.",
        "pay_no_bank": "Bitte zahlen Sie {gross} bis zum {due} unter Angabe der Rechnungsnummer {number}.",
        "scan": "Mit der Banking-App scannen und bezahlen",
        "terms": "Zahlbar innerhalb von {days} Tagen bis zum {due}",
        "terms_credit": "Nichts zu zahlen: storniert die Rechnung {ref}",
        "tax_number": "Steuernummer", "managing_directors": "Geschäftsführung",
        "reminder": "Zahlungserinnerung", "reminder_next": "Mahnung", "reminder_final": "Letzte Mahnung",
        "reminder_number": "Mahnstufe", "invoice_date": "Rechnungsdatum",
        "salutation": "Sehr geehrte Damen und Herren,",
        "reminder_text": "unsere Rechnung {number} vom {date} war am {due} fällig; eine Zahlung von {open} ist bei "
                         "uns bisher nicht eingegangen. Vielleicht ist Ihnen die Rechnung entgangen.",
        "reminder_again": "wir haben Sie bereits an unsere Rechnung {number} vom {date}, fällig am {due}, erinnert; "
                          "noch immer sind {open} offen.",
        "invoice_of": "Rechnung {number} vom {date}", "paid_so_far": "Bereits gezahlt", "still_open": "Offen",
        "reminder_fee": "Mahngebühr", "earlier_fees": "Mahngebühren früherer Mahnungen", "to_pay": "Zu zahlen",
        "fee_note": "Mahngebühren unterliegen nicht der Umsatzsteuer.",
        "paid_meanwhile": "Sollten Sie inzwischen gezahlt haben, betrachten Sie dieses Schreiben bitte als "
                          "gegenstandslos.",
        "regards": "Mit freundlichen Grüßen",
    },
}
_PLACEHOLDER = re.compile(r"{(\w+)}")


@dataclass(frozen=True)
class Issue:
    number: str
    issue_date: date
    due_date: date
    stamped_at: datetime  # pinned into the PDF's metadata (noon of the issue date), so a re-render gives the same bytes
    draft: bool = False
    kind: str = "invoice"  # or credit-note
    refers_to: str | None = None
    reason: str | None = None
    refers_to_date: date | None = None  # the issue date of the invoice a credit note cancels


class LabelsError(ValueError):
    """templates/labels.yaml says something no invoice can be written with."""


def load_labels(templates: Path) -> dict[str, dict[str, str]]:
    """The built-in labels, with those of templates/labels.yaml (if there is one) in their place;
    read once per version of the file (a billing run renders hundreds of invoices). Read-only."""
    return _labels(templates, stamp(templates / "labels.yaml"))


@lru_cache(maxsize=8)
def _labels(templates: Path, version: tuple | None) -> dict[str, dict[str, str]]:
    merged = {language: dict(labels) for language, labels in LABELS.items()}
    if version is None:
        return merged
    where = "templates/labels.yaml"
    data = _labels_yaml(templates, where)
    if data is None:  # gone since it was stamped
        return merged
    if not isinstance(data, dict):
        raise LabelsError(f"{where}: expected a mapping of language → labels")
    for language, labels in data.items():
        merged[language].update(_checked_labels(where, language, labels))
    return merged


def _labels_yaml(templates: Path, where: str) -> object:
    """templates/labels.yaml as YAML data ({} when empty), None if it is gone; LabelsError if it cannot be read."""
    import yaml

    try:
        data = read_within(templates, "labels.yaml")
        if data is None:
            return None
        text = data.decode("utf-8")
        refuse_deep_nesting(text)  # safe_load recurses once per level
        return yaml.safe_load(text) or {}
    except TemplateRefused as exc:
        raise LabelsError(str(exc)) from None
    except YamlSyntaxError as exc:
        raise LabelsError(f"{where}:{exc.line}: {exc.key or 'labels'}: {exc.message}") from None
    except yaml.MarkedYAMLError as exc:  # PyYAML's own words run over several lines: the line and the gist
        mark = exc.problem_mark or exc.context_mark
        raise LabelsError(f"{where}:{mark.line + 1 if mark else '?'}: not valid YAML: {exc.problem or exc.context}"
                          ) from None
    except yaml.YAMLError as exc:
        raise LabelsError(f"{where}: not valid YAML: {' '.join(str(exc).split())}") from None
    except UnicodeDecodeError as exc:
        raise LabelsError(f"{where}: not UTF-8 text ({exc.reason}) — save it as UTF-8") from None


def _checked_labels(where: str, language: object, labels: object) -> dict[str, str]:
    """One language's labels from labels.yaml, each a known label whose text uses only its own placeholders."""
    if language not in LABELS:
        raise LabelsError(f"{where}: {language}: invoices are written in {' or '.join(LABELS)}")
    if not isinstance(labels, dict):
        raise LabelsError(f"{where}: {language}: expected a mapping of label → text")
    known = LABELS[str(language)]
    for key, text in labels.items():
        if key not in known:
            raise LabelsError(f"{where}: {language}.{key}: no such label — the labels are "
                              f"{', '.join(known)}")
        wanted, given = set(_PLACEHOLDER.findall(known[key])), set(_PLACEHOLDER.findall(str(text)))
        if not isinstance(text, str) or given - wanted:
            raise LabelsError(f"{where}: {language}.{key}: expected text using only "
                              f"{', '.join('{' + w + '}' for w in sorted(wanted)) or 'no placeholders'}")
    return labels


def invoice_html(draft: Draft, config: Config, issue: Issue, templates: Path) -> str:
    return environment(templates).get_template("invoice.html").render(
        **context(draft, config, issue, load_labels(templates)))


@lru_cache(maxsize=8)
def environment(templates: Path) -> Environment:
    """One Jinja environment per templates folder: it compiles invoice.html once, and again only
    when the file changes (Jinja checks its modification time on every use)."""
    from jinja2 import Environment, StrictUndefined, select_autoescape

    env = Environment(loader=_loader(templates), autoescape=select_autoescape(default=True),
                      undefined=StrictUndefined, auto_reload=True)
    env.filters["lines"] = _lines
    env.filters["oneline"] = lambda text: ", ".join((text or "").splitlines())
    return env


def _loader(templates: Path) -> BaseLoader:
    """A Jinja loader of the files really inside templates/ (confined.py): an include through a
    symlink out of it raises TemplateRefused, naming the template, before anything is rendered."""
    from jinja2 import BaseLoader, TemplateNotFound
    from jinja2.loaders import split_template_path

    class Confined(BaseLoader):
        def get_source(self, environment: Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
            name = "/".join(split_template_path(template))  # refuses '..'
            path = templates / name
            version = stamp(path)
            data = read_within(templates, name)
            if data is None:
                raise TemplateNotFound(template)
            return data.decode("utf-8"), str(path), lambda: stamp(path) == version

    return Confined()


def context(draft: Draft, config: Config, issue: Issue, labels: dict[str, dict[str, str]] = LABELS) -> dict:
    client = config.clients[draft.client_key]
    language = client.language
    t = labels[language]

    def money(value: Decimal) -> str:
        return format_money(value, draft.currency, language)

    credit = issue.kind == "credit-note"
    mixed = any(line.unit != HUR for line in draft.lines)  # not hours alone: each quantity says its unit
    if mixed:
        t = {**t, "hours": t["quantity"]}  # the column's heading, as the templates name it
    return {
        "language": language, "t": t, "heading": t["credit_note"] if credit else t["title"],
        "agency": config.agency, "client": client, "draft": issue.draft,
        "client_country": client.country if client.country and client.country != config.agency.country else "",
        "number": t["draft"] if issue.draft else issue.number,
        "issue_date": format_date(issue.issue_date, language),
        "due_date": None if credit else format_date(issue.due_date, language),
        "issued_at": issue.stamped_at.isoformat(),  # the templates' name for it since the first release
        "service_period": " – ".join(format_date(day, language) for day in draft.service),
        "number_label": t["credit_note_number"] if credit else t["number"],
        "lines": [{
            "title": line.job_name, "detail": line.detail,
            "dates": _span(line.first_day, line.last_day, language),
            # with several rates on one invoice, each line says which one applies (§14(4) UStG)
            "vat": (f"{t['vat']} {format_number(draft.rate_of(line), language)} %" if len(draft.breakdown) > 1
                    else ""),
            "quantity": "" if _write_down(line, credit) else _quantity_text(line, t, language, mixed),
            "unit": t[UNIT_WORDS[line.unit]],  # the word the labels give the line's unit (the column says it)
            "unit_price": "" if _write_down(line, credit) else money(line.unit_price),  # its amount says it
            "amount": money(line.amount),
        } for line in draft.lines],
        "appendix": _appendix(draft, client, config, language) if not credit else [],
        "net": money(draft.net), "vat": money(draft.vat), "gross": money(draft.gross),
        # the total, as templates from before rates per job print it
        "vat_label": (t["vat"] if len(draft.breakdown) > 1 or draft.vat_mode == "outside-scope"
                      else f"{t['vat']} {format_number(draft.breakdown[0].rate, language)} %"),
        "vat_lines": _vat_lines(draft, t, language, money),
        "vat_note": vat_note(draft, config, t),
        "cancels": cancels_text(t, language, issue.refers_to, issue.refers_to_date, issue.reason) if credit else None,
        "payment": (t["refund"].format(gross=money(-draft.gross), ref=issue.refers_to) if credit
                    else _payment(draft, config, issue, t, money(draft.gross), language)),
        "payment_qr": None if credit or issue.draft else _qr(draft, config, issue),
    }


def cancels_text(t: Mapping[str, str], language: str, ref: str | None, day: date | None, reason: str | None) -> str:
    """The credit note's words on what it cancels: the invoice's number and date, and why."""
    return t["cancels"].format(ref=ref, date=format_date(day, language) if day else "—", reason=reason or "—")


def _qr(draft: Draft, config: Config, issue: Issue) -> Markup | None:
    """The EPC payment QR code as inline SVG, on invoices in euros to the agency's IBAN."""
    from markupsafe import Markup

    from .qr import payment_qr, svg

    agency = config.agency
    if draft.currency != "EUR" or not agency.iban:
        return None
    code = payment_qr(agency.name, agency.iban, agency.bic, draft.gross, issue.number)
    return Markup(svg(code)) if code is not None else None  # our own drawing: no text from the inputs in it


def _appendix(draft: Draft, client: Client, config: Config, language: str) -> list[dict]:
    """Per line, the entries behind it — if the client (else the agency) asks for the appendix."""
    wanted = client.appendix if client.appendix is not None else config.agency.appendix
    if not wanted:
        return []
    return [{
        "position": position, "title": line.job_name, "detail": line.detail, "quantity": hours(line.quantity, language),
        "entries": [{"date": format_date(b.day, language), "person": b.person, "description": b.description,
                     "hours": hours(quantity(b.billed_s), language)} for b in line.entries],
    } for position, line in enumerate(draft.lines, 1) if line.entries]


def _write_down(line: Line, credit: bool) -> bool:
    """A cap's write-down (quantity −1 of one, +1 on the credit note that cancels it): printed as
    its amount alone."""
    return line.unit == C62 and (line.quantity < 0) != credit


def _quantity_text(line: Line, t: Mapping[str, str], language: str, mixed: bool) -> str:
    """A line's quantity as printed: hours alone as before; on an invoice of several units, each
    with its unit ('12.00 h', '1 month')."""
    text = hours(line.quantity, language) if line.unit == HUR else format_number(line.quantity, language)
    word = t[SHORT_UNITS[line.unit]] if mixed and SHORT_UNITS[line.unit] else ""
    return f"{text}\u00a0{word}" if word else text


def hours(value: Decimal, language: str) -> str:
    """Hours as printed: at least two decimals, all four when the time is not whole minutes' worth."""
    return format_number(value, language, places=max(2, _places(value)))


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    if not isinstance(exponent, int):  # 'n', 'N', 'F': NaN or infinity, which no amount is
        raise ValueError(f"not a finite amount: {value}")
    return max(0, -exponent)


def format_date(day: date, language: str) -> str:
    """'26 Nov 2026' / '26.11.2026' (babel's medium date of the client's locale)."""
    from babel.dates import format_date as babel_date

    return babel_date(day, "medium", locale=LOCALES[language])


def _span(first: date, last: date, language: str) -> str:
    if first == last:
        return format_date(first, language)
    return f"{format_date(first, language)} – {format_date(last, language)}"


def _vat_lines(draft: Draft, t: dict, language: str, money: Callable[[Decimal], str]) -> list[dict]:
    """The VAT per rate as printed: 'VAT 19 %' for one rate; 'VAT 19 % of €1,000.00' per rate for several."""
    if draft.vat_mode == "outside-scope":  # not subject to VAT: no rate, no amount (as the XML: BR-O-05)
        return [{"label": t["vat"], "amount": "—"}]
    shares = draft.breakdown
    return [{"label": (f"{t['vat']} {format_number(s.rate, language)} %" if len(shares) == 1 else
                       t["vat_of"].format(vat=t["vat"], rate=format_number(s.rate, language), basis=money(s.basis))),
             "amount": money(s.vat)} for s in shares]


def vat_reason(draft: Draft, config: Config, t: dict) -> str | None:
    """Why no VAT is charged (EN 16931 BT-120), in the client's language: the client's `vat_note`,
    else the label of its `vat` mode; None for a standard-rated invoice."""
    if draft.vat_mode == "standard":
        return None
    note = config.clients[draft.client_key].vat_note
    return note or t["reason_" + draft.vat_mode.replace("-", "_")]


def vat_note(draft: Draft, config: Config, t: dict) -> str | None:
    """The printed (and sent) note of an invoice without VAT: its reason, and for reverse charge both VAT IDs."""
    reason = vat_reason(draft, config, t)
    if reason is None:
        return None
    client = config.clients[draft.client_key]
    return t[draft.vat_mode.replace("-", "_")].format(reason=reason, ours=config.agency.vat_id or "—",
                                                       theirs=client.vat_id or "—")


def _payment(draft: Draft, config: Config, issue: Issue, t: dict, gross: str, language: str) -> str:
    due = format_date(issue.due_date, language)
    number = t["draft"] if issue.draft else issue.number
    if not config.agency.iban:
        return t["pay_no_bank"].format(gross=gross, due=due, number=number)
    bic = f" (BIC {config.agency.bic})" if config.agency.bic else ""
    return t["pay"].format(gross=gross, due=due, iban=config.agency.iban, bic=bic, number=number)


def _lines(text: str | None) -> Markup:
    """A multi-line address as escaped lines joined by <br>."""
    from markupsafe import Markup, escape

    return Markup("<br>").join(escape(line) for line in (text or "").splitlines())


def template_error(exc: Exception, templates: Path) -> str:
    """A template that cannot be rendered, as one line naming the file of templates/ (and its
    line) and what to do."""
    from jinja2 import TemplateNotFound, TemplateSyntaxError

    from .confined import TemplateRefused

    folder = templates.name
    if isinstance(exc, TemplateRefused):
        return str(exc)
    if isinstance(exc, TemplateNotFound):
        return (f"{folder}/{exc.name} is missing (templates/ holds the invoice template; `auftakt-batch init` "
                "writes one) — correct the template")
    if isinstance(exc, TemplateSyntaxError):
        where = f"{folder}/{exc.name or exc.filename or 'invoice.html'}:{exc.lineno}"
        return f"{where}: {exc.message} — correct the template"
    return f"{folder}/invoice.html: {exc} — correct the template"
