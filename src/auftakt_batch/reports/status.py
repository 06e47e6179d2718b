"""`status`: where every client stands, in five seconds — as a table or as JSON for scripts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from ..payments.receivables import Standing
from ..periods import Period
from ..run import CheckRun
from . import checked, figures_for, percent
from .expenses import expense_status
from .models import Models
from .overview import COLUMNS, Headline, blank, headline, levels, overview_table
from .sheets import SYMBOLS

if TYPE_CHECKING:  # rich is imported where the table is drawn
    from rich.console import RenderableType
    from rich.table import Table
    from rich.text import Text


@dataclass(frozen=True)
class ClientStatus:
    """A row of the Overview (reports/overview.py: its COLUMNS in this order, by the same keys)."""

    client: str
    logged: Decimal  # hours
    billed: Decimal  # hours, as invoices bill them (billed or still to bill)
    value: Decimal
    invoiced: Decimal
    unbilled_hours: Decimal
    unbilled_value: Decimal
    last_invoice: str | None
    last_invoice_date: date | None
    days_since: int | None
    margin_pct: Decimal | None
    burn: Decimal | None
    name: str
    currency: str
    budget: str | None  # which budget the burn is of ("client" or a job key): the most burnt one
    level: str | None  # green | amber | red: the burn's
    held_back: bool
    levels: dict = field(default_factory=dict)  # margin_pct, burn, days_since -> red | amber | green | None
    models: tuple[ModelStatus, ...] = ()  # its retainer periods, fixed prices and capped jobs
    expenses: dict | None = None  # its billable expenses billed and not yet (reports/expenses.expense_status)


@dataclass(frozen=True)
class ModelStatus:
    """A retainer period, fixed price or capped job of a client: reports/models.py's row of it."""

    job: str
    model: str  # retainer | fixed | cap
    figures: dict  # the row's fields (reports/models.py: RETAINER_COLUMNS, FIXED_COLUMNS, CAP_COLUMNS)
    currency: str

    def __str__(self) -> str:
        f, cur = self.figures, self.currency
        if self.model == "retainer":
            rolled = f" ({f['rolled_over']} rolled over)" if f["rolled_over"] else ""
            text = f"{f['period']}: {f['used']} of {f['included']} h used{rolled}"
            if f["overage_billed"] or f["overage_to_bill"]:
                text += f", {f['overage_billed']} h overage billed ({f['overage_billed_value']:,.2f} {cur})"
            if f["overage_to_bill"]:
                text += f", {f['overage_to_bill']} h to bill ({_money(f['overage_to_bill_value'], cur)})"
            if f["written_down"]:
                text += f", {f['written_down']} h written down ({_money(f['written_down_value'], cur)})"
            return text + ("" if f["fee_invoice"] else ", fee not billed yet")
        if self.model == "fixed":
            rate = f"effective rate {_money(f['effective_rate'], cur)}/h" if f["effective_rate"] is not None else \
                "no hours yet"
            return (f"{f['billed']:,.2f} of {f['price']:,.2f} {cur} billed ({f['milestones']} milestones), "
                    f"{f['remaining']:,.2f} remaining, {f['hours']} h spent, {rate}")
        return f"cap {f['cap']}: {f['written_down_value']:,.2f} {cur} written down ({f['written_down']} h)"


def _money(value: Decimal | None, currency: str) -> str:
    return "—" if value is None else f"{value:,.2f} {currency}"


def model_status(models: Models, client: str) -> tuple[ModelStatus, ...]:
    """A client's retainer periods, fixed prices and capped jobs, in that order."""
    found = []
    for model, frame in (("retainer", models.retainers), ("fixed", models.fixed), ("cap", models.caps)):
        for row in frame[frame["client"].eq(client)].to_dict("records"):
            found.append(ModelStatus(row["job"], model, row, row["currency"]))
    return tuple(found)


@dataclass(frozen=True)
class PersonStatus:
    """A person of the team: when they last logged time, and the working days they logged too little."""

    person: str
    last_logged: date | None  # the last day of the period with time logged
    days_since: int | None  # from that day to today
    missing_days: int  # working days up to today with less than agency.missing_day_below of a day logged
    logged: Decimal  # hours
    utilisation: Decimal | None  # billable ÷ capacity


@dataclass(frozen=True)
class Owed:
    """What a client owes in one currency: its invoices with money open, and of them the overdue."""

    client: str
    currency: str
    open_invoices: int
    open: Decimal
    overdue_invoices: int
    overdue: Decimal
    most_days_overdue: int


def owed(standings: Iterable[Standing]) -> list[Owed]:
    """Per client and currency with money open (payments/receivables.py), the most overdue first."""
    groups: dict[tuple[str, str], list[Standing]] = {}
    for s in standings:
        if s.kind == "invoice" and s.open > 0:
            groups.setdefault((s.client, s.currency), []).append(s)
    found = [Owed(client, currency, len(mine), sum((s.open for s in mine), Decimal(0)),
                  len(late := [s for s in mine if s.state == "overdue"]), sum((s.open for s in late), Decimal(0)),
                  max((s.days_overdue for s in mine), default=0)) for (client, currency), mine in groups.items()]
    return sorted(found, key=lambda o: (-o.most_days_overdue, -o.overdue, o.client))


class Board(NamedTuple):
    run: CheckRun
    clients: list[ClientStatus]
    team: list[PersonStatus]
    headline: Headline | None = None
    owed: tuple[Owed, ...] = ()  # what clients owe, as the ledger's payments leave it


def status(workspace: Path, period: Period, today: date) -> Board:
    """The Overview's rows and headline figures, in its order (the most unbilled value first)."""
    run, before = checked(workspace, period, today)
    if run.config is None:
        return Board(run, [], [])
    figures = figures_for(run, before, today)
    held, everyone = run.held_back()
    overview = overview_table(figures)
    names = dict(zip(figures.clients["client"], figures.clients["name"]))
    rows = []
    for row in overview.to_dict("records"):
        client, found = row["client"], levels(row)
        shown: dict[str, Any] = {c.key: None if blank(row[c.key]) else row[c.key] for c in COLUMNS}
        rows.append(ClientStatus(
            **shown, name=names[client],
            currency=row["currency"], budget=None if blank(row["scope"]) else row["scope"], level=found["burn"],
            held_back=everyone or client in held, levels=found, models=model_status(figures.models, client),
            expenses=None if figures.expenses is None else expense_status(figures.expenses, client)))
    team = [PersonStatus(t.person, None if blank(t.last_logged) else t.last_logged,
                         None if blank(t.days_since_logged) else int(t.days_since_logged), t.missing_days, t.logged,
                         None if blank(t.utilisation_pct) else t.utilisation_pct) for t in figures.team.itertuples()]
    return Board(run, rows, team, headline(overview, figures), tuple(owed(figures.standings)))


def team_json(team: list[PersonStatus]) -> list[dict]:
    return [{**{k: _plain(v) for k, v in asdict(p).items()},
             "last_logged": p.last_logged.isoformat() if p.last_logged else None} for p in team]


def team_table(team: list[PersonStatus]) -> RenderableType:
    """Who logged when: the last day each person logged time, and the days they logged too little."""
    from rich.table import Table
    from rich.text import Text

    grid = Table(title="Team", title_justify="left", header_style="bold")
    for name, justify in (("person", "left"), ("last day logged", "left"), ("days since", "right"),
                          ("missing days", "right"), ("logged h", "right"), ("utilisation", "right")):
        grid.add_column(name, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    for p in team:
        late = p.days_since is None or p.days_since > 3 or p.missing_days > 0  # not logging is conspicuous
        grid.add_row(Text(p.person, style="bold red" if late else ""),
                     p.last_logged.isoformat() if p.last_logged else "none", "—" if p.days_since is None
                     else str(p.days_since), str(p.missing_days), f"{p.logged:,.2f}",
                     "—" if p.utilisation is None else percent(p.utilisation))
    return grid


def owed_json(owing: Iterable[Owed]) -> list[dict]:
    return [{k: _plain(v) for k, v in asdict(o).items()} for o in owing]


def as_json(period: Period, today: date, rows: list[ClientStatus], head: Headline | None = None) -> dict:
    """The Overview as JSON: its headline figures (money per currency) and its rows by its columns'
    keys, in its order; amounts, hours and shares as exact strings."""
    def plain(row: ClientStatus) -> dict:
        out = {k: _plain(v) for k, v in asdict(row).items() if k not in ("models", "expenses", "levels")}
        out["last_invoice_date"] = row.last_invoice_date.isoformat() if row.last_invoice_date else None
        if row.expenses is not None:  # only a client with billable expenses has them
            out["expenses"] = {k: _plain(v) for k, v in row.expenses.items()}
        if row.models:  # only a client billed by a model has them
            out["models"] = [{"job": m.job, "model": m.model, **{k: _plain(v) for k, v in m.figures.items()
                                                                 if k not in ("client", "job", "currency")}}
                             for m in row.models]
        return out

    return {"period": period.label, "today": today.isoformat(),
            "headline": None if head is None else {
                **{k: _plain(v) for k, v in head._asdict().items() if k != "money"},
                "money": [{k: _plain(v) for k, v in m._asdict().items()} for m in head.money]},
            "clients": [plain(r) for r in rows]}


def _plain(value: object) -> object:
    """A figure as JSON holds it: amounts and hours as exact strings."""
    return str(value) if isinstance(value, Decimal) else value


COLOURS = {"green": "green", "amber": "yellow", "red": "red"}


def table(period: Period, today: date, rows: list[ClientStatus], head: Headline | None = None,  # noqa: PLR0913
          width: int = 160, owing: tuple[Owed, ...] = ()) -> RenderableType:
    """The headline and the clients' table (in as many parts as `width` needs), and under it what
    clients owe, where any client bills by a model the models' table, and the expenses'."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    grid = _clients(period, today, rows, head, width)
    models = [(r.client, m) for r in rows for m in r.models]
    costs = [r for r in rows if r.expenses]
    if not models and not costs and not owing:
        return grid

    parts: list[RenderableType] = [grid]
    if owing:
        money = Table(title="Receivables", title_justify="left", header_style="bold")
        for name in ("client", "open", "overdue", "most days overdue"):
            money.add_column(name, justify="left" if name == "client" else "right", no_wrap=True)
        for o in owing:
            late = Text(f"{o.overdue_invoices} · {o.overdue:,.2f} {o.currency}", style="red" if o.overdue else "")
            money.add_row(o.client, f"{o.open_invoices} · {o.open:,.2f} {o.currency}", late,
                          str(o.most_days_overdue) if o.most_days_overdue else "—")
        parts.append(money)
    if models:
        more = Table(title="Billing models", title_justify="left", header_style="bold")
        for name in ("client", "job", "model"):
            more.add_column(name, no_wrap=True)
        more.add_column("where it stands", overflow="fold")
        for client, m in models:
            more.add_row(client, m.job, m.model, str(m))
        parts.append(more)
    if costs:
        spent = Table(title="Expenses", title_justify="left", header_style="bold")
        spent.add_column("client", no_wrap=True)
        for name in ("billed", "unbilled"):
            spent.add_column(name, justify="right", no_wrap=True)
        for r in costs:
            e = r.expenses or {}
            spent.add_row(r.client, f"{e['billed']} · {e['billed_value']:,.2f} {r.currency}",
                          f"{e['unbilled']} · {e['unbilled_value']:,.2f} {r.currency}")
        parts.append(spent)
    return Group(*parts)


HEADERS = {"logged": "logged\nh", "billed": "billed\nh", "value": "billable\nvalue", "invoiced": "\ninvoiced",
           "unbilled_hours": "unbilled\nh", "unbilled_value": "unbilled\nvalue", "last_invoice": "last\ninvoice",
           "last_invoice_date": "\nissued", "days_since": "days\nsince", "margin_pct": "margin\n%",
           "burn": "budget\nburn", "client": "\nclient"}  # the Overview's headers, on two lines


def _clients(period: Period, today: date, rows: list[ClientStatus], head: Headline | None,
             width: int) -> RenderableType:
    """The headline, then the Overview's columns in its order, under its headers: in one table, or
    where `width` is too narrow for all twelve, in as many as it takes, one under the other, each
    with the client column — never a figure cut off."""
    from rich.console import Console, Group
    from rich.text import Text

    title = Text("\n".join([f"Billing status {period.label} · {period.start} .. {period.end} · today {today}",
                            *headline_lines(head)]))
    if not rows:
        return Group(title, Text(f"No client logged time, was invoiced or has anything to bill in {period.label}."))
    cells = [_cells(r, Text) for r in rows]
    measure = Console(width=10_000)  # unbounded: a table measures as what it is given

    def fits(shown: list[int]) -> bool:
        return measure.measure(_grid(rows, cells, shown)).maximum <= width

    parts, shown = [], [0]
    for i in range(1, len(COLUMNS)):
        if len(shown) > 1 and not fits([*shown, i]):
            parts.append(shown)
            shown = [0]
        shown.append(i)
    parts.append(shown)
    return Group(title, *(_grid(rows, cells, part, held=part is parts[-1]) for part in parts))


def _grid(rows: list[ClientStatus], cells: list[list], shown: list[int], held: bool = True) -> Table:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    grid = Table(header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False)
    for i in shown:
        column = COLUMNS[i]
        flexible = column.key == "burn"  # the job its budget is of may be cut short
        name = HEADERS.get(column.key, column.header)
        widest = max([len(str(row[i])) for row in cells] + [len(line) for line in name.splitlines()])
        grid.add_column(name, no_wrap=True, min_width=None if flexible else widest,
                        justify="left" if column.kind in ("text", "date") or column.key == "burn" else "right")
    note = held and any(r.held_back for r in rows)
    if note:
        grid.add_column("note", no_wrap=True, min_width=len(HELD))
    for r, row in zip(rows, cells):
        grid.add_row(*(row[i] for i in shown), *([Text(HELD, style="bold red") if r.held_back else ""] if note else []))
    return grid


HELD = "held back by errors"


def _cells(r: ClientStatus, text_type: type[Text]) -> list[str | Text]:
    def money(value: Decimal) -> str:
        return f"{value:,.2f} {SYMBOLS.get(r.currency, r.currency)}"

    style = {k: COLOURS[level] for k, level in r.levels.items() if level and level != "green"}
    return [r.client, f"{r.logged:,.2f}", f"{r.billed:,.2f}", money(r.value), money(r.invoiced),
            f"{r.unbilled_hours:,.2f}", money(r.unbilled_value), r.last_invoice or "—",
            r.last_invoice_date.isoformat() if r.last_invoice_date else "—",
            text_type("—" if r.days_since is None else str(r.days_since), style=style.get("days_since", "")),
            text_type("—" if r.margin_pct is None else share_text(r.margin_pct), style=style.get("margin_pct", "")),
            _bar(r, text_type)]


def headline_lines(head: Headline | None) -> list[str]:
    """The Overview's headline figures in its order: the hours, the money per currency, the clients
    over budget; then the internal time (on no row)."""
    if head is None:
        return []
    lines = [f"logged {head.logged:,.2f} h · billed {head.billed:,.2f} h"]
    for m in head.money:
        gap = "—" if m.gap is None else share_text(m.gap)
        lines.append(f"{m.currency}: invoiced {m.invoiced:,.2f} · unbilled {m.unbilled_value:,.2f} · "
                     f"not invoiced yet {gap}")
    lines.append(f"{head.over_budget} over budget" + (f" · internal time, on no row: {head.internal:,.2f} h"
                                                      if head.internal else ""))
    return lines


def share_text(value: Decimal) -> str:
    """A share as the Overview shows it: a percentage to one place."""
    return f"{value * 100:.1f} %"


def _bar(row: ClientStatus, text_type: type[Text]) -> Text:
    if row.burn is None or row.level is None:  # the two are set together, from the most burnt budget
        return text_type("no budget", style="dim")
    filled = min(5, int(row.burn * 5))
    bar = text_type("█" * filled + "░" * (5 - filled), style=COLOURS[row.level])
    bar.append(f" {share_text(row.burn):>7}")
    if row.budget != "client":
        bar.append(f" {row.budget}", style="dim")
    return bar
