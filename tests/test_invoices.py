"""Invoice drafts: readable lines, entries at different rates never merged, exact totals."""

from decimal import ROUND_HALF_UP, Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auftakt_batch.periods import parse_period
from auftakt_batch.pricing import price
from auftakt_batch.pricing.invoices import draft_invoices, quantity

from .conftest import RATES, TODAY, Workspace, examples

HEADER = "date,person,client,job,task,description,hours,billable\n"
RATE_CHANGE = RATES.replace('    rate: "120.00"\n', '    rate: "120.00"\n    rates: [{from: 2026-11-16, rate: "130.00"}]\n'
                            '    vat: reverse-charge\n    vat_id: ATU12345678\n    country: AT\n')


def drafts_for(ws, rows: str, rates: str = RATES):
    ws.rates(rates)
    ws.input("a.csv", HEADER + rows)
    run = ws.check(today=TODAY)
    return {d.client_key: d for d in draft_invoices(price(run.entries, run.config), run.config, run.period)}


def test_lines_per_job_and_rate(ws):
    drafts = drafts_for(ws, "2026-11-03,Anna Schmidt,ACME,website,,Layout,1.5,\n"
                            "2026-11-04,Ben Okafor,ACME,website,,Build,2,\n"
                            "2026-11-17,Anna Schmidt,ACME,website,,Layout,1,\n"
                            "2026-11-17,Anna Schmidt,ACME,internal,,Sync,1,\n"
                            "2026-11-05,Ben Okafor,globex,app,,API,0:20,\n"
                            "2026-11-05,Ben Okafor,studio,admin,,Admin,3,\n", RATE_CHANGE)
    assert set(drafts) == {"acme", "globex"}  # the internal client bills nothing
    acme = drafts["acme"]
    assert [(line.job_key, line.quantity, line.unit_price, line.amount) for line in acme.lines] == [
        ("website", Decimal("3.5"), Decimal("120.00"), Decimal("420.00")),
        ("website", Decimal("1"), Decimal("130.00"), Decimal("130.00")),
    ]
    assert (acme.net, acme.vat_mode, acme.vat, acme.gross) == (Decimal("550.00"), "reverse-charge", Decimal("0.00"),
                                                              Decimal("550.00"))
    globex = drafts["globex"]
    assert [(line.quantity, line.amount) for line in globex.lines] == [(Decimal("0.3333"), Decimal("50.00"))]
    assert (globex.vat, globex.gross) == (Decimal("9.50"), Decimal("59.50"))


def test_group_by_person(ws):
    rates = RATES.replace('  vat_rate: "19"\n', '  vat_rate: "19"\n  group_by: job+person\n')
    drafts = drafts_for(ws, "2026-11-03,Anna Schmidt,ACME,website,,a,1,\n2026-11-04,Ben Okafor,ACME,website,,b,2,\n"
                            "2026-11-05,A. Schmidt,ACME,website,,c,1,\n", rates)
    assert [(line.detail, line.quantity) for line in drafts["acme"].lines] == [("Anna Schmidt", Decimal("2")),
                                                                               ("Ben Okafor", Decimal("2"))]


ROWS = st.lists(st.tuples(st.integers(1, 28), st.sampled_from(["Anna Schmidt", "Ben Okafor"]),
                          st.sampled_from(["ACME,website", "globex,app", "ACME,internal"]),
                          st.integers(1, 600)), min_size=1, max_size=30)


@settings(max_examples=examples(30), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ROWS, st.sampled_from(["job", "job+person", "entry"]))
def test_totals_are_the_sum_of_printed_lines(tmp_path_factory, rows, group_by):
    ws = Workspace(tmp_path_factory.mktemp("ws"))
    rates = RATE_CHANGE.replace('  vat_rate: "19"\n', f'  vat_rate: "19"\n  group_by: {group_by}\n')
    lines = "".join(f"2026-11-{d:02d},{p},{cj},,task {i},{m // 60}:{m % 60:02d},\n"
                    for i, (d, p, cj, m) in enumerate(rows))
    drafts = drafts_for(ws, lines, rates)
    billed = set()
    for draft in drafts.values():
        assert draft.net == sum(line.amount for line in draft.lines)
        for line in draft.lines:
            assert line.amount == (line.quantity * line.unit_price).quantize(Decimal("0.01"), ROUND_HALF_UP)
            ids = {b.entry_id for b in line.entries}
            assert not billed & ids  # an entry is on one line only
            billed |= ids
        assert draft.gross == draft.net + draft.vat
    billable_rows = [r for r in rows if r[2] != "ACME,internal"]
    assert len(billed) == len(billable_rows)


def test_quantity_is_hours_to_four_places():
    assert [str(quantity(s)) for s in (5400, 1200, 3600, 1)] == ["1.5", "0.3333", "1", "0.0003"]


def test_period_is_carried(ws):
    drafts = drafts_for(ws, "2026-11-03,Anna Schmidt,ACME,website,,a,1,\n")
    assert drafts["acme"].period == parse_period("2026-11")
