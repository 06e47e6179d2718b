"""rates.yaml's `clients:` section: clients, their jobs, and the rates, budgets and rules on them."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import Callable, TypeVar

from ..names import NameIndex
from .accounting import read_debtor_account
from .billing_models import check_models, read_expense_markup, read_models
from .mail import read_address, read_addresses
from .model import NO_ROUNDING, Budget, CalendarRule, Client, Job, Rounding, Schedule
from .reader import Reader
from .yamltree import Map, Node, Scalar, is_empty

KEY = r"[a-z0-9][a-z0-9-]*"
KEY_HINT = "a key of lower-case letters, digits and '-' (it is used in file names)"
CURRENCY = r"[A-Z]{3}"
COUNTRY = r"[A-Z]{2}"
LANGUAGES = ("en", "de")
VAT_MODES = ("standard", "reverse-charge", "exempt", "outside-scope")
GROUPINGS = ("job", "job+person", "job+task", "entry")
EINVOICES = ("xrechnung",)
DEFAULT_ALERT_AT = (Decimal("0.8"), Decimal("1.0"))

CLIENT_KEYS = {"name", "aliases", "address", "country", "vat_id", "email", "cc", "iban", "currency", "language",
               "rate", "rates", "role_rates", "person_rates", "vat", "vat_note", "billable", "budget", "alert_at",
               "calendar", "rounding", "group_by", "appendix", "buyer_reference", "einvoice", "expenses", "jobs",
               "debtor_account"}
JOB_KEYS = {"name", "aliases", "rate", "rates", "person_rates", "billable", "budget", "alert_at", "rounding",
            "vat_rate", "retainer", "fixed", "cap"}


def _keyed(r: Reader, node: Node | None, path: str, what: str) -> dict[str, Node] | None:
    """A mapping whose keys are ours to name (clients, jobs): checks the key pattern."""
    if node is None or is_empty(node):
        return {}
    if not isinstance(node, Map):
        r.fail(node.line, path, f"expected a mapping of {what} key → {what}")
        return None
    for key, line in node.duplicates:
        r.fail(line, f"{path}.{key}", f"{what} given twice — keep one")
    items = {}
    for key, value in node.items.items():
        if re.fullmatch(KEY, key):
            items[key] = value
        else:
            r.fail(node.key_lines[key], f"{path}.{key}", f"{key!r} is not {KEY_HINT}")
    return items


def read_clients(r: Reader, node: Node | None, people: NameIndex, roles: set[str]) -> dict[str, Client] | None:
    items = _keyed(r, node, "clients", "client")
    if items is None:
        return None
    clients = {key: _client(r, value, key, f"clients.{key}", people, roles) for key, value in items.items()}
    return {key: client for key, client in clients.items() if client}


def _client(r: Reader, node: Node, key: str, path: str, people: NameIndex, roles: set[str]) -> Client | None:
    m = r.mapping(node, path, CLIENT_KEYS, {"name"})
    if m is None:
        return None
    f = m.items.get
    jobs = _jobs(r, f("jobs"), f"{path}.jobs", people)
    client = Client(
        key=key,
        name=r.text(f("name"), f"{path}.name"),
        aliases=r.text_list(f("aliases"), f"{path}.aliases"),
        address=r.text(f("address"), f"{path}.address"),
        country=r.pattern(f("country"), f"{path}.country", COUNTRY, "an ISO country code like DE"),
        vat_id=r.text(f("vat_id"), f"{path}.vat_id"),
        email=read_address(r, f("email"), f"{path}.email"),
        cc=read_addresses(r, f("cc"), f"{path}.cc"),
        ibans=read_ibans(r, f("iban"), f"{path}.iban"),
        currency=r.pattern(f("currency"), f"{path}.currency", CURRENCY, "a currency code like EUR") or "EUR",
        language=r.choice(f("language"), f"{path}.language", LANGUAGES) or "en",
        rate=_schedule(r, f("rate"), f"{path}.rate", f("rates"), f"{path}.rates"),
        role_rates=_keyed_rates(r, f("role_rates"), f"{path}.role_rates", lambda k: k if k in roles else None,
                                f"roles in the team: {', '.join(sorted(roles)) or 'none'}"),
        person_rates=_person_rates(r, f("person_rates"), f"{path}.person_rates", people),
        vat=r.choice(f("vat"), f"{path}.vat", VAT_MODES) or "standard",
        vat_note=r.text(f("vat_note"), f"{path}.vat_note"),
        billable=or_default(r.boolean(f("billable"), f"{path}.billable"), True),
        budget=_budget(r, f("budget"), f"{path}.budget"),
        alert_at=_alert_at(r, f("alert_at"), f"{path}.alert_at") or DEFAULT_ALERT_AT,
        calendar=_calendar(r, f("calendar"), f"{path}.calendar", jobs or {}),
        rounding=read_rounding(r, f("rounding"), f"{path}.rounding"),
        group_by=r.choice(f("group_by"), f"{path}.group_by", GROUPINGS),
        appendix=r.boolean(f("appendix"), f"{path}.appendix"),
        buyer_reference=r.text(f("buyer_reference"), f"{path}.buyer_reference"),
        einvoice=r.choice(f("einvoice"), f"{path}.einvoice", EINVOICES),
        expense_markup=read_expense_markup(r, f("expenses"), f"{path}.expenses"),
        debtor_account=read_debtor_account(r, f("debtor_account"), f"{path}.debtor_account"),
        jobs=MappingProxyType(jobs or {}),
    )
    check_models(r, client, f("jobs"), path)
    return client if client.name else None


def read_iban(r: Reader, node: Node | None, path: str) -> str | None:
    """An IBAN, spaces allowed; its check digits verified (ISO 13616: mod 97 = 1); compact, upper case."""
    iban = r.text(node, path)
    if iban is None or node is None:
        return None
    compact = iban.replace(" ", "").upper()
    plain = compact.isascii() and compact.isalnum()  # 'É' is alphanumeric too, but no IBAN letter
    digits = "".join(str(int(ch, 36)) for ch in compact[4:] + compact[:4]) if plain else ""
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", compact) or int(digits) % 97 != 1:
        r.fail(node.line, path, f"{iban!r} is not a valid IBAN (the check digits do not match)")
        return None
    return compact


def read_ibans(r: Reader, node: Node | None, path: str) -> tuple[str, ...]:
    """A client's IBAN, or a list of them (the accounts it pays from)."""
    if isinstance(node, Scalar):
        one = read_iban(r, node, path)
        return (one,) if one else ()
    found = (read_iban(r, item, f"{path}[{i}]") for i, item in enumerate(r.sequence(node, path, ', e.g. '
                                                                                    '["DE89 3704 0044 0532 0130 00"]')))
    return tuple(iban for iban in found if iban)


def _jobs(r: Reader, node: Node | None, path: str, people: NameIndex) -> dict[str, Job] | None:
    items = _keyed(r, node, path, "job")
    if items is None:
        return None
    return {key: _job(r, value, key, f"{path}.{key}", people) for key, value in items.items()}


def _job(r: Reader, node: Node | None, key: str, path: str, people: NameIndex) -> Job:
    m = r.mapping(node, path, JOB_KEYS)  # `internal:` with nothing under it is a job too
    f = m.items.get if m else (lambda _key: None)
    retainer, fixed, cap = read_models(r, m, path)
    return Job(
        key=key,
        name=r.text(f("name"), f"{path}.name") or key,
        aliases=r.text_list(f("aliases"), f"{path}.aliases"),
        rate=_schedule(r, f("rate"), f"{path}.rate", f("rates"), f"{path}.rates"),
        person_rates=_person_rates(r, f("person_rates"), f"{path}.person_rates", people),
        billable=or_default(r.boolean(f("billable"), f"{path}.billable"), True),
        budget=_budget(r, f("budget"), f"{path}.budget"),
        alert_at=_alert_at(r, f("alert_at"), f"{path}.alert_at"),
        rounding=read_rounding(r, f("rounding"), f"{path}.rounding"),
        vat_rate=read_vat_rate(r, f("vat_rate"), f"{path}.vat_rate"),
        retainer=retainer,
        fixed=fixed,
        cap=cap,
    )


def read_vat_rate(r: Reader, node: Node | None, path: str) -> Decimal | None:
    """A rate of its own (percent) for what is standard-rated: above 0 (EN 16931 BR-S-05), at most 100."""
    rate = r.decimal(node, path, high=Decimal(100))
    if rate == 0:
        r.fail(node.line, path, "0 % is not a standard rate (EN 16931 BR-S-05) — leave vat_rate out, or give the "
                                "reduced rate, e.g. \"7\"")
        return None
    return rate


def _schedule(r: Reader, rate: Node | None, rate_path: str, changes: Node | None,
                   changes_path: str) -> Schedule | None:
    """`rate` (in force from the start) plus `[{from, rate}]` changes, in force from their dates."""
    pairs: list[tuple[date | None, Decimal]] = []
    base = r.decimal(rate, rate_path, places=2)
    if base is not None:
        pairs.append((None, base))
    seen: dict[date, int] = {}
    for i, node in enumerate(r.sequence(changes, changes_path)):
        item_path = f"{changes_path}[{i}]"
        m = r.mapping(node, item_path, {"from", "rate"}, {"from", "rate"})
        if m is None:
            continue
        start = r.day(m.items.get("from"), f"{item_path}.from")
        value = r.decimal(m.items.get("rate"), f"{item_path}.rate", places=2)
        if start in seen:
            r.fail(node.line, f"{item_path}.from", f"{start} is already used by {changes_path}[{seen[start]}]")
        elif start is not None and value is not None:
            seen[start] = i
            pairs.append((start, value))
    if not pairs:
        return None
    return Schedule(tuple(sorted(pairs, key=lambda p: (p[0] is not None, p[0]))))


def _keyed_rates(r: Reader, node: Node | None, path: str, resolve: Callable[[str], str | None],
                 known: str) -> MappingProxyType:
    """A mapping name → rate (a number, or a list of {from, rate}), names resolved by `resolve`."""
    if node is None or is_empty(node):
        return MappingProxyType({})
    if not isinstance(node, Map):
        r.fail(node.line, path, "expected a mapping of name → rate")
        return MappingProxyType({})
    rates: dict[str, Schedule] = {}
    spelled: dict[str, str] = {}
    for name, value in node.items.items():
        key = resolve(name)
        if key is None:
            r.fail(node.key_lines[name], f"{path}.{name}", f"unknown — {known}")
            continue
        if key in spelled:
            r.fail(node.key_lines[name], f"{path}.{name}", f"{key} already has a rate here (as {spelled[key]!r}) "
                                                           "— keep one")
            continue
        spelled[key] = name
        # a plain rate, or a list of effective-dated {from, rate} changes
        plain = isinstance(value, Scalar)
        schedule = _schedule(r, value if plain else None, f"{path}.{name}",
                                  None if plain else value, f"{path}.{name}")
        if schedule:
            rates[key] = schedule
    return MappingProxyType(rates)


def _person_rates(r: Reader, node: Node | None, path: str, people: NameIndex) -> MappingProxyType:
    names = ", ".join(sorted(people.labels)) or "none"
    return _keyed_rates(r, node, path, people.get, f"add them to team (team: {names})")


def _budget(r: Reader, node: Node | None, path: str) -> Budget | None:
    m = r.mapping(node, path, {"hours", "amount", "per"}, {"per"})
    if m is None:
        return None
    hours = r.decimal(m.items.get("hours"), f"{path}.hours")
    amount = r.decimal(m.items.get("amount"), f"{path}.amount", places=2)
    per = r.choice(m.items.get("per"), f"{path}.per", ("month", "total"))
    if (hours is None) == (amount is None):
        r.fail(m.line, path, "give exactly one of hours or amount, e.g. {hours: 40, per: month}")
        return None
    return Budget(per, hours, amount) if per else None


def _alert_at(r: Reader, node: Node | None, path: str) -> tuple[Decimal, ...] | None:
    items = r.sequence(node, path)
    read = [r.decimal(item, f"{path}[{i}]", high=Decimal(10)) for i, item in enumerate(items)]
    values = [v for v in read if v is not None]
    if len(values) < len(read):
        return None
    if values != sorted(values):
        r.fail(node.line, path, "thresholds must go up, e.g. [0.8, 1.0]")
        return None
    return tuple(values) or None


def _calendar(r: Reader, node: Node | None, path: str, jobs: dict) -> CalendarRule | None:
    m = r.mapping(node, path, {"domains", "keywords", "bill_meetings", "job"})
    if m is None:
        return None
    job = r.text(m.items.get("job"), f"{path}.job")
    if job is not None and job not in jobs:
        r.fail(m.items["job"].line, f"{path}.job", f"no job {job!r} in this client; jobs: {', '.join(jobs) or 'none'}")
    return CalendarRule(
        domains=tuple(d.lower() for d in r.text_list(m.items.get("domains"), f"{path}.domains")),
        keywords=r.text_list(m.items.get("keywords"), f"{path}.keywords"),
        bill_meetings=or_default(r.boolean(m.items.get("bill_meetings"), f"{path}.bill_meetings"), False),
        job=job,
    )


def read_rounding(r: Reader, node: Node | None, path: str) -> Rounding | None:
    """`none` or {minutes: 1..60, mode: up | down | nearest}; None when not given (the rule above applies)."""
    if node is not None and not is_empty(node) and not isinstance(node, Map):
        if isinstance(node, Scalar) and node.text.strip().lower() == "none":
            return NO_ROUNDING
        given = f", got {node.text!r}" if isinstance(node, Scalar) else ""
        r.fail(node.line, path, f"expected none or a rule like {{minutes: 15, mode: up}}{given}")
        return None
    zero = node.items.get("minutes") if isinstance(node, Map) else None
    if isinstance(zero, Scalar) and zero.text.strip() in ("0", "0.0"):  # what is meant is plain: say only that
        r.fail(zero.line, f"{path}.minutes", "0 minutes rounds nothing — write `rounding: none` to bill the "
                                             "logged time as it is")
        return None
    m = r.mapping(node, path, {"minutes", "mode"}, {"minutes", "mode"})
    if m is None:
        return None
    minutes = r.integer(m.items.get("minutes"), f"{path}.minutes", low=1, high=60)
    mode = r.choice(m.items.get("mode"), f"{path}.mode", ("up", "down", "nearest"))
    return Rounding(minutes, mode) if minutes and mode else None


T = TypeVar("T")


def or_default(value: T | None, fallback: T) -> T:
    return fallback if value is None else value
