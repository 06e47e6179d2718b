"""A payment reminder → the HTML of its page, from templates/reminder.html (the packaged one
where the workspace has none, as in workspaces made before reminders existed).

It speaks the client's language, names the invoice (number, date, due date), what was paid of it
and what is open, the fees asked (from the second level on; not subject to VAT), the total and
the new date to pay by, with the EPC payment QR code for euros. Autoescape is on, as for invoices.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from importlib.resources import as_file, files
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import Config
from ..ledger import InvoiceRecord, ReminderRecord
from ..units import format_money
from .confined import read_within
from .invoice import environment, format_date, load_labels
from .qr import payment_qr, svg

if TYPE_CHECKING:
    from jinja2 import Environment

TEMPLATE = "reminder.html"


def reminder_html(r: ReminderRecord, invoice: InvoiceRecord, config: Config, templates: Path, *,
                  stamped_at: datetime, final: bool) -> str:
    """The reminder's page; `stamped_at`: the PDF's time (noon of its date), `final`: of the last
    level agency.reminders has."""
    return _template_environment(templates).get_template(TEMPLATE).render(
        **context(r, invoice, config, load_labels(templates), stamped_at=stamped_at, final=final))


def _template_environment(templates: Path) -> Environment:
    if read_within(templates, TEMPLATE) is not None:
        return environment(templates)
    return _packaged()


@lru_cache(maxsize=1)
def _packaged() -> Environment:
    with as_file(files("auftakt_batch") / "skeleton" / "templates") as folder:
        return environment(Path(folder))


def title(t: dict[str, str], level: int, final: bool) -> str:
    """What a reminder of `level` is called: "Payment reminder", "Reminder", "Final reminder" (labels)."""
    return t["reminder"] if level == 1 else t["reminder_final"] if final else t["reminder_next"]


def context(r: ReminderRecord, invoice: InvoiceRecord, config: Config, labels: dict[str, dict[str, str]], *,
            stamped_at: datetime, final: bool) -> dict:
    client = config.clients[r.client_key]
    language = client.language
    t = labels[language]

    def money(value: Decimal) -> str:
        return format_money(value, r.currency, language)

    heading = title(t, r.level, final)
    said = {"number": r.number, "date": format_date(invoice.issue_date, language),
            "due": format_date(invoice.due_date, language), "open": money(r.open)}
    agency = config.agency
    pay = (t["pay"].format(gross=money(r.asked), due=format_date(r.pay_by, language), iban=agency.iban,
                           bic=f" (BIC {agency.bic})" if agency.bic else "", number=r.number) if agency.iban else
           t["pay_no_bank"].format(gross=money(r.asked), due=format_date(r.pay_by, language), number=r.number))
    qr = payment_qr(agency.name, agency.iban, agency.bic, r.asked, r.number) \
        if agency.iban and r.currency == "EUR" else None
    rows = [(t["invoice_of"].format(**said), money(invoice.gross))]
    if r.paid:
        rows.append((t["paid_so_far"], money(-r.paid)))
    rows.append((t["still_open"], money(r.open)))
    if r.fees_before:
        rows.append((t["earlier_fees"], money(r.fees_before)))
    if r.fee:
        rows.append((t["reminder_fee"], money(r.fee)))
    from markupsafe import Markup

    return {
        "language": language, "t": t, "heading": heading, "agency": agency, "client": client,
        "client_country": client.country if client.country and client.country != agency.country else "",
        "number": r.number, "level": r.level, "issue_date": format_date(r.issue_date, language),
        "invoice_date": said["date"], "due_date": said["due"], "pay_by": format_date(r.pay_by, language),
        "issued_at": stamped_at.isoformat(),
        "text": (t["reminder_text"] if r.level == 1 else t["reminder_again"]).format(**said),
        "rows": rows, "total": money(r.asked), "payment": pay,
        "fee_note": t["fee_note"] if r.fees else None,
        "payment_qr": Markup(svg(qr)) if qr else None,
    }
