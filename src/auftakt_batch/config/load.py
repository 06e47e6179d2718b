"""rates.yaml → Config, with a located problem for every mistake.

The contract is PRODUCT.md's: unknown keys are errors, money is Decimal, and a name used
in two places (an alias of two clients, say) is an error rather than a silent first-wins.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..names import NameIndex, build_index
from ..problems import Problem, Source, error
from .accounting import check_debtors, read_accounting
from .clients import COUNTRY, CURRENCY, GROUPINGS, LANGUAGES, or_default, read_clients, read_iban, read_rounding
from .leitweg import leitweg_fault, looks_like_leitweg
from .mail import read_mail
from .model import Agency, Client, Config, Imports, Person
from .numbers import number_fault
from .reader import Reader
from .reminders import read_reminders
from .yamltree import Map, Node, Scalar, Seq, YamlSyntaxError, is_empty, parse

AGENCY_KEYS = {"name", "address", "country", "vat_id", "email", "iban", "bic", "timezone", "currency",
               "language", "invoice_number", "payment_terms_days", "vat_rate", "rounding", "group_by",
               "appendix", "missing_day_below", "contact", "phone", "region",
               "tax_number", "register", "managing_directors", "accounting", "mail",
               "reminders"}
PERSON_KEYS = {"name", "email", "aliases", "role", "cost_rate", "hours_per_week", "timezone", "region"}
DATE_FORMATS = {"DD/MM/YYYY": "dmy", "MM/DD/YYYY": "mdy"}
BILLABLE_FROM = ("export", "rates")  # imports.billable: whose "not billable" counts
TRACKER_INVOICED = ("skip", "bill")  # imports.invoiced_in_tracker


def load_config(path: Path, label: str = "rates.yaml") -> tuple[Config | None, list[Problem]]:
    """Read rates.yaml. Returns (config, problems); config is None when any problem is an error."""
    try:
        data = _config_bytes(path)
    except OSError as exc:
        return None, [error(Source(label), "config", _unreadable(path, exc))]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        return None, [error(Source(label, line), "config", f"not UTF-8 text ({exc.reason}) — save it as UTF-8")]
    return parse_config(text, label)


class _NotAFile(OSError):
    """rates.yaml is a pipe or a device (`rates.yaml -> /dev/zero`): reading it might never end."""


def _config_bytes(path: Path) -> bytes:
    if path.exists() and not path.is_file() and not path.is_dir():
        raise _NotAFile()
    return path.read_bytes()


def _unreadable(path: Path, exc: OSError) -> str:
    """Why rates.yaml cannot be read, and what to do about it."""
    if isinstance(exc, FileNotFoundError):
        return f"not found in {path.parent} — create one with `auftakt-batch init DIR` or pass --workspace"
    if isinstance(exc, IsADirectoryError):
        return ("is a folder, not a file — move it away and put the config file in its place "
                "(`auftakt-batch init DIR` writes one)")
    if isinstance(exc, _NotAFile):
        return "is a pipe or a device, not a file — put the config file there instead"
    if isinstance(exc, PermissionError):
        return "cannot be read: permission denied — give the user running auftakt-batch read access to it"
    return f"cannot be read: {exc.strerror or exc} — check the file and the disk it is on, then run again"


def parse_config(text: str, label: str = "rates.yaml") -> tuple[Config | None, list[Problem]]:
    config, problems = _parsed(text, label)
    return config, list(problems)


@lru_cache(maxsize=4)
def _parsed(text: str, label: str) -> tuple[Config | None, tuple[Problem, ...]]:
    """The same text is the same (frozen) config: a report reads rates.yaml for its period and again
    for the months before it, an agency's in 0.1-0.2 s each time."""
    try:
        root = parse(text)
    except YamlSyntaxError as exc:
        return None, (error(Source(label, exc.line, key=exc.key), "config", exc.message),)
    r = Reader(label)
    config = _config(r, root)
    return (None if r.problems else config), tuple(r.problems)


def _config(r: Reader, root: Node | None) -> Config | None:
    if is_empty(root):
        r.fail(1, "", "the file is empty — start from the commented rates.yaml that `auftakt-batch init` writes")
        return None
    top = r.mapping(root, "", {"agency", "team", "clients", "imports", "calendars"}, {"agency", "team", "clients"})
    if top is None:
        return None
    agency = _agency(r, top.items.get("agency"))
    team_nodes = r.sequence(top.items.get("team"), "team")
    country = agency.country if agency else None
    members = [(i, p, node) for i, node in enumerate(team_nodes) if (p := _person(r, node, f"team[{i}]", country))]
    team = tuple(p for _, p, _ in members)
    seen: dict[str, int] = {}
    for i, person, node in members:
        if (first := seen.setdefault(person.name, i)) != i:
            line = node.items["name"].line  # type: ignore[call-overload]  # a person is read from a Map
            r.fail(line, f"team[{i}].name", f"{person.name!r} is already team[{first}] — "
                                            "each person needs their own name")
    people = _index(r, "names both", [
        (p.name, p.name, _names(node, f"team[{i}]", ("name", "email", "aliases"))) for i, p, node in members])
    clients_node = top.items.get("clients")
    clients = read_clients(r, clients_node, people, {p.role for p in team if p.role})
    if agency is None or clients is None:
        return None
    client_names = _index(r, "names both clients", [
        (c.key, f"{c.key} ({c.name})", [(c.key, clients_node.key_lines[c.key], f"clients.{c.key}"),
                                        *_names(clients_node.items[c.key], f"clients.{c.key}", ("name", "aliases"))])
        for c in clients.values()])
    job_names = {}
    for c in clients.values():
        jobs_node = clients_node.items[c.key].items.get("jobs")
        job_names[c.key] = _index(r, f"names both jobs of {c.key}", [
            (j.key, f"{j.key} ({j.name})", [(j.key, jobs_node.key_lines[j.key], f"clients.{c.key}.jobs.{j.key}"),
                                            *_names(jobs_node.items[j.key], f"clients.{c.key}.jobs.{j.key}",
                                                    ("name", "aliases"))])
            for j in c.jobs.values()])
    _xrechnung_needs(r, agency, clients, clients_node)
    _einvoice_needs(r, top.items["agency"], agency, clients, clients_node)
    _mandatory_details(r, top, agency, clients, clients_node)
    check_debtors(r, clients, clients_node)
    return Config(agency, team, MappingProxyType(clients), people, client_names, MappingProxyType(job_names),
                  _imports(r, top.items.get("imports")),
                  MappingProxyType(_calendars(r, top.items.get("calendars"), people)))


def _einvoice_needs(r: Reader, agency_node: Map, agency: Agency, clients: dict, clients_node: Map) -> None:
    """What every invoice (and its EN 16931 e-invoice) must get right, whatever the exports say."""
    vat_ids = [("agency.vat_id", agency_node, agency.vat_id)] + [
        (f"clients.{key}.vat_id", clients_node.items[key], c.vat_id) for key, c in clients.items()]
    for path, node, vat_id in vat_ids:
        if vat_id and not re.match(r"[A-Z]{2}[0-9A-Z+*]", vat_id.replace(" ", "")):
            r.fail(node.items["vat_id"].line, path, f"{vat_id!r} is not a VAT ID: it starts with the country code, "
                                                    "e.g. DE123456789")
    for key, client in clients.items():
        node = clients_node.items[key]
        if client.billable and client.vat == "reverse-charge" and not client.vat_id:
            r.fail(node.items["vat"].line, f"clients.{key}.vat", "reverse charge needs the client's vat_id: the "
                                                                  "invoice must show it (EN 16931 BR-AE-02)")
        elif not client.country and not is_empty(node.items.get("country")):  # unreadable: said at its own line
            continue
        elif (why := _vat_mode_refused(client, agency)) is not None:
            r.fail(node.items["vat"].line, f"clients.{key}.vat", why)
    standard = sorted(key for key, c in clients.items() if c.billable and c.vat == "standard")
    if agency.vat_rate == 0 and standard:
        r.fail(agency_node.items["vat_rate"].line, "agency.vat_rate", (
            f"0 % cannot be the standard rate of {', '.join(standard)} (EN 16931 BR-S-05) — if you charge no VAT "
            "(e.g. as a small business), set vat: exempt for those clients"))


def _mandatory_details(r: Reader, top: Map, agency: Agency, clients: dict, clients_node: Map) -> None:
    """What the law wants on every invoice that rates.yaml can get wrong: the agency's tax number or
    VAT ID (§14(4) UStG; EN 16931 BR-S-02), a BIC for payments outside euros, and a buyer reference
    that begins like a Leitweg-ID (a German authority's) being a valid one — a business's order number
    (PO-4711) is taken as it is."""
    billed = sorted(key for key, c in clients.items() if c.billable)
    if billed and not (agency.vat_id or agency.tax_number):
        r.fail(top.key_lines["agency"], "agency", "an invoice must show the agency's tax number or VAT ID "
                                                  "(§14(4) UStG, EN 16931 BR-S-02) — add tax_number or vat_id")
    elif billed and not (agency.vat_id or agency.register):
        r.fail(top.items["agency"].items["tax_number"].line, "agency.tax_number", (
            "without a vat_id, the e-invoice names the agency by its register entry (EN 16931 BR-CO-26) — add "
            "register (e.g. \"Amtsgericht Berlin-Charlottenburg HRB 123456\") or vat_id"))
    foreign = sorted({c.currency for c in clients.values() if c.billable and c.currency != "EUR"})
    if foreign and agency.iban and not agency.bic:
        r.fail(top.items["agency"].items["iban"].line, "agency.iban", (
            f"invoices in {', '.join(foreign)} are paid by international transfer, which needs the bank's BIC "
            "besides the IBAN — add agency.bic"))
    for key, client in clients.items():
        if looks_like_leitweg(client.buyer_reference or "") and (fault := leitweg_fault(client.buyer_reference)):
            r.fail(clients_node.items[key].items["buyer_reference"].line, f"clients.{key}.buyer_reference", fault)


EU = frozenset("AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split())


def _vat_mode_refused(client: Client, agency: Agency) -> str | None:
    """Why a client's `vat` cannot be right for where it is (a client without a country is in the
    agency's), or None."""
    country = client.country or agency.country
    where = f"in {country}" + ("" if client.country else " (it has no country: the agency's)")
    if client.vat == "reverse-charge" and country == agency.country:
        return (f"reverse charge is for a client in another country; this client is {where}, where the agency "
                "charges VAT itself — use standard, or set the client's country")
    if client.vat == "outside-scope" and country == agency.country:
        return (f"outside-scope is for a client outside the agency's country; this client is {where} — use "
                "standard, or set the client's country")
    if client.vat == "reverse-charge" and country not in EU and agency.country in EU:
        return (f"a business client in {country} (outside the EU) is not subject to the agency's VAT (place of "
                "supply: the client's country) — use vat: outside-scope; reverse charge is for clients in the EU")
    if client.vat == "outside-scope" and country in EU and agency.country in EU:
        return (f"a business client in {country} (EU) is billed with reverse charge, not outside-scope — "
                "use vat: reverse-charge and its vat_id")
    return None


def _xrechnung_needs(r: Reader, agency: Agency, clients: dict, clients_node: Map) -> None:
    """XRechnung (BR-DE rules) wants a buyer reference and both parties' email, and a seller contact."""
    for key, client in clients.items():
        if client.einvoice != "xrechnung":
            continue
        node = clients_node.items[key]
        line, path = node.items["einvoice"].line, f"clients.{key}.einvoice"
        missing = [name for name, value in (("buyer_reference (the Leitweg-ID)", client.buyer_reference),
                                            ("email", client.email)) if not value]
        missing += [f"agency.{name}" for name in ("email", "contact", "phone") if not getattr(agency, name)]
        if missing:
            r.fail(line, path, f"an XRechnung needs {', '.join(missing)} — add them, or remove einvoice")


def _calendars(r: Reader, node: Node | None, people: NameIndex) -> dict[str, str]:
    """calendars: {FILE.ics: {owner: PERSON}} — whose calendar a file is, when its name does not say."""
    if node is None:
        return {}
    if not isinstance(node, Map):
        r.fail(node.line, "calendars", "expected a mapping of calendar file names to {owner: PERSON}")
        return {}
    owners = {}
    for file, value in node.items.items():
        m = r.mapping(value, f"calendars.{file}", {"owner"}, {"owner"})
        owner = r.text(m.items.get("owner"), f"calendars.{file}.owner") if m else None
        if owner is None:
            continue
        if (name := people.get(owner)) is None:
            r.fail(m.items["owner"].line, f"calendars.{file}.owner",
                   f"{owner!r} is not in the team — {people.suggestion(owner, 'team')}")
            continue
        owners[file] = name
    return owners


def _imports(r: Reader, node: Node | None) -> Imports:
    """imports: what the tracker already decided — date_format (for exports whose dates cannot
    tell), billable (export | rates), invoiced_in_tracker (skip | bill), require_approval."""
    m = r.mapping(node, "imports", {"date_format", "billable", "invoiced_in_tracker", "require_approval"})
    if m is None:
        return Imports()
    default = Imports()
    date_format = r.choice(m.items.get("date_format"), "imports.date_format", tuple(DATE_FORMATS))
    return Imports(
        date_format=DATE_FORMATS.get(date_format) if date_format else None,
        billable=r.choice(m.items.get("billable"), "imports.billable", BILLABLE_FROM) or default.billable,
        invoiced_in_tracker=r.choice(m.items.get("invoiced_in_tracker"), "imports.invoiced_in_tracker",
                                     TRACKER_INVOICED) or default.invoiced_in_tracker,
        require_approval=or_default(r.boolean(m.items.get("require_approval"), "imports.require_approval"),
                                    default.require_approval))


def _names(node: Node | None, path: str, fields: tuple[str, ...]) -> list[tuple[str, int, str]]:
    """(text, line, key path) of every name a person, client or job is known by."""
    if not isinstance(node, Map):
        return []
    found = []
    for name in fields:
        value = node.items.get(name)
        if isinstance(value, Scalar) and not value.is_null:
            found.append((value.text, value.line, f"{path}.{name}"))
        elif isinstance(value, Seq):
            found += [(item.text, item.line, f"{path}.{name}[{i}]")
                      for i, item in enumerate(value.items) if isinstance(item, Scalar)]
    return found


def _index(r: Reader, clash: str, entries: list[tuple[str, str, list[tuple[str, int, str]]]]) -> NameIndex:
    """Index every name; a name that two keys share is an error at the second use."""
    index, clashes = build_index(entries)
    for (text, line, path), key, other in clashes:
        r.fail(line, path, f"'{text}' {clash} {other} and {key} — make it unique")
    return index


def _agency(r: Reader, node: Node | None) -> Agency | None:
    m = r.mapping(node, "agency", AGENCY_KEYS, {"name", "country", "timezone", "currency", "vat_rate"})
    if m is None:
        return None
    f = m.items.get
    timezone = _timezone(r, f("timezone"))
    invoice_number = _invoice_number(r, f("invoice_number"))
    country = r.pattern(f("country"), "agency.country", COUNTRY, "an ISO country code like DE")
    agency = Agency(
        name=r.text(f("name"), "agency.name"),
        country=country,
        timezone=timezone,
        currency=r.pattern(f("currency"), "agency.currency", CURRENCY, "a currency code like EUR"),
        vat_rate=r.decimal(f("vat_rate"), "agency.vat_rate", high=Decimal(100)),
        address=r.text(f("address"), "agency.address"),
        vat_id=r.text(f("vat_id"), "agency.vat_id"),
        tax_number=r.text(f("tax_number"), "agency.tax_number"),
        register=r.text(f("register"), "agency.register"),
        managing_directors=_names_list(r, f("managing_directors"), "agency.managing_directors"),
        email=r.text(f("email"), "agency.email"),
        contact=r.text(f("contact"), "agency.contact"),
        phone=r.text(f("phone"), "agency.phone"),
        iban=read_iban(r, f("iban"), "agency.iban"),
        bic=r.text(f("bic"), "agency.bic"),
        language=r.choice(f("language"), "agency.language", LANGUAGES) or "en",
        invoice_number=invoice_number or "{year}-{seq:04d}",
        payment_terms_days=or_default(r.integer(f("payment_terms_days"), "agency.payment_terms_days", high=365), 14),
        rounding=read_rounding(r, f("rounding"), "agency.rounding"),
        group_by=r.choice(f("group_by"), "agency.group_by", GROUPINGS) or "job",
        appendix=or_default(r.boolean(f("appendix"), "agency.appendix"), False),
        missing_day_below=or_default(r.decimal(f("missing_day_below"), "agency.missing_day_below", high=Decimal(1)),
                                     Decimal("0.5")),
        region=_region(r, f("region"), "agency.region", country) if country else None,
        accounting=read_accounting(r, f("accounting")),
        mail=read_mail(r, f("mail")),
        reminders=read_reminders(r, f("reminders")),
    )
    required = (agency.name, agency.country, agency.timezone, agency.currency, agency.vat_rate)
    return agency if all(v is not None for v in required) else None


def _names_list(r: Reader, node: Node | None, path: str) -> tuple[str, ...]:
    """A list of names, or one name as plain text."""
    if isinstance(node, Scalar) and not node.is_null:
        return (node.text,)
    return r.text_list(node, path)


def _person(r: Reader, node: Node, path: str, country: str | None) -> Person | None:
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
        timezone=_timezone(r, f("timezone"), f"{path}.timezone"),
        region=_region(r, f("region"), f"{path}.region", country) if country else None,
    )
    return person if name else None


def _region(r: Reader, node: Node | None, path: str, country: str) -> str | None:
    """A region of the agency's country whose public holidays apply (BY: Bavaria), as the
    `holidays` library names its subdivisions; a name it knows (Bayern) is taken too."""
    name = r.text(node, path)
    if name is None:
        return None
    import holidays

    try:
        calendar = holidays.country_holidays(country)
    except NotImplementedError:  # a country the library does not know
        calendar = None
    if calendar is None or not calendar.subdivisions:
        r.fail(node.line, path, f"the holidays library knows no regions of {country} — remove the region")
        return None
    known = {code.casefold(): code for code in calendar.subdivisions}
    known |= {alias.casefold(): code for alias, code in getattr(calendar, "subdivisions_aliases", {}).items()}
    if (code := known.get(name.strip().casefold())) is None:
        r.fail(node.line, path, f"unknown region {name!r} of {country} — use one of {', '.join(calendar.subdivisions)}")
        return None
    return code


def _timezone(r: Reader, node: Node | None, path: str = "agency.timezone") -> str | None:
    name = r.text(node, path)
    if name is None:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: 'Europe' is a folder of zones
        r.fail(node.line, path, f"unknown time zone {name!r} — use a name like Europe/Berlin")
        return None
    return name


def _invoice_number(r: Reader, node: Node | None) -> str | None:
    pattern = r.text(node, "agency.invoice_number")
    if pattern is None:
        return None
    fault = number_fault(pattern)
    if fault:
        r.fail(node.line, "agency.invoice_number", fault)
        return None
    return pattern


