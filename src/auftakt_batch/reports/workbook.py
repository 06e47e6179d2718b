"""The profitability workbook: output/<period>/profitability-<period>.xlsx.

Sheets: Overview (the five-second view: reports/overview.py), Clients (with per-currency totals
as live formulas and a margin chart), Jobs, Over-servicing (traffic lights at each budget's own
thresholds, a burn chart of the most burnt), Months (the last twelve, with a line chart:
reports/months.py), Team, Billing gap, Entries (filterable), Invoices, Receivables (what is open,
its age) and Problems; the per-entry ones (Billing gap, Entries, Problems) go on in "Entries (2)"
and so on past Excel's 1,048,576 rows a sheet. Written to a temporary file and renamed into
place, so a reader never sees half a workbook.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

import pandas as pd
from xlsxwriter.utility import xl_col_to_name

from ..check.tracker import INVOICED
from ..files import Prepared, prepare
from ..problems import Problem
from ..schemas import Entries as E
from ..schemas import Expenses as X
from ..schemas import ReportEntries as R
from ..units import hours
from .figures import Figures
from .model_sheet import MODEL_ENTRY_COLUMNS, model_text, write_models
from .overview import write_overview
from .receivables_sheet import write_receivables
from .sheets import (
    AMBER,
    GREEN,
    PIXELS_PER_CM,
    RED,
    TOTAL_LOOK,
    Book,
    Column,
    Pages,
    Sheet,
    long_table,
    money_format,
    table,
)
from .totals import totals
from .trend_sheets import write_burn_chart, write_months

SEVERITY_ORDER = {"error": 0, "warning": 1, "note": 2}

VALUE_NOTE = ("At the agreed rates: invoiced entries at their invoice line's hours and price (write-downs show), "
              "the others at their rounded hours and the rate in force. Retainer and fixed-price jobs: the fees, "
              "overage and milestones invoiced in the period (and overage not billed yet), never their entries' "
              "hours; less what caps wrote down.")
CLIENT_COLUMNS = [
    Column("client", "client"), Column("name", "name"), Column("currency", "currency"),
    Column("logged", "hours logged", "hours", note="All time tracked in the period, billable or not, raw: what "
                                                   "people logged, before any rounding."),
    Column("billable", "billable hours", "hours", note="The hours logged of billable entries, raw (before "
                                                       "rounding): billed hours less this is what rounding and "
                                                       "write-downs change."),
    Column("billed", "billed hours", "hours", note="Billable hours after rates.yaml's rounding rule and review "
                                                   "write-downs: the hours the invoices show (invoiced entries as "
                                                   "their invoice line has them, the others as the next invoice "
                                                   "will bill them). Budgets burn these where they exceed the "
                                                   "billable hours."),
    Column("value", "billable value", "money", note=VALUE_NOTE),
    Column("invoiced_period", "invoiced this period", "money", note="Net of the live invoices of this period."),
    Column("invoiced_to_date", "invoiced to date", "money", note="Net of all live invoices, every period."),
    Column("unbilled", "unbilled hours", "hours", note="Billable, not on any invoice yet (rounded hours)."),
    Column("unbilled_value", "unbilled value", "money"),
    Column("last_invoice", "last invoice"), Column("last_invoice_date", "last invoice date", "date"),
    Column("cost", "cost", "money", note="Logged hours × each person's cost_rate, billable or not (agency currency).",
           agency_money=True),
    Column("margin", "margin", "money", note="Billable value − cost; blank when the client is billed in another "
                                             "currency than the agency's (no exchange rate)."),
    Column("margin_pct", "margin %", "pct"),
    Column("effective_rate", "effective rate", "money", note="Billable value ÷ all hours logged."),
    Column("budget", "budget"), Column("burn_pct", "burn %", "pct", note="See the Over-servicing sheet."),
]
JOB_COLUMNS = [Column("client", "client"), Column("job", "job"), *CLIENT_COLUMNS[2:3], Column("name", "job name"),
               *(c for c in CLIENT_COLUMNS[3:] if c.key not in ("last_invoice", "last_invoice_date"))]
BUDGET_COLUMNS = [
    Column("client", "client"), Column("job", "job"), Column("name", "name"), Column("label", "budget in rates.yaml"),
    Column("budget", "budget for the period", "measure",
           note="A budget a month, for the months the period spans (pro rata by days); a total budget as it is."),
    Column("logged", "hours logged", "hours", note="All time logged on the budget's client or job, billable or "
                                                   "not, raw. Total budgets include earlier periods."),
    Column("billed", "hours billed", "hours", note="Its billable hours after rounding and review write-downs: "
                                                   "invoiced, as the invoice lines show them (their hours add up "
                                                   "to this); not invoiced yet, as the next invoice will bill "
                                                   "them."),
    Column("used", "used", "measure", note="Hours budgets: the hours logged, plus the hours billed beyond the "
                                           "billable hours logged (the Jobs sheet's billable hours): rounding up "
                                           "on the invoice burns the budget too, so used is never less than the "
                                           "invoices bill; where they bill less (rounding down, write-downs), the "
                                           "hours logged. Amount budgets: billable value, "
                                           "invoiced entries at their invoice line's hours and price, the others "
                                           "at their rounded hours and the rate in force (retainer and "
                                           "fixed-price jobs: hours × the rate in force). Total budgets include "
                                           "earlier periods."),
    Column("burn_pct", "burn %", "pct", note="Used ÷ the budget for the period: it counts what is invoiced where "
                                             "that is more than what was logged, so a budget invoiced past 100 % "
                                             "shows past 100 %."),
    Column("projected", "projected", "measure", note="At the pace of the period's working days so far."),
    Column("projected_pct", "projected %", "pct"),
    Column("over_hours", "hours beyond budget", "hours", note="Hours budgets: used − budget, as the invoices "
                                                              "count them. Amount budgets: the value beyond it at "
                                                              "the scope's average agreed rate per billed hour."),
    Column("over_value", "value beyond budget", "money", note="Write-down risk: time beyond the budget at the "
                                                             "scope's average agreed rate."),
    Column("amber_at", "amber at", "pct"), Column("red_at", "red at", "pct"), Column("currency", "currency"),
]
TEAM_COLUMNS = [
    Column("person", "person"), Column("role", "role"), Column("logged", "logged", "hours"),
    Column("billable", "billable", "hours"),
    Column("capacity", "capacity", "hours", note="hours_per_week ÷ 5 × working days of the period (weekdays, "
                                                 "less public holidays and calendar absences)."),
    Column("days_away", "days away", "int"),
    Column("utilisation_pct", "utilisation %", "pct", note="Billable ÷ capacity."),
    Column("missing_days", "missing days", "int", note="Working days up to today with less than "
                                                       "agency.missing_day_below of the daily capacity logged."),
    Column("last_logged", "last day logged", "date", note="The last day of the period this person logged time; "
                                                          "empty: none."),
    Column("days_since_logged", "days since", "int", note="Days from the last day logged to today."),
    Column("cost", "cost", "money", agency_money=True),
]
GAP_COLUMNS = [
    Column("client", "client"), Column("currency", "currency"),
    Column("tracked_value", "tracked billable value", "money"), Column("invoiced_value", "invoiced", "money"),
    Column("invoiced_in_tracker", "of which invoiced in the tracker", "money", note="Entries the export marks "
           "invoiced in the tracker: not billed again (imports.invoiced_in_tracker: skip)."),
    Column("unbilled_value", "not invoiced yet", "money"),
    Column("held_in_review", "of which held back in review", "money", note="Entries the review workbook set to "
                                                                           "no: they stay unbilled."),
    Column("not_approved", "of which not approved in the tracker", "money", note="imports.require_approval: "
           "entries the export does not mark approved wait, unless the review workbook says yes."),
    Column("after_today", "of which dated after today", "money", note="Work dated later is billed by a run on or "
                                                                      "after its day."),
    Column("held_back", "client held back", note="Errors (in its entries or its review) hold back its invoice: "
                                                 "see the Problems sheet."),
    Column("with_errors", "hours with errors", "hours", note="Held back until their errors are fixed (Problems)."),
    Column("earlier_unbilled", "unbilled h, earlier periods", "hours"),
    Column("earlier_unbilled_value", "unbilled value, earlier periods", "money"),
    Column("untracked_meetings", "untracked meeting h", "hours", note="Client meetings in calendars that no "
                                                                       "timesheet entry covers."),
    Column("untracked_value", "untracked meeting value", "money"),
]
MEETING_COLUMNS = [Column("date", "date", "date"), Column("person", "person"), Column("client", "client"),
                   Column("summary", "meeting"), Column("hours", "hours", "hours"), Column("value", "value", "money"),
                   Column("file", "calendar")]
ENTRY_COLUMNS = [
    Column(E.date, "date", "date"), Column(E.person_name, "person"), Column(E.client_key, "client"),
    Column(E.job_key, "job"), Column(E.task, "task"), Column(E.description, "description", width=40),
    Column("logged_h", "logged h", "hours"), Column("billable_text", "billable"),
    Column("billed_h", "billed h", "hours", note="Rounded, or as written down in review."),
    Column(R.rate, "rate", "money"), Column(R.value, "value", "money"),
    Column(R.cost, "cost", "money", agency_money=True),
    Column(R.invoice, "invoice"), Column("written_down_h", "written down from h", "hours"),
    Column("review_text", "review"),
    Column(R.tracker, "tracker", width=28, note="What the export says: invoiced in the tracker (with its invoice), "
                                                "not approved there."),
    Column(R.flags, "problems"), Column(E.source_file, "file"), Column(E.source_row, "row", "int"),
]
EARLIER_COLUMNS = [Column(E.date, "date", "date"), Column(E.person_name, "person"), Column(E.client_key, "client"),
                   Column(E.job_key, "job"), Column(E.description, "description", width=40),
                   Column("billed_h", "hours", "hours"), Column(R.value, "value", "money"),
                   Column(E.source_file, "file"), Column(E.source_row, "row", "int")]
EARLIER_MONTH_COLUMNS = [Column("month", "month"), Column("client", "client"), Column("entries", "entries", "int"),
                         Column("hours", "billed h", "hours"), Column("value", "value", "money"),
                         Column("command", "to bill them",
                                note="The billing run of that month, for that client: a new invoice (after one "
                                     "of that month: its late entries).")]
TRACKER_COLUMNS = [*EARLIER_COLUMNS[:-2], Column(R.tracker, "tracker", width=28), *EARLIER_COLUMNS[-2:]]
INVOICE_COLUMNS = [Column("number", "number"), Column("kind", "kind"), Column("client", "client"),
                   Column("issue_date", "issued", "date"), Column("due_date", "due", "date"),
                   Column("net", "net", "money"), Column("vat", "VAT", "money"), Column("gross", "gross", "money"),
                   Column("currency", "currency"), Column("status", "status"), Column("refers_to", "cancels"),
                   Column("reason", "reason"), Column("pdf", "PDF")]
PROBLEM_COLUMNS = [Column("severity", "severity"), Column("code", "code"), Column("file", "file"),
                   Column("row", "row", "int"), Column("column", "column"), Column("rows", "rows"),
                   Column("message", "message", width=80, wrap=True)]


MODEL_CLIENT_COLUMNS = [  # after "unbilled value", where the workspace bills by a model
    Column("covered", "covered hours", "hours", note="Entries of retainer and fixed-price jobs on no invoice: "
                                                     "the fee or the price covers them (not unbilled)."),
    Column("written_down", "written down", "money", note="Value given away: overage a retainer absorbs (at the "
                                                         "job's hourly rate) and what caps wrote down."),
]
EXPENSE_MONEY_COLUMNS = [  # before "cost", where the period has expenses
    Column("expense_revenue", "expense revenue", "money", note="Billable expenses at cost plus markup: as their "
           "invoice line says once billed (in invoiced this period), the others in unbilled value. Part of billable "
           "value, not of the effective rate."),
    Column("expense_cost", "expense cost", "money", agency_money=True, note="Every expense's amount, billable or "
           "not (part of cost); only those in the agency's currency (no exchange rate)."),
]
EXPENSE_COLUMNS = [
    Column(X.date, "date", "date"), Column(X.person_name, "person"), Column("client_shown", "client"),
    Column("job_shown", "job"), Column(X.category, "category"), Column(X.description, "description", width=40),
    Column(X.amount, "amount", "money", note="What was spent: a cost of the client (and job)."),
    Column(X.currency, "currency"),
    Column("billable_text", "billable", note="By the export and by rates.yaml (the client's and job's billable)."),
    Column("receipt_text", "receipt"), Column("invoice_number", "invoice"),
    Column("billed", "billed", "money", note="As the invoice line says: cost plus the client's markup (or the "
                                            "review's amount to bill); 0 until billed."),
    Column("to_bill", "to bill", "money", note="Billable, not billed yet: cost plus markup (or the review's amount)."),
    Column("review_text", "review"), Column("flag_text", "problems"), Column(X.source_file, "file"),
    Column(X.source_row, "row", "int"),
]
MODEL_JOB_COLUMNS = [Column("model", "model", note="retainer, fixed (price by milestone), cap, or blank: hourly.")]


def with_models(columns: list[Column], added: list[Column], after: str, figures: Figures) -> list[Column]:
    """`columns`, and where the workspace bills by a model, `added` after the column `after`."""
    if not figures.models:
        return columns
    at = [c.key for c in columns].index(after) + 1
    return [*columns[:at], *added, *columns[at:]]


def with_expenses(columns: list[Column], figures: Figures) -> list[Column]:
    """`columns`, and where the period has expenses, their revenue and cost before "cost"."""
    if figures.expenses is None:
        return columns
    at = [c.key for c in columns].index("cost")
    return [*columns[:at], *EXPENSE_MONEY_COLUMNS, *columns[at:]]


def prepare_workbook(figures: Figures, problems: tuple[Problem, ...], path: Path) -> Prepared:
    """The workbook written beside `path`, for `place` to put it there."""
    def write(temp: Path) -> None:
        book = Book(temp, rows=2 * len(figures.entries) + len(figures.earlier_unbilled) + len(problems))
        write_overview(book.sheet("Overview"), figures)
        _clients(book.sheet("Clients"), figures)
        jobs = with_models(with_models(with_expenses(JOB_COLUMNS, figures), MODEL_CLIENT_COLUMNS, "unbilled_value",
                                       figures), MODEL_JOB_COLUMNS, "name", figures)
        _with_totals(book.sheet("Jobs"), _job_burn(figures), jobs, figures.currency)
        over = book.sheet("Over-servicing")
        _budgets(over, figures.budgets)
        write_models(over, figures.models, figures.currency)
        write_burn_chart(over, figures.budgets)
        if figures.months is not None:
            write_months(book.sheet("Months"), figures.months, figures.currency)
        _team(book.sheet("Team"), figures)
        _gap(Pages(book, "Billing gap"), figures)
        long_table(Pages(book, "Entries"), _entry_rows(figures.entries),
                   with_models(ENTRY_COLUMNS, MODEL_ENTRY_COLUMNS, R.invoice, figures), autofilter=True,
                   agency_currency=figures.currency)
        if figures.expenses is not None:
            long_table(Pages(book, "Expenses"), figures.expenses, EXPENSE_COLUMNS, autofilter=True)
        table(book.sheet("Invoices"), figures.invoices, INVOICE_COLUMNS)
        write_receivables(book.sheet("Receivables"), list(figures.standings), list(figures.aging))
        worst_first = sorted(problems, key=lambda p: SEVERITY_ORDER[p.severity.value])
        long_table(Pages(book, "Problems"), problem_rows(worst_first), PROBLEM_COLUMNS, autofilter=True)
        book.close()

    return prepare(path, write, "report")


def _clients(sheet: Sheet, figures: Figures) -> None:
    """Clients in the agency's currency first (the chart shows their margin), then the others,
    then internal ones; each with its most burnt budget, its own or a job's."""
    worst = figures.budgets.drop_duplicates("client").set_index("client")  # budgets come most burnt first
    clients = figures.clients
    frame = clients.assign(
        burn_pct=clients["client"].map(worst["burn_pct"]),
        budget=[f"{worst.at[c, 'job']}: {worst.at[c, 'label']}" if c in worst.index and worst.at[c, "job"]
                else worst.at[c, "label"] if c in worst.index else "" for c in clients["client"]],
        order=[(not b, cur != figures.currency) for b, cur in zip(clients["billable_client"], clients["currency"])])
    frame = frame.sort_values(["order", "client"], kind="stable").drop(columns="order") if len(frame) else frame
    columns = with_models(with_expenses(CLIENT_COLUMNS, figures), MODEL_CLIENT_COLUMNS, "unbilled_value", figures)
    first, last = _with_totals(sheet, frame, columns, figures.currency)
    charted = int((frame["billable_client"] & frame["currency"].eq(figures.currency)).sum()) if len(frame) else 0
    sheet.key_columns = 2  # client and name on each page of a print two pages wide
    if charted:
        _margin_chart(sheet, [c.key for c in columns].index("margin"), first, frame["margin"].head(charted).tolist(),
                      figures.currency)


POSITIVE, NEGATIVE = "#1F3A5F", "#C0392B"  # the header's blue; a red for a loss


def _margin_chart(sheet: Sheet, margin: int, first: int, margins: list, currency: str) -> None:
    """A bar a client (the rows from `first` with these `margins`), each named and labelled with its
    margin, a loss in red (each bar coloured by its value, and inverted when an edit turns it
    negative); names at the left edge, clear of bars that go below zero. Each bar as tall as its
    name needs, under the table."""
    charted = len(margins)
    chart = sheet.book.book.add_chart({"type": "bar"})
    name = sheet.ws.get_name()
    chart.add_series({"name": [name, first - 2, margin],
                      "categories": [name, first - 1, 0, first + charted - 2, 0],
                      "values": [name, first - 1, margin, first + charted - 2, margin],
                      "fill": {"color": POSITIVE}, "invert_if_negative": True, "invert_if_negative_color": NEGATIVE,
                      "points": [{"fill": {"color": NEGATIVE}} if pd.notna(m) and m < 0 else None for m in margins],
                      "gap": 60, "data_labels": {"value": True, "position": "outside_end", "num_format": "#,##0",
                                                  "font": {"size": 8}}})
    chart.set_title({"name": f"Margin by client ({currency})", "name_font": {"size": 11}})
    chart.set_legend({"none": True})
    chart.set_x_axis({"num_format": "#,##0", "num_font": {"size": 8}})
    chart.set_y_axis({"reverse": True, "interval_unit": 1, "label_position": "low",  # the first client at the top
                      "num_font": {"size": 9}})
    height = max(7.5, 0.6 * charted + 2.5)  # about 0.6 cm a bar: room for a 9-point name
    chart.set_size({"width": 18 * PIXELS_PER_CM, "height": height * PIXELS_PER_CM})
    sheet.ws.insert_chart(sheet.max_row + 2, sheet.key_columns, chart)  # clear of the columns each printed page repeats


def _job_burn(figures: Figures) -> pd.DataFrame:
    """The jobs with the burn % of their own budget (the budget table's job rows)."""
    own = figures.budgets[figures.budgets["job"].ne("")]
    burn = {(c, j): b for c, j, b in zip(own["client"], own["job"], own["burn_pct"])}
    jobs = figures.jobs
    return jobs.assign(burn_pct=[burn.get((c, j)) for c, j in zip(jobs["client"], jobs["job"])]) if len(jobs) else jobs


def _with_totals(sheet: Sheet, frame: pd.DataFrame, columns: list[Column], agency: str) -> tuple[int, int]:
    """The table, then its totals rows (reports/totals.py), the agency's currency first."""
    first, last = table(sheet, frame, columns, agency_currency=agency)
    codes = sorted(set(frame["currency"]), key=lambda c: (c != agency, c)) if len(frame) else []
    totals(sheet, columns, (first, last), codes, agency)
    return first, last


def _team(sheet: Sheet, figures: Figures) -> None:
    """The team, and a totals row: hours and costs add up; utilisation from the totals."""
    first, last = table(sheet, figures.team, TEAM_COLUMNS, agency_currency=figures.currency)
    if last < first:
        return
    row, col = last + 1, {c.key: xl_col_to_name(i) for i, c in enumerate(TEAM_COLUMNS)}
    for i, column in enumerate(TEAM_COLUMNS, 1):
        letter = col[column.key]
        if column.kind in ("hours", "int", "money") and column.key != "days_since_logged":  # what adds up
            number = money_format(figures.currency) if column.kind == "money" else \
                "0" if column.kind == "int" else "#,##0.00"
            sheet.put(row, i, f"=SUM({letter}{first}:{letter}{last})", "formula", look=TOTAL_LOOK, num_format=number)
        elif column.key == "utilisation_pct":
            sheet.put(row, i, f'=IF({col["capacity"]}{row}=0,"",{col["billable"]}{row}/{col["capacity"]}{row})',
                      "formula", look=TOTAL_LOOK, num_format="0.0%")
        else:
            sheet.put(row, i, "Total" if i == 1 else None, look=TOTAL_LOOK)


def _budgets(sheet: Sheet, budgets: pd.DataFrame) -> None:
    first, last = table(sheet, budgets, BUDGET_COLUMNS)
    if last < first:
        return
    col = {c.key: xl_col_to_name(i) for i, c in enumerate(BUDGET_COLUMNS)}
    burn, amber, red = (f"${col[k]}{first}" for k in ("burn_pct", "amber_at", "red_at"))
    for criteria, fill in ((f"={burn}>={red}", RED), (f"={burn}>={amber}", AMBER), (f"={burn}<{amber}", GREEN)):
        sheet.ws.conditional_format(first - 1, 0, last - 1, len(BUDGET_COLUMNS) - 1, {
            "type": "formula", "criteria": criteria, "stop_if_true": True,
            "format": sheet.book.book.add_format({"bg_color": fill, "fg_color": fill, "pattern": 1})})


def _gap(pages: Pages, figures: Figures) -> None:
    """Per client, then the meetings and entries behind the figures one by one (the entries may be
    many: a year of unbilled work goes on to "Billing gap (2)" and on)."""
    last = long_table(pages, figures.gap, GAP_COLUMNS)
    last = long_table(pages, figures.untracked, MEETING_COLUMNS, row=last + 3,
                      heading=f"Client meetings nobody logged ({len(figures.untracked)})")
    entries, unbilled = figures.entries, ~figures.entries[R.error] & figures.entries[R.invoice].eq("")
    for held, heading, columns in (
            (entries[R.held_in_review], "Entries held back in the review workbook", EARLIER_COLUMNS),
            (unbilled & entries[E.billable] & entries[E.tracker_hold].eq(INVOICED),
             "Entries invoiced in the tracker, not billed again", TRACKER_COLUMNS),
            (unbilled & entries[E.billable] & entries[R.waits_for_approval], "Entries not approved in the tracker",
             TRACKER_COLUMNS)):
        last = long_table(pages, _entry_rows(entries[held]), columns, row=last + 3,
                          heading=f"{heading} ({int(held.sum())})")
    count = int(figures.earlier_unbilled["entries"].sum())
    long_table(pages, figures.earlier_unbilled, EARLIER_MONTH_COLUMNS, row=last + 3,
               heading=f"Billable entries of earlier periods on no invoice ({count}), per month: "
                       f"each month's report lists its entries")


SHOWN = {"logged_h": "float64", "billed_h": "float64", "written_down_h": "float64", "billable_text": "str",
         "review_text": "float64", "model_text": "float64"}  # what _entry_rows adds, as pandas types them on no rows


def _entry_rows(entries: pd.DataFrame) -> pd.DataFrame:
    """Entries as the sheets show them; a name that could not be resolved as it was typed. None
    (most of the Billing gap's lists): the columns the general path gives no rows, without it."""
    if entries.empty:
        return entries.assign(**{name: pd.Series(index=entries.index, dtype=dtype) for name, dtype in SHOWN.items()})
    return _shown_rows(entries)


def _shown_rows(entries: pd.DataFrame) -> pd.DataFrame:
    logged = entries[E.duration_s]
    return entries.assign(
        **{E.person_name: entries[E.person_name].fillna(entries[E.person]),
           E.client_key: entries[E.client_key].fillna(entries[E.client]),
           E.job_key: entries[E.job_key].fillna(entries[E.job])},
        logged_h=hours_of(logged), billed_h=hours_of(entries[R.billed_s], entries[E.billable]),
        written_down_h=hours_of(entries[R.written_down_from]),
        billable_text=entries[E.billable].map({True: "yes", False: "no"}),
        review_text=[("held back" if held else "waits for approval" if waits else "")
                     for held, waits in zip(entries[R.held_in_review], entries[R.waits_for_approval])],
        model_text=model_text(entries[R.model], entries[R.invoice]))


def hours_of(seconds: pd.Series, where: pd.Series | None = None) -> list[Decimal | None]:
    """Each value's `hours`, None where it is missing (or `where` does not hold): each distinct
    value converted once (a month's entries share a few hundred durations)."""
    present = seconds.notna().to_numpy(dtype=bool)
    if where is not None:
        present = present & where.to_numpy(dtype=bool)
    values = seconds.to_numpy(dtype=object)
    shown = {s: hours(s) for s in set(values[present])}
    return [shown[s] if keep else None for s, keep in zip(values, present)]


def problem_rows(problems: Iterable[Problem]) -> pd.DataFrame:
    return pd.DataFrame([{"severity": p.severity.value, "code": p.code, "file": p.source.file, "row": p.source.row,
                          "column": p.source.key or p.source.column or "",
                          "rows": ", ".join(map(str, p.rows)), "message": p.message} for p in problems],
                        columns=[c.key for c in PROBLEM_COLUMNS])
