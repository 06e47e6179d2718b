"""Clockify: Reports → Expense report → Export → Save as CSV (or Excel).

    Date,Project,Client,Category,[Task,]User,[Email,]Note,Amount (EUR),Billable,[Invoiced,]Receipt

Not found verbatim: Clockify's help ("Track expenses", clockify.me/help/extra-features/expenses)
gives an expense's fields — date, project (and its client), category, amount or units, note,
billable (inherited from the project), a receipt (.png .gif .pdf .jpg .jpeg) — and its
detailed time report (formats/clockify.py) how it names them in a header: `User`, `Email`,
`Billable`, a currency in `Amount (USD)`. Dates follow the user's settings (decided per file).
"""

from .format import Format

FORMAT = Format(
    name="clockify-expenses",
    title="Clockify expense report",
    tool="Clockify",
    kind="expense",
    columns={
        "date": ("date",),
        "job": ("project",),
        "client": ("client",),
        "category": ("category",),
        "person": ("user",),
        "email": ("email",),
        "description": ("note", "notes", "description"),
        "amount": (r"amount \((?P<currency>[a-z]*)\)", "amount"),
        "billable": ("billable",),
        "receipt": ("receipt", "receipt file"),
    },
    required=frozenset({"date", "job", "category", "person", "amount"}),
)
