"""solidtime: Reporting → Detailed → Export → CSV (or Excel, ODS).

    Description,Task,Project,Client,User,Start,End,Duration,Duration (decimal),Billable,Tags

`Start` and `End` are one cell each, date and time (`2026-11-03 09:00:00`), in the exporting
user's time zone (solidtime's profile setting); the date is read from them. `Duration` is
`1:30:00` in CSV and as the user's setting has it in Excel (`1h 30m`, `1,5 h`): the decimal
duration is read first. Billable is `Yes`/`No`.
"""

from .format import Format

FORMAT = Format(
    name="solidtime",
    title="solidtime detailed export",
    tool="solidtime",
    columns={
        "description": ("description",),
        "task": ("task",),
        "job": ("project",),
        "client": ("client",),
        "person": ("user",),
        "start": ("start",),
        "end": ("end",),
        "hours": (r"duration \(decimal\)", "duration"),
        "billable": ("billable",),
    },
    derived={"date": "start", "end_date": "end"},
    required=frozenset({"person", "job", "start", "end"}),
    notes={"tags": "tags are not billed"},
)
