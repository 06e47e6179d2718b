"""The native timesheet: for teams that track in a shared spreadsheet (`init` writes a template).

    date,person,client,job,task,description,hours,billable   (optional: start,end)
"""

from .format import Format

FORMAT = Format(
    name="native",
    title="native timesheet",
    columns={
        "date": ("date",),
        "person": ("person",),
        "client": ("client",),
        "job": ("job",),
        "task": ("task",),
        "description": ("description",),
        "hours": ("hours",),
        "billable": ("billable",),
        "start": ("start",),
        "end": ("end",),
    },
    required=frozenset({"date", "person", "client", "job"}),
    one_of=(frozenset({"hours"}), frozenset({"start", "end"})),
)
