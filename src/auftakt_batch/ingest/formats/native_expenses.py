"""The native expense sheet: pass-through costs kept in a spreadsheet (CSV or XLSX).

    date,person,client,job,category,description,amount,currency,billable,receipt

`amount` as the timesheets write numbers (`12.50`, `12,50`, `1.234,50`); `billable` yes/no,
true/false or 1/0 (empty: yes); `receipt` optional: a PDF or image under input/, by its path
relative to input/ (`receipts/taxi-1103.pdf`). An optional `vat` column gives an expense its own
VAT rate in percent (`7`, `7%`, `0`), for clients billed with VAT; empty: its job's or the agency's.
"""

from .format import Format

FORMAT = Format(
    name="native-expenses",
    title="native expense sheet",
    kind="expense",
    columns={
        "date": ("date",),
        "person": ("person",),
        "client": ("client",),
        "job": ("job",),
        "category": ("category",),
        "description": ("description",),
        "amount": ("amount",),
        "currency": ("currency",),
        "billable": ("billable",),
        "receipt": ("receipt",),
        "vat": ("vat", "vat rate", "vat %"),
    },
    required=frozenset({"date", "person", "client", "job", "category", "amount"}),
)
