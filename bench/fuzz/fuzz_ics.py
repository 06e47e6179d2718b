"""ICS calendars: any bytes, saved as input/cal.ics, read by `read_calendar()` for November 2026
in Europe/Berlin (unfolding and Exchange's mending, icalendar, x-wr-timezone, the recurrence
expansion with its density guards).

Invariant: read_calendar returns a Calendar (its events in the documented columns, each
occurrence inside the period) or raises CalendarError naming the file — nothing else — and
never hangs: run with -timeout (run.sh: 10 s; the reader's own budget is 1.5 s a file).
icalendar, recurring_ical_events and x_wr_timezone are instrumented too, so the fuzzer is
guided through the parsers the reader hands the text to.
"""


import atheris
import pandas as pd

with atheris.instrument_imports(include=["auftakt_batch", "icalendar", "recurring_ical_events", "x_wr_timezone"]):
    import icalendar  # noqa: F401  (read_calendar imports these lazily: import them here to instrument them)
    import recurring_ical_events  # noqa: F401
    import x_wr_timezone  # noqa: F401

    from auftakt_batch.calendars.read import COLUMNS, Calendar, CalendarError, read_calendar
    from auftakt_batch.periods import parse_period

from common import Scratch, run

PERIOD = parse_period("2026-11")
ZONE = "Europe/Berlin"
SCRATCH = Scratch()


def test_one_input(data: bytes) -> None:
    path = SCRATCH.write("cal.ics", data)
    label = SCRATCH.label(path)
    try:
        calendar = read_calendar(path, label, PERIOD, ZONE)
    except CalendarError as exc:
        assert str(exc).startswith(label), f"CalendarError does not name the file: {exc}"
        return
    assert isinstance(calendar, Calendar) and calendar.file == label
    events = calendar.events
    assert list(events.columns) == COLUMNS, list(events.columns)
    timed = events[~events["all_day"].astype(bool)]
    local = pd.to_datetime(timed["start"], utc=True).dt.tz_convert(ZONE)
    assert local.dt.date.between(PERIOD.start, PERIOD.end).all(), "a timed occurrence outside the period"
    days = events[events["all_day"].astype(bool)]
    assert all(first <= PERIOD.end and last >= PERIOD.start
               for first, last in zip(days["first_day"], days["last_day"])), "an all-day event outside the period"


if __name__ == "__main__":
    run("ics", test_one_input)
