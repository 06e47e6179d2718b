"""The review workbook: output/<period>/review-<period>.xlsx, and what a reviewer decided in it.

`review` writes one sheet per client with the entries the next `bill` would put on its
invoice, each with the checks' flags beside it and two columns to edit: `approve` (yes/no) and
`bill_hours` (a write-down). Writing it again keeps the decisions already made for entries
that are still there.

check/decisions.py reads what the reviewer decided in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from ..check.expense_decisions import PRICE
from ..check.review_file import (
    AMOUNT_HEADER,
    ANSWERS,
    EXPENSE_ID_HEADER,
    EXPENSE_SHEET,
    ID_HEADER,
    blank,
    said_no,
    sheet_name,
)
from ..check.tracker import UNAPPROVED
from ..codes import FLAGS
from ..config import Config
from ..files import write_atomically
from ..periods import Period
from ..problems import plural
from ..schemas import Entries as E
from ..schemas import Expenses as X
from ..schemas import PricedEntries as P
from ..schemas import ReportEntries as R
from ..schemas import ReviewDecisions as D
from ..units import hours
from .sheets import TITLE_LOOK, Book, Column, Sheet, table, title

EDITABLE = "#FFF4C2"  # the background of the columns a reviewer edits
YES, NO = "yes", "no"
COLUMNS = [
    Column(E.date, "date", "date"), Column(E.person_name, "person"), Column(E.job_key, "job"),
    Column(E.task, "task"), Column(E.description, "description", width=45),
    Column("start_text", "start"), Column("logged_h", "logged h", "hours"),
    Column("billed_h", "billed h", "hours", note="Logged time after the rounding rule: what the invoice shows "
                                                  "unless bill_hours writes it down."),
    Column(P.rate, "rate", "money"), Column(R.value, "value", "money"), Column("flag_text", "flags", width=28),
    Column("approve", "approve", width=10, note="yes: bill it. no: hold it back (it stays unbilled and shows in "
                                                 "the Billing gap). Empty: yes — but an entry the tracker has not "
                                                 "approved (imports.require_approval) is billed only on yes.",
           fill=EDITABLE),
    Column("bill_hours", "bill_hours", "hours", width=11, fill=EDITABLE,
           note="Leave empty to bill the billed h. A smaller number writes the entry down; the ledger records it."),
    Column(E.entry_id, ID_HEADER, width=22),
]
EXPENSE_COLUMNS = [
    Column(X.date, "date", "date"), Column(X.person_name, "person"), Column("client", "client"),
    Column(X.job_key, "job"), Column(X.category, "category"), Column(X.description, "description", width=40),
    Column(X.amount, "cost", "money"), Column(PRICE, "cost plus markup", "money", note="What the invoice line "
                                                                                     "says unless written down."),
    Column(X.currency, "currency"), Column("receipt_text", "receipt"), Column("flag_text", "flags", width=28),
    Column("approve", "approve", width=10, fill=EDITABLE, note="yes: bill it. no: hold it back (it stays unbilled). "
                                                               "Empty: yes."),
    Column("amount_to_bill", AMOUNT_HEADER, "money", width=13, fill=EDITABLE,
           note="Leave empty to bill cost plus markup. A smaller amount writes the expense down."),
    Column(X.expense_id, EXPENSE_ID_HEADER, width=22),
]
APPROVE, BILL_HOURS, ENTRY = (COLUMNS.index(next(c for c in COLUMNS if c.key == k)) + 1
                              for k in ("approve", "bill_hours", E.entry_id))


def write_review(entries: pd.DataFrame, config: Config, period: Period, path: Path,  # noqa: PLR0913
                 late: dict[str, tuple[tuple[str, ...], date]], carried: Carried,
                 in_tracker: pd.DataFrame | None = None, expenses: pd.DataFrame | None = None) -> None:
    """Write the workbook for `entries` (the priced rows `bill` would invoice, from figures.entry_table).
    `late`: client -> (its live invoices of the period, the last one's issue date); `carried`: the
    decisions of the workbook this one replaces (`carry`); `in_tracker`: entries invoiced in the
    tracker, not billed again — listed on the first sheet, not for review; `expenses`: those the
    next `bill` would invoice (expense_rows), on a sheet of their own."""
    rows = entries.assign(
        start_text=[f"{s.tz_convert(config.agency.timezone):%H:%M}" if pd.notna(s) else "" for s in entries[E.start]],
        logged_h=entries[E.duration_s].map(hours), billed_h=entries[P.billed_s].map(hours),
        approve=[_shown_answer(carried.typed.get(i, (None if waits else YES, None, False))[0], waits)
                 for i, waits in zip(entries[E.entry_id], entries[E.tracker_hold].eq(UNAPPROVED))],
        bill_hours=[carried.typed.get(i, (YES, None, False))[1] for i in entries[E.entry_id]])
    rows = rows.assign(flag_text=[
        _flag_text(f, late.get(c), d, said_no(a), carried.typed.get(i, (0, 0, False))[2])
        for f, c, d, a, i in zip(rows[R.flags], rows[E.client_key], rows[E.date], rows["approve"], rows[E.entry_id])])

    def write(temp: Path) -> None:
        book = Book(temp, rows=len(rows) + (0 if in_tracker is None else len(in_tracker)))
        about, summary = book.sheet("How to review"), []
        for key, group in rows.groupby(E.client_key, sort=True):
            group = group.sort_values([E.date, E.person_name, E.start, E.entry_id], na_position="first")
            sheet = book.sheet(sheet_name(key))
            first, last = table(sheet, group, COLUMNS, autofilter=True)
            _editable(sheet, first, last)
            summary.append((key, config.clients[key].name, len(group), sum(group[E.duration_s]),
                            sum(group[P.billed_s]), int(group["flag_text"].ne("").sum())))
        if expenses is not None and len(expenses):
            sheet = book.sheet(EXPENSE_SHEET)
            first, last = table(sheet, expenses, EXPENSE_COLUMNS, autofilter=True)
            _editable_expenses(sheet, first, last)
        _about(about, period, config, summary, in_tracker)
        book.close()

    write_atomically(path, write, "review")


@dataclass(frozen=True)
class Carried:
    typed: dict[str, tuple]  # entry id -> (approve as typed, bill_hours as typed, entry changed since)
    kept: int  # decisions (a no, a write-down) carried over
    changed: int  # of them, to entries edited since
    dropped: int  # decisions whose entries are gone from the exports


def carry(entries: pd.DataFrame, kept: pd.DataFrame | None, billed: set[str]) -> Carried:
    """The decisions of the workbook a new one replaces (`kept`), carried over as typed to the
    `entries` it lists: an entry edited since keeps its decision when it is still recognisable
    (same client, person, day and job); `billed`: entry ids on a live invoice."""
    if kept is None or kept.empty:
        return Carried({}, 0, 0, 0)
    decided = kept[[not _default(a, b) for a, b in zip(kept[D.approve_raw], kept[D.bill_raw])]]
    ids = set(entries[E.entry_id])
    typed = {r.entry_id: (r.approve_raw, _typed_hours(r.bill_raw), False) for r in kept.itertuples()
             if r.entry_id in ids}
    lost = decided[~decided[D.entry_id].isin(ids) & ~decided[D.entry_id].isin(billed)]
    fresh = entries[~entries[E.entry_id].isin(kept[D.entry_id])]
    place = [E.client_key, E.person_name, E.date, E.job_key]
    fresh_keys = fresh.assign(**{E.date: fresh[E.date].dt.date})[[*place, E.entry_id]]
    lost_keys = lost.rename(columns={D.client: E.client_key, D.person: E.person_name, D.day: E.date,
                                     D.job: E.job_key})
    unique_fresh = fresh_keys.drop_duplicates(place, keep=False)
    unique_lost = lost_keys.drop_duplicates(place, keep=False)
    matched = unique_lost.merge(unique_fresh, on=place, suffixes=("_old", ""))
    for r in matched.itertuples():
        typed[getattr(r, E.entry_id)] = (r.approve_raw, _typed_hours(r.bill_raw), True)
    kept_count = sum(not _default(a, b) for a, b, _ in typed.values())
    return Carried(typed, kept_count, len(matched), len(lost) - len(matched))


def _typed_hours(raw: object) -> object:
    """bill_hours to write back as the reviewer typed it (a time-of-day cell as h:mm)."""
    if isinstance(raw, (time, datetime)):
        return f"{raw.hour}:{raw.minute:02d}"
    return None if blank(raw) else raw


def _shown_answer(approve: Any, waits: bool = False) -> str | None:
    """The approve cell as written: yes where nothing was typed — but empty for an entry the
    tracker has not approved, which only the reviewer's yes bills."""
    if blank(approve):
        return None if waits else YES
    return approve


def _default(approve: object, bill: object) -> bool:
    return (blank(approve) or ANSWERS.get(str(approve).strip().lower()) is True) and blank(bill)


def _flag_text(codes: str, late: tuple[tuple[str, ...], date] | None, day: pd.Timestamp, held: bool,
               changed: bool) -> str:
    shown = [FLAGS.get(code.strip(), code.strip()) for code in codes.split(",") if code.strip()]
    if late and not held and day.date() <= late[1]:
        shown.append(f"late: after {', '.join(late[0])}")
    if changed:
        shown.append("changed since your decision")
    return ", ".join(shown)


def _editable(sheet: Sheet, first: int, last: int) -> None:
    if last < first:
        return
    choice = {"validate": "list", "source": [YES, NO], "ignore_blank": True, "show_error": True,
              "error_title": "approve", "error_message": "yes or no"}
    amount = {"validate": "decimal", "criteria": ">", "value": 0, "ignore_blank": True, "show_error": True,
              "error_title": "bill_hours", "error_message": "hours, more than 0"}
    for validation, column in ((choice, APPROVE), (amount, BILL_HOURS)):
        sheet.ws.data_validation(first - 1, column - 1, last - 1, column - 1, validation)
    sheet.hide(ENTRY)


def expense_rows(expenses: pd.DataFrame, kept: pd.DataFrame | None, flags: list[str]) -> pd.DataFrame:
    """The expenses to bill (pipeline.expenses_now) as the Expenses sheet lists them, with the
    decisions of the workbook this one replaces (`kept`: check/expense_decisions) as typed."""
    typed = {} if kept is None else {r.expense_id: (r.approve_raw, r.amount_raw) for r in kept.itertuples()}
    rows = expenses.assign(client=expenses[X.client_key], receipt_text=expenses[X.receipt].fillna(""),
                           flag_text=[", ".join(FLAGS.get(c.strip(), c.strip()) for c in f.split(",") if c.strip())
                                      for f in flags],
                           approve=[_shown_answer(typed.get(i, (None, None))[0]) for i in expenses[X.expense_id]],
                           amount_to_bill=[typed.get(i, (None, None))[1] for i in expenses[X.expense_id]])
    return rows.sort_values([X.client_key, X.date, X.source_file, X.source_row])


def _editable_expenses(sheet: Sheet, first: int, last: int) -> None:
    at = {c.key: i for i, c in enumerate(EXPENSE_COLUMNS, 1)}
    choice = {"validate": "list", "source": [YES, NO], "ignore_blank": True, "show_error": True,
              "error_title": "approve", "error_message": "yes or no"}
    amount = {"validate": "decimal", "criteria": ">", "value": 0, "ignore_blank": True, "show_error": True,
              "error_title": AMOUNT_HEADER, "error_message": "an amount, more than 0, at most cost plus markup"}
    for validation, column in ((choice, at["approve"]), (amount, at["amount_to_bill"])):
        sheet.ws.data_validation(first - 1, column - 1, last - 1, column - 1, validation)
    sheet.hide(at[X.expense_id])


def _about(sheet: Sheet, period: Period, config: Config, summary: list[tuple],
           in_tracker: pd.DataFrame | None = None) -> None:
    now = datetime.now(ZoneInfo(config.agency.timezone))
    lines = [
        f"Review of {period.label} ({period.start} .. {period.end}) — written {now:%Y-%m-%d %H:%M}",
        "",
        "One sheet per client lists the entries the next `auftakt-batch bill` will invoice.",
        "billed h is the logged h after the rounding rule of rates.yaml (`rounding: none`: as logged).",
        "Edit only the yellow columns, then save this file where it is (as .xlsx, or as .ods in LibreOffice:",
        "if both are there, the one saved last is followed):",
        "  approve     yes = bill it, no = hold it back (it stays unbilled and shows in the Billing gap);",
        "              empty = yes. To hold an entry back, set no: never delete its row.",
        "              An entry flagged 'not approved in the tracker' is billed only when it says yes.",
        "  bill_hours  empty = bill the billed hours; a smaller number writes the entry down",
        "Entries that change in the exports after this file was written stop that client's invoice until",
        f"you run `auftakt-batch review --period {period.label}` again (your decisions are kept).",
    ]
    for row, text in enumerate(lines, 1):
        sheet.put(row, 1, text or None, look=TITLE_LOOK if row == 1 else None)
    title(sheet, len(lines) + 2, "Clients")
    frame = pd.DataFrame([{"client": k, "name": n, "entries": c, "logged": hours(lg), "hours": hours(s), "flagged": f}
                          for k, n, c, lg, s, f in summary],
                         columns=["client", "name", "entries", "logged", "hours", "flagged"])
    columns = [Column("client", "client (sheet)"), Column("name", "name"), Column("entries", "entries", "int"),
               Column("logged", "logged h", "hours"), Column("hours", "billed h", "hours"),
               Column("flagged", "flagged", "int")]
    last = table(sheet, frame, columns, row=len(lines) + 3, freeze=False)[1]
    if in_tracker is not None and len(in_tracker):
        _in_tracker(sheet, max(last, len(lines) + 3) + 3, in_tracker)
    sheet.width(1, 22)


TRACKER_COLUMNS = [Column(E.date, "date", "date"), Column(E.person_name, "person"), Column(E.client_key, "client"),
                   Column(E.job_key, "job"), Column(E.description, "description", width=45),
                   Column("logged_h", "logged h", "hours"), Column(R.tracker, "tracker", width=28)]


def _in_tracker(sheet: Sheet, row: int, entries: pd.DataFrame) -> None:
    """The entries the export marks invoiced in the tracker: not billed again, so not for review."""
    title(sheet, row, f"Invoiced in the tracker — not billed again ({plural(len(entries), 'entry', 'entries')}; "
                      "imports.invoiced_in_tracker: skip)")
    shown = entries.sort_values([E.client_key, E.date, E.person_name]).assign(
        logged_h=entries[E.duration_s].map(hours))
    table(sheet, shown, TRACKER_COLUMNS, row=row + 1, freeze=False)


# --- reading --------------------------------------------------------------------------------
