"""rates.yaml's billing models (PRODUCT.md "Billing models"): a job's retainer, fixed price with
milestones or cap, and a client's expense markup, read into exact values — every mistake an error
at its line and key path, saying what to write instead."""

import re
from datetime import date
from decimal import Decimal

import pytest

from auftakt_batch.config import Cap, Fixed, Milestone, Retainer, parse_config
from auftakt_batch.config.reader import EXAMPLES

from .conftest import RATES, ROOT, edited

# PRODUCT.md's example, as a fourth client after RATES' 35 lines: `kaffee:` is line 36.
KAFFEE = RATES + """\
  kaffee:
    name: Kaffee Kontor
    expenses: {markup: "10%"}
    jobs:
      care:
        retainer:
          fee: "1500.00"
          hours: 12
          per: month
          overage: bill
          overage_rate: "110.00"
          rollover: {max_hours: 6}
          from: 2026-01-01
      launch:
        rate: "100.00"
        fixed:
          price: "12000.00"
          milestones:
            - {name: Design sign-off, share: "30%", done: 2026-10-15}
            - {name: Launch, share: "70%"}
      seo:
        rate: "95.00"
        cap: {amount: "2000.00", per: month}
"""
RETAINER = """\
          fee: "1500.00"
          hours: 12
          per: month
          overage: bill
          overage_rate: "110.00"
          rollover: {max_hours: 6}
          from: 2026-01-01
"""
MILESTONES = """\
            - {name: Design sign-off, share: "30%", done: 2026-10-15}
            - {name: Launch, share: "70%"}
"""


def kaffee(old: str = "", new: str = ""):
    """The kaffee client of KAFFEE with `old` replaced by `new`."""
    config, problems = parse_config(edited(KAFFEE, old, new) if old else KAFFEE)
    assert problems == []
    return config.clients["kaffee"]


def errors(old: str, new: str, text: str = KAFFEE) -> list[str]:
    config, problems = parse_config(edited(text, old, new))
    assert config is None
    return [str(p) for p in problems]


def test_the_contract_s_example_reads_into_exactly_these_values():
    client = kaffee()
    assert client.expense_markup == Decimal("10")
    care, launch, seo = client.jobs["care"], client.jobs["launch"], client.jobs["seo"]
    assert care.retainer == Retainer(fee=Decimal("1500.00"), hours=Decimal("12"), per="month", overage="bill",
                                     overage_rate=Decimal("110.00"), rollover_max_hours=Decimal("6"),
                                     start=date(2026, 1, 1), until=None)
    assert launch.fixed == Fixed(price=Decimal("12000.00"), milestones=(
        Milestone(name="Design sign-off", amount=Decimal("3600.00"), done=date(2026, 10, 15)),
        Milestone(name="Launch", amount=Decimal("8400.00"), done=None)))
    assert seo.cap == Cap(amount=Decimal("2000.00"), per="month")
    assert (care.fixed, care.cap, launch.retainer, launch.cap, seo.retainer, seo.fixed) == (None,) * 6


def test_hourly_jobs_and_clients_without_expenses_are_as_before():
    config, problems = parse_config(RATES)
    assert problems == []
    jobs = [job for client in config.clients.values() for job in client.jobs.values()]
    assert {(job.retainer, job.fixed, job.cap) for job in jobs} == {(None, None, None)}
    assert {client.expense_markup for client in config.clients.values()} == {Decimal(0)}


@pytest.mark.parametrize("markup, value", [('"10%"', "10"), ('"10"', "10"), ("10", "10"), ('"7.5 %"', "7.5"),
                                           ("0", "0"), ("12.5%", "12.5")])
def test_an_expense_markup_is_a_percent_written_with_or_without_its_sign(markup, value):
    assert kaffee('markup: "10%"', f"markup: {markup}").expense_markup == Decimal(value)


def test_expenses_with_nothing_under_them_mark_nothing_up():
    assert kaffee('expenses: {markup: "10%"}', "expenses:").expense_markup == Decimal(0)


@pytest.mark.parametrize("new, expected", [
    ('{markup: "-5%"}', "clients.kaffee.expenses.markup: must be at least 0, got -5%"),
    ('{markup: "ten %"}', "clients.kaffee.expenses.markup: not a percent: 'ten %' — write it like \"10%\""),
    ('{markup: "10%", fee: "5"}', "clients.kaffee.expenses.fee: unknown key — allowed here: markup"),
    ('{markup: "10%", markups: "5"}', "clients.kaffee.expenses.markups: unknown key — did you mean 'markup'?"),
])
def test_expense_markup_errors(new, expected):
    assert errors('{markup: "10%"}', new) == [f"rates.yaml:38: {expected}"]


def test_a_retainer_bills_overage_by_default_and_rolls_nothing_over():
    minimal = '          fee: "1500.00"\n          hours: 12\n          per: quarter\n          from: 2026-04-01\n'
    retainer = kaffee(RETAINER, minimal + '        rate: "100.00"\n').jobs["care"].retainer
    assert retainer == Retainer(fee=Decimal("1500.00"), hours=Decimal("12"), per="quarter", overage="bill",
                                start=date(2026, 4, 1))


def test_a_retainer_with_an_end_and_overage_absorbed():
    retainer = kaffee(RETAINER, RETAINER.replace("overage: bill", "overage: absorb").replace(
        "          overage_rate: \"110.00\"\n", "") + "          until: 2026-12-31\n").jobs["care"].retainer
    assert (retainer.overage, retainer.overage_rate, retainer.until) == ("absorb", None, date(2026, 12, 31))


@pytest.mark.parametrize("rollover", ["{max_hours: 0}", '{max_hours: "0.0"}'])
def test_a_rollover_of_0_hours_is_no_rollover(rollover):
    assert kaffee("{max_hours: 6}", rollover).jobs["care"].retainer.rollover_max_hours is None


def test_included_hours_may_be_0_and_fractional():
    assert kaffee("hours: 12", "hours: 0").jobs["care"].retainer.hours == Decimal(0)
    assert kaffee("hours: 12", 'hours: "7.5"').jobs["care"].retainer.hours == Decimal("7.5")


@pytest.mark.parametrize("old, new, expected", [
    ('fee: "1500.00"', 'fee: "0.00"',
     'rates.yaml:42: clients.kaffee.jobs.care.retainer.fee: must be more than 0, got 0.00 — write it like "1500.00"'),
    ('fee: "1500.00"', 'fee: "-1500"',
     'rates.yaml:42: clients.kaffee.jobs.care.retainer.fee: must be more than 0, got -1500 — write it like "1500.00"'),
    ('fee: "1500.00"', 'fee: "15oo"',
     "rates.yaml:42: clients.kaffee.jobs.care.retainer.fee: not a number: '15oo' — write it like \"120.00\""),
    ('fee: "1500.00"', 'fee: "1500.005"',
     'rates.yaml:42: clients.kaffee.jobs.care.retainer.fee: 1500.005 has more than 2 decimal places — invoices are '
     'in cents, write it like "1500.00"'),
    ("hours: 12", "hours: -1", "rates.yaml:43: clients.kaffee.jobs.care.retainer.hours: must be at least 0, got -1"),
    ("hours: 12", "hours: twelve",
     "rates.yaml:43: clients.kaffee.jobs.care.retainer.hours: not a number: 'twelve' — write it like \"120.00\""),
    ("per: month\n", "per: week\n",
     "rates.yaml:44: clients.kaffee.jobs.care.retainer.per: must be one of month | quarter, got 'week'"),
    ("overage: bill", "overage: waive",
     "rates.yaml:45: clients.kaffee.jobs.care.retainer.overage: must be one of bill | absorb, got 'waive'"),
    ('overage_rate: "110.00"', "overage_rate: 0",
     'rates.yaml:46: clients.kaffee.jobs.care.retainer.overage_rate: must be more than 0, got 0 — write it like '
     '"110.00"'),
    ("{max_hours: 6}", "{max_hours: -6}",
     "rates.yaml:47: clients.kaffee.jobs.care.retainer.rollover.max_hours: must be at least 0, got -6"),
    ("{max_hours: 6}", "{hours: 6}",
     ["rates.yaml:47: clients.kaffee.jobs.care.retainer.rollover.hours: unknown key — did you mean 'max_hours'?",
      "rates.yaml:47: clients.kaffee.jobs.care.retainer.rollover.max_hours: missing (required) — add `max_hours: 6`"]),
    ("from: 2026-01-01", "from: 2026-13-01",
     "rates.yaml:48: clients.kaffee.jobs.care.retainer.from: not a date: '2026-13-01' — write it as YYYY-MM-DD"),
    ("          rollover", "          rolover",
     "rates.yaml:47: clients.kaffee.jobs.care.retainer.rolover: unknown key — did you mean 'rollover'?"),
])
def test_retainer_value_errors(old, new, expected):
    assert errors(old, new) == ([expected] if isinstance(expected, str) else expected)


@pytest.mark.parametrize("key", ["fee", "hours", "per", "from"])
def test_a_retainer_needs_fee_hours_per_and_from(key):
    line = next(line for line in RETAINER.splitlines(keepends=True) if line.strip().startswith(f"{key}:"))
    assert errors(line, "") == [f"rates.yaml:42: clients.kaffee.jobs.care.retainer.{key}: missing (required) — add "
                                f"`{EXAMPLES[key]}`"]


@pytest.mark.parametrize("old, new, expected", [
    ("from: 2026-01-01", "from: 2026-01-15",
     "48: clients.kaffee.jobs.care.retainer.from: 2026-01-15 is not the first day of a month — write 2026-01-01, "
     "or 2026-02-01 to begin with the next month"),
    ("from: 2026-01-01", "from: 2026-11-01\n          until: 2026-12-15",
     "49: clients.kaffee.jobs.care.retainer.until: 2026-12-15 is not the last day of a month — write 2026-12-31, "
     "or 2026-11-30 to end with the month before"),
    ("from: 2026-01-01", "from: 2026-11-01\n          until: 2026-10-31",
     "49: clients.kaffee.jobs.care.retainer.until: 2026-10-31 is before from (2026-11-01) — write the last day of "
     "the last month billed, 2026-11-30 or later"),
])
def test_a_monthly_retainer_runs_from_a_first_to_a_last_day_of_a_month(old, new, expected):
    assert errors(old, new) == [f"rates.yaml:{expected}"]


@pytest.mark.parametrize("dates, expected", [
    ("from: 2026-02-01", "48: clients.kaffee.jobs.care.retainer.from: 2026-02-01 is not the first day of a quarter "
     "(1 January, April, July or October) — write 2026-01-01, or 2026-04-01 to begin with the next quarter"),
    ("from: 2026-10-01\n          until: 2026-11-30",
     "49: clients.kaffee.jobs.care.retainer.until: 2026-11-30 is not the last day of a quarter (31 March, 30 June, "
     "30 September or 31 December) — write 2026-12-31, or 2026-09-30 to end with the quarter before"),
    ("from: 2026-10-01\n          until: 2026-09-30",
     "49: clients.kaffee.jobs.care.retainer.until: 2026-09-30 is before from (2026-10-01) — write the last day of "
     "the last quarter billed, 2026-12-31 or later"),
])
def test_a_quarterly_retainer_runs_from_a_first_to_a_last_day_of_a_quarter(dates, expected):
    text = edited(KAFFEE, "per: month\n", "per: quarter\n")
    assert errors("from: 2026-01-01", dates, text) == [f"rates.yaml:{expected}"]


def test_a_quarterly_retainer_that_ends():
    assert kaffee("per: month\n", "per: quarter\n").jobs["care"].retainer.per == "quarter"  # from 2026-01-01
    text = edited(edited(KAFFEE, "per: month\n", "per: quarter\n"), "from: 2026-01-01",
                  "from: 2026-10-01\n          until: 2027-03-31")
    config, problems = parse_config(text)
    assert problems == []
    assert (config.clients["kaffee"].jobs["care"].retainer.start,
            config.clients["kaffee"].jobs["care"].retainer.until) == (date(2026, 10, 1), date(2027, 3, 31))


NO_OVERAGE_RATE = ('          overage_rate: "110.00"\n', "")


def test_overage_billed_without_an_overage_rate_needs_an_hourly_rate():
    assert errors(*NO_OVERAGE_RATE) == [
        'rates.yaml:41: clients.kaffee.jobs.care.retainer: overage: bill needs overage_rate or an hourly rate on the '
        'job or client — add overage_rate (e.g. "110.00") or a rate, or write overage: absorb']


def test_overage_billed_by_default_needs_one_too():
    text = edited(KAFFEE, "          overage: bill\n", "")
    assert errors(*NO_OVERAGE_RATE, text) == [
        'rates.yaml:41: clients.kaffee.jobs.care.retainer: overage: bill needs overage_rate or an hourly rate on the '
        'job or client — add overage_rate (e.g. "110.00") or a rate, or write overage: absorb']


@pytest.mark.parametrize("where, rate", [
    ("      care:\n", '        rate: "100.00"\n'),
    ("      care:\n", '        rates: [{from: 2026-01-01, rate: "100.00"}]\n'),
    ("      care:\n", '        person_rates: {Anna Schmidt: "100.00"}\n'),
    ("    name: Kaffee Kontor\n", '    rate: "100.00"\n'),
    ("    name: Kaffee Kontor\n", '    rates: [{from: 2026-01-01, rate: "100.00"}]\n'),
    ("    name: Kaffee Kontor\n", '    role_rates: {designer: "100.00"}\n'),
    ("    name: Kaffee Kontor\n", '    person_rates: {Ben Okafor: "100.00"}\n'),
])
def test_overage_without_its_own_rate_takes_any_hourly_rate_of_the_job_or_client(where, rate):
    text = edited(edited(KAFFEE, *NO_OVERAGE_RATE), where, where + rate)
    config, problems = parse_config(text)
    assert problems == [] and config.clients["kaffee"].jobs["care"].retainer.overage_rate is None


def test_absorbed_overage_needs_no_rate():
    text = edited(edited(KAFFEE, *NO_OVERAGE_RATE), "overage: bill", "overage: absorb")
    config, problems = parse_config(text)
    assert problems == [] and config.clients["kaffee"].jobs["care"].retainer.overage == "absorb"


def fixed_with(milestones: str, price: str = '"12000.00"'):
    """The launch job's fixed price with these milestones (flow mappings, one a line)."""
    return edited(edited(KAFFEE, MILESTONES, milestones), 'price: "12000.00"', f"price: {price}")


def amounts(milestones: str, price: str = '"12000.00"') -> list[Decimal]:
    config, problems = parse_config(fixed_with(milestones, price))
    assert problems == []
    return [m.amount for m in config.clients["kaffee"].jobs["launch"].fixed.milestones]


def test_milestones_by_amount_are_taken_as_written():
    milestones = '            - {name: Design, amount: "4000.00"}\n            - {name: Launch, amount: 8000}\n'
    assert amounts(milestones) == [Decimal("4000.00"), Decimal("8000")]


def test_shares_are_rounded_half_up_to_cents_and_the_last_takes_the_remainder():
    # 1000.00 × 33.33 % = 333.30 twice; the last gets 1000.00 − 666.60 = 333.40 (not 1000.00 × 33.34 % = 333.40 by luck:
    # the next case shows the difference)
    thirds = ('            - {name: One, share: "33.33%"}\n            - {name: Two, share: "33.33%"}\n'
              '            - {name: Three, share: "33.34%"}\n')
    assert amounts(thirds, '"1000.00"') == [Decimal("333.30"), Decimal("333.30"), Decimal("333.40")]
    # 100.00 × 33.333 % = 33.333 → 33.33 twice; the last: 100.00 − 66.66 = 33.34 (its own share, 33.334 %, is 33.33)
    finer = ('            - {name: One, share: "33.333%"}\n            - {name: Two, share: 33.333}\n'
             '            - {name: Three, share: "33.334 %"}\n')
    assert amounts(finer, '"100.00"') == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]
    # 0.10 × 25 % = 0.025 → 0.03 (a half cent goes up) three times; the last: 0.10 − 0.09 = 0.01
    quarters = "".join(f"            - {{name: Q{i}, share: 25%}}\n" for i in range(1, 5))
    assert amounts(quarters, '"0.10"') == [Decimal("0.03"), Decimal("0.03"), Decimal("0.03"), Decimal("0.01")]


def test_shares_that_leave_the_last_milestone_nothing_are_refused():
    # 0.05 × 10 % = 0.005 → 0.01, nine times: 0.09, more than the price
    tenths = "".join(f"            - {{name: M{i}, share: 10%}}\n" for i in range(10))
    assert errors(MILESTONES, tenths, edited(KAFFEE, 'price: "12000.00"', 'price: "0.05"')) == [
        "rates.yaml:63: clients.kaffee.jobs.launch.fixed.milestones[9].share: the others' shares of 0.05, each rounded "
        "to the cent, leave -0.04 for this one — give the milestones amounts instead of shares"]


def test_a_budget_beside_a_fixed_price_and_a_fixed_job_without_a_rate_are_fine():
    client = kaffee('        rate: "100.00"\n        fixed:', "        budget: {hours: 100, per: total}\n        fixed:")
    assert client.jobs["launch"].rate is None and client.jobs["launch"].budget.hours == Decimal(100)


@pytest.mark.parametrize("milestones, expected", [
    ('            - {name: Design, share: "30%"}\n            - {name: Launch, share: "60%"}\n',
     "53: clients.kaffee.jobs.launch.fixed.milestones: shares add to 90 %, not 100 % — change them so they add to "
     "100 %"),
    ('            - {name: Design, share: "33.33%"}\n            - {name: Launch, share: "66.66%"}\n',
     "53: clients.kaffee.jobs.launch.fixed.milestones: shares add to 99.99 %, not 100 % — change them so they add "
     "to 100 %"),
    ('            - {name: Design, amount: "4000.00"}\n            - {name: Launch, amount: "7000.00"}\n',
     "53: clients.kaffee.jobs.launch.fixed.milestones: amounts add to 11000.00, not the price 12000.00 — change them "
     "(or the price) so they add to the price"),
    ('            - {name: Design, share: "30%"}\n            - {name: Build, share: "40%"}\n'
     '            - {name: Launch, amount: "3600.00"}\n',
     "56: clients.kaffee.jobs.launch.fixed.milestones[2].amount: the milestones before give a share — give every "
     "milestone a share, or every one an amount"),
    ('            - {name: Design, amount: "3600.00"}\n            - {name: Launch, share: "70%"}\n',
     "55: clients.kaffee.jobs.launch.fixed.milestones[1].share: the milestones before give an amount — give every "
     "milestone a share, or every one an amount"),
    ('            - {name: Launch, share: "30%"}\n            - {name: Launch, share: "70%"}\n',
     "55: clients.kaffee.jobs.launch.fixed.milestones[1].name: 'Launch' is already milestones[0] — each milestone "
     "needs its own name"),
    ('            - {name: Design, share: "30%", amount: "3600.00"}\n            - {name: Launch, share: "70%"}\n',
     '54: clients.kaffee.jobs.launch.fixed.milestones[0]: give exactly one of share or amount, e.g. {name: Launch, '
     'share: "70%"}'),
    ('            - {name: Design}\n            - {name: Launch, share: "100%"}\n',
     '54: clients.kaffee.jobs.launch.fixed.milestones[0]: give exactly one of share or amount, e.g. {name: Launch, '
     'share: "70%"}'),
    ('            - {share: "30%"}\n            - {name: Launch, share: "70%"}\n',
     "54: clients.kaffee.jobs.launch.fixed.milestones[0].name: missing (required) — add `name: …`"),
    ('            - {name: Design, share: "0%"}\n            - {name: Launch, share: "100%"}\n',
     '54: clients.kaffee.jobs.launch.fixed.milestones[0].share: must be more than 0 %, got 0% — give it a share like '
     '"30%", or leave the milestone out'),
    ('            - {name: Design, share: "130%"}\n            - {name: Launch, share: "-30%"}\n',
     ["54: clients.kaffee.jobs.launch.fixed.milestones[0].share: must be at most 100, got 130%",
      '55: clients.kaffee.jobs.launch.fixed.milestones[1].share: must be more than 0 %, got -30% — give it a share '
      'like "30%", or leave the milestone out']),
    ('            - {name: Design, share: "thirty"}\n            - {name: Launch, share: "70%"}\n',
     "54: clients.kaffee.jobs.launch.fixed.milestones[0].share: not a percent: 'thirty' — write it like \"10%\""),
    ('            - {name: Design, amount: "0"}\n            - {name: Launch, amount: "12000.00"}\n',
     '54: clients.kaffee.jobs.launch.fixed.milestones[0].amount: must be more than 0, got 0 — write it like '
     '"3600.00"'),
    ('            - {name: Design, share: "30%", done: 15.10.2026}\n            - {name: Launch, share: "70%"}\n',
     "54: clients.kaffee.jobs.launch.fixed.milestones[0].done: not a date: '15.10.2026' — write it as YYYY-MM-DD"),
    ('            - {name: Design, share: "30%", due: 2026-10-15}\n            - {name: Launch, share: "70%"}\n',
     "54: clients.kaffee.jobs.launch.fixed.milestones[0].due: unknown key — allowed here: amount, done, name, "
     "share"),
    ("            - Design\n            - Launch\n",
     ["54: clients.kaffee.jobs.launch.fixed.milestones[0]: expected a mapping of keys (amount, done, name, share)",
      "55: clients.kaffee.jobs.launch.fixed.milestones[1]: expected a mapping of keys (amount, done, name, share)"]),
])
def test_milestone_errors(milestones, expected):
    expected = [expected] if isinstance(expected, str) else expected
    assert errors(MILESTONES, milestones) == [f"rates.yaml:{message}" for message in expected]


@pytest.mark.parametrize("old, new, expected", [
    ("          milestones:\n" + MILESTONES, "          milestones: []\n",
     "53: clients.kaffee.jobs.launch.fixed.milestones: no milestones — give at least one, e.g. [{name: Launch, "
     'share: "100%"}]'),
    ("          milestones:\n" + MILESTONES, "          milestones: Launch\n",
     '53: clients.kaffee.jobs.launch.fixed.milestones: expected a list, e.g. [{name: Launch, share: "70%"}]'),
    ("          milestones:\n" + MILESTONES, "",
     "52: clients.kaffee.jobs.launch.fixed.milestones: missing (required) — add `milestones: [{name: …, share: 100%}]`"),
    ('          price: "12000.00"\n', "", "52: clients.kaffee.jobs.launch.fixed.price: missing (required) — add `price: 12000.00`"),
    ('price: "12000.00"', 'price: "0"',
     '52: clients.kaffee.jobs.launch.fixed.price: must be more than 0, got 0 — write it like "12000.00"'),
])
def test_a_fixed_price_needs_a_price_and_milestones(old, new, expected):
    assert errors(old, new) == [f"rates.yaml:{expected}"]


@pytest.mark.parametrize("new, expected", [
    ('{amount: "2000.00"}', "clients.kaffee.jobs.seo.cap.per: missing (required) — add `per: month`"),
    ("{per: month}", "clients.kaffee.jobs.seo.cap.amount: missing (required) — add `amount: 2000.00`"),
    ('{amount: "2000.00", per: week}', "clients.kaffee.jobs.seo.cap.per: must be one of month | total, got 'week'"),
    ('{amount: "0", per: month}',
     'clients.kaffee.jobs.seo.cap.amount: must be more than 0, got 0 — write it like "2000.00"'),
    ('{amount: "2000.00", per: month, hours: 20}', "clients.kaffee.jobs.seo.cap.hours: unknown key — allowed here: "
                                                   "amount, per"),
])
def test_cap_errors(new, expected):
    assert errors('{amount: "2000.00", per: month}', new) == [f"rates.yaml:58: {expected}"]


def test_a_cap_over_the_whole_job():
    assert kaffee("per: month}", "per: total}").jobs["seo"].cap == Cap(amount=Decimal("2000.00"), per="total")


def test_a_job_has_at_most_one_billing_model():
    assert errors('        cap: {amount: "2000.00", per: month}\n',
                  '        cap: {amount: "2000.00", per: month}\n        fixed: {price: "9000.00", milestones: '
                  '[{name: All, share: 100}]}\n') == [
        "rates.yaml:59: clients.kaffee.jobs.seo.fixed: a job bills by one model: cap or fixed, not both — keep one"]
    assert errors('      launch:\n        rate: "100.00"\n', '      launch:\n        rate: "100.00"\n'
                  '        cap: {amount: "2000.00", per: month}\n') == [
        "rates.yaml:52: clients.kaffee.jobs.launch.fixed: a job bills by one model: cap or fixed, not both — keep one"]


@pytest.mark.parametrize("job", ["care", "launch", "seo"])
def test_a_billing_model_on_a_job_that_is_not_billable_is_refused(job):
    model = {"care": "retainer", "launch": "fixed", "seo": "cap"}[job]
    (message,) = errors(f"      {job}:\n", f"      {job}:\n        billable: false\n")
    assert re.fullmatch(rf"rates\.yaml:\d+: clients\.kaffee\.jobs\.{job}\.{model}: a (retainer|fixed price|cap) "
                        r"bills the job, but the job is not billable \(billable: false\) — remove one of the two",
                        message), message


def test_a_billing_model_on_a_client_that_is_not_billable_is_refused():
    assert errors("      admin: {name: Administration}\n",
                  '      admin: {name: Administration, cap: {amount: "100.00", per: total}}\n') == [
        "rates.yaml:35: clients.studio.jobs.admin.cap: a cap bills the job, but its client is not billable "
        "(clients.studio.billable: false) — remove one of the two"]


def test_the_skeleton_s_commented_billing_models_read_when_uncommented():
    text = (ROOT / "src/auftakt_batch/skeleton/rates.yaml").read_text()
    last = '      #   cap: {amount: "2000.00", per: month}'
    start, end = text.index("      # care:"), text.index(last) + len(last)
    models = re.sub(r"(?m)^      # ", "      ", text[start:end])
    uncommented = text[:start] + models + text[end:]
    uncommented = edited(uncommented, "    # expenses:", "    expenses:")
    config, problems = parse_config(uncommented)
    assert problems == []
    example = config.clients["example"]
    assert example.expense_markup == Decimal("10")
    assert example.jobs["care"].retainer.fee == Decimal("1500.00")
    assert [m.amount for m in example.jobs["launch"].fixed.milestones] == [Decimal("3600.00"), Decimal("8400.00")]
    assert example.jobs["seo"].cap == Cap(amount=Decimal("2000.00"), per="month")
