"""The figures behind the reports: per entry, client, job, budget and person, from a check run
and the ledger.

Definitions (the workbook's column notes repeat them):
- *logged*: time people tracked, raw; *billable*: the logged time of billable entries; *billed*:
  billable time after the rounding rules (and review write-downs), as invoices show it.
- *value*: what an entry is worth at the agreed rates — for an invoiced entry, the hours and
  unit price of its invoice line (so a write-down shows); otherwise its rounded hours at the rate
  in force. *Cost*: logged hours × the person's `cost_rate`, in the agency's currency.
- *margin* = value − cost, only where the client is billed in the agency's currency (there is no
  exchange rate to convert with); *effective rate* = value ÷ all logged hours.
- A budget `per: month` counts the period's time against the budget for the months the period
  spans; `per: total` counts all time up to the end of the period, earlier periods included.
  Hours budgets burn the hours logged, plus what the invoices bill beyond them: where the scope's
  billed hours (invoiced, or rounded and to bill) exceed its billable logged hours, the difference
  counts too (`hours_used`). Amount budgets burn value: invoiced entries at their invoice line's
  hours and price, the others at their rounded hours and the rate in force (a retainer's or fixed
  price's entries at their hours × the rate in force: their notional value). The projection extends
  the pace of the period's working days so far to all of them.
Entries with errors are listed but counted in no total: they cannot be billed as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable, Iterable, NamedTuple

import numpy as np
import pandas as pd

from ..check import digests
from ..check.capacity import missing_days, working_days
from ..check.decisions import review_applied
from ..check.digests import Ids, id_bytes
from ..check.tracker import INVOICED, UNAPPROVED, tracker_text
from ..config import Budget, Client, Config
from ..frames import factorize, positions
from ..ledger import Book
from ..payments.receivables import Aging, Standing, aging, standings
from ..periods import Period, parse_period
from ..pricing import amount, logged_seconds, price
from ..pricing.invoices import quantity
from ..pricing.rates import rate_for
from ..problems import Problem
from ..run import CheckRun
from ..schemas import Entries as E
from ..schemas import ReportEntries as R
from ..schemas import added
from ..units import CENT, HOUR, hours, share
from .before import UNBILLED, Before
from .expenses import expense_sums, expense_table
from .models import Models, entry_models, job_model, line_revenue, model_tables, next_bill, unbilled, uncovered
from .months import Sources, month_table

ZERO = Decimal("0.00")
MONTH, QUARTER = 31, 92  # days: a client's billing rhythm


@dataclass(frozen=True)
class Figures:
    period: Period
    today: date
    currency: str  # the agency's: costs are in it
    entries: pd.DataFrame  # one row per entry of the period (see `entry_table`)
    clients: pd.DataFrame
    jobs: pd.DataFrame
    budgets: pd.DataFrame
    team: pd.DataFrame
    gap: pd.DataFrame
    earlier_unbilled: pd.DataFrame  # earlier periods' billable entries on no invoice, per month and client
    untracked: pd.DataFrame  # client meetings nobody logged, with their value
    invoices: pd.DataFrame  # the ledger's invoices of the period
    models: Models = Models()  # the retainer periods, fixed prices and caps (reports/models.py)
    expenses: pd.DataFrame | None = None  # one row per expense of the period (reports/expenses.py)
    months: pd.DataFrame | None = None  # the last twelve months up to the period's end (reports/months.py)
    standings: tuple[Standing, ...] = ()  # every invoice and credit note as far as payments go, as of today
    aging: tuple[Aging, ...] = ()  # the open money by days past due, per currency


def build(run: CheckRun, book: Book, earlier: Callable[[], Before], today: date) -> Figures:
    """The figures of a check run with the ledger as `book` has it; `earlier()` gives what they take
    of the months before the period, asked for once the period's own figures are made: reports.report
    has it made beside them, in a process of its own."""
    config, period = run.loaded_config(), run.period
    entries = entry_table(run, book, config)
    expenses = expense_table(run, book, config, flags(run.expenses, run.problems)) if len(run.expenses) else None
    untracked = untracked_table(run, config)
    team = team_table(run, entries, config, today)
    standing = tuple(standings(book.invoices, book.paid, today))
    before = earlier()
    past = before.entries if before.entries is not None else entries.iloc[0:0]
    totals = before.budgets if before.budgets is not None else entries.iloc[0:0]
    models = model_tables(entries[~entries[R.error]], past, book, config, period, today)
    clients = client_table(entries, book, config, period, models, expenses)
    jobs = job_table(entries, book, config, period, models, expenses)
    budgets = budget_table(entries, totals, config, period, today)
    earlier_unbilled = before.unbilled if before.unbilled is not None else pd.DataFrame(columns=UNBILLED)
    months = month_table(Sources(entries=entries, before=before,
                                 expenses=expenses, book=book, models=models, billed=run.billed, today=today),
                         config, period)
    return Figures(period, today, config.agency.currency, entries, clients, jobs, budgets, team,
                   gap_table(clients, entries, earlier_unbilled, untracked, run, today),
                   earlier_months(earlier_unbilled), untracked,
                   invoice_table(book, period), models, expenses, months, standing,
                   tuple(aging(standing, book.invoices, today)))


# all _budget_row reads of an entry
BUDGET_READS = [E.client_key, E.job_key, E.date, E.duration_s, E.billable, R.billed_s, R.notional_value]


def entry_table(run: CheckRun, book: Book, config: Config, reviewed: bool = True,
                billed_ids: Ids | None = None) -> pd.DataFrame:
    """The run's entries with: error (bool), rate, billed_s, value, cost, invoice (number or ""),
    written_down_from, held_in_review, waits_for_approval, tracker (what the export says). An
    invoiced entry is as its invoice has it; with `reviewed`, an unbilled one as the review
    workbook will have it billed (written down, or held back). `billed_ids`: the book's billed
    entries' ids as bytes (digests.id_bytes), where a year's are looked up part by part."""
    entries = run.entries[run.entries[E.date].notna()] if len(run.entries) else run.entries
    errors = run.with_errors()[entries.index]
    priced = price(entries, config, run.prices).reset_index(drop=True).assign(**{R.error: errors.to_numpy()})
    ids = priced[E.entry_id]
    on_invoice, invoiced = _on_invoice(book.billed, ids, billed_ids)  # the ledger keeps an entry's fields by name
    number = invoiced("number").where(on_invoice, "")
    billed_s = invoiced(R.billed_s).where(on_invoice, priced[R.billed_s]).astype("Int64")
    before = invoiced(R.written_down_from).astype("Int64")
    review = review_applied(ids, billed_s, run.decisions)  # an invoiced entry is as its invoice has it
    held = review.held & ~on_invoice
    if reviewed:
        down = review.written_down_from.notna() & ~on_invoice
        before = before.where(~down, billed_s)
        billed_s = billed_s.where(~down, review.billed_s)
    model = entry_models(priced, invoiced("charge").where(on_invoice, ""), config)
    by_hour = model.eq("")  # a retainer's or fixed price's entries have no hourly value: the fee is the revenue
    rate = invoiced("unit_price").where(on_invoice & by_hour, priced[R.rate])  # a model's: the one in force
    billable = priced[E.billable] & ~priced[R.error]
    sound = billable & rate.notna() & billed_s.notna()
    notional = per_pair(billed_s, rate, sound, lambda s, r: amount(quantity(int(s)), r))
    value = notional.where(by_hour, ZERO)
    rate = rate.where(by_hour, None)
    costs = {p.name: p.cost_rate for p in config.team if p.cost_rate is not None}
    costed = priced[E.person_name].isin(list(costs)) & priced[E.duration_s].notna() & ~priced[R.error]
    cost = per_pair(priced[E.duration_s], priced[E.person_name], costed,
                    lambda s, p: amount(Decimal(int(s)) / HOUR, costs[p]))
    currency = {key: c.currency for key, c in config.clients.items()}
    waits = priced[E.tracker_hold].eq(UNAPPROVED) & ~on_invoice & ~held
    return added(R, priced.assign(**{
        R.invoice: number.astype(str), R.billed_s: billed_s, R.written_down_from: before,
        R.held_in_review: held.astype(bool), R.waits_for_approval: waits.astype(bool), R.tracker: tracker_text(priced),
        R.currency: priced[E.client_key].map(currency).fillna(config.agency.currency),
        R.flags: pd.Series(flags(priced, run.problems), index=priced.index, dtype=str), R.rate: rate.astype(object),
        R.value: value, R.model: model, R.cost: cost, R.notional_value: notional}))


def _on_invoice(billed: pd.DataFrame, ids: pd.Series,
                billed_ids: Ids | None = None) -> tuple[pd.Series, Callable[[str], pd.Series]]:
    """(whether each entry, by its id, is on a live invoice; `invoiced(name)`: the ledger's field
    `name` of each, an object Series aligned with `ids`, None for an entry on no invoice). Each id
    is looked up once, not once per field; as bytes where the billed ones' are given (`billed_ids`)."""
    at = positions(ids, billed[R.entry_id]) if billed_ids is None else digests.positions(id_bytes(ids), billed_ids)
    found = at >= 0

    def invoiced(name: str) -> pd.Series:
        values = np.full(len(ids), None, dtype=object)
        values[found] = billed[name].to_numpy(dtype=object)[at[found]]
        return pd.Series(values, index=ids.index, dtype=object)
    return pd.Series(found, index=ids.index), invoiced


def per_pair(a: pd.Series, b: pd.Series, where: pd.Series, compute: Callable[[Any, Any], Decimal]) -> pd.Series:
    """`compute(a, b)` row by row where `where` holds, ZERO elsewhere — computed once per distinct
    pair (a month's entries share a few hours and rates; money is exact, so equal pairs give equal amounts)."""
    out = np.full(len(a), ZERO, dtype=object)
    mask = where.to_numpy(dtype=bool)
    if mask.any():
        codes_a, values_a = factorize(a[mask])
        codes_b, values_b = factorize(b[mask])
        pairs, first = np.unique(codes_a * len(values_b) + codes_b, return_inverse=True)
        amounts = np.fromiter((compute(values_a[p // len(values_b)], values_b[p % len(values_b)]) for p in pairs),
                              dtype=object, count=len(pairs))
        out[mask] = amounts[first]
    return pd.Series(out, index=a.index, dtype=object)


def flags(entries: pd.DataFrame, problems: Iterable[Problem]) -> list[str]:
    """Per entry: the codes of the problems about its row, errors first, e.g. 'no-rate, long-entry'."""
    found: dict[tuple[str, int], list[str]] = {}
    for p in sorted(problems, key=lambda p: p.severity.value != "error"):
        for place in p.locations():
            codes = found.setdefault(place, [])
            if p.code not in codes:
                codes.append(p.code)
    texts = [""] * len(entries)
    located = np.flatnonzero(entries[E.source_file].isin({file for file, _ in found}).to_numpy(dtype=bool))
    files, rows = entries[E.source_file].to_numpy()[located], entries[E.source_row].to_numpy()[located]
    for at, file, row in zip(located, files, rows):
        texts[at] = ", ".join(found.get((file, int(row)), []))
    return texts


def _sums(entries: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    sound = entries[~entries[R.error]]
    seconds = sound[E.duration_s].astype("int64")
    unbilled_now = uncovered(sound)
    billed = sound[R.billed_s].fillna(0).astype("int64")
    frame = sound.assign(**{R.billed_s: billed.where(sound[E.billable], 0)}).assign(
        logged_s=seconds, billable_s=seconds.where(sound[E.billable], 0),
        unbilled_s=billed.where(unbilled_now, 0), covered_s=billed.where(unbilled(sound) & ~unbilled_now, 0),
        unbilled_value=[v if u else ZERO for v, u in zip(sound[R.value], unbilled_now)],
        invoiced_value=[v if n else ZERO for v, n in zip(sound[R.value], sound[R.invoice])])
    columns = ["logged_s", "billable_s", R.billed_s, "unbilled_s", "covered_s", R.value, "unbilled_value",
               "invoiced_value", R.cost]
    return frame.groupby(by)[columns].sum()


def _invoiced(book: Book, by: list[str]) -> pd.DataFrame:
    """Net of the live invoices' lines, every period."""
    live = book.lines[book.lines["kind"].eq("invoice") & book.lines["status"].eq("issued")]
    return pd.DataFrame({"invoiced_to_date": live.groupby(by)["amount"].sum()})


def _model_sums(models: Models, period: Period, by: list[str]) -> pd.DataFrame:
    """Per `by` (client, job): what the next `bill` bills of the models (reports/models.next_bill)
    — pending_h, pending_value — and the value they give away, absorbed."""
    found = next_bill(models, period).rename(columns={"hours": "pending_h", "value": "pending_value",
                                                      "written_down": "absorbed"})
    columns = ["absorbed", "pending_h", "pending_value"]
    return found.groupby(by)[columns].sum() if len(found) else \
        pd.DataFrame(columns=columns, index=pd.MultiIndex.from_tuples([], names=by) if len(by) > 1
                     else pd.Index([], name=by[0]))


def _with_models(sums: pd.DataFrame, book: Book, period: Period, models: Models, by: list[str]) -> pd.DataFrame:
    """`sums` (indexed by client, or client and job) with the revenue the models' lines add, the
    caps' write-downs and the retainer hours absorbed."""
    keys = [E.client_key, E.job_key][:len(by)]
    revenue = line_revenue(book, period, ["client_key", "job_key"][:len(by)]).rename_axis(keys)
    absorbed = _model_sums(models, period, by).rename_axis(keys)
    return sums.join(revenue, how="outer").join(absorbed, how="outer")


def client_table(entries: pd.DataFrame, book: Book, config: Config, period: Period,  # noqa: PLR0913
                 models: Models | None = None, expenses: pd.DataFrame | None = None) -> pd.DataFrame:
    sums = _sums(entries, [E.client_key]).join(_invoiced(book, ["client_key"]), how="outer")
    sums = _with_models(sums, book, period, models or Models(), ["client"])
    sums = sums.join(expense_sums(expenses, [E.client_key]), how="outer")
    last = {r.client_key: r for r in book.invoices if r.kind == "invoice" and r.status == "issued"}
    rows = []
    for key, client in sorted(config.clients.items(), key=lambda kc: (not kc[1].billable, kc[0])):  # internal last
        s = sums.loc[key] if key in sums.index else None
        rows.append({"client": key, "name": client.name, "currency": client.currency,
                     "billable_client": client.billable, **_money_row(s, client.currency, config),
                     "last_invoice": last[key].number if key in last else "",
                     "last_invoice_date": last[key].issue_date if key in last else None,
                     "rhythm": billing_rhythm(client),
                     **_budget_cells(client.budget, client.currency)})
    return pd.DataFrame(rows)


def billing_rhythm(client: Client) -> int:
    """Days between a client's invoices: a month, or a quarter where only quarterly retainers bill it."""
    jobs = [job for job in client.jobs.values() if job.billable]
    quarterly = bool(jobs) and all(job.retainer is not None and job.retainer.per == "quarter" for job in jobs)
    return QUARTER if quarterly else MONTH


def job_table(entries: pd.DataFrame, book: Book, config: Config, period: Period,  # noqa: PLR0913
              models: Models | None = None, expenses: pd.DataFrame | None = None) -> pd.DataFrame:
    sums = _sums(entries.assign(**{E.job_key: entries[E.job_key].fillna("")}), [E.client_key, E.job_key])
    sums = sums.join(_invoiced(book, ["client_key", "job_key"]).rename_axis([E.client_key, E.job_key]),
                     how="outer")
    sums = _with_models(sums, book, period, models or Models(), ["client", "job"])
    sums = sums.join(expense_sums(expenses, [E.client_key, E.job_key]), how="outer")
    rows = []
    internal = {key for key, c in config.clients.items() if not c.billable}
    for (client_key, job_key), s in sorted(sums.iterrows(), key=lambda kv: (kv[0][0] in internal, kv[0])):
        client = config.clients.get(client_key)
        job = client.jobs.get(job_key) if client else None
        currency = client.currency if client else config.agency.currency
        rows.append({"client": client_key, "job": job_key, "name": job.name if job else "(no job)",
                     "model": job_model(job), "currency": currency, **_money_row(s, currency, config),
                     **_budget_cells(job.budget if job else None, currency)})
    return pd.DataFrame(rows)


def _money_row(s: pd.Series | None, currency: str, config: Config) -> dict:
    def get(name: str, zero: Decimal | int = ZERO) -> Any:
        value = None if s is None else s.get(name)
        return zero if value is None or pd.isna(value) else value

    lines = get("model_revenue") - get("capped")  # fees, overage and milestones billed in the period, less caps
    pending_h, pending = get("pending_h"), get("pending_value")  # a retainer's overage not billed yet
    spent, earned = get("expense_cost"), get("expense_revenue")  # expenses: cost, and billed or to bill
    time_value, cost, logged = get("value") + lines + pending, get("cost") + spent, get("logged_s", 0)
    value = time_value + earned
    same = currency == config.agency.currency
    margin = value - cost if same else None
    return {"logged": hours(logged), "billable": hours(get("billable_s", 0)), "billed": hours(get("billed_s", 0)),
            "value": value,
            "invoiced_period": get("invoiced_value") + lines + get("expense_billed"),
            "invoiced_to_date": get("invoiced_to_date"),
            "unbilled": hours(get("unbilled_s", 0)) + pending_h,
            "unbilled_value": get("unbilled_value") + pending + get("expense_unbilled"),
            "covered": max(ZERO, hours(get("covered_s", 0)) - pending_h),
            "written_down": get("capped") + get("absorbed"), "cost": cost, "expense_cost": spent,
            "expense_revenue": earned, "margin": margin,
            "margin_pct": share(margin, value) if margin is not None else None,
            "effective_rate": (time_value / hours(logged)).quantize(CENT) if logged else None}


def _budget_cells(budget: Budget | None, currency: str) -> dict:
    if budget is None:
        return {"budget": "", "burn_pct": None}
    size = f"{budget.hours:,} h" if budget.hours is not None else f"{budget.amount:,.2f} {currency}"
    return {"budget": f"{size} {'a month' if budget.per == 'month' else 'in total'}", "burn_pct": None}


def budget_table(entries: pd.DataFrame, before: pd.DataFrame, config: Config, period: Period,
                 today: date) -> pd.DataFrame:
    """Every client and job budget: hours logged and billed, used, burn, projection, time beyond it
    and its value."""
    used = BUDGET_READS  # all _budget_row reads
    budgeted = [key for key, client in config.clients.items()
                if client.budget or any(job.budget for job in client.jobs.values())]
    sound, before = entries.loc[~entries[R.error], used], before[used]
    sound, before = (frame[frame[E.client_key].isin(budgeted)] for frame in (sound, before))  # scopes look in these
    all_days = working_days(config, period, period.end)
    elapsed = working_days(config, period, today)
    pace = Decimal(len(all_days)) / len(elapsed) if len(elapsed) and today < period.end else Decimal(1)
    rows = []
    for key, client in sorted(config.clients.items()):
        scopes = [("", client.budget, client.alert_at)] + [
            (job_key, job.budget, job.alert_at or client.alert_at) for job_key, job in sorted(client.jobs.items())]
        for job_key, budget, alert_at in scopes:
            if budget is None:
                continue

            def mine(frame: pd.DataFrame, job_key: str = job_key, key: str = key) -> pd.DataFrame:
                hit = frame[E.client_key].eq(key)
                return frame[hit & frame[E.job_key].eq(job_key)] if job_key else frame[hit]

            now, past = mine(sound), mine(before) if budget.per == "total" else before.iloc[0:0]
            scope = _Scope(key, job_key, client.currency, budget, alert_at)
            rows.append({**_budget_row(scope, now, past, period, today, pace),
                         "name": client.jobs[job_key].name if job_key else client.name,
                         "label": _budget_cells(budget, client.currency)["budget"]})
    columns = ["client", "job", "name", "label", "unit", "per", "budget", "logged", "billed", "used", "burn_pct",
               "projected", "projected_pct", "over", "over_hours", "over_value", "amber_at", "red_at", "currency"]
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values(["burn_pct", "client", "job"], ascending=[False, True, True],
                             key=lambda c: c.map(float) if c.name == "burn_pct" else c).reset_index(drop=True)


class _Scope(NamedTuple):
    """A budget and what it covers: a client (job "") or one of its jobs."""
    client: str
    job: str
    currency: str
    budget: Budget
    alert_at: tuple[Decimal, ...]


def _budget_row(scope: _Scope, now: pd.DataFrame, past: pd.DataFrame, period: Period, today: date,
                pace: Decimal) -> dict:
    key, job_key, currency, budget, alert_at = scope
    size = budget.hours if budget.hours is not None else budget.amount
    if size is None:  # rates.yaml's reader gives every budget its hours or its amount
        raise ValueError(f"{key}/{job_key}: a budget of neither hours nor an amount")
    limit = size * period.months() if budget.per == "month" else size
    limit = limit.quantize(CENT, ROUND_HALF_UP)
    so_far = now[now[E.date].le(pd.Timestamp(today))]

    def measure(*frames: pd.DataFrame) -> Decimal:
        if budget.hours is not None:
            return hours(hours_used(*frames).used)
        return sum((sum(frame[R.notional_value], ZERO) for frame in frames), ZERO)

    scope_hours = hours_used(past, now)
    used = measure(past, now)
    projected = max(used, measure(past) + (measure(so_far) * pace).quantize(CENT, ROUND_HALF_UP))
    value = sum(now[R.notional_value], ZERO) + sum(past[R.notional_value], ZERO)
    billed_h = hours(scope_hours.billed)
    rate = (value / billed_h) if billed_h else None  # the average agreed rate of the scope, per billed hour
    over = max(used - limit, ZERO)
    over_hours: Decimal | None
    over_value: Decimal | None
    if budget.hours is not None:
        over_hours, over_value = over, (over * rate).quantize(CENT) if rate is not None else None
    else:
        over_value, over_hours = over, (over / rate).quantize(CENT) if rate else None
    thresholds = sorted(alert_at) or [Decimal(1)]
    return {"client": key, "job": job_key, "unit": "h" if budget.hours is not None else currency, "per": budget.per,
            "budget": limit, "logged": hours(scope_hours.logged), "billed": billed_h, "used": used,
            "burn_pct": share(used, limit) or ZERO, "projected": projected,
            "projected_pct": share(projected, limit) or ZERO, "over": over, "over_hours": over_hours,
            "over_value": over_value, "amber_at": thresholds[0], "red_at": thresholds[-1], "currency": currency}


class Hours(NamedTuple):
    """A budget's hours, in seconds: logged (all of its entries'), billable (the logged time of the
    billable ones) and billed (their billed time: invoiced, or rounded and to bill)."""
    logged: int
    billable: int
    billed: int

    @property
    def used(self) -> int:
        """What burns the budget: the hours logged, plus how far the billed hours exceed the billable
        hours logged. Where the invoices bill more than was logged (rounding up), that is the hours
        they bill plus any non-billable time; otherwise the hours logged. Counted over the whole
        scope, not per entry: an invoice line bills its entries' billed seconds summed, so one entry
        rounded down (or written down) offsets another rounded up on the invoice, and so it does
        here; per entry, used would count every rounding up and no rounding down, and match neither
        the hours logged nor the hours invoiced."""
        return self.logged + max(0, self.billed - self.billable)


def hours_used(*frames: pd.DataFrame) -> Hours:
    """The hours of a budget's entries, given as one or more frames (earlier periods', this one's)."""
    logged = billable = billed = 0
    for frame in frames:
        mask = frame[E.billable].astype(bool)
        logged += int(frame[E.duration_s].sum())
        billable += int(frame.loc[mask, E.duration_s].sum())
        billed += int(frame.loc[mask, R.billed_s].fillna(0).sum())
    return Hours(logged, billable, billed)


def team_table(run: CheckRun, entries: pd.DataFrame, config: Config, today: date) -> pd.DataFrame:
    sound = entries[~entries[R.error]]
    period = run.period
    away = run.absences if run.absences is not None else pd.DataFrame(columns=["person", "date"])
    missing = missing_days(sound, away, config, period, today)["person"].value_counts()
    people = sound[E.person_name]
    logged = sound[E.duration_s].groupby(people, sort=False).sum()
    worked = sound[sound[E.duration_s].gt(0).fillna(False)]
    last_day = worked[E.date].groupby(worked[E.person_name], sort=False).max()
    billable_s = sound.loc[sound[E.billable], E.duration_s].groupby(people[sound[E.billable]], sort=False).sum()
    cost = _per_client(sound, R.cost, E.person_name)
    away_days = {name: set(pd.to_datetime(days)) for name, days in away.groupby("person", sort=False)["date"]}
    rows = []
    for person in config.team:
        days = working_days(config, period, period.end, person.name)
        off = away_days.get(person.name, set()) & set(days)
        capacity = (person.hours_per_week / 5 * (len(days) - len(off))).quantize(CENT) if person.hours_per_week \
            else None
        billable = hours(billable_s.get(person.name, 0))
        rows.append({"person": person.name, "role": person.role or "", "logged": hours(logged.get(person.name, 0)),
                     "billable": billable, "capacity": capacity, "days_away": len(off),
                     "utilisation_pct": share(billable, capacity) if capacity else None,
                     "missing_days": int(missing.get(person.name, 0)), "cost": cost.get(person.name, ZERO),
                     **_last_logged(last_day.get(person.name), today)})
    return pd.DataFrame(rows)


def _last_logged(day: pd.Timestamp | None, today: date) -> dict:
    """The last day of the period a person logged time, and how many days ago that is (None: no day)."""
    if day is None or pd.isna(day):
        return {"last_logged": None, "days_since_logged": None}
    return {"last_logged": day.date(), "days_since_logged": (today - day.date()).days}


def untracked_table(run: CheckRun, config: Config) -> pd.DataFrame:
    columns = ["person", "client", "date", "summary", "hours", "value", "currency", "file"]
    meetings = run.untracked if run.untracked is not None else pd.DataFrame()
    rows = []
    for m in meetings.itertuples():
        rate, _ = rate_for(config, m.person, m.client_key, None, m.date.date())
        h = hours(m.duration_s)
        rows.append((m.person, m.client_key, m.date.date(), m.summary, h, amount(h, rate) if rate else None,
                     config.clients[m.client_key].currency, m.source_file))
    return pd.DataFrame(rows, columns=columns)


def gap_table(clients: pd.DataFrame, entries: pd.DataFrame, earlier: pd.DataFrame, untracked: pd.DataFrame,
              run: CheckRun, today: date) -> pd.DataFrame:
    """Per client: tracked billable value against invoiced, and the time that is slipping away."""
    faulty = entries[entries[R.error]]
    held, everyone = run.held_back()
    used = [E.client_key, E.billable, E.date, E.tracker_hold, R.held_in_review, R.waits_for_approval, R.value]
    sound = entries.loc[~entries[R.error] & entries[R.invoice].eq(""), used]
    in_review = _per_client(sound[sound[R.held_in_review]], R.value)
    in_tracker = _per_client(sound[sound[E.billable] & sound[E.tracker_hold].eq(INVOICED)], R.value)
    waiting = _per_client(sound[sound[E.billable] & sound[R.waits_for_approval]], R.value)
    later = _per_client(sound[sound[E.billable] & sound[E.date].gt(pd.Timestamp(today))], R.value)
    with_errors = logged_seconds(faulty).groupby(faulty[E.client_key]).sum()
    old_seconds = earlier["seconds"].groupby(earlier["client"]).sum()
    old_value = _per_client(earlier, "value", "client")
    meeting_hours = _per_client(untracked, "hours", "client")
    meeting_value = _per_client(untracked[untracked["value"].notna()] if len(untracked) else untracked, "value",
                                "client")
    rows = []
    for c in clients.itertuples():
        rows.append({"client": c.client, "currency": c.currency, "tracked_value": c.value,
                     "invoiced_value": c.value - c.unbilled_value,
                     "invoiced_in_tracker": in_tracker.get(c.client, ZERO), "unbilled_value": c.unbilled_value,
                     "held_in_review": in_review.get(c.client, ZERO),
                     "not_approved": waiting.get(c.client, ZERO), "after_today": later.get(c.client, ZERO),
                     "held_back": "yes" if everyone or c.client in held else "",
                     "with_errors": hours(with_errors.get(c.client, 0)),
                     "earlier_unbilled": hours(old_seconds.get(c.client, 0)),
                     "earlier_unbilled_value": old_value.get(c.client, ZERO),
                     "untracked_meetings": hours(int(meeting_hours.get(c.client, ZERO) * 3600)),
                     "untracked_value": meeting_value.get(c.client, ZERO)})
    return pd.DataFrame(rows)


def earlier_months(sums: pd.DataFrame) -> pd.DataFrame:
    """`Figures.earlier_unbilled`: the billable entries of earlier periods on no invoice, per month
    and client (history.unbilled_sums): how many, their billed hours and value, and the command
    that bills them (that month's own report lists them one by one)."""
    columns = ["month", "client", "entries", "hours", "value", "currency", "command"]
    rows = [{"month": s.month, "client": s.client, "entries": int(s.entries), "hours": hours(int(s.seconds)),
             "value": s.value + ZERO, "currency": s.currency,
             "command": f"auftakt-batch bill --period {s.month} --client {s.client}"} for s in sums.itertuples()]
    return pd.DataFrame(rows, columns=columns)


def _per_client(frame: pd.DataFrame, column: str, key: str = E.client_key) -> dict:
    """client -> the exact (Decimal) sum of `column` over its rows."""
    if frame.empty:
        return {}
    return {client: sum(values, ZERO) for client, values in frame.groupby(key, sort=False)[column]}


def invoice_table(book: Book, period: Period) -> pd.DataFrame:
    rows = [{"number": r.number, "kind": r.kind, "client": r.client_key, "period": r.period,
             "issue_date": r.issue_date, "due_date": r.due_date, "net": r.net, "vat": r.vat, "gross": r.gross,
             "currency": r.currency, "status": r.status, "refers_to": r.refers_to or "", "reason": r.reason or "",
             "pdf": r.pdf_path or ""} for r in book.invoices if period.covers(parse_period(r.period))]
    return pd.DataFrame(rows, columns=["number", "kind", "client", "period", "issue_date", "due_date", "net", "vat",
                                       "gross", "currency", "status", "refers_to", "reason", "pdf"])
