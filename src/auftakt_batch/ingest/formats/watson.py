"""Watson, the command-line tracker: its frames file (`~/.config/watson/frames`), or
`watson log --json`.

    [[1762156800, 1762162200, "acme/website", "5e0b…", ["layout", "review"], 1762162200], …]
    [{"id": "5e0b…", "project": "acme/website", "start": "2026-11-03T09:00:00+01:00", …}, …]

A frame is `[start, stop, project, id, tags, updated_at]`, times in Unix seconds (the log's
are ISO 8601 with the machine's offset). A Watson file is one person's and names no one: the
file's name says whose it is (`anna.json`, `anna-schmidt.json`), or, for a file keeping
Watson's own name (`frames`), its folder (`input/anna/frames`). The project is the job,
`client/job` naming its client too; the tags are the description.
"""

from .format import Format

FORMAT = Format(
    name="watson",
    title="Watson frames file",
    tool="Watson",
    columns={
        "start": ("start",),
        "end": ("stop",),
        "job": ("project",),
        "description": ("tags",),
    },
    derived={"date": "start", "end_date": "end"},
    clock="utc",
    container="json",
    positions=("start", "stop", "project", "id", "tags", "updated_at"),
    person_from_file=True,
    own_file_names=frozenset({"frames", "watson"}),
    client_separator="/",
    required=frozenset({"start", "end", "job"}),
)
