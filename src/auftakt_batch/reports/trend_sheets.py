"""The trend sheets: the Months sheet (the last twelve months, reports/months.py, with a line chart)
and, under the Over-servicing sheet's tables, the chart of the most burnt budgets."""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

import pandas as pd
from xlsxwriter.utility import xl_col_to_name

from .sheets import FORMATS, PIXELS_PER_CM, TOTAL_LOOK, Column, Sheet, money_format, table, title

MONTH_MONEY = "Only clients billed in the agency's currency: those billed in another count in the hours, not in " \
              "the money (there is no exchange rate)."
MONTH_COLUMNS = [
    Column("month", "month", note="The last twelve months up to the period's end (fewer when the exports in input/ "
                                  "and the ledger hold less); a month with nothing logged or invoiced shows zeros. "
                                  "Entries are counted in the month of their date. " + MONTH_MONEY),
    Column("logged", "logged h", "hours", note="All time tracked, raw, every client (the Clients sheet's hours "
                                               "logged)."),
    Column("billable", "billable h", "hours", note="Logged time of billable entries, raw."),
    Column("billed", "billed h", "hours", note="Billable hours after the rounding rules (and write-downs in review): "
                                               "the hours invoices bill, beside the logged ones."),
    Column("value", "billable value", "money", note="As on the Clients sheet (see its note). Retainer fees, overage "
                                                    "and milestones count in the month of their invoice's period. "
                                                    + MONTH_MONEY),
    Column("invoiced", "invoiced", "money", note="Billable value less unbilled value: entries on our invoices (or "
                                                 "invoiced in the tracker), the models' fees, overage and milestones, "
                                                 "expenses billed. For the period's month: the Clients sheet's "
                                                 "billable value less its unbilled value."),
    Column("gap", "not invoiced", "money", note="Billable value not invoiced yet (the Clients sheet's unbilled value): "
                                                "the tracked-vs-invoiced gap."),
    Column("gap_pct", "not invoiced %", "pct", note="Not invoiced ÷ billable value."),
    Column("cost", "cost", "money", note="Logged hours × each person's cost_rate, and expenses, of the clients billed "
                                         "in the agency's currency (so that margin = value − cost)."),
    Column("margin", "margin", "money", note="Billable value − cost."),
    Column("margin_pct", "margin %", "pct", note="Margin ÷ billable value."),
]
MONTH_SUMMED = ["logged", "billable", "billed", "value", "invoiced", "gap", "cost", "margin"]
MONTH_RATIOS = {"gap_pct": "gap", "margin_pct": "margin"}  # a percentage of the totals: its part ÷ billable value
MONTH_CHARTED = ["value", "invoiced", "cost"]
MONTH_LINES = {"value": ("#9DC3E6", 6, "solid", "square"), "invoiced": ("#1F3A5F", 2.25, "solid", "circle"),
               "cost": ("#C0504D", 2.25, "dash", "diamond")}  # colour, width (pt), dash, marker
BURN_CHARTED = 12  # budgets in the burn chart: the most burnt
BURN_COLUMNS = [Column("scope", "budget", note="client / job (a client's own budget: the client)"),
                Column("burn_pct", "burn %", "pct", note="As in the table above."),
                Column("limit", "limit", "pct", note="100 %: the grey bar behind each burn bar in the chart.")]
BAR_RED, BAR_AMBER, BAR_GREEN = "#D9534F", "#F0AD4E", "#5CB85C"  # the burn bars: stronger than the table's fills


def write_months(sheet: Sheet, months: pd.DataFrame, currency: str) -> None:
    """A row per month, a totals row of live formulas (percentages from the totals), and under it
    a line chart of billable value, invoiced and cost per month."""
    first, last = table(sheet, months, MONTH_COLUMNS, agency_currency=currency)
    col = {c.key: xl_col_to_name(i) for i, c in enumerate(MONTH_COLUMNS)}
    row = last + 1
    for i, column in enumerate(MONTH_COLUMNS, 1):
        number = money_format(currency) if column.kind == "money" else FORMATS.get(column.kind)
        if column.key in MONTH_SUMMED:
            formula = f"=SUM({col[column.key]}{first}:{col[column.key]}{last})"
        elif column.key in MONTH_RATIOS:
            part, value = col[MONTH_RATIOS[column.key]], col["value"]
            formula = f'=IF({value}{row}=0,"",{part}{row}/{value}{row})'
        else:
            sheet.put(row, i, "Total", look=TOTAL_LOOK)
            continue
        sheet.put(row, i, formula, "formula", look=TOTAL_LOOK, num_format=number)
    if len(months):
        _month_chart(sheet, first, last, col, currency)


def _month_chart(sheet: Sheet, first: int, last: int, col: dict[str, str], currency: str) -> None:
    chart = sheet.book.book.add_chart({"type": "line"})
    name = sheet.ws.get_name()
    keys = [c.key for c in MONTH_COLUMNS]
    for key in MONTH_CHARTED:  # value drawn wide and light, invoiced narrow on top: where they part is the gap
        at, (colour, width, dash, marker) = keys.index(key), MONTH_LINES[key]
        chart.add_series({"name": [name, 0, at], "categories": [name, first - 1, 0, last - 1, 0],
                          "values": [name, first - 1, at, last - 1, at],
                          "line": {"color": colour, "width": width, "dash_type": dash},
                          "marker": {"type": marker, "size": 7, "border": {"color": colour},
                                     "fill": {"color": colour}}})
    chart.set_title({"name": f"Billable value, invoiced and cost per month ({currency})",
                     "name_font": {"size": 12}})
    chart.set_x_axis({"name": "month", "num_font": {"rotation": -45} if last - first > 5 else {}})
    chart.set_y_axis({"name": currency, "num_format": "#,##0", "min": 0, "major_gridlines": {"visible": True}})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 22 * PIXELS_PER_CM, "height": 10 * PIXELS_PER_CM})
    sheet.ws.insert_chart(last + 2, 1, chart)


def write_burn_chart(sheet: Sheet, budgets: pd.DataFrame) -> None:
    """Under the sheet's tables: the most burnt budgets (at most BURN_CHARTED) as horizontal bars
    of burn %, in the traffic light of their thresholds, each labelled, each in a frame at 100 %;
    under the small table the chart reads (a chart beside it would straddle two printed pages)."""
    shown = budgets.head(BURN_CHARTED)
    if shown.empty:
        return
    top = sheet.max_row + 3
    title(sheet, top, f"Budget burn, most burnt first ({len(shown)} of {len(budgets)})")
    frame = pd.DataFrame({"scope": [f"{c} / {j}" if j else c for c, j in zip(shown["client"], shown["job"])],
                          "burn_pct": shown["burn_pct"], "limit": [Decimal(1)] * len(shown)})
    first, last = table(sheet, frame, BURN_COLUMNS, row=top + 1, freeze=False)
    name = sheet.ws.get_name()
    chart = sheet.book.book.add_chart({"type": "bar"})
    colours = [BAR_RED if b >= r else BAR_AMBER if b >= a else BAR_GREEN
               for b, a, r in zip(shown["burn_pct"], shown["amber_at"], shown["red_at"])]
    categories = [name, first - 1, 0, last - 1, 0]
    chart.add_series({"name": "budget (100 %)", "categories": categories, "values": [name, first - 1, 2, last - 1, 2],
                      "gap": 50, "overlap": 100, "fill": {"color": "#E4E4E4"}, "border": {"color": "#7F7F7F"}})
    chart.add_series({"name": "burn %", "categories": categories, "values": [name, first - 1, 1, last - 1, 1],
                      "points": [{"fill": {"color": c}, "border": {"color": "#404040"}} for c in colours],
                      "data_labels": {"value": True, "num_format": "0%", "position": "outside_end"}})
    chart.set_title({"name": "Budget burn, most burnt first", "name_font": {"size": 12}})
    room = max(Decimal("1.25"), max(shown["burn_pct"]) + Decimal("0.15"))  # for the labels past the longest bar
    chart.set_x_axis({"name": "burn of the budget", "num_format": "0%", "min": 0, "major_unit": 0.25,
                      "max": float((room * 4).to_integral_value(ROUND_CEILING) / 4),
                      "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    chart.set_y_axis({"reverse": True, "interval_unit": 1, "crossing": "max"})  # most burnt on top, axis below
    chart.set_legend({"position": "bottom"})
    height = max(7.5, 0.8 * (len(shown) + 3))
    chart.set_size({"width": 18 * PIXELS_PER_CM, "height": height * PIXELS_PER_CM})
    sheet.ws.insert_chart(last + 1, 0, chart)  # under its table, from the first column: on the first printed page
    sheet.max_row = last + 2 + int(height * PIXELS_PER_CM / 20)  # what follows goes under the chart
