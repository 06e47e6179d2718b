"""Harvest: Reports → Detailed time report → Export → CSV.

    Date,Client,Project,Project Code,Task,Notes,Hours,[Hours Rounded,]Billable?,Invoiced?,
    Approved?,First Name,Last Name,[Employee Id,]Roles,Employee?,Billable Rate,Billable Amount,
    Cost Rate,Cost Amount,Currency,External Reference URL

Decimal hours, no start or end. Numbers follow the account's format: `1,165.5` or `2.000,0`
(decided per file). The currency is written out: `Euro - EUR`. `Hours Rounded` is Harvest's
own rounding: auftakt-batch rounds by rates.yaml instead, from the raw hours. `Invoiced?` and
`Approved?` (Yes/No) are what Harvest already decided: an entry invoiced in Harvest is not
billed again (rates.yaml `imports:`).
"""

from .format import Format

FORMAT = Format(
    name="harvest",
    title="Harvest detailed time report",
    tool="Harvest",
    columns={
        "date": ("date", "spent date"),
        "client": ("client",),
        "job": ("project",),
        "task": ("task",),
        "description": ("notes",),
        "hours": ("hours",),
        "billable": (r"billable\?", "billable"),
        "first_name": ("first name",),
        "last_name": ("last name",),
        "rate": ("billable rate",),
        "amount": ("billable amount",),
        "currency": ("currency",),
        "invoiced": (r"invoiced\?", "invoiced"),
        "approved": (r"approved\?", "approved"),
    },
    required=frozenset({"date", "client", "job", "hours", "first_name", "last_name"}),
    notes={"hours rounded": "rates.yaml's rounding applies to the raw hours"},
)
