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

Amounts are Decimal in the client's currency; hours Decimal to 2 places.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pandas as pd

from ..config import Client, Config, Job
from ..ledger import Book
from ..periods import Period, parse_period
from ..pricing.models import (
    HUR,
    MILESTONE,
    OVERAGE,
    RETAINER,
    included_s,
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
                 "notional_value", "burn_pct", "effective_rate"]
CAP_COLUMNS = ["client", "job", "name", "currency", "cap", "billed", "written_down_value", "written_down"]


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
    jobs = {(c.key, j.key): job_model(j) for c in config.clients.values() for j in c.jobs.values()}
    by_job = [jobs.get((c, j), "") for c, j in zip(entries[E.client_key], entries[E.job_key])]
    return pd.Series([MODEL_OF_CHARGE.get(k, "") if isinstance(k, str) and k else m if m in (RETAINER, FIXED) else ""
                      for k, m in zip(charge, by_job)], index=entries.index, dtype=str)


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


def model_tables(entries: pd.DataFrame, before: pd.DataFrame, book: Book, config: Config, period: Period,
                 today: date) -> Models:
    """The retainer periods, fixed prices and caps of the period (entries: the period's report
    entries, `before` the earlier ones, both without errors)."""
    known = pd.concat([entries, before], ignore_index=True) if len(before) else entries
    unlinked = known[known[E.billable] & known[R.invoice].eq("")]
    used = retainer_use(unlinked, config, book.models)
    retainers, fixed, caps = [], [], []
    for client in sorted(config.clients.values(), key=lambda c: c.key):
        for job in sorted(client.jobs.values(), key=lambda j: j.key):
            if job.retainer is not None:
                retainers += [_retainer_row(client, job, r, book, used) for r in
                              retainer_periods(job.retainer, period, today)]
            elif job.fixed is not None:
                fixed.append(_fixed_row(client, job, known, book, period))
            elif job.cap is not None:
                caps.append(_cap_row(client, job, book, period))
    return Models(pd.DataFrame(retainers, columns=RETAINER_COLUMNS), pd.DataFrame(fixed, columns=FIXED_COLUMNS),
                  pd.DataFrame(caps, columns=CAP_COLUMNS))


def hourly_rate(client: Client, job: Job, day: date) -> Decimal | None:
    """The job's hourly rate on `day`, else the client's; None if neither has one."""
    for schedule in (job.rate, client.rate):
        if schedule is not None and (rate := schedule.at(day)) is not None:
            return rate
    return None


def _mine(lines: pd.DataFrame, client: Client, job: Job) -> pd.DataFrame:
    return lines[lines["client_key"].eq(client.key) & lines["job_key"].eq(job.key)]


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


def _fixed_row(client: Client, job: Job, known: pd.DataFrame, book: Book, period: Period) -> dict:
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
    return {"client": client.key, "job": job.key, "name": job.name, "currency": client.currency,
            "price": fixed.price, "milestones": f"{milestones['charge_key'].nunique()} of {len(fixed.milestones)}",
            "billed": billed, "remaining": fixed.price - billed, "hours": hours_spent, "rate": rate,
            "notional_value": notional,
            "burn_pct": (notional / fixed.price).quantize(Decimal("0.0001")) if notional is not None and fixed.price
            else None,
            "effective_rate": (billed / hours_spent).quantize(CENT) if hours_spent else None}


def _cap_row(client: Client, job: Job, book: Book, period: Period) -> dict:
    cap = job.cap
    assert cap is not None
    lines = _mine(period_lines(book, period), client, job)
    hourly = lines[lines["unit"].eq(HUR) & lines["charge"].ne(OVERAGE)]
    down = -sum(lines.loc[is_write_down(lines), "amount"], ZERO)
    billed, billed_h = sum(hourly["amount"], ZERO), sum(hourly["quantity"], Decimal(0))
    return {"client": client.key, "job": job.key, "name": job.name, "currency": client.currency,
            "cap": f"{cap.amount:,.2f} {client.currency} {'a month' if cap.per == 'month' else 'in total'}",
            "billed": billed, "written_down_value": down,
            "written_down": (down / (billed / billed_h)).quantize(CENT) if down and billed else ZERO}
