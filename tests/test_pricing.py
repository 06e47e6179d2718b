"""Pricing: rates per entry, rounding per rule, money in exact decimals."""

from datetime import date
from decimal import Decimal

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from auftakt_batch.config import parse_config
from auftakt_batch.pricing import amount, billed_seconds, entry_rates, price, round_seconds, rounding_for
from auftakt_batch.pricing.rates import rate_for

from .conftest import RATES, TODAY, examples

HEADER = "date,person,client,job,task,description,hours,billable\n"
ROUNDED = RATES.replace('  vat_rate: "19"\n', '  vat_rate: "19"\n  rounding: {minutes: 15, mode: up}\n').replace(
    '      app: {name: Customer app, rate: "150.00"}',
    '      app: {name: Customer app, rate: "150.00", rounding: {minutes: 6, mode: nearest}}')


def test_rounding_rule_precedence():
    config, problems = parse_config(ROUNDED)
    assert not problems
    assert (rounding_for(config, "globex", "app").minutes, rounding_for(config, "acme", "website").minutes) == (6, 15)
    assert rounding_for(config, None, None).minutes == 15


def test_rounding_none_at_any_level_overrides_a_rule_from_above(ws):
    text = ROUNDED.replace('    rate: "120.00"\n', '    rate: "120.00"\n    rounding: none\n').replace(
        "      internal:\n        billable: false", "      internal:\n        billable: false\n"
                                                    "        rounding: {minutes: 30, mode: up}").replace(
        "{minutes: 6, mode: nearest}", "None")
    config, problems = parse_config(text)
    assert problems == []
    assert rounding_for(config, "acme", "website") is None  # the client's none beats the agency's 15 minutes
    assert rounding_for(config, "acme", "internal").minutes == 30  # a job's own rule beats its client's none
    assert rounding_for(config, "globex", "app") is None  # a job's none (any case) beats the agency's rule
    assert rounding_for(config, "studio", "admin").minutes == 15
    ws.rates(text.replace("  rounding: {minutes: 15, mode: up}\n", "  rounding: none\n"))
    ws.input("a.csv", HEADER + "2026-11-03,Anna Schmidt,ACME,website,,a,0:07,\n"
                               "2026-11-03,Ben Okafor,globex,app,,b,0:08,\n")
    run = ws.check()
    priced = price(run.entries, run.config)
    assert priced["billed_s"].tolist() == [420, 480]  # billed as logged


def test_priced_entries(ws):
    ws.rates(ROUNDED)
    ws.input("a.csv", HEADER + "2026-11-03,Anna Schmidt,ACME,website,,a,0:07,\n"
                               "2026-11-03,Ben Okafor,globex,app,,b,0:08,\n"
                               "2026-11-03,Ben Okafor,studio,admin,,c,0:10,\n")
    run = ws.check(today=TODAY)
    priced = price(run.entries, run.config)
    assert priced["billed_s"].tolist() == [900, 360, 900]  # 15-min up; 6-min nearest; agency rule
    assert priced["duration_s"].tolist() == [420, 480, 600]  # the raw time is kept
    assert priced["rate"].tolist() == [Decimal("120.00"), Decimal("150.00"), None]  # non-billable: no rate



def test_pricing_no_entries_gives_the_general_paths_empty_columns(ws):
    """price() skips the lookups when there is nothing to price (all billed already): the result
    must be what the lookups give on no rows — same columns, dtypes and index."""
    ws.rates(ROUNDED)
    ws.input("a.csv", HEADER + "2026-11-03,Anna Schmidt,ACME,website,,a,0:07,\n")
    run = ws.check(today=TODAY)
    for none in (run.entries.iloc[0:0], run.entries[run.entries["billable"] & ~run.entries["billable"]]):
        general = none.assign(rate=entry_rates(none, run.config), billed_s=billed_seconds(none, run.config))
        pd.testing.assert_frame_equal(price(none, run.config), general)
        assert list(price(none, run.config).columns[-2:]) == ["rate", "billed_s"]
        pd.testing.assert_frame_equal(price(none, run.config, run.prices), general)  # the check's prices: none taken


def test_the_checks_prices_are_taken_for_any_rows_of_its_entries(ws, monkeypatch):
    """A check of a year's entries prices them (pipeline.check); `price` takes those for any of its rows
    — in any order, some or none — and gives what looking them up gives; rows it has none for are looked up."""
    from auftakt_batch import pipeline

    monkeypatch.setattr(pipeline, "PARALLEL_ROWS", 0)  # these few entries priced as a year's are
    ws.rates(ROUNDED)
    ws.input("a.csv", HEADER + "".join(f"2026-11-{d:02d},{p},ACME,website,,a,{h},\n" for d, p, h in (
        (3, "Anna Schmidt", "0:07"), (4, "Ben Okafor", "1:00"), (5, "Anna Schmidt", "2:31"), (6, "Nobody", "1:00"))))
    run = ws.check(today=TODAY)
    assert run.prices is not None and len(run.prices) == len(run.entries) == 4
    for rows in ([3, 0, 2], [1], [], [0, 1, 2, 3]):
        some = run.entries.iloc[rows]
        pd.testing.assert_frame_equal(price(some, run.config, run.prices), price(some, run.config))
    other = run.entries.set_axis(run.entries.index + 10)  # rows the check did not price
    pd.testing.assert_frame_equal(price(other, run.config, run.prices), price(other, run.config))
    shuffled = run.entries.iloc[[2, 0, 3, 1]].reset_index(drop=True)  # its rows, under others' labels
    pd.testing.assert_frame_equal(price(shuffled, run.config, run.prices), price(shuffled, run.config))


STEPS = st.sampled_from([1, 60, 300, 360, 600, 900, 1800, 3600])


@settings(max_examples=examples(1000))
@given(st.lists(st.integers(0, 24 * 3600), min_size=1, max_size=20), STEPS, st.sampled_from(["up", "down", "nearest"]))
def test_rounding_properties(seconds, step, mode):
    raw = pd.Series(seconds, dtype="Int64")
    rounded = round_seconds(raw, pd.Series([step] * len(raw), dtype="Int64"), pd.Series([mode] * len(raw)))
    for r, s in zip(rounded, seconds):
        assert r % step == 0
        assert {"up": s <= r < s + step, "down": s - step < r <= s, "nearest": abs(r - s) * 2 <= step}[mode]


@settings(max_examples=examples(3000))
@given(st.decimals(0, 10000, places=2), st.decimals(0, 1000, places=4))
def test_amount_is_exact_and_half_up(price_, quantity):
    result = amount(quantity, price_)
    assert result == result.quantize(Decimal("0.01"))  # whole cents
    assert Decimal("-0.005") < result - quantity * price_ <= Decimal("0.005")  # nearest cent, a half goes up


SCHEDULED = """\
agency: {name: Test Studio GmbH, country: DE, timezone: Europe/Berlin, currency: EUR, vat_rate: "19", vat_id: DE123456789}
team:
  - {name: Anna Schmidt, role: designer}
  - {name: Ben Okafor, role: developer}
clients:
  acme:
    name: ACME GmbH
    rates: [{from: %s, rate: "100.00"}, {from: %s, rate: "110.00"}]
    role_rates: {designer: [{from: %s, rate: "120.00"}]}
    person_rates: {Ben Okafor: [{from: %s, rate: "130.00"}, {from: %s, rate: "135.00"}]}
    jobs:
      website: {name: Website, rates: [{from: %s, rate: "140.00"}]}
      support:
        name: Support
        person_rates: {Anna Schmidt: [{from: %s, rate: "150.00"}]}
"""
DAYS = st.dates(date(2026, 10, 1), date(2026, 12, 31))


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(DAYS, min_size=7, max_size=7, unique=True),
       st.lists(st.tuples(st.sampled_from(["Anna Schmidt", "Ben Okafor"]), st.sampled_from(["website", "support"]),
                          DAYS), min_size=1, max_size=40))
def test_rates_looked_up_per_stretch_equal_rates_per_entry(changes, rows):
    """Rates are looked up once per person, job and stretch between rate changes: the same
    rates as looking each entry up on its own day, whatever the changes and the days."""
    first, second = sorted(changes[:2])
    ben = sorted(changes[3:5])
    text = SCHEDULED % (first, second, changes[2], ben[0], ben[1], changes[5], changes[6])
    config, problems = parse_config(text)
    assert not problems
    entries = pd.DataFrame({"person_name": [p for p, _, _ in rows], "client_key": "acme",
                            "job_key": [j for _, j, _ in rows], "billable": True,
                            "date": pd.to_datetime([d for _, _, d in rows]).astype("datetime64[us]")})
    assert entry_rates(entries, config).tolist() == [rate_for(config, p, "acme", j, d)[0] for p, j, d in rows]


KEYS = st.sampled_from([None, "acme", "globex", "studio", "nobody"])
JOBS = st.sampled_from([None, "", "website", "app", "admin"])


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(st.tuples(KEYS, JOBS, st.one_of(st.none(), st.integers(0, 8 * 3600))), min_size=1, max_size=30))
def test_rounding_looked_up_per_client_and_job_equals_rounding_per_entry(rows):
    """Rules are looked up once per client and job (a missing key equal to another missing key):
    the same billed time as rounding each entry by its own rule."""
    config, _ = parse_config(ROUNDED)
    entries = pd.DataFrame({"client_key": [c for c, _, _ in rows], "job_key": [j for _, j, _ in rows],
                            "duration_s": pd.array([s for _, _, s in rows], dtype="Int64")})
    rules = [rounding_for(config, c, j) for c, j, _ in rows]
    one_by_one = [round_seconds(pd.Series([s], dtype="Int64"), pd.Series([r.minutes * 60 if r else 1], dtype="Int64"),
                                pd.Series([r.mode if r else "none"]))[0] for (_, _, s), r in zip(rows, rules)]
    assert billed_seconds(entries, config).tolist() == one_by_one


def test_no_rounding_rule_gives_the_general_paths_seconds():
    """round_seconds skips the arithmetic when no step is above one second: the same seconds and
    dtype as the general path gives those rows (made to run by one more row with a rule)."""
    seconds = pd.Series([0, 59, None, 3601], dtype="Int64")
    fast = round_seconds(seconds, pd.Series([1] * 4, dtype="Int64"), pd.Series(["none"] * 4))
    general = round_seconds(pd.concat([seconds, pd.Series([61], dtype="Int64")], ignore_index=True),
                            pd.Series([1] * 4 + [60], dtype="Int64"), pd.Series(["none"] * 4 + ["up"]))
    pd.testing.assert_series_equal(fast, general.iloc[:4])
    assert fast.tolist() == [0, 59, pd.NA, 3601]
