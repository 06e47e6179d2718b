"""The Months sheet's table: the last twelve months up to the period's end, one row per month.

Each month holds what the Clients sheet would show for it (so the period's month reconciles with
the Clients sheet's totals): the entries dated in it (the period's, and every earlier one the
exports in input/ still hold), the expenses dated in it, the pending overage of its retainer
periods, and the fees, overage, milestones and caps' write-downs of the live invoices of its
billing period (an invoice of a period spanning months: the month its period ends). An entry a
live invoice billed that the exports no longer hold (its export archived, say) counts as the
ledger has it, in the month of its day, when that is before the period (the period's months are
its Clients sheet, which counts only what the exports hold): its billed hours at its line's
price, invoiced; logged and billable as its duration then was.

- Hours (logged, billable, billed) add up over every client, whatever its currency.
- Money (billable value, invoiced, the gap, cost, margin) counts only the clients billed in the
  agency's currency: there is no exchange rate. Cost is theirs too, so margin = value − cost.
- *Invoiced* = billable value − unbilled value: the entries on our invoices (or invoiced in the
  tracker), the models' lines, the expenses billed. The *gap* is the rest: value not invoiced.
- A month holds at most what the exports and the ledger hold: the first month is the earliest
  with an entry, an expense or a live invoice line, at most eleven months before the last; a
  month with nothing in it is a row of zeros.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd

from ..config import Config
from ..ledger import Book
from ..periods import Period, parse_period
from ..pricing import amount
from ..pricing.invoices import HOURS, quantity
from ..schemas import Entries as E
from ..schemas import Expenses as X
from ..schemas import ReportEntries as R
from ..units import HOUR, hours, share
from .before import Before
from .models import (
    MODEL_OF_CHARGE,
    READ,
    UNCOVERED_READS,
    Models,
    is_write_down,
    model_tables,
    next_bill,
    period_lines,
    uncovered,
)

ZERO = Decimal("0.00")
MONTHS = 12
SECONDS = ["logged_seconds", "billable_seconds", "billed_seconds"]
MONEY = ["value", "unbilled", "cost"]
COLUMNS = ["month", "logged", "billable", "billed", "value", "invoiced", "gap", "gap_pct", "cost", "margin",
           "margin_pct", "currency"]


@dataclass(frozen=True)
class Sources:
    """What the months are made of: the period's report entries, what the figures take of the
    months before (reports/before.py), the period's expense table (reports/expenses.py), the
    ledger, the models and the live billed entries."""

    entries: pd.DataFrame
    before: Before
    expenses: pd.DataFrame | None
    book: Book
    models: Models
    billed: pd.DataFrame  # the live billed entries as the check read them (ledger BILLED_COLUMNS)
    today: date


def month_table(sources: Sources, config: Config, period: Period) -> pd.DataFrame:
    """One row per month (COLUMNS; `month` as "2026-11"), oldest first, ending with the period's last month."""
    before = sources.before
    facts = pd.concat([entry_facts(sources.entries), before.facts if before.facts is not None else _facts([], []),
                       _expense_facts(sources.expenses), _expense_facts(before.expenses),
                       _line_facts(sources.book), _pending_facts(_pending(sources, config, period)),
                       _archived_facts(sources, config, period)], ignore_index=True).astype(
        {"month": object, "client": object})  # as text also when there is nothing
    facts = facts[facts["client"].isin(list(config.clients)) & facts["month"].le(_month(period.end))]
    months = _window(facts["month"], _month(period.end))
    facts = facts[facts["month"].isin(months)]
    agency = config.agency.currency
    currency = {key: client.currency for key, client in config.clients.items()}
    rows = [_row(month, facts[facts["month"].eq(month)], currency, agency) for month in months]
    return pd.DataFrame(rows, columns=COLUMNS)


def _month(day: object) -> str:
    return pd.Timestamp(day).strftime("%Y-%m")


def _window(found: pd.Series, last: str) -> list[str]:
    """The months from the earliest found (at most MONTHS − 1 before `last`) up to `last`."""
    end = pd.Period(last, "M")
    first = max(pd.Period(min(found), "M") if len(found) else end, end - (MONTHS - 1))
    return [str(m) for m in pd.period_range(first, end, freq="M")]


def _facts(month: list[str], client: list[str], **columns: list) -> pd.DataFrame:
    """Rows of SECONDS and MONEY (0 where not given) per month and client."""
    n = len(month)
    zeros = {name: [0] * n for name in SECONDS} | {name: [ZERO] * n for name in MONEY}
    return pd.DataFrame({"month": month, "client": client, **zeros, **columns}, columns=["month", "client",
                                                                                         *SECONDS, *MONEY])


def entry_facts(entries: pd.DataFrame) -> pd.DataFrame:
    """The report entries without errors as Clients sums them (figures._sums): logged, billable,
    billed seconds, value, unbilled value (of the uncovered ones: models.uncovered), cost — summed
    per month and client (a year of entries is a few thousand rows of facts)."""
    read = [E.date, E.client_key, E.duration_s, R.billed_s, R.value, R.cost, *UNCOVERED_READS]  # billable: in those
    sound = entries.loc[~entries[R.error], read] if len(entries) else entries
    if sound.empty:
        return _facts([], [])
    seconds = sound[E.duration_s].fillna(0).astype("int64")
    billable = sound[E.billable].astype(bool)
    frame = pd.DataFrame({
        "month": month_labels(sound[E.date]), "client": sound[E.client_key].astype(object),
        "logged_seconds": seconds, "billable_seconds": seconds.where(billable, 0),
        "billed_seconds": sound[R.billed_s].fillna(0).astype("int64").where(billable, 0),
        "value": sound[R.value], "unbilled": sound[R.value].where(uncovered(sound), ZERO),
        "cost": sound[R.cost]})
    sums = frame.groupby(["month", "client"], sort=True)
    seconds_sums = sums[SECONDS].sum()
    money = {name: [total + ZERO for total in sums[name].sum()] for name in MONEY}  # Decimals, added exactly
    return _facts(seconds_sums.index.get_level_values(0).tolist(), seconds_sums.index.get_level_values(1).tolist(),
                  **{name: seconds_sums[name].tolist() for name in SECONDS}, **money)


def month_labels(days: pd.Series) -> np.ndarray:
    """Each day's month as text ("2026-11"), each distinct month formatted once."""
    months, at = np.unique(days.to_numpy(dtype="datetime64[us]").astype("datetime64[M]"), return_inverse=True)
    return np.array([str(m) for m in months], dtype=object)[at.reshape(-1)]


def _expense_facts(expenses: pd.DataFrame | None) -> pd.DataFrame:
    """Sound, dated expenses: revenue (billed and to bill) in the value, to bill in the unbilled, cost."""
    if expenses is None or expenses.empty:
        return _facts([], [])
    sound = expenses[~expenses["faulty"] & expenses[X.date].notna() & expenses[X.client_key].notna()]
    return _facts([_month(d) for d in sound[X.date]], sound[X.client_key].tolist(),
                  value=sound["expense_revenue"].tolist(), unbilled=sound["expense_unbilled"].tolist(),
                  cost=sound["expense_cost"].tolist())


def _line_facts(book: Book) -> pd.DataFrame:
    """The live invoices' model lines (fees, overage, milestones) and caps' write-downs (negative),
    in the month of their invoice's billing period (one spanning months: the month it ends)."""
    lines = period_lines(book, None)
    if lines.empty:
        return _facts([], [])
    lines = lines[lines["charge"].isin(list(MODEL_OF_CHARGE)) | is_write_down(lines)]
    return _facts([_month(parse_period(p).end) for p in lines["period"]], lines["client_key"].tolist(),
                  value=lines["amount"].tolist())


def _pending(sources: Sources, config: Config, period: Period) -> pd.DataFrame:
    """What the next `bill` of the period bills of the models (reports/models.next_bill, as the
    Clients sheet counts it), and what the runs of the window's earlier months would still bill:
    a month's fee, its milestones due, less its caps' write-downs — each retainer period once, in
    the month it ends (one that overlaps the period counts in the period)."""
    found = [next_bill(sources.models, period)]
    first_day = sources.before.first_day
    past = sources.before.entries
    if first_day is not None and past is not None and any(
            job.retainer or job.fixed or job.cap for client in config.clients.values() for job in client.jobs.values()):
        before = past[READ]  # each month's models read these, sliced month by month
        first = max(pd.Period(_month(period.end), "M") - (MONTHS - 1), pd.Period(_month(first_day), "M"))
        for label in pd.period_range(first, pd.Period(_month(period.start), "M") - 1, freq="M"):
            month = parse_period(str(label))
            days = before[E.date]
            mine = before[days.ge(pd.Timestamp(month.start)) & days.le(pd.Timestamp(month.end))]
            models = model_tables(mine, before[days.lt(pd.Timestamp(month.start))], sources.book, config, month,
                                  sources.today)
            due = next_bill(models, month)
            found.append(due[[day < period.start for day in due["last_day"]]])
    return pd.concat(found, ignore_index=True).drop_duplicates(["client", "job", "charge"])


def _pending_facts(pending: pd.DataFrame) -> pd.DataFrame:
    """Pending model charges (`_pending`) in the month of their last day: value, all unbilled."""
    pending = pending[[v != 0 for v in pending["value"]]]
    if pending.empty:
        return _facts([], [])
    values = pending["value"].tolist()
    return _facts([_month(d) for d in pending["last_day"]], pending["client"].tolist(), value=values,
                  unbilled=values)


def _archived_facts(sources: Sources, config: Config, period: Period) -> pd.DataFrame:
    """The billed entries before the period that no export holds any more (nor an edited version
    of them), as the ledger billed them: hours charges at their line's price; a model's at 0 (its
    line is the revenue). Cost at each person's cost_rate."""
    billed = sources.billed
    if billed.empty:  # nothing billed, nothing archived
        return _facts([], [])
    ids, unheld = billed[E.entry_id], sources.before.unheld  # known: the billed ones an export holds
    known = ids.isin(sources.entries[E.entry_id]) | (~ids.isin(unheld) if unheld is not None else False)
    replaces = billed["replaces"]  # an accepted edited version: the billed entry it replaces
    edited = replaces[known & replaces.notna()]  # those whose edited version an export holds
    # a row per live id (the ledger's billed_once): an id is known where its own row is
    gone = billed[replaces.isna() & ~known & ~ids.isin(edited) & billed["day"].lt(period.start.isoformat())]
    if gone.empty:
        return _facts([], [])
    line = sources.book.billed.drop_duplicates(E.entry_id).set_index(E.entry_id)
    price = gone[E.entry_id].map(line["unit_price"])
    by_hour = gone[E.entry_id].map(line["charge"]).eq(HOURS)
    logged = gone[E.duration_s].fillna(gone[R.billed_s]).astype("int64")  # the ledger keeps them by these names
    costs = {p.name: p.cost_rate for p in config.team if p.cost_rate is not None}
    return _facts([str(d)[:7] for d in gone["day"]], gone[E.client_key].tolist(), logged_seconds=logged.tolist(),
                  billable_seconds=logged.tolist(), billed_seconds=gone[R.billed_s].tolist(),
                  value=[amount(quantity(s), p) if h else ZERO for s, p, h in zip(gone[R.billed_s], price, by_hour)],
                  cost=[amount(Decimal(int(s)) / HOUR, costs[p]) if p in costs else ZERO
                        for s, p in zip(logged, gone[E.person])])


def _row(month: str, facts: pd.DataFrame, currency: dict[str, str], agency: str) -> dict:
    """A month's figures: hours per client rounded as the Clients sheet rounds them, then summed;
    money of the clients billed in the agency's currency."""
    per_client = facts.groupby("client")
    seconds = per_client[SECONDS].sum()
    logged, billable, billed = (sum((hours(s) for s in seconds[name]), ZERO) for name in SECONDS)
    mine = facts[facts["client"].map(currency).eq(agency)]
    value, unbilled, cost = (sum(mine[name], ZERO) for name in MONEY)
    invoiced, margin = value - unbilled, value - cost
    return {"month": month, "logged": logged, "billable": billable, "billed": billed, "value": value,
            "invoiced": invoiced, "gap": unbilled, "gap_pct": share(unbilled, value), "cost": cost, "margin": margin,
            "margin_pct": share(margin, value), "currency": agency}
