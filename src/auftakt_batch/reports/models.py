"""The billing models in the reports (pricing/models.py bills them): what each retainer period,
fixed price and cap stands at, and the revenue they add to the jobs and clients.

- *Revenue* of a retainer or fixed-price job in a period is what the live invoices of the period
  bill of it: the fees, the overage and the milestones, in the period of their invoice. Its
  entries have no hourly value of their own (an entry on a fee's line is not worth its hours ×
  the fee). A cap's write-down lines reduce the capped job's revenue in the same way.
- *Covered*: an entry of a retainer or fixed-price job on no invoice — the fee or the price pays
  for it (or a later run links it to its period's invoice); never "unbilled".
- A retainer period (of the billing period, begun by today): its included hours (with those
  rolled over), the hours used, the overage billed and still to bill (`overage: bill`), or the
  hours written down (`overage: absorb`) and their value at the job's hourly rate.
- A fixed price: billed so far (live milestone lines, every period), remaining, all hours spent
  on the job up to the period's end, their notional value at the job's rate, and the effective
  rate (billed ÷ hours), which falls as hours grow: the over-servicing signal.
- A cap: the hours lines billed in the period, the value written down and its hours at the
  lines' average rate.
- What the next `bill` bills of them (the reports count it in the period's value, and unbilled):
  a retainer period's fee not billed yet and its overage to bill; a fixed price's milestones *due*
  (done in the period, by today, not billed); and, less, what a cap *will write down* of the
  job's unbilled hours.

Amounts are Decimal in the client's currency; hours Decimal to 2 places.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pandas as pd

from ..check.tracker import INVOICED
from ..config import Client, Config, Job
from ..ledger import Book
from ..periods import Period, parse_period
from ..pricing.models import (
    HUR,
    MILESTONE,
    OVERAGE,
    RETAINER,
    cap_months,
    included_s,
    milestone_key,
    retainer_key,
    retainer_of,
    retainer_periods,
    retainer_use,
)
from ..schemas import Entries as E
from ..schemas import ReportEntries as R
from ..units import CENT, HOUR, hours

ZERO = Decimal("0.00")
FIXED = "fixed"
MODEL_OF_CHARGE = {RETAINER: RETAINER, OVERAGE: RETAINER, MILESTONE: FIXED}  # a line's charge -> its job's model
RETAINER_COLUMNS = ["client", "job", "name", "period", "currency", "fee", "fee_invoice", "included", "rolled_over",
                    "used", "unused", "overage", "overage_billed", "overage_billed_value", "overage_to_bill",
                    "overage_to_bill_value", "written_down", "written_down_value"]
FIXED_COLUMNS = ["client", "job", "name", "currency", "price", "milestones", "billed", "remaining", "hours", "rate",
                 "notional_value", "burn_pct", "effective_rate", "due"]
CAP_COLUMNS = ["client", "job", "name", "currency", "cap", "billed", "written_down_value", "written_down",
               "to_write_down"]


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(columns=columns)


@dataclass(frozen=True)
class Models:
    retainers: pd.DataFrame = field(default_factory=lambda: _empty(RETAINER_COLUMNS))
    fixed: pd.DataFrame = field(default_factory=lambda: _empty(FIXED_COLUMNS))
    caps: pd.DataFrame = field(default_factory=lambda: _empty(CAP_COLUMNS))

    def __bool__(self) -> bool:
        return bool(len(self.retainers) or len(self.fixed) or len(self.caps))


def job_model(job: Job | None) -> str:
    """retainer, fixed, cap or "" (hourly)."""
    if job is None:
        return ""
    return RETAINER if job.retainer else FIXED if job.fixed else "cap" if job.cap else ""


def entry_models(entries: pd.DataFrame, charge: pd.Series, config: Config) -> pd.Series:
    """Per entry: the model that bills it — retainer or fixed — or "": on an invoice, its line's
    charge says; on none, its job in rates.yaml (a retainer or fixed-price job is never hourly)."""
    modelled = {f"{c.key}\x1f{j.key}": job_model(j) for c in config.clients.values() for j in c.jobs.values()
                if job_model(j) in (RETAINER, FIXED)}
    by_job = (entries[E.client_key].astype(str) + "\x1f" + entries[E.job_key].astype(str)).map(modelled) \
        if modelled else pd.Series(index=entries.index, dtype=object)
    charge = charge.fillna("").astype(str)
    on_invoice = charge.map(MODEL_OF_CHARGE).fillna("")
    return on_invoice.where(charge.ne(""), by_job.fillna("")).astype(str)


def period_lines(book: Book, period: Period | None) -> pd.DataFrame:
    """The lines of the live invoices (issued, not void), of `period` (None: every period)."""
    lines = book.lines
    live = lines[lines["kind"].eq("invoice") & lines["status"].eq("issued")]
    if period is None or live.empty:
        return live
    return live[[period.covers(parse_period(p)) for p in live["period"]]]


def is_write_down(lines: pd.DataFrame) -> pd.Series:
    """Mask: a cap's write-down lines (no charge, a negative amount)."""
    return lines["charge"].eq("") & pd.Series([a < 0 for a in lines["amount"]], index=lines.index, dtype=bool)


def line_revenue(book: Book, period: Period, by: list[str]) -> pd.DataFrame:
    """Per `by` (client_key, job_key): model_revenue (fees, overage, milestones billed in the
    period) and capped (the value caps wrote down, positive)."""
    lines = period_lines(book, period)
    model = lines["charge"].isin(list(MODEL_OF_CHARGE))
    down = is_write_down(lines)
    frame = lines.assign(model_revenue=[a if m else ZERO for a, m in zip(lines["amount"], model)],
                         capped=[-a if d else ZERO for a, d in zip(lines["amount"], down)])
    return frame.groupby(by)[["model_revenue", "capped"]].sum()


# the columns model_tables reads: of the entries before the period (KNOWN), and of the period's (READ)
KNOWN = [E.client_key, E.job_key, E.date, E.duration_s, E.billable, R.invoice, R.billed_s]
READ = [*KNOWN, E.tracker_hold, R.model, R.value]


def model_tables(entries: pd.DataFrame, before: pd.DataFrame, book: Book, config: Config, period: Period,
                 today: date) -> Models:
    """The retainer periods, fixed prices and caps of the period (entries: the period's report
    entries, `before` the earlier ones, both without errors; of them, READ is all it reads)."""
    known = pd.concat([entries[KNOWN], before[KNOWN]], ignore_index=True) if len(before) else entries[KNOWN]
    unlinked = known[known[E.billable] & known[R.invoice].eq("")]
    used = retainer_use(unlinked, config, book.models)
    retainers, fixed, caps = [], [], []
    for client in sorted(config.clients.values(), key=lambda c: c.key):
        for job in sorted(client.jobs.values(), key=lambda j: j.key):
            if job.retainer is not None:
                retainers += [_retainer_row(client, job, r, book, used) for r in
                              retainer_periods(job.retainer, period, today)]
            elif job.fixed is not None:
                fixed.append(_fixed_row(client, job, known, book, period, today))
            elif job.cap is not None:
                waiting = entries[uncovered(entries)]
                caps.append(_cap_row(client, job, book, period, _mine(waiting, client, job, (E.client_key, E.job_key))))
    return Models(pd.DataFrame(retainers, columns=RETAINER_COLUMNS), pd.DataFrame(fixed, columns=FIXED_COLUMNS),
                  pd.DataFrame(caps, columns=CAP_COLUMNS))


def hourly_rate(client: Client, job: Job, day: date) -> Decimal | None:
    """The job's hourly rate on `day`, else the client's; None if neither has one."""
    for schedule in (job.rate, client.rate):
        if schedule is not None and (rate := schedule.at(day)) is not None:
            return rate
    return None


def _mine(lines: pd.DataFrame, client: Client, job: Job,
          by: tuple[str, str] = ("client_key", "job_key")) -> pd.DataFrame:
    """The rows of `lines` (invoice lines; entries by their `by` columns) of the client's job."""
    return lines[lines[by[0]].eq(client.key) & lines[by[1]].eq(job.key)]


def _retainer_row(client: Client, job: Job, r: Period, book: Book, used: dict[str, int]) -> dict:
    retainer = job.retainer
    assert retainer is not None
    key = retainer_key(client, job, r)
    state = book.models
    included, rolled = included_s(client, job, r, used)
    spent = used.get(key, 0)
    over = max(0, spent - included)
    lines = _mine(period_lines(book, None), client, job)
    fee = lines[lines["charge"].eq(RETAINER) & lines["charge_key"].eq(key)]
    overage = lines[lines["charge"].eq(OVERAGE) & lines["charge_key"].map(retainer_of).eq(key)]
    billed_s = state.overage_s.get(key, 0)
    bill = retainer.overage == "bill"
    to_bill = max(0, over - billed_s) if bill else 0
    down = 0 if bill else over
    rate = hourly_rate(client, job, r.end)
    over_rate = retainer.overage_rate if retainer.overage_rate is not None else rate
    return {"client": client.key, "job": job.key, "name": job.name, "period": r.label, "currency": client.currency,
            "fee": retainer.fee, "fee_invoice": ", ".join(fee["number"]), "included": hours(included),
            "rolled_over": hours(rolled), "used": hours(spent), "unused": hours(max(0, included - spent)),
            "overage": hours(over), "overage_billed": hours(billed_s),
            "overage_billed_value": sum(overage["amount"], ZERO), "overage_to_bill": hours(to_bill),
            "overage_to_bill_value": _value(to_bill, over_rate), "written_down": hours(down),
            "written_down_value": _value(down, rate) if down else ZERO}


def _value(seconds: int, rate: Decimal | None) -> Decimal | None:
    return None if rate is None else (Decimal(seconds) / HOUR * rate).quantize(CENT)


def _fixed_row(client: Client, job: Job, known: pd.DataFrame, book: Book, period: Period, today: date) -> dict:
    fixed = job.fixed
    assert fixed is not None
    lines = _mine(period_lines(book, None), client, job)
    milestones = lines[lines["charge"].eq(MILESTONE)]
    billed = sum(milestones["amount"], ZERO)
    spent = known[known[E.client_key].eq(client.key) & known[E.job_key].eq(job.key)
                  & known[E.date].le(pd.Timestamp(period.end))]
    hours_spent = hours(int(spent[E.duration_s].fillna(0).sum()))
    rate = hourly_rate(client, job, period.end)
    notional = (hours_spent * rate).quantize(CENT) if rate is not None else None
    due = sum((m.amount for m in fixed.milestones if m.done is not None and m.done in period and m.done <= today
               and (MILESTONE, milestone_key(client, job, m.name)) not in book.models.charged), ZERO)
    return {"client": client.key, "job": job.key, "name": job.name, "currency": client.currency,
            "price": fixed.price, "milestones": f"{milestones['charge_key'].nunique()} of {len(fixed.milestones)}",
            "billed": billed, "remaining": fixed.price - billed, "hours": hours_spent, "rate": rate,
            "notional_value": notional,
            "burn_pct": (notional / fixed.price).quantize(Decimal("0.0001")) if notional is not None and fixed.price
            else None,
            "effective_rate": (billed / hours_spent).quantize(CENT) if hours_spent else None, "due": due}


def _cap_row(client: Client, job: Job, book: Book, period: Period, waiting: pd.DataFrame) -> dict:
    """`waiting`: the job's entries on no invoice; what the next bill writes down of them, as
    pricing/models.write_down does per month (or in total) after what live invoices billed."""
    cap = job.cap
    assert cap is not None
    lines = _mine(period_lines(book, period), client, job)
    hourly = lines[lines["unit"].eq(HUR) & lines["charge"].ne(OVERAGE)]
    down = -sum(lines.loc[is_write_down(lines), "amount"], ZERO)
    billed, billed_h = sum(hourly["amount"], ZERO), sum(hourly["quantity"], Decimal(0))
    return {"client": client.key, "job": job.key, "name": job.name, "currency": client.currency,
            "cap": f"{cap.amount:,.2f} {client.currency} {'a month' if cap.per == 'month' else 'in total'}",
            "billed": billed, "written_down_value": down,
            "written_down": (down / (billed / billed_h)).quantize(CENT) if down and billed else ZERO,
            "to_write_down": _to_write_down(client, job, book, waiting)}


def _to_write_down(client: Client, job: Job, book: Book, waiting: pd.DataFrame) -> Decimal:
    cap = job.cap
    assert cap is not None
    months = [cap_months(cap, day.date()) for day in waiting[E.date]]
    down = ZERO
    for month, values in waiting[R.value].groupby(months, sort=False):
        worth = sum(values, ZERO)
        over = worth - max(ZERO, cap.amount - book.models.billed_net.get((client.key, job.key, month), ZERO))
        down += min(max(over, ZERO), worth)
    return down


def next_bill(models: Models, period: Period) -> pd.DataFrame:
    """What the next `bill` of `period` bills of the models, per client and job: `value` — a
    retainer period's fee not billed yet and its overage to bill, a fixed price's milestones due,
    less what caps will write down of the unbilled hours; `hours` of overage to bill; `written_down`
    — a retainer's hours absorbed (at the job's rate) and the caps' write-downs to come; `last_day`,
    the day whose month it counts in (a retainer period's last, at the latest the period's); `charge`,
    what it is of (a retainer period's label, a period's milestones or cap)."""
    retainers, fixed, caps = models.retainers, models.fixed, models.caps
    plain = [ZERO if v is None else v for v in retainers["overage_to_bill_value"]]
    parts = [
        pd.DataFrame({"client": retainers["client"], "job": retainers["job"], "charge": retainers["period"],
                      "last_day": [min(parse_period(p).end, period.end) for p in retainers["period"]],
                      "hours": retainers["overage_to_bill"],
                      "value": [v + (ZERO if billed else fee) for v, fee, billed in
                                zip(plain, retainers["fee"], retainers["fee_invoice"])],
                      "written_down": [ZERO if v is None else v for v in retainers["written_down_value"]]}),
        pd.DataFrame({"client": fixed["client"], "job": fixed["job"], "charge": f"milestones {period.label}",
                      "last_day": period.end, "hours": ZERO,
                      "value": fixed["due"], "written_down": ZERO}),
        pd.DataFrame({"client": caps["client"], "job": caps["job"], "charge": f"cap {period.label}",
                      "last_day": period.end, "hours": ZERO,
                      "value": [-v for v in caps["to_write_down"]], "written_down": caps["to_write_down"]})]
    return pd.concat([p for p in parts if len(p)] or parts[:1], ignore_index=True)


def unbilled(entries: pd.DataFrame) -> pd.Series:
    """Mask: billable entries on no invoice — neither ours nor, unless rates.yaml bills them anyway,
    the tracker's."""
    return entries[E.billable] & entries[R.invoice].eq("") & entries[E.tracker_hold].ne(INVOICED)


UNCOVERED_READS = [E.billable, R.invoice, E.tracker_hold, R.model]  # all `uncovered` reads


def uncovered(entries: pd.DataFrame) -> pd.Series:
    """Mask: unbilled entries billed by the hour (a retainer's or fixed price's are covered by it)."""
    return unbilled(entries) & entries[R.model].eq("")
