"""The review workbook: output/<period>/review-<period>.xlsx, and what a reviewer decided in it.

`review` writes one sheet per client with the entries the next `bill` would put on its
invoice, each with the checks' flags beside it and two columns to edit: `approve` (yes/no) and
`bill_hours` (a write-down). Writing it again keeps the decisions already made for entries
that are still there.

`read_decisions` is the check run's last step: when the workbook exists — as written, or saved
by LibreOffice in its own format (review-<period>.ods; of both, the one saved last) — `bill`
follows it: entries set to `no` are held back (an empty approve cell means yes), written-down
hours are billed as written down. It is never applied blindly: a value that is neither yes nor
no, a write-up, or a workbook whose rows no longer match the inputs (entries changed, added or
gone since it was written, or rows deleted) is an error at its sheet, row and column that holds
back that client until the review is written again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from ..check.review_file import label_for, saved
from ..check.tracker import UNAPPROVED
from ..config import Config
from ..files import write_atomically
from ..ingest.values import duration_seconds
from ..periods import Period
from ..pricing import rounding_for
from ..problems import Problem, Severity, Source, plural
from ..schemas import Entries as E
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
                                                 "the Billing gap). Empty: yes — but an entry the tracker has not "
                                                 "approved (imports.require_approval) is billed only on yes.",
           fill=EDITABLE),
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
            summary.append((key, config.clients[key].name, len(group), sum(group[E.duration_s]),
                            sum(group["billed_s"]), int(group["flag_text"].ne("").sum())))
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
    path, problems = followed(saved(workspace, period), period)
    if path is None:
        return Decisions(NO_DECISIONS, problems, bool(problems))
    label = label_for(period, path.suffix)
    if path.is_dir():
        return Decisions(NO_DECISIONS, [*problems, Problem(Source(label), "review", Severity.ERROR, (
            "a folder is where a file belongs: move the folder away, then write the review again with "
            f"`auftakt-batch review --period {period.label}` — no client is billed while it is there"))], True)
    try:
        rows, sheets, read_problems = _read_rows(path, label, config)
    except Exception as exc:  # any reason a spreadsheet cannot be read  # noqa: BLE001
        return Decisions(NO_DECISIONS, [*problems, Problem(Source(label), "review", Severity.ERROR, (
            f"cannot be read ({type(exc).__name__}: {exc}) — no client is billed while it is unreadable; write it "
            f"again with `auftakt-batch review --period {period.label}`"))], True)
    problems += read_problems + _compare(rows, sheets, billable, billed, label, period, config)
    return Decisions(rows.reset_index(drop=True) if len(rows) else NO_DECISIONS, problems, True)


def followed(paths: list[Path], period: Period) -> tuple[Path | None, list[Problem]]:
    """The review workbook `bill` follows: the one there is, or of an .xlsx and an .ods (a
    reviewer who saved in LibreOffice's own format) the one saved last, with a note naming the
    other. Neither newer: an error that holds back every client — never a guess."""
    folders = [p for p in paths if p.is_dir()]
    if folders:  # wherever it is, never "the older one": it holds no decisions, and may hide some
        return folders[0], []
    if len(paths) < 2:
        return (paths[0] if paths else None), []
    older, newer = sorted(paths, key=_saved_at)
    names = [label_for(period, p.suffix) for p in (older, newer)]
    if _saved_at(older) == _saved_at(newer):
        return None, [Problem(Source(names[0]), "review", Severity.ERROR, (
            f"{names[1]} is there too, saved at the same time: which review to follow cannot be told — delete the "
            "one that does not hold your decisions; no client is billed until then"))]
    return newer, [Problem(Source(names[1]), "review", Severity.INFO, (
        f"followed: saved after {names[0]}, which is ignored — delete the older one if you do not need it"))]


def _saved_at(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:  # gone since it was seen: as old as can be
        return 0


def _read_rows(path: Path, label: str, config: Config) -> tuple[pd.DataFrame, set[str], list[Problem]]:
    """(one row per entry row of the client sheets, the clients that have a sheet, problems)."""
    keys = {sheet_name(k): k for k in config.clients}
    rows, sheets, problems = [], set(), []
    for name, cells in _grids(path, set(keys)).items():
        client = keys[name]
        head = [str(v).strip() if v is not None else "" for v in (cells[0] if cells else ())]
        where = {name: head.index(name) for name in ("approve", "bill_hours", ID_HEADER, "date", "person", "job")
                 if name in head}
        if not {"approve", "bill_hours", ID_HEADER} <= set(where):
            problems.append(Problem(Source(f"{label}[{name}]", 1), "review", Severity.ERROR, (
                f"the sheet lost its approve, bill_hours or {ID_HEADER!r} column — write the review again"),
                client=client))
            continue
        sheets.add(client)
        for number, values in enumerate(cells[1:], 2):
            entry_id = _cell(values, where[ID_HEADER])
            if _blank(entry_id):
                continue
            day = _cell(values, where.get("date", len(values)))
            rows.append((str(entry_id).strip(), client, name, number, _cell(values, where["approve"]),
                         _cell(values, where["bill_hours"]), _cell(values, where.get("person", len(values))),
                         day.date() if isinstance(day, datetime) else day,
                         _cell(values, where.get("job", len(values)))))
    frame = pd.DataFrame(rows, columns=ROW_COLUMNS).astype({"approve_raw": object, "bill_raw": object})
    approve, bill_s = [], []
    for r in frame.itertuples():
        answer = True if _blank(r.approve_raw) else ANSWERS.get(str(r.approve_raw).strip().lower())  # empty: yes
        if answer is None:
            problems.append(_error(label, r, "approve", r.client, f"{r.approve_raw!r} is neither yes nor no — write "
                                   f"yes or no (empty means yes); {r.client} is not billed until then"))
        approve.append(answer is not False)  # unreadable: the client is held back anyway
        bill_s.append(_seconds(r, label, problems))
    return (frame.assign(approve=pd.Series(approve, dtype=bool), bill_s=pd.Series(bill_s, dtype="Int64")), sheets,
            problems)


def _grids(path: Path, titles: set[str]) -> dict[str, list[list]]:
    """The cells of the sheets named `titles`, from A1, as .xlsx and .ods both hold them: a whole
    number as an int (so a message quotes 5, not 5.0), an empty cell as None."""
    import python_calamine  # reading a review is rarer than writing one

    book = python_calamine.CalamineWorkbook.from_path(str(path))
    return {title: [[_plain(v) for v in row] for row in book.get_sheet_by_name(title).to_python(
        skip_empty_area=False)] for title in book.sheet_names if title in titles}


def _plain(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None if value == "" else value


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
    elif isinstance(raw, timedelta):  # a duration cell ([h]:mm, as LibreOffice takes 25:00)
        seconds = round(raw.total_seconds())
    else:
        seconds = round(float(raw) * 3600) if isinstance(raw, (int, float)) else duration_seconds(str(raw).strip())
    if seconds is None:
        problems.append(_error(label, r, "bill_hours", r.client, f"{raw!r} is not a number of hours — use 1.5 or 1:30"))
    elif seconds <= 0:
        problems.append(_error(label, r, "bill_hours", r.client, f"{raw!r} h would bill nothing — set approve to no "
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
            problems.append(_error(label, r, "bill_hours", r.client, (
                f"{hours(r.bill_s)} h is more than the {hours(entry['billed_s'])} h to bill — a review writes "
                "entries down, never up")))
        elif r.bill_s % step:
            lower, upper = r.bill_s // step * step, (r.bill_s // step + 1) * step
            unit = f"the {step // 60}-minute rounding step" if step > 60 else "whole minutes"
            use = " or ".join(_clock(x) for x in (lower, upper) if 0 < x <= entry["billed_s"])
            problems.append(_error(label, r, "bill_hours", r.client, f"{r.bill_raw!r} is not in {unit} — use {use}"))
    stale = rows[~rows["entry_id"].isin(known.index) & ~rows["entry_id"].isin(done)]
    missing = billable[~billable[E.entry_id].isin(rows["entry_id"])]
    for client in sorted(set(stale["client"]) | set(missing[E.client_key])):
        problems.append(_mismatch(client, stale[stale["client"].eq(client)],
                                  missing[missing[E.client_key].eq(client)], client in sheets, label, period))
    return problems


def _mismatch(client: str, gone: pd.DataFrame, new: pd.DataFrame, has_sheet: bool, label: str,
              period: Period) -> Problem:
    """The error that holds back a client whose sheet no longer matches the inputs: its rows whose
    entry is gone or changed, and each entry it lacks by date, person, hours and description."""
    again = (f"{client} is not billed until you run `auftakt-batch review --period {period.label}` again (decisions "
             "already made are kept) and review them")
    if not has_sheet:
        return Problem(Source(label), "review", Severity.ERROR, (
            f"it has no sheet {sheet_name(client)!r} for the {plural(len(new), 'entry', 'entries')} of {client} "
            f"to bill now (it was written before there were any, or the sheet was deleted or renamed) — {again}"),
            client=client)
    parts = []
    if len(gone):
        one = len(gone) == 1
        shown = ", ".join(map(str, gone["row"].head(8))) + (", …" if len(gone) > 8 else "")
        parts.append(f"{'row' if one else 'rows'} {shown} no longer {'matches' if one else 'match'} the inputs "
                     "(changed or removed since it was written)")
    if len(new):
        listed = "; ".join(_entry_text(e) for e in new.head(5).itertuples(index=False))
        more = f"; and {len(new) - 5} more" if len(new) > 5 else ""
        parts.append(f"it lacks {plural(len(new), 'entry', 'entries')}: {listed}{more} (added or changed in the "
                     f"exports since, or {'its row' if len(new) == 1 else 'their rows'} deleted: to hold an entry "
                     "back, set approve to no instead)")
    rows = tuple(int(r) for r in gone["row"])
    return Problem(Source(f"{label}[{sheet_name(client)}]", rows[0] if rows else None), "review", Severity.ERROR,
                   f"{' and '.join(parts)} — {again}", rows=rows if len(rows) > 1 else (), client=client)


def _entry_text(entry) -> str:
    """An entry as a reviewer finds it in the exports: 2026-11-04 Anna Schmidt 2.00 h 'Navigation'."""
    words = getattr(entry, E.description)
    return (f"{getattr(entry, E.date):%Y-%m-%d} {getattr(entry, E.person_name)} "
            f"{hours(getattr(entry, E.duration_s))} h {repr(words) if words else '(no description)'}")


def _step(rule) -> int:
    return rule.minutes * 60 if rule else 60


def _clock(seconds: int) -> str:
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}"


def _error(label: str, r, column: str, client: str, message: str) -> Problem:
    """An error at a review cell — the sheet, its row and the column's header
    (output/2026-11/review-2026-11.xlsx[acme]:4:bill_hours) — that holds back `client`."""
    return Problem(Source(f"{label}[{r.sheet}]", int(r.row), column), "review", Severity.ERROR, message, client=client)
