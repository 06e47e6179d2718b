"""What `check` tells the user: the one-screen summary and the JSON document."""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

import pandas as pd

from ..check.resolve import rates_billable
from ..check.tracker import INVOICED, UNAPPROVED
from ..config import Config
from ..frames import among, firsts
from ..ingest.read import SEPARATORS
from ..pricing import billed_seconds, logged_seconds, rounding_for
from ..problems import Severity, by_code, plural
from ..run import CheckRun
from ..schemas import Entries as E
from ..schemas import Expenses as X
from ..units import hours, hours_text
from .reasons import REASONS


def hours_by_client(entries: pd.DataFrame, config: Config | None) -> pd.DataFrame:
    """Seconds logged, billable, and billed (billable after the rounding rules) per client."""
    seconds = entries[E.duration_s].astype("int64")
    rounded = billed_seconds(entries, config).astype("int64") if config is not None else seconds
    return (entries.assign(seconds=seconds, billable_seconds=seconds.where(entries[E.billable], 0),
                           billed_seconds=rounded.where(entries[E.billable], 0))
            .groupby(E.client_key)[["seconds", "billable_seconds", "billed_seconds"]].sum().sort_index())


def rounding_in_force(entries: pd.DataFrame, config: Config | None) -> bool:
    """Whether a rounding rule applies to any billable entry: then billed and billable hours differ."""
    billable = entries.loc[entries[E.billable], [E.client_key, E.job_key]]
    pairs = billable.iloc[firsts(billable)[0]]  # each client and job once
    return config is not None and any(rounding_for(config, c, j) for c, j in pairs.itertuples(index=False))


def split_sound(run: CheckRun) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(entries of the period without errors, entries with errors): totals count only the first."""
    faulty = run.with_errors()  # an undated or unmeasured entry always carries its error
    if not faulty.any():  # a year's entries are not copied to take all of them
        return run.entries, run.entries.iloc[:0]
    return run.entries[~faulty], run.entries[faulty]


def as_json(run: CheckRun) -> dict:
    sound, faulty = split_sound(run)
    table = hours_by_client(sound, run.config)
    counts = _counts(run)
    return {
        "period": run.period.label,
        "start": run.period.start.isoformat(),
        "end": run.period.end.isoformat(),
        "files": [f.path for f in run.files],
        "entries": len(sound) + len(faulty),
        "hours": {key: float(hours(s)) for key, s in table["seconds"].items()},
        "problems": [p.as_dict() for p in run.problems],
        "ok": run.ok,
        "errors": counts[Severity.ERROR],
        "warnings": counts[Severity.WARNING],
        "billable_hours": {key: float(hours(s)) for key, s in table["billable_seconds"].items()},
        "billed_hours": {key: float(hours(s)) for key, s in table["billed_seconds"].items()},
        "entries_with_errors": len(faulty),
        "hours_with_errors": float(hours(_positive_seconds(faulty))),
        **{f"{name}_hours": float(hours(seconds)) for name, seconds in held_by_tracker(run, sound).items()},
        "outside_period": run.outside_period,
        "repeated": run.repeated,
        "unreadable": list(run.unreadable),
        "calendars": list(run.calendars),
        **({"expenses": [  # only when the period has expenses: a document without them is as it was
            {"client": r.client, "currency": r.currency, "spent": str(r.spent), "billable": str(r.billable)}
            for r in expenses_by_client(run.expenses[~run.expenses_with_errors()])]}
           if len(run.expenses) else {}),
        **({"bank": [  # only when input/bank/ holds statements
            {"file": f.path, "format": f.format or None, "bookings": f.bookings, "repeated": f.repeated}
            for f in run.bank_files]} if run.bank_files else {}),
        "untracked_meetings": [] if run.untracked is None else [
            {"person": m.person, "client": m.client_key, "date": f"{m.date:%Y-%m-%d}", "summary": m.summary,
             "hours": float(hours(m.duration_s)), "file": m.source_file} for m in run.untracked.itertuples()],
    }


def as_text(run: CheckRun) -> str:
    p = run.period
    lines = [f"Period    {p.label} ({p.start} .. {p.end})"]
    if run.config is None:
        lines.append("Files     not read: rates.yaml must load first")
    else:
        sound, faulty = split_sound(run)
        lines += _files(run)
        lines.append(f"Entries   {len(sound) + len(faulty)} in the period ({len(faulty)} with errors) · "
                     f"{run.outside_period} outside it, ignored · {run.repeated} repeated across files, counted once")
        lines += _hours(sound, faulty, run.config)
        lines += _held_by_tracker(run, sound)
        lines += _calendars(run)
        lines += _expenses(run)
    lines += _problems(run)
    return "\n".join(lines)


def _files(run: CheckRun) -> list[str]:
    unreadable = f", {len(run.unreadable)} unreadable" if run.unreadable else ""
    lines = [f"Files     {len(run.files) + len(run.expense_files)} read{unreadable}"]
    width = max((len(path) for path in [*(f.path for f in run.files), *run.unreadable, *run.expense_files]),
                default=0)
    for f in run.files:
        detail = ", ".join(x for x in (f.format, f.encoding, SEPARATORS.get(f.separator) if f.separator else None) if x)
        lines.append(f"          {f.path:<{width}}  {plural(f.rows, 'row'):>10}  {detail}")
    lines += [f"          {path:<{width}}  {'':>10}  expenses" for path in run.expense_files]
    lines += [f"          {path:<{width}}  {'UNREADABLE':>10}" for path in run.unreadable]
    return lines + _bank_files(run)


def _bank_files(run: CheckRun) -> list[str]:
    """The statements in input/bank/ and their bookings (none: no lines)."""
    if not run.bank_files:
        return []
    width = max(len(f.path) for f in run.bank_files)
    lines = [f"Bank      {plural(len(run.bank_files), 'statement')}, {plural(len(run.bookings), 'booking')}"]
    for f in run.bank_files:
        repeated = f", {f.repeated} in an earlier statement" if f.repeated else ""
        count = plural(f.bookings, "booking") if f.format else "UNREADABLE"
        lines.append(f"          {f.path:<{width}}  {count:>12}  {f.format}{repeated}".rstrip())
    return lines


def _expenses(run: CheckRun) -> list[str]:
    """The period's expenses per client and currency: spent, and of it billable (none: no lines)."""
    x = run.expenses
    if x.empty:
        return []
    faulty = run.expenses_with_errors()
    sound = x[~faulty]
    lines = [f"Expenses  {plural(len(x), 'expense')} in the period ({int(faulty.sum())} with errors)"]
    if sound.empty:
        return lines
    table = expenses_by_client(sound)
    width = max(len(r.client) for r in table) + 2
    lines.append(f"          {'client':<{width}}{'spent':>12}{'billable':>12}")
    for r in table:
        lines.append(f"          {r.client:<{width}}{r.spent:>12,}{r.billable:>12,}  {r.currency}")
    return lines


class ExpenseSum(NamedTuple):
    client: str  # its key, else the name the export gives
    currency: str
    spent: Decimal
    billable: Decimal  # by the export's flag


def expenses_by_client(expenses: pd.DataFrame) -> list[ExpenseSum]:
    """Per client and currency, in that order: the expenses (without errors) spent, and billable."""
    sums: dict[tuple[str, str], tuple[Decimal, Decimal]] = {}
    for key, name, currency, amount, billable in zip(expenses[X.client_key], expenses[X.client],
                                                     expenses[X.currency], expenses[X.amount], expenses[X.billable]):
        at = (key if isinstance(key, str) else name, currency)
        spent, billed = sums.get(at, (Decimal("0.00"), Decimal("0.00")))
        sums[at] = (spent + amount, billed + (amount if billable else 0))
    return [ExpenseSum(client, currency, *money) for (client, currency), money in sorted(sums.items())]


def _hours(sound: pd.DataFrame, faulty: pd.DataFrame, config: Config) -> list[str]:
    """Hours per client: logged and billable, and — when a rounding rule applies — billed."""
    table = hours_by_client(sound, config)
    lines = ["Hours     none logged without errors in this period"]
    if not table.empty:
        columns = ["seconds", "billable_seconds"] + (["billed_seconds"] if rounding_in_force(sound, config) else [])
        width = max(len(k) for k in table.index) + 2
        head = "".join(f"{name:>10}" for name in ("logged", "billable", "billed")[:len(columns)])
        lines = [f"Hours     {'client':<{width}}{head}"]
        for key, row in [*table[columns].iterrows(), ("total", table[columns].sum())]:
            lines.append(f"          {key:<{width}}" + "".join(f"{hours(row[c]):>10}" for c in columns))
        if len(columns) == 3:
            lines.append(_rounding_line(table["billable_seconds"].sum(), table["billed_seconds"].sum()))
    if len(faulty):
        lines.append(f"          not counted: {hours(_positive_seconds(faulty))} h in "
                     f"{plural(len(faulty), 'entry', 'entries')} with errors")
    return lines


def held_by_tracker(run: CheckRun, sound: pd.DataFrame) -> dict[str, int]:
    """Seconds of sound entries the tracker's word keeps from being billed: marked invoiced there,
    not approved there, or not billable by the export's flag where rates.yaml would bill them."""
    if run.config is None:
        return {"invoiced_in_tracker": 0, "not_approved": 0, "export_not_billable": 0}
    held = sound.loc[sound[E.tracker_hold].ne("") & sound[E.billable],  # of a year's entries: the few held
                     [E.entry_id, E.tracker_hold, E.duration_s]]
    unbilled = held[~among(held[E.entry_id], run.billed[E.entry_id])] if len(held) else held  # a year's not hashed
    said = {"invoiced_in_tracker": _positive_seconds(unbilled[unbilled[E.tracker_hold].eq(INVOICED)]),
            "not_approved": _positive_seconds(unbilled[unbilled[E.tracker_hold].eq(UNAPPROVED)]),
            "export_not_billable": 0}
    if run.config.imports.billable == "export":
        flagged = sound[E.billable_flag].eq(False).fillna(False).astype(bool)
        if flagged.any():
            said["export_not_billable"] = _positive_seconds(
                sound.loc[flagged & rates_billable(sound, run.config), [E.duration_s]])
    return said


def _held_by_tracker(run: CheckRun, sound: pd.DataFrame) -> list[str]:
    held = held_by_tracker(run, sound)
    lines = [f"          not billed: {hours_text(held[name])} h {REASONS[key][0]}"
             for name, key in (("invoiced_in_tracker", INVOICED), ("not_approved", UNAPPROVED)) if held[name]]
    if held["export_not_billable"]:
        lines.append(f"          not billable by the export's flag: {hours_text(held['export_not_billable'])} h that "
                     "rates.yaml bills — set imports.billable: rates to bill them")
    return lines


def _rounding_line(billable: int, billed: int) -> str:
    """What the rounding rules add to (or take from) the billable time."""
    change = f"{'+' if billed >= billable else '-'}{hours(abs(billed - billable))} h"
    if billable:
        change += f" ({(Decimal(int(billed - billable)) * 100 / int(billable)):+.1f} %)"
    return (f"          billed: billable hours after rates.yaml's rounding, {change} — `rounding: none` bills "
            "them as logged")


def _calendars(run: CheckRun) -> list[str]:
    if not run.calendars:
        return []
    meetings = run.entries[run.entries[E.source_format].eq("calendar")]
    untracked = run.untracked if run.untracked is not None else pd.DataFrame({"duration_s": []})
    away = 0 if run.absences is None else len(run.absences.drop_duplicates(["person", "date"]))
    return [f"Calendars {plural(len(run.calendars), 'calendar')} · "
            f"{plural(len(meetings), 'meeting')} billed as time ({hours(meetings[E.duration_s].sum())} h) · "
            f"{plural(len(untracked), 'meeting')} nobody logged ({hours(untracked['duration_s'].sum())} h) · "
            f"{plural(away, 'person-day')} away"]


def _positive_seconds(entries: pd.DataFrame) -> int:
    """Time logged by entries, leaving out negative durations (they are errors, not time)."""
    return int(logged_seconds(entries).sum())


def _counts(run: CheckRun) -> dict[Severity, int]:
    return {s: sum(1 for x in run.problems if x.severity is s) for s in Severity}


def _problems(run: CheckRun) -> list[str]:
    counts = _counts(run)
    lines = [f"Problems  {plural(counts[Severity.ERROR], 'error')} · {plural(counts[Severity.WARNING], 'warning')} · "
             f"{plural(counts[Severity.INFO], 'note')}"]
    names = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
    lines += [f"          {code:<24}{n:>6} {names[severity]}{'' if n == 1 else 's'}"
              for code, severity, n in by_code(run.problems)]
    if counts[Severity.ERROR]:
        lines.append("Result    NOT READY: fix the errors above; they hold back the invoices they touch")
    elif any(p.code == "no-input" for p in run.problems):
        lines.append("Result    NOTHING CHECKED: no time entries were read from input/ (see above)")
    else:
        lines.append("Result    OK: no errors")
    return lines


