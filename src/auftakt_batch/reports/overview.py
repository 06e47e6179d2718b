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
from .figures import ZERO, Figures, share
from .sheets import TOTAL_LOOK, Column, Sheet, money_format, table

RED, AMBER, GREEN = "#F4B6B6", "#FBE3A6", "#CDEBC5"
BARS = {"red": "#E58C8C", "amber": "#F2C462", "green": "#93CC84"}  # the burn's data bars

COLUMNS = [  # the Overview's columns, and `status`'s, in this order; their keys are status --json's
    Column("client", "client", width=14),
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
                                                   "retainers), red past twice that."),
    Column("margin_pct", "margin %", "pct", note="(Billable value − cost) ÷ billable value: red below 0. Blank for a "
                                                 "client billed in another currency than the agency's."),
    Column("burn", "budget burn", "pct", width=12, note="The client's most burnt budget, its own or a job's (see "
                                                        "Over-servicing): amber and red at its alert_at."),
]
HIDDEN = [Column("currency", "currency"), Column("margin", "margin", "money")]  # what the totals row adds up by
SUMMED = ("logged", "billed", "value", "invoiced", "unbilled_hours", "unbilled_value", "margin")
TITLE_ROW, LABEL_ROW, FIGURE_ROW, HEADER_ROW = 1, 2, 3, 5
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
    order = frame["unbilled_value"].map(Decimal).map(lambda v: -v)  # exact, most first; then by key
    days = pd.Series([None if blank(d) else int(d) for d in frame["days_since"]], dtype=object)  # not 7.0
    frame = frame.assign(order=order, days_since=days).sort_values(["order", "client"], kind="stable")
    return frame.drop(columns="order").reset_index(drop=True)


def levels(row: dict) -> dict[str, str | None]:
    """red | amber | green (or None: no threshold applies) for the margin, burn and days since: what
    the sheet's rules (`_rules`) colour them, for the terminal."""
    margin, burn, days, rhythm = row["margin_pct"], row["burn"], row["days_since"], row["rhythm"]
    return {
        "margin_pct": None if blank(margin) else "red" if margin < 0 else "green",
        "burn": None if blank(burn) or blank(row["red_at"]) else "red" if burn >= row["red_at"]
        else "amber" if burn >= row["amber_at"] else "green",
        "days_since": None if blank(days) else "red" if days > 2 * rhythm else "amber" if days > rhythm else "green"}


def blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value is pd.NA


class Headline(NamedTuple):
    """The period's figures over the Overview's rows of one currency."""

    currency: str
    logged: Decimal
    billed: Decimal
    value: Decimal
    invoiced: Decimal
    unbilled_value: Decimal
    gap: Decimal | None  # unbilled value ÷ billable value: the share of the period's work not invoiced yet
    over_budget: int  # clients whose most burnt budget is past 100 %


def headlines(overview: pd.DataFrame, agency: str) -> list[Headline]:
    """One per currency, the agency's first."""
    found = []
    for code in sorted(set(overview["currency"]), key=lambda c: (c != agency, c)):
        mine = overview[overview["currency"].eq(code)]
        total = {k: sum(mine[k], ZERO) for k in ("logged", "billed", "value", "invoiced", "unbilled_value")}
        over = int(sum(1 for b in mine["burn"] if not blank(b) and b > 1))
        found.append(Headline(code, **total, gap=share(total["unbilled_value"], total["value"]), over_budget=over))
    return found


def write_overview(sheet: Sheet, figures: Figures) -> None:
    frame = overview_table(figures)
    columns = COLUMNS + HIDDEN
    _title(sheet, figures.period, figures.today)
    first, last = table(sheet, frame, columns, row=HEADER_ROW, freeze=False, agency_currency=figures.currency)
    totals = _totals(sheet, frame, columns, first, last, figures.currency)
    _headline(sheet, frame, totals, first, last, figures.currency)
    _colours(sheet, frame, first)
    for i in range(len(COLUMNS), len(columns)):
        sheet.hide(i + 1)
    ws = sheet.ws
    ws.freeze_panes(HEADER_ROW, 1)  # the headline and header above, the client column to the left
    ws.set_row(HEADER_ROW - 1, 30)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    sheet.pages_tall = 1  # one page: Sheet.page_setup fits it to one page wide, with the header repeated
    ws.print_area(0, 0, max(sheet.max_row, HEADER_ROW) - 1, len(COLUMNS) - 1)
    ws.activate()


def _title(sheet: Sheet, period: Period, today: date) -> None:
    sheet.ws.merge_range(TITLE_ROW - 1, 0, TITLE_ROW - 1, len(COLUMNS) - 1,
                         f"Overview {period.label} · {period.start:%d %b %Y} – {period.end:%d %b %Y} · as of "
                         f"{today:%d %b %Y}", sheet.book.format({"bold": True, "font_size": 14}))
    sheet.ws.set_row(TITLE_ROW - 1, 22)


def _totals(sheet: Sheet, frame: pd.DataFrame, columns: list[Column], first: int, last: int,
            agency: str) -> dict[str, int]:
    """A totals row per currency of live SUMIFS over the hidden currency column (amounts in different
    currencies are never added up), margin % from the totals; currency -> its row."""
    col = {c.key: xl_col_to_name(i) for i, c in enumerate(columns)}
    codes = sorted(set(frame["currency"]), key=lambda c: (c != agency, c)) if len(frame) else []
    rows = {}
    for row, code in enumerate(codes, last + 1):
        rows[code] = row
        for i, column in enumerate(columns, 1):
            letter, number = col[column.key], money_format(code) if column.kind == "money" else "#,##0.00"
            if column.key in SUMMED and not (column.key == "margin" and code != agency):
                formula = f'=SUMIFS({letter}{first}:{letter}{last},{col["currency"]}{first}:{col["currency"]}{last},' \
                          f'"{code}")'
            elif column.key == "margin_pct" and code == agency:
                formula, number = f'=IF({col["value"]}{row}=0,"",{col["margin"]}{row}/{col["value"]}{row})', "0.0%"
            else:
                sheet.put(row, i, f"Total {code}" if i == 1 else code if column.key == "currency" else None,
                          look=TOTAL_LOOK)
                continue
            sheet.put(row, i, formula, "formula", look=TOTAL_LOOK, num_format=number)
    return rows


def _headline(sheet: Sheet, frame: pd.DataFrame, totals: dict[str, int], first: int, last: int,
              agency: str) -> None:
    """Six figures over two columns each: label above, figure below, as live formulas on the totals
    row of the first currency (the agency's); other currencies' money figures in a line under them."""
    col = {c.key: xl_col_to_name(i) for i, c in enumerate(COLUMNS + HIDDEN)}
    book, ws = sheet.book, sheet.ws
    label = book.format({"font_color": "#555555", "align": "center", "top": 1, "left": 1, "right": 1,
                         "border_color": "#BBBBBB"})
    code = next(iter(totals), agency)
    row = totals.get(code)
    figure = {
        "logged": f"={col['logged']}{row}", "billed": f"={col['billed']}{row}",
        "invoiced": f"={col['invoiced']}{row}", "unbilled_value": f"={col['unbilled_value']}{row}",
        "gap": f'=IF({col["value"]}{row}=0,"",{col["unbilled_value"]}{row}/{col["value"]}{row})',
        "over_budget": f'=COUNTIF({col["burn"]}{first}:{col["burn"]}{last},">1")'}
    number = {"logged": "#,##0.00", "billed": "#,##0.00", "invoiced": money_format(code),
              "unbilled_value": money_format(code), "gap": "0.0%", "over_budget": "0"}
    for i, (text, key) in enumerate(HEADLINE):
        at = 2 * i
        ws.merge_range(LABEL_ROW - 1, at, LABEL_ROW - 1, at + 1, text, label)
        look = {"bold": True, "font_size": 15, "align": "center", "bottom": 1, "left": 1, "right": 1,
                "border_color": "#BBBBBB", "num_format": number[key]}
        if key == "over_budget":
            look["font_color"] = "#B00020"
        cell = book.format(look)
        ws.merge_range(FIGURE_ROW - 1, at, FIGURE_ROW - 1, at + 1, None, cell)
        if row is None:  # no active client: nothing to add up
            ws.write_number(FIGURE_ROW - 1, at, 0, cell)
        else:
            ws.write_formula(FIGURE_ROW - 1, at, figure[key], cell, "")
    ws.set_row(FIGURE_ROW - 1, 24)
    others = headlines(frame, agency)[1:] if len(frame) else []
    if others:
        text = " · ".join(f"{h.currency}: invoiced {h.invoiced:,.2f}, unbilled {h.unbilled_value:,.2f}"
                          for h in others)
        sheet.put(FIGURE_ROW + 1, 1, f"Money above in {code}; {text}", look={"italic": True, "font_color": "#555555"})


def _colours(sheet: Sheet, frame: pd.DataFrame, first: int) -> None:
    """Data bars for unbilled value and burn; red, amber and green per row at its own thresholds,
    as rules on the cells' values (an edited cell recolours)."""
    if frame.empty:
        return
    ws, book = sheet.ws, sheet.book
    at = {c.key: i for i, c in enumerate(COLUMNS)}
    top, bottom = first - 1, first + len(frame) - 2
    ws.conditional_format(top, at["unbilled_value"], bottom, at["unbilled_value"], {
        "type": "data_bar", "bar_color": "#9DC3E6", "bar_solid": True, "min_type": "num", "min_value": 0})
    fills = {level: book.format({"bg_color": colour}) for level, colour in
             (("red", RED), ("amber", AMBER), ("green", GREEN))}
    for r, row in enumerate(frame.to_dict("records"), top):
        level = levels(row)["burn"]
        if level is not None:  # a bar per cell, in a stronger shade of its level's colour: a long bar hides the fill
            ws.conditional_format(r, at["burn"], r, at["burn"], {
                "type": "data_bar", "bar_color": BARS[level], "bar_solid": True, "min_type": "num", "min_value": 0,
                "max_type": "num", "max_value": 1})
        for key in ("margin_pct", "burn", "days_since"):
            cell = xl_rowcol_to_cell(r, at[key])
            for level, criteria in _rules(key, cell, row).items():
                ws.conditional_format(r, at[key], r, at[key], {"type": "formula", "criteria": criteria,
                                                               "format": fills[level], "stop_if_true": True})


def _rules(key: str, cell: str, row: dict) -> dict[str, str]:
    """level -> its rule on `cell`, worst first (the first that holds colours it); none where the
    row has no threshold (no budget)."""
    number = f"ISNUMBER({cell})"
    if key == "margin_pct":
        return {"red": f"=AND({number},{cell}<0)", "green": f"=AND({number},{cell}>=0)"}
    if key == "burn":
        if blank(row["red_at"]):
            return {}
        return {"red": f"=AND({number},{cell}>={float(row['red_at'])})",
                "amber": f"=AND({number},{cell}>={float(row['amber_at'])})", "green": f"={number}"}
    rhythm = row["rhythm"]
    return {"red": f"=AND({number},{cell}>{2 * rhythm})", "amber": f"=AND({number},{cell}>{rhythm})",
            "green": f"={number}"}
