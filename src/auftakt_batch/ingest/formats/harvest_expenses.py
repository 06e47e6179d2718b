"""Harvest: Reports → Detailed expense report → Export → CSV.

    Date,Client,Project,Project Code,Expense Category,Notes,[Units,]Amount,Billable?,Invoiced?,
    [Reimbursable?,]First Name,Last Name,[Currency,]Receipt URL

Not found verbatim: Harvest's help (support.getharvest.com "Importing data", "How to track
expenses") names an expense's fields — date, client, project, expense category, notes, amount
or units, billable, receipt (.png .gif .pdf .jpg) — and its API v2 expense (`spent_date`,
`expense_category`, `notes`, `total_cost`, `units`, `billable`, `is_billed`, `receipt.url`);
the header is modelled on Harvest's detailed time report (formats/harvest.py: `Billable?`,
`First Name`, `Last Name`, `Currency` as `Euro - EUR`) with those fields. Hence the
alternatives for each name. A receipt *URL* points into Harvest, not at a file: only a
receipt column that names a file under input/ is attached (`Receipt`).
"""

from .format import Format

FORMAT = Format(
    name="harvest-expenses",
    title="Harvest detailed expense report",
    tool="Harvest",
    kind="expense",
    columns={
        "date": ("date", "spent date"),
        "client": ("client",),
        "job": ("project",),
        "category": ("expense category", "category"),
        "description": ("notes", "note"),
        "amount": ("amount", "total cost", "total amount"),
        "currency": ("currency",),
        "billable": (r"billable\?", "billable"),
        "first_name": ("first name",),
        "last_name": ("last name",),
        "receipt": ("receipt", "receipt file"),
    },
    required=frozenset({"date", "client", "job", "category", "amount", "first_name", "last_name"}),
    notes={"receipt url": "a link into Harvest, not a file under input/", "units": "the amount already counts them"},
)
