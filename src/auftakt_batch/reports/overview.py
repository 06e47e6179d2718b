"""The Overview: the five-second view, the workbook's first sheet (and `status`'s table).

One row per active client (time logged, value, an invoice or something unbilled in the period),
the most unbilled value first: what was logged, what it is worth, what is invoiced, what is still
to bill, when the client was last invoiced, the margin and the most burnt budget. Above it the
period's headline figures, under it a totals row per currency; red, amber and green where a
threshold says so — a negative margin, a budget past its `alert_at`, a last invoice older than
the client's billing rhythm. It prints on one landscape page.

`overview_table` computes the rows from the figures the other sheets show, so the Overview, the
Clients sheet and `status` agree to the cent.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import NamedTuple

import pandas as pd
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from ..periods import Period
from ..units import share
from .figures import ZERO, Figures
from .sheets import AMBER, GREEN, RED, Column, Sheet, money_format, table
from .totals import totals

BARS = {"red": "#E06666", "amber": "#F6B26B", "green": "#93C47D"}  # the burn's data bars, a level each

COLUMNS = [  # the Overview's columns, and `status`'s, in this order; their keys are status --json's
    Column("client", "client"),
    Column("logged", "logged h", "hours", note="All time tracked for the client in the period, raw, billable or not."),
    Column("billed", "billed h", "hours", note="Billable time as invoices bill it: rounded (and as written down in "
                                               "review); on an invoice, its line's hours — billed or still to bill. "
                                               "Side by side: logged h is what was tracked, this what is billed."),
    Column("value", "billable value", "money", note="The billable hours at the agreed rates, fees, milestones and "
                                                    "overage of the period, and expenses (see the Clients sheet)."),
    Column("invoiced", "invoiced", "money", note="Of the billable value, what live invoices hold (net)."),
    Column("unbilled_hours", "unbilled h", "hours", note="Billable, on no invoice yet: the next bill bills them."),
    Column("unbilled_value", "unbilled value", "money", note="Billable value on no invoice yet."),
    Column("last_invoice", "last invoice", width=11),
    Column("last_invoice_date", "issued", "date"),
    Column("days_since", "days since", "int", note="Days since the last invoice: amber past the client's billing "
                                                   "rhythm (a month; a quarter where it is billed only by quarterly "
                                                   "retainers), red past twice that; amber too for a client never "
                                                   "invoiced with work to bill."),
    Column("margin_pct", "margin %", "pct", note="(Billable value − cost) ÷ billable value: red below 0. Blank for a "
                                                 "client billed in another currency than the agency's."),
    Column("burn", "budget burn", "pct", width=12, note="The client's most burnt budget, its own or a job's (see "
                                                        "Over-servicing): its bar amber and red at its alert_at."),
]
HIDDEN = [Column("currency", "currency"), Column("margin", "margin", "money")]  # what the totals row adds up by
TITLE_ROW, LABEL_ROW, FIGURE_ROW, HEADER_ROW = 1, 2, 3, 5
ONE_PAGE = 40  # clients the Overview prints on one page (more: one page wide, as many tall as it takes)
MONEY = ("invoiced", "unbilled_value", "gap")  # the headline figures of one currency
HEADLINE = [("logged h", "logged"), ("billed h", "billed"), ("invoiced", "invoiced"),
            ("unbilled value", "unbilled_value"), ("not invoiced yet", "gap"), ("clients over budget", "over_budget")]


def overview_table(figures: Figures) -> pd.DataFrame:
    """The Overview's rows: COLUMNS and HIDDEN, with each row's thresholds (amber_at, red_at,
    rhythm in days) and its budget's scope; the most unbilled value first."""
    worst = figures.budgets.drop_duplicates("client").set_index("client")  # budgets come most burnt first
    rows = []
    for c in figures.clients.itertuples():
        if not c.billable_client or not any((c.logged, c.value, c.invoiced_period, c.unbilled_value, c.unbilled)):
            continue
        budget = worst.loc[c.client] if c.client in worst.index else None
        last = c.last_invoice_date if c.last_invoice else None
        rows.append({
            "client": c.client, "logged": c.logged, "billed": c.billed, "value": c.value,
            "invoiced": c.invoiced_period, "unbilled_hours": c.unbilled, "unbilled_value": c.unbilled_value,
            "last_invoice": c.last_invoice or None, "last_invoice_date": last,
            "days_since": (figures.today - last).days if last else None, "margin_pct": c.margin_pct,
            "burn": None if budget is None else budget["burn_pct"], "currency": c.currency, "margin": c.margin,
            "scope": None if budget is None else budget["job"] or "client",
            "amber_at": None if budget is None else budget["amber_at"],
            "red_at": None if budget is None else budget["red_at"], "rhythm": c.rhythm})
    keys = [c.key for c in COLUMNS + HIDDEN] + ["scope", "amber_at", "red_at", "rhythm"]
    frame = pd.DataFrame(rows, columns=keys)
    if frame.empty:
        return frame
    other = frame["currency"].ne(figures.currency)  # the agency's currency first: no exchange rate ranks the others
    order = frame["unbilled_value"].map(Decimal).map(lambda v: -v)  # exact, most first; then by key
    days = pd.Series([None if blank(d) else int(d) for d in frame["days_since"]], dtype=object)  # not 7.0
    frame = frame.assign(other=other, order=order, days_since=days)
    frame = frame.sort_values(["other", "currency", "order", "client"], kind="stable")
    return frame.drop(columns=["other", "order"]).reset_index(drop=True)


def levels(row: dict) -> dict[str, str | None]:
    """red | amber | green (or None: no threshold applies) for the margin, burn and days since: what
    the sheet's rules (`_rules`) colour them, for the terminal."""
    margin, burn, days, rhythm = row["margin_pct"], row["burn"], row["days_since"], row["rhythm"]
    return {
        "margin_pct": None if blank(margin) else "red" if margin < 0 else "green",
        "burn": None if blank(burn) or blank(row["red_at"]) else "red" if burn >= row["red_at"]
        else "amber" if burn >= row["amber_at"] else "green",
        "days_since": ("amber" if row["unbilled_value"] else None) if blank(days)  # never invoiced, work waiting
        else "red" if days > 2 * rhythm else "amber" if days > rhythm else "green"}


def blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value is pd.NA


class Money(NamedTuple):
    """The headline's money of one currency (amounts in different currencies never add up)."""

    currency: str
    value: Decimal
    invoiced: Decimal
    unbilled_value: Decimal
    gap: Decimal | None  # unbilled value ÷ billable value: the share of the period's work not invoiced yet


class Headline(NamedTuple):
    """The period's figures over the Overview's rows, in its order: hours of every currency, money
    per currency (the agency's first), clients over budget; and what no row shows — the internal
    time — or shows without its reason: the clients whose invoice errors hold back."""

    logged: Decimal
    billed: Decimal
    money: tuple[Money, ...]
    over_budget: int  # clients whose most burnt budget is past 100 %
    internal: Decimal  # hours logged for internal (not billable) clients
    held_back: tuple[str, ...] = ()  # clients on the Overview whose errors hold back their invoice


def headline(overview: pd.DataFrame, figures: Figures) -> Headline:
    money = []
    for code in sorted(set(overview["currency"]), key=lambda c: (c != figures.currency, c)):
        mine = overview[overview["currency"].eq(code)]
        value, invoiced, unbilled = (sum(mine[k], ZERO) for k in ("value", "invoiced", "unbilled_value"))
        money.append(Money(code, value, invoiced, unbilled, share(unbilled, value)))
    clients, gap = figures.clients, figures.gap
    internal = clients.loc[~clients["billable_client"], "logged"] if len(clients) else []
    held = set(gap.loc[gap["held_back"].eq("yes"), "client"]) if len(gap) else set()
    return Headline(sum(overview["logged"], ZERO), sum(overview["billed"], ZERO), tuple(money),
                    int(sum(1 for b in overview["burn"] if not blank(b) and b > 1)), sum(internal, ZERO),
                    tuple(c for c in overview["client"] if c in held))


def write_overview(sheet: Sheet, figures: Figures) -> None:
    frame = overview_table(figures)
    columns = COLUMNS + HIDDEN
    _title(sheet, figures.period, figures.today)
    first, last = table(sheet, frame, columns, row=HEADER_ROW, freeze=False, agency_currency=figures.currency)
    if frame.empty:
        sheet.put(first, 1, f"No client logged time, was invoiced or has anything to bill in {figures.period.label}.",
                  look={"italic": True})
    codes = list(dict.fromkeys(frame["currency"]))  # the rows' order: the agency's first
    rows = totals(sheet, columns, (first, last), codes, figures.currency)
    _headline(sheet, headline(frame, figures), rows, (first, last), figures.currency)
    _colours(sheet, frame, first)
    for i in range(len(COLUMNS), len(columns)):
        sheet.hide(i + 1)
    ws = sheet.ws
    ws.freeze_panes(HEADER_ROW, 1)  # the headline and header above, the client column to the left
    ws.set_row(HEADER_ROW - 1, 30)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    if len(frame) <= ONE_PAGE:  # Sheet.page_setup fits it one page wide, its header on each page
        sheet.pages_tall = 1
    ws.print_area(0, 0, max(sheet.max_row, HEADER_ROW) - 1, len(COLUMNS) - 1)
    ws.activate()


def _title(sheet: Sheet, period: Period, today: date) -> None:
    sheet.ws.merge_range(TITLE_ROW - 1, 0, TITLE_ROW - 1, len(COLUMNS) - 1,
                         f"Overview {period.label} · {period.start:%d %b %Y} – {period.end:%d %b %Y} · as of "
                         f"{today:%d %b %Y}", sheet.book.format({"bold": True, "font_size": 14}))
    sheet.ws.set_row(TITLE_ROW - 1, 22)


def _headline(sheet: Sheet, head: Headline, totals: dict[str, int], rows: tuple[int, int],  # noqa: PLR0913
              agency: str) -> None:
    """Six figures over two columns each, label above, figure below, as live formulas: the hours
    and clients over budget of every row, the money on the first currency's totals row (the
    agency's); under them a line for the other currencies' money and the internal time."""
    col = {c.key: xl_col_to_name(i) for i, c in enumerate(COLUMNS + HIDDEN)}
    book, ws = sheet.book, sheet.ws
    code = head.money[0].currency if head.money else agency
    row, (first, last) = totals.get(code), rows
    every = {key: f"=SUM({col[key]}{first}:{col[key]}{last})" for key in ("logged", "billed")}
    figure = {**every, "over_budget": f'=COUNTIF({col["burn"]}{first}:{col["burn"]}{last},">1")',
              "invoiced": f"={col['invoiced']}{row}", "unbilled_value": f"={col['unbilled_value']}{row}",
              "gap": f'=IF({col["value"]}{row}=0,"",{col["unbilled_value"]}{row}/{col["value"]}{row})'}
    number = {"logged": "#,##0.00", "billed": "#,##0.00", "invoiced": money_format(code),
              "unbilled_value": money_format(code), "gap": "0.0%", "over_budget": "0"}
    label = book.format({"font_color": "#555555", "align": "center", "top": 1, "left": 1, "right": 1,
                         "border_color": "#BBBBBB"})
    for i, (text, key) in enumerate(HEADLINE):
        at = 2 * i
        ws.merge_range(LABEL_ROW - 1, at, LABEL_ROW - 1, at + 1, f"{text} ({code})" if key in MONEY else text, label)
        cell = book.format({"bold": True, "font_size": 15, "align": "center", "bottom": 1, "left": 1, "right": 1,
                            "border_color": "#BBBBBB", "num_format": number[key]})
        ws.merge_range(FIGURE_ROW - 1, at, FIGURE_ROW - 1, at + 1, None, cell)
        if row is None and key == "gap":  # no active client: no share,
            ws.write_blank(FIGURE_ROW - 1, at, None, cell)
        elif row is None:  # nothing to add up
            ws.write_number(FIGURE_ROW - 1, at, 0, cell)
        else:
            ws.write_formula(FIGURE_ROW - 1, at, figure[key], cell, "")
    at = 2 * [key for _, key in HEADLINE].index("over_budget")
    ws.conditional_format(FIGURE_ROW - 1, at, FIGURE_ROW - 1, at, {  # red when there is any
        "type": "cell", "criteria": ">", "value": 0, "format": book.format({"font_color": "#B00020"})})
    ws.set_row(FIGURE_ROW - 1, 24)
    notes = [f"{m.currency}: invoiced {m.invoiced:,.2f}, unbilled {m.unbilled_value:,.2f}" for m in head.money[1:]]
    if head.internal:
        notes.append(f"internal time, on no row: {head.internal:,.2f} h (the Clients and Months sheets count it)")
    if head.held_back:
        notes.append(f"held back by errors (see Problems): {', '.join(head.held_back)}")
    if notes:
        sheet.put(FIGURE_ROW + 1, 1, " · ".join(notes), look={"italic": True, "font_color": "#555555"})


def _colours(sheet: Sheet, frame: pd.DataFrame, first: int) -> None:
    """Data bars for unbilled value (per currency: no exchange rate ranks one against another) and
    burn (in its level's colour); red, amber and green for the margin and the days since the last
    invoice, as rules on the cells' values (an edited cell recolours)."""
    if frame.empty:
        return
    ws, book = sheet.ws, sheet.book
    at = {c.key: i for i, c in enumerate(COLUMNS)}
    top = first - 1
    for _, rows in frame.groupby("currency", sort=False).groups.items():
        ws.conditional_format(top + min(rows), at["unbilled_value"], top + max(rows), at["unbilled_value"], {
            "type": "data_bar", "bar_color": "#9DC3E6", "bar_solid": True, "min_type": "num", "min_value": 0})
    fills = {level: book.format({"bg_color": colour}) for level, colour in
             (("red", RED), ("amber", AMBER), ("green", GREEN))}
    for r, row in enumerate(frame.to_dict("records"), top):
        level = levels(row)["burn"]
        if level is not None:  # a bar per cell, in its level's colour
            ws.conditional_format(r, at["burn"], r, at["burn"], {
                "type": "data_bar", "bar_color": BARS[level], "bar_solid": True, "min_type": "num", "min_value": 0,
                "max_type": "num", "max_value": 1})
        for key in ("margin_pct", "days_since"):
            cell = xl_rowcol_to_cell(r, at[key])
            for level, criteria in _rules(key, cell, row, xl_rowcol_to_cell(r, at["unbilled_value"])).items():
                ws.conditional_format(r, at[key], r, at[key], {"type": "formula", "criteria": criteria,
                                                               "format": fills[level], "stop_if_true": True})


def _rules(key: str, cell: str, row: dict, unbilled: str) -> dict[str, str]:
    """level -> its rule on `cell`, worst first (the first that holds colours it), as `levels` says."""
    number = f"ISNUMBER({cell})"
    if key == "margin_pct":
        return {"red": f"=AND({number},{cell}<0)", "green": f"=AND({number},{cell}>=0)"}
    rhythm = row["rhythm"]
    return {"red": f"=AND({number},{cell}>{2 * rhythm})", "amber": f"=OR(AND({number},{cell}>{rhythm}),"
                                                                   f"AND(ISBLANK({cell}),{unbilled}>0))",
            "green": f"={number}"}
