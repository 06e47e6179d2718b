"""A table of text → canonical raw entries, with a located problem for each unreadable cell.

What varies between trackers is data (formats/); what varies between files of one tracker —
the date order of slash dates, the decimal mark of amounts — is decided per file from all its
values, never guessed row by row.

A row whose value cannot be read is kept (with NA in that field) and reported as an error;
it is never dropped and never becomes zero hours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as default
from functools import partial
from itertools import product
from pathlib import PurePosixPath
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from ..names import normalise
from ..problems import Problem, Severity, Source, error, for_rows, plural, selected
from .clock import instants, mismatches, unrounded, utc_spans
from .formats import FIELDS, Format
from .read import FileError, Table
from .values import (
    APPROVAL_FORMS,
    BOOL_FORMS,
    DATE_FORMS,
    DURATION_FORMS,
    INSTANT_FORMS,
    INVOICED_FORMS,
    MONEY_FORMS,
    TIME_FORMS,
    approval_state,
    calendar_date,
    clock_seconds,
    date_order,
    decimal_mark,
    duration_seconds,
    has_slash_dates,
    instant,
    invoiced_state,
    money,
    parse_column,
    yes_no,
)

MAX_CELL = 32_767  # characters an Excel cell holds
NO_PRICE = {"n/a", "na", "-", "–", "—"}
# the same in any case: the only texts whose str.lower() is one of them (no other character lowers to n, a or /)
NO_PRICE_ANY_CASE = frozenset("".join(t) for word in NO_PRICE for t in product(*({c.lower(), c.upper()} for c in word)))
TEXT_FIELDS = ("person", "client", "job", "task", "description")
REQUIRED_TEXT = ("person",)  # an empty client may follow from the job (resolve.py); job may be empty
NEEDED = ("date", *REQUIRED_TEXT, "hours", "start", "end")  # fields whose emptiness is an error (_missing)
ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
_CURRENCY_CODE = re.compile(r"(?:^|[^A-Za-z])([A-Z]{3})$")
_BARE_DATE = r"\d{4}-\d{2}-\d{2}"
_NAME_SEPARATORS = re.compile(r"[-_.\s]+")


@dataclass(frozen=True)
class Rules:
    """What ingest needs from rates.yaml: the agency's time zone, people's own time zones
    (normalised name, alias or email -> zone) and the date order for files that cannot tell."""

    timezone: str
    zones: Mapping[str, str] = default(default_factory=dict)
    date_format: str | None = None  # "dmy" or "mdy"


def build_entries(table: Table, fmt: Format, rules: Rules) -> tuple[pd.DataFrame, list[Problem], dict]:
    """(raw entries, problems, canonical field -> header text) for one table (or for the rows of
    alike tables together, each row's file in a source_file column: see batch.py)."""
    positions = fmt.field_positions(table.header)
    labels = {f: table.header[i] for f, i in positions.items()}
    blank = pd.Series("", index=table.rows.index, dtype=str)
    text = {f: table.rows[positions[f]] if f in positions else blank for f in FIELDS}
    if "person" not in positions and ("first_name" in positions or "last_name" in positions):
        text["person"] = (text["first_name"] + " " + text["last_name"]).str.strip()
        labels["person"] = labels["first_name"] if "first_name" in labels else labels["last_name"]
    rows = table.rows[["source_row", "source_file"]] if "source_file" in table.rows else \
        table.rows[["source_row"]].assign(source_file=table.file)  # many tables at once (batch.py) name each row's
    problems: list[Problem] = []
    if table.cell_bound is None or table.cell_bound >= MAX_CELL:  # else the reader knows no cell is that long
        text, problems = _not_too_long(text, rows, positions)
    text, labels = _derived(text, labels, positions, fmt, table.file)
    stray = _stray(text, table.header, positions)
    problems += _stray_problems(rows, stray, fmt.totals_row)
    is_entry = ~stray.any(axis=1)
    order, slashed, both = _date_order(text, is_entry, rules)
    undecided = is_entry & pd.Series(False, index=rows.index)
    if order is None:  # slash dates, and nothing tells day/month from month/day: one error for them all
        undecided = is_entry & (text["date"].str.contains("/") | text["end_date"].str.contains("/"))
        at = rows[undecided]
        problems.append(undecided_dates(at["source_file"].iloc[0], tuple(int(r) for r in at["source_row"]),
                                        text["date"][undecided].iloc[0], both))

    def parsed(f: str, parse: Callable[[str], object], dtype: str, forms: str, severity: Severity = ERROR) -> pd.Series:
        values, bad = parse_column(text[f], parse, dtype)
        if not bad.any():  # the usual case: every value read
            return values
        problems.extend(for_rows(selected(rows, bad & is_entry & ~undecided, v=text[f]), f, f"bad-{f}", severity,
                                 lambda r: f"unreadable {f.replace('_', ' ')} {r.v!r} — use {forms}"))
        return values

    forms = DATE_FORMS if order is None or not slashed else \
        f"{'DD/MM/YYYY' if order == 'dmy' else 'MM/DD/YYYY'} as in the rest of this file, or YYYY-MM-DD"
    hours = parsed("hours", duration_seconds, "Int64", DURATION_FORMS)
    billable = parsed("billable", yes_no, "boolean", BOOL_FORMS)
    invoiced = parsed("invoiced", invoiced_state, "boolean", INVOICED_FORMS)
    approved = parsed("approved", approval_state, "boolean", APPROVAL_FORMS)
    for f in ("amount", "rate"):  # what trackers write for no price
        if (none := text[f].isin(NO_PRICE_ANY_CASE)).any():
            text[f] = text[f].mask(none, "")
    mark = decimal_mark(pd.concat([text["amount"], text["rate"]]).unique())[0] or "."
    # not billed (rates.yaml prices the time), but a tracker writes numbers there: other text means a garbled row
    amount = parsed("amount", partial(money, mark=mark), "object", MONEY_FORMS)
    rate = parsed("rate", partial(money, mark=mark), "object", MONEY_FORMS)
    if fmt.clock == "utc":
        start = parsed("start", instant, "datetime64[us, UTC]", INSTANT_FORMS)
        end = parsed("end", instant, "datetime64[us, UTC]", INSTANT_FORMS)
        span, time_problems = utc_spans(rows, start, end)
        local_start = start.dt.tz_localize(None)  # the time as exported: no time-zone setting changes an id
        day, wall = local_start.dt.normalize(), span
    else:
        day = parsed("date", partial(calendar_date, order=order), "date", forms)
        end_day = parsed("end_date", partial(calendar_date, order=order), "date", forms)
        start_s = parsed("start", clock_seconds, "Int64", TIME_FORMS)
        end_s = parsed("end", clock_seconds, "Int64", TIME_FORMS)
        zone = _zones(text["person"], text["email"], rules)
        start, end, span, time_problems = instants(rows, day, end_day, start_s, end_s, zone, hours.notna())
        local_start = (day + pd.to_timedelta(start_s.astype("float64"), unit="s")).where(start.notna())
        wall = end_s - start_s
    problems += time_problems
    hours, rounding = unrounded(rows, hours, span) if fmt.report_rounding else (hours, [])
    problems += rounding + mismatches(rows, hours, span, wall)
    problems += _missing(rows[is_entry], {f: text[f][is_entry] for f in NEEDED}, span[is_entry],
                         fmt.derived.get("date"))
    # the day an entry belongs to is its start's day in the agency's zone (a person abroad may differ)
    agency_day = start.dt.tz_convert(rules.timezone).dt.tz_localize(None).dt.normalize().astype("datetime64[us]")

    entries = pd.DataFrame({
        "source_file": rows["source_file"].astype(str),
        "source_row": rows["source_row"].astype("int64"),
        "source_format": fmt.name,
        "date": agency_day.where(start.notna(), day),
        "start": start,
        "local_start": local_start.astype("datetime64[us]"),
        "end": end,
        "duration_s": hours.fillna(span).astype("Int64"),
        **{f: text[f].astype(str) for f in TEXT_FIELDS},
        "email": text["email"].astype(str),
        "billable_flag": billable,
        "export_amount": amount.astype(object).where(amount.notna(), None),
        "export_rate": rate.astype(object).where(rate.notna(), None),
        "export_currency": _currency(text["currency"], fmt.header_currency(table.header)),
        # a tracker's invoice id says "invoiced" even where its flag is missing or says otherwise
        "invoiced_flag": invoiced.mask(text["invoice_id"].ne(""), True),
        "tracker_invoice": text["invoice_id"].astype(str),
        "approved_flag": approved,
    })
    # a stray row is not an entry: it leaves with its error (which then holds back every invoice)
    return entries[is_entry].reset_index(drop=True), problems, labels


def _derived(text: dict[str, pd.Series], labels: dict[str, str], positions: dict[str, int], fmt: Format,
             file: str) -> tuple[dict[str, pd.Series], dict[str, str]]:
    """What the format reads from another field's column (the date from a date-time `Start`), or
    from the file's name (the person of a one-person file), and the client in a `client/job`."""
    text, labels = dict(text), dict(labels)
    for f, source in fmt.derived.items():
        if f not in positions and source in positions:
            if fmt.clock == "local":  # a sheet's date-time cell at midnight reads as its date alone
                text[source] = text[source].mask(text[source].str.fullmatch(_BARE_DATE), text[source] + " 00:00:00")
            text[f], labels[f] = text[source], labels[source]
    if fmt.person_from_file and "person" not in positions:
        text["person"] = pd.Series(_person_of_file(file, fmt), index=text["person"].index, dtype=str)
        labels["person"] = "file name"
    if fmt.client_separator and "client" not in positions and "job" in positions:
        parts = text["job"].str.extract(rf"^(?P<client>.*?){re.escape(fmt.client_separator)}(?P<job>.*)$")
        client, job = parts["client"].fillna("").str.strip(), parts["job"].fillna("").str.strip()
        named = client.ne("") & job.ne("")
        text["client"] = client.where(named, "").astype(str)
        text["job"] = job.where(named, text["job"]).astype(str)
        labels["client"] = labels["job"]
    return text, labels


def _person_of_file(file: str, fmt: Format) -> str:
    """Whose a one-person file is: its name (`anna.json`, `anna-schmidt.json`: Anna Schmidt), or
    its folder's when the file has the tool's own name (`input/anna/frames`)."""
    path = PurePosixPath(file)
    name = path.stem if path.suffix else path.name
    if name.casefold() in fmt.own_file_names:
        name = path.parent.name if len(path.parts) > 2 else ""  # input/frames: the folder is input/ itself
    if not name.strip("-_. "):
        raise FileError(error(Source(file), "no-person", (
            f"whose time is this? a {fmt.title} names no person — name the file after its person "
            "(input/anna.json) or put it in a folder named after them (input/anna/frames)")))
    return name if "@" in name else _NAME_SEPARATORS.sub(" ", name).strip()


def _not_too_long(text: dict[str, pd.Series], rows: pd.DataFrame, positions: dict[str, int]
                  ) -> tuple[dict[str, pd.Series], list[Problem]]:
    """An error for each value as long as a spreadsheet cell holds or longer, cut to that
    length: no timesheet value is this long (a workbook reader cuts longer ones to it), and
    none this long may reach a report or an invoice."""
    problems = []
    for f in positions:
        if max(map(len, text[f].to_numpy(dtype=object)), default=0) < MAX_CELL:
            continue
        length = text[f].str.len()
        long = length.ge(MAX_CELL)
        if long.any():
            problems += for_rows(rows.assign(n=length)[long], f, "too-long", ERROR,
                                 lambda r: f"{r.n:,} characters: as many as a spreadsheet cell holds ({MAX_CELL:,}) or "
                                           "more, so it may have been cut; no timesheet value is this long — export "
                                           "the file again")
            text[f] = text[f].str.slice(0, MAX_CELL)
    return text, problems


def _date_order(text: dict[str, pd.Series], is_entry: pd.Series,
                rules: Rules) -> tuple[str | None, bool, tuple[str, str] | None]:
    """(dmy or mdy for this file's slash dates, whether it has any, two dates that say opposite
    things): decided from all of them (a part above 12 is the day, a dotted date is day first),
    else by imports.date_format; None if neither tells — or if the file writes dates both ways,
    since then none of its ambiguous dates can be trusted. Never decided row by row."""
    dates = pd.concat([text["date"][is_entry], text["end_date"][is_entry]]).unique()
    if not has_slash_dates(dates):
        return "dmy", False, None
    order, against = date_order(dates)
    if against:
        agrees = next(d for d in dates if d not in against and date_order([d])[0] == order)
        return None, True, (agrees, against[0]) if order == "dmy" else (against[0], agrees)
    return order or rules.date_format, True, None


def undecided_dates(file: str, numbers: tuple[int, ...], first: str, both: tuple[str, str] | None) -> Problem:
    """The date-order error on the rows `numbers` of `file` (`first`: the first one's date)."""
    n = plural(len(numbers), "row")
    if both:
        message = (f"this file writes dates both ways ({both[0]!r} is day/month, {both[1]!r} month/day), so none of "
                   f"its slash dates can be trusted ({n}) — export it again with one date format")
    else:
        message = (f"dates such as {first!r} could be day/month or month/day, and no date in this file tells "
                   f"which ({n}) — add `imports: {{date_format: DD/MM/YYYY}}` (or MM/DD/YYYY) to rates.yaml")
    return Problem(Source(file, numbers[0], "date"), "date-order", ERROR, message,
                   numbers if len(numbers) > 1 else ())


def _zones(person: pd.Series, email: pd.Series, rules: Rules) -> pd.Series:
    """Each row's time zone: the person's own (by name, alias or email), else the agency's."""
    if not rules.zones:
        return pd.Series(rules.timezone, index=person.index)

    def zone_of(names: pd.Series) -> pd.Series:
        distinct = names.unique()
        return names.map(dict(zip(distinct, (rules.zones.get(normalise(n)) for n in distinct))))

    return zone_of(person).fillna(zone_of(email)).fillna(rules.timezone)


def _currency(column: pd.Series, from_header: str | None) -> pd.Series:
    """ISO code of each row's export currency: from a Currency column ('Euro - EUR'), else the header."""
    distinct = column.unique()
    codes = column.map({t: (m[1] if (m := _CURRENCY_CODE.search(t)) else "") for t in distinct})
    return codes.where(codes.ne(""), from_header or "").astype(str)


def _stray(text: dict[str, pd.Series], header: tuple[str, ...], positions: dict[str, int]) -> pd.DataFrame:
    """Rows that are not entries: no date, person, client or job (a totals or note row), or the
    header again (two exports pasted together)."""
    note = text["date"].eq("") & text["person"].eq("") & text["client"].eq("") & text["job"].eq("")
    again = np.full(len(note), bool(positions))
    for field, i in positions.items():  # each column narrows the rows still candidates
        rows = np.flatnonzero(again)
        name = header[i].casefold()
        again[rows] = [v.casefold() == name for v in text[field].to_numpy(dtype=object)[rows]]
    return pd.DataFrame({"note": note, "header": again}, index=note.index)


def _stray_problems(rows: pd.DataFrame, stray: pd.DataFrame, totals_row: bool) -> list[Problem]:
    note = stray["note"]
    if totals_row and len(note) and note.iloc[-1]:  # the tool's own totals row, under the entries
        last = note.index[-1]
        note = note.drop(last)
        totals = [Problem(Source(rows.loc[last, "source_file"], int(rows.loc[last, "source_row"])), "totals-row",
                          INFO, "the export's totals row — not an entry, skipped")]
    else:
        totals = []
    return totals + for_rows(rows[note.reindex(rows.index, fill_value=False)], None, "stray-row", ERROR, lambda r: (
        "no date, person, client or job — delete the row if it is a totals or note row, or fill it in")) + for_rows(
        rows[stray["header"]], None, "stray-row", ERROR, lambda r: "the header again — delete this row")


def _missing(rows: pd.DataFrame, text: dict[str, pd.Series], span: pd.Series, date_from: str | None) -> list[Problem]:
    """Empty cells that every entry needs. `date_from`: the field whose column gives the date
    (solidtime's `Start`), if the export has no date column: its emptiness is said once, there."""
    empty = {field: text[field].eq("") for field in NEEDED}
    dated = [("date", "date", "date is empty — every entry needs one")] if not date_from else [
        ("date", date_from, f"{date_from} is empty — every entry needs one (it gives the date)")]
    no_hours = empty["hours"] & span.isna()
    said = empty["date"] if date_from == "start" else False  # the start's emptiness, said above
    cases = [(empty[field], column, message) for field, column, message in dated] + [
        (empty[field], field, f"{field} is empty — every entry needs one") for field in REQUIRED_TEXT] + [
        (no_hours & empty["start"] & empty["end"], "hours", "hours is empty — give hours (or start and end)"),
        (no_hours & ~empty["start"] & empty["end"], "end", "end is empty — give both start and end, or hours"),
        (no_hours & empty["start"] & ~empty["end"] & ~said, "start",
         "start is empty — give both start and end, or hours"),
    ]
    problems: list[Problem] = []
    for mask, column, message in cases:
        if mask.any():  # most rows have every value they need
            problems += for_rows(rows[mask], column, "missing-value", ERROR, partial(_said, message))
    return problems


def _said(message: str, row: Any) -> str:
    """A problem's message that is the same for every row."""
    return message
