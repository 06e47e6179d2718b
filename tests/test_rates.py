"""Rate resolution: PRODUCT.md's precedence at the entry's date, checked by example and by property."""

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from auftakt_batch.config import parse_config
from auftakt_batch.pricing.rates import LEVELS, rate_for

from .conftest import RATES, examples

FULL = RATES.replace('    rate: "120.00"\n', '''\
    rate: "120.00"
    rates: [{from: 2026-11-16, rate: "130.00"}]
    role_rates: {designer: "110.00"}
    person_rates: {Ben Okafor: "115.00"}
''').replace('''        aliases: ["Website Relaunch 2026"]
''', '''        aliases: ["Website Relaunch 2026"]
        rate: "140.00"
        person_rates: {Anna Schmidt: [{from: 2026-11-10, rate: "150.00"}]}
''')
CONFIG, PROBLEMS = parse_config(FULL)


def test_config_is_valid():
    assert PROBLEMS == []


def test_precedence_by_example():
    day, before = date(2026, 11, 20), date(2026, 11, 1)
    assert rate_for(CONFIG, "Anna Schmidt", "acme", "website", day) == (Decimal("150.00"), "person on job")
    assert rate_for(CONFIG, "Anna Schmidt", "acme", "website", before) == (Decimal("140.00"), "job")
    assert rate_for(CONFIG, "Ben Okafor", "acme", "internal", day) == (Decimal("115.00"), "person on client")
    assert rate_for(CONFIG, "Anna Schmidt", "acme", "internal", day) == (Decimal("110.00"), "role on client")
    assert rate_for(CONFIG, "Someone Else", "acme", "internal", day) == (Decimal("130.00"), "client")
    assert rate_for(CONFIG, "Someone Else", "acme", "internal", before) == (Decimal("120.00"), "client")
    assert rate_for(CONFIG, "Anna Schmidt", "studio", "admin", day) == (None, None)


LEVEL_VALUES = dict(zip(LEVELS, ("1", "2", "3", "4", "5")))


def config_with(levels: frozenset[str], start: date):
    """acme with a rate at each chosen level, all in force from `start`."""
    def sched(level):
        return f'[{{from: {start}, rate: "{LEVEL_VALUES[level]}"}}]'

    client = ["  acme:", "    name: ACME"]
    client += [f"    rates: {sched('client')}"] if "client" in levels else []
    client += [f"    role_rates: {{designer: {sched('role on client')}}}"] if "role on client" in levels else []
    client += [f"    person_rates: {{Anna Schmidt: {sched('person on client')}}}"] if "person on client" in levels else []
    client += ["    jobs:", "      web:", "        name: Web"]
    client += [f"        rates: {sched('job')}"] if "job" in levels else []
    client += [f"        person_rates: {{Anna Schmidt: {sched('person on job')}}}"] if "person on job" in levels else []
    head = RATES.split("clients:")[0]
    config, problems = parse_config(head + "clients:\n" + "\n".join(client) + "\n")
    assert problems == []
    return config


@settings(max_examples=examples(300), deadline=None)
@given(st.frozensets(st.sampled_from(LEVELS)), st.dates(date(2020, 1, 1), date(2030, 1, 1)),
       st.integers(-400, 400))
def test_most_specific_level_in_force_wins(levels, start, offset):
    config = config_with(levels, start)
    day = start + timedelta(days=offset)
    rate, level = rate_for(config, "Anna Schmidt", "acme", "web", day)
    if not levels or day < start:
        assert (rate, level) == (None, None)  # no rate in force: never a zero
    else:
        expected = next(level for level in LEVELS if level in levels)
        assert (rate, level) == (Decimal(LEVEL_VALUES[expected]), expected)


@settings(max_examples=examples(300), deadline=None)
@given(st.lists(st.tuples(st.dates(date(2020, 1, 1), date(2030, 1, 1)),
                          st.decimals(min_value=0, max_value=10000, places=2)),
                min_size=1, max_size=6, unique_by=lambda t: t[0]),
       st.dates(date(2019, 1, 1), date(2031, 1, 1)))
def test_effective_dated_changes_pick_the_latest_started(changes, day):
    items = ", ".join(f'{{from: {d}, rate: "{r}"}}' for d, r in changes)
    config, problems = parse_config(RATES.replace('    rate: "120.00"\n', f"    rates: [{items}]\n"))
    assert problems == []
    started = [(d, r) for d, r in changes if d <= day]
    expected = max(started)[1] if started else None
    assert config.clients["acme"].rate.at(day) == expected
