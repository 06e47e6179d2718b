"""Invoice drafts: a client's priced entries grouped into readable lines, with exact totals.

Needs: priced entries of one period (only billable, sound ones) and the config. Gives: one
`Draft` per client with billable time. What is billed is a `Charge` — for now each entry's
hours, keyed on its entry id, so the ledger bills it at most once. Lines group the charges by
job and unit price by default
(`group_by` chooses job+person, job+task or entry); entries at different rates never share a
line. Each line's amount is its printed quantity × unit price, rounded half-up to cents; the
net is the exact sum of the line amounts. A line's VAT rate is its job's `vat_rate`, else the
agency's (0 unless the client's `vat` is standard); VAT is computed once per rate on the sum of
that rate's lines (EN 16931 BR-CO-17: basis × rate, rounded half-up to cents), the invoice's
VAT is the sum of those (BR-CO-14); gross = net + VAT.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ..config import Client, Config, Job
from ..periods import Period
from ..schemas import Entries as E
from ..schemas import Expenses as X
from ..schemas import PricedEntries as P
from ..units import format_money, hour_quantity
from . import amount
from .expenses import EXPENSE, EXPENSES_TITLE, ExpenseLine, expense_lines
from .models import (
    C62,
    HUR,
    NOTHING_BILLED,
    Ledgered,
    ModelLine,
    Run,
    cap_months,
    is_modelled,
    milestone_lines,
    modelled,
    modelled_jobs,
    retainer_lines,
    write_down,
)

GROUPINGS = {
    "job": [E.job_key],
    "job+person": [E.job_key, E.person_name],
    "job+task": [E.job_key, E.task],
    "entry": [E.entry_id],
}
HOURS = "hours"  # the kind of charge an entry's time is; the others: models.py's (retainer, overage, milestone)


class Billed(NamedTuple):
    """One entry behind a line, as the ledger keeps it and the appendix prints it (a named tuple: a
    month bills 100,000)."""

    entry_id: str
    slot: str
    day: date
    person: str
    description: str
    billed_s: int
    written_down_from: int | None = None  # the time before a reviewer wrote it down
    duration_s: int | None = None  # the time logged
    start: str | None = None  # the start as exported (local wall clock, ISO), if it had one
    source: str | None = None  # file:row it was read from


class Charge(NamedTuple):
    """One thing billed, at most once: the ledger refuses a second live invoice with the same
    `kind` and `key` (a partial unique index). Hours: one charge per entry, keyed on its entry id;
    the next kinds key on what they bill once (a retainer on job and period, a milestone on job
    and name, an expense on its id). A named tuple, as Billed."""

    kind: str  # hours
    key: str  # unique within its kind among live invoices; hours: the entry id
    unit: str  # UN/ECE Recommendation 20 code: HUR
    quantity: Decimal  # in `unit`s
    unit_price: Decimal
    entries: tuple[Billed, ...] = ()  # the entries it covers
    receipt: str | None = None  # an expense's receipt under input/, attached to the invoice


@dataclass(frozen=True, kw_only=True)
class Line:
    """A line of the invoice: charges of one unit grouped (hours by job, job+person, job+task or
    entry), with the quantity and amount printed."""

    job_key: str
    job_name: str
    detail: str  # person, task or the entry's own description, by grouping
    unit: str  # its charges' unit (UN/ECE Recommendation 20): HUR
    quantity: Decimal  # in `unit`s, as printed
    unit_price: Decimal
    amount: Decimal
    first_day: date
    last_day: date
    charges: tuple[Charge, ...] = ()  # none on a credit note: it frees what the invoice billed
    vat_rate: Decimal | None = None  # percent; None: the invoice's rate (lines of ledgers before schema 6)

    @property
    def entries(self) -> tuple[Billed, ...]:
        """The entries behind the line, in its charges' order (the appendix's)."""
        return tuple(b for charge in self.charges for b in charge.entries)


@dataclass(frozen=True)
class Share:
    """One rate's part of an invoice (EN 16931 BG-23, the VAT breakdown)."""

    rate: Decimal  # percent
    basis: Decimal
    vat: Decimal


@dataclass(frozen=True)
class Draft:
    client_key: str
    currency: str
    period: Period
    lines: tuple[Line, ...]
    vat_mode: str  # standard | reverse-charge | exempt | outside-scope
    vat_rate: Decimal  # percent, the client's rate (a job may have its own); 0 unless standard

    @property
    def net(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    def rate_of(self, line: Line) -> Decimal:
        return self.vat_rate if line.vat_rate is None else line.vat_rate

    @property
    def breakdown(self) -> tuple[Share, ...]:
        """The VAT per rate, highest rate first: each rounded on its own basis (BR-CO-17)."""
        bases: dict[Decimal, Decimal] = {}
        for line in self.lines:
            rate = self.rate_of(line)
            bases[rate] = bases.get(rate, Decimal("0.00")) + line.amount
        if not bases:
            bases[self.vat_rate] = Decimal("0.00")
        return tuple(Share(rate, basis, _vat(basis, rate)) for rate, basis in sorted(bases.items(), reverse=True))

    @property
    def vat(self) -> Decimal:
        return sum((share.vat for share in self.breakdown), Decimal("0.00"))

    @property
    def gross(self) -> Decimal:
        return self.net + self.vat

    @property
    def hours(self) -> Decimal:
        return sum((line.quantity for line in self.lines if line.unit == HUR), Decimal(0))

    @property
    def service(self) -> tuple[date, date]:
        """The service period it bills: the billing period, widened to its lines' days (a quarter's
        retainer fee billed in a month's run covers the quarter)."""
        return (min([self.period.start, *(line.first_day for line in self.lines)]),
                max([self.period.end, *(line.last_day for line in self.lines)]))

    @property
    def entry_ids(self) -> tuple[str, ...]:
        return tuple(b.entry_id for line in self.lines for b in line.entries)


def _vat(basis: Decimal, rate: Decimal) -> Decimal:
    vat = (basis * rate / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return vat if vat else Decimal("0.00")  # never "-0.00" on a credit note


def vat_rate(config: Config, client: Client, *owners: Job | None) -> Decimal:
    """The VAT rate of what a client is billed for: 0 unless the client's `vat` is standard; else
    the `vat_rate` of the first of `owners` (a job, say) that has one, else the agency's."""
    if client.vat != "standard":
        return Decimal(0)
    return next((o.vat_rate for o in owners if o is not None and o.vat_rate is not None), config.agency.vat_rate)


def draft_invoices(priced: pd.DataFrame, config: Config, period: Period, *, today: date | None = None,  # noqa: PLR0913
                   state: Ledgered = NOTHING_BILLED, used: Mapping[str, int] | None = None,  # what the models need,
                   clients: frozenset[str] | None = None, expenses: pd.DataFrame | None = None) -> list[Draft]:  # named
    """One draft per client with something to bill, in client-key order: its billable time by the
    hour, then its retainers and milestones (models.py: `state` is what the ledger's live invoices
    hold of them, `used` each retainer period's seconds known). A client with no entries gets a
    draft for a retainer period alone; `clients` limits which clients may (None: any); `today`
    (default: the period's last day) is the last day a retainer period or milestone may begin.
    `expenses` (expenses.billable_expenses): each a line after the time's."""
    billable = priced[priced[E.billable] & priced[P.billed_s].gt(0).fillna(False)]
    on_models = modelled(billable, config)
    hourly = billable[~on_models & billable[P.rate].notna()]
    models = billable[on_models]
    costs = expenses if expenses is not None else pd.DataFrame(columns=[X.client_key])
    keys = set(hourly[E.client_key]) | set(costs[X.client_key]) | {
        c for c, _ in modelled_jobs(config) if clients is None or c in clients}
    run = Run(period=period, today=today or period.end, state=state, used=used or {})
    hourly_lines = _hourly(hourly, config)  # every client's at once, not once per client
    of_models, of_costs = (_per_client(frame, column) for frame, column in (
        (models, E.client_key), (costs, X.client_key)))
    drafts = []
    for client_key in sorted(keys):
        client = config.clients[client_key]
        lines = (*_lines(hourly_lines.get(client_key, []), client, config, state),
                 *_model_lines(of_models(client_key), client, config, run),
                 *(_expense_line(x, client, config) for x in expense_lines(of_costs(client_key), client)))
        if lines:
            drafts.append(Draft(client_key=client_key, currency=client.currency, period=period, lines=lines,
                                vat_mode=client.vat, vat_rate=vat_rate(config, client)))
    return drafts


def _per_client(frame: pd.DataFrame, column: str) -> Callable[[str], pd.DataFrame]:
    """A client's rows of `frame` (no rows for a client it does not name), the frame split once."""
    groups = dict(tuple(frame.groupby(column, sort=False))) if len(frame) else {}
    none = frame.iloc[:0]  # once: a slice of a wide frame costs a few hundred microseconds, and most clients have none
    return lambda key: groups.get(key, none)


def _model_lines(entries: pd.DataFrame, client: Client, config: Config, run: Run) -> Iterator[Line]:
    for job in client.jobs.values():
        if not is_modelled(job):
            continue
        mine = entries[entries[E.job_key].eq(job.key) & entries[E.date].le(pd.Timestamp(run.today))]
        made = (retainer_lines(client, job, mine, run) if job.retainer else milestone_lines(client, job, mine, run))
        for m in made:
            yield _model_line(m, client, config)


def _expense_line(x: ExpenseLine, client: Client, config: Config) -> Line:
    job = client.jobs.get(x.job_key)
    charge = Charge(kind=EXPENSE, key=x.key, unit=C62, quantity=Decimal(1), unit_price=x.price, receipt=x.receipt)
    title = job.name if job else EXPENSES_TITLE[client.language]
    return Line(job_key=x.job_key, job_name=title, detail=x.detail, unit=C62, quantity=Decimal(1), unit_price=x.price,
                amount=x.price, first_day=x.day, last_day=x.day, charges=(charge,),
                vat_rate=x.vat_rate if x.vat_rate is not None and client.vat == "standard"  # its own, where given
                else vat_rate(config, client, job))


def _model_line(m: ModelLine, client: Client, config: Config) -> Line:
    billed = _billed(m.entries) if m.entries is not None and len(m.entries) else ()
    charges = () if m.kind is None else (Charge(kind=m.kind, key=m.key, unit=m.unit, quantity=m.quantity,
                                                unit_price=m.unit_price, entries=billed),)
    return Line(job_key=m.job.key, job_name=m.job.name, detail=m.detail, unit=m.unit, quantity=m.quantity,
                unit_price=m.unit_price, amount=m.amount, first_day=m.first_day, last_day=m.last_day, charges=charges,
                vat_rate=vat_rate(config, client, m.job))


quantity = hour_quantity  # billed seconds as the hours printed on a line (the ledger and renderer call it so)


def _lines(lines: list[Line], client: Client, config: Config, state: Ledgered) -> Iterator[Line]:
    """A client's hourly `lines`, each capped job's followed by its write-downs."""
    capped: dict[tuple[str, str], list[Line]] = {}
    for line in lines:
        job = client.jobs.get(line.job_key)
        if job is not None and job.cap is not None:
            capped.setdefault((line.job_key, cap_months(job.cap, line.first_day)), []).append(line)
    for line in lines:
        yield line
        job = client.jobs.get(line.job_key)
        if job is None or job.cap is None:
            continue
        group = capped[(line.job_key, cap_months(job.cap, line.first_day))]
        if line is group[-1]:  # after the last line of the job's month
            yield from _capped(group, job, client, config, state)


def _capped(group: list[Line], job: Job, client: Client, config: Config, state: Ledgered) -> Iterator[Line]:
    assert job.cap is not None
    month = cap_months(job.cap, group[0].first_day)
    billed = state.billed_net.get((client.key, job.key, month), Decimal(0))
    span = (min(line.first_day for line in group), max(line.last_day for line in group))
    worth = sum((line.amount for line in group), Decimal(0))
    line = write_down(job, billed, worth, span, client.language,
                      format_money(job.cap.amount, client.currency, client.language))
    if line is not None:
        yield _model_line(line, client, config)


def _hourly(entries: pd.DataFrame, config: Config) -> dict[str, list[Line]]:
    """Each client's hourly lines: its entries grouped as it groups them (`group_by`), a line per
    group, rate and capped month, in key order. The clients that group alike are done at once."""
    found: dict[str, list[Line]] = {}
    if entries.empty:
        return found
    grouped_by = entries[E.client_key].map(lambda k: config.clients[k].group_by or config.agency.group_by)
    for grouping in grouped_by.unique():
        for client_key, line in _lines_grouped(entries[grouped_by.eq(grouping)], GROUPINGS[grouping], config):
            found.setdefault(client_key, []).append(line)
    return found


def _lines_grouped(entries: pd.DataFrame, by: list[str], config: Config) -> Iterator[tuple[str, Line]]:
    """(client key, line) of entries of clients that all group `by`, each client's in key order."""
    keyed = entries.assign(rate_key=entries["rate"].map(str), job_key=entries[E.job_key].fillna(""),
                           month=_cap_month(entries, config)).reset_index(drop=True)
    grouping = keyed.groupby([E.client_key, *by, "rate_key", "month"], sort=True, dropna=False)
    line = grouping.ngroup().to_numpy()
    order = _in_appendix_order(keyed, line)  # the lines one after another, each line's entries in order
    billed = _billed_rows(keyed.iloc[order])
    bounds = np.searchsorted(line[order], np.arange(grouping.ngroups + 1))
    client_keys, job_keys, rates, seconds = (keyed[c].tolist() for c in (E.client_key, E.job_key, "rate", "billed_s"))
    days = keyed[E.date].to_numpy(dtype="datetime64[D]")  # not a Timestamp made per entry
    shown = next((_DETAIL[c] for c in _DETAIL if c in by), None)  # the column a line's detail comes from
    details = keyed[shown].tolist() if shown else None
    for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        rows = order[lo:hi]
        first = int(rows.min())  # the line's first entry as the export has them
        client = config.clients[client_keys[first]]
        job_key, rate = job_keys[first], rates[first]
        job = client.jobs.get(job_key)
        qty = quantity(sum(seconds[r] for r in rows))  # the line's time summed, then rounded: not its charges' sum
        yield client.key, Line(
            job_key=job_key,
            job_name=job.name if job else client.name,
            detail=details[first] if details is not None else "",
            unit=HUR,
            quantity=qty,
            unit_price=rate,
            amount=amount(qty, rate),
            first_day=days[rows].min().item(),
            last_day=days[rows].max().item(),
            charges=tuple(hours_charge(b, rate) for b in billed[lo:hi]),
            vat_rate=vat_rate(config, client, job),
        )


_DETAIL = {E.person_name: E.person_name, E.task: E.task, E.entry_id: E.description}  # a line's detail, by grouping
_APPENDIX_ORDER = [E.date, E.person_name, E.start, E.entry_id]  # a line's entries as the appendix lists them


def _in_appendix_order(entries: pd.DataFrame, line: np.ndarray) -> np.ndarray:
    """The positions of `entries` by line, then by day, person and start."""
    keys = entries[_APPENDIX_ORDER].assign(line=line)
    return keys.sort_values(["line", *_APPENDIX_ORDER], na_position="first").index.to_numpy()


def _cap_month(entries: pd.DataFrame, config: Config) -> pd.Series:
    """The month of each entry of a job capped per month (its lines are per month); "" otherwise."""
    monthly = {(c.key, k) for c in config.clients.values() for k, j in c.jobs.items()
               if j.cap is not None and j.cap.per == "month"}
    capped = pd.MultiIndex.from_arrays([entries[E.client_key], entries[E.job_key]]).isin(list(monthly)) \
        if monthly else np.zeros(len(entries), dtype=bool)
    if not capped.any():
        return pd.Series("", index=entries.index)
    return entries[E.date].dt.strftime("%Y-%m").where(capped, "")


def _billed(group: pd.DataFrame) -> tuple[Billed, ...]:
    """The line's entries in the order the appendix lists them: by day, person and start."""
    return tuple(_billed_rows(group.sort_values(_APPENDIX_ORDER, na_position="first")))


def _billed_rows(rows: pd.DataFrame) -> list[Billed]:
    """Each of `rows` (Entries, priced) as the ledger keeps it, column by column (a month holds 100,000)."""
    down = rows.get("written_down_from")
    before = [None] * len(rows) if down is None else \
        [None if gone else int(w) for w, gone in zip(down.tolist(), down.isna().to_numpy())]
    local = rows[E.local_start].to_numpy("datetime64[us]").astype(object)  # datetimes, None for none: no Timestamps
    starts = [None if s is None else s.isoformat() for s in local]
    sources = [f"{f}:{r}" for f, r in zip(rows[E.source_file].tolist(), rows[E.source_row].tolist())]
    return [Billed(entry_id=i, slot=slot, day=d, person=p, description=text, billed_s=int(b),
                   written_down_from=w, duration_s=int(s), start=at, source=where)
            for i, slot, d, p, text, b, w, s, at, where in zip(
                rows[E.entry_id].tolist(), rows[E.slot].tolist(), _days(rows[E.date]), rows[E.person_name].tolist(),
                rows[E.description].tolist(), rows["billed_s"].tolist(), before, rows[E.duration_s].tolist(), starts,
                sources)]


def _days(dates: pd.Series) -> list[date]:
    """Each day as a `date` (the entries billed are dated), not through a Timestamp each."""
    days = dates.to_numpy(dtype="datetime64[D]")
    if np.isnat(days).any():
        raise ValueError("an undated entry cannot be billed")
    return days.tolist()


def hours_charge(entry: Billed, unit_price: Decimal) -> Charge:
    """An entry's billed time as a charge: keyed on the entry, so it is billed at most once."""
    return Charge(kind=HOURS, key=entry.entry_id, unit=HUR, quantity=quantity(entry.billed_s), unit_price=unit_price,
                  entries=(entry,))


def as_billed(r: Any, billed_s: int, written_down_from: int | None = None) -> Billed:
    """An entry (a row of Entries, as itertuples gives it) as the ledger keeps it."""
    return Billed(entry_id=r.entry_id, slot=r.slot, day=r.date.date(), person=r.person_name,
                  description=r.description, billed_s=billed_s, written_down_from=written_down_from,
                  duration_s=int(r.duration_s), start=r.local_start.isoformat() if pd.notna(r.local_start) else None,
                  source=f"{r.source_file}:{r.source_row}")
