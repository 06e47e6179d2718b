"""The frames that pass between stages, as column contracts: the contract at each boundary.

RawEntries     ingest  → resolve: one row per exported row, values parsed, names as typed.
Entries        resolve → checks, pricing: names resolved to rates.yaml keys, `entry_id` set.
PricedEntries  pricing → billing, review, reports: each entry's rate and billed duration.
ReviewedEntries  billing.reviewed → invoices: as the review workbook has them billed (held ones left out).
ReportEntries  reports/figures.entry_table → the workbooks: what each entry is worth and costs, on
               which invoice it is, what the review and the checks say of it.
ReviewDecisions  check/decisions → billing, reports: what the reviewer typed, one row per entry row.
RawExpenses    ingest/expenses → check/expenses: one row per row of an expense export, values parsed.
Expenses       check/expenses → billing: the period's expenses, names resolved, `expense_id` set.
Bookings       ingest/bank → payments: every booking of the bank statements in input/bank/, once.

Each field's description says where it is born (the module and function that set it) and its
unit. Other modules name a column through its model (`E.entry_id`, `P.billed_s`: a field reads
as its column's name), never as a string, so a column is renamed in one place and a misspelt
one fails at import.

Fields that a bad cell can leave empty are nullable: such a row is kept and carries an
error problem, so it is never silently dropped. Validation is lazy (every failure at once)
and its failures become problems located at the entry's file and row.

The models are declared here without pandera: a clean run never imports it (pandera and what it
pulls in cost a `check` about 0.15 s). A quick look (`conforms`) checks a frame against the
declaration; only when it finds something pandera could reject is pandera imported, its schema
built from the same declaration (`Model.to_schema`, once per model), and asked: pandera is what
reports, so a broken contract reads as it always has.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from . import frames  # noqa: F401 — pandas set up before any frame is made
from .config.clients import KEY
from .problems import Problem, Source, error

if TYPE_CHECKING:
    import pandera.pandas as pa


def _text(values: pd.Series) -> bool:
    """pandera's `str` on pandas 3 (engines/pandas_engine.STRING.check): a string dtype of pandas'
    default storage, or objects that are each a str or null (not none at all)."""
    if isinstance(values.dtype, pd.StringDtype):
        return values.dtype.storage == pd.StringDtype(na_value=np.nan).storage
    return values.dtype == object and len(values) > 0 and bool(
        (values.map(lambda value: isinstance(value, str)).astype(bool) | values.isna()).all())


def _of(*dtypes: Any) -> Callable[[pd.Series], bool]:  # noqa: ANN401 — numpy's and pandas' dtypes alike
    return lambda values: any(values.dtype == dtype for dtype in dtypes)


@dataclass(frozen=True)
class Dtype:
    """A column's type: what pandera is told (`pandera`, a type its pandas engine knows), the
    dtype of an empty column (as pandera reads `pandera`), and which columns the quick look takes
    for it (`accepts`): only ones pandera's engine takes too (tests/test_contracts.py holds them)."""

    name: str
    pandera: Any
    empty: Any
    accepts: Callable[[pd.Series], bool]


STR = Dtype("str", str, pd.StringDtype(na_value=np.nan), _text)
INT = Dtype("int", int, np.dtype("int64"), _of(np.dtype("int64"), pd.Int64Dtype()))
INT64 = Dtype("Int64", pd.Int64Dtype, pd.Int64Dtype(), _of(pd.Int64Dtype(), np.dtype("int64")))
BOOL = Dtype("bool", bool, np.dtype(bool), _of(np.dtype(bool)))
BOOLEAN = Dtype("boolean", pd.BooleanDtype, pd.BooleanDtype(), _of(pd.BooleanDtype()))
OBJECT = Dtype("object", object, np.dtype(object), _of(np.dtype(object)))
# a wall-clock time: pandera takes datetime64 of any unit, without a zone
TIMESTAMP = Dtype("Timestamp", pd.Timestamp, np.dtype("datetime64[ns]"),
                  lambda values: isinstance(values.dtype, np.dtype) and values.dtype.kind == "M")
UTC_TIMESTAMP = Dtype("Timestamp[us, UTC]", pd.DatetimeTZDtype(unit="us", tz="UTC"),
                      pd.DatetimeTZDtype(unit="us", tz="UTC"), _of(pd.DatetimeTZDtype(unit="us", tz="UTC")))


@dataclass(frozen=True)
class Check:
    """One of pandera's built-in checks, by its name and arguments, and as the quick look computes
    it on a column's non-null values (as pandera does: backends/pandas/builtin_checks.py)."""

    name: str
    arguments: tuple[tuple[str, Any], ...]
    holds: Callable[[pd.Series, bool], bool]  # (the non-null values, whether they are known to be distinct)


def _pattern(pattern: str) -> Check:
    """str_matches: of an id or slot by `_fingerprints`, of any other pattern value by value."""
    fingerprint = FINGERPRINT.fullmatch(pattern)
    if fingerprint and fingerprint["head"] in HEADS:
        return _fingerprints(fingerprint["head"])
    return _matches(pattern)


def _matches(pattern: str) -> Check:
    match = re.compile(pattern).match  # on each distinct value, as pandas' str.match on each (keys repeat)
    return Check("str_matches", (("pattern", pattern),),
                 lambda values, distinct: all(map(match, (values if distinct else values.unique()).tolist())))


_HEX_DIGIT = np.zeros(256, dtype=bool)
_HEX_DIGIT[list(b"0123456789abcdef")] = True
FINGERPRINT = re.compile(r"\^(?P<head>[^$]*)\[0-9a-f\]\{20\}\$")  # a pattern `_fingerprints` can look at
HEADS = {"": 0, "[td]:": 2, "expense:": 8, "booking:": 8}  # a fingerprint's head pattern, and its width


def _fingerprints(head: str) -> Check:
    """str_matches of `^{head}[0-9a-f]{20}$` (an id or slot: a year holds a million), on all the
    values at once: joined into one text, one line each, as a matrix of bytes — every line as
    long as the pattern's, 20 hex digits after each head, and each distinct head matched. A value
    of another length, with a line break or other than ASCII cannot pass; none that matches fails."""
    width, pattern = HEADS[head], re.compile(head)
    size = width + 20

    def held(texts: list) -> bool:
        rows = fixed_lines(texts, size)
        if rows is None:
            return False
        heads = np.unique(np.ascontiguousarray(rows[:, :width]).view(f"S{width}")) if width else [b""]
        return bool(_HEX_DIGIT[rows[:, width:size]].all()) and all(pattern.fullmatch(h.decode("ascii")) for h in heads)

    def holds(values: pd.Series, _: bool) -> bool:
        texts = values.tolist()
        return all(map(held, _at_once(texts)))
    return Check("str_matches", (("pattern", f"^{head}[0-9a-f]{{20}}$"),), holds)


LINES_AT_ONCE = 131_072  # values joined into one text at a time (`fixed_lines`): a year's ids at once held 40 MB twice


def _at_once(texts: list) -> list[list]:
    """`texts` in runs of at most LINES_AT_ONCE, in order (none where there are none)."""
    return [texts[at:at + LINES_AT_ONCE] for at in range(0, len(texts), LINES_AT_ONCE)]


def fixed_lines(texts: list, width: int) -> np.ndarray | None:
    """The values, each `width` ASCII characters without a line break, joined one a line and read
    as a matrix of bytes (a row each, its line break last); None where any is not such a value."""
    try:
        data = ("\n".join(texts) + "\n").encode("ascii")
    except (TypeError, UnicodeEncodeError):  # a missing value, or not ASCII
        return None
    buf = np.frombuffer(data, dtype=np.uint8)
    if len(data) != (width + 1) * len(texts) or np.count_nonzero(buf == ord("\n")) != len(texts):
        return None  # a line break in a value, or one of another length
    rows = buf.reshape(len(texts), width + 1)
    return rows if (rows[:, width] == ord("\n")).all() else None  # each line break ends a row


def distinct_ids(values: pd.Series) -> bool | None:
    """Whether the values — each 20 characters, as an entry id is — are all distinct, found without
    hashing a year's strings: their integers (`id_integers`) sorted, and only the values whose
    integers are equal compared whole. None where a value is not 20 ASCII characters without a line break."""
    mixed = id_integers(values.tolist())
    if mixed is None:
        return None
    alike = repeating(mixed)
    return True if not alike.any() else bool(values[alike].is_unique)


def repeated_ids(values: pd.Series) -> pd.Series:
    """Whether each value occurs more than once, as `duplicated(keep=False)` says: for entry ids
    (`id_integers`), only the values whose integers repeat are compared whole."""
    mixed = id_integers(values.tolist())
    if mixed is None:
        return values.duplicated(keep=False)
    found = repeating(mixed)
    if found.any():
        found[found] = values[found].duplicated(keep=False).to_numpy()
    return pd.Series(found, index=values.index, name=values.name)


def repeating(integers: np.ndarray) -> np.ndarray:
    """Whether each integer occurs more than once among them (found by a sort, not by hashing)."""
    ordered = np.sort(integers)
    return np.isin(integers, ordered[1:][ordered[1:] == ordered[:-1]])


def id_integers(texts: list) -> np.ndarray | None:
    """Each value's bytes mixed into one integer — equal values give equal integers, and unequal
    ones almost never do —, or None where a value is not 20 ASCII characters without a line break
    (an entry id's form)."""
    if not texts:
        return np.zeros(0, dtype=np.uint64)
    if len(texts) > LINES_AT_ONCE:
        parts = [id_integers(run) for run in _at_once(texts)]
        found = [part for part in parts if part is not None]
        return np.concatenate(found) if len(found) == len(parts) else None
    rows = fixed_lines(texts, 20)
    if rows is None:
        return None
    words = [np.ascontiguousarray(rows[:, lo:lo + 8]).view(np.uint64).ravel() for lo in (0, 8)]
    tail = np.ascontiguousarray(rows[:, 16:20]).view(np.uint32).ravel().astype(np.uint64)
    with np.errstate(over="ignore"):  # the mix wraps around: equal values give equal integers all the same
        return words[0] * np.uint64(0x9E3779B97F4A7C15) ^ words[1] * np.uint64(0xC2B2AE3D27D4EB4F) ^ tail


def _distinct(values: pd.Series) -> bool:
    """`is_unique`, for ids by `distinct_ids` (a year's ids are hashed in a second otherwise)."""
    found = distinct_ids(values) if isinstance(values.dtype, pd.StringDtype) and len(values) > 1000 \
        and len(str(values.iloc[0])) == 20 else None  # an entry id's length: not an expense's or a booking's
    return values.is_unique if found is None else found


def _at_least(bound: int) -> Check:
    return Check("greater_than_or_equal_to", (("min_value", bound),), lambda values, _: bool((values >= bound).all()))


def _long(least: int) -> Check:
    return Check("str_length", (("min_value", least),), lambda values, _: bool((values.str.len() >= least).all()))


class Field:
    """A column of a model: its type, whether it may be null or must be unique, its checks
    (pandera's `ge`, `str_length` minimum and `str_matches`, in pandera's order) and what it
    holds. On its model it reads as the column's name: `Entries.entry_id == "entry_id"`."""

    def __init__(self, dtype: Dtype, *, description: str, nullable: bool = False, unique: bool = False,
                 ge: int | None = None, min_length: int | None = None, matches: str | None = None) -> None:
        self.dtype, self.description, self.nullable, self.unique = dtype, description, nullable, unique
        self.checks = tuple(check for check in (None if ge is None else _at_least(ge),
                                                None if min_length is None else _long(min_length),
                                                None if matches is None else _pattern(matches)) if check)
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: object, owner: type | None = None) -> str:
        return self.name


class Model:
    """A frame's contract: exactly its fields' columns (in any order), each of its type. A model
    that extends another (`Entries(RawEntries)`) holds the other's columns and adds its own."""

    columns: ClassVar[Mapping[str, Field]] = {}  # every column, the parent's first
    own: ClassVar[Mapping[str, Field]] = {}  # the ones this model adds to its parent's

    def __init_subclass__(cls, **kwargs: Any) -> None:  # noqa: ANN401 — passed on as they come
        super().__init_subclass__(**kwargs)
        cls.own = {name: value for name, value in vars(cls).items() if isinstance(value, Field)}
        cls.columns = {**cls.columns, **cls.own}

    @classmethod
    def to_schema(cls) -> pa.DataFrameSchema:
        """The model as pandera's schema (imports pandera: for reports, never for a quick look)."""
        return _pandera(cls, own=False)

    @classmethod
    def validate(cls, frame: pd.DataFrame, *, lazy: bool = False) -> pd.DataFrame:
        """pandera's validation of `frame` (raises its SchemaError(s))."""
        return cls.to_schema().validate(frame, lazy=lazy)


ROW = "ingest/build.build_entries (calendars/__init__ for meetings)"  # where every raw field is born


def born(where: str, what: str) -> str:
    """A field's description: what it holds (with its unit), then where it is born."""
    return f"{what} — set by {where}"


class RawEntries(Model):
    source_file = Field(STR, min_length=1, description=born(
        ROW, "the input file, relative to the workspace (input/toggl-w47.csv)"))
    source_row = Field(INT, ge=1, description=born(
        ROW, "the entry's row in that file as a spreadsheet numbers it (a calendar's: the occurrence's number)"))
    source_format = Field(STR, description=born(ROW, "the format that read it (toggl, native, calendar)"))
    date = Field(TIMESTAMP, nullable=True, description=born(
        ROW, "the local start date, agency time zone (a Timestamp at midnight); NA when unreadable"))
    start = Field(UTC_TIMESTAMP, nullable=True, description=born(
        ROW, "the start instant, UTC; NA when the export has no time of day"))
    # the start's wall-clock time as the export wrote it, in the zone it was written in (the
    # person's, the agency's, a calendar event's own): what identifies an entry, whatever the settings
    local_start = Field(TIMESTAMP, nullable=True, description=born(
        ROW, "the start's wall-clock time as exported, in the zone it was written in (no zone)"))
    end = Field(UTC_TIMESTAMP, nullable=True, description=born(
        ROW, "the end instant, UTC; NA when the export has none"))
    duration_s = Field(INT64, nullable=True, description=born(
        ROW, "the logged time, whole seconds; NA when unreadable (an error), negative kept as exported"))
    person = Field(STR, description=born(ROW, "the person as the export names them"))
    client = Field(STR, description=born(ROW, "the client as the export names it"))
    job = Field(STR, description=born(ROW, "the job (project) as the export names it"))
    task = Field(STR, description=born(ROW, "the task as exported, \"\" if none"))
    description = Field(STR, description=born(ROW, "the entry's description as exported"))
    email = Field(STR, description=born(ROW, "the person's e-mail as exported, \"\" if none"))
    billable_flag = Field(BOOLEAN, nullable=True, description=born(
        ROW, "the export's billable flag; NA: the export says nothing"))
    export_amount = Field(OBJECT, nullable=True, description=born(
        ROW, "the tracker's own price (Decimal, export_currency): checked, not billed; None if none"))
    export_rate = Field(OBJECT, nullable=True, description=born(
        ROW, "the tracker's own hourly rate (Decimal, export_currency); None if none"))
    export_currency = Field(STR, description=born(
        ROW, "the currency of export_amount and export_rate (ISO 4217), \"\" if unknown"))
    # what the tracker already decided (imports: in rates.yaml says how far to follow it)
    invoiced_flag = Field(BOOLEAN, nullable=True, description=born(
        ROW, "the export marks it invoiced (or exported); an invoice id alone says so too"))
    tracker_invoice = Field(STR, description=born(ROW, "the tracker's own invoice id, \"\" if none"))
    approved_flag = Field(BOOLEAN, nullable=True, description=born(
        ROW, "the export marks it approved; NA: the export says nothing"))


RESOLVE = "check/resolve.resolve_names"
IDENTIFY = "check/identity.identify"


class Entries(RawEntries):
    person_name = Field(STR, nullable=True, description=born(
        RESOLVE, "the person's name in rates.yaml's team; NA when no one matches"))
    client_key = Field(STR, nullable=True, matches=f"^{KEY}$", description=born(
        RESOLVE, "the client's key in rates.yaml; NA when unknown (an error)"))
    job_key = Field(STR, nullable=True, description=born(
        RESOLVE, "the job's key under its client in rates.yaml, \"\" for none; NA when unknown"))
    billable = Field(BOOL, description=born(
        RESOLVE, "whether the entry is billed: the job's, the client's or the export's say"))
    # why the tracker's flags hold the entry back (tracker.py): "" | "invoiced" | "unapproved"
    tracker_hold = Field(STR, matches=r"^(invoiced|unapproved)?$", description=born(
        "check/tracker.hold_by_tracker (cleared by pipeline._approved_by_reviewer)",
        "why the tracker's flags hold it back: \"\", \"invoiced\" or \"unapproved\""))
    entry_id = Field(STR, unique=True, matches=r"^[0-9a-f]{20}$", description=born(
        IDENTIFY, "the entry's fingerprint (20 hex digits): what the ledger and the review key on"))
    slot = Field(STR, matches=r"^[td]:[0-9a-f]{20}$", description=born(
        IDENTIFY, "who, for whom and when (t: by start time, d: by day): finds an entry edited since"))
    duplicate_of = Field(INT64, nullable=True, ge=1, description=born(
        IDENTIFY, "the source_row of the first identical copy in the same file; NA for a first"))


PRICE = "pricing.price"


class PricedEntries(Entries):
    rate = Field(OBJECT, nullable=True, description=born(
        f"{PRICE} (reports/figures.entry_table: an invoiced entry's line price)",
        "the hourly rate in force (Decimal, the client's currency); None where there is none (no-rate)"))
    billed_s = Field(INT64, nullable=True, description=born(
        f"{PRICE} (written down by check/decisions.review_applied; reports/figures.entry_table: as invoiced)",
        "the billed time after the rounding rule, whole seconds; NA where duration_s is"))


FIGURES = "reports/figures.entry_table"


class ReviewedEntries(PricedEntries):
    written_down_from = Field(INT64, nullable=True, description=born(
        "billing.reviewed, from check/decisions.review_applied (reports/figures.entry_table: also the ledger's)",
        "billed_s before the reviewer wrote it down, whole seconds; NA if not written down"))


class ReportEntries(ReviewedEntries):
    error = Field(BOOL, description=born(FIGURES, "an error is about the entry: counted in no total"))
    invoice = Field(STR, description=born(FIGURES, "the number of our live invoice that holds it, \"\""))
    held_in_review = Field(BOOL, description=born(
        f"{FIGURES} (check/decisions.review_applied)", "the review workbook says no: left unbilled"))
    waits_for_approval = Field(BOOL, description=born(
        FIGURES, "unbilled, unapproved in the tracker, and the review has not said yes"))
    tracker = Field(STR, description=born(
        "check/tracker.tracker_text", "what the export says, as the reports show it; \"\" if nothing"))
    currency = Field(STR, description=born(FIGURES, "the client's currency (ISO 4217), else the agency's"))
    flags = Field(STR, description=born(
        "reports/figures.flags", "the codes of the problems about its row, errors first, comma-separated"))
    value = Field(OBJECT, description=born(
        FIGURES, "billed hours × rate (Decimal, currency); 0.00 if not billable, with errors, without a rate, or "
        "billed by a model (its fee or price is the revenue: reports/models.py)"))
    notional_value = Field(OBJECT, description=born(
        FIGURES, "billed hours × the rate in force, a model's entries too (Decimal, currency): what amount budgets "
        "burn; 0.00 if not billable, with errors or without a rate"))
    model = Field(STR, description=born(
        "reports/models.entry_models", "the model that bills it: retainer, fixed, or \"\" (by the hour)"))
    cost = Field(OBJECT, description=born(
        FIGURES, "logged hours × the person's cost_rate (Decimal, agency currency); 0.00 if none"))


DECIDED = "check/decisions.read_decisions"


class ReviewDecisions(Model):
    """One row per entry row of the review workbook's client sheets."""

    entry_id = Field(STR, description=born(DECIDED, "the row's entry id, as the hidden column holds it"))
    client = Field(STR, description=born(DECIDED, "the client key whose sheet the row is on"))
    sheet = Field(STR, description=born(DECIDED, "the sheet's name"))
    row = Field(INT, ge=2, description=born(DECIDED, "the row number in the sheet, 1 being the header"))
    approve_raw = Field(OBJECT, nullable=True, description=born(DECIDED, "the approve cell as typed"))
    bill_raw = Field(OBJECT, nullable=True, description=born(DECIDED, "the bill_hours cell as typed"))
    person = Field(OBJECT, nullable=True, description=born(DECIDED, "the person cell as typed"))
    day = Field(OBJECT, nullable=True, description=born(DECIDED, "the date cell as typed (a date if one)"))
    job = Field(OBJECT, nullable=True, description=born(DECIDED, "the job cell as typed"))
    approve = Field(BOOL, description=born(DECIDED, "approve read: False only for a no (empty: yes)"))
    bill_s = Field(INT64, nullable=True, description=born(
        DECIDED, "bill_hours read, whole seconds; NA when empty or unreadable"))


EXPENSE_ROW = "ingest/expenses.read_expenses"


class RawExpenses(Model):
    """One row per row of an expense export (Harvest's, Clockify's, the native expense sheet)."""

    source_file = Field(STR, min_length=1, description=born(
        EXPENSE_ROW, "the expense export, relative to the workspace (input/expenses.csv)"))
    source_row = Field(INT, ge=1, description=born(
        EXPENSE_ROW, "the expense's row in that file as a spreadsheet numbers it"))
    source_format = Field(STR, description=born(
        EXPENSE_ROW, "the format that read it (native-expenses, harvest-expenses, clockify-expenses)"))
    date = Field(TIMESTAMP, nullable=True, description=born(
        EXPENSE_ROW, "the day of the expense (a Timestamp at midnight); NA when unreadable (an error)"))
    person = Field(STR, description=born(EXPENSE_ROW, "who spent it, as the export names them"))
    email = Field(STR, description=born(EXPENSE_ROW, "their e-mail as exported, \"\" if none"))
    client = Field(STR, description=born(EXPENSE_ROW, "the client as the export names it"))
    job = Field(STR, description=born(EXPENSE_ROW, "the job (project) as the export names it"))
    category = Field(STR, description=born(EXPENSE_ROW, "the expense category as exported (Travel)"))
    description = Field(STR, description=born(EXPENSE_ROW, "the expense's note as exported, \"\" if none"))
    amount = Field(OBJECT, nullable=True, description=born(
        EXPENSE_ROW, "the money spent as exported (Decimal, `currency`), never a float; None when unreadable"))
    currency = Field(STR, matches=r"^([A-Z]{3})?$", description=born(
        f"{EXPENSE_ROW} (check/expenses: the client's when the export names none)",
        "the amount's currency (ISO 4217); \"\" only where unreadable (an error)"))
    billable = Field(BOOL, description=born(
        EXPENSE_ROW, "whether the export bills it to the client (empty: yes); if not, it is a cost only"))
    receipt = Field(OBJECT, nullable=True, description=born(
        EXPENSE_ROW, "the receipt's path as written, relative to input/ (str); None if none named"))
    vat_rate = Field(OBJECT, nullable=True, description=born(
        EXPENSE_ROW, "its own VAT rate (percent, Decimal) if the export gives one; None: the job's or agency's"))


EXPENSED = "check/expenses.expenses"


class Expenses(RawExpenses):
    person_name = Field(STR, nullable=True, description=born(
        EXPENSED, "the person's name in rates.yaml's team; NA when no one matches (an error)"))
    client_key = Field(STR, nullable=True, matches=f"^{KEY}$", description=born(
        EXPENSED, "the client's key in rates.yaml; NA when unknown (an error)"))
    job_key = Field(STR, nullable=True, description=born(
        EXPENSED, "the job's key under its client in rates.yaml, \"\" for none; NA when unknown (an error)"))
    expense_id = Field(STR, unique=True, matches=r"^expense:[0-9a-f]{20}$", description=born(
        EXPENSED, "what the expense is, as the ledger keys it: expense: and 20 hex digits; one per expense"))


BANKED = "ingest/bank.read_bank"


class Bookings(Model):
    """One row per booking of the bank statements in input/bank/ (camt.053, MT940, a bank's CSV),
    a booking in two statements once. A booking whose amount or date cannot be read is kept, with
    None or NA there and a warning at its place: a bank statement never holds back an invoice."""

    booking_id = Field(STR, unique=True, matches=r"^booking:[0-9a-f]{20}$", description=born(
        BANKED, "what the booking is: account, booking date, amount, currency, remittance, counterparty and "
                "bank reference hashed, the n-th identical booking of a file numbered; one per booking"))
    account = Field(STR, description=born(
        BANKED, "the statement's account: its IBAN without spaces (MT940's BLZ/account number as an IBAN), "
                "else as the bank writes it"))
    booking_date = Field(TIMESTAMP, nullable=True, description=born(
        BANKED, "the day the bank booked it (a Timestamp at midnight, as the bank writes it); NA when unreadable"))
    value_date = Field(TIMESTAMP, nullable=True, description=born(
        BANKED, "the value date (a Timestamp at midnight); NA when the bank gives none or it is unreadable"))
    amount = Field(OBJECT, nullable=True, description=born(
        BANKED, "the money booked (Decimal, `currency`), signed: a credit (money in) positive; None when "
                "unreadable"))
    currency = Field(STR, matches=r"^([A-Z]{3})?$", description=born(
        BANKED, "the amount's currency (ISO 4217); \"\" only where unreadable"))
    counterparty_name = Field(STR, description=born(
        BANKED, "who paid (a credit) or was paid (a debit), as the bank writes it; \"\" if not given"))
    counterparty_iban = Field(STR, description=born(
        BANKED, "their account, an IBAN without spaces where it is one; \"\" if not given"))
    remittance = Field(STR, description=born(
        BANKED, "what the payer wrote (Verwendungszweck): its lines joined by a space, runs of spaces as one"))
    bank_reference = Field(STR, description=born(
        BANKED, "the bank's reference of the booking (camt AcctSvcrRef, MT940 //reference, the CSV's "
                "end-to-end reference); \"\" if none"))
    source_file = Field(STR, min_length=1, description=born(
        BANKED, "the statement, relative to the workspace (input/bank/2026-11.xml)"))
    source_row = Field(INT, ge=1, description=born(
        BANKED, "where in it: camt's entry number (Ntry, counted from 1), MT940's line of the :61: field, "
                "the CSV's row as a spreadsheet numbers it"))
    source_format = Field(STR, description=born(
        BANKED, "what read it: camt.053.001.08 (the version), mt940, sparkasse-csv"))


ENTRY_STAGES = (RawEntries, Entries, PricedEntries, ReviewedEntries, ReportEntries)
EXPENSE_STAGES = (RawExpenses, Expenses)
SCHEMAS = (*ENTRY_STAGES, ReviewDecisions, *EXPENSE_STAGES, Bookings)


_PANDERA: dict[tuple[type[Model], bool], pa.DataFrameSchema] = {}  # built only when asked, once


def _pandera(model: type[Model], *, own: bool) -> pa.DataFrameSchema:
    """pandera's schema of the model's columns (`own`: only those it adds to its parent's)."""
    if (model, own) not in _PANDERA:
        import pandera.pandas as pa  # noqa: PLC0415 — only when the quick look says no (or a test asks)

        fields = model.own if own else model.columns
        _PANDERA[model, own] = pa.DataFrameSchema({name: pa.Column(
            field.dtype.pandera, checks=[getattr(pa.Check, check.name)(**dict(check.arguments))
                                         for check in field.checks] or None,
            nullable=field.nullable, unique=field.unique, description=field.description, name=name)
            for name, field in fields.items()}, strict=True, ordered=False, name=model.__name__)
    return _PANDERA[model, own]


def empty(schema: type[Model]) -> pd.DataFrame:
    """A frame of the schema's columns and types with no rows, so no stage needs a special case.
    Made once per schema, a copy each time."""
    return _empty(schema).copy()


_EMPTY: dict[type[Model], pd.DataFrame] = {}


def _empty(schema: type[Model]) -> pd.DataFrame:
    """Checked by the quick look: a run that needs no pandera (every clean run) pays for none."""
    if schema not in _EMPTY:
        frame = pd.DataFrame({name: pd.Series(dtype=field.dtype.empty) for name, field in schema.columns.items()})
        _EMPTY[schema] = frame if conforms(schema.columns, frame) else schema.validate(frame)
    return _EMPTY[schema]


def added(schema: type[Model], frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` as a stage gives it, its own columns checked: the ones before were validated (and
    their breaches reported as problems) where they were born. A stage's own column breaking its
    contract is a bug, so pandera raises. The quick look first, so pandera rarely runs."""
    part = frame[list(schema.own)]
    if not conforms(schema.own, part):
        _pandera(schema, own=True).validate(part, lazy=True)
    return frame


def validate(schema: type[Model], frame: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    """Validate lazily; each failure becomes an error at the failing row and column."""
    if conforms(schema.columns, frame):
        return frame, []
    from pandera.errors import SchemaErrors  # noqa: PLC0415 — only when the quick look says no

    try:
        return schema.validate(frame, lazy=True), []
    except SchemaErrors as exc:
        return frame, _problems(exc.failure_cases, frame, schema.__name__)


def conforms(columns: Mapping[str, Field], frame: pd.DataFrame) -> bool:
    """Whether pandera would accept `frame` as it is, asked of the declaration alone: exactly its
    columns, each of a type pandera's engine reads as the field's, without nulls where it allows
    none, unique where it must be, passing each check on its non-null values. False in any doubt
    (a value the look cannot compare), so pandera decides (and reports)."""
    if type(frame) is not pd.DataFrame or not frame.columns.is_unique or set(frame.columns) != set(columns):
        return False
    try:
        for name, field in columns.items():
            values = frame[name]
            nulls = _nulls(values)  # one look for nulls per column: a year's column holds a million
            if (nulls and not field.nullable) or (field.unique and not _distinct(values)) \
                    or not field.dtype.accepts(values):
                return False
            if field.checks:
                present = values.dropna() if nulls else values
                if not all(check.holds(present, field.unique) for check in field.checks):
                    return False
    except Exception:  # a value the quick look cannot compare: pandera will say what it is  # noqa: BLE001
        return False
    return True


def _nulls(values: pd.Series) -> bool:
    """Whether `values` hold a null. Text stored as Python strings is looked at as its array:
    every value a str means none, found at C speed (pandas' own null test costs three times as
    much: a million values are tested for every kind of null)."""
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "python" \
            and pd.api.types.infer_dtype(values.to_numpy(), skipna=False) == "string":
        return False
    return values.hasnans


def _problems(cases: pd.DataFrame, frame: pd.DataFrame, stage: str) -> list[Problem]:
    problems = []
    for case in cases.itertuples(index=False):
        index = case.index
        if index is None or pd.isna(index) or index not in frame.index:
            source = Source(f"<{stage}>")
        else:
            row = frame.loc[index]
            source = Source(str(row[RawEntries.source_file]), int(row[RawEntries.source_row]), case.column or None)
        problems.append(error(source, "schema", f"{stage} contract broken: {case.check} "
                                                f"(value {case.failure_case!r})"))
    return problems
