"""The Receivables sheet: every invoice and credit note with money open — its state and the days
past its due date — the most overdue first; under it, per currency, the open money by age and
the days sales outstanding (payments/receivables.py computes them)."""

from __future__ import annotations

from dataclasses import asdict

import pandas as pd

from ..payments.receivables import BUCKETS, DSO_DAYS, Aging, Standing
from .sheets import Column, Sheet, table, title

COLUMNS = [
    Column("number", "number"), Column("kind", "kind"), Column("client", "client"),
    Column("issue_date", "issued", "date"), Column("due_date", "due", "date"), Column("gross", "gross", "money"),
    Column("paid", "paid", "money", note="What bank payments allocated to it (a credit note: what was refunded)."),
    Column("open", "open", "money", note="Gross less paid; a credit note: what the client paid of the invoice it "
                                         "cancels, not refunded yet (negative)."),
    Column("state", "state", note="open, part-paid, overdue (past its due date), refund due."),
    Column("days_overdue", "days overdue", "int"), Column("currency", "currency"),
]
AGING_COLUMNS = [Column("currency", "currency"),
                 *(Column(f"b{i}", label if low is None else f"{label} days", "money",
                          note="Open, not yet due." if low is None else f"Open, {label} days past due.")
                   for i, (label, low, _) in enumerate(BUCKETS)),
                 Column("open", "open", "money"),
                 Column("dso", "DSO (days)", "number", note=f"Days sales outstanding: open ÷ invoiced over the last "
                                                            f"{DSO_DAYS} days × {DSO_DAYS}.")]


def write_receivables(sheet: Sheet, rows: list[Standing], aging: list[Aging]) -> None:
    owing = sorted((s for s in rows if s.open), key=lambda s: (-s.days_overdue, s.due_date, s.number))
    frame = pd.DataFrame([asdict(s) for s in owing], columns=[c.key for c in COLUMNS])
    last = table(sheet, frame, COLUMNS)[1]
    top = max(last, 1) + 3
    title(sheet, top, "Open money by age")
    ages = pd.DataFrame([{"currency": a.currency, **{f"b{i}": v for i, (_, v) in enumerate(a.buckets)},
                          "open": a.open, "dso": a.dso} for a in aging], columns=[c.key for c in AGING_COLUMNS])
    table(sheet, ages, AGING_COLUMNS, row=top + 1, freeze=False)
