"""The native expense sheet: pass-through costs kept in a spreadsheet (CSV or XLSX).

    date,person,client,job,category,description,amount,currency,billable,receipt

`amount` as the timesheets write numbers (`12.50`, `12,50`, `1.234,50`); `billable` yes/no,
true/false or 1/0 (empty: yes); `receipt` optional: a PDF or image under input/, by its path
relative to input/ (`receipts/taxi-1103.pdf`).
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
    },
    required=frozenset({"date", "person", "client", "job", "category", "amount"}),
)
