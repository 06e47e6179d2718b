"""Clockify: Reports → Detailed → Export → Save as CSV (or Excel).

    Project,Client,Description,Task,User,Group,Email,Tags,[Type,]Billable,[Invoiced,Invoice ID,]
    Start Date,Start Time,End Date,End Time,Duration (h),Duration (decimal),
    Billable Rate (USD),Billable Amount (USD)[,Date of creation][, custom fields…]

Dates and times follow the user's settings: DD/MM/YYYY or MM/DD/YYYY (decided per file),
24-hour or `10:23:52 AM`, with or without seconds. Older reports call the task `Activity`.
Newer reports say whether an entry is already invoiced in Clockify (`Invoiced` Yes/No and its
`Invoice ID`) and, with approvals on, its approval status (`APPROVED`, `PENDING`, `UNSUBMITTED`
as the API names them).
"""

from .format import Format

FORMAT = Format(
    name="clockify",
    title="Clockify detailed report",
    tool="Clockify",
    columns={
        "job": ("project",),
        "client": ("client",),
        "description": ("description",),
        "task": ("task", "activity"),
        "person": ("user",),
        "email": ("email",),
        "billable": ("billable",),
        "date": ("start date",),
        "start": ("start time",),
        "end_date": ("end date",),
        "end": ("end time",),
        "hours": (r"duration \(h\)", r"duration \(decimal\)"),
        "rate": (r"billable rate \((?P<currency>[a-z]*)\)", "billable rate"),
        "amount": (r"billable amount \((?P<currency>[a-z]*)\)", "billable amount"),
        "invoiced": ("invoiced",),
        "invoice_id": ("invoice id",),
        "approved": ("approval status", "approval", "approved"),
    },
    report_rounding=True,
    required=frozenset({"job", "person", "date", "start", "end_date", "end"}),
    notes={"date of creation": "not the day of the work"},
)
