"""The money guarantees of PRODUCT.md, as properties.

Proven here, against an oracle in exact rational arithmetic (`fractions.Fraction`, so the
oracle shares no rounding code with the `decimal` module the product uses):

1. Money never touches float: every amount of a Draft (line quantity, unit price and amount,
   VAT rate, net, VAT, gross) is a `decimal.Decimal` and equals the exact computation from
   integer seconds and Decimal rates; rates.yaml reads a rate, quoted or a bare YAML number,
   as the very Decimal written; a float rate is refused (a TypeError: the refusal is
   Decimal's own, mixed Decimal × float arithmetic, the code has no explicit guard).
2. Each line amount is its printed quantity (hours, half-up to 4 places) × unit price,
   rounded half-up to whole cents; the net is the exact sum of the line amounts, also as
   printed on the invoice.
3. VAT is the net × the rate, rounded half-up to cents (a tie at exactly .005 goes up, not to
   the even cent); gross = net + VAT. A Draft carries one VAT rate (the agency's for
   `vat: standard`, 0 otherwise), so "per rate" is this one computation.
4. A credit note built by `billing.credit_for`, as `void` builds it (each line with quantity and amount
   negated) cancels its original exactly: per line, net, VAT and gross, also after both have
   been stored in and read back from the ledger, as `void` reads the original.
5. Time rounding (rates.yaml `rounding: {minutes: 1..60, mode: up | down | nearest}`): the
   billed time is a multiple of the step, within one step of the tracked time in the mode's
   direction (`up` never bills less, `down` never more, `nearest` is within half a step with
   a half going up), and rounding is idempotent.

Speed: Hypothesis itself costs 1-3 ms per example on this 2-core machine, so the counts keep
the file under ~40 s. The pure arithmetic (`invoices.quantity`, `pricing.amount`, the `Draft`
totals of up to 4 lines, the credit note) runs at 2000 examples per property.
`pricing.round_seconds` is vectorised and costs ~5 ms per call whatever its length, so each of
its 400 examples is a batch of up to 30 entries with their own rules (some 6000 rounded
entries). The narrow families run at fewer: half-cent VAT ties 300, rates.yaml reading 200.
The whole path — rates.yaml text and a DataFrame of entries through `pricing.price` and
`invoices.draft_invoices` (~45 ms of the product's own pandas work per example), then the
printed invoice or the ledger — runs at 120 examples, and 50 more through the ledger.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timezone
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from auftakt_batch import ledger
from auftakt_batch.billing import credit_for
from auftakt_batch.config import NO_ROUNDING, Rounding, parse_config
from auftakt_batch.periods import parse_period
from auftakt_batch.pricing import amount, price, round_seconds
from auftakt_batch.pricing.invoices import HUR, Draft, Line, draft_invoices, quantity
from auftakt_batch.render.invoice import Issue, context
from auftakt_batch.reports.figures import per_pair

from .conftest import RATES, TODAY, examples

NOVEMBER = parse_period("2026-11")
DAY = date(2026, 11, 3)
ISSUE = Issue("2026-0001", TODAY, TODAY, datetime(2026, 12, 3, 12, tzinfo=timezone.utc))

# --- strategies ------------------------------------------------------------------------------

prices = st.decimals(min_value=0, max_value=10000, places=2)  # hourly rates, as rates.yaml writes them
line_seconds = st.integers(1, 400 * 3600)  # a line's billed time: up to a busy month on one job
entry_seconds = st.integers(0, 10 * 3600)  # one tracked entry
# rates.yaml takes any percentage from 0 to 100; real ones first, then anything with cents
vat_rates = st.one_of(st.sampled_from([Decimal(v) for v in ("19", "7", "20", "21", "8.1", "5.5", "2.6", "0")]),
                      st.decimals(min_value=0, max_value=100, places=2))
modes = st.sampled_from(["up", "down", "nearest"])
roundings = st.none() | st.builds(Rounding, st.integers(1, 60), modes)  # rates.yaml allows 1..60 minutes
yaml_roundings = roundings | st.just(NO_ROUNDING)  # as rates.yaml gives them: no key, a rule, or `rounding: none`
priced_lines = st.lists(st.tuples(line_seconds, prices), max_size=4)


# --- the oracle: exact rationals -------------------------------------------------------------

def exact(value) -> Fraction:
    """The exact value of a Decimal, failing for anything else (a float, an int, None)."""
    assert type(value) is Decimal, f"{value!r} is a {type(value).__name__}, not a Decimal"
    return Fraction(value)


def cents(value) -> Fraction:
    """The exact value of an amount of money, which must be a Decimal of exactly two places."""
    x = exact(value)
    assert value.as_tuple().exponent == -2, f"{value!r} is not whole cents"
    return x


def half_up(x: Fraction, places: int) -> Fraction:
    """x rounded to `places` decimals, a half away from zero (ROUND_HALF_UP)."""
    scale = 10 ** places
    n = math.floor(abs(x) * scale + Fraction(1, 2))
    return Fraction(n if x >= 0 else -n, scale)


def hours(seconds: int) -> Fraction:
    return half_up(Fraction(seconds, 3600), 4)


def billed(seconds: int, rule: Rounding | None) -> int:
    """The one multiple of the step that each mode's definition allows."""
    if rule is None or rule == NO_ROUNDING:
        return seconds
    step = rule.minutes * 60
    below = seconds - seconds % step
    above = below if seconds % step == 0 else below + step
    return {"down": below, "up": above, "nearest": below if 2 * (seconds - below) < step else above}[rule.mode]


def assert_rounded(tracked: int, result: int, step: int, mode: str) -> None:
    """PRODUCT.md's rounding rule, said without computing it."""
    assert result % step == 0, f"{result} s is not a multiple of {step} s"
    if mode == "up":
        assert tracked <= result < tracked + step
    elif mode == "down":
        assert tracked - step < result <= tracked
    else:
        assert 2 * abs(result - tracked) <= step and (2 * (result - tracked) != -step), "nearest, a half going up"


# --- building Drafts by hand (the fast path) -------------------------------------------------

def line(seconds: int, unit_price: Decimal) -> Line:
    """A line as invoices._lines builds it: the printed quantity, then the amount from it."""
    qty = quantity(seconds)
    return Line(job_key="website", job_name="Website relaunch", detail="", unit=HUR, quantity=qty,
                unit_price=unit_price, amount=amount(qty, unit_price), first_day=DAY, last_day=DAY)


def draft(lines, vat_rate: Decimal) -> Draft:
    return Draft("acme", "EUR", NOVEMBER, tuple(lines), "standard" if vat_rate else "exempt", vat_rate)


# --- 1 and 2: lines and net ------------------------------------------------------------------

@settings(max_examples=examples(2000), deadline=None)
@given(priced_lines, vat_rates)
@example([(1, Decimal("120.00"))], Decimal(19))  # 0.0003 h
@example([(1800, Decimal("0.01"))], Decimal(19))  # 0.5 h × 0.01 = 0.005: half a cent, up
@example([(2 * 3600 + 18, Decimal("0.05"))], Decimal(19))  # 2.005 h × 0.05 = 0.10025
def test_draft_totals_are_exact(items, vat_rate):
    d = draft([line(s, p) for s, p in items], vat_rate)
    amounts = [half_up(hours(s) * Fraction(p), 2) for s, p in items]
    assert [cents(ln.amount) for ln in d.lines] == amounts
    assert cents(d.net) == sum(amounts)  # the exact sum of the lines
    assert exact(d.vat_rate) == Fraction(vat_rate)
    assert cents(d.vat) == half_up(sum(amounts) * Fraction(vat_rate) / 100, 2)
    assert cents(d.gross) == cents(d.net) + cents(d.vat)
    assert exact(d.hours) == sum(hours(s) for s, _ in items)


# --- 3: VAT, half-up at exactly half a cent --------------------------------------------------

@settings(max_examples=examples(300), deadline=None)
@given(st.integers(0, 10**7), st.sampled_from([1, 3, 5, 7, 19, 21, 25]))
@example(1, 19)  # net 1.50 at 19 % = 0.285: 0.29 (banker's rounding would say 0.28)
@example(0, 5)  # net 0.50 at 5 % = 0.025: 0.03 (banker's: 0.02)
def test_vat_rounds_a_half_cent_up(euros, percent):
    # at an odd whole percentage p, a net of n.50 € puts the VAT at (100n + 50) · p / 10000 €,
    # an odd multiple of half a cent: exactly x.xx5, a tie
    net = Decimal(euros) + Decimal("0.50")
    tie = Fraction(net) * percent / 100
    d = draft([Line(job_key="website", job_name="Website", detail="", unit=HUR, quantity=Decimal(1), unit_price=net,
                    amount=net, first_day=DAY, last_day=DAY)], Decimal(percent))  # 1 h × net
    assert cents(d.vat) == tie + Fraction(5, 1000)  # up, whatever the cent before
    assert cents(credit_for(d).vat) == -(tie + Fraction(5, 1000))  # and away from zero on a credit note
    assert cents(d.gross) == Fraction(net) + cents(d.vat)


# --- 4: a credit note cancels its original ---------------------------------------------------

def assert_cancels(original: Draft, credit: Draft) -> None:
    assert len(credit.lines) == len(original.lines)
    for o, c in zip(original.lines, credit.lines):
        assert exact(o.quantity) + exact(c.quantity) == 0
        assert cents(o.amount) + cents(c.amount) == 0
        assert exact(c.unit_price) == exact(o.unit_price)
    assert cents(original.net) + cents(credit.net) == 0
    assert cents(original.vat) + cents(credit.vat) == 0
    assert cents(original.gross) + cents(credit.gross) == 0
    assert exact(credit.vat_rate) == exact(original.vat_rate)


@settings(max_examples=examples(2000), deadline=None)
@given(priced_lines, vat_rates)
def test_credit_note_cancels_its_original(items, vat_rate):
    original = draft([line(s, p) for s, p in items], vat_rate)
    assert_cancels(original, credit_for(original))


# --- 5: time rounding ------------------------------------------------------------------------

@settings(max_examples=examples(400), deadline=None)
@given(st.lists(st.tuples(entry_seconds, roundings), min_size=1, max_size=30))
@example([(450, Rounding(15, "nearest")), (449, Rounding(15, "nearest"))])  # 7.5 min: a half goes up
@example([(0, Rounding(15, "up")), (1, Rounding(15, "up")), (899, Rounding(15, "down")), (900, Rounding(6, "up"))])
def test_time_rounding(rows):
    """Each row: tracked seconds and its rule (None: no rounding), all in one vectorised call,
    which also rounds the rounded values once more (idempotence)."""
    tracked = [s for s, _ in rows]
    once = [billed(s, rule) for s, rule in rows]  # the oracle's values, fed back in below
    steps = [rule.minutes * 60 if rule else 1 for _, rule in rows]
    modes_ = [rule.mode if rule else "none" for _, rule in rows]
    result = round_seconds(pd.Series(tracked + once, dtype="Int64"), pd.Series(steps * 2, dtype="Int64"),
                           pd.Series(modes_ * 2)).tolist()
    for s, r, step, mode in zip(tracked, result, steps, modes_):
        if mode == "none":
            assert r == s  # no rule: the tracked seconds, unrounded
        else:
            assert_rounded(s, r, step, mode)
    assert result[:len(rows)] == once
    assert result[len(rows):] == once  # rounding the rounded time changes nothing


# --- 1: rates.yaml reads money as the Decimal written ------------------------------------

# (finer rates are refused: test_the_printed_line_multiplies_out)
@settings(max_examples=examples(200), deadline=None)
@given(st.integers(0, 2).flatmap(lambda places: st.decimals(min_value=0, max_value=10000, places=places)),
       st.booleans())
@example(Decimal("0.1"), False)  # not a float's 0.1000000000000000055511151231257827
@example(Decimal("120.00"), False)  # trailing zeros kept
def test_rates_yaml_reads_the_decimal_written(rate, quoted):
    text = f'"{rate}"' if quoted else str(rate)
    config, problems = parse_config(RATES.replace('rate: "120.00"', f"rate: {text}"))
    assert not problems
    read = config.clients["acme"].rate.at(DAY)
    assert exact(read) == Fraction(rate) and str(read) == str(rate)


# --- the whole path: rates.yaml text and a DataFrame of entries -------------------------------

JOBS = {"acme": "website", "globex": "app"}
PEOPLE = ["Anna Schmidt", "Ben Okafor"]


def rate_text(rate: Decimal, quoted: bool) -> str:
    return f'"{rate}"' if quoted else str(rate)


def rule_text(rule: Rounding | None) -> str:
    if rule == NO_ROUNDING:
        return "none"
    return f"{{minutes: {rule.minutes}, mode: {rule.mode}}}" if rule else ""


@st.composite
def workspaces(draw):
    """(rates.yaml text, what it says) — rates, VAT, grouping and rounding drawn."""
    says = {
        "acme": draw(prices), "globex": draw(prices), "quoted": draw(st.booleans()),
        "vat_rate": draw(vat_rates.filter(bool)),  # rates.yaml refuses 0 % for a standard client (globex)
        "acme_vat": draw(st.sampled_from(["standard", "reverse-charge", "exempt"])),
        "group_by": draw(st.sampled_from(["job", "job+person", "job+task", "entry"])),
        "agency_rounding": draw(yaml_roundings), "globex_rounding": draw(yaml_roundings),
    }
    agency = f'  vat_rate: "{says["vat_rate"]}"\n  group_by: {says["group_by"]}\n'
    if says["agency_rounding"]:
        agency += f"  rounding: {rule_text(says['agency_rounding'])}\n"
    globex = f'rate: {rate_text(says["globex"], says["quoted"])}'
    if says["globex_rounding"]:
        globex += f", rounding: {rule_text(says['globex_rounding'])}"
    text = (RATES.replace('  vat_rate: "19"\n', agency)
            .replace('    rate: "120.00"\n', f'    rate: {rate_text(says["acme"], says["quoted"])}\n'
                                            f'    vat: {says["acme_vat"]}\n    vat_id: ATU12345678\n    country: AT\n')
            .replace('rate: "150.00"', globex))
    return text, says


# (client, person, day, tracked seconds, task, billable)
entry_rows = st.lists(st.tuples(st.sampled_from(sorted(JOBS)), st.sampled_from(PEOPLE), st.integers(1, 30),
                                entry_seconds, st.integers(0, 2), st.booleans() | st.just(True)),
                      min_size=1, max_size=12)


def entries_frame(rows, config) -> pd.DataFrame:
    """Entries as resolve.py hands them to pricing: one row per entry, names resolved."""
    frame = pd.DataFrame({
        "client_key": [r[0] for r in rows], "job_key": [r[1] for r in rows], "person_name": [r[2] for r in rows],
        "date": pd.to_datetime([f"2026-11-{r[3]:02d}" for r in rows]),
        "duration_s": pd.Series([r[4] for r in rows], dtype="Int64"),
        "task": [f"task {r[5]}" for r in rows], "billable": [r[6] for r in rows],
        "description": [f"entry {i}" for i in range(len(rows))],
        "entry_id": [f"{i:020x}" for i in range(len(rows))], "slot": [f"d:{i:020x}" for i in range(len(rows))],
        "source_file": "input/timesheet.csv", "source_row": range(2, len(rows) + 2),
    })
    return frame.assign(start=pd.Series(pd.NaT, index=frame.index, dtype="datetime64[us, UTC]"),
                        local_start=pd.Series(pd.NaT, index=frame.index, dtype="datetime64[us]"))


def drafts_for(text: str, rows):
    config, problems = parse_config(text)
    assert not problems
    frame = entries_frame([(client, JOBS[client], person, day, seconds, task, ok)
                           for client, person, day, seconds, task, ok in rows], config)
    return config, {d.client_key: d for d in draft_invoices(price(frame, config), config, NOVEMBER)}


def rule_for(client: str, says: dict) -> Rounding | None:
    """The job's rule (globex's app may have one, or none), else the agency's."""
    return says["globex_rounding"] if client == "globex" and says["globex_rounding"] else says["agency_rounding"]


def expected_lines(rows, says) -> dict[str, dict[frozenset, tuple]]:
    """client -> {the entry ids of a line: (hours, unit price, amount)}, from the definitions."""
    groups: dict[tuple, list] = {}
    for i, (client, person, _, seconds, task, ok) in enumerate(rows):
        seconds = billed(seconds, rule_for(client, says))
        key = {"job": (), "job+person": (person,), "job+task": (task,), "entry": (i,)}[says["group_by"]]
        if ok and seconds > 0:  # one client's entries have one job, and one rate
            groups.setdefault((client, key), []).append((i, seconds))
    lines: dict[str, dict[frozenset, tuple]] = {}
    for (client, _), members in groups.items():
        qty = hours(sum(s for _, s in members))
        unit_price = Fraction(says[client])
        lines.setdefault(client, {})[frozenset(f"{i:020x}" for i, _ in members)] = (
            qty, unit_price, half_up(qty * unit_price, 2))
    return lines


GROUPING = st.sampled_from(["job", "job+person", "job+task", "entry"])


@settings(max_examples=examples(120), deadline=None)
@given(workspaces(), GROUPING, GROUPING, entry_rows)
def test_a_clients_draft_is_its_own_entries_alone(workspace, acme_by, globex_by, rows):
    """Drafting drafts every client at once, the clients that group alike in one pass: each
    client's draft, grouped its own way, is the one its entries alone would give — also where two
    clients have a job of the same key (globex's is called website here, as acme's is)."""
    text = workspace[0].replace("      app: {", "      website: {").replace("    name: ACME GmbH\n", f"    name: ACME GmbH\n    group_by: {acme_by}\n").replace(
        "    name: Globex Corporation\n", f"    name: Globex Corporation\n    group_by: {globex_by}\n")
    config, problems = parse_config(text)
    assert not problems
    priced = price(entries_frame([(client, "website", *rest) for client, *rest in rows], config), config)
    together = {d.client_key: d for d in draft_invoices(priced, config, NOVEMBER)}
    for client, draft in together.items():
        alone = draft_invoices(priced[priced["client_key"].eq(client)], config, NOVEMBER)
        assert alone == [draft]
    assert set(together) <= {r[0] for r in rows}


@pytest.mark.parametrize("rate", [120.0, 0.1, 99.99])
def test_a_float_rate_is_refused(rate):
    """No explicit guard: pricing.amount multiplies the Decimal quantity by the rate, and
    Decimal refuses a float operand, so a float that slipped into a priced frame stops the draft."""
    config, _ = parse_config(RATES)
    frame = price(entries_frame([("acme", "website", "Anna Schmidt", 3, 3600, 0, True)], config), config)
    frame["rate"] = pd.Series([rate], dtype=object)
    with pytest.raises(TypeError, match="decimal.Decimal.*float"):
        draft_invoices(frame, config, NOVEMBER)


def printed(text: str) -> Fraction:
    """An amount as the English invoice prints it ('€1,234.50', '-€0.29'), read back."""
    return Fraction(Decimal(re.sub(r"[^0-9.-]", "", text)))


@settings(max_examples=examples(120), deadline=None)
@given(workspaces(), entry_rows)
def test_drafts_from_entries_are_exact(workspace, rows):
    text, says = workspace
    config, drafts = drafts_for(text, rows)
    expected = expected_lines(rows, says)
    assert set(drafts) == set(expected)
    for client, d in drafts.items():
        assert {frozenset(b.entry_id for b in ln.entries): (exact(ln.quantity), exact(ln.unit_price), cents(ln.amount))
                for ln in d.lines} == expected[client]
        rule = rule_for(client, says)
        for ln in d.lines:
            for b in ln.entries:
                tracked = rows[int(b.entry_id, 16)][3]
                assert type(b.billed_s) is int
                if rule == NO_ROUNDING:
                    assert b.billed_s == tracked  # `rounding: none`: as tracked, whatever the agency's rule
                elif rule:
                    assert_rounded(tracked, b.billed_s, rule.minutes * 60, rule.mode)
                else:
                    assert b.billed_s == tracked
        net = sum(amount_ for _, _, amount_ in expected[client].values())
        vat_rate = Fraction(says["vat_rate"]) if client == "globex" or says["acme_vat"] == "standard" else 0
        assert (cents(d.net), exact(d.vat_rate), cents(d.vat), cents(d.gross)) == (
            net, vat_rate, half_up(net * vat_rate / 100, 2), net + half_up(net * vat_rate / 100, 2))
        shown = context(d, config, ISSUE)  # the invoice as printed: its lines add up to its net
        assert [printed(ln["amount"]) for ln in shown["lines"]] == [cents(ln.amount) for ln in d.lines]
        assert sum(printed(ln["amount"]) for ln in shown["lines"]) == printed(shown["net"]) == net
        assert printed(shown["net"]) + printed(shown["vat"]) == printed(shown["gross"]) == cents(d.gross)


@settings(max_examples=examples(50), deadline=None)
@given(workspaces(), entry_rows)
def test_credit_note_cancels_its_original_through_the_ledger(workspace, rows):
    text, _ = workspace
    config, drafts = drafts_for(text, rows)
    conn = ledger.connect(Path(":memory:"))
    try:
        for d in drafts.values():
            number = ledger.record_pending(conn, config.agency.invoice_number, d, kind="invoice", issue_date=TODAY,
                                           due_date=TODAY, stamped_at=ISSUE.stamped_at)
            ledger.mark_issued(conn, number, f"{number}.pdf", "0" * 64)
            stored = ledger.stored_draft(conn, number).draft  # what void reads: the money exactly as billed
            assert [(exact(ln.quantity), exact(ln.unit_price), cents(ln.amount)) for ln in stored.lines] == [
                (exact(ln.quantity), exact(ln.unit_price), cents(ln.amount)) for ln in d.lines]
            assert (cents(stored.net), cents(stored.vat), cents(stored.gross)) == (
                cents(d.net), cents(d.vat), cents(d.gross))
            note = ledger.record_pending(conn, config.agency.invoice_number, credit_for(stored), kind="credit-note",
                                         issue_date=TODAY, due_date=TODAY, stamped_at=ISSUE.stamped_at,
                                         refers_to=number, reason="test")
            assert_cancels(d, ledger.stored_draft(conn, note).draft)
    finally:
        conn.close()


@settings(max_examples=examples(300), deadline=None)
@given(st.integers(2, 4).flatmap(lambda places: st.decimals(min_value=0, max_value=10000, places=places)),
       line_seconds)
@example(Decimal("0.125"), 3600)
def test_the_printed_line_multiplies_out(rate, seconds):
    """A rate finer than cents is refused by rates.yaml; any other prints a line that multiplies out."""
    config, problems = parse_config(RATES.replace('rate: "120.00"', f'rate: "{rate}"'))
    if rate != rate.quantize(Decimal("0.01")):
        assert config is None and "more than 2 decimal places" in str(problems[0])
        return
    d = draft([line(seconds, config.clients["acme"].rate.at(DAY))], Decimal(19))
    shown = context(d, config, ISSUE)["lines"][0]
    assert half_up(printed(shown["quantity"]) * printed(shown["unit_price"]), 2) == printed(shown["amount"])


@settings(max_examples=examples(300), deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), st.integers(0, 40 * 3600)),
                          st.sampled_from([Decimal("120.00"), Decimal("95.50"), Decimal("0.01"), Decimal("1234.5678")]),
                          st.booleans()), max_size=40))
def test_an_amount_computed_once_per_distinct_pair_is_each_rows_own(rows):
    """The report's values and costs (figures.per_pair): each row's amount is the one computed for
    it alone — whatever repeats, whatever is skipped — and ZERO where it is not priced."""
    seconds = pd.Series([s for s, _, _ in rows], dtype="Int64")
    rates = pd.Series([r for _, r, _ in rows], dtype=object)
    priced = pd.Series([p and s is not None for s, _, p in rows], dtype=bool)
    got = per_pair(seconds, rates, priced, lambda s, r: amount(quantity(int(s)), r))
    assert got.tolist() == [amount(quantity(s), r) if p and s is not None else Decimal("0.00") for s, r, p in rows]
    assert all(isinstance(v, Decimal) for v in got)
