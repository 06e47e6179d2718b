"""Totals rows under a table of clients or jobs (the Overview, Clients and Jobs sheets): one per
currency of live SUMIFS formulas — amounts in different currencies are never added up — with
margin % and the effective rate computed from the totals, and, with several currencies, a row of
what does add up across them: hours, and costs in the agency's currency."""

from __future__ import annotations

from xlsxwriter.utility import xl_col_to_name

from .sheets import TOTAL_LOOK, Column, Sheet, money_format

SUMMED = {"logged", "billable", "billed", "value", "invoiced", "invoiced_period", "invoiced_to_date", "unbilled",
          "unbilled_hours", "unbilled_value", "cost", "margin", "covered", "written_down", "expense_cost",
          "expense_revenue"}
ACROSS = "Total, all clients"


def totals(sheet: Sheet, columns: list[Column], rows: tuple[int, int], currencies: list[str],
           agency: str) -> dict[str, int]:
    """Under the table's data `rows` (first, last), a totals row per currency in `currencies` (the
    table's `currency` column holds them); currency -> its row."""
    first, last = rows
    col = {c.key: xl_col_to_name(i) for i, c in enumerate(columns)}
    found = {}
    for row, cur in enumerate(currencies, last + 1):
        found[cur] = row
        for i, column in enumerate(columns, 1):
            formula = _formula(column.key, cur, agency, col, (first, last, row))
            number = {"money": money_format(agency if column.agency_money else cur),
                      "pct": "0.0%"}.get(column.kind, "#,##0.00")
            if formula:
                sheet.put(row, i, formula, "formula", look=TOTAL_LOOK, num_format=number)
            else:
                sheet.put(row, i, f"Total {cur}" if i == 1 else cur if column.key == "currency" else None,
                          look=TOTAL_LOOK)
    if len(currencies) > 1:
        _across(sheet, columns, (first, last), last + len(currencies) + 1, agency)
    labels = [f"Total {cur}" for cur in currencies] + [ACROSS] * (len(currencies) > 1)
    sheet.width(1, max([len(label) + 2 for label in labels], default=0))  # the first column holds the labels
    return found


def _formula(key: str, cur: str, agency: str, col: dict[str, str], rows: tuple[int, int, int]) -> str | None:
    first, last, row = rows
    if key in ("margin", "margin_pct") and cur != agency:
        return None  # no margin in another currency than the agency's: blank, as on its rows
    if key in SUMMED:
        letter, currency = col[key], col["currency"]
        return f'=SUMIFS({letter}{first}:{letter}{last},{currency}{first}:{currency}{last},"{cur}")'
    if key == "margin_pct":
        return f'=IF({col["value"]}{row}=0,"",{col["margin"]}{row}/{col["value"]}{row})'
    if key == "effective_rate":  # of the time: billable value less the expenses'
        time = f'({col["value"]}{row}-{col["expense_revenue"]}{row})' if "expense_revenue" in col \
            else f'{col["value"]}{row}'
        return f'=IF({col["logged"]}{row}=0,"",{time}/{col["logged"]}{row})'
    return None


def _across(sheet: Sheet, columns: list[Column], rows: tuple[int, int], row: int, agency: str) -> None:
    """Hours and costs (in the agency's currency) add up across currencies."""
    first, last = rows
    for i, column in enumerate(columns, 1):
        if column.kind == "hours" or column.agency_money:
            letter = xl_col_to_name(i - 1)
            sheet.put(row, i, f"=SUM({letter}{first}:{letter}{last})", "formula", look=TOTAL_LOOK,
                      num_format=money_format(agency) if column.agency_money else "#,##0.00")
        else:
            sheet.put(row, i, ACROSS if i == 1 else None, look=TOTAL_LOOK)
