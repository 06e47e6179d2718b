"""The agency's configuration as frozen values: what rates.yaml says, typed and checked.

Money and rates are Decimal; a rate is a `Schedule` of effective-dated values so that the
rate in force on an entry's date is a lookup, not a calculation.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property
from types import MappingProxyType
from typing import Any, Mapping

from ..names import NameIndex, normalise


def _no_items() -> Any:  # a dataclass field, typed as the mapping it holds
    """A frozen empty mapping as a dataclass default."""
    return field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Schedule:
    """A value over time: `(from, value)` pairs sorted by date; `None` means always."""

    changes: tuple[tuple[date | None, Decimal], ...]

    @cached_property
    def _starts(self) -> list[date]:
        return [start or date.min for start, _ in self.changes]

    def at(self, day: date) -> Decimal | None:
        """The value in force on `day`, or None before the first change."""
        i = bisect.bisect_right(self._starts, day) - 1
        return self.changes[i][1] if i >= 0 else None


@dataclass(frozen=True)
class Rounding:
    minutes: int  # 1..60; 0 with mode "none": `rounding: none`, the logged time billed as it is
    mode: str  # up | down | nearest | none


NO_ROUNDING = Rounding(0, "none")  # `rounding: none`: overrides a rule from above (agency → client → job)


@dataclass(frozen=True)
class Budget:
    per: str  # month | total
    hours: Decimal | None = None
    amount: Decimal | None = None


@dataclass(frozen=True, kw_only=True)
class Retainer:
    """A fee per period that includes hours (rates.yaml `retainer:` on a job)."""

    fee: Decimal
    hours: Decimal  # included per period
    per: str  # month | quarter
    overage: str  # bill: hours beyond the included ones at `overage_rate` | absorb: written down
    overage_rate: Decimal | None = None  # None: the job's hourly rate in force
    rollover_max_hours: Decimal | None = None  # unused included hours carried to the next period, capped; None: none
    start: date  # `from`: the first day of the first period billed
    until: date | None = None  # the last day of the last period billed; None: open-ended


@dataclass(frozen=True, kw_only=True)
class Milestone:
    name: str
    amount: Decimal  # its part of the price (a share resolved to cents; the last takes the remainder)
    done: date | None = None  # billed in the period that contains it; None: not done yet


@dataclass(frozen=True, kw_only=True)
class Fixed:
    """A fixed price billed by milestone (rates.yaml `fixed:` on a job); the amounts add to the price."""

    price: Decimal
    milestones: tuple[Milestone, ...]


@dataclass(frozen=True, kw_only=True)
class Cap:
    """Hourly, not to exceed (rates.yaml `cap:` on a job): beyond `amount` (net) is written down."""

    amount: Decimal
    per: str  # month | total


@dataclass(frozen=True)
class CalendarRule:
    domains: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    bill_meetings: bool = False
    job: str | None = None


@dataclass(frozen=True)
class Person:
    name: str
    email: str | None = None
    aliases: tuple[str, ...] = ()
    role: str | None = None
    cost_rate: Decimal | None = None
    hours_per_week: Decimal | None = None
    timezone: str | None = None  # where their exports' clock times are local, if not the agency's
    region: str | None = None  # whose public holidays apply to them, if not the agency's region (a `holidays` code)


@dataclass(frozen=True)
class Job:
    key: str
    name: str
    aliases: tuple[str, ...] = ()
    rate: Schedule | None = None
    person_rates: Mapping[str, Schedule] = _no_items()  # person name -> rate
    billable: bool = True
    budget: Budget | None = None
    alert_at: tuple[Decimal, ...] | None = None
    rounding: Rounding | None = None
    vat_rate: Decimal | None = None  # percent, for standard-rated clients: the job's own rate (7 % for usage rights)
    retainer: Retainer | None = None  # at most one of retainer, fixed and cap; none: hourly
    fixed: Fixed | None = None
    cap: Cap | None = None


@dataclass(frozen=True)
class Client:
    key: str
    name: str
    aliases: tuple[str, ...] = ()
    address: str | None = None
    country: str | None = None
    vat_id: str | None = None
    email: str | None = None  # where invoices are sent, and e-invoices name (the buyer's electronic address)
    cc: tuple[str, ...] = ()  # `send` copies its invoices to these
    ibans: tuple[str, ...] = ()  # the accounts it pays from: a payment from one is its (payments/match.py)
    currency: str = "EUR"
    language: str = "en"
    rate: Schedule | None = None
    role_rates: Mapping[str, Schedule] = _no_items()
    person_rates: Mapping[str, Schedule] = _no_items()
    vat: str = "standard"  # standard | reverse-charge | exempt | outside-scope
    vat_note: str | None = None  # the reason no VAT is charged, as printed and sent (BT-120); None: the default
    billable: bool = True
    budget: Budget | None = None
    alert_at: tuple[Decimal, ...] = (Decimal("0.8"), Decimal("1.0"))
    calendar: CalendarRule | None = None
    rounding: Rounding | None = None
    group_by: str | None = None  # job | job+person | job+task | entry (default: the agency's)
    appendix: bool | None = None  # list the entries behind each line (default: the agency's)
    buyer_reference: str | None = None  # the buyer's reference on e-invoices (a Leitweg-ID for German authorities)
    einvoice: str | None = None  # xrechnung: also write the invoice as XRechnung XML
    expense_markup: Decimal = Decimal(0)  # percent on pass-through costs (rates.yaml `expenses: {markup: "10%"}`)
    debtor_account: int | None = None  # its account in accounting; None: 10000 + its position (config/accounting.py)
    jobs: Mapping[str, Job] = _no_items()


@dataclass(frozen=True, kw_only=True)
class Accounting:
    """How `export` books the invoices (rates.yaml `agency.accounting:`)."""

    chart: str  # SKR03 | SKR04
    consultant: int | None = None  # the DATEV Beraternummer; needed for --format datev
    client_number: int | None = None  # the DATEV Mandantennummer; needed for --format datev
    fiscal_year_start: tuple[int, int] = (1, 1)  # month, day
    revenue_accounts: Mapping[str, str] = _no_items()  # VAT case (accounting.VAT_CASES) -> account number


@dataclass(frozen=True, kw_only=True)
class Smtp:
    host: str
    port: int
    security: str  # starttls | tls | none
    user: str | None = None  # login with it (the password from the environment: AUFTAKT_SMTP_PASSWORD)


@dataclass(frozen=True, kw_only=True)
class Mail:
    """How `send` mails invoices (rates.yaml `agency.mail`)."""

    sender: str  # `from`: "Name <address>" or an address
    smtp: Smtp | None = None  # None: outbox only
    bcc: tuple[str, ...] = ()  # every message also goes to these (in the envelope, never in a header)
    outbox: bool = False  # write .eml files to output/<period>/outbox/ instead of sending


@dataclass(frozen=True, kw_only=True)
class Reminders:
    """When `remind` reminds of an overdue invoice, and at what fee (rates.yaml `agency.reminders`)."""

    after_days: tuple[int, ...]  # days past due of each level (1, 2, …), increasing
    fee: Decimal = Decimal("0.00")  # asked from the second level on (the first is a friendly reminder)


@dataclass(frozen=True)
class Agency:
    name: str
    country: str
    timezone: str
    currency: str
    vat_rate: Decimal
    address: str | None = None
    vat_id: str | None = None
    tax_number: str | None = None  # the Steuernummer (§14 UStG: it or the VAT ID on every invoice); BT-32 in the XML
    register: str | None = None  # the commercial register entry, "Amtsgericht Berlin-Charlottenburg HRB 123456"
    managing_directors: tuple[str, ...] = ()  # printed in the footer (§35a GmbHG)
    email: str | None = None
    contact: str | None = None  # the person clients may ask about invoices (XRechnung's seller contact)
    phone: str | None = None
    iban: str | None = None
    bic: str | None = None
    language: str = "en"
    invoice_number: str = "{year}-{seq:04d}"
    payment_terms_days: int = 14
    rounding: Rounding | None = None
    group_by: str = "job"  # invoice lines: job | job+person | job+task | entry
    appendix: bool = False  # an appendix page listing the time entries behind each line
    missing_day_below: Decimal = Decimal("0.5")  # a working day with less logged than this share of capacity
    region: str | None = None  # a region of the country whose public holidays apply too (BY), as `holidays` codes it
    accounting: Accounting | None = None  # how `export` books invoices; None: not set up
    mail: Mail | None = None  # how `send` mails invoices; None: not set up
    reminders: Reminders | None = None  # when `remind` reminds of overdue invoices; None: not set up


@dataclass(frozen=True)
class Imports:
    """What the tracker already decided (rates.yaml `imports:`), and how far to follow it."""

    date_format: str | None = None  # dmy or mdy, for files whose slash dates cannot tell
    billable: str = "export"  # export: the export's "not billable" flag holds an entry back | rates: rates.yaml decides
    invoiced_in_tracker: str = "skip"  # skip: never bill what an export marks invoiced | bill: bill it anyway
    require_approval: bool = False  # only entries the export marks approved are billed (or the reviewer's yes)


@dataclass(frozen=True)
class Config:
    agency: Agency
    team: tuple[Person, ...]
    clients: Mapping[str, Client]
    people: NameIndex = field(default_factory=NameIndex)  # name, email or alias -> name
    client_names: NameIndex = field(default_factory=NameIndex)  # key, name or alias -> key
    job_names: Mapping[str, NameIndex] = _no_items()  # client key -> (key, name or alias -> job key)
    imports: Imports = Imports()
    calendar_owners: Mapping[str, str] = _no_items()  # calendars: ics file name -> person name

    @cached_property
    def job_owners(self) -> Mapping[str, frozenset[str]]:
        """Normalised job name or alias -> the keys of the clients that have such a job."""
        owners: dict[str, set[str]] = {}
        for key, index in self.job_names.items():
            for name in index.keys:
                owners.setdefault(name, set()).add(key)
        return MappingProxyType({name: frozenset(keys) for name, keys in owners.items()})

    @cached_property
    def mailboxes(self) -> Mapping[str, str]:
        """The normalised part of each email before the @ -> its person, where no two share it:
        whose a file named `anna.ics` or `anna.json` is."""
        boxes: dict[str, list[str]] = {}
        for p in self.team:
            if p.email:
                boxes.setdefault(normalise(p.email.split("@")[0]), []).append(p.name)
        return MappingProxyType({box: names[0] for box, names in boxes.items() if len(names) == 1})

    def region_of(self, person: str | None) -> str | None:
        """The region whose public holidays a person has off: their own, else the agency's."""
        own = next((p.region for p in self.team if p.name == person), None)
        return own or self.agency.region

    @cached_property
    def roles(self) -> Mapping[str, str | None]:
        """Person name -> role."""
        return MappingProxyType({p.name: p.role for p in self.team})
