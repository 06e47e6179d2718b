"""What a reviewer decided in the review workbook (reports/review.py writes it): the check run's
last step.

When the workbook exists — as written, or saved by LibreOffice in its own format
(review-<period>.ods; of both, the one saved last) — `bill` follows it: entries set to `no` are
held back (an empty approve cell means yes), written-down hours are billed as written down. It is
never applied blindly: a value that is neither yes nor no, a write-up, or a workbook whose rows no
longer match the inputs (entries changed, added or gone since it was written, or rows deleted) is
an error at its sheet, row and column that holds back that client until the review is written again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from ..config import Config
from ..ingest.values import duration_seconds
from ..periods import Period
from ..pricing import rounding_for, step_seconds
from ..problems import Problem, Severity, Source, plural
from ..schemas import Expenses as X
from ..schemas import PricedEntries as P
from ..schemas import ReviewDecisions as D
from ..units import hm, hours
from .expense_decisions import NO_EXPENSE_DECISIONS, PRICE, read_expense_sheet
from .review_file import ANSWERS, EXPENSE_SHEET, ID_HEADER, blank, label_for, saved, sheet_name


@dataclass(frozen=True)
class Decisions:
    decided: pd.DataFrame  # ReviewDecisions: approve (bool), bill_s (Int64: written-down seconds, or NA), as typed
    problems: list[Problem]
    exists: bool
    expenses: pd.DataFrame = field(default_factory=NO_EXPENSE_DECISIONS.copy)  # the Expenses sheet's


ROW_COLUMNS = [D.entry_id, D.client, D.sheet, D.row, D.approve_raw, D.bill_raw, D.person, D.day, D.job]
AS_TYPED = {c: object for c in (D.approve_raw, D.bill_raw, D.person, D.day, D.job)}  # whatever the cell held
NO_DECISIONS = pd.DataFrame({D.entry_id: pd.Series(dtype=str), D.client: pd.Series(dtype=str),
                             D.sheet: pd.Series(dtype=str), D.row: pd.Series(dtype="int64"),
                             D.approve: pd.Series(dtype=bool), D.bill_s: pd.Series(dtype="Int64"),
                             **{c: pd.Series(dtype=object) for c in AS_TYPED}})[[*ROW_COLUMNS, D.approve, D.bill_s]]


@dataclass(frozen=True)
class Reviewed:
    """What the reviewer's decisions make of some entries (Series over them)."""

    held: pd.Series  # bool: set to no — left unbilled
    billed_s: pd.Series  # Int64: the billed time, as written down where the reviewer wrote it down
    written_down_from: pd.Series  # Int64: the billed time before a write-down; NA where none


def review_applied(entry_ids: pd.Series, billed_s: pd.Series, decisions: pd.DataFrame | None) -> Reviewed:
    """The review's decisions applied to entries (their ids and billed seconds): the one place
    billing and the reports read what the reviewer decided. A bill_hours below the billed time
    writes the entry down; one at or above it changes nothing (a write-up is an error)."""
    billed_s = billed_s.astype("Int64")
    if decisions is None or decisions.empty:
        none = pd.Series(pd.NA, index=entry_ids.index, dtype="Int64")
        return Reviewed(pd.Series(False, index=entry_ids.index), billed_s, none)
    decided = decisions.set_index(D.entry_id)
    held = entry_ids.map(decided[D.approve]).eq(False)
    wanted = entry_ids.map(decided[D.bill_s]).astype("Int64")
    down = (wanted.notna() & wanted.lt(billed_s)).fillna(False).astype(bool)
    return Reviewed(held.astype(bool), billed_s.where(~down, wanted).astype("Int64"),
                    billed_s.where(down).astype("Int64"))


def read_decisions(workspace: Path, period: Period, billable: pd.DataFrame, billed: pd.DataFrame,  # noqa: PLR0913
                   config: Config, expenses: pd.DataFrame | None = None,
                   billed_expenses: frozenset[str] = frozenset()) -> Decisions:
    """What the reviewer decided, checked against `billable` (the unbilled, billable, sound entries
    with `billed_s`), `billed` (the ledger's billed entry ids), `expenses` (those a billing run
    would invoice, with their price: pipeline.expenses_now) and `billed_expenses` (their ids on
    live invoices)."""
    path, problems = followed(saved(workspace, period), period)
    if path is None:
        return Decisions(NO_DECISIONS, problems, bool(problems))
    label = label_for(period, path.suffix)
    if path.is_dir():
        return Decisions(NO_DECISIONS, [*problems, Problem(Source(label), "review", Severity.ERROR, (
            "a folder is where a file belongs: move the folder away, then write the review again with "
            f"`auftakt-batch review --period {period.label}` — no client is billed while it is there"))], True)
    try:
        grids = _grids(path, {sheet_name(k) for k in config.clients} | {EXPENSE_SHEET})
        costs, cost_problems = read_expense_sheet(grids.pop(EXPENSE_SHEET, None), _none_if(expenses),
                                                  billed_expenses, label, period)
        rows, sheets, read_problems = _read_rows(grids, label, config)
    except Exception as exc:  # any reason a spreadsheet cannot be read  # noqa: BLE001
        return Decisions(NO_DECISIONS, [*problems, Problem(Source(label), "review", Severity.ERROR, (
            f"cannot be read ({type(exc).__name__}: {exc}) — no client is billed while it is unreadable; write it "
            f"again with `auftakt-batch review --period {period.label}`"))], True)
    problems += read_problems + _compare(rows, sheets, billable, billed, label, period, config) + cost_problems
    return Decisions(rows.reset_index(drop=True) if len(rows) else NO_DECISIONS, problems, True, costs)


def _none_if(expenses: pd.DataFrame | None) -> pd.DataFrame:
    """The expenses to bill, or none (with the columns read_expense_sheet reads)."""
    if expenses is not None:
        return expenses
    return pd.DataFrame(columns=[X.expense_id, X.client_key, PRICE])


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


def _read_rows(grids: dict[str, list[list]], label: str, config: Config
               ) -> tuple[pd.DataFrame, set[str], list[Problem]]:
    """(one row per entry row of the client sheets, the clients that have a sheet, problems)."""
    keys = {sheet_name(k): k for k in config.clients}
    rows, sheets, problems = [], set(), []
    for name, cells in grids.items():
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
            if blank(entry_id):
                continue
            day = _cell(values, where.get("date", len(values)))
            rows.append((str(entry_id).strip(), client, name, number, _cell(values, where["approve"]),
                         _cell(values, where["bill_hours"]), _cell(values, where.get("person", len(values))),
                         day.date() if isinstance(day, datetime) else day,
                         _cell(values, where.get("job", len(values)))))
    frame = pd.DataFrame(rows, columns=ROW_COLUMNS).astype(AS_TYPED)
    approve, bill_s = [], []
    for r in frame.itertuples():
        answer = True if blank(r.approve_raw) else ANSWERS.get(str(r.approve_raw).strip().lower())  # empty: yes
        if answer is None:
            problems.append(_error(label, r, "approve", r.client, f"{r.approve_raw!r} is neither yes nor no — write "
                                   f"yes or no (empty means yes); {r.client} is not billed until then"))
        approve.append(answer is not False)  # unreadable: the client is held back anyway
        bill_s.append(_seconds(r, label, problems))
    return (frame.assign(**{D.approve: pd.Series(approve, dtype=bool), D.bill_s: pd.Series(bill_s, dtype="Int64")}),
            sheets, problems)


def _grids(path: Path, titles: set[str]) -> dict[str, list[list]]:
    """The cells of the sheets named `titles`, from A1, as .xlsx and .ods both hold them: a whole
    number as an int (so a message quotes 5, not 5.0), an empty cell as None."""
    import python_calamine  # reading a review is rarer than writing one

    book = python_calamine.CalamineWorkbook.from_path(str(path))
    return {title: [[_plain(v) for v in row] for row in book.get_sheet_by_name(title).to_python(
        skip_empty_area=False)] for title in book.sheet_names if title in titles}


def _plain(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None if value == "" else value


def _cell(values: list[object], index: int) -> Any:
    return values[index] if index < len(values) else None


def _seconds(r: Any, label: str, problems: list[Problem]) -> int | None:
    raw = r.bill_raw
    if blank(raw):
        return None
    seconds: int | None
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
    known = billable.set_index(P.entry_id)
    done = set(billed[P.entry_id])  # the ledger's billed entries, by the entry's id
    for r in rows[rows[D.entry_id].isin(known.index) & rows[D.bill_s].notna()].itertuples():
        entry = known.loc[r.entry_id]
        # no rounding rule: pricing bills to the second, but a write-down is typed in whole minutes
        step = step_seconds(rounding_for(config, entry[P.client_key], entry[P.job_key]), none=60)
        if r.bill_s > entry[P.billed_s]:
            problems.append(_error(label, r, "bill_hours", r.client, (
                f"{hours(r.bill_s)} h is more than the {hours(entry[P.billed_s])} h to bill — a review writes "
                "entries down, never up")))
        elif r.bill_s % step:
            lower, upper = r.bill_s // step * step, (r.bill_s // step + 1) * step
            unit = f"the {step // 60}-minute rounding step" if step > 60 else "whole minutes"
            use = " or ".join(hm(x) for x in (lower, upper) if 0 < x <= entry[P.billed_s])
            problems.append(_error(label, r, "bill_hours", r.client, f"{r.bill_raw!r} is not in {unit} — use {use}"))
    stale = rows[~rows[D.entry_id].isin(known.index) & ~rows[D.entry_id].isin(done)]
    missing = billable[~billable[P.entry_id].isin(rows[D.entry_id])]
    for client in sorted(set(stale[D.client]) | set(missing[P.client_key])):
        problems.append(_mismatch(client, stale[stale[D.client].eq(client)],
                                  missing[missing[P.client_key].eq(client)], client in sheets, label, period))
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
        shown = ", ".join(map(str, gone[D.row].head(8))) + (", …" if len(gone) > 8 else "")
        parts.append(f"{'row' if one else 'rows'} {shown} no longer {'matches' if one else 'match'} the inputs "
                     "(changed or removed since it was written)")
    if len(new):
        listed = "; ".join(_entry_text(e) for e in new.head(5).itertuples(index=False))
        more = f"; and {len(new) - 5} more" if len(new) > 5 else ""
        parts.append(f"it lacks {plural(len(new), 'entry', 'entries')}: {listed}{more} (added or changed in the "
                     f"exports since, or {'its row' if len(new) == 1 else 'their rows'} deleted: to hold an entry "
                     "back, set approve to no instead)")
    rows = tuple(int(r) for r in gone[D.row])
    return Problem(Source(f"{label}[{sheet_name(client)}]", rows[0] if rows else None), "review", Severity.ERROR,
                   f"{' and '.join(parts)} — {again}", rows=rows if len(rows) > 1 else (), client=client)


def _entry_text(entry: Any) -> str:
    """An entry as a reviewer finds it in the exports: 2026-11-04 Anna Schmidt 2.00 h 'Navigation'."""
    words = getattr(entry, P.description)
    return (f"{getattr(entry, P.date):%Y-%m-%d} {getattr(entry, P.person_name)} "
            f"{hours(getattr(entry, P.duration_s))} h {repr(words) if words else '(no description)'}")


def _error(label: str, r: Any, column: str, client: str, message: str) -> Problem:
    """An error at a review cell — the sheet, its row and the column's header
    (output/2026-11/review-2026-11.xlsx[acme]:4:bill_hours) — that holds back `client`."""
    return Problem(Source(f"{label}[{r.sheet}]", int(r.row), column), "review", Severity.ERROR, message, client=client)
