#!/usr/bin/env python3
"""Generate the demo workspace: a believable agency and a month of its timesheet exports.

    python scripts/make_demo.py                     # rewrite rates.yaml and input/ in the repo
    python scripts/make_demo.py --out /tmp/big --people 60 --clients 40 --seed 7

Deterministic from the seed: the same arguments always write the same data. The exports
come in the shapes teams really produce: an XLSX kept by the designers, a German-Excel CSV
from the developers (semicolons, Windows-1252, DD.MM.YYYY, decimal commas), the project
managers' Toggl Track detailed report, and an overlapping re-export of one week.
`entries()` returns the ground truth the tests compare the tool's totals against.

Beside them, three clients billed by the models beyond hours × rate (README, "Billing models"):
a monthly retainer with rollover and billed overage, a quarterly one that absorbs its overage,
a fixed-price project by milestone with a capped hourly job, and a month of expenses with their
receipts. Their entries are written by hand (ACCOUNT_ENTRIES, EXPENSES), so every number on
their invoices can be worked out on paper; their keys sort after the others', so the other
clients' invoice numbers do not move.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import re
import shutil
import struct
import sys
import tempfile
import zlib
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

MONTH = (2026, 11)

# name, email, alias, role, cost rate, hours per week, team file
CAST = [
    ("Anna Schmidt", "anna", "A. Schmidt", "designer", "55.00", 40, "design"),
    ("Ben Okafor", "ben", "B. Okafor", "developer", "62.00", 40, "dev"),
    ("Clara Weiß", "clara", "C. Weiss", "project-manager", "58.00", 32, "pm"),
    ("David Novák", "david", "D. Novak", "developer", "60.00", 40, "dev"),
    ("Elif Yılmaz", "elif", "E. Yilmaz", "designer", "52.00", 40, "design"),
    ("Felix Braun", "felix", "F. Braun", "strategist", "70.00", 40, "pm"),
    ("Greta Lindqvist", "greta", "G. Lindqvist", "copywriter", "48.00", 24, "pm"),
    ("Hannah Müller", "hannah", "H. Mueller", "developer", "65.00", 40, "dev"),
    ("Jonas Weber", "jonas", "J. Weber", "project-manager", "57.00", 40, "pm"),
    ("Lena Hoffmann", "lena", "L. Hoffmann", "designer", "50.00", 40, "design"),
    ("Mateo García", "mateo", "M. Garcia", "developer", "60.00", 40, "dev"),
    ("Sophie Wagner", "sophie", "S. Wagner", "strategist", "80.00", 40, "pm"),
]

# key, name, alias in exports, country, vat, language, currency, rate, jobs
# jobs: key, name, alias, extra yaml (rate, budget, billable), descriptions
CLIENTS = [
    ("acme", "ACME GmbH", "ACME", "DE", "standard", "de", "EUR", "120.00", [
        ("website", "Website relaunch", "Website Relaunch 2026", 'rate: "140.00"\n        budget: {hours: 160, per: total}',
         ["Homepage layout", "Navigation prototype", "Template build", "QA on staging", "Content migration"]),
        ("support", "Support", "Wartung", "budget: {hours: 70, per: month}",
         ["Plugin updates", "Fix contact form", "Backup check", "Editor questions"]),
        ("coordination", "Internal coordination", "", "billable: false",
         ["Internal sync", "Resourcing"]),
    ]),
    ("globex", "Globex Corporation B.V.", "Globex Corp.", "NL", "reverse-charge", "en", "EUR", "135.00", [
        ("app", "Customer app", "Globex App", 'rates:\n          - {from: 2026-11-16, rate: "145.00"}\n        budget: {amount: "60000", per: total}',
         ["Onboarding flow", "API integration", "Release 2.4 testing", "Push notifications"]),
        ("design-system", "Design system", "DS", "",
         ["Component audit", "Button and form tokens", "Documentation"]),
    ]),
    ("initech", "Initech AG", "Initech", "AT", "reverse-charge", "de", "EUR", "115.00", [
        ("seo", "SEO retainer", "SEO", "budget: {hours: 60, per: month}",
         ["Keyword research", "Technical SEO audit", "Monthly report"]),
        ("content", "Content", "", "", ["Blog article", "Newsletter copy", "Editing"]),
    ]),
    ("umbrella", "Umbrella Health GmbH", "Umbrella", "DE", "standard", "de", "EUR", "140.00", [
        ("campaign", "Winter campaign", "Kampagne Winter", "budget: {hours: 200, per: total}",
         ["Key visual", "Social assets", "Campaign landing page", "Media plan"]),
        ("strategy", "Brand strategy", "", 'rate: "160.00"',
         ["Stakeholder interviews", "Positioning workshop", "Strategy deck"]),
    ]),
    ("hooli", "Hooli Europe Ltd", "Hooli", "IE", "reverse-charge", "en", "EUR", "150.00", [
        ("platform", "Platform redesign", "", "budget: {hours: 240, per: month}",
         ["Dashboard redesign", "Usability test", "Frontend build", "Accessibility fixes"]),
    ]),
    ("stark", "Stark Industrie GmbH", "Stark", "DE", "standard", "de", "EUR", "110.00", [
        ("intranet", "Intranet", "", "budget: {hours: 80, per: month}",
         ["Intranet search", "Editor training", "Migration script"]),
        ("trade-fair", "Trade fair 2027", "Messe 2027", "",
         ["Booth graphics", "Brochure layout", "Print coordination"]),
    ]),
    ("vhs", "Volkshochschule Mitte", "VHS Mitte", "DE", "exempt", "de", "EUR", "95.00", [
        ("courses", "Course catalogue", "Kursprogramm", "",
         ["Catalogue layout", "Course page updates", "Proofreading"]),
    ]),
    ("soylent", "Soylent Foods GmbH", "Soylent", "DE", "standard", "de", "EUR", "100.00", [
        ("social", "Social media", "Social", 'budget: {amount: "5000", per: month}',
         ["Content calendar", "Post design", "Community report"]),
        ("photo", "Product photo shoot", "Fotoshooting", "",
         ["Shot list", "Retouching", "Shoot day"]),
    ]),
    ("tyrell", "Tyrell Robotics AG", "Tyrell", "CH", "outside-scope", "en", "EUR", "155.00", [
        ("launch", "Product launch", "", "",
         ["Launch video storyboard", "Press kit", "Launch microsite"]),
    ]),
    ("cyberdyne", "Cyberdyne Systems Inc.", "Cyberdyne", "US", "outside-scope", "en", "USD", "165.00", [
        ("research", "UX research", "", "",
         ["Research plan", "User interviews", "Synthesis workshop"]),
    ]),
    ("wonka", "Wonka Confiserie KG", "Wonka", "DE", "standard", "de", "EUR", "105.00", [
        ("packaging", "Packaging redesign", "Verpackung", "budget: {hours: 120, per: total}",
         ["Packaging concepts", "Die-line artwork", "Print proof"]),
    ]),
    ("gringotts", "Gringotts Privatbank AG", "Gringotts", "DE", "standard", "de", "EUR", "145.00", [
        ("portal", "Client portal", "Kundenportal", 'budget: {amount: "25000", per: total}',
         ["Login flow", "Security review", "Portal frontend"]),
        ("annual-report", "Annual report", "Geschäftsbericht", "",
         ["Report layout", "Charts", "Typesetting"]),
    ]),
    ("duff", "Duff Brauerei GmbH", "Duff", "DE", "standard", "de", "EUR", "100.00", [
        ("webshop", "Webshop", "Shop", "",
         ["Shop theme", "Payment provider setup", "Product import"]),
    ]),
    ("oscorp", "Oscorp Labs GmbH", "Oscorp", "DE", "standard", "en", "EUR", "125.00", [
        ("pitch", "Pitch support", "", "billable: false",
         ["Pitch deck", "Credentials"]),
        ("prototype", "Prototype", "", "",
         ["Clickable prototype", "Prototype testing"]),
    ]),
]
INTERNAL = ("auftakt", "Auftakt Studio (intern)", "Intern", [
    ("admin", "Administration", "Admin", ["Time sheets and admin", "Team meeting", "Invoicing"]),
    ("pitches", "Pitches", "Pitch", ["New business pitch", "Proposal writing"]),
    ("training", "Training", "Weiterbildung", ["Conference talk prep", "Course: accessibility"]),
])
# Clients billed by the models (issue 20), same shape as CLIENTS; their entries are ACCOUNT_ENTRIES, not random
MODEL_CLIENTS = [
    ("xenia", "Xenia Reisen GmbH", "Xenia", "DE", "standard", "de", "EUR", "110.00", [
        ("care", "Website-Betreuung", "Website care",
         'retainer: {fee: "1800.00", hours: 15, per: month, overage: bill, overage_rate: "120.00",\n'
         "                   rollover: {max_hours: 5}, from: 2026-10-01}", []),
    ]),
    ("yoyodyne", "Yoyodyne Media Ltd", "Yoyodyne", "IE", "reverse-charge", "en", "EUR", "130.00", [
        ("content", "Content retainer", "Editorial",
         'retainer: {fee: "6000.00", hours: 45, per: quarter, overage: absorb, from: 2026-10-01}', []),
    ]),
    ("zephyr", "Zephyr Outdoor GmbH", "Zephyr", "DE", "standard", "en", "EUR", "100.00", [
        ("shop", "Online shop", "Webshop Zephyr",
         'rate: "95.00"\n        fixed:\n          price: "24000.00"\n          milestones:\n'
         '            - {name: Concept, share: "25%", done: 2026-10-16}\n'
         '            - {name: Design sign-off, share: "35%", done: 2026-11-20}\n'
         '            - {name: Launch, share: "40%"}', []),
        ("ads", "Ad campaign", "Ads", 'rate: "95.00"\n        cap: {amount: "2000.00", per: month}', []),
    ]),
]
MODEL_EXTRAS = {"xenia": ['    expenses: {markup: "10%"}']}


# which clients each role mostly works for (by index into CLIENTS); everyone does internal work too
FOCUS = {
    "designer": [0, 1, 3, 5, 7, 10, 11, 6],
    "developer": [0, 1, 4, 5, 11, 12, 13, 2],
    "project-manager": [0, 1, 3, 4, 5, 11, 8],
    "strategist": [3, 4, 8, 9, 1, 13],
    "copywriter": [2, 3, 6, 7, 11],
}
ABSENT = {"Greta Lindqvist": range(9, 14), "Ben Okafor": range(18, 20), "Lena Hoffmann": range(23, 25)}
# which calendar events are meetings with a client (rates.yaml `calendar:`); Umbrella pays for its meetings
CALENDAR_RULES = {
    "acme": "    calendar: {domains: [acme.example], keywords: [ACME]}",
    "globex": "    calendar: {domains: [globex.example]}",
    "initech": "    calendar: {keywords: [Initech]}",
    "umbrella": "    calendar: {domains: [umbrella-health.example], bill_meetings: true, job: strategy}",
}


@dataclass(frozen=True)
class Entry:
    day: date
    person: str
    client: str  # client key
    job: str  # job key
    description: str
    seconds: int
    start: int | None  # seconds after midnight, for the file with start/end
    team: str


@dataclass(frozen=True)
class Meeting:
    """A client meeting as it counts: one occurrence of a calendar event, in local time."""
    person: str
    client: str  # client key
    summary: str
    day: date
    start: int  # seconds after midnight
    seconds: int


# The calendars in input/calendars/, as occurrences: what the .ics files below say once expanded
# (recurrences, an excluded date, a moved occurrence; declined, cancelled and all-day events left out).
MEETINGS = [
    *(Meeting("Jonas Weber", "acme", "ACME weekly status", date(2026, 11, d), 8 * 3600 + 1800, 1800)
      for d in (3, 10, 24)),
    *(Meeting("Jonas Weber", "umbrella", "Umbrella campaign check-in", date(2026, 11, d), 11 * 3600, 1800)
      for d in (5, 12, 26)),
    Meeting("Jonas Weber", "umbrella", "Umbrella campaign check-in (moved)", date(2026, 11, 19), 18 * 3600 + 1800,
            1800),
    Meeting("Jonas Weber", "umbrella", "Positioning workshop", date(2026, 11, 10), 7 * 3600 + 1800, 5400),
    Meeting("Jonas Weber", "globex", "Release 2.4 retro", date(2026, 11, 25), 18 * 3600 + 1800, 3600),
    Meeting("Greta Lindqvist", "initech", "Initech content review", date(2026, 11, 17), 14 * 3600, 3600),
    Meeting("Greta Lindqvist", "initech", "Initech SEO call", date(2026, 11, 24), 7 * 3600 + 1800, 1800),
]
BILLS_MEETINGS = {"umbrella": "strategy"}  # client key -> job (calendar.bill_meetings in rates.yaml)


def _account(day: str, person: str, client: str, job: str, description: str, hours: str) -> Entry:
    seconds = int(float(hours) * 3600)
    return Entry(date.fromisoformat(day), person, client, job, description, seconds, None, "accounts")


# The account team's timesheet (input/accounts/): October's entries count for the retainers' earlier
# periods (the quarter, the rollover), November's are billed. Whole quarter hours: rounding changes nothing.
ACCOUNT_ENTRIES = [
    _account("2026-10-06", "Lena Hoffmann", "xenia", "care", "Booking page fixes", "5"),
    _account("2026-10-20", "David Novák", "xenia", "care", "Plugin updates", "4"),
    _account("2026-10-28", "Clara Weiß", "xenia", "care", "Monthly report", "2"),
    _account("2026-11-03", "Lena Hoffmann", "xenia", "care", "Newsletter template", "4"),
    _account("2026-11-09", "David Novák", "xenia", "care", "Booking widget fix", "3.5"),
    _account("2026-11-16", "Lena Hoffmann", "xenia", "care", "Winter landing page", "6"),
    _account("2026-11-18", "David Novák", "xenia", "care", "Performance audit", "5"),
    _account("2026-11-26", "Clara Weiß", "xenia", "care", "Monthly report", "3"),
    _account("2026-10-07", "Greta Lindqvist", "yoyodyne", "content", "Feature articles", "8"),
    _account("2026-10-21", "Sophie Wagner", "yoyodyne", "content", "Content strategy", "6"),
    _account("2026-10-29", "Greta Lindqvist", "yoyodyne", "content", "Reader newsletter", "6"),
    _account("2026-11-04", "Greta Lindqvist", "yoyodyne", "content", "Feature articles", "6"),
    _account("2026-11-17", "Sophie Wagner", "yoyodyne", "content", "Content strategy", "7.5"),
    _account("2026-11-19", "Greta Lindqvist", "yoyodyne", "content", "Reader newsletter", "8"),
    _account("2026-11-25", "Sophie Wagner", "yoyodyne", "content", "Quarterly review", "5"),
    _account("2026-11-27", "Felix Braun", "yoyodyne", "content", "Editorial planning", "4"),
    _account("2026-11-05", "Elif Yılmaz", "zephyr", "shop", "Product page design", "7"),
    _account("2026-11-11", "Mateo García", "zephyr", "shop", "Checkout build", "8"),
    _account("2026-11-20", "Elif Yılmaz", "zephyr", "shop", "Design review", "3"),
    _account("2026-11-06", "Hannah Müller", "zephyr", "ads", "Campaign setup", "6"),
    _account("2026-11-13", "Mateo García", "zephyr", "ads", "Landing page variants", "8"),
    _account("2026-11-24", "Hannah Müller", "zephyr", "ads", "A/B test report", "7.5"),
    _account("2026-11-27", "Mateo García", "zephyr", "ads", "Tracking fixes", "4"),
]


@dataclass(frozen=True)
class Expense:
    day: date
    person: str
    client: str  # as exported: the client's alias
    job: str  # job key, "" for none
    category: str
    description: str
    amount: str
    billable: bool
    receipt: str  # path under input/, "" for none


# November's expenses (input/expenses/), each receipt a small real file the generator draws (receipt_files)
EXPENSES = [
    Expense(date(2026, 11, 4), "Clara Weiß", "Xenia", "care", "Stockfotos", "Titelbilder (3)", "89.00", True,
            "receipts/2026-11-04-stock-photos.pdf"),
    Expense(date(2026, 11, 9), "Elif Yılmaz", "Zephyr", "", "Courier", "Product samples shipment", "18.70", True,
            "receipts/2026-11-09-courier.png"),
    Expense(date(2026, 11, 12), "Felix Braun", "Zephyr", "shop", "Travel", "Train Berlin–Munich, design workshop",
            "129.90", True, "receipts/2026-11-12-train.pdf"),
    Expense(date(2026, 11, 12), "Felix Braun", "Zephyr", "shop", "Meals", "Lunch with the Zephyr team", "64.50", False,
            "receipts/2026-11-12-lunch.png"),
    Expense(date(2026, 11, 19), "Anna Schmidt", "Xenia", "care", "Schriften", "Webfont-Lizenz", "24.95", True,
            "receipts/2026-11-19-webfont.pdf"),
    Expense(date(2026, 11, 27), "Jonas Weber", "Xenia", "care", "Druck", "Andrucke Broschüre", "38.40", True, ""),
]


def covered(meeting: Meeting, logged: list[Entry]) -> bool:
    """Whether the person logged time overlapping the meeting (then the timesheet entry counts)."""
    return any(e.person == meeting.person and e.day == meeting.day and e.start is not None
               and e.start < meeting.start + meeting.seconds and meeting.start < e.start + e.seconds for e in logged)


def meeting_entries(logged: list[Entry]) -> list[Entry]:
    """The meetings billed from calendars: of clients that bill meetings, not covered by the timesheets."""
    return [Entry(m.day, m.person, m.client, BILLS_MEETINGS[m.client], m.summary, m.seconds, m.start, "calendar")
            for m in MEETINGS if m.client in BILLS_MEETINGS and not covered(m, logged)]


def untracked_meetings(logged: list[Entry]) -> list[Meeting]:
    return [m for m in MEETINGS if m.client not in BILLS_MEETINGS and not covered(m, logged)]


def month_days(year: int, month: int) -> list[date]:
    first = date(year, month, 1)
    days = [first + timedelta(days=i) for i in range(31)]
    return [d for d in days if d.month == month and d.weekday() < 5]


def people(n: int) -> list[tuple]:
    extra = [(f"Member {i:03d}", f"member{i:03d}", "", CAST[i % len(CAST)][3], "50.00", 40, CAST[i % len(CAST)][6])
             for i in range(len(CAST), n)]
    return (CAST + extra)[:n]


def clients(n: int) -> list[tuple]:
    extra = [(f"client-{i:03d}", f"Client {i:03d} GmbH", f"Client {i:03d}", "DE", "standard", "de", "EUR", "110.00",
              [("project", "Project", "", "", ["Design work", "Development", "Meeting"])])
             for i in range(len(CLIENTS), n)]
    return (CLIENTS + extra)[:n]


def entries(seed: int = 2026, n_people: int = len(CAST), n_clients: int = len(CLIENTS)) -> list[Entry]:
    """The month's entries, deterministic from the seed: the ground truth of the exports."""
    rnd = random.Random(seed)
    cast, cls = people(n_people), clients(n_clients)
    out = []
    for name, _, _, role, _, per_week, team in cast:
        focus = [cls[i % len(cls)] for i in FOCUS[role]] if n_clients >= len(CLIENTS) else cls
        mine = rnd.sample(focus, k=min(len(focus), rnd.randint(3, 5)))
        for day in month_days(*MONTH):
            if day.day in ABSENT.get(name, ()):
                continue
            out += _day(rnd, day, name, team, mine, per_week)
    return out


def _day(rnd: random.Random, day: date, name: str, team: str, mine: list, per_week: int) -> list[Entry]:
    target = int(per_week / 5 * 4) + rnd.choice([-2, -1, 0, 0, 1, 2])  # in quarter hours
    chunks = []
    while target > 0:
        q = min(target, rnd.choice([2, 3, 4, 4, 6, 8, 10, 12]))
        chunks.append(q)
        target -= q
    clock = 9 * 3600 + rnd.choice([0, 15, 30]) * 60
    entries = []
    for i, q in enumerate(chunks):
        if rnd.random() < 0.15:
            key, jobs = INTERNAL[0], [(k, n, a, "", d) for k, n, a, d in INTERNAL[3]]
        else:
            client = rnd.choice(mine)
            key, jobs = client[0], client[8]
        job = rnd.choice(jobs)
        seconds = q * 900 if team != "pm" else q * 900 + rnd.choice([0, 0, 60, -60, 120]) * 3
        description = rnd.choice(job[4])
        same = next((k for k, e in enumerate(entries) if (e.client, e.job, e.description) == (key, job[0], description)),
                    None)
        if same is not None and team != "pm":  # one line per task and day, as people log it
            entries[same] = replace(entries[same], seconds=entries[same].seconds + seconds)
            continue
        entries.append(Entry(day, name, key, job[0], description, seconds, clock, team))
        clock += seconds + (45 * 60 if i == 1 else rnd.choice([0, 0, 300, 900]))
    return entries


# --- writing ---------------------------------------------------------------------------------

# the demo's sending (to the outbox: no mail server) and bookkeeping (DATEV, SKR03)
DEMO_AGENCY = ['  mail: {from: "Auftakt Studio Billing <billing@auftakt.example>", outbox: true}',
               '  reminders: {after_days: [7, 21, 35], fee: "5.00"}',
               "  accounting: {chart: SKR03, consultant: 29098, client_number: 55003}"]
AGENCY_IBAN = "DE89370400440532013000"  # the account input/bank/'s statement is of
DEMO_IBANS = {"acme": "DE02120300000000202051", "hooli": "DE02500105170137075030"}  # valid check digits, no bank's


def rates_yaml(n_people: int, n_clients: int, models: bool = False) -> str:
    """The workspace's rates.yaml; `models`: with MODEL_CLIENTS (the demo's, whose entries name its people)."""
    lines = [
        "# The demo agency. Regenerate with: python scripts/make_demo.py",
        "agency:",
        "  name: Auftakt Studio GmbH",
        '  address: "Torstraße 1\\n10119 Berlin"',
        "  country: DE",
        "  vat_id: DE123456789",
        "  email: billing@auftakt.example",
        f"  iban: {AGENCY_IBAN}",
        "  bic: COBADEFFXXX",
        "  timezone: Europe/Berlin",
        "  currency: EUR",
        "  language: en",
        '  invoice_number: "{year}-{seq:04d}"',
        "  payment_terms_days: 14",
        '  vat_rate: "19"',
        "  rounding: {minutes: 15, mode: up}",
        *(DEMO_AGENCY if models else []),
        "",
        "team:",
    ]
    for name, mail, alias, role, cost, per_week, _ in people(n_people):
        lines += [f"  - name: {name}", f"    email: {mail}@auftakt.example"]
        if alias:
            lines.append(f'    aliases: ["{alias}"]')
        lines += [f"    role: {role}", f'    cost_rate: "{cost}"', f"    hours_per_week: {per_week}"]
    lines += ["", "clients:"]
    for key, name, alias, country, vat, lang, currency, rate, jobs in clients(n_clients) + (MODEL_CLIENTS if models else []):
        lines += [f"  {key}:", f"    name: {name}", f'    aliases: ["{alias}"]',
                  f'    address: "Musterstraße {len(key)}\\n10115 Berlin"', f"    country: {country}"]
        if country in ("DE", "NL", "AT", "IE"):
            lines.append(f"    vat_id: {country}{abs(hash_digits(key)):09d}")
        lines += [f"    currency: {currency}", f"    language: {lang}", f'    rate: "{rate}"', f"    vat: {vat}"]
        if models:  # where `send` mails its invoices, and the account `payments` knows it by
            lines.append(f"    email: invoices@{key}.example")
            lines += [f"    iban: {DEMO_IBANS[key]}"] if key in DEMO_IBANS else []
        lines += _client_extras(key)
        lines.append("    jobs:")
        for job_key, job_name, job_alias, extra, _ in jobs:
            lines += [f"      {job_key}:", f"        name: {job_name}"]
            if job_alias:
                lines.append(f'        aliases: ["{job_alias}"]')
            if extra:
                lines.append(f"        {extra}")
    key, name, alias, jobs = INTERNAL
    lines += [f"  {key}:", f"    name: {name}", f'    aliases: ["{alias}"]', "    billable: false", "    jobs:"]
    for job_key, job_name, job_alias, _ in jobs:
        lines += [f"      {job_key}:", f"        name: {job_name}", f'        aliases: ["{job_alias}"]']
    return "\n".join(lines) + "\n"


def _client_extras(key: str) -> list[str]:
    return {
        "acme": ['    rates:', '      - {from: 2026-11-16, rate: "130.00"}', '    role_rates: {designer: "110.00"}',
                 '    person_rates: {Anna Schmidt: "125.00"}', "    budget: {hours: 200, per: month}",
                 "    alert_at: [0.8, 1.0]"],
        "umbrella": ['    person_rates:', '      Sophie Wagner:', '        - {from: 2026-01-01, rate: "170.00"}',
                     '        - {from: 2026-11-01, rate: "180.00"}', "    group_by: job+person", "    appendix: true"],
        "hooli": ['    role_rates: {developer: "160.00", designer: "140.00"}'],
        "stark": ["    budget: {hours: 160, per: month}", "    alert_at: [0.75, 0.9, 1.0]"],
        **MODEL_EXTRAS,
    }.get(key, []) + ([CALENDAR_RULES[key]] if key in CALENDAR_RULES else [])


def hash_digits(text: str) -> int:
    return sum((i + 1) * ord(c) for i, c in enumerate(text)) * 7919 % 10**9


def write_exports(out: Path, all_entries: list[Entry], n_people: int, n_clients: int, rnd: random.Random) -> None:
    names = {c[0]: c for c in clients(n_clients)}
    aliases = {p[0]: p[2] for p in people(n_people)}

    def client_label(e: Entry) -> str:
        if e.client == INTERNAL[0]:
            return rnd.choice([INTERNAL[1], INTERNAL[2]])
        c = names[e.client]
        return rnd.choice([c[1], c[2], c[2].upper(), e.client])

    def job_label(e: Entry) -> str:
        jobs = INTERNAL[3] if e.client == INTERNAL[0] else [(j[0], j[1], j[2]) for j in names[e.client][8]]
        job = next(j for j in jobs if j[0] == e.job)
        return rnd.choice([job[1], job[2] or job[1], job[0]])

    def person_label(e: Entry) -> str:
        return e.person if rnd.random() < 0.9 or not aliases[e.person] else aliases[e.person]

    teams = {t: [e for e in all_entries if e.team == t] for t in ("design", "dev", "pm")}
    _write_design_xlsx(out / "input" / "design" / "design-team-2026-11.xlsx", teams["design"],
                       person_label, client_label, job_label)
    dev_rows = [[f"{e.day:%d.%m.%Y}", person_label(e), client_label(e), job_label(e), "", e.description,
                 f"{e.seconds / 3600:.2f}".replace(".", ","), ""] for e in teams["dev"]]
    header = ["date", "person", "client", "job", "task", "description", "hours", "billable"]
    _write_csv(out / "input" / "dev-team-2026-11.csv", header, dev_rows, ";", "cp1252")
    week47 = [row for row, e in zip(dev_rows, teams["dev"]) if e.day.isocalendar()[1] == 47]
    _write_csv(out / "input" / "dev-team-2026-W47-reexport.csv", header, week47, ";", "cp1252")
    # the PM team tracks in Toggl Track: its detailed report, as Toggl writes it
    mails = {p[0]: f"{p[1]}@auftakt.example" for p in people(n_people)}
    unbilled = {(INTERNAL[0], j[0]) for j in INTERNAL[3]} | {
        (key, j[0]) for key, c in names.items() for j in c[8] if "billable: false" in j[3]}

    def toggl_row(e: Entry) -> list[str]:
        start = datetime.combine(e.day, time()) + timedelta(seconds=e.start)
        end = start + timedelta(seconds=e.seconds)
        return [person_label(e), mails[e.person], client_label(e), job_label(e), "", e.description,
                "No" if (e.client, e.job) in unbilled else "Yes", f"{start:%Y-%m-%d}", f"{start:%H:%M:%S}",
                f"{end:%Y-%m-%d}", f"{end:%H:%M:%S}", _clock(e.seconds) + ":00", "", ""]

    toggl = ["User", "Email", "Client", "Project", "Task", "Description", "Billable", "Start date", "Start time",
             "End date", "End time", "Duration", "Tags", "Amount (EUR)"]
    _write_csv(out / "input" / "pm" / "Toggl_time_entries_2026-11-01_to_2026-11-30.csv", toggl,
               [toggl_row(e) for e in teams["pm"]], ",", "utf-8-sig", "\n")


VTIMEZONE_BERLIN = """BEGIN:VTIMEZONE
TZID:{tzid}
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
END:VTIMEZONE"""

# Jonas's Google Calendar: a weekly call from before the period with one week excluded, a series
# with one occurrence moved after hours, a workshop before the working day, a declined and a
# cancelled meeting, and an all-day offsite (no time, no absence).
JONAS_ICS = """BEGIN:VCALENDAR
PRODID:-//Google Inc//Google Calendar 70.9054//EN
VERSION:2.0
CALSCALE:GREGORIAN
METHOD:PUBLISH
X-WR-CALNAME:Jonas Weber
X-WR-TIMEZONE:Europe/Berlin
{vtimezone}
BEGIN:VEVENT
DTSTART;TZID=Europe/Berlin:20261006T083000
DTEND;TZID=Europe/Berlin:20261006T090000
RRULE:FREQ=WEEKLY;BYDAY=TU
EXDATE;TZID=Europe/Berlin:20261117T083000
DTSTAMP:20261101T080000Z
UID:acme-weekly@auftakt.example
ORGANIZER;CN=Jonas Weber:mailto:jonas@auftakt.example
ATTENDEE;CN=Jonas Weber;PARTSTAT=ACCEPTED:mailto:jonas@auftakt.example
ATTENDEE;CN=Marta Keller;PARTSTAT=ACCEPTED:mailto:m.keller@acme.example
SUMMARY:ACME weekly status
STATUS:CONFIRMED
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=Europe/Berlin:20261105T110000
DTEND;TZID=Europe/Berlin:20261105T113000
RRULE:FREQ=WEEKLY;COUNT=4
DTSTAMP:20261101T080000Z
UID:umbrella-checkin@auftakt.example
ATTENDEE;CN=Jonas Weber;PARTSTAT=ACCEPTED:mailto:jonas@auftakt.example
ATTENDEE;CN=Rin Sato;PARTSTAT=ACCEPTED:mailto:r.sato@umbrella-health.example
SUMMARY:Umbrella campaign check-in
STATUS:CONFIRMED
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=Europe/Berlin:20261119T183000
DTEND;TZID=Europe/Berlin:20261119T190000
RECURRENCE-ID;TZID=Europe/Berlin:20261119T110000
DTSTAMP:20261115T080000Z
UID:umbrella-checkin@auftakt.example
ATTENDEE;CN=Jonas Weber;PARTSTAT=ACCEPTED:mailto:jonas@auftakt.example
ATTENDEE;CN=Rin Sato;PARTSTAT=ACCEPTED:mailto:r.sato@umbrella-health.example
SUMMARY:Umbrella campaign check-in (moved)
STATUS:CONFIRMED
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=Europe/Berlin:20261110T073000
DTEND;TZID=Europe/Berlin:20261110T090000
DTSTAMP:20261101T080000Z
UID:umbrella-workshop@auftakt.example
ORGANIZER;CN=Rin Sato:mailto:r.sato@umbrella-health.example
ATTENDEE;CN=Jonas Weber;PARTSTAT=ACCEPTED:mailto:jonas@auftakt.example
SUMMARY:Positioning workshop
STATUS:CONFIRMED
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=Europe/Berlin:20261111T160000
DTEND;TZID=Europe/Berlin:20261111T170000
DTSTAMP:20261101T080000Z
UID:globex-review@auftakt.example
ATTENDEE;CN=Jonas Weber;PARTSTAT=DECLINED:mailto:jonas@auftakt.example
ATTENDEE;CN=Pim de Vries;PARTSTAT=ACCEPTED:mailto:pim@globex.example
SUMMARY:Sprint review
STATUS:CONFIRMED
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=Europe/Berlin:20261125T183000
DTEND;TZID=Europe/Berlin:20261125T193000
DTSTAMP:20261101T080000Z
UID:globex-retro@auftakt.example
ATTENDEE;CN=Jonas Weber;PARTSTAT=ACCEPTED:mailto:jonas@auftakt.example
ATTENDEE;CN=Pim de Vries;PARTSTAT=ACCEPTED:mailto:pim@globex.example
SUMMARY:Release 2.4 retro
STATUS:CONFIRMED
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=Europe/Berlin:20261116T100000
DTEND;TZID=Europe/Berlin:20261116T110000
DTSTAMP:20261101T080000Z
UID:initech-kickoff@auftakt.example
SUMMARY:Initech kickoff
STATUS:CANCELLED
END:VEVENT
BEGIN:VEVENT
DTSTART;VALUE=DATE:20261127
DTEND;VALUE=DATE:20261128
DTSTAMP:20261101T080000Z
UID:offsite@auftakt.example
SUMMARY:Team offsite
END:VEVENT
END:VCALENDAR
"""

# Greta's Outlook calendar: Windows time zone names, a week of holiday (absent: no missing days).
GRETA_ICS = """BEGIN:VCALENDAR
METHOD:PUBLISH
PRODID:Microsoft Exchange Server 2010
VERSION:2.0
X-WR-CALNAME:Calendar
{vtimezone}
BEGIN:VEVENT
DTSTART;VALUE=DATE:20261109
DTEND;VALUE=DATE:20261114
SUMMARY:Urlaub
UID:greta-urlaub@auftakt.example
DTSTAMP:20261020T090000Z
X-MICROSOFT-CDO-ALLDAYEVENT:TRUE
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=W. Europe Standard Time:20261117T140000
DTEND;TZID=W. Europe Standard Time:20261117T150000
SUMMARY:Initech content review
UID:greta-initech-review@auftakt.example
DTSTAMP:20261110T090000Z
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=W. Europe Standard Time:20261124T073000
DTEND;TZID=W. Europe Standard Time:20261124T080000
SUMMARY:Initech SEO call
UID:greta-initech-seo@auftakt.example
DTSTAMP:20261110T090000Z
END:VEVENT
END:VCALENDAR
"""


def write_calendars(out: Path) -> None:
    folder = out / "input" / "calendars"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text, tzid in (("jonas.ics", JONAS_ICS, "Europe/Berlin"),
                             ("greta-lindqvist.ics", GRETA_ICS, "W. Europe Standard Time")):
        body = text.format(vtimezone=VTIMEZONE_BERLIN.format(tzid=tzid))
        (folder / name).write_bytes(body.replace("\n", "\r\n").encode())


def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _write_csv(path: Path, header: list[str], rows: list[list[str]], sep: str, encoding: str,
               line_end: str = "\r\n") -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator=line_end)
    writer.writerow(header)
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue().encode(encoding))


def _write_design_xlsx(path: Path, rows: list[Entry], person_label, client_label, job_label) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "November"
    sheet.append(["date", "person", "client", "job", "task", "description", "hours", "billable"])
    for row, e in enumerate(rows, start=2):
        sheet.append([e.day, person_label(e), client_label(e), job_label(e), None, e.description,
                      e.seconds / 3600, None])
        sheet.cell(row, 1).number_format = "yyyy-mm-dd"
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


def write_accounts(out: Path) -> None:
    """The account team's timesheet: a native CSV, clients and jobs by their aliases."""
    names = {c[0]: (c[2], {j[0]: j[2] for j in c[8]}) for c in MODEL_CLIENTS}
    rows = [[f"{e.day:%Y-%m-%d}", e.person, names[e.client][0], names[e.client][1][e.job], "", e.description,
             f"{e.seconds / 3600:g}", ""] for e in ACCOUNT_ENTRIES]
    _write_csv(out / "input" / "accounts" / "account-team-2026-10-to-11.csv",
               ["date", "person", "client", "job", "task", "description", "hours", "billable"], rows, ",", "utf-8", "\n")


def write_expenses(out: Path) -> None:
    """November's expense sheet (native) and the receipts it names."""
    rows = [[f"{x.day:%Y-%m-%d}", x.person, x.client, x.job, x.category, x.description, x.amount, "EUR",
             "yes" if x.billable else "no", x.receipt] for x in EXPENSES]
    _write_csv(out / "input" / "expenses" / "expenses-2026-11.csv",
               ["date", "person", "client", "job", "category", "description", "amount", "currency", "billable",
                "receipt"], rows, ",", "utf-8", "\n")
    for x in EXPENSES:
        if x.receipt:
            path = out / "input" / x.receipt
            path.parent.mkdir(parents=True, exist_ok=True)
            lines = [x.category, x.description, f"{x.day:%d.%m.%Y}", f"Total EUR {x.amount}"]
            path.write_bytes(receipt_pdf(lines) if path.suffix == ".pdf" else receipt_png(len(x.description)))


def receipt_pdf(lines: list[str]) -> bytes:
    """A one-page PDF (A6) showing `lines`: small, valid, the same bytes every time (no dates in it)."""
    text = "".join(f"({_pdf_text(line)}) Tj 0 -16 Td " for line in lines)
    stream = f"BT /F1 11 Tf 24 380 Td {text}ET".encode("latin-1")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 298 420] /Resources << /Font << /F1 4 0 R >> >> "
               b"/Contents 5 0 R >>",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream)]
    body, offsets = b"%PDF-1.4\n", []
    for n, obj in enumerate(objects, 1):
        offsets.append(len(body))
        body += b"%d 0 obj\n%s\nendobj\n" % (n, obj)
    xref = b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    xref += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    return body + xref + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, len(body))


def _pdf_text(line: str) -> str:
    return line.replace("–", "-").replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def receipt_png(rows: int) -> bytes:
    """A small grey-scale PNG of a till slip (a white strip with rows of dark 'print'): valid, tiny."""
    width, height = 96, 24 + 6 * rows // 4
    pixels = b"".join(b"\x00" + bytes(40 if y % 6 < 3 and 8 <= y < height - 8 and 8 <= x < 8 + (y * 37) % 72 + 8
                                       else 250 for x in range(width)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grey, no interlace
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(pixels, 9)) + chunk(b"IEND", b"")


# --- the bank statement (input/bank/) ----------------------------------------------------------

BILLED_ON = date(2026, 12, 3)  # the demo's day: `make demo` bills November on it (DEMO_DAY in the Makefile)
STATEMENT = "camt053-2026-12-16.xml"  # in input/bank/


@dataclass(frozen=True)
class Transfer:
    """One booking of the statement. `client`: whose November invoice it pays — its number and gross
    are what billing the demo issues (billed()); `text` is the remittance, in which {number},
    {year} {seq}, {digits} and {typo} (the number with its last two digits swapped) are the invoice's
    number as the payer wrote it. `amount`: what was paid when it is not the invoice's gross (a part
    payment), or what went out (negative)."""

    day: date
    name: str  # the counterparty: who paid, or who was paid
    iban: str
    text: str
    client: str = ""
    amount: str = ""


def _iban(country: str, bban: str) -> str:
    """An IBAN with valid check digits (ISO 13616: letters as 10–35, mod 97)."""
    digits = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


# December 2026 on the agency's account: most clients pay with the number in the text, as their
# banks write it; ACME pays from its known account without one; Umbrella pays a first part;
# the Volkshochschule swaps two digits; and the rent and the bank's fee go out.
TRANSFERS = [
    Transfer(date(2026, 12, 7), "Duff Brauerei GmbH", _iban("DE", "700202700015551234"), "RE {number}", "duff"),
    Transfer(date(2026, 12, 7), "Torhaus Immobilien GmbH", _iban("DE", "100500000190012345"),
             "Miete Dezember Torstrasse 1, Studio 3. OG", amount="-3850.00"),
    Transfer(date(2026, 12, 8), "ACME GMBH", DEMO_IBANS["acme"], "Zahlung Dienstleistungen November", "acme"),
    Transfer(date(2026, 12, 9), "Gringotts Privatbank AG", _iban("DE", "500700100123456789"),
             "Rechnung {year} {seq} Kundenportal", "gringotts"),
    Transfer(date(2026, 12, 10), "HOOLI EUROPE LTD", DEMO_IBANS["hooli"], "INV{digits} PLATFORM REDESIGN", "hooli"),
    Transfer(date(2026, 12, 11), "Umbrella Health GmbH", _iban("DE", "370400440101010101"),
             "Abschlag auf RE-{number}, Rest folgt", "umbrella", "20000.00"),
    Transfer(date(2026, 12, 14), "Volkshochschule Mitte", _iban("DE", "100205000003300440"), "Rechnung {typo}", "vhs"),
    Transfer(date(2026, 12, 15), "Yoyodyne Media Ltd", _iban("IE", "AIBK93115212345678"),
             "{number} Q4 content retainer", "yoyodyne"),
    Transfer(date(2026, 12, 16), "", "", "Entgelt Kontofuehrung 11/2026", amount="-14.90"),
]
OPENING_BALANCE = Decimal("48213.57")


def _no_pdfs(jobs, done, *, count=None) -> None:
    """A renderer for billed(): each job's e-invoice and a stand-in PDF (what billing numbers and
    sums does not depend on the PDF; WeasyPrint would take a minute)."""
    from auftakt_batch.render.pdf import write_documents

    for job in jobs:
        done(job, write_documents(job, lambda job: b"%PDF-1.7\n% stand-in\n%%EOF\n"))


def billed(out: Path) -> dict[str, tuple[str, Decimal]]:
    """Client key -> (number, gross) of the invoices `bill --period 2026-11` issues on BILLED_ON on the
    workspace `out` as generated: the real billing, run on a copy of it (no statement, no output/)."""
    from auftakt_batch import ledger
    from auftakt_batch.billing import bill
    from auftakt_batch.periods import parse_period

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copy(out / "rates.yaml", root / "rates.yaml")
        shutil.copytree(out / "input", root / "input", ignore=shutil.ignore_patterns("bank"))
        shutil.copytree(out / "templates", root / "templates")
        result = bill(root, parse_period("2026-11"), BILLED_ON, renderer=_no_pdfs)
        if result.stopped:
            raise SystemExit(f"billing the generated demo stopped: {result.stopped}")
        conn = ledger.connect(root / "output" / "ledger.sqlite")
        try:
            return {r.client_key: (r.number, r.gross) for r in ledger.invoices(conn)}
        finally:
            conn.close()


def bank_bookings(invoices: dict[str, tuple[str, Decimal]]) -> list[tuple[Transfer, Decimal, str]]:
    """Each transfer with its signed amount and its remittance as written, from the invoices billed."""
    numbers = {number for number, _ in invoices.values()}
    rows = []
    for t in TRANSFERS:
        number, gross = invoices[t.client] if t.client else ("", Decimal(0))
        typo = number[:-2] + number[-1] + number[-2] if number else ""
        if "{typo}" in t.text and (typo in numbers or typo == number):
            raise SystemExit(f"the typo of {number} for {t.client} would name an invoice: pick another client")
        year, _, seq = number.partition("-")
        text = t.text.format(number=number, year=year, seq=seq, digits=re.sub(r"\D", "", number), typo=typo)
        rows.append((t, Decimal(t.amount) if t.amount else gross, text))
    return rows


def write_bank(out: Path, invoices: dict[str, tuple[str, Decimal]]) -> None:
    """The agency's camt.053.001.08 statement of 7–16 December 2026: the same bytes every time
    (fixed message id and creation time)."""
    rows = bank_bookings(invoices)
    closing = OPENING_BALANCE + sum(amount for _, amount, _ in rows)
    entries = "".join(_camt_entry(n, t, amount, text) for n, (t, amount, text) in enumerate(rows, 1))
    body = CAMT.format(iban=AGENCY_IBAN, entries=entries, opening=_balance("OPBD", OPENING_BALANCE, "2026-12-06"),
                       closing=_balance("CLBD", closing, "2026-12-16"))
    path = out / "input" / "bank" / STATEMENT
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body.encode("utf-8"))


CAMT = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
  <BkToCstmrStmt>
    <GrpHdr>
      <MsgId>STMT-20261216-0532013000</MsgId>
      <CreDtTm>2026-12-16T22:00:00+01:00</CreDtTm>
    </GrpHdr>
    <Stmt>
      <Id>2026-12-16-0532013000</Id>
      <ElctrncSeqNb>240</ElctrncSeqNb>
      <CreDtTm>2026-12-16T22:00:00+01:00</CreDtTm>
      <FrToDt><FrDtTm>2026-12-07T00:00:00+01:00</FrDtTm><ToDtTm>2026-12-16T23:59:59+01:00</ToDtTm></FrToDt>
      <Acct>
        <Id><IBAN>{iban}</IBAN></Id>
        <Ccy>EUR</Ccy>
        <Ownr><Nm>Auftakt Studio GmbH</Nm></Ownr>
        <Svcr><FinInstnId><BICFI>COBADEFFXXX</BICFI></FinInstnId></Svcr>
      </Acct>
{opening}{closing}{entries}    </Stmt>
  </BkToCstmrStmt>
</Document>
"""


def _balance(kind: str, amount: Decimal, day: str) -> str:
    sign = "CRDT" if amount >= 0 else "DBIT"
    return (f"      <Bal><Tp><CdOrPrtry><Cd>{kind}</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">{abs(amount):.2f}</Amt>"
            f"<CdtDbtInd>{sign}</CdtDbtInd><Dt><Dt>{day}</Dt></Dt></Bal>\n")


def _camt_entry(n: int, t: Transfer, amount: Decimal, text: str) -> str:
    """One booked Ntry: a SEPA credit transfer in (ESCT), a direct debit out (ESDD: the rent) or the bank's fee (CHRG)."""
    sign, day = ("CRDT" if amount > 0 else "DBIT"), t.day.isoformat()
    code = {"CRDT": ("PMNT", "RCDT", "ESCT"), "DBIT": ("PMNT", "IDDT", "ESDD") if t.name else ("ACMT", "MDOP", "CHRG")}[sign]
    role = "Dbtr" if sign == "CRDT" else "Cdtr"
    party = (f"\n            <RltdPties><{role}><Pty><Nm>{escape(t.name)}</Nm></Pty></{role}>"
             f"<{role}Acct><Id><IBAN>{t.iban}</IBAN></Id></{role}Acct></RltdPties>") if t.name else ""
    return f"""      <Ntry>
        <Amt Ccy="EUR">{abs(amount):.2f}</Amt>
        <CdtDbtInd>{sign}</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>{day}</Dt></BookgDt>
        <ValDt><Dt>{day}</Dt></ValDt>
        <AcctSvcrRef>{t.day:%Y%m%d}{n:06d}</AcctSvcrRef>
        <BkTxCd><Domn><Cd>{code[0]}</Cd><Fmly><Cd>{code[1]}</Cd><SubFmlyCd>{code[2]}</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls>
          <TxDtls>
            <Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
            <Amt Ccy="EUR">{abs(amount):.2f}</Amt>
            <CdtDbtInd>{sign}</CdtDbtInd>{party}
            <RmtInf><Ustrd>{escape(text)}</Ustrd></RmtInf>
          </TxDtls>
        </NtryDtls>
      </Ntry>
"""


def write_demo(out: Path, seed: int = 2026, n_people: int = len(CAST), n_clients: int = len(CLIENTS)) -> None:
    from auftakt_batch.config import load_config
    from auftakt_batch.render.timesheet import write_timesheet_template

    out.mkdir(parents=True, exist_ok=True)
    demo = (n_people, n_clients) == (len(CAST), len(CLIENTS))  # the calendars and models name the demo's people
    (out / "rates.yaml").write_text(rates_yaml(n_people, n_clients, models=demo), encoding="utf-8")
    write_exports(out, entries(seed, n_people, n_clients), n_people, n_clients, random.Random(seed + 1))
    if demo:
        write_calendars(out)
        write_accounts(out)
        write_expenses(out)
    config, problems = load_config(out / "rates.yaml")
    if config is None:
        raise SystemExit("generated rates.yaml does not load:\n" + "\n".join(map(str, problems)))
    write_timesheet_template(config, out / "input" / "timesheet-template.xlsx")
    # the invoice template is the one `init` ships: one source, copied
    shutil.copytree(ROOT / "src" / "auftakt_batch" / "skeleton" / "templates", out / "templates", dirs_exist_ok=True)
    if demo:  # last: the statement pays the invoices billing this workspace issues
        write_bank(out, billed(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT, help="workspace folder to write (default: the repo)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--people", type=int, default=len(CAST))
    parser.add_argument("--clients", type=int, default=len(CLIENTS))
    args = parser.parse_args()
    write_demo(args.out, args.seed, args.people, args.clients)
    print(f"wrote {args.out / 'rates.yaml'} and {args.out / 'input'}/")


if __name__ == "__main__":
    main()
