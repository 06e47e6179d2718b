"""Billing models billed exactly once, as a property of whole histories (issue 20).

Hypothesis makes entries over October and November for a client with two monthly retainers (one
rolling unused hours over, one not; both bill their overage), a fixed-price job whose three
milestones are done on random days of October to December, a job capped per month and one capped
in total; then a history of steps: bill a period (a month, the quarter, a week), reveal late
entries, void a live invoice. After every step: no charge key and no entry is on two live
invoices, the series has no gap, a re-run issues nothing and changes no ledger row, and the money
adds up as the test recomputes it from the entries it wrote — a retainer period's fee billed at
most once and its overage exactly the hours beyond the included ones (no rollover) or at most them
(rollover only adds included hours), a milestone at most once and only in a period holding its
`done` day, a capped job's live net never above its cap and, for the month a run covered, exactly
min(cap, the hours' value).

PDFs are the stand-in renderer's (conftest): the property is about the ledger.
"""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auftakt_batch import billing, ledger
from auftakt_batch.periods import parse_period

from .conftest import RATES, TODAY, Workspace, examples, ledger_dump
from .test_billing_models import KAFFEE, lines

HEADER = "date,person,client,job,task,description,hours,billable\n"
PERIODS = ["2026-10", "2026-11", "2026-Q4", "2026-W47"]
MONTHS = ["2026-10", "2026-11", "2026-12"]
INCLUDED = {"care": 4, "desk": 3}  # hours a month
CAPS = {"seo": (Decimal("1000.00"), "month"), "ads": (Decimal("1500.00"), "total")}
RATE = {"seo": Decimal("95.00"), "ads": Decimal("80.00")}
JOBS = ["care", "desk", "launch", "seo", "ads"]
HOUR = 3600


def rates(done: list[date | None]) -> str:
    milestones = "".join(f'            - {{name: M{n}, share: "{share}%"{f", done: {d}" if d else ""}}}\n'
                         for n, (share, d) in enumerate(zip((30, 30, 40), done), 1))
    return RATES + f"""\
  kaffee:
    name: Kaffee & Kuchen KG
    rate: "100.00"
    jobs:
      care:
        name: Website care
        retainer: {{fee: "1000.00", hours: {INCLUDED["care"]}, per: month, overage: bill, overage_rate: "110.00",
                   rollover: {{max_hours: 2}}, from: 2026-10-01}}
      desk:
        name: Help desk
        retainer: {{fee: "600.00", hours: {INCLUDED["desk"]}, per: month, overage: bill, from: 2026-10-01}}
      launch:
        name: Shop launch
        fixed:
          price: "10000.00"
          milestones:
{milestones}      seo:
        name: SEO
        rate: "{RATE["seo"]}"
        cap: {{amount: "{CAPS["seo"][0]}", per: month}}
      ads:
        name: Ads
        rate: "{RATE["ads"]}"
        cap: {{amount: "{CAPS["ads"][0]}", per: total}}
"""


days = st.integers(0, 60).map(lambda d: date(2026, 10, 1) + timedelta(days=d))  # October and November
entries = st.tuples(days, st.sampled_from(["Anna Schmidt", "Ben Okafor"]), st.sampled_from(JOBS),
                    st.integers(1, 40).map(lambda q: q * 15 * 60))  # up to 10 h
steps = st.one_of(st.tuples(st.just("bill"), st.sampled_from(PERIODS)),
                  st.tuples(st.just("late"), st.integers(1, 4)),
                  st.tuples(st.just("void"), st.integers(0, 20)))


@st.composite
def histories(draw):
    done = draw(st.lists(st.one_of(st.none(), st.integers(0, 91).map(lambda d: date(2026, 10, 1) + timedelta(days=d))),
                         min_size=3, max_size=3))
    pool = within_a_day(draw(st.lists(entries, min_size=2, max_size=16)))
    shown = draw(st.integers(1, len(pool)))
    first = ("bill", draw(st.sampled_from(PERIODS)))  # a ledger to start from
    return done, pool, shown, [first, *draw(st.lists(steps, min_size=1, max_size=6))]


def within_a_day(pool: list[tuple]) -> list[tuple]:
    """The entries in order, but none that would make a person's day longer than 24 h: `check`
    rightly holds back a client with such a day (an error), and these histories are of clients
    billed (found by hypothesis: 7:15 + 10:00 + 8:00 for one person on 19 October)."""
    kept, days = [], {}
    for day, person, job, seconds in pool:
        if days.get((day, person), 0) + seconds <= 24 * HOUR:
            days[(day, person)] = days.get((day, person), 0) + seconds
            kept.append((day, person, job, seconds))
    return kept


class History:
    """The entries written so far (each its own words: 'task 3') and the milestones' done days."""

    def __init__(self, ws: Workspace, done: list[date | None], pool: list[tuple], shown: int):
        self.ws, self.done, self.shown = ws, done, shown
        self.pool = [(day, person, job, seconds, f"task {i}") for i, (day, person, job, seconds) in enumerate(pool)]
        ws.rates(rates(done))
        self.write()

    def write(self) -> None:
        self.ws.input("entries.csv", HEADER + "".join(
            f"{day},{person},kaffee,{job},,{words},{seconds // HOUR}:{seconds // 60 % 60:02d},\n"
            for day, person, job, seconds, words in self.pool[:self.shown]))

    def used(self, job: str, month: str) -> int:
        """Seconds of the entries written of `job` in `month`."""
        return sum(s for day, _, j, s, _ in self.pool[:self.shown] if j == job and f"{day:%Y-%m}" == month)


def query(ws: Workspace, sql: str, *args) -> list[tuple]:
    conn = sqlite3.connect(f"file:{ws.root / 'output' / 'ledger.sqlite'}?mode=ro", uri=True)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


LIVE = "JOIN invoices i ON i.id = c.invoice_id WHERE i.status <> 'void' AND i.kind = 'invoice'"


def assert_sound(ws: Workspace, history: History) -> None:
    assert query(ws, f"SELECT c.kind, c.key FROM charges c {LIVE} GROUP BY c.kind, c.key HAVING COUNT(*) > 1") == []
    assert query(ws, f"SELECT c.entry_id FROM billed_entries c {LIVE} AND c.replaces IS NULL GROUP BY c.entry_id "
                     "HAVING COUNT(*) > 1") == []
    numbers = [n for (n,) in query(ws, "SELECT number FROM invoices ORDER BY seq")]
    assert numbers == [f"2026-{n:04d}" for n in range(1, len(numbers) + 1)]  # gapless
    charges = query(ws, f"SELECT c.kind, c.key, c.quantity, i.period FROM charges c {LIVE}")
    for job in INCLUDED:
        for month in MONTHS:
            fees = [c for c in charges if c[:2] == ("retainer", f"retainer:kaffee/{job}:{month}")]
            assert len(fees) <= 1
            over = sum(Decimal(q) for kind, key, q, _ in charges
                       if kind == "overage" and key.startswith(f"overage:kaffee/{job}:{month}:"))
            beyond = Decimal(max(0, history.used(job, month) - INCLUDED[job] * HOUR)) / HOUR
            assert over <= beyond, (job, month, over, beyond)  # rollover only adds included hours
    for n, done in enumerate(history.done, 1):
        billed = [period for kind, key, _, period in charges if (kind, key) == ("milestone", f"milestone:kaffee/launch:M{n}")]
        assert len(billed) <= 1
        assert not billed or (done is not None and done <= TODAY and done in parse_period(billed[0])), (n, done, billed)
    for job, (cap, per) in CAPS.items():
        lines = query(ws, "SELECT l.first_day, l.amount FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id "
                          "WHERE i.status <> 'void' AND i.kind = 'invoice' AND l.job_key = ?", job)
        for month in (MONTHS if per == "month" else ["total"]):
            net = sum((Decimal(a) for day, a in lines if per == "total" or day[:7] == month), Decimal(0))
            assert 0 <= net <= cap, (job, month, net)


def assert_settled(ws: Workspace, history: History, period: str) -> None:
    """What a run for `period` leaves of each month it covers whole: its retainer fees and every
    overage (desk: exactly the hours beyond the included ones), its milestones done by today, the
    capped job's month at min(cap, the hours' value)."""
    covered = parse_period(period)
    months = [m for m in MONTHS if parse_period(m).start >= covered.start and parse_period(m).end <= covered.end]
    charges = query(ws, f"SELECT c.kind, c.key, c.quantity FROM charges c {LIVE}")
    keys = {(kind, key) for kind, key, _ in charges}
    for month in months:
        for job in INCLUDED:
            assert ("retainer", f"retainer:kaffee/{job}:{month}") in keys, (job, month)
        over = sum(Decimal(q) for kind, key, q in charges
                   if kind == "overage" and key.startswith(f"overage:kaffee/desk:{month}:"))
        assert over == Decimal(max(0, history.used("desk", month) - INCLUDED["desk"] * HOUR)) / HOUR, (month, over)
        net = sum((Decimal(a) for (a,) in query(
            ws, "SELECT l.amount FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id WHERE i.status <> 'void' "
                "AND i.kind = 'invoice' AND l.job_key = 'seo' AND substr(l.first_day, 1, 7) = ?", month)), Decimal(0))
        value = RATE["seo"] * Decimal(history.used("seo", month)) / HOUR
        assert net == min(CAPS["seo"][0], value), (month, net, value)
    for n, done in enumerate(history.done, 1):
        if done is not None and done <= TODAY and done in covered:
            assert ("milestone", f"milestone:kaffee/launch:M{n}") in keys, (n, done)


# Each example is a history of up to seven steps, each bill a whole billing run billed again (an example
# costs seconds): CI runs 4, `make fuzz` (the long profile) 40.
@settings(max_examples=examples(4), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_no_history_of_runs_late_entries_and_voids_bills_a_model_charge_twice(tmp_path_factory, scenario):
    done, pool, shown, history_steps = scenario
    ws = Workspace(tmp_path_factory.mktemp("ws"))
    ws.with_templates()
    history = History(ws, done, pool, shown)
    for kind, arg in history_steps:
        if kind == "bill":
            run = billing.bill(ws.root, parse_period(arg), today=TODAY)
            assert run.stopped is None
            before = ledger_dump(ws.root)
            assert billing.bill(ws.root, parse_period(arg), today=TODAY).issued == ()  # a re-run bills nothing
            assert ledger_dump(ws.root) == before
            if arg != "2026-W47":
                assert_settled(ws, history, arg)
        elif kind == "late":
            history.shown = min(len(history.pool), history.shown + arg)
            history.write()
        else:
            live = [r.number for r in ledger.read_invoices(ws.root / "output" / "ledger.sqlite")
                    if r.kind == "invoice" and r.status == "issued"]
            if live:
                billing.void(ws.root, live[arg % len(live)], "corrected", today=TODAY)
        assert_sound(ws, history)


def test_a_quarter_billed_at_once_rolls_over_as_its_months_billed_one_by_one(ws):
    """Found by the property: a run over several retainer periods rolled nothing over into the later
    ones, as the earlier ones were not in the ledger yet — a quarter's run billed more overage."""
    ws.rates(RATES + KAFFEE)
    ws.with_templates()
    ws.input("autumn.csv", HEADER + "2026-10-05,Anna Schmidt,kaffee,care,,Updates,9,\n"
                                    "2026-11-03,Anna Schmidt,kaffee,care,,Updates,8,\n"
                                    "2026-11-10,Anna Schmidt,kaffee,care,,Security fixes,9,\n")
    (invoice,) = billing.bill(ws.root, parse_period("2026-Q4"), today=TODAY).issued
    # October: 9 h of 12, 3 h roll over (under the 6 h cap); November: 17 h of 12 + 3 = 15: 2 h × 110.00 —
    # as when October and November are billed one by one (test_billing_models); December: 12 + 6 (capped), unused
    assert [line for line in lines(ws, invoice.number) if line[0] == "care"] == [
        ("care", "MON", "1", "1500.00", "1500.00"), ("care", "MON", "1", "1500.00", "1500.00"),
        ("care", "HUR", "2", "110.00", "220.00"), ("care", "MON", "1", "1500.00", "1500.00")]


# ---- expenses: over overlapping exports, re-runs and voids, each billed once at cost plus markup

EXPENSE_HEADER = "date,person,client,job,category,description,amount,currency,billable,receipt\n"
expense = st.tuples(st.integers(1, 30), st.sampled_from(["ACME", "globex"]), st.integers(1, 50_000),
                    st.booleans())
MARKUP = {"acme": Decimal("12.5"), "globex": Decimal(0)}


# Each example bills up to three rounds of exports, each billed again (up to six whole billing runs; an
# example costs seconds): CI runs 5, `make fuzz` (the long profile) 50.
@settings(max_examples=examples(5), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(expense, min_size=1, max_size=8), st.data())
def test_expenses_over_overlapping_exports_and_voids_are_billed_once_at_cost_plus_markup(tmp_path_factory, pool,
                                                                                         data):
    ws = Workspace(tmp_path_factory.mktemp("ws")).with_templates()
    ws.rates(RATES.replace('    rate: "120.00"\n', '    rate: "120.00"\n    expenses: {markup: "12.5%"}\n', 1))
    rows = [f"2026-11-{day:02d},Anna Schmidt,{client},,Travel,trip {i},{cents / 100:.2f},EUR,"
            f"{'yes' if billable else 'no'},\n" for i, (day, client, cents, billable) in enumerate(pool)]
    for _ in range(data.draw(st.integers(1, 3))):
        for old in (ws.root / "input").glob("*.csv"):
            old.unlink()
        exports = data.draw(st.lists(st.sets(st.sampled_from(range(len(pool))), min_size=1), min_size=1, max_size=3))
        for n, members in enumerate(exports):
            ws.input(f"expenses-{n}.csv", EXPENSE_HEADER + "".join(rows[i] for i in sorted(members)))
        billing.bill(ws.root, parse_period("2026-11"), today=TODAY)
        live = query(ws, "SELECT c.key, l.amount, l.detail, i.client_key FROM charges c JOIN invoices i "
                         "ON i.id = c.invoice_id JOIN invoice_lines l ON l.invoice_id = c.invoice_id "
                         "AND l.position = c.position WHERE c.live = 1 AND c.kind = 'expense'")
        assert len({key for key, *_ in live}) == len(live)  # billed at most once
        shown = {f"Travel — trip {i}" for members in exports for i in members if pool[i][3]}
        assert shown <= {detail for _, _, detail, _ in live}  # each billable one the exports hold is billed
        for _, amount, detail, client in live:  # at cost plus the client's markup, half-up to the cent
            (_day, _, cents, billable), = [p for i, p in enumerate(pool) if detail == f"Travel — trip {i}"]
            assert billable
            factor = (100 + MARKUP[client]) / 100
            assert Decimal(amount) == (Decimal(cents) / 100 * factor).quantize(Decimal("0.01"), "ROUND_HALF_UP")
        before = ledger_dump(ws.root)
        assert billing.bill(ws.root, parse_period("2026-11"), today=TODAY).issued == ()
        assert ledger_dump(ws.root) == before
        numbers = [r.number for r in ledger.read_invoices(ws.root / "output" / "ledger.sqlite")
                   if r.kind == "invoice" and r.status == "issued"]
        if numbers and data.draw(st.booleans()):
            billing.void(ws.root, data.draw(st.sampled_from(numbers)), "corrected", today=TODAY)
