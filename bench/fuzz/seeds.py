"""Write each harness's seed inputs (small valid files, written here) into a corpus folder.

    python bench/fuzz/seeds.py CORPUS_ROOT      # → CORPUS_ROOT/{csv,xlsx,ics,json,values,rates}/seed-*

run.sh calls it before fuzzing; a corpus folder keeps what earlier runs found next to the seeds.
The names in the seeds are made up; none comes from real exports.
"""

import io
import sys
from datetime import datetime
from importlib.resources import files
from pathlib import Path

NATIVE = ("date,person,client,job,task,description,hours,billable\n"
          "2026-11-03,Mia Berg,Nordlicht GmbH,shop,Design,Checkout layout,1.5,yes\n"
          "03.11.2026,Mia Berg,Nordlicht GmbH,shop,,\"Call, notes\",1:30,no\n")
NATIVE_TIMES = ("date;person;client;job;description;start;end\n"
                "04.11.2026;Tom Kern;Nordlicht;shop;Nachtschicht;23:30;00:45\n"
                "05/11/2026;Tom Kern;Nordlicht;shop;Review;09:00;10:15\n")
TOGGL = ("User,Email,Client,Project,Task,Description,Billable,Start date,Start time,End date,End time,Duration,"
         "Tags,Amount (EUR)\n"
         "Mia Berg,mia@studio.example,Nordlicht GmbH,shop,,Layout,Yes,2026-11-03,09:00:00,2026-11-03,10:30:00,"
         "01:30:00,\"a, b\",180.00\n")
CLOCKIFY = ('"Project","Client","Description","Task","User","Group","Email","Tags","Type","Billable","Invoiced",'
            '"Invoice ID","Start Date","Start Time","End Date","End Time","Duration (h)","Duration (decimal)",'
            '"Billable Rate (USD)","Billable Amount (USD)","Date of creation"\n'
            '"shop","Nordlicht","Fix","","Tom Kern","","tom@studio.example","","Regular","Yes","No","",'
            '"11/16/2026","11:30 PM","11/17/2026","12:15 AM","00:45:00","0.75","130.00","97.50","11/16/2026"\n')
HARVEST = ("Date,Client,Project,Project Code,Task,Notes,Hours,Hours Rounded,Billable?,Invoiced?,Approved?,"
           "First Name,Last Name,Employee Id,Roles,Employee?,Billable Rate,Billable Amount,Cost Rate,Cost Amount,"
           "Currency,External Reference URL\n"
           '2026-11-12,Nordlicht,shop,,Design,Layout,9.75,10.0,Yes,No,No,Mia,Berg,,,Yes,120.0,"1,170.0",60.0,'
           "585.0,Euro - EUR,\n")
KIMAI_DE = ("sep=;\nDatum;Von;Bis;Dauer;Preis;Benutzer;Kunde;Projekt;Tätigkeit;Beschreibung;Exportiert;Tags;"
            "Stundenpreis;Festpreis\n"
            "25.10.2026;01:30;03:30;3:00;450,00 €;Tom Kern;Nordlicht;shop;Betrieb;Umstellung;nein;;150,00 €;\n"
            ";;;3:00;450,00 €;;;;;;;;;\n")
SOLIDTIME = ("Description,Task,Project,Client,User,Start,End,Duration,Duration (decimal),Billable,Tags\n"
             "Layout,,shop,Nordlicht,Mia Berg,2026-11-03 23:30:00,2026-11-04 00:45:00,1:15:00,1.25,Yes,\"a, b\"\n")
SOLIDTIME_IMPORT = ("description,billable,client,project,tags,start,end,task,user_name,user_email\n"
                    '"Fix","true","Nordlicht","shop","","2026-11-03T08:00:00Z","2026-11-03T09:30:00Z","","Tom Kern",'
                    '"tom@studio.example"\n')
KIMAI_EN = ("Date\tFrom\tTo\tDuration\tRate\tUser\tCustomer\tProject\tActivity\tDescription\tExported\tTags\t"
            "Hourly rate\tFixed rate\n"
            "2026-11-04\t22:00\t02:00\t04:00\t600.00\tTom Kern\tNordlicht\tshop\tOps\tRelease\tno\t\t150.00\t\n")

CSV = {
    "native.csv": NATIVE.encode(),
    "native-times-cp1252.csv": NATIVE_TIMES.encode("cp1252"),
    "native-utf16.csv": NATIVE.encode("utf-16"),
    "toggl.csv": ("\ufeff" + TOGGL).encode(),
    "clockify.csv": CLOCKIFY.encode(),
    "harvest.csv": HARVEST.encode(),
    "kimai-de.csv": KIMAI_DE.encode("cp1252"),
    "kimai-en.tsv": KIMAI_EN.encode(),
    "solidtime.csv": SOLIDTIME.encode(),
    "solidtime-import.csv": SOLIDTIME_IMPORT.encode(),
}

JSON = {  # fuzz_json: Watson's frames file (Unix seconds), and `watson log --json` (ISO 8601 with offsets)
    "frames.json": b'[\n [\n  1793692800,\n  1793698200,\n  "nordlicht/shop",\n  "5e0b7c",\n  [\n   "layout"\n  ],'
                   b'\n  1793698200\n ],\n [1793797200, 1793805300, "shop", "77aa01", [], 1793805300]\n]\n',
    "log.json": b'[{"id": "5e0b7c", "project": "shop", "start": "2026-11-05T10:00:00+01:00", '
                b'"stop": "2026-11-05T11:00:00+01:00", "tags": ["call", "review"]}]',
}

GRID = {  # fuzz_xlsx's text grid: tab-separated cells, typed by their first character
    "native.grid": "Timesheet November\n" + NATIVE.split("\n")[0].replace(",", "\t") + "\n"
                   "@2026-11-03\tMia Berg\tNordlicht\tshop\t\tLayout\t#1.5\t?1\n"
                   "@2026-11-04\tMia Berg\tNordlicht\tshop\t\tCall\t%01:30:00\tno\n",
    "kimai.grid": KIMAI_EN.split("\n")[0] + "\n"
                  "@2026-11-03\t@2026-11-03 09:00\t@2026-11-03 10:30\t%01:30:00\t#180\tTom Kern\tNordlicht\tshop\t"
                  "Ops\tDeploy\tno\t\t#120\n\t\t\t%01:30:00\t#180\n",
    "sheets.grid": "=== Notes\nnothing to see\n=== hidden Week 47\ndate\tperson\tclient\tjob\tstart\tend\n"
                   "2026-11-16\tTom Kern\tNordlicht\tshop\t~09:00\t~17:30:00\n",
}

SHEET_XML = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             '<row r="1"><c r="A1" t="inlineStr"><is><t>date</t></is></c><c r="B1" t="inlineStr"><is><t>person</t>'
             '</is></c><c r="C1" t="inlineStr"><is><t>client</t></is></c><c r="D1" t="inlineStr"><is><t>job</t></is>'
             '</c><c r="E1" t="inlineStr"><is><t>hours</t></is></c></row>'
             '<row r="2"><c r="A2" t="inlineStr"><is><t>2026-11-03</t></is></c>'
             '<c r="B2" t="inlineStr"><is><t>Mia Berg</t></is></c>'
             '<c r="C2" t="inlineStr"><is><t>Nordlicht</t></is></c><c r="D2" t="inlineStr"><is><t>shop</t></is></c>'
             '<c r="E2"><v>1.5</v></c></row></sheetData></worksheet>\n')


def ics(*events: str, head: str = "") -> bytes:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//fuzz seeds//EN\r\n" + head + "".join(
        "BEGIN:VEVENT\r\n" + e.strip().replace("\n", "\r\n") + "\r\nEND:VEVENT\r\n" for e in events)
        + "END:VCALENDAR\r\n").encode()


BERLIN = """BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
""".replace("\n", "\r\n")

ICS = {
    "simple.ics": ics("UID:a1\nSUMMARY:[nordlicht] Kickoff\nDTSTART:20261103T090000Z\nDTEND:20261103T100000Z\n"
                      "ATTENDEE;PARTSTAT=ACCEPTED:mailto:ines@nordlicht.example\nORGANIZER:mailto:mia@studio.example",
                      head="X-WR-CALNAME:Mia Berg\r\n"),
    "weekly.ics": ics("UID:w1\nSUMMARY:Weekly\nDTSTART;TZID=Europe/Berlin:20261002T100000\n"
                      "DTEND;TZID=Europe/Berlin:20261002T103000\n"
                      "RRULE:FREQ=WEEKLY;BYDAY=MO, FR;UNTIL=20261231T000000Z\n"
                      "EXDATE;TZID=Europe/Berlin:20261106T100000",
                      "UID:w1\nRECURRENCE-ID;TZID=Europe/Berlin:20261113T100000\nSUMMARY:Weekly (moved)\n"
                      "DTSTART;TZID=Europe/Berlin:20261113T140000\nDURATION:PT45M",
                      head=BERLIN),
    "allday.ics": ics("UID:v1\nSUMMARY:Urlaub\nDTSTART;VALUE=DATE:20261116\nDTEND;VALUE=DATE:20261121",
                      "UID:d1\nSUMMARY:Declined\nSTATUS:CANCELLED\nDTSTART:20261105T120000\nDTEND:20261105T130000"),
    "exchange.ics": ics("UID:x1\nSUMMARY:Jour fixe\nDTSTART;TZID=W. Europe Standard Time:20261104T150000\n"
                        "DTEND;TZID=W. Europe Standard Time:20261104T160000\nRRULE:FREQ=MONTHLY;BYDAY=1WE;COUNT=12",
                        head="X-WR-TIMEZONE:Europe/Berlin\r\n"),
}

VALUES = [  # fuzz_values: byte 1 picks the parser (0-5), byte 2 its option, the rest is the text
    b"\x00\x00" + b"1:30", b"\x00\x00" + b"1,165.5", b"\x01\x00" + b"03/11/2026", b"\x01\x01" + b"2026-11-03 09:00",
    b"\x01\x02" + b"03.11.26", b"\x02\x00" + b"10:23:52 AM", b"\x03\x00" + b"EUR 1,234.50",
    b"\x03\x01" + "1.234,50 €".encode(), b"\x04\x00" + b"ja", b"\x05\x00" + b"2026-11-03T08:00:00Z",
    b"\x05\x00" + b"2026-11-03T09:00:00+01:00", b"\x05\x00" + b"1793692800",
]

RATES = """\
agency:
  name: Studio Fuzz GmbH
  country: DE
  timezone: Europe/Berlin
  currency: EUR
  vat_rate: "19"
  rounding: {minutes: 15, mode: up}
team:
  - name: Mia Berg
    email: mia@studio.example
    aliases: ["M. Berg"]
    role: designer
    cost_rate: "50.00"
    hours_per_week: 40
  - name: Tom Kern
    timezone: America/New_York
clients:
  nordlicht:
    name: Nordlicht GmbH
    aliases: [Nordlicht]
    rate: "120.00"
    rates: [{from: 2026-11-16, rate: "130.00"}]
    budget: {hours: 40, per: month}
    calendar: {domains: [nordlicht.example], bill_meetings: true, job: shop}
    jobs:
      shop: {name: Web shop, rate: "140.00"}
      internal: {billable: false}
imports:
  date_format: DD/MM/YYYY
calendars:
  mia.ics: {owner: Mia Berg}
"""


def xlsx_seed() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(NATIVE.split("\n")[0].split(","))
    sheet.append([datetime(2026, 11, 3), "Mia Berg", "Nordlicht", "shop", "", "Layout", 1.5, "yes"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def main(root: Path) -> None:
    skeleton = files("auftakt_batch").joinpath("skeleton/rates.yaml").read_bytes()
    corpora = {
        "csv": CSV,
        "xlsx": {"book.xlsx": xlsx_seed(), "sheet.xml": SHEET_XML.encode(),
                 **{name: text.encode() for name, text in GRID.items()}},
        "ics": ICS,
        "json": JSON,
        "values": {f"{i}.txt": v for i, v in enumerate(VALUES)},
        "rates": {"small.yaml": RATES.encode(), "skeleton.yaml": skeleton},
    }
    for harness, seeds in corpora.items():
        folder = root / harness
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in seeds.items():
            (folder / f"seed-{name}").write_bytes(data)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
