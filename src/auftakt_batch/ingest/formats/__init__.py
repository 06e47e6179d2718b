"""Export formats as data: which header names map to which canonical field.

Adding a tracker means adding a module here with one `Format` (and a fixture), not a parser.
A file's format is recognised from its header alone: among the formats whose required
columns are all present, the one that knows most of the header's columns.

Header names are matched after `names.normalise` (case, spaces), as regular expressions;
a named group `currency` picks the currency out of a header such as `Amount (EUR)`. Where
a field has several names, the first one present in the header is used (Clockify gives the
duration twice: `Duration (h)` first, `Duration (decimal)` only when the other is missing).

Expense exports (Harvest's, Clockify's, the native expense sheet) are formats too, of kind
`expense`, in their own registry: a header is recognised among both, so an expense export is
never read as a timesheet nor the reverse (no expense format knows `hours`, no timesheet one
`category`), and ingest hands expense tables to the expense reader.

Bank CSV exports (formats of kind `booking`, only `sparkasse` so far) are a registry of their
own, BANK_FORMATS, recognised only among files in input/bank/ (`recognise_bank`).

A JSON export (Watson's frames file) is a list of records: the names of a record's items
(`positions`, when records are lists) or its keys (when they are objects) are its header.
"""

from __future__ import annotations

from ...names import normalise
from . import (
    clockify,
    clockify_expenses,
    harvest,
    harvest_expenses,
    kimai,
    native,
    native_expenses,
    solidtime,
    solidtime_import,
    sparkasse,
    toggl,
    watson,
)
from .format import BOOKING_FIELDS, EXPENSE_FIELDS, FIELDS, Format

__all__ = ["BANK_FORMATS", "BOOKING_FIELDS", "EXPENSE_FIELDS", "EXPENSE_FORMATS", "FIELDS", "FORMATS", "Format"]


def _registry() -> tuple[Format, ...]:
    return tuple(module.FORMAT for module in (native, toggl, clockify, harvest, kimai, solidtime, solidtime_import,
                                              watson))


FORMATS: tuple[Format, ...] = _registry()
NATIVE = FORMATS[0]
NATIVE_HEADER = "date,person,client,job,task,description,hours,billable (optional: start,end)"
EXPENSE_FORMATS: tuple[Format, ...] = tuple(m.FORMAT for m in (native_expenses, harvest_expenses, clockify_expenses))
NATIVE_EXPENSES = EXPENSE_FORMATS[0]
EXPENSE_HEADER = "date,person,client,job,category,description,amount,currency,billable,receipt"
_EVERY = FORMATS + EXPENSE_FORMATS  # a timesheet format first: it wins a tie
BANK_FORMATS: tuple[Format, ...] = (sparkasse.FORMAT,)  # read from input/bank/ only (ingest/bank)


def _known() -> str:
    """The table formats, for a message: "Toggl Track, …, Kimai or solidtime export, or the native timesheet"."""
    tools = list(dict.fromkeys(f.tool for f in FORMATS if f.container == "table" and f is not NATIVE))
    return f"{', '.join(tools[:-1])} or {tools[-1]} export, or the {NATIVE.title}"


KNOWN = _known()


def recognise(header: list[str], container: str = "table") -> str | None:
    """The name of the format this header belongs to, or None: of the formats of this kind of
    file whose required columns are present, the one that knows most of the header."""
    candidates = [f for f in _EVERY if f.container == container and f.matches(header)]
    return max(candidates, key=lambda f: f.known(header)).name if candidates else None


def by_positions(width: int) -> Format | None:
    """The JSON format whose records are lists of this many items (its last ones may be left out)."""
    return next((f for f in FORMATS if f.positions and f.shortest <= width <= len(f.positions)),
                None)


def recognise_bank(header: list[str]) -> str | None:
    """The name of the bank CSV format this header belongs to, or None (as `recognise`)."""
    candidates = [f for f in BANK_FORMATS if f.matches(header)]
    return max(candidates, key=lambda f: f.known(header)).name if candidates else None


def by_name(name: str) -> Format:
    return next(f for f in _EVERY + BANK_FORMATS if f.name == name)


def is_expense(name: str) -> bool:
    """Whether the format `name` is an expense export (read by ingest/expenses.py, not as time)."""
    return by_name(name).kind == "expense"


# headers of exports that hold no names, only a tool's ids: what to export instead
NO_NAMES = {
    frozenset({"member_id", "project_id", "start", "end"}):
        "this header names ids, not names: solidtime's organization export — export Reporting → Detailed → CSV "
        "instead",
}


def describe_unknown(header: list[str]) -> str:
    """Why a header is not recognised: the nearest format's missing columns, or the formats known."""
    names = {normalise(h or "") for h in header}
    if hint := next((hint for columns, hint in NO_NAMES.items() if columns <= names), None):
        return hint
    shown = ",".join(h for h in header if h)[:120] or "(empty)"
    best = max((f for f in _EVERY if f.container == "table"), key=lambda f: f.known(header))
    if best.known(header) >= 3:
        native = {NATIVE.name: NATIVE_HEADER, NATIVE_EXPENSES.name: EXPENSE_HEADER}
        hint = f"the header must be {native[best.name]}" if best.name in native else "export it again with all columns"
        return f"looks like a {best.title} but lacks column(s) {', '.join(best.missing(header))} — {hint}"
    return (f"unrecognised header '{shown}' — the first row must be the header of a {KNOWN} "
            f"({NATIVE_HEADER})")
