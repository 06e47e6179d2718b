"""rates.yaml: the contract in PRODUCT.md, with every mistake located by line and key path."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from auftakt_batch.config import NO_ROUNDING, load_config, parse_config

from .conftest import RATES, ROOT, examples


def errors(text: str) -> list[str]:
    config, problems = parse_config(text)
    assert config is None
    return [str(p) for p in problems]


def test_test_rates_load_with_exact_decimals():
    config, problems = parse_config(RATES)
    assert problems == []
    acme = config.clients["acme"]
    assert acme.rate.at(date(2026, 11, 3)) == Decimal("120.00")
    assert str(acme.rate.at(date(2026, 11, 3))) == "120.00"  # the text, not a float's approximation
    assert config.agency.vat_rate == Decimal("19")
    assert acme.jobs["internal"].billable is False and acme.jobs["website"].billable is True
    assert config.clients["studio"].billable is False


@pytest.mark.parametrize("path", ["rates.yaml", "src/auftakt_batch/skeleton/rates.yaml"])
def test_shipped_rates_files_load_cleanly(path):
    config, problems = load_config(ROOT / path)
    assert problems == [] and config is not None


def test_init_rates_bill_logged_time_and_the_demo_rounds_to_15_minutes():
    skeleton, _ = load_config(ROOT / "src/auftakt_batch/skeleton/rates.yaml")
    demo, _ = load_config(ROOT / "rates.yaml")
    assert skeleton.agency.rounding == NO_ROUNDING
    assert "# rounding: {minutes: 15, mode: up}" in (ROOT / "src/auftakt_batch/skeleton/rates.yaml").read_text()
    assert (demo.agency.rounding.minutes, demo.agency.rounding.mode) == (15, "up")


def test_the_demo_agency_is_believable():
    config, _ = load_config(ROOT / "rates.yaml")
    assert 8 <= len(config.team) <= 15
    assert 10 <= len(config.clients) <= 20
    assert any(not c.billable for c in config.clients.values())
    assert any(len(c.rate.changes) > 1 for c in config.clients.values() if c.rate)
    assert any(c.budget for c in config.clients.values())
    assert {c.vat for c in config.clients.values()} == {"standard", "reverse-charge", "exempt", "outside-scope"}


def test_bad_number_names_line_and_key_path():
    text = RATES.replace('      app: {name: Customer app, rate: "150.00"}', '      app: {name: Customer app, rate: "15o"}')
    assert errors(text) == ["rates.yaml:30: clients.globex.jobs.app.rate: not a number: '15o' — "
                            'write it like "120.00"']


def test_unknown_key_suggests_the_right_one():
    text = RATES.replace('    rate: "120.00"\n', '    rat: "120.00"\n')
    assert errors(text) == ["rates.yaml:20: clients.acme.rat: unknown key — did you mean 'rate'?"]


def test_unknown_top_level_key_and_missing_section():
    text = RATES.replace("team:", "teams:")
    assert errors(text) == [
        "rates.yaml:8: teams: unknown key — did you mean 'team'?",
        "rates.yaml:1: team: missing (required) — add `team: [{name: …}]`",
    ]


def test_duplicate_keys_are_errors_not_last_wins():
    text = RATES.replace('    rate: "120.00"\n', '    rate: "120.00"\n    rate: "90.00"\n')
    assert errors(text) == ["rates.yaml:21: clients.acme.rate: given twice; the second would silently win "
                            "— keep one"]


def test_yaml_syntax_error_has_a_line():
    (message,) = errors("agency:\n  name: [unclosed\nteam: []\n")
    assert message.startswith("rates.yaml:3: not valid YAML")


def test_missing_file_explains_init(tmp_path: Path):
    config, problems = load_config(tmp_path / "rates.yaml")
    assert config is None
    assert str(problems[0]) == (f"rates.yaml: not found in {tmp_path} — create one with "
                                "`auftakt-batch init DIR` or pass --workspace")


@pytest.mark.parametrize("old, new, expected", [
    ("timezone: Europe/Berlin", "timezone: Europe/Berln",
     "rates.yaml:4: agency.timezone: unknown time zone 'Europe/Berln' — use a name like Europe/Berlin"),
    ("currency: EUR", "currency: euro", "rates.yaml:5: agency.currency: 'euro' is not a currency code like EUR"),
    ('vat_rate: "19"', 'vat_rate: "-1"', "rates.yaml:6: agency.vat_rate: must be at least 0, got -1"),
    ("  acme:\n", "  ACME Corp:\n",
     "rates.yaml:17: clients.ACME Corp: 'ACME Corp' is not a key of lower-case letters, digits and '-' "
     "(it is used in file names)"),
    ("        billable: false\n  globex", "        billable: nope\n  globex",
     "rates.yaml:26: clients.acme.jobs.internal.billable: expected true or false, got 'nope'"),
])
def test_value_errors(old, new, expected):
    assert expected in errors(RATES.replace(old, new, 1))


def test_effective_dated_rates_and_keyed_schedules():
    text = RATES.replace('    rate: "120.00"\n', '''\
    rate: "120.00"
    rates:
      - {from: 2026-11-16, rate: "130.00"}
      - {from: 2027-01-01, rate: "135.50"}
    role_rates: {designer: "110.00"}
    person_rates:
      A. Schmidt:
        - {from: 2026-11-10, rate: "125.00"}
''')
    config, problems = parse_config(text)
    assert problems == []
    acme = config.clients["acme"]
    assert [acme.rate.at(date(2026, 11, d)) for d in (15, 16)] == [Decimal("120.00"), Decimal("130.00")]
    assert acme.rate.at(date(2027, 6, 1)) == Decimal("135.50")
    assert acme.role_rates["designer"].at(date(2020, 1, 1)) == Decimal("110.00")
    anna = acme.person_rates["Anna Schmidt"]  # the alias resolved to the person
    assert anna.at(date(2026, 11, 9)) is None and anna.at(date(2026, 11, 10)) == Decimal("125.00")


@pytest.mark.parametrize("snippet, expected", [
    ('    role_rates: {desinger: "110.00"}\n',
     "clients.acme.role_rates.desinger: unknown — roles in the team: designer, developer"),
    ('    person_rates: {Nobody: "110.00"}\n',
     "clients.acme.person_rates.Nobody: unknown — add them to team (team: Anna Schmidt, Ben Okafor)"),
    ("    budget: {hours: 40}\n", "clients.acme.budget.per: missing (required) — add `per: month`"),
    ('    budget: {hours: 40, amount: "10", per: month}\n',
     "clients.acme.budget: give exactly one of hours or amount, e.g. {hours: 40, per: month}"),
    ("    alert_at: [1.0, 0.8]\n", "clients.acme.alert_at: thresholds must go up, e.g. [0.8, 1.0]"),
    ("    rounding: {minutes: 15, mode: sideways}\n",
     "clients.acme.rounding.mode: must be one of up | down | nearest, got 'sideways'"),
    ("    rounding: {minutes: 0, mode: up}\n",
     "clients.acme.rounding.minutes: 0 minutes rounds nothing — write `rounding: none` to bill the logged time as "
     "it is"),
    ("    rounding: never\n", "clients.acme.rounding: expected none or a rule like {minutes: 15, mode: up}, got "
                             "'never'"),
    ("    rounding: [15, up]\n", "clients.acme.rounding: expected none or a rule like {minutes: 15, mode: up}"),
    ("    rates:\n      - {from: 2026-13-01, rate: \"1\"}\n",
     "clients.acme.rates[0].from: not a date: '2026-13-01' — write it as YYYY-MM-DD"),
    ("    calendar: {domains: [acme.example], job: meetings}\n",
     "clients.acme.calendar.job: no job 'meetings' in this client; jobs: website, internal"),
])
def test_client_section_errors(snippet, expected):
    text = RATES.replace('    rate: "120.00"\n', '    rate: "120.00"\n' + snippet)
    assert any(line.endswith(expected) for line in errors(text)), errors(text)


def test_zero_minutes_of_rounding_is_one_error_saying_to_write_none():
    text = RATES.replace('    rate: "120.00"\n', '    rate: "120.00"\n    rounding: {minutes: 0}\n')
    assert [line.split(": ", 1)[1] for line in errors(text)] == [
        "clients.acme.rounding.minutes: 0 minutes rounds nothing — write `rounding: none` to bill the logged time "
        "as it is"]


def test_a_name_used_twice_is_an_error_at_its_second_use():
    text = RATES.replace('aliases: ["ACME", "Acme Corp."]', 'aliases: ["ACME", "Globex Corporation"]')
    assert errors(text) == ["rates.yaml:28: clients.globex.name: 'Globex Corporation' names both clients acme "
                            "and globex — make it unique"]
    text = RATES.replace('aliases: ["A. Schmidt"]', 'aliases: ["ben@studio.example"]')
    assert errors(text) == ["rates.yaml:14: team[1].email: 'ben@studio.example' names both Anna Schmidt and "
                            "Ben Okafor — make it unique"]
    text = RATES.replace('aliases: ["Website Relaunch 2026"]', 'aliases: ["Website Relaunch 2026", "internal"]')
    assert errors(text) == ["rates.yaml:25: clients.acme.jobs.internal: 'internal' names both jobs of acme "
                            "website and internal — make it unique"]


def test_the_same_name_twice_for_one_key_is_fine():
    config, problems = parse_config(RATES.replace('aliases: ["ACME", "Acme Corp."]', 'aliases: ["acme", "ACME GmbH"]'))
    assert problems == []


@pytest.mark.parametrize("text", ["", "# nothing yet\n", "---\n"])
def test_an_empty_file_is_an_error(text):
    assert errors(text) == ["rates.yaml:1: the file is empty — start from the commented rates.yaml that "
                            "`auftakt-batch init` writes"]


def test_invoice_number_pattern_is_checked():
    text = RATES.replace('  vat_rate: "19"\n', '  vat_rate: "19"\n  invoice_number: "INV-{year}"\n')
    assert any("agency.invoice_number: must contain {seq}" in line for line in errors(text))
    text = RATES.replace('  vat_rate: "19"\n', '  vat_rate: "19"\n  invoice_number: "{yr}-{seq}"\n')
    assert any("agency.invoice_number: '{yr}-{seq}' is not a valid pattern" in line for line in errors(text))


def number_pattern(pattern: str) -> str:
    return RATES.replace('  vat_rate: "19"\n', f'  vat_rate: "19"\n  invoice_number: "{pattern}"\n')


@pytest.mark.parametrize("pattern, message", [
    ("{seq:04d}", '"{seq:04d}" gives 0001 in 2026 and in 2027 — the series restarts each year, so the number needs '
                  '{year}; e.g. "{year}-{seq:04d}"'),
    ("{year}-{seq!s:.2}", '"{year}-{seq!s:.2}" gives 2026-10 for invoice 10 and for invoice 100 of 2026 — {seq} must '
                          'show in full: no precision that cuts it, no padding after it; e.g. "{year}-{seq:04d}"'),
    ("{year!s:.2}-{seq:04d}", '"{year!s:.2}-{seq:04d}" gives 20-0001 in 2026 and in 2027 — {year} must show in full: '
                              'no precision that cuts it; e.g. "{year}-{seq:04d}"'),
    ("R{year}{seq!s:.0}", '"R{year}{seq!s:.0}" gives R2026 for invoice 1 and for invoice 2 of 2026 — {seq} must show '
                          'in full: no precision that cuts it, no padding after it; e.g. "{year}-{seq:04d}"'),
    ("{year}{seq:0<3}", '"{year}{seq:0<3}" gives 2026100 for invoice 1 and for invoice 10 of 2026 — {seq} must show '
                        'in full: no precision that cuts it, no padding after it; e.g. "{year}-{seq:04d}"'),
    ("{year}-{seq:,}", "gives '2026-1,000'; use only letters, digits, '.', '_' and '-' (the number is part of file "
                       "names)"),
    ("{year.real}-{seq}", "'{year.real}-{seq}' uses {year.real} — use only {year} and {seq}, each with a format if "
                          'you like, e.g. "{year}-{seq:04d}"'),
    ("{year}-{seq:.0}", "'{year}-{seq:.0}' is not a valid pattern (Precision not allowed in integer format "
                        'specifier); use {year} and {seq}, e.g. "{year}-{seq:04d}"'),
])
def test_invoice_numbers_that_could_repeat_are_refused_at_their_line(pattern, message):
    assert errors(number_pattern(pattern)) == [f"rates.yaml:7: agency.invoice_number: {message}"]


@pytest.mark.parametrize("pattern", ["{year}-{seq:04d}", "INV-{year}-{seq}", "{seq}{year}", "R{year:x}{seq:x}",
                                     "{year}{seq:_}", "{year:d}.{seq:06d}"])
def test_invoice_numbers_that_cannot_repeat_are_accepted(pattern):
    config, problems = parse_config(number_pattern(pattern))
    assert problems == [] and config.agency.invoice_number == pattern


YEAR_FIELDS = st.sampled_from(["{year}", "{year:04d}", "{year:x}", "{year!r}", "{year!s:.2}", "{year!s:.3}",
                               "{year!s:>5}", "{year:05}", ""]) | st.integers(0, 5).map("{{year!s:.{}}}".format)
SEQ_FIELDS = st.sampled_from(["{seq}", "{seq:04d}", "{seq:x}", "{seq:_}", "{seq:,}", "{seq:.0}", "{seq:c}",
                              "{seq:g}", "{seq:.3g}", "{seq:.0f}", "{seq!s:0<3}", "{seq:0>3}", "{seq:0<4}", ""]) \
    | st.integers(0, 8).map("{{seq!s:.{}}}".format) | st.integers(0, 8).map("{{seq:0{}d}}".format)
PARTS = st.sampled_from(["", "-", ".", "_", "R", "INV-", "9", "0", "/"])


@st.composite
def pairs(draw) -> tuple[tuple[int, int], tuple[int, int]]:
    """Two (year, seq), often neighbours in the ways a pattern could confuse them."""
    year, seq = draw(st.integers(2000, 2999)), draw(st.integers(1, 10**6) | st.sampled_from(
        [10**k + d for k in range(7) for d in (-1, 0, 1) if 1 <= 10**k + d <= 10**6]))
    other = draw(st.sampled_from([(year + 1, seq), (year + 10, seq), (year + 100, seq), (year, seq * 10),
                                  (year, seq // 10), (year, seq + 1), (year + 1, seq * 10)]) |
                 st.tuples(st.integers(2000, 2999), st.integers(1, 10**6)))
    assume(2000 <= other[0] <= 2999 and 1 <= other[1] <= 10**6 and other != (year, seq))
    return (year, seq), other


@settings(max_examples=examples(300), deadline=None)
@given(st.tuples(PARTS, YEAR_FIELDS, PARTS, SEQ_FIELDS, PARTS), st.booleans(), st.data())
def test_a_pattern_the_loader_accepts_never_repeats_a_number(parts, seq_first, data):
    prefix, year, middle, seq, suffix = parts
    pattern = prefix + (seq + middle + year if seq_first else year + middle + seq) + suffix
    config, problems = parse_config(number_pattern(pattern))
    if config is None:
        return
    for a, b in data.draw(st.lists(pairs(), min_size=10, max_size=10)):
        assert pattern.format(year=a[0], seq=a[1]) != pattern.format(year=b[0], seq=b[1]), (pattern, a, b)


def test_a_client_pays_from_one_iban_or_a_list_each_checked():
    one = RATES.replace('    aliases: ["ACME", "Acme Corp."]\n', '    aliases: ["ACME", "Acme Corp."]\n'
                                                                   '    iban: DE89 3704 0044 0532 0130 00\n')
    config, problems = parse_config(one)
    assert problems == [] and config.clients["acme"].ibans == ("DE89370400440532013000",)
    two = one.replace("iban: DE89 3704 0044 0532 0130 00", 'iban: ["DE89370400440532013000", "GB82WEST12345698765432"]')
    assert parse_config(two)[0].clients["acme"].ibans == ("DE89370400440532013000", "GB82WEST12345698765432")
    bad = one.replace("0130 00", "0130 01")
    line = one.splitlines().index("    iban: DE89 3704 0044 0532 0130 00") + 1
    assert f"rates.yaml:{line}: clients.acme.iban: 'DE89 3704 0044 0532 0130 01' is not a valid IBAN (the check " \
           "digits do not match)" in errors(bad)


def test_iban_check_digits():
    text = RATES.replace('  vat_rate: "19"\n', '  vat_rate: "19"\n  iban: DE89370400440532013001\n')
    assert any("agency.iban: 'DE89370400440532013001' is not a valid IBAN" in line for line in errors(text))


def test_alias_bomb_is_refused():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8))
    (message,) = errors(bomb)
    assert "alias bomb" in message


def test_two_people_with_one_name():
    text = RATES.replace("  - name: Ben Okafor", "  - name: Anna Schmidt")
    assert "rates.yaml:13: team[1].name: 'Anna Schmidt' is already team[0] — each person needs their own name" in \
        errors(text)


def test_tabs_get_a_hint():
    (message,) = errors("agency:\n\tname: x\n")
    assert message.endswith("— indent with spaces, not tabs")


def test_one_person_rated_twice_under_two_spellings():
    text = RATES.replace('    rate: "120.00"\n', '    rate: "120.00"\n    person_rates: {Anna Schmidt: "1", A. Schmidt: "2"}\n')
    assert errors(text) == ["rates.yaml:21: clients.acme.person_rates.A. Schmidt: Anna Schmidt already has a rate "
                            "here (as 'Anna Schmidt') — keep one"]


def test_imports_and_a_person_s_time_zone():
    from auftakt_batch.config import parse_config

    from .conftest import RATES, dedent

    text = dedent(RATES).replace("    role: developer\n", "    role: developer\n    timezone: America/New_York\n")
    config, problems = parse_config(text + "imports:\n  date_format: MM/DD/YYYY\n")
    assert problems == [] and config.imports.date_format == "mdy"
    assert [p.timezone for p in config.team] == [None, "America/New_York"]
    _, problems = parse_config(text.replace("America/New_York", "Mars/Olympus") + "imports: {date_format: D/M/Y}\n")
    assert [str(p) for p in problems] == [
        "rates.yaml:16: team[1].timezone: unknown time zone 'Mars/Olympus' — use a name like Europe/Berlin",
        "rates.yaml:37: imports.date_format: must be one of DD/MM/YYYY | MM/DD/YYYY, got 'D/M/Y'"]


@pytest.mark.parametrize("change, message", [  # found by bench/fuzz: each crashed, or loaded nothing and said nothing
    (("  name: Test Studio GmbH\n", "  name:\n"), "rates.yaml:2: agency.name: empty — it is required: give it a value"),
    (("  timezone: Europe/Berlin\n", "  timezone: Europe\n"),
     "rates.yaml:4: agency.timezone: unknown time zone 'Europe' — use a name like Europe/Berlin"),
    (("  vat_rate: \"19\"\n", "  vat_rate: \"19\"\n  iban: DE89 3704 0044 0532 0130 0É\n"),
     "rates.yaml:7: agency.iban: 'DE89 3704 0044 0532 0130 0É' is not a valid IBAN (the check digits do not match)"),
])
def test_fuzzed_agencies_are_refused_with_a_message(change, message):
    assert errors(RATES.replace(*change)) == [message]


TOO_DEEP = ("nested too deep (more than 64 levels of lists and mappings) — look for brackets that are never closed, "
            "or lines indented further and further")


@pytest.mark.parametrize("text, where", [
    ("a: " + "[" * 500 + "]" * 500 + "\n", "rates.yaml:1: a[0][0][0]…"),
    ("".join("  " * i + f"k{i}:\n" for i in range(500)), "rates.yaml:65: k0.k1.k2.k3…"),
    ("clients:\n  acme: " + "{x: " * 500 + "1" + "}" * 500 + "\n", "rates.yaml:2: clients.acme.x.x…"),
    ("a: " + "[" * 5000 + "]" * 5000 + "\n", "rates.yaml:1"),  # past libyaml's own limit, met reading ahead
], ids=["lists", "indented-mappings", "flow-mappings", "5000-lists"])
def test_deep_nesting_is_one_located_problem(text, where):
    assert errors(text) == [f"{where}: {TOO_DEEP}"]


def test_nesting_up_to_the_limit_is_read():
    _, problems = parse_config("a: " + "[" * 63 + "]" * 63 + "\n")  # 64 levels with the top mapping
    assert [str(p) for p in problems] == ["rates.yaml:1: a: unknown key — allowed here: agency, calendars, clients, "
                                          "imports, team", "rates.yaml:1: agency: missing (required) — add `agency: {name: …, country: DE, …}`",
                                          "rates.yaml:1: clients: missing (required) — add `clients: {…}`",
                                          "rates.yaml:1: team: missing (required) — add `team: [{name: …}]`"]


def test_aliases_cannot_nest_deeper_than_the_text_does():
    """Each line nests 61 levels; every alias brings in the line before, 900 levels in all."""
    text = "".join(f"a{i}: &a{i} " + "[" * 60 + (f"*a{i - 1}" if i else "x") + "]" * 60 + "\n" for i in range(15))
    assert errors(text) == [f"rates.yaml:1: {TOO_DEEP.replace(' mappings', ' mappings, counting what aliases bring in')}"]


def test_deep_nesting_on_the_command_line_is_one_line_and_exit_1(tmp_path):
    from .conftest import Workspace

    ws = Workspace(tmp_path / "ws")
    (ws.root / "rates.yaml").write_text("clients:\n  acme: " + "[" * 500 + "]" * 500 + "\n", encoding="utf-8")
    result = ws.cli("check", "--period", "2026-11")
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == f"rates.yaml:2: clients.acme[0][0]…: {TOO_DEEP}"
    assert "Traceback" not in result.output and "Problems  1 error · 0 warnings · 0 notes" in result.output


def test_regions_are_the_holiday_library_s_subdivisions_of_the_agency_s_country():
    text = RATES.replace('  vat_rate: "19"\n', '  vat_rate: "19"\n  region: bayern\n').replace(
        "    role: developer\n", "    role: developer\n    region: BE\n")
    config, problems = parse_config(text)
    assert problems == [] and config.agency.region == "BY"  # a name the library knows is its code
    assert (config.region_of("Ben Okafor"), config.region_of("Anna Schmidt"), config.region_of(None)) == (
        "BE", "BY", "BY")
    assert errors(text.replace("region: bayern", "region: Bavaria").replace("region: BE", "region: CA")) == [
        "rates.yaml:7: agency.region: unknown region 'Bavaria' of DE — use one of BB, BE, BW, BY, HB, HE, HH, MV, NI, "
        "NW, RP, SH, SL, SN, ST, TH, Augsburg",
        "rates.yaml:17: team[1].region: unknown region 'CA' of DE — use one of BB, BE, BW, BY, HB, HE, HH, MV, NI, NW, "
        "RP, SH, SL, SN, ST, TH, Augsburg"]
    assert errors(text.replace("country: DE", "country: AQ")) == [
        "rates.yaml:7: agency.region: the holidays library knows no regions of AQ — remove the region",
        "rates.yaml:17: team[1].region: the holidays library knows no regions of AQ — remove the region"]
