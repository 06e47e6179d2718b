"""Reading the ledger: the invoices, an invoice as it was drafted, the live billed entries, the
book the reports read. Each query takes an open connection (ledger/__init__.py opens them)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal

import pandas as pd

from ..errors import BadArgument
from ..periods import Period, parse_period
from ..pricing.invoices import HOURS, Billed, Charge, Draft, Line
from ..pricing.models import HUR, NOTHING_BILLED, OVERAGE, RETAINER, Ledgered, retainer_of
from ..units import HOUR
from .sql import rows


@dataclass(frozen=True, kw_only=True)
class InvoiceRecord:
    number: str
    kind: str
    client_key: str
    period: str
    issue_date: date
    due_date: date
    currency: str
    net: Decimal
    vat: Decimal
    gross: Decimal
    status: str
    pdf_path: str | None
    pdf_sha256: str | None
    refers_to: str | None = None
    reason: str | None = None

    @property
    def key(self) -> str:
        """The document's name, as `send` records and `send --again` takes it (a reminder's is longer)."""
        return self.number


class NotVoidable(BadArgument):
    """Only an issued invoice (not a credit note, not a void one) can be cancelled."""

    argument = "NUMBER"


def invoices(conn: sqlite3.Connection, status: str | None = None) -> list[InvoiceRecord]:
    query = ("SELECT number, kind, client_key, period, issue_date, due_date, currency, net, vat, gross, status, "
             "pdf_path, pdf_sha256, refers_to, reason FROM invoices")
    found = rows(conn, query + (" WHERE status = ?" if status else "") + " ORDER BY year, seq",
                 (status,) if status else ())
    return [InvoiceRecord(**{**dict(r), "issue_date": date.fromisoformat(r["issue_date"]),
                             "due_date": date.fromisoformat(r["due_date"]),
                             **{money: Decimal(r[money]) for money in ("net", "vat", "gross")}})
            for r in found]


def live_invoices(records: Iterable[InvoiceRecord], period: Period) -> dict[str, tuple[InvoiceRecord, ...]]:
    """client key -> its live invoices of `period` (pending or issued, not void; no credit note), in
    the series' order: the invoices later entries of the period follow."""
    live: dict[str, tuple[InvoiceRecord, ...]] = {}
    for r in records:
        if r.kind == "invoice" and r.status != "void" and r.period == period.label:
            live[r.client_key] = live.get(r.client_key, ()) + (r,)
    return live


def voidable(conn: sqlite3.Connection, number: str) -> int:
    """The id of issued invoice `number`; NotVoidable (saying why) for anything else."""
    found = rows(conn, "SELECT id, kind, status FROM invoices WHERE number = ?", (number,))
    row = found[0] if found else None
    if row is None or row["kind"] != "invoice" or row["status"] != "issued":
        state = ("does not exist" if row is None else "is a credit note" if row["kind"] == "credit-note"
                 else f"is {row['status']} already" if row["status"] == "void" else f"is still {row['status']}")
        raise NotVoidable(f"{number} {state}: only an issued invoice can be cancelled")
    return row["id"]


@dataclass(frozen=True, kw_only=True)
class Stored:
    """What the ledger holds of an invoice, enough to render it again exactly."""

    draft: Draft
    kind: str
    issue_date: date
    due_date: date
    stamped_at: datetime  # what the PDF's metadata says (the issue date's noon), so it renders to the same bytes
    refers_to: str | None
    reason: str | None


def stored_draft(conn: sqlite3.Connection, number: str) -> Stored:
    found = rows(conn, "SELECT id, client_key, period, currency, vat_mode, vat_rate, issue_date, due_date, "
                       "stamped_at, kind, refers_to, reason FROM invoices WHERE number = ?", (number,))
    if not found:
        raise NotVoidable(f"there is no invoice {number} in the ledger")
    (invoice,) = found
    charges = _charges(conn, invoice["id"])
    lines = tuple(
        Line(job_key=r["job_key"], job_name=r["job_name"], detail=r["detail"], unit=r["unit"],
             quantity=Decimal(r["quantity"]), unit_price=Decimal(r["unit_price"]), amount=Decimal(r["amount"]),
             first_day=date.fromisoformat(r["first_day"]), last_day=date.fromisoformat(r["last_day"]),
             charges=charges.get(r["position"], ()), vat_rate=None if r["vat_rate"] is None else Decimal(r["vat_rate"]))
        for r in rows(conn, "SELECT position, job_key, job_name, detail, first_day, last_day, unit, quantity, "
                            "unit_price, amount, vat_rate FROM invoice_lines WHERE invoice_id = ? ORDER BY position",
                      (invoice["id"],)))
    draft = Draft(client_key=invoice["client_key"], currency=invoice["currency"],
                  period=parse_period(invoice["period"]), lines=lines, vat_mode=invoice["vat_mode"],
                  vat_rate=Decimal(invoice["vat_rate"]))
    return Stored(draft=draft, kind=invoice["kind"], issue_date=date.fromisoformat(invoice["issue_date"]),
                  due_date=date.fromisoformat(invoice["due_date"]),
                  stamped_at=datetime.fromisoformat(invoice["stamped_at"]), refers_to=invoice["refers_to"],
                  reason=invoice["reason"])


def _charges(conn: sqlite3.Connection, invoice_id: int) -> dict[int, tuple[Charge, ...]]:
    """line position -> its charges, in the order they were recorded, each with the billed entries
    it covers (those of its line whose id is its key: an hours charge's entry)."""
    entries: dict[tuple[int, str], list[Billed]] = {}
    for r in rows(conn, "SELECT position, entry_id, slot, day, person, description, billed_s, written_down_from, "
                        "duration_s, start, source FROM billed_entries WHERE invoice_id = ? AND replaces IS NULL "
                        "ORDER BY rowid", (invoice_id,)):
        fields = {**dict(r), "day": date.fromisoformat(r["day"])}
        entries.setdefault((fields.pop("position"), r["entry_id"]), []).append(Billed(**fields))
    charges: dict[int, tuple[Charge, ...]] = {}
    for r in rows(conn, "SELECT position, kind, key, unit, quantity, unit_price, receipt FROM charges "
                        "WHERE invoice_id = ? ORDER BY rowid", (invoice_id,)):
        position = r["position"]
        covered = (entries.get((position, r["key"]), ()) if r["kind"] == HOURS else  # a model's charge: its line's
                   [b for (at, _), found in entries.items() if at == position for b in found])
        charge = Charge(kind=r["kind"], key=r["key"], unit=r["unit"], quantity=Decimal(r["quantity"]),
                        unit_price=Decimal(r["unit_price"]), entries=tuple(covered), receipt=r["receipt"])
        charges[position] = charges.get(position, ()) + (charge,)
    return charges


BILLED_EXPENSE_COLUMNS = ["expense_id", "number", "billed_to", "day", "detail", "amount"]  # billed_to: the client


def billed_expenses(conn: sqlite3.Connection, version: int) -> pd.DataFrame:
    """The expenses on live invoices (BILLED_EXPENSE_COLUMNS; `day` a Timestamp, `amount` Decimal as billed)."""
    found = [] if version < 7 else [
        {**dict(r), "amount": Decimal(r["amount"])} for r in rows(
            conn, "SELECT c.key AS expense_id, i.number, i.client_key AS billed_to, l.first_day AS day, l.detail, "
                  "l.amount FROM charges c JOIN invoices i ON i.id = c.invoice_id JOIN invoice_lines l "
                  "ON l.invoice_id = c.invoice_id AND l.position = c.position WHERE c.live = 1 AND c.kind = 'expense'")]
    return billed_expenses_frame(found)


def billed_expenses_frame(found: list[dict] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(found or [], columns=BILLED_EXPENSE_COLUMNS)
    return frame.assign(day=pd.to_datetime(frame["day"]))


def model_state(conn: sqlite3.Connection) -> Ledgered:
    """What the live invoices hold of the billing models (pricing/models.py): every live charge of a
    model (not the hours charges: one per billed entry, a year's are a million), the seconds and
    overage billed of each retainer period, the net billed per job and month."""
    live = conn.execute("SELECT kind, key FROM charges WHERE live = 1 AND kind <> ?", (HOURS,)).fetchall()
    overage_s: dict[str, int] = {}
    overages: dict[str, int] = {}
    for r in rows(conn, "SELECT key, quantity FROM charges WHERE live = 1 AND kind = ?", (OVERAGE,)):
        key = retainer_of(r["key"])
        overage_s[key] = overage_s.get(key, 0) + int((Decimal(r["quantity"]) * HOUR).to_integral_value())
        overages[key] = max(overages.get(key, 0), int(r["key"].rsplit(":", 1)[1]))
    linked_s: dict[str, int] = {}
    # from the retainers' charges to their lines' entries (CROSS JOIN: in that order), not from a year's entries
    for r in rows(conn, "SELECT c.kind, c.key, SUM(b.billed_s) AS seconds FROM charges c CROSS JOIN billed_entries b "
                        "ON b.invoice_id = c.invoice_id AND b.position = c.position WHERE c.kind IN (?, ?) AND "
                        "b.live = 1 AND b.replaces IS NULL GROUP BY c.kind, c.key", (RETAINER, OVERAGE)):
        key = r["key"] if r["kind"] == RETAINER else retainer_of(r["key"])
        linked_s[key] = linked_s.get(key, 0) + r["seconds"]
    net: dict[tuple[str, str, str], Decimal] = {}
    for r in rows(conn, "SELECT i.client_key, l.job_key, l.first_day, l.amount FROM invoice_lines l JOIN invoices i "
                        "ON i.id = l.invoice_id WHERE i.kind = 'invoice' AND i.status <> 'void'"):
        for month in (r["first_day"][:7], "total"):
            at = (r["client_key"], r["job_key"], month)
            net[at] = net.get(at, Decimal(0)) + Decimal(r["amount"])
    return Ledgered(charged=frozenset(live), linked_s=linked_s, overage_s=overage_s,
                    overages=overages, billed_net=net)


def billed_entries(conn: sqlite3.Connection) -> dict[str, str]:
    """entry id -> number of the live invoice it is on."""
    return {r["entry_id"]: r["number"] for r in rows(
        conn, "SELECT b.entry_id, i.number FROM billed_entries b JOIN invoices i ON i.id = b.invoice_id "
              "WHERE b.live = 1")}


def charged(conn: sqlite3.Connection) -> dict[tuple[str, str], str]:
    """(kind, key) of every live charge -> the number of the invoice it is on."""
    return {(r["kind"], r["key"]): r["number"] for r in rows(
        conn, "SELECT c.kind, c.key, i.number FROM charges c JOIN invoices i ON i.id = c.invoice_id "
              "WHERE c.live = 1")}


BILLED_COLUMNS = {  # the live billed entries as the checks compare them with the exports; None: a number
    "entry_id": "str", "slot": "str", "number": "str", "position": "int64", "client_key": "str", "job_key": "str",
    "day": "str", "person": "str", "description": "str", "billed_s": "int64", "written_down_from": "Int64",
    "duration_s": "Int64", "start": "object", "source": "object", "gone": "object", "replaces": "object"}  # text, None
ADDED_IN = {"written_down_from": 3, "duration_s": 4, "start": 4, "source": 4, "gone": 4, "replaces": 4}


def no_billed() -> pd.DataFrame:
    return _billed_frame([])


def billed(conn: sqlite3.Connection, version: int, on: Iterable[int] | None = None) -> pd.DataFrame:
    """The live billed entries (BILLED_COLUMNS) of a ledger of schema `version`, in the order they were
    recorded; `on`: those on these invoices (by id) only."""
    columns = ", ".join(f"{_column(c, version)} AS {c}" for c in BILLED_COLUMNS)
    ids = () if on is None else tuple(on)
    only = "" if on is None else f"AND b.invoice_id IN ({', '.join('?' * len(ids))}) "
    return _billed_frame(conn.execute(
        f"SELECT {columns} FROM billed_entries b JOIN invoices i ON i.id = b.invoice_id "
        "JOIN invoice_lines l ON l.invoice_id = b.invoice_id AND l.position = b.position "
        f"WHERE b.live = 1 {only}ORDER BY b.rowid", ids).fetchall())


def _column(name: str, version: int) -> str:
    """The billed-entries column `name` as a query of a ledger of `version` reads it (NULL before it existed)."""
    if version < ADDED_IN.get(name, 0):
        return "NULL"
    return {"number": "i.number", "client_key": "i.client_key", "job_key": "l.job_key"}.get(name, f"b.{name}")


def _billed_frame(found: list[tuple]) -> pd.DataFrame:
    """The frame of billed entries `found`; an object column's missing values None, whatever else it holds."""
    frame = pd.DataFrame(found, columns=list(BILLED_COLUMNS)).astype(BILLED_COLUMNS)
    texts = [c for c, dtype in BILLED_COLUMNS.items() if dtype == "object"]
    return frame.assign(**{c: frame[c].where(frame[c].notna(), None) for c in texts})


@dataclass(frozen=True, kw_only=True)
class Book:
    """The ledger as the reports read it."""

    invoices: tuple[InvoiceRecord, ...]
    lines: pd.DataFrame  # LINE_COLUMNS: every invoice line, amounts Decimal, `charge` its charges' kind (below)
    billed: pd.DataFrame  # BOOK_BILLED_COLUMNS: live billed entries, unit_price Decimal, `charge` their line's
    models: Ledgered = NOTHING_BILLED  # what the live invoices hold of the billing models (model_state)
    paid: Mapping[str, Decimal] = field(default_factory=dict)  # invoice or credit note number -> what payments paid

    def issued(self, pdfs: Mapping[str, str]) -> Book:
        """The book as it will be once each pending invoice `pdfs` names (number -> its PDF's path, as
        mark_issued records it) is issued: `bill` computes its report while their PDFs render."""
        invoices = tuple(replace(r, status="issued", pdf_path=pdfs[r.number])
                         if r.status == "pending" and r.number in pdfs else r for r in self.invoices)
        status = self.lines["status"]
        pending = status.eq("pending") & self.lines["number"].isin(list(pdfs))
        return replace(self, invoices=invoices, lines=self.lines.assign(status=status.mask(pending, "issued")))


# a line's `charge`: the kind of its charges (hours, retainer, overage, milestone, …; a model line has one),
# its key (a model's: retainer:kaffee/care:2026-11), "" for a line without charges (a cap's write-down)
LINE_COLUMNS = ["number", "kind", "status", "client_key", "period", "job_key", "unit", "quantity", "amount", "charge",
                "charge_key"]
BOOK_BILLED_COLUMNS = ["entry_id", "number", "billed_s", "unit_price", "written_down_from", "charge"]
CHARGES_ADDED_IN = 7  # the schema version of the charges table and the lines' unit: every line before was hours


def no_book() -> Book:
    return Book(invoices=(), lines=pd.DataFrame(columns=LINE_COLUMNS), billed=pd.DataFrame(columns=BOOK_BILLED_COLUMNS))


def book(conn: sqlite3.Connection, version: int, billed_of: Callable[..., pd.DataFrame] = billed) -> Book:
    """Every invoice, line and live billed entry of a ledger of schema `version`, with the charges'
    kinds (hours before the charges table) and the models' state; `billed_of(conn, version)`: the
    live billed entries (BILLED_COLUMNS) as `billed` reads them, or as they were kept (ledger/kept.py)."""
    charged = version >= CHARGES_ADDED_IN
    lines = _lines(conn, version)
    return Book(
        invoices=tuple(invoices(conn)),
        lines=pd.DataFrame([{**dict(r), "amount": Decimal(r["amount"]), "quantity": Decimal(r["quantity"])}
                            for r in lines], columns=LINE_COLUMNS),
        billed=book_billed(billed_of(conn, version), lines),
        models=model_state(conn) if charged else NOTHING_BILLED, paid=paid(conn, version))


def book_billed(entries: pd.DataFrame, lines: list[sqlite3.Row]) -> pd.DataFrame:
    """The live billed `entries` (BILLED_COLUMNS) as the book holds them (BOOK_BILLED_COLUMNS), in their
    order: each with its line's price and charge (`_lines`; a month's entries sit on a few hundred)."""
    on = pd.DataFrame([(r["number"], r["position"], Decimal(r["unit_price"]), r["charge"]) for r in lines],
                      columns=["number", "position", "unit_price", "charge"])
    on = on.astype({"number": "str", "position": "int64"})
    held = [c for c in entries.columns if c in BOOK_BILLED_COLUMNS or c == "position"]  # and where it sits
    found = entries[held].merge(on, how="left", on=["number", "position"], sort=False, validate="many_to_one",
                                indicator=True)
    if found["_merge"].ne("both").any():  # the foreign keys forbid it: a ledger edited or loaded without them
        raise sqlite3.DatabaseError("a billed entry's invoice line is missing")
    return found[BOOK_BILLED_COLUMNS]


def _lines(conn: sqlite3.Connection, version: int) -> list[sqlite3.Row]:
    """Every invoice line (LINE_COLUMNS, and its invoice_id, position and unit_price), in the series' order."""
    charged = version >= CHARGES_ADDED_IN
    kinds = ("LEFT JOIN (SELECT invoice_id, position, MIN(kind) AS kind, MIN(key) AS key FROM charges "
             "GROUP BY invoice_id, position) c ON c.invoice_id = l.invoice_id AND c.position = l.position"
             if charged else "")
    charge, key, unit = ("COALESCE(c.kind, '')", "COALESCE(c.key, '')", "l.unit") if charged else \
        (f"'{HOURS}'", "''", f"'{HUR}'")
    return rows(conn, f"SELECT l.invoice_id, l.position, l.unit_price, i.number, i.kind, i.status, i.client_key, "
                      f"i.period, l.job_key, {unit} AS unit, l.quantity, l.amount, {charge} AS charge, {key} AS "
                      f"charge_key FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id {kinds} "
                      "ORDER BY i.year, i.seq, l.position")


PAYMENTS_ADDED_IN = 10  # the schema version of the payments table


def paid(conn: sqlite3.Connection, version: int) -> dict[str, Decimal]:
    """Invoice or credit-note number -> the sum of the payments allocated to it (none before the payments table)."""
    if version < PAYMENTS_ADDED_IN:
        return {}
    found: dict[str, Decimal] = {}
    for r in rows(conn, "SELECT number, amount FROM payments WHERE number IS NOT NULL ORDER BY id"):
        found[r["number"]] = found.get(r["number"], Decimal(0)) + Decimal(r["amount"])
    return found


def booking_payments(conn: sqlite3.Connection, version: int) -> dict[str, tuple[tuple[str | None, str], ...]]:
    """Each bank booking recorded already -> what it paid (a number, None for a credit of the client) and by
    which rule, in the order recorded."""
    found: dict[str, tuple[tuple[str | None, str], ...]] = {}
    if version >= PAYMENTS_ADDED_IN:
        for r in rows(conn, "SELECT booking_id, number, rule FROM payments ORDER BY id"):
            found[r["booking_id"]] = (*found.get(r["booking_id"], ()), (r["number"], r["rule"]))
    return found


def paid_bookings(conn: sqlite3.Connection, version: int) -> frozenset[str]:
    """The bank bookings recorded as payments already: a statement read again adds nothing."""
    if version < PAYMENTS_ADDED_IN:
        return frozenset()
    return frozenset(r["booking_id"] for r in rows(conn, "SELECT DISTINCT booking_id FROM payments"))
