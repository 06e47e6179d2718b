"""Billing models beyond hours × rate: retainers, fixed prices by milestone, caps (PRODUCT.md).

Needs: a client's billable entries of the run (priced, reviewed, up to today), the config and
what the ledger's live invoices already hold (`Ledgered`). Gives: the client's lines of its
retainer and fixed-price jobs, and the write-down lines of its capped jobs.

- **Retainer.** Each retainer period (a month or a quarter of the job's term) that overlaps the
  billing period and has begun by today is billed once: a line of quantity 1 at the fee (charge
  `retainer:client/job:period`), carrying the period's entries; hours beyond the included ones
  (plus those rolled over) on a second line at the overage rate when `overage: bill`, else
  written down (reports show it). Late entries of a billed period: only the overage they add, on
  a new invoice with those entries (charge `overage:client/job:period:n`); within the included
  hours they are covered by the fee already billed and wait for nothing. Unused included hours
  of a billed period roll over to the next, up to `rollover.max_hours`; a period never billed
  rolls nothing over (the client did not pay for it).
- **Fixed price.** A milestone is billed once (charge `milestone:client/job:n`), in the run
  whose period holds its `done` date, once that day has come; the job's entries of the run ride
  on its line. A fixed job's entries are never billed by the hour.
- **Cap.** An hourly job's lines up to `cap.amount` per month (of the lines' days) or in total,
  less what live invoices already billed of it; the rest is a visible write-down line (quantity
  −1 of a positive price: EN 16931 forbids a negative price, BR-27).

Every amount is Decimal; durations are whole seconds.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from types import MappingProxyType

import pandas as pd

from ..config import Cap, Client, Config, Job, Retainer
from ..periods import Period
from ..schemas import PricedEntries as P
from ..units import HOUR, LOCALES, hour_quantity
from . import amount

RETAINER, OVERAGE, MILESTONE = "retainer", "overage", "milestone"  # the charge kinds of this module
HUR, MON, QAN, C62 = "HUR", "MON", "QAN", "C62"  # UN/ECE Recommendation 20: hour, month, quarter, one
PER_UNIT = {"month": MON, "quarter": QAN}

WORDS = {  # a model line's detail, in the client's language
    "en": {"retainer": "Retainer {period}: {hours} h included", "rolled": ", {hours} h rolled over",
           "overage": "Hours beyond the {hours} h included, {period}", "milestone": "Milestone {n} of {of}: {name}",
           "cap": "Cap of {cap} {per} reached{span}: written down", "month": "per month", "total": "in total"},
    "de": {"retainer": "Pauschale {period}: {hours} Std. inklusive", "rolled": ", {hours} Std. übertragen",
           "overage": "Stunden über die {hours} Std. inklusive hinaus, {period}",
           "milestone": "Meilenstein {n} von {of}: {name}",
           "cap": "Obergrenze von {cap} {per} erreicht{span}: nicht berechnet", "month": "pro Monat",
           "total": "insgesamt"},
}


def _frozen() -> Mapping:  # a dataclass default: an empty read-only mapping
    return field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, kw_only=True)
class Ledgered:
    """What the ledger's live invoices already hold of the models (ledger/reading.model_state)."""

    # (kind, key) of every live charge of a model (retainer, overage, milestone, expense): an entry's hours
    # charge is not among them, the live billed entries say what is billed of the hours (ledger.read_billed)
    charged: frozenset[tuple[str, str]] = frozenset()
    linked_s: Mapping[str, int] = _frozen()  # retainer key -> seconds of the live entries on its fee or overage lines
    overage_s: Mapping[str, int] = _frozen()  # retainer key -> overage seconds billed
    overages: Mapping[str, int] = _frozen()  # retainer key -> the highest n of its live overage charges
    billed_net: Mapping[tuple[str, str, str], Decimal] = _frozen()  # (client, job, month label) -> net billed


NOTHING_BILLED = Ledgered()


@dataclass(frozen=True, kw_only=True)
class Run:
    """What the models of a billing run go by."""

    period: Period
    today: date  # the last day a retainer period or a milestone may begin
    state: Ledgered = NOTHING_BILLED
    used: Mapping[str, int] = _frozen()  # retainer key -> seconds of all its entries known (linked or not)


@dataclass(frozen=True, kw_only=True)
class ModelLine:
    """A line a model adds, before the invoice module makes it a `Line`: the entries it carries
    are the rows of `entries` (priced) it takes off the hourly lines."""

    job: Job
    detail: str
    unit: str
    quantity: Decimal
    unit_price: Decimal
    first_day: date
    last_day: date
    kind: str | None = None  # its charge's kind; None: no charge (a write-down)
    key: str = ""
    entries: pd.DataFrame | None = None  # the entries it carries

    @property
    def amount(self) -> Decimal:
        return amount(self.quantity, self.unit_price)


def is_modelled(job: Job | None) -> bool:
    """Whether a job's entries are billed by its model, never by the hour."""
    return job is not None and (job.retainer is not None or job.fixed is not None)


def modelled_jobs(config: Config) -> frozenset[tuple[str, str]]:
    """(client key, job key) of every retainer and fixed-price job."""
    return frozenset((c.key, j.key) for c in config.clients.values() for j in c.jobs.values() if is_modelled(j))


def modelled(entries: pd.DataFrame, config: Config) -> pd.Series:
    """Mask: the entries of retainer and fixed-price jobs (billed by their model, never by the hour)."""
    jobs = modelled_jobs(config)
    if not jobs:
        return pd.Series(False, index=entries.index)
    pairs = pd.MultiIndex.from_arrays([entries[P.client_key], entries[P.job_key]])
    return pd.Series(pairs.isin(list(jobs)), index=entries.index, dtype=bool)


# ---- retainers


def unit_period(day: date, per: str) -> Period:
    """The month or quarter that holds `day`."""
    first_month = day.month if per == "month" else (day.month - 1) // 3 * 3 + 1
    start = date(day.year, first_month, 1)
    last_month = first_month + (0 if per == "month" else 2)
    end = date(day.year, last_month, calendar.monthrange(day.year, last_month)[1])
    label = f"{day.year:04d}-{first_month:02d}" if per == "month" else f"{day.year:04d}-Q{(first_month + 2) // 3}"
    return Period(label, start, end)


def retainer_periods(retainer: Retainer, period: Period, today: date) -> list[Period]:
    """The retainer's periods a run for `period` bills: those of its term that overlap `period`
    and have begun by today."""
    found, r = [], unit_period(max(period.start, retainer.start), retainer.per)
    while r.start <= min(period.end, today) and (retainer.until is None or r.start <= retainer.until):
        found.append(r)
        r = unit_period(r.end + timedelta(days=1), retainer.per)
    return found


def retainer_key(client: Client, job: Job, r: Period) -> str:
    """`retainer:client/job:period`: what a retainer period is billed once by."""
    return f"{RETAINER}:{client.key}/{job.key}:{r.label}"


def _previous(r: Period, per: str) -> Period:
    return unit_period(r.start - timedelta(days=1), per)


def included_s(client: Client, job: Job, r: Period, used: Mapping[str, int]) -> tuple[int, int]:
    """(the included seconds of retainer period `r`, of which rolled over): its hours, plus the
    unused ones of the period before, up to `rollover.max_hours` — each period of the term before
    it computed the same way, from its first, by the hours used (`used`: linked in the ledger, or
    in the exports) — whatever was billed when: the same answer in any order of runs."""
    retainer = job.retainer
    assert retainer is not None
    own = int(retainer.hours * HOUR)
    if not retainer.rollover_max_hours:
        return own, 0
    chain, back = [], _previous(r, retainer.per)
    while back.start >= retainer.start:
        chain.append(back)
        back = _previous(back, retainer.per)
    cap, carried = int(retainer.rollover_max_hours * HOUR), 0
    for earlier in reversed(chain):  # oldest first
        key = retainer_key(client, job, earlier)
        carried = min(cap, max(0, own + carried - used.get(key, 0)))
    return own + carried, carried


def retainer_lines(client: Client, job: Job, entries: pd.DataFrame, run: Run) -> Iterator[ModelLine]:
    """The lines of a retainer job in a run: per retainer period, the fee (if not billed yet) with
    the overage, or the overage late entries add. `entries`: the job's entries of the run."""
    retainer = job.retainer
    assert retainer is not None
    words, state = WORDS[client.language], run.state
    for r in retainer_periods(retainer, run.period, run.today):
        key = retainer_key(client, job, r)
        mine = entries[entries[P.date].between(pd.Timestamp(r.start), pd.Timestamp(r.end))]
        included, rolled = included_s(client, job, r, run.used)
        over = max(0, run.used.get(key, 0) - included) - state.overage_s.get(key, 0)
        hours, when = _hours_text(included), period_text(r, client.language)
        if (RETAINER, key) not in state.charged:
            detail = words["retainer"].format(period=when, hours=_hours_text(int(retainer.hours * HOUR)))
            detail += words["rolled"].format(hours=_hours_text(rolled)) if rolled else ""
            yield ModelLine(job=job, detail=detail, unit=PER_UNIT[retainer.per], quantity=Decimal(1),
                            unit_price=retainer.fee, first_day=r.start, last_day=r.end, kind=RETAINER, key=key,
                            entries=mine)
            riding = None  # the fee's line carries the entries
        else:
            riding = mine
        if over > 0 and retainer.overage == "bill":
            n = state.overages.get(key, 0) + 1
            yield ModelLine(job=job, detail=words["overage"].format(hours=hours, period=when), unit=HUR,
                            quantity=hour_quantity(over), unit_price=_overage_rate(retainer, client, job, r, mine),
                            first_day=r.start, last_day=r.end, kind=OVERAGE, key=overage_key(key, n),
                            entries=riding)


def overage_key(retainer: str, n: int) -> str:
    """The key of the n-th overage billed of a retainer period: `overage:client/job:period:n`."""
    return f"{OVERAGE}:{retainer.removeprefix(RETAINER + ':')}:{n}"


def retainer_of(overage: str) -> str:
    """The retainer key an overage key belongs to."""
    return f"{RETAINER}:{overage.removeprefix(OVERAGE + ':').rsplit(':', 1)[0]}"


def _overage_rate(retainer: Retainer, client: Client, job: Job, r: Period, entries: pd.DataFrame) -> Decimal:
    """The overage rate: the retainer's, else the job's or client's hourly rate at the period's
    end, else the highest rate of the period's entries (a job rated per person)."""
    if retainer.overage_rate is not None:
        return retainer.overage_rate
    for schedule in (job.rate, client.rate):
        if schedule is not None and (rate := schedule.at(r.end)) is not None:
            return rate
    rates = [x for x in entries[P.rate] if x is not None and not pd.isna(x)]
    return max(rates) if rates else Decimal(0)


def period_text(r: Period, language: str) -> str:
    """A retainer period as the client reads it: 'November 2026', 'Q4 2026'."""
    if r.label[5:6] == "Q":
        return f"{r.label[5:]} {r.label[:4]}"
    from babel.dates import format_date

    return format_date(r.start, "LLLL y", locale=LOCALES[language])


def _hours_text(seconds: int) -> str:
    value = (Decimal(seconds) / HOUR).normalize()
    return f"{value:f}"


# ---- fixed prices


def milestone_lines(client: Client, job: Job, entries: pd.DataFrame, run: Run) -> Iterator[ModelLine]:
    """The milestones done in the period (by today) and not billed yet; the first carries the
    job's entries of the run."""
    fixed = job.fixed
    assert fixed is not None
    carried: pd.DataFrame | None = entries
    for n, milestone in enumerate(fixed.milestones, 1):
        key = milestone_key(client, job, milestone.name)
        done = milestone.done
        if done is None or done not in run.period or done > run.today or (MILESTONE, key) in run.state.charged:
            continue
        yield ModelLine(job=job, detail=WORDS[client.language]["milestone"].format(n=n, of=len(fixed.milestones),
                                                                             name=milestone.name),
                        unit=C62, quantity=Decimal(1), unit_price=milestone.amount, first_day=done, last_day=done,
                        kind=MILESTONE, key=key, entries=carried)
        carried = None


def milestone_key(client: Client, job: Job, name: str) -> str:
    """`milestone:client/job:name`: by its name (unique within the job), so a milestone added, removed
    or moved in the list leaves the others' keys as they were billed."""
    return f"{MILESTONE}:{client.key}/{job.key}:{name}"


def lost_milestones(config: Config, charged: frozenset[tuple[str, str]]) -> dict[str, str]:
    """Client key -> why its billing waits: a milestone on a live invoice that rates.yaml no longer
    names (renamed, or removed): billing on would bill its renamed self again."""
    known = {milestone_key(c, j, m.name) for c in config.clients.values() for j in c.jobs.values()
             if j.fixed is not None for m in j.fixed.milestones}
    lost: dict[str, str] = {}
    for kind, key in sorted(charged):
        if kind == MILESTONE and key not in known:
            where, name = key.removeprefix(MILESTONE + ":").split(":", 1)
            client, job = where.split("/", 1)
            lost.setdefault(client, f"the milestone {name!r} of {client}/{job} is on a live invoice, but rates.yaml "
                                    f"no longer names it — put its name back (renamed milestones would be billed "
                                    f"again), or void that invoice")
    return lost


# ---- caps


def cap_months(cap: Cap, first_day: date) -> str:
    """The label a capped line's net is summed under: its month, or "total"."""
    return f"{first_day:%Y-%m}" if cap.per == "month" else "total"


def write_down(job: Job, billed: Decimal, this_run: Decimal, span: tuple[date, date], language: str,
               money: str) -> ModelLine | None:
    """The write-down line of a capped job's lines of one month (or in total) worth `this_run`,
    after `billed` already on live invoices; None within the cap."""
    cap = job.cap
    assert cap is not None
    over = this_run - max(Decimal(0), cap.amount - billed)
    if over <= 0:
        return None
    words = WORDS[language]
    month_text = period_text(unit_period(span[0], "month"), language)
    detail = words["cap"].format(cap=money, per=words[cap.per], span=f" ({month_text})" if cap.per == "month" else "")
    return ModelLine(job=job, detail=detail, unit=C62, quantity=Decimal(-1), unit_price=min(over, this_run),
                     first_day=span[0], last_day=span[1])


# ---- what each retainer period has used


def retainer_use(entries: pd.DataFrame, config: Config, state: Ledgered) -> dict[str, int]:
    """Retainer key -> seconds used: those of its entries on live invoices (`state`) plus those of
    `entries` (priced, on no invoice: the run's and the earlier ones) dated in its period."""
    used = dict(state.linked_s)
    for client in config.clients.values():
        for job in client.jobs.values():
            if job.retainer is None:
                continue
            mine = entries[entries[P.client_key].eq(client.key) & entries[P.job_key].eq(job.key)]
            if mine.empty:
                continue
            per_period = mine[P.billed_s].fillna(0).groupby(_labels(mine[P.date], job.retainer.per)).sum()
            for label, seconds in per_period.items():
                key = f"{RETAINER}:{client.key}/{job.key}:{label}"  # retainer_key's
                used[key] = used.get(key, 0) + int(seconds)
    return used


def _labels(days: pd.Series, per: str) -> pd.Series:
    """Each day's retainer period label, as `unit_period` names it: '2026-11', '2026-Q4'."""
    if per == "month":
        return days.dt.strftime("%Y-%m")
    return days.dt.year.astype(str) + "-Q" + days.dt.quarter.astype(str)


def needs_history(config: Config, period: Period) -> bool:
    """Whether a run for `period` must know the entries before it: a retainer whose periods began
    earlier (the rollover chain, or a retainer period the billing period starts inside)."""
    for client in config.clients.values():
        for job in client.jobs.values():
            r = job.retainer
            if r is not None and r.start < period.start and (
                    r.rollover_max_hours or unit_period(period.start, r.per).start < period.start):
                return True
    return False
