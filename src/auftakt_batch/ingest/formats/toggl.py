"""Toggl Track: Reports → Detailed → Export → Download CSV (or the time-entries export).

    User,Email,Client,Project,Task,Description,Billable,Start date,Start time,End date,End time,
    Duration,Tags,Amount (EUR)

The currency is inside the amount's header (`Amount ()` when the workspace has none); the
newer time-entries export has no Amount column and quotes every field. Times are in the
exporting user's time zone; Duration is h:mm:ss.
"""

from .format import Format

FORMAT = Format(
    name="toggl",
    title="Toggl Track detailed report",
    tool="Toggl Track",
    columns={
        "person": ("user", "member"),
        "email": ("email",),
        "client": ("client",),
        "job": ("project",),
        "task": ("task",),
        "description": ("description",),
        "billable": ("billable",),
        "date": ("start date",),
        "start": ("start time",),
        "end_date": ("end date",),
        "end": ("end time",),
        "hours": ("duration",),
        "amount": (r"amount \((?P<currency>[a-z]*)\)", "amount"),
    },
    report_rounding=True,
    required=frozenset({"person", "job", "date", "start", "end_date", "end"}),
    notes={"tags": "tags are not billed"},
)
