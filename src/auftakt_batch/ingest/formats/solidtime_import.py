"""solidtime's generic time-entry import (Import → "Generic time entries"): the CSV other tools
write to move into solidtime, and what an agency may have made for it.

    description,billable,client,project,tags,start,end,task,user_name,user_email

`start` and `end` are UTC instants, ISO 8601 (`2026-11-03T08:00:00Z`); billable is
`true`/`false`. The day of an entry is its start's day in the agency's time zone, as for every
export; its identity keeps the UTC time as written, so no time-zone setting changes it.
"""

from .format import Format

FORMAT = Format(
    name="solidtime-import",
    title="solidtime import CSV",
    tool="solidtime",
    columns={
        "description": ("description",),
        "billable": ("billable",),
        "client": ("client",),
        "job": ("project",),
        "start": ("start",),
        "end": ("end",),
        "task": ("task",),
        "person": ("user_name",),
        "email": ("user_email",),
    },
    derived={"date": "start", "end_date": "end"},
    clock="utc",
    required=frozenset({"person", "job", "start", "end"}),
    notes={"tags": "tags are not billed"},
)
