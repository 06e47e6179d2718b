#!/usr/bin/env python3
"""The demo agency at scale: N people, C clients and exactly E entries over M months.

    python bench/generate.py --out /tmp/ws --people 100 --clients 300 --entries 20000
    python bench/generate.py --out /tmp/ws --people 500 --clients 300 --entries 1000000 --months 10

Writes a workspace (rates.yaml, templates/, input/) in the shapes real teams export, one
file per team and month, deterministic from the seed. The team of each person decides the
format:
  - native timesheet CSV the way German Excel saves it (semicolons, DD.MM.YYYY, decimal
    commas, CSV UTF-8 with BOM), with start and end;
  - Toggl Track detailed report (ISO dates, HH:MM:SS durations, times to the minute);
  - Clockify detailed report (MM/DD/YYYY, 12-hour clock, both duration columns);
  - Harvest detailed time report (first and last name, decimal hours);
and every tenth person's calendar as ICS: a weekly ACME status call and a weekly Umbrella
check-in (a client that bills its meetings), recurring over the months, with one occurrence
excluded. The entries are the demo's (people.py and clients of scripts/make_demo.py):
people work the weekdays of the months, their day filled by consecutive entries for a few
focus clients and the agency itself; clients and jobs are written under their names,
aliases or keys, as people type them.

Generating is vectorised (numpy), so a million entries take seconds, not minutes.
`truth()` gives the generated entries themselves, for tests that compare the tool's totals.
"""

from __future__ import annotations

import argparse
import calendar
import shutil
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from make_demo import CAST, CLIENTS, INTERNAL, MONTH, clients, people, rates_yaml  # noqa: E402

FORMATS = ("native", "toggl", "clockify", "harvest")  # person i exports in FORMATS[i % 4]
INTERNAL_SHARE = 0.15  # of entries on the agency's own jobs
FOCUS = 4  # clients each person works for
CALENDAR_EVERY = 10  # every tenth person exports a calendar


def months(count: int) -> list[tuple[int, int]]:
    """The `count` months that end with the demo's month (November 2026)."""
    year, month = MONTH
    out = []
    for _ in range(count):
        out.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def period(count: int) -> str:
    """The period covering the generated months, as `--period` takes it."""
    (y0, m0), (y1, m1) = months(count)[0], months(count)[-1]
    return f"{y0:04d}-{m0:02d}" if count == 1 else \
        f"{date(y0, m0, 1)}..{date(y1, m1, calendar.monthrange(y1, m1)[1])}"


def truth(seed: int, n_people: int, n_clients: int, n_entries: int, n_months: int = 1,
          formats: tuple[str, ...] = FORMATS) -> pd.DataFrame:
    """The entries, one row each: person (index), format, day, start and seconds (local, from
    midnight), client (index; n_clients is the agency itself), job and description (indexes
    into `_jobs`), ticket."""
    rng = np.random.default_rng(seed)
    days = np.array([d for y, m in months(n_months) for d in _weekdays(y, m)], dtype="datetime64[D]")
    slots = n_people * len(days)
    per_slot = np.full(slots, n_entries // slots)
    per_slot[rng.choice(slots, n_entries % slots, replace=False)] += 1
    slot = np.repeat(np.arange(slots), per_slot)
    person, day = slot // len(days), slot % len(days)
    first = np.repeat(np.cumsum(per_slot) - per_slot, per_slot)
    k = np.repeat(per_slot, per_slot)  # entries in the entry's day

    # a day of about eight hours in quarter hours, split into k entries; trackers with a clock add seconds
    low = np.maximum(1, 24 // k)
    quarters = rng.integers(low, np.maximum(low + 1, 40 // k) + 1)
    fmt = np.array(formats)[person % len(formats)]
    clocked = np.isin(fmt, ["toggl", "clockify"])
    seconds = quarters * 900 + np.where(clocked, rng.choice([0, 0, 180, -180, 360], len(slot)), 0)
    gap = rng.choice([0, 0, 300, 900], len(slot))
    step = np.cumsum(seconds + gap)
    start = 9 * 3600 + step - (seconds + gap) - np.where(first > 0, step[first - 1], 0)

    focus = rng.permutation(n_clients)[(FOCUS * np.arange(n_people)[:, None] + np.arange(FOCUS)) % n_clients]
    client = np.where(rng.random(len(slot)) < INTERNAL_SHARE, n_clients,
                      focus[person, rng.integers(0, FOCUS, len(slot))])
    jobs = _jobs(n_clients)
    first_job = jobs.groupby("client")["job"].idxmin().to_numpy()
    job_count = jobs.groupby("client").size().to_numpy()
    job = first_job[client] + (rng.random(len(slot)) * job_count[client]).astype(int)
    described = jobs["descriptions"].to_numpy()
    description = (rng.random(len(slot)) * np.array([len(d) for d in described])[job]).astype(int)
    return pd.DataFrame({
        "person": person, "format": fmt, "day": days[day], "start": start,
        "seconds": seconds, "client": client, "job": job, "description": description,
        "ticket": rng.integers(100, 10_000, len(slot)),
    })


def _weekdays(year: int, month: int) -> list[date]:
    return [date(year, month, d) for d in range(1, calendar.monthrange(year, month)[1] + 1)
            if date(year, month, d).weekday() < 5]


def _jobs(n_clients: int) -> pd.DataFrame:
    """Every job of the clients and of the agency: client index, keys, names, aliases, billable."""
    rows = [(i, c[0], j[0], j[1], j[2] or j[1], "billable: false" not in j[3], tuple(j[4]))
            for i, c in enumerate(clients(n_clients)) for j in c[8]]
    rows += [(n_clients, INTERNAL[0], key, name, alias, False, tuple(descriptions))
             for key, name, alias, descriptions in INTERNAL[3]]
    return pd.DataFrame(rows, columns=["client", "client_key", "key", "name", "alias", "billable", "descriptions"]
                        ).rename_axis("job").reset_index()


def write_workspace(out: Path, seed: int, n_people: int, n_clients: int, n_entries: int, n_months: int = 1,
                    one_file: bool = False) -> None:
    """The workspace; with `one_file`, every entry in one native CSV, input/timesheet.csv, and no calendars."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "rates.yaml").write_text(rates_yaml(n_people, n_clients), encoding="utf-8")
    shutil.copytree(ROOT / "src" / "auftakt_batch" / "skeleton" / "templates", out / "templates", dirs_exist_ok=True)
    (out / "output").mkdir(exist_ok=True)
    formats = ("native",) if one_file else FORMATS
    entries = _labelled(truth(seed, n_people, n_clients, n_entries, n_months, formats), n_people, n_clients,
                        np.random.default_rng(seed + 1))
    if one_file:
        (out / "input").mkdir(exist_ok=True)
        return _write_native(entries, out / "input" / "timesheet.csv")
    month = entries["day"].dt.strftime("%Y-%m")
    for (fmt, label), part in entries.groupby([entries["format"], month], sort=True):
        first, last = part["day"].min(), part["day"].max()
        name = {
            "native": "dev-team.csv",
            "toggl": f"Toggl_time_entries_{first:%Y-%m-%d}_to_{last:%Y-%m-%d}.csv",
            "clockify": f"Clockify_Time_Report_Detailed_{first:%d_%m_%Y}-{last:%d_%m_%Y}.csv",
            "harvest": f"harvest_time_report_from{first:%Y-%m-%d}to{last:%Y-%m-%d}.csv",
        }[fmt]
        path = out / "input" / label / name
        path.parent.mkdir(parents=True, exist_ok=True)
        WRITERS[fmt](part, path)
    if n_clients >= 4:  # the calendars meet ACME and Umbrella, clients of the demo's rates.yaml
        _write_calendars(out / "input" / "calendars", n_people, n_months)


def one_row_files(out: Path, count: int, seed: int = 7) -> None:
    """A workspace of `count` exports of one entry each, input/entry-NNNNN.csv (November 2026, the
    demo's people and clients): entry i is written by its person's format as the other
    workspaces' files are (so the four formats take turns), under the header that format writes."""
    out.mkdir(parents=True, exist_ok=True)
    n_people, n_clients = len(CAST), len(CLIENTS)
    (out / "rates.yaml").write_text(rates_yaml(n_people, n_clients), encoding="utf-8")
    shutil.copytree(ROOT / "src" / "auftakt_batch" / "skeleton" / "templates", out / "templates", dirs_exist_ok=True)
    (out / "output").mkdir(exist_ok=True)
    (out / "input").mkdir(exist_ok=True)
    entries = _labelled(truth(seed, n_people, n_clients, count), n_people, n_clients, np.random.default_rng(seed + 1))
    width = len(str(max(count - 1, 0)))
    for fmt, part in entries.groupby("format", sort=True):
        whole = out / f".{fmt}.csv"  # the format's writer writes all its entries once; each line becomes a file
        WRITERS[fmt](part, whole)
        data = whole.read_bytes()
        whole.unlink()
        end = b"\r\n" if b"\r\n" in data else b"\n"
        header, *lines = data.split(end)
        for i, line in zip(part.index, lines):
            (out / "input" / f"entry-{i:0{max(width, 5)}d}.csv").write_bytes(header + end + line + end)


def _labelled(e: pd.DataFrame, n_people: int, n_clients: int, rng) -> pd.DataFrame:
    """The entries with the text people export: names, aliases or keys as they type them."""
    cast, cls, jobs = people(n_people), clients(n_clients), _jobs(n_clients)
    n = len(e)
    pick = rng.integers(0, 4, n)
    client_forms = np.array([[c[1], c[2], c[2].upper(), c[0]] for c in cls] + [[INTERNAL[1], INTERNAL[2]] * 2])
    job_forms = jobs[["name", "alias", "key"]].to_numpy()
    names = np.array([p[0] for p in cast])
    aliases = np.array([p[2] or p[0] for p in cast])
    described = [d for ds in jobs["descriptions"] for d in ds]
    first_description = np.cumsum([0] + [len(ds) for ds in jobs["descriptions"]])[:-1]
    ticket = pd.Series(e["ticket"]).astype(str)
    return e.assign(
        person_name=names[e["person"]],
        person_label=np.where(rng.random(n) < 0.9, names[e["person"]], aliases[e["person"]]),
        email=np.array([f"{p[1]}@auftakt.example" for p in cast])[e["person"]],
        client_label=client_forms[e["client"], pick],
        job_label=job_forms[e["job"], rng.integers(0, 3, n)],
        billable=jobs["billable"].to_numpy()[e["job"]],
        text=pd.Series(np.array(described)[first_description[e["job"]] + e["description"]]) + " #" + ticket,
        begins=e["day"] + pd.to_timedelta(e["start"], unit="s"),
        ends=e["day"] + pd.to_timedelta(e["start"] + e["seconds"], unit="s"),
    )


def _clock(seconds: pd.Series, fmt: str = "{h:02d}:{m:02d}:{s:02d}") -> pd.Series:
    """Seconds → clock text, each distinct value formatted once."""
    distinct = seconds.unique()
    return seconds.map({v: fmt.format(h=v // 3600, m=v % 3600 // 60, s=v % 60, h12=(v // 3600 + 11) % 12 + 1,
                                      ap="AM" if v % 86400 < 12 * 3600 else "PM") for v in distinct})


def _hours(seconds: pd.Series) -> pd.Series:
    return pd.Series(seconds / 3600).map("{:.2f}".format)


def _of_day(instants: pd.Series) -> pd.Series:
    return (instants - instants.dt.normalize()).dt.total_seconds().astype(int)


def _write_native(e: pd.DataFrame, path: Path) -> None:
    pd.DataFrame({
        "date": e["day"].dt.strftime("%d.%m.%Y"), "person": e["person_label"], "client": e["client_label"],
        "job": e["job_label"], "task": "", "description": e["text"],
        "hours": _hours(e["seconds"]).str.replace(".", ","), "billable": "",
        "start": _clock(_of_day(e["begins"]), "{h:02d}:{m:02d}"), "end": _clock(_of_day(e["ends"]), "{h:02d}:{m:02d}"),
    }).to_csv(path, sep=";", index=False, encoding="utf-8-sig", lineterminator="\r\n")


def _write_toggl(e: pd.DataFrame, path: Path) -> None:
    pd.DataFrame({
        "User": e["person_label"], "Email": e["email"], "Client": e["client_label"], "Project": e["job_label"],
        "Task": "", "Description": e["text"], "Billable": np.where(e["billable"], "Yes", "No"),
        "Start date": e["begins"].dt.strftime("%Y-%m-%d"), "Start time": _clock(_of_day(e["begins"])),
        "End date": e["ends"].dt.strftime("%Y-%m-%d"), "End time": _clock(_of_day(e["ends"])),
        "Duration": _clock(e["seconds"]), "Tags": "", "Amount (EUR)": "",
    }).to_csv(path, index=False, encoding="utf-8-sig")


def _write_clockify(e: pd.DataFrame, path: Path) -> None:
    twelve = "{h12:02d}:{m:02d}:{s:02d} {ap}"
    pd.DataFrame({
        "Project": e["job_label"], "Client": e["client_label"], "Description": e["text"], "Task": "",
        "User": e["person_label"], "Group": "", "Email": e["email"], "Tags": "", "Type": "Regular",
        "Billable": np.where(e["billable"], "Yes", "No"), "Invoiced": "No", "Invoice ID": "",
        "Start Date": e["begins"].dt.strftime("%m/%d/%Y"), "Start Time": _clock(_of_day(e["begins"]), twelve),
        "End Date": e["ends"].dt.strftime("%m/%d/%Y"), "End Time": _clock(_of_day(e["ends"]), twelve),
        "Duration (h)": _clock(e["seconds"]), "Duration (decimal)": _hours(e["seconds"]),
        "Billable Rate (EUR)": "", "Billable Amount (EUR)": "", "Date of creation": e["begins"].dt.strftime("%m/%d/%Y"),
    }).to_csv(path, index=False, quoting=1, encoding="utf-8")


def _write_harvest(e: pd.DataFrame, path: Path) -> None:
    names = e["person_name"].str.rsplit(" ", n=1)
    pd.DataFrame({
        "Date": e["day"].dt.strftime("%Y-%m-%d"), "Client": e["client_label"], "Project": e["job_label"],
        "Project Code": "", "Task": "", "Notes": e["text"], "Hours": _hours(e["seconds"]),
        "Billable?": np.where(e["billable"], "Yes", "No"), "Invoiced?": "No", "Approved?": "No",
        "First Name": names.str[0], "Last Name": names.str[-1], "Employee Id": "", "Roles": "", "Employee?": "Yes",
        "Billable Rate": "", "Billable Amount": "", "Cost Rate": "", "Cost Amount": "", "Currency": "Euro - EUR",
        "External Reference URL": "",
    }).to_csv(path, index=False, encoding="utf-8")


WRITERS = {"native": _write_native, "toggl": _write_toggl, "clockify": _write_clockify, "harvest": _write_harvest}

CALENDAR = """BEGIN:VCALENDAR\r
PRODID:-//Google Inc//Google Calendar 70.9054//EN\r
VERSION:2.0\r
X-WR-CALNAME:{name}\r
X-WR-TIMEZONE:Europe/Berlin\r
BEGIN:VEVENT\r
DTSTART;TZID=Europe/Berlin:{tuesday:%Y%m%d}T083000\r
DTEND;TZID=Europe/Berlin:{tuesday:%Y%m%d}T090000\r
RRULE:FREQ=WEEKLY;BYDAY=TU;UNTIL={until:%Y%m%d}T235959Z\r
EXDATE;TZID=Europe/Berlin:{skipped:%Y%m%d}T083000\r
DTSTAMP:20260101T080000Z\r
UID:acme-{mail}@auftakt.example\r
ATTENDEE;CN={name};PARTSTAT=ACCEPTED:mailto:{mail}@auftakt.example\r
ATTENDEE;CN=Marta Keller;PARTSTAT=ACCEPTED:mailto:m.keller@acme.example\r
SUMMARY:ACME weekly status\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART;TZID=Europe/Berlin:{thursday:%Y%m%d}T080000\r
DTEND;TZID=Europe/Berlin:{thursday:%Y%m%d}T083000\r
RRULE:FREQ=WEEKLY;BYDAY=TH;UNTIL={until:%Y%m%d}T235959Z\r
DTSTAMP:20260101T080000Z\r
UID:umbrella-{mail}@auftakt.example\r
ATTENDEE;CN={name};PARTSTAT=ACCEPTED:mailto:{mail}@auftakt.example\r
ATTENDEE;CN=Rin Sato;PARTSTAT=ACCEPTED:mailto:r.sato@umbrella-health.example\r
SUMMARY:Umbrella campaign check-in\r
END:VEVENT\r
END:VCALENDAR\r
"""


def _write_calendars(folder: Path, n_people: int, n_months: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    days = [d for y, m in months(n_months) for d in _weekdays(y, m)]
    tuesday = next(d for d in days if d.weekday() == 1)
    thursday = next(d for d in days if d.weekday() == 3)
    skipped = [d for d in days if d.weekday() == 1][len(days) // 10 % 4]
    for name, mail, *_ in people(n_people)[::CALENDAR_EVERY]:
        (folder / f"{mail}.ics").write_text(CALENDAR.format(name=name, mail=mail, tuesday=tuesday, thursday=thursday,
                                                            until=days[-1], skipped=skipped), encoding="utf-8",
                                            newline="")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="workspace folder to write")
    parser.add_argument("--people", type=int, default=100)
    parser.add_argument("--clients", type=int, default=300)
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--months", type=int, default=1, help="months ending November 2026")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--one-file", action="store_true", help="every entry in one native CSV, no calendars")
    parser.add_argument("--one-row-files", type=int, metavar="N",
                        help="N exports of one entry each in the four formats (the other sizes are ignored)")
    args = parser.parse_args()
    if args.one_row_files is not None:
        one_row_files(args.out, args.one_row_files, args.seed)
        print(f"wrote {args.one_row_files:,} one-entry exports to {args.out} (period {period(1)})")
        return
    write_workspace(args.out, args.seed, args.people, args.clients, args.entries, args.months, args.one_file)
    print(f"wrote {args.entries:,} entries of {args.people} people for {args.clients} clients to {args.out} "
          f"(period {period(args.months)})")


if __name__ == "__main__":
    main()
