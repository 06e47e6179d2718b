"""Kimai: Timesheets → Export → CSV or Excel (English or German interface).

    Date,From,To,Duration,Rate,User,Customer,Project,Activity,Description,Exported,Tags,
    Hourly rate,Fixed rate
    Datum,Von,Bis,Dauer,Preis,Benutzer,Kunde,Projekt,Tätigkeit,Beschreibung,Exportiert,Tags,
    Stundenpreis,Festpreis

CSV may use `;`. The Excel export ends with a totals row (sums of duration and rate), which
is not an entry. The rate column is the entry's price; the hourly rate is Kimai's rate.
`Exported` (`Exportiert`) is Kimai's mark for time already invoiced or exported from Kimai:
`Cleared`/`Open` (`Abgerechnet`/`Offen`) in its interface's words, `1` and empty in a CSV,
TRUE/FALSE in a spreadsheet.
"""

from .format import Format

FORMAT = Format(
    name="kimai",
    title="Kimai timesheet export",
    tool="Kimai",
    columns={
        "date": ("date", "datum"),
        "start": ("from", "begin", "von", "beginn"),
        "end": ("to", "end", "bis", "ende"),
        "hours": ("duration", "dauer"),
        "amount": ("rate", "preis", "honorar"),
        "person": ("user", "benutzer", "name", "username", "benutzername"),
        "client": ("customer", "kunde"),
        "job": ("project", "projekt"),
        "task": ("activity", "tätigkeit", "aktivität"),
        "description": ("description", "beschreibung"),
        "billable": ("billable", "abrechenbar"),
        "rate": ("hourly rate", "hourlyrate", "stundenpreis", "stundensatz"),
        "invoiced": ("exported", "exportiert"),
    },
    required=frozenset({"date", "start", "end", "person", "client", "job"}),
    totals_row=True,
)
