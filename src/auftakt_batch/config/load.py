"""rates.yaml → Config, with a located problem for every mistake.

The contract is PRODUCT.md's: unknown keys are errors, money is Decimal, and a name used
in two places (an alias of two clients, say) is an error rather than a silent first-wins.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..names import build_index
from ..problems import Problem, Source, error
from ..yamltree import Map, Node, Scalar, YamlSyntaxError, parse
from .model import (
    Agency, Budget, CalendarRule, Client, Config, Job, Person, Rounding, Schedule,
)
from .reader import Reader

KEY = r"[a-z0-9][a-z0-9-]*"
KEY_HINT = "a key of lower-case letters, digits and '-' (it is used in file names)"
CURRENCY = r"[A-Z]{3}"
COUNTRY = r"[A-Z]{2}"
LANGUAGES = ("en", "de")
VAT_MODES = ("standard", "reverse-charge", "exempt")

AGENCY_KEYS = {"name", "address", "country", "vat_id", "email", "iban", "bic", "timezone", "currency",
               "language", "invoice_number", "payment_terms_days", "vat_rate", "rounding"}
PERSON_KEYS = {"name", "email", "aliases", "role", "cost_rate", "hours_per_week"}
CLIENT_KEYS = {"name", "aliases", "address", "country", "vat_id", "currency", "language", "rate", "rates",
               "role_rates", "person_rates", "vat", "billable", "budget", "alert_at", "calendar", "rounding",
               "jobs"}
JOB_KEYS = {"name", "aliases", "rate", "rates", "person_rates", "billable", "budget", "alert_at", "rounding"}


def load_config(path: Path, label: str = "rates.yaml") -> tuple[Config | None, list[Problem]]:
    """Read rates.yaml. Returns (config, problems); config is None when any problem is an error."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        return None, [error(Source(label), "config", f"not found in {path.parent} — create one with "
                                                      "`auftakt-batch init DIR` or pass --workspace")]
    except UnicodeDecodeError as exc:
        return None, [error(Source(label), "config", f"not UTF-8 text ({exc.reason}) — save it as UTF-8")]
    return parse_config(text, label)


def parse_config(text: str, label: str = "rates.yaml") -> tuple[Config | None, list[Problem]]:
    try:
        root = parse(text)
    except YamlSyntaxError as exc:
        return None, [error(Source(label, exc.line), "config", exc.message)]
    r = Reader(label)
    config = _config(r, root)
    return (None if r.problems else config), r.problems


def _config(r: Reader, root: Node | None) -> Config | None:
    top = r.mapping(root, "", {"agency", "team", "clients"}, {"agency", "team", "clients"})
    if top is None:
        return None
    agency = _agency(r, top.items.get("agency"))
    team = tuple(p for i, node in enumerate(r.sequence(top.items.get("team"), "team"))
                 if (p := _person(r, node, f"team[{i}]")))
    people, clashes = build_index([(p.name, [p.name, p.email or "", *p.aliases], p.name) for p in team])
    for name, key, other in clashes:
        r.fail(top.key_lines.get("team"), "team", f"'{name}' names both {other} and {key} — make it unique")
    roles = {p.role for p in team if p.role}
    clients = _clients(r, top.items.get("clients"), people, roles)
    if agency is None or clients is None:
        return None
    client_names, clashes = build_index([(c.key, [c.key, c.name, *c.aliases], f"{c.key} ({c.name})")
                                         for c in clients.values()])
    for name, key, other in clashes:
        r.fail(top.key_lines["clients"], f"clients.{key}", f"'{name}' also names client {other} — make it unique")
    job_names = {}
    for c in clients.values():
        job_names[c.key], clashes = build_index([(j.key, [j.key, j.name, *j.aliases], f"{j.key} ({j.name})")
                                                 for j in c.jobs.values()])
        for name, key, other in clashes:
            r.fail(None, f"clients.{c.key}.jobs.{key}", f"'{name}' also names job {other} — make it unique")
    return Config(agency, team, MappingProxyType(clients), people, client_names, MappingProxyType(job_names))


def _agency(r: Reader, node: Node | None) -> Agency | None:
    m = r.mapping(node, "agency", AGENCY_KEYS, {"name", "country", "timezone", "currency", "vat_rate"})
    if m is None:
        return None
    f = m.items.get
    timezone = _timezone(r, f("timezone"))
    invoice_number = _invoice_number(r, f("invoice_number"))
    agency = Agency(
        name=r.text(f("name"), "agency.name"),
        country=r.pattern(f("country"), "agency.country", COUNTRY, "an ISO country code like DE"),
        timezone=timezone,
        currency=r.pattern(f("currency"), "agency.currency", CURRENCY, "a currency code like EUR"),
        vat_rate=r.decimal(f("vat_rate"), "agency.vat_rate", high=Decimal(100)),
        address=r.text(f("address"), "agency.address"),
        vat_id=r.text(f("vat_id"), "agency.vat_id"),
        email=r.text(f("email"), "agency.email"),
        iban=_iban(r, f("iban")),
        bic=r.text(f("bic"), "agency.bic"),
        language=r.choice(f("language"), "agency.language", LANGUAGES) or "en",
        invoice_number=invoice_number or "{year}-{seq:04d}",
        payment_terms_days=_default(r.integer(f("payment_terms_days"), "agency.payment_terms_days", high=365), 14),
        rounding=_rounding(r, f("rounding"), "agency.rounding"),
    )
    required = (agency.name, agency.country, agency.timezone, agency.currency, agency.vat_rate)
    return agency if all(v is not None for v in required) else None


def _person(r: Reader, node: Node, path: str) -> Person | None:
    m = r.mapping(node, path, PERSON_KEYS, {"name"})
    if m is None:
        return None
    f = m.items.get
    name = r.text(f("name"), f"{path}.name")
    person = Person(
        name=name,
        email=r.pattern(f("email"), f"{path}.email", r"[^@\s]+@[^@\s]+", "an email address"),
        aliases=r.text_list(f("aliases"), f"{path}.aliases"),
        role=r.text(f("role"), f"{path}.role"),
        cost_rate=r.decimal(f("cost_rate"), f"{path}.cost_rate"),
        hours_per_week=r.decimal(f("hours_per_week"), f"{path}.hours_per_week", high=Decimal(168)),
    )
    return person if name else None


def _keyed(r: Reader, node: Node | None, path: str, what: str) -> dict[str, Node] | None:
    """A mapping whose keys are ours to name (clients, jobs): checks the key pattern."""
    if node is None or getattr(node, "is_null", False):
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


def _clients(r: Reader, node: Node | None, people, roles: set[str]) -> dict[str, Client] | None:
    items = _keyed(r, node, "clients", "client")
    if items is None:
        return None
    clients = {key: _client(r, value, key, f"clients.{key}", people, roles) for key, value in items.items()}
    return {key: client for key, client in clients.items() if client}


def _client(r: Reader, node: Node, key: str, path: str, people, roles: set[str]) -> Client | None:
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
        currency=r.pattern(f("currency"), f"{path}.currency", CURRENCY, "a currency code like EUR") or "EUR",
        language=r.choice(f("language"), f"{path}.language", LANGUAGES) or "en",
        rate=_schedule(r, f("rate"), f("rates"), path),
        role_rates=_keyed_rates(r, f("role_rates"), f"{path}.role_rates", lambda k: k if k in roles else None,
                                f"roles in the team: {', '.join(sorted(roles)) or 'none'}"),
        person_rates=_person_rates(r, f("person_rates"), f"{path}.person_rates", people),
        vat=r.choice(f("vat"), f"{path}.vat", VAT_MODES) or "standard",
        billable=_default(r.boolean(f("billable"), f"{path}.billable"), True),
        budget=_budget(r, f("budget"), f"{path}.budget"),
        alert_at=_alert_at(r, f("alert_at"), f"{path}.alert_at") or (Decimal("0.8"), Decimal("1.0")),
        calendar=_calendar(r, f("calendar"), f"{path}.calendar", jobs or {}),
        rounding=_rounding(r, f("rounding"), f"{path}.rounding"),
        jobs=MappingProxyType(jobs or {}),
    )
    return client if client.name else None


def _jobs(r: Reader, node: Node | None, path: str, people) -> dict[str, Job] | None:
    items = _keyed(r, node, path, "job")
    if items is None:
        return None
    return {key: _job(r, value, key, f"{path}.{key}", people) for key, value in items.items()}


def _job(r: Reader, node: Node | None, key: str, path: str, people) -> Job:
    m = r.mapping(node, path, JOB_KEYS)  # `internal:` with nothing under it is a job too
    f = m.items.get if m else (lambda _key: None)
    return Job(
        key=key,
        name=r.text(f("name"), f"{path}.name") or key,
        aliases=r.text_list(f("aliases"), f"{path}.aliases"),
        rate=_schedule(r, f("rate"), f("rates"), path),
        person_rates=_person_rates(r, f("person_rates"), f"{path}.person_rates", people),
        billable=_default(r.boolean(f("billable"), f"{path}.billable"), True),
        budget=_budget(r, f("budget"), f"{path}.budget"),
        alert_at=_alert_at(r, f("alert_at"), f"{path}.alert_at"),
        rounding=_rounding(r, f("rounding"), f"{path}.rounding"),
    )


def _schedule(r: Reader, rate: Node | None, changes: Node | None, path: str) -> Schedule | None:
    """`rate:` (in force from the start) plus `rates: [{from, rate}]` (effective-dated changes)."""
    return _rate_schedule(r, rate, f"{path}.rate", changes, f"{path}.rates")


def _rate_schedule(r: Reader, rate: Node | None, rate_path: str, changes: Node | None,
                   changes_path: str) -> Schedule | None:
    pairs = []
    base = r.decimal(rate, rate_path)
    if base is not None:
        pairs.append((None, base))
    seen = {}
    for i, node in enumerate(r.sequence(changes, changes_path)):
        item_path = f"{changes_path}[{i}]"
        m = r.mapping(node, item_path, {"from", "rate"}, {"from", "rate"})
        if m is None:
            continue
        start = r.day(m.items.get("from"), f"{item_path}.from")
        value = r.decimal(m.items.get("rate"), f"{item_path}.rate")
        if start in seen:
            r.fail(node.line, f"{item_path}.from", f"{start} is already used by {changes_path}[{seen[start]}]")
        elif start is not None and value is not None:
            seen[start] = i
            pairs.append((start, value))
    if not pairs:
        return None
    return Schedule(tuple(sorted(pairs, key=lambda p: (p[0] is not None, p[0]))))


def _keyed_rates(r: Reader, node: Node | None, path: str, resolve, known: str) -> MappingProxyType:
    """A mapping name → rate (a number, or a list of {from, rate}), names resolved by `resolve`."""
    if node is None or getattr(node, "is_null", False):
        return MappingProxyType({})
    if not isinstance(node, Map):
        r.fail(node.line, path, "expected a mapping of name → rate")
        return MappingProxyType({})
    rates = {}
    for name, value in node.items.items():
        key = resolve(name)
        if key is None:
            r.fail(node.key_lines[name], f"{path}.{name}", f"unknown — {known}")
            continue
        # a plain rate, or a list of effective-dated {from, rate} changes
        plain = isinstance(value, Scalar)
        schedule = _rate_schedule(r, value if plain else None, f"{path}.{name}",
                                  None if plain else value, f"{path}.{name}")
        if schedule:
            rates[key] = schedule
    return MappingProxyType(rates)


def _person_rates(r: Reader, node: Node | None, path: str, people) -> MappingProxyType:
    names = ", ".join(sorted(people.labels)) or "none"
    return _keyed_rates(r, node, path, people.get, f"add them to team (team: {names})")


def _budget(r: Reader, node: Node | None, path: str) -> Budget | None:
    m = r.mapping(node, path, {"hours", "amount", "per"}, {"per"})
    if m is None:
        return None
    hours = r.decimal(m.items.get("hours"), f"{path}.hours")
    amount = r.decimal(m.items.get("amount"), f"{path}.amount")
    per = r.choice(m.items.get("per"), f"{path}.per", ("month", "total"))
    if (hours is None) == (amount is None):
        r.fail(m.line, path, "give exactly one of hours or amount, e.g. {hours: 40, per: month}")
        return None
    return Budget(per, hours, amount) if per else None


def _alert_at(r: Reader, node: Node | None, path: str) -> tuple[Decimal, ...] | None:
    items = r.sequence(node, path)
    values = [r.decimal(item, f"{path}[{i}]", high=Decimal(10)) for i, item in enumerate(items)]
    if any(v is None for v in values):
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
        bill_meetings=_default(r.boolean(m.items.get("bill_meetings"), f"{path}.bill_meetings"), False),
        job=job,
    )


def _rounding(r: Reader, node: Node | None, path: str) -> Rounding | None:
    m = r.mapping(node, path, {"minutes", "mode"}, {"minutes", "mode"})
    if m is None:
        return None
    minutes = r.integer(m.items.get("minutes"), f"{path}.minutes", low=1, high=60)
    mode = r.choice(m.items.get("mode"), f"{path}.mode", ("up", "down", "nearest"))
    return Rounding(minutes, mode) if minutes and mode else None


def _timezone(r: Reader, node: Node | None) -> str | None:
    name = r.text(node, "agency.timezone")
    if name is None:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        r.fail(node.line, "agency.timezone", f"unknown time zone {name!r} — use a name like Europe/Berlin")
        return None
    return name


def _invoice_number(r: Reader, node: Node | None) -> str | None:
    pattern = r.text(node, "agency.invoice_number")
    if pattern is None:
        return None
    try:
        sample = pattern.format(year=2026, seq=1)
    except (KeyError, IndexError, ValueError) as exc:
        r.fail(node.line, "agency.invoice_number", f"{pattern!r} is not a valid pattern ({exc}); "
                                                   "use {year} and {seq}, e.g. \"{year}-{seq:04d}\"")
        return None
    if "{seq" not in pattern:
        r.fail(node.line, "agency.invoice_number", "must contain {seq} so every invoice gets its own number")
        return None
    if not re.fullmatch(r"[A-Za-z0-9._-]+", sample):
        r.fail(node.line, "agency.invoice_number", f"gives {sample!r}; use only letters, digits, '.', '_' and '-' "
                                                   "(the number is part of file names)")
        return None
    return pattern


def _iban(r: Reader, node: Node | None) -> str | None:
    iban = r.text(node, "agency.iban")
    if iban is None:
        return None
    compact = iban.replace(" ", "").upper()
    digits = "".join(str(int(ch, 36)) for ch in compact[4:] + compact[:4]) if compact.isalnum() else ""
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", compact) or int(digits) % 97 != 1:
        r.fail(node.line, "agency.iban", f"{iban!r} is not a valid IBAN (the check digits do not match)")
        return None
    return compact


def _default(value, fallback):
    return fallback if value is None else value

