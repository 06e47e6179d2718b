"""The billing models on the Over-servicing sheet: a table per model the workspace bills by,
under the budgets — each retainer period, each fixed price, each capped job (reports/models.py
computes them) — and the Entries sheet's column saying which model bills an entry."""

from __future__ import annotations

import pandas as pd

from .models import Models
from .sheets import Column, Sheet, table, title

MODEL_ENTRY_COLUMNS = [Column("model_text", "billed as", note="Which billing model bills the entry: a retainer's fee "
                                                              "or a fixed price's milestone covers it; blank: by the "
                                                              "hour.")]
RETAINER_COLUMNS = [
    Column("client", "client"), Column("job", "job"), Column("name", "name"), Column("period", "period"),
    Column("fee", "fee", "money"), Column("fee_invoice", "fee invoiced on", note="Blank: not billed yet."),
    Column("included", "included h", "hours", note="The retainer's hours a period plus those rolled over."),
    Column("rolled_over", "of which rolled over", "hours", note="Unused hours of the period before (if billed), up "
                                                                "to rollover.max_hours."),
    Column("used", "used h", "hours", note="Billed hours of the job's entries dated in the period, invoiced or not."),
    Column("unused", "unused h", "hours"),
    Column("overage", "overage h", "hours", note="Used beyond the included hours."),
    Column("overage_billed", "overage billed h", "hours"),
    Column("overage_billed_value", "overage billed", "money"),
    Column("overage_to_bill", "overage to bill h", "hours", note="Overage of late entries: the next bill bills it."),
    Column("overage_to_bill_value", "overage to bill", "money"),
    Column("written_down", "written down h", "hours", note="overage: absorb: the hours beyond the included ones, "
                                                           "given away."),
    Column("written_down_value", "written down value", "money", note="At the job's (else the client's) hourly rate."),
]
FIXED_COLUMNS = [
    Column("client", "client"), Column("job", "job"), Column("name", "name"), Column("price", "price", "money"),
    Column("milestones", "milestones billed"),
    Column("billed", "billed so far", "money", note="The milestones on live invoices, every period."),
    Column("remaining", "remaining", "money"),
    Column("hours", "hours spent", "hours", note="All time logged on the job up to the period's end."),
    Column("rate", "notional rate", "money", note="The job's hourly rate (else the client's), if any."),
    Column("notional_value", "notional value", "money", note="Hours spent × the notional rate."),
    Column("burn_pct", "burn %", "pct", note="Notional value ÷ price."),
    Column("effective_rate", "effective rate", "money", note="Billed so far ÷ hours spent: it falls as hours grow."),
]
CAP_COLUMNS = [
    Column("client", "client"), Column("job", "job"), Column("name", "name"), Column("cap", "cap"),
    Column("billed", "billed by the hour", "money", note="The job's hours lines on the period's live invoices."),
    Column("written_down_value", "written down", "money", note="The cap's write-down lines."),
    Column("written_down", "written down h", "hours", note="At the hours lines' average rate."),
]


def write_models(sheet: Sheet, models: Models, currency: str) -> None:
    """Under what the sheet holds: a titled table per model with rows."""
    for heading, frame, columns in (("Retainers", models.retainers, RETAINER_COLUMNS),
                                    ("Fixed prices", models.fixed, FIXED_COLUMNS),
                                    ("Caps", models.caps, CAP_COLUMNS)):
        if frame.empty:
            continue
        row = sheet.max_row + 3
        title(sheet, row, heading)
        table(sheet, frame, columns, row=row + 1, freeze=False, agency_currency=currency)


def model_text(models: pd.Series, invoices: pd.Series) -> list[str]:
    """Per entry, what the Entries sheet says of its model."""
    words = {"retainer": ("retainer", "covered by the retainer"),
             "fixed": ("fixed price", "covered by the fixed price")}
    return [words[m][0 if n else 1] if m in words else "" for m, n in zip(models, invoices)]
