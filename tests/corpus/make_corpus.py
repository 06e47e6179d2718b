"""A corpus of malformed exports, generated: every one must be refused, loudly and precisely.

Each `Case` is one bad file, where it goes in a workspace, and where the message must point:
the file, and `file:row:column` when the fault sits in a cell. The test
(tests/test_hostile_inputs.py) checks a workspace holding it (and bills one for a case of each
kind of fault) and checks that the exit code is not 0, the message points there, the ledger is
unchanged and no invoice appears.

Every export format starts from a few good rows of one client (ACME, see conftest's
rates.yaml); a case breaks the file as a whole (empty, binary, truncated, wrongly encoded, a
column missing, renamed or repeated) or one cell of its third row. XLSX and ICS files get
their own cases (not a zip, zip and entity bombs; broken folding, hostile recurrence).

To add a case: add a mutation below. To look at the files, or seed a fuzzer with them:

    python -m tests.corpus.make_corpus DIR
"""

from __future__ import annotations

import io
import random
import sys
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

MB = 1024 * 1024


@dataclass(frozen=True)
class Case:
    name: str  # unique, e.g. "toggl/missing-column/Start date"
    path: str  # in the workspace, e.g. "input/toggl.csv"
    data: bytes
    where: str  # what the message must name: the file, or "file:row:column"
    calendar: bool = False  # the workspace then bills meetings and holds a good timesheet beside it
    period: str = "2026-11"  # the billing run's


@dataclass(frozen=True)
class Export:
    """One tracker's export, as good rows; `roles` names the header of each canonical column."""

    name: str
    header: list[str]
    rows: list[list[str]]
    roles: dict[str, str]
    required: tuple[str, ...]
    sep: str = ","
    encoding: str = "utf-8"
    bad: dict[str, list[str]] = field(default_factory=dict)  # role -> values no reader may accept

    @property
    def path(self) -> str:
        return f"input/{self.name}.csv"

    def csv(self, header: list[str] | None = None, rows: list[list[str]] | None = None) -> bytes:
        lines = [header or self.header] + (self.rows if rows is None else rows)
        return ("\n".join(self.sep.join(_quoted(c, self.sep) for c in line) for line in lines) + "\n").encode(
            self.encoding)

    def with_cell(self, role: str, value: str, row: int = 1, **also: str) -> bytes:
        """The export with row `row` (0-based; the third line of the file) set to `value` at `role`."""
        rows = [list(r) for r in self.rows]
        for name, text in {role: value, **also}.items():
            rows[row][self.header.index(self.roles[name])] = text
        return self.csv(rows=rows)


def _quoted(cell: str, sep: str) -> str:
    return f'"{cell.replace(chr(34), chr(34) * 2)}"' if any(c in cell for c in f'{sep}"\n') else cell


BAD_DATES = ["2026-13-45", "yesterday"]
BAD_HOURS = ["abc", "-1:00", "1e308", "99999999999999999999:00"]  # the last found by bench/fuzz
BAD_TIMES = ["25:00", "noon"]
BAD_AMOUNTS = ["1e400", "NaN"]

EXPORTS = [
    Export(
        "native", ["date", "person", "client", "job", "task", "description", "hours", "billable"],
        [["2026-11-03", "Anna Schmidt", "ACME", "website", "", "Layout", "1:30", "yes"],
         ["2026-11-04", "Anna Schmidt", "ACME", "website", "", "Review", "2:00", "yes"],
         ["2026-11-05", "Ben Okafor", "ACME", "website", "", "Fixes", "0:45", "yes"]],
        {"date": "date", "person": "person", "client": "client", "job": "job", "description": "description",
         "hours": "hours", "billable": "billable"},
        required=("date", "person", "client", "job", "hours"),
        bad={"date": BAD_DATES, "hours": BAD_HOURS, "billable": ["maybe", "2"], "person": ["Nobody Known"],
             "client": ["Unknown Client Ltd"], "job": ["no-such-job"]}),
    Export(
        "toggl", ["User", "Email", "Client", "Project", "Task", "Description", "Billable", "Start date", "Start time",
                  "End date", "End time", "Duration", "Tags", "Amount (EUR)"],
        [["Anna Schmidt", "anna@studio.example", "ACME GmbH", "Website Relaunch 2026", "", "Layout", "Yes",
          "2026-11-03", "09:00:00", "2026-11-03", "10:30:00", "01:30:00", "", "180.00"],
         ["Anna Schmidt", "anna@studio.example", "ACME GmbH", "Website Relaunch 2026", "", "Review", "Yes",
          "2026-11-04", "09:00:00", "2026-11-04", "11:00:00", "02:00:00", "", "240.00"],
         ["Ben Okafor", "ben@studio.example", "ACME GmbH", "Website Relaunch 2026", "", "Fixes", "Yes",
          "2026-11-05", "14:00:00", "2026-11-05", "14:45:00", "00:45:00", "", "90.00"]],
        {"person": "User", "email": "Email", "client": "Client", "job": "Project", "description": "Description",
         "billable": "Billable",
         "date": "Start date", "start": "Start time", "end_date": "End date", "end": "End time", "hours": "Duration",
         "amount": "Amount (EUR)"},
        required=("person", "job", "date", "start", "end_date", "end"),
        bad={"date": BAD_DATES, "start": BAD_TIMES, "end": BAD_TIMES, "hours": BAD_HOURS, "amount": BAD_AMOUNTS,
             "billable": ["maybe"], "job": ["no-such-job"]}),
    Export(
        "clockify", ["Project", "Client", "Description", "Task", "User", "Group", "Email", "Tags", "Billable",
                     "Start Date", "Start Time", "End Date", "End Time", "Duration (h)", "Duration (decimal)",
                     "Billable Rate (EUR)", "Billable Amount (EUR)"],
        [["Website Relaunch 2026", "ACME", "Layout", "", "Anna Schmidt", "", "anna@studio.example", "", "Yes",
          "17/11/2026", "09:00:00", "17/11/2026", "10:15:00", "01:15:00", "1.25", "120.00", "150.00"],
         ["Website Relaunch 2026", "ACME", "Review", "", "Anna Schmidt", "", "anna@studio.example", "", "Yes",
          "18/11/2026", "09:00:00", "18/11/2026", "11:00:00", "02:00:00", "2.00", "120.00", "240.00"],
         ["Website Relaunch 2026", "ACME", "Fixes", "", "Ben Okafor", "", "ben@studio.example", "", "Yes",
          "19/11/2026", "13:00:00", "19/11/2026", "15:00:00", "02:00:00", "2.00", "120.00", "240.00"]],
        {"job": "Project", "client": "Client", "description": "Description", "person": "User", "billable": "Billable",
         "date": "Start Date", "start": "Start Time", "end_date": "End Date", "end": "End Time",
         "hours": "Duration (h)", "amount": "Billable Amount (EUR)", "rate": "Billable Rate (EUR)"},
        required=("job", "person", "date", "start", "end_date", "end"),
        bad={"date": BAD_DATES, "start": BAD_TIMES, "hours": BAD_HOURS, "amount": BAD_AMOUNTS,
             "rate": BAD_AMOUNTS[:2], "client": ["Unknown Client Ltd"]}),
    Export(
        "harvest", ["Date", "Client", "Project", "Project Code", "Task", "Notes", "Hours", "Billable?", "Invoiced?",
                    "Approved?", "First Name", "Last Name", "Roles", "Employee?", "Billable Rate", "Billable Amount",
                    "Cost Rate", "Cost Amount", "Currency", "External Reference URL"],
        [["2026-11-03", "ACME GmbH", "Website relaunch", "", "Design", "Layout", "1.5", "Yes", "No", "No", "Anna",
          "Schmidt", "", "Yes", "120.0", "180.0", "0", "0", "Euro - EUR", ""],
         ["2026-11-04", "ACME GmbH", "Website relaunch", "", "Design", "Review", "2.0", "Yes", "No", "No", "Anna",
          "Schmidt", "", "Yes", "120.0", "240.0", "0", "0", "Euro - EUR", ""],
         ["2026-11-05", "ACME GmbH", "Website relaunch", "", "Dev", "Fixes", "0.75", "Yes", "No", "No", "Ben",
          "Okafor", "", "Yes", "120.0", "90.0", "0", "0", "Euro - EUR", ""]],
        {"date": "Date", "client": "Client", "job": "Project", "description": "Notes", "hours": "Hours",
         "billable": "Billable?", "first_name": "First Name", "last_name": "Last Name", "rate": "Billable Rate",
         "amount": "Billable Amount", "currency": "Currency"},
        required=("date", "client", "job", "hours", "first_name", "last_name"),
        bad={"date": BAD_DATES, "hours": BAD_HOURS, "amount": BAD_AMOUNTS, "billable": ["maybe"]}),
    Export(
        "kimai", ["Datum", "Von", "Bis", "Dauer", "Preis", "Benutzer", "Kunde", "Projekt", "Tätigkeit", "Beschreibung",
                  "Exportiert", "Tags", "Stundenpreis", "Festpreis"],
        [["03.11.2026", "09:00", "10:30", "1:30", "180,00 €", "Anna Schmidt", "ACME GmbH", "Website relaunch",
          "Gestaltung", "Überarbeitung", "nein", "", "120,00 €", ""],
         ["04.11.2026", "09:00", "11:00", "2:00", "240,00 €", "Anna Schmidt", "ACME GmbH", "Website relaunch",
          "Gestaltung", "Prüfung", "nein", "", "120,00 €", ""],
         ["05.11.2026", "14:00", "14:45", "0:45", "90,00 €", "Ben Okafor", "ACME GmbH", "Website relaunch",
          "Entwicklung", "Korrektur", "nein", "", "120,00 €", ""]],
        {"date": "Datum", "start": "Von", "end": "Bis", "hours": "Dauer", "amount": "Preis", "person": "Benutzer",
         "client": "Kunde", "job": "Projekt", "description": "Beschreibung", "rate": "Stundenpreis"},
        required=("date", "start", "end", "person", "client", "job"),
        sep=";", encoding="cp1252",
        bad={"date": BAD_DATES, "start": BAD_TIMES, "end": BAD_TIMES, "hours": BAD_HOURS, "amount": BAD_AMOUNTS}),
]


def csv_cases(x: Export) -> Iterator[Case]:
    """Faults of the file as a whole, of its header, and of one cell."""
    label, good = x.path, x.csv()
    noise = random.Random(x.name)
    words = x.rows[1][x.header.index(x.roles["description"])].encode(x.encoding)  # the third line's description
    whole = {
        "empty": b"",
        **({"header-only": x.csv(rows=[])} if x.name != "native" else {}),  # a native template may be empty
        "binary-garbage": noise.randbytes(4096),
        "truncated-in-a-quote": good[: len(good) * 2 // 3] + b'"unterminated, ' + b"x" * 20,
        "nul-bytes": good.replace(words, words[:2] + b"\x00" + words[2:]),
        "utf16-odd-length": b"\xff\xfe" + good.decode(x.encoding).encode("utf-16-le")[:-1],
        "undefined-cp1252-byte": good.replace(words, words[:2] + b"\x81" + words[2:]),
        "one-mb-line-without-newline": b"x" * MB,
        "header-of-one-mb": b"a" * MB + b"\n" + good,
    }
    if x.encoding == "utf-8":
        whole["latin1-line-in-utf8"] = good.replace(words, words + "é".encode()) + "Fixé".encode("cp1252")
    for name, data in whole.items():
        yield Case(f"{x.name}/{name}", label, data, label)
    for role in x.required[:3]:
        column = x.roles[role]
        missing = [h for h in x.header if h != column]
        yield Case(f"{x.name}/missing-column/{column}", label,
                   x.csv(missing, [[c for h, c in zip(x.header, r) if h != column] for r in x.rows]), label)
    first = x.roles[x.required[0]]
    renamed = [f"{h}x" if h == first else h for h in x.header]
    yield Case(f"{x.name}/renamed-column/{first}", label, x.csv(header=renamed), label)
    repeated = x.header + [first]
    yield Case(f"{x.name}/repeated-column/{first}", label,
               x.csv(repeated, [r + [r[x.header.index(first)]] for r in x.rows]), label)
    yield Case(f"{x.name}/too-many-fields", label, x.csv(rows=[x.rows[0], x.rows[1] + ["extra", "fields"]]),
               f"{label}:3")
    yield Case(f"{x.name}/too-few-fields", label, x.csv(rows=[x.rows[0], x.rows[1][:3]]), f"{label}:3")
    for role, values in x.bad.items():
        for value in values:
            yield Case(f"{x.name}/bad-{role}/{value}", label, x.with_cell(role, value), f"{label}:3:{x.roles[role]}")
    if "email" in x.roles:  # a person is found by name or email: neither is known
        yield Case(f"{x.name}/unknown-person-and-email", label,
                   x.with_cell("person", "Nobody Known", email="nobody@elsewhere.example"), f"{label}:3")
    if "last_name" in x.roles:  # the person is the first and last name together
        yield Case(f"{x.name}/unknown-person", label, x.with_cell("last_name", "Nobody"), f"{label}:3")
    yield Case(f"{x.name}/one-mb-description", label, x.with_cell("description", "x" * MB),
               f"{label}:3:{x.roles['description']}")
    yield from _clock_cases(x)


def _clock_cases(x: Export) -> Iterator[Case]:
    """Wall times that do not exist, or exist twice, in Europe/Berlin with no duration to decide
    (billed in their month); an end before the start on the end date the export gives."""
    if "start" not in x.roles or "end" not in x.roles:
        return
    label, blank = x.path, {"hours": "", **({"amount": ""} if "amount" in x.roles else {})}
    day = {"toggl": "2026-{m}-{d}", "clockify": "{d}/{m}/2026", "kimai": "{d}.{m}.2026"}[x.name]
    clock = (lambda hm: hm) if x.name == "kimai" else (lambda hm: hm + ":00")
    for name, (month, d, begin, finish) in {"nonexistent-wall-time": ("03", "29", "02:30", "03:45"),
                                            "ambiguous-wall-time": ("10", "25", "02:15", "02:45")}.items():
        date = day.format(m=month, d=d)
        ends = {"end_date": date} if "end_date" in x.roles else {}
        yield Case(f"{x.name}/{name}", label, x.with_cell("start", clock(begin), date=date, end=clock(finish),
                                                          **ends, **blank), f"{label}:3", period=f"2026-{month}")
    if "end_date" in x.roles:
        yield Case(f"{x.name}/end-before-start-on-the-same-day", label,
                   x.with_cell("start", clock("17:00"), **blank), f"{label}:3")


def xlsx_cases() -> Iterator[Case]:
    from openpyxl import Workbook

    native = EXPORTS[0]
    label = "input/timesheet.xlsx"

    def book(rows: list[list]) -> bytes:
        workbook = Workbook()
        for row in rows:
            workbook.active.append(row)
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()

    good = book([native.header, *native.rows])
    yield Case("xlsx/not-a-zip", label, b"date,person\n2026-11-03,Anna\n", label)
    yield Case("xlsx/truncated-zip", label, good[: len(good) // 2], label)
    yield Case("xlsx/empty-file", label, b"", label)
    yield Case("xlsx/encrypted-ole", label, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4096, label)
    yield Case("xlsx/html-named-xls", "input/timesheet.xls", b"<html><table><tr><td>date</td></tr></table></html>",
               "input/timesheet.xls")
    yield Case("xlsx/garbage-named-ods", "input/timesheet.ods", random.Random(7).randbytes(2048), "input/timesheet.ods")
    yield Case("xlsx/zip-without-workbook", label, _zip({"hello.txt": b"hi"}), label)
    yield Case("xlsx/zip-bomb", label, _zip({"xl/worksheets/sheet1.xml": b"\x00" * (64 * MB)}), label)
    yield Case("xlsx/entity-bomb", label, _entity_bomb(good), label)
    yield Case("xlsx/no-rows", label, book([]), label)
    yield Case("xlsx/clockify-header-only", label, book([EXPORTS[2].header]), label)
    cells = {"date": ["yesterday", True, 10**9], "hours": [-1.5, 1e308, "#REF!"],
             "person": ["Nobody Known"], "client": ["Unknown Client Ltd"], "description": ["x" * MB]}
    for role, values in cells.items():
        for value in values:
            rows = [list(r) for r in native.rows]
            rows[1][native.header.index(role)] = value
            yield Case(f"xlsx/bad-{role}/{str(value)[:20]}", label, book([native.header, *rows]),
                       f"{label}:3:{role}")


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


def _entity_bomb(good: bytes) -> bytes:
    """The workbook with its shared strings replaced by a billion laughs."""
    lol = "".join(f'<!ENTITY l{i} "{("&l%d;" % (i - 1)) * 10}">' for i in range(1, 10))
    bomb = (f'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY l0 "lol">{lol}]>'
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
            "<si><t>&l9;</t></si></sst>").encode()
    source = zipfile.ZipFile(io.BytesIO(good))
    members = {n: source.read(n) for n in source.namelist()}
    members["xl/sharedStrings.xml"] = bomb
    return _zip(members)


ICS_HEAD = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//corpus//EN\r\n"
ICS_EVENT = ("BEGIN:VEVENT\r\nUID:e1@corpus\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:20261103T090000Z\r\n"
             "DTEND:20261103T100000Z\r\nSUMMARY:ACME weekly\r\nORGANIZER:mailto:pm@acme.example\r\n"
             "ATTENDEE;PARTSTAT=ACCEPTED:mailto:anna@studio.example\r\n{extra}END:VEVENT\r\n")
ICS_TAIL = "END:VCALENDAR\r\n"


def ics(extra: str = "", events: int = 1) -> bytes:
    return (ICS_HEAD + "".join(ICS_EVENT.replace("e1@", f"e{i}@").format(extra=extra) for i in range(events))
            + ICS_TAIL).encode()


def ics_cases() -> Iterator[Case]:
    label = "input/calendars/anna.ics"
    good = ics()
    broken = {
        "empty": b"",
        "binary-garbage": random.Random(3).randbytes(4096),
        "no-vcalendar": b"BEGIN:VEVENT\r\nSUMMARY:x\r\nEND:VEVENT\r\n",
        "truncated": good[: len(good) // 2],
        "unterminated-event": (ICS_HEAD + "BEGIN:VEVENT\r\nUID:x\r\nDTSTART:20261103T090000Z\r\n").encode(),
        "broken-folding": good.replace(b"SUMMARY:ACME weekly\r\n", b"SUMMARY:ACME\r\nweekly without a fold\r\n"),
        "unfolded-attendee": good.replace(b"ATTENDEE;PARTSTAT=ACCEPTED:mailto:anna@studio.example",
                                          b"ATTENDEE;PARTSTAT=ACCEPTED:mailto:anna@\r\nstudio.example"),
        "property-without-colon": good.replace(b"SUMMARY:ACME weekly", b"SUMMARY ACME weekly"),
        "bad-dtstart": good.replace(b"DTSTART:20261103T090000Z", b"DTSTART:20261399T250000Z"),
        "unknown-tzid": good.replace(b"DTSTART:20261103T090000Z", b"DTSTART;TZID=Mars/Olympus_Mons:20261103T090000"),
        "secondly": ics("RRULE:FREQ=SECONDLY\r\n"),
        "minutely": ics("RRULE:FREQ=MINUTELY;INTERVAL=1\r\n"),
        "dense-by-parts": ics("RRULE:FREQ=DAILY;BYHOUR=" + ",".join(map(str, range(24)))
                              + ";BYMINUTE=" + ",".join(map(str, range(60))) + "\r\n"),
        "many-rrules": ics("".join(f"RRULE:FREQ=DAILY;BYHOUR={h};BYMINUTE={m}\r\n"
                                   for h in range(24) for m in range(0, 60, 5))),
        "rdate-flood": ics("RDATE:" + ",".join(f"202611{d:02d}T{h:02d}{m:02d}00Z" for d in range(1, 31)
                                               for h in range(24) for m in range(0, 60, 6)) + "\r\n"),
        "event-flood": ics(events=5100),
        "garbage-rrule": ics("RRULE:FREQ=SOMETIMES;BYDAY=XX\r\n"),
        "rrule-bad-until": ics("RRULE:FREQ=WEEKLY;UNTIL=tomorrow\r\n"),
        "rrule-interval-zero": ics("RRULE:FREQ=DAILY;INTERVAL=0\r\n"),
        "exdate-garbage": ics("RRULE:FREQ=DAILY;COUNT=5\r\nEXDATE:not-a-date\r\n"),
    }
    for name, data in broken.items():
        yield Case(f"ics/{name}", label, data, label, calendar=True)


def cases() -> list[Case]:
    found = [case for export in EXPORTS for case in csv_cases(export)] + list(xlsx_cases()) + list(ics_cases())
    names = [c.name for c in found]
    assert len(names) == len(set(names)), "case names must be unique"
    return found


def write(folder: Path, only: Callable[[Case], bool] = lambda case: True) -> int:
    """Every case under `folder`, one file each, named after the case."""
    count = 0
    for case in filter(only, cases()):
        target = folder / (case.name.replace("/", "__") + Path(case.path).suffix)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(case.data)
        count += 1
    return count


if __name__ == "__main__":
    print(f"{write(Path(sys.argv[1]))} files written to {sys.argv[1]}")
