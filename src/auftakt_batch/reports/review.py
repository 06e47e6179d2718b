"""The review workbook: output/<period>/review-<period>.xlsx, and what a reviewer decided in it.

`review` writes one sheet per client with the entries the next `bill` would put on its
invoice, each with the checks' flags beside it and two columns to edit: `approve` (yes/no) and
`bill_hours` (a write-down). Writing it again keeps the decisions already made for entries
that are still there.

`read_decisions` is the check run's last step: when the workbook exists, `bill` follows it —
entries set to `no` are held back, written-down hours are billed as written down. It is never
applied blindly: a value that is neither yes nor no, a write-up, or a workbook whose rows no
longer match the inputs (entries changed, added or gone since it was written) is an error that
holds back that client until the review is written again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
from xlsxwriter.utility import xl_col_to_name

from ..config import Config
from ..files import write_atomically
from ..ingest.values import duration_seconds
from ..periods import Period
from ..pricing import rounding_for
from ..problems import Problem, Severity, Source, plural
from ..review_file import label_for, path_for
from ..schemas import Entries as E
from ..tracker import UNAPPROVED
from .figures import hours
from .sheets import TITLE_LOOK, Book, Column, Sheet, table, title

EDITABLE = "#FFF4C2"  # the background of the columns a reviewer edits
YES, NO = "yes", "no"
ANSWERS = {"yes": True, "y": True, "ja": True, "j": True, "true": True, "1": True, "x": True, "ok": True,
           "no": False, "n": False, "nein": False, "false": False, "0": False}
FLAGS = {  # problem code -> what the reviewer reads
    "long-entry": "long entry", "missing-description": "no description", "overlapping": "overlap",
    "weekend": "weekend", "future-date": "dated after today", "export-price": "export price differs",
    "near-repeat": "near repeat", "invoiced-in-tracker": "invoiced in the tracker",
    "not-approved": "not approved in the tracker: only yes bills it",
}
ID_HEADER = "entry id (do not edit)"
COLUMNS = [
    Column(E.date, "date", "date"), Column(E.person_name, "person"), Column(E.job_key, "job"),
    Column(E.task, "task"), Column(E.description, "description", width=45),
    Column("start_text", "start"), Column("logged_h", "logged h", "hours"),
    Column("billed_h", "billed h", "hours", note="Logged time after the rounding rule: what the invoice shows "
                                                  "unless bill_hours writes it down."),
    Column("rate", "rate", "money"), Column("value", "value", "money"), Column("flag_text", "flags", width=28),
    Column("approve", "approve", width=10, note="yes: bill it. no: hold it back (it stays unbilled and shows in "
                                                 "the Billing gap). An entry the tracker has not approved "
                                                 "(imports.require_approval) is billed only on yes.", fill=EDITABLE),
    Column("bill_hours", "bill_hours", "hours", width=11, fill=EDITABLE,
           note="Leave empty to bill the billed h. A smaller number writes the entry down; the ledger records it."),
    Column(E.entry_id, ID_HEADER, width=22),
]
APPROVE, BILL_HOURS, ENTRY = (COLUMNS.index(next(c for c in COLUMNS if c.key == k)) + 1
                              for k in ("approve", "bill_hours", E.entry_id))


def sheet_name(key: str) -> str:
    return key[:31]


# --- writing --------------------------------------------------------------------------------

def write_review(entries: pd.DataFrame, config: Config, period: Period, path: Path,
                 late: dict[str, tuple[tuple[str, ...], date]], kept: pd.DataFrame, billed: set[str],
                 in_tracker: pd.DataFrame | None = None) -> Carried:
    """Write the workbook for `entries` (the priced rows `bill` would invoice, from figures.entry_table).
    `late`: client -> (its live invoices of the period, the last one's issue date); `kept`: the
    decisions of the workbook this one replaces, carried over as typed (an entry edited since keeps
    its decision when it is still recognisable: same client, person, day and job); `in_tracker`:
    entries invoiced in the tracker, not billed again — listed on the first sheet, not for review."""
    carried = _carry(entries, kept, billed)
    rows = entries.assign(
        start_text=[f"{s.tz_convert(config.agency.timezone):%H:%M}" if pd.notna(s) else "" for s in entries[E.start]],
        logged_h=entries[E.duration_s].map(hours), billed_h=entries["billed_s"].map(hours),
        approve=[_shown_answer(carried.typed.get(i, (None if waits else YES, None, False))[0], waits)
                 for i, waits in zip(entries[E.entry_id], entries[E.tracker_hold].eq(UNAPPROVED))],
        bill_hours=[carried.typed.get(i, (YES, None, False))[1] for i in entries[E.entry_id]])
    rows = rows.assign(flag_text=[
        _flag_text(f, late.get(c), d, _said_no(a), carried.typed.get(i, (0, 0, False))[2])
        for f, c, d, a, i in zip(rows["flags"], rows[E.client_key], rows[E.date], rows["approve"], rows[E.entry_id])])

    def write(temp: Path) -> None:
        book = Book(temp)
        about, summary = book.sheet("How to review"), []
        for key, group in rows.groupby(E.client_key, sort=True):
            group = group.sort_values([E.date, E.person_name, E.start, E.entry_id], na_position="first")
            sheet = book.sheet(sheet_name(key))
            first, last = table(sheet, group, COLUMNS, autofilter=True)
            _editable(sheet, first, last)
            summary.append((key, config.clients[key].name, len(group), sum(group["billed_s"]),
                            int(group["flag_text"].ne("").sum())))
        _about(about, period, config, summary, in_tracker)
        book.close()

    write_atomically(path, write, "review")
    return carried


@dataclass(frozen=True)
class Carried:
    typed: dict[str, tuple]  # entry id -> (approve as typed, bill_hours as typed, entry changed since)
    kept: int  # decisions (a no, a write-down) carried over
    changed: int  # of them, to entries edited since
    dropped: int  # decisions whose entries are gone from the exports


def _carry(entries: pd.DataFrame, kept: pd.DataFrame, billed: set[str]) -> Carried:
    if kept is None or kept.empty:
        return Carried({}, 0, 0, 0)
    decided = kept[[not _default(a, b) for a, b in zip(kept["approve_raw"], kept["bill_raw"])]]
    ids = set(entries[E.entry_id])
    typed = {r.entry_id: (r.approve_raw, _typed_hours(r.bill_raw), False) for r in kept.itertuples()
             if r.entry_id in ids}
    lost = decided[~decided["entry_id"].isin(ids) & ~decided["entry_id"].isin(billed)]
    fresh = entries[~entries[E.entry_id].isin(kept["entry_id"])]
    place = [E.client_key, E.person_name, E.date, E.job_key]
    fresh_keys = fresh.assign(**{E.date: fresh[E.date].dt.date})[[*place, E.entry_id]]
    lost_keys = lost.rename(columns={"client": E.client_key, "person": E.person_name, "day": E.date,
                                     "job": E.job_key})
    unique_fresh = fresh_keys.drop_duplicates(place, keep=False)
    unique_lost = lost_keys.drop_duplicates(place, keep=False)
    matched = unique_lost.merge(unique_fresh, on=place, suffixes=("_old", ""))
    for r in matched.itertuples():
        typed[getattr(r, E.entry_id)] = (r.approve_raw, _typed_hours(r.bill_raw), True)
    kept_count = sum(not _default(a, b) for a, b, _ in typed.values())
    return Carried(typed, kept_count, len(matched), len(lost) - len(matched))


def _typed_hours(raw):
    """bill_hours to write back as the reviewer typed it (a time-of-day cell as h:mm)."""
    if isinstance(raw, (time, datetime)):
        return f"{raw.hour}:{raw.minute:02d}"
    return None if _blank(raw) else raw


def _shown_answer(approve, waits: bool = False) -> str | None:
    """The approve cell as written: yes where nothing was typed — but empty for an entry the
    tracker has not approved, which only the reviewer's yes bills."""
    if _blank(approve):
        return None if waits else YES
    return approve


def _default(approve, bill) -> bool:
    return (_blank(approve) or ANSWERS.get(str(approve).strip().lower()) is True) and _blank(bill)


def said_yes(approve) -> bool:
    """The reviewer typed yes, not merely left the default: what approves an entry the tracker has
    not approved (imports.require_approval)."""
    return not _blank(approve) and ANSWERS.get(str(approve).strip().lower()) is True


def _said_no(approve) -> bool:
    return not _blank(approve) and ANSWERS.get(str(approve).strip().lower()) is False


def _flag_text(codes: str, late: tuple[tuple[str, ...], date] | None, day, held: bool, changed: bool) -> str:
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


def _about(sheet: Sheet, period: Period, config: Config, summary: list[tuple],
           in_tracker: pd.DataFrame | None = None) -> None:
    now = datetime.now(ZoneInfo(config.agency.timezone))
    lines = [
        f"Review of {period.label} ({period.start} .. {period.end}) — written {now:%Y-%m-%d %H:%M}",
        "",
        "One sheet per client lists the entries the next `auftakt-batch bill` will invoice.",
        "Edit only the yellow columns, then save this file where it is:",
        "  approve     yes = bill it, no = hold it back (it stays unbilled and shows in the Billing gap)",
        "  bill_hours  empty = bill the billed hours; a smaller number writes the entry down",
        "              (an entry flagged 'not approved in the tracker' is billed only when it says yes)",
        "Entries that change in the exports after this file was written stop that client's invoice until",
        f"you run `auftakt-batch review --period {period.label}` again (your decisions are kept).",
    ]
    for row, text in enumerate(lines, 1):
        sheet.put(row, 1, text or None, look=TITLE_LOOK if row == 1 else None)
    title(sheet, len(lines) + 2, "Clients")
    frame = pd.DataFrame([{"client": k, "name": n, "entries": c, "hours": hours(s), "flagged": f}
                          for k, n, c, s, f in summary], columns=["client", "name", "entries", "hours", "flagged"])
    columns = [Column("client", "client (sheet)"), Column("name", "name"), Column("entries", "entries", "int"),
               Column("hours", "billed h", "hours"), Column("flagged", "flagged", "int")]
    last = table(sheet, frame, columns, row=len(lines) + 3, freeze=False)[1]
    if in_tracker is not None and len(in_tracker):
        _in_tracker(sheet, max(last, len(lines) + 3) + 3, in_tracker)
    sheet.width(1, 22)


TRACKER_COLUMNS = [Column(E.date, "date", "date"), Column(E.person_name, "person"), Column(E.client_key, "client"),
                   Column(E.job_key, "job"), Column(E.description, "description", width=45),
                   Column("logged_h", "logged h", "hours"), Column("tracker", "tracker", width=28)]


def _in_tracker(sheet: Sheet, row: int, entries: pd.DataFrame) -> None:
    """The entries the export marks invoiced in the tracker: not billed again, so not for review."""
    title(sheet, row, f"Invoiced in the tracker — not billed again ({plural(len(entries), 'entry', 'entries')}; "
                      "imports.invoiced_in_tracker: skip)")
    shown = entries.sort_values([E.client_key, E.date, E.person_name]).assign(
        logged_h=entries[E.duration_s].map(hours))
    table(sheet, shown, TRACKER_COLUMNS, row=row + 1, freeze=False)


# --- reading --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Decisions:
    decided: pd.DataFrame  # entry_id, approve (bool), bill_s (Int64: written-down seconds, or NA), and as typed
    problems: list[Problem]
    exists: bool


ROW_COLUMNS = ["entry_id", "client", "sheet", "row", "approve_raw", "bill_raw", "person", "day", "job"]
NO_DECISIONS = pd.DataFrame({"entry_id": pd.Series(dtype=str), "approve": pd.Series(dtype=bool),
                             "bill_s": pd.Series(dtype="Int64"),
                             **{c: pd.Series(dtype=object) for c in ROW_COLUMNS if c != "entry_id"}})


def read_decisions(workspace: Path, period: Period, billable: pd.DataFrame, billed: pd.DataFrame,
                   config: Config) -> Decisions:
    """What the reviewer decided, checked against `billable` (the unbilled, billable, sound entries
    with `billed_s`), `billed` (the ledger's billed entry ids)."""
    path = path_for(workspace, period)
    if not path.exists():
        return Decisions(NO_DECISIONS, [], False)
    label = label_for(period)
    try:
        rows, sheets, problems = _read_rows(path, label, config)
    except Exception as exc:  # any reason a spreadsheet cannot be read  # noqa: BLE001
        return Decisions(NO_DECISIONS, [Problem(Source(label), "review", Severity.ERROR, (
            f"cannot be read ({type(exc).__name__}: {exc}) — no client is billed while it is unreadable; write it "
            f"again with `auftakt-batch review --period {period.label}`"))], True)
    problems += _compare(rows, sheets, billable, billed, label, period, config)
    return Decisions(rows.reset_index(drop=True) if len(rows) else NO_DECISIONS, problems, True)


def _read_rows(path: Path, label: str, config: Config) -> tuple[pd.DataFrame, set[str], list[Problem]]:
    """(one row per entry row of the client sheets, the clients that have a sheet, problems)."""
    from openpyxl import load_workbook  # reading a review is rarer than writing one

    book = load_workbook(path, data_only=True, read_only=True)
    keys = {sheet_name(k): k for k in config.clients}
    rows, sheets, problems = [], set(), []
    try:
        for sheet in book.worksheets:
            if sheet.title not in keys:
                continue
            client = keys[sheet.title]
            cells = list(sheet.iter_rows(values_only=True))
            head = [str(v).strip() if v is not None else "" for v in (cells[0] if cells else ())]
            where = {name: head.index(name) for name in ("approve", "bill_hours", ID_HEADER, "date", "person", "job")
                     if name in head}
            if not {"approve", "bill_hours", ID_HEADER} <= set(where):
                problems.append(_error(label, None, None, client, f"sheet {sheet.title!r} lost its approve, bill_hours "
                                                                  f"or {ID_HEADER!r} column — write the review again"))
                continue
            sheets.add(client)
            for number, values in enumerate(cells[1:], 2):
                entry_id = _cell(values, where[ID_HEADER])
                if not entry_id:
                    continue
                day = _cell(values, where.get("date", len(values)))
                rows.append((str(entry_id).strip(), client, sheet.title, number, _cell(values, where["approve"]),
                             _cell(values, where["bill_hours"]), _cell(values, where.get("person", len(values))),
                             day.date() if isinstance(day, datetime) else day,
                             _cell(values, where.get("job", len(values)))))
    finally:
        book.close()
    frame = pd.DataFrame(rows, columns=ROW_COLUMNS).astype({"approve_raw": object, "bill_raw": object})
    approve, bill_s = [], []
    for r in frame.itertuples():
        answer = True if _blank(r.approve_raw) else ANSWERS.get(str(r.approve_raw).strip().lower())
        if answer is None:
            problems.append(_error(label, r, APPROVE, r.client, f"{r.approve_raw!r} is neither yes nor no"))
        approve.append(answer is not False)  # unreadable: the client is held back anyway
        bill_s.append(_seconds(r, label, problems))
    return (frame.assign(approve=pd.Series(approve, dtype=bool), bill_s=pd.Series(bill_s, dtype="Int64")), sheets,
            problems)


def _cell(values: tuple, index: int):
    return values[index] if index < len(values) else None


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (
        isinstance(value, float) and value != value)  # NaN: an empty cell, as pandas holds it


def _seconds(r, label: str, problems: list[Problem]) -> int | None:
    raw = r.bill_raw
    if _blank(raw):
        return None
    if isinstance(raw, time):  # a cell a spreadsheet took for a time of day: 1:30
        seconds = raw.hour * 3600 + raw.minute * 60 + raw.second
    else:
        seconds = round(float(raw) * 3600) if isinstance(raw, (int, float)) else duration_seconds(str(raw).strip())
    if seconds is None:
        problems.append(_error(label, r, BILL_HOURS, r.client, f"{raw!r} is not a number of hours — use 1.5 or 1:30"))
    elif seconds <= 0:
        problems.append(_error(label, r, BILL_HOURS, r.client, f"{raw!r} h would bill nothing — set approve to no "
                                                                 "to hold the entry back"))
    return seconds if seconds is not None and seconds > 0 else None


def _compare(rows: pd.DataFrame, sheets: set[str], billable: pd.DataFrame, billed: pd.DataFrame, label: str,
             period: Period, config: Config) -> list[Problem]:
    """Write-ups and write-downs finer than the rounding rule; per client, rows whose entry is gone
    or changed and entries the workbook lacks."""
    problems = []
    known = billable.set_index(E.entry_id)
    done = set(billed["entry_id"])
    for r in rows[rows["entry_id"].isin(known.index) & rows["bill_s"].notna()].itertuples():
        entry = known.loc[r.entry_id]
        step = _step(rounding_for(config, entry[E.client_key], entry[E.job_key]))
        if r.bill_s > entry["billed_s"]:
            problems.append(_error(label, r, BILL_HOURS, r.client, (
                f"{hours(r.bill_s)} h is more than the {hours(entry['billed_s'])} h to bill — a review writes "
                "entries down, never up")))
        elif r.bill_s % step:
            lower, upper = r.bill_s // step * step, (r.bill_s // step + 1) * step
            unit = f"the {step // 60}-minute rounding step" if step > 60 else "whole minutes"
            use = " or ".join(_clock(x) for x in (lower, upper) if 0 < x <= entry["billed_s"])
            problems.append(_error(label, r, BILL_HOURS, r.client, f"{r.bill_raw!r} is not in {unit} — use {use}"))
    stale = rows[~rows["entry_id"].isin(known.index) & ~rows["entry_id"].isin(done)]
    missing = billable[~billable[E.entry_id].isin(rows["entry_id"])]
    for client in sorted(set(stale["client"]) | set(missing[E.client_key])):
        gone = stale[stale["client"].eq(client)]
        new = missing[missing[E.client_key].eq(client)]
        parts = []
        if client not in sheets:
            parts.append(f"it has no sheet {sheet_name(client)!r} for the {plural(len(new), 'entry', 'entries')} of "
                         f"{client} (deleted or renamed?)")
        else:
            if len(gone):
                shown = ", ".join(map(str, gone["row"].head(8))) + (", …" if len(gone) > 8 else "")
                one = len(gone) == 1
                parts.append(f"{plural(len(gone), 'row')} of sheet {gone['sheet'].iloc[0]!r} no longer "
                             f"{'matches' if one else 'match'} the inputs ({'row' if one else 'rows'} {shown}: "
                             "changed or removed since it was written)")
            if len(new):
                parts.append(f"{plural(len(new), 'entry', 'entries')} of {client} {'is' if len(new) == 1 else 'are'} "
                             "not in it (added or changed since)")
        problems.append(_error(label, None, None, client, (
            f"{' and '.join(parts)} — {client} is not billed until you run `auftakt-batch review --period "
            f"{period.label}` again (decisions already made are kept) and review them")))
    return problems


def _step(rule) -> int:
    return rule.minutes * 60 if rule else 60


def _clock(seconds: int) -> str:
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}"


def _error(label: str, r, column: int | None, client: str, message: str) -> Problem:
    """An error at a review cell (review-2026-11.xlsx: acme!L4: …) that holds back `client`."""
    where = f"{r.sheet}!{xl_col_to_name(column - 1)}{int(r.row)}" if r is not None and column else None
    return Problem(Source(label, key=where), "review", Severity.ERROR, message, client=client)
