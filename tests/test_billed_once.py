"""Billed exactly once, whatever changes after billing (issue 16).

Each case here once billed hours a second time with exit 0 and no error: an entry edited in
the tracker after it was billed (its words, day, job, client or start), the older export
removed as the warning advised, a time-zone setting added or changed, a meeting billed from a
calendar and then logged in a timesheet. The ledger now looks for every billed entry in the
exports (reconcile.py): one no longer there holds back what could be its edited version,
until the user restores the export, voids the invoice, or accepts the change.
"""

from __future__ import annotations

import pytest

from auftakt_batch import ledger
from auftakt_batch.billing import bill, void
from auftakt_batch.billing.accept import NothingToAccept, accept
from auftakt_batch.periods import parse_period

from .conftest import TODAY, bill_once, dedent, ledger_dump
from .test_calendars import calendar_file, calendar_ws, event
from .test_formats import HARVEST, TOGGL

HEADER = "date,person,client,job,task,description,hours,billable\n"
TIMED = "date,start,end,person,client,job,task,description,hours,billable\n"
WEEK = dedent("""\
    2026-11-03,Anna Schmidt,ACME,website,,Layout,3,
    2026-11-04,Ben Okafor,globex,app,,API,2,
    2026-11-05,Anna Schmidt,ACME,website,,Review,1,
    """)
NOVEMBER = parse_period("2026-11")


def billed(ws) -> list[tuple]:
    """(number, day, person, description, billed hours) of every live billed entry."""
    live = ledger.read_billed(ws.root / "output" / "ledger.sqlite")
    return sorted(zip(live["number"], live["day"], live["person"], live["description"], live["billed_s"] / 3600))


def hours_billed(ws) -> float:
    conn = ledger.connect(ws.root / "output" / "ledger.sqlite")
    try:
        (net,) = conn.execute("SELECT SUM(CAST(quantity AS REAL)) FROM invoice_lines l JOIN invoices i "
                              "ON i.id = l.invoice_id WHERE i.kind = 'invoice' AND i.status = 'issued'").fetchone()
        return net
    finally:
        conn.close()


def first_billing(ws, text: str = HEADER + WEEK, name: str = "week.csv") -> None:
    ws.with_templates().input(name, text)
    bill_once(ws, ("billed once", (ws.root / "rates.yaml").read_text(), text, name), lambda: _billed_first(ws))


def _billed_first(ws) -> None:
    first = bill(ws.root, NOVEMBER, today=TODAY)
    assert [i.number for i in first.issued] == ["2026-0001", "2026-0002"]


def codes(run) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for p in run.check.problems if hasattr(run, "check") else run.problems:
        found.setdefault(p.code, []).append(str(p))
    return found


# ---- edited after billing: each correction is held back, never billed a second time

def test_a_corrected_description_is_held_back_naming_the_invoice(ws):
    first_billing(ws)
    ws.input("week.csv", HEADER + WEEK.replace("Layout,3", "Layout and fixes,3"))
    again = bill(ws.root, NOVEMBER, today=TODAY)
    assert again.issued == () and again.skipped == (("acme", "held back by errors (listed above)"),)
    assert codes(again)["changed-since-billed"] == [
        "input/week.csv:2: error: changed since billed on invoice 2026-0001 (its words): invoiced 2026-11-03 Anna "
        "Schmidt acme/website 3:00 h 'Layout', now 2026-11-03 Anna Schmidt acme/website 3:00 h 'Layout and fixes' — "
        "restore it as invoiced, or cancel the invoice (`auftakt-batch void 2026-0001 --reason ...`) and bill again, "
        "or keep the invoice as it is with `auftakt-batch accept --period 2026-11` (this entry is then never billed)"]


def test_a_corrected_day_job_or_client_is_held_back(ws):
    first_billing(ws)
    for edited in (WEEK.replace("2026-11-03,Anna", "2026-11-13,Anna"),  # the day: same person, client, hours
                   WEEK.replace("ACME,website,,Layout", "ACME,internal,,Layout"),  # the job (now not billable)
                   WEEK.replace("ACME,website,,Layout", "globex,app,,Layout")):  # the client: same person and day
        ws.input("week.csv", HEADER + edited)
        run = bill(ws.root, NOVEMBER, today=TODAY)
        assert run.issued == (), edited
        assert "2026-0001" in " ".join(codes(run).get("changed-since-billed", codes(run).get("billed-entry-gone")))
    assert hours_billed(ws) == 6.0  # 3 + 1 h for ACME, 2 h for Globex: never the 3 h twice


def test_a_client_corrected_after_billing_is_not_billed_to_both(ws):
    first_billing(ws)
    ws.input("week.csv", HEADER + WEEK.replace("ACME,website,,Layout", "globex,app,,Layout"))
    result = ws.cli("bill", "--period", "2026-11")
    assert result.exit_code == 1
    assert "input/week.csv:2: error: changed since billed on invoice 2026-0001" in result.output
    assert "Skipped globex: held back by errors (listed above)" in result.output
    assert billed(ws) == [("2026-0001", "2026-11-03", "Anna Schmidt", "Layout", 3.0),
                          ("2026-0001", "2026-11-05", "Anna Schmidt", "Review", 1.0),
                          ("2026-0002", "2026-11-04", "Ben Okafor", "API", 2.0)]


def test_an_entry_edited_while_its_person_was_renamed_is_held_back_and_accepted_in_its_place(ws):
    """Found by the property in test_billing_properties: with the person renamed (the old name
    an alias) the edited entry was not recognised as the billed one's version; accepting then
    recorded the billed one as deleted and billed the edited one again."""
    first_billing(ws)
    ws.edit_rates("  - name: Ben Okafor\n", '  - name: Ben Okafor-Ade\n    aliases: ["Ben Okafor"]\n')
    ws.input("week.csv", HEADER + WEEK.replace(",API,", ",API and docs,"))
    held = bill(ws.root, NOVEMBER, today=TODAY)
    assert held.issued == () and "billed-entry-gone" not in codes(held)
    assert "(its person and words — renaming one in rates.yaml does this too): invoiced 2026-11-04 Ben Okafor " \
           "globex/app 2:00 h 'API', now 2026-11-04 Ben Okafor-Ade globex/app 2:00 h 'API and docs'" \
        in codes(held)["changed-since-billed"][0]
    accept(ws.root, NOVEMBER, today=TODAY)
    assert bill(ws.root, NOVEMBER, today=TODAY).issued == ()
    assert hours_billed(ws) == 6.0


def test_a_corrected_harvest_entry_is_held_back(ws):
    row = ('2026-11-12,ACME GmbH,Website Relaunch 2026,,Design,{notes},2.5,2.5,Yes,No,No,Anna,Schmidt,,Designer,'
           'Yes,120.0,300.0,60.0,150.0,Euro - EUR,\n')
    ws.with_templates().input("harvest.csv", HARVEST + row.format(notes="Layout"))
    assert [i.number for i in bill(ws.root, NOVEMBER, today=TODAY).issued] == ["2026-0001"]
    ws.input("harvest.csv", HARVEST + row.format(notes="Layout second round"))
    again = bill(ws.root, NOVEMBER, today=TODAY)
    assert again.issued == () and len(codes(again)["changed-since-billed"]) == 1


def test_a_toggl_entry_whose_start_moved_is_held_back(ws):
    row = ("Anna Schmidt,anna@studio.example,ACME GmbH,website,,Layout,Yes,2026-11-03,{start}:00,2026-11-03,"
           "{end}:00,01:30:00,,180.00\n")
    ws.with_templates().input("toggl.csv", TOGGL + row.format(start="09:00", end="10:30"))
    assert len(bill(ws.root, NOVEMBER, today=TODAY).issued) == 1
    ws.input("toggl.csv", TOGGL + row.format(start="09:15", end="10:45"))
    again = bill(ws.root, NOVEMBER, today=TODAY)
    assert again.issued == () and codes(again)["changed-since-billed"][0].startswith(
        "input/toggl.csv:2: error: changed since billed on invoice 2026-0001 (its start): invoiced 2026-11-03 09:00 "
        "Anna Schmidt acme/website 1:30 h 'Layout', now 2026-11-03 09:15")


def test_removing_the_older_export_as_the_warning_advises_bills_nothing_again(ws):
    first_billing(ws)
    # a re-export of the same sheet (it shares Ben's entry) with Anna's entry reworded
    ws.input("week-again.csv", HEADER + WEEK.replace("Layout,3", "Layout and fixes,3"))
    caught = bill(ws.root, NOVEMBER, today=TODAY)
    assert caught.issued == () and "remove this file if it is outdated" in codes(caught)["replaced-by-newer"][0]
    (ws.root / "input" / "week.csv").unlink()  # as the warning says
    after = bill(ws.root, NOVEMBER, today=TODAY)
    assert after.issued == () and codes(after)["changed-since-billed"][0].startswith(
        "input/week-again.csv:2: error: changed since billed on invoice 2026-0001")


def test_an_entry_moved_to_another_client_in_a_newer_export_beside_the_older_counts_once(ws):
    # a re-export of the week (it shares Ben's entry) after Anna's Layout was moved to Globex; the
    # older export stays in input/: the newer one says where the work belongs, and it is billed there only
    ws.with_templates().input("week.csv", HEADER + WEEK)
    ws.input("week-again.csv", HEADER + WEEK.replace("ACME,website,,Layout", "globex,app,,Layout") + dedent("""\
        2026-11-06,Ben Okafor,globex,app,,API,1,
        """))
    first = bill(ws.root, NOVEMBER, today=TODAY)
    assert [(i.client_key, str(i.hours)) for i in first.issued] == [("acme", "1"), ("globex", "6")]
    assert codes(first)["replaced-by-newer"] == [
        "input/week.csv:2: warning: 1 entry on 1 day(s) replaced by the newer export input/week-again.csv (its dates "
        "reach 2026-11-06), which has that work on another day or under another client or job: Anna Schmidt on 2026-11-03 — the newer export "
        "counts; remove this file if it is outdated"]


def test_an_entry_moved_to_another_day_in_a_newer_export_beside_the_older_counts_once(ws):
    # the week re-exported after Anna's Review moved from the 5th to the 6th; the older export stays
    ws.with_templates().input("week.csv", HEADER + WEEK)
    ws.input("week-again.csv", HEADER + WEEK.replace("2026-11-05,Anna Schmidt,ACME,website,,Review",
                                                     "2026-11-06,Anna Schmidt,ACME,website,,Review"))
    first = bill(ws.root, NOVEMBER, today=TODAY)
    assert [(i.client_key, str(i.hours)) for i in first.issued] == [("acme", "4"), ("globex", "2")]


def test_the_same_words_on_another_day_outside_the_newer_exports_dates_are_two_entries(ws):
    # a weekly standup in October's export and in November's: November's export does not cover October
    ws.with_templates().input("october.csv", HEADER + "2026-10-30,Anna Schmidt,ACME,website,,Standup,0.25,\n"
                                                      "2026-11-02,Ben Okafor,globex,app,,API,2,\n")
    ws.input("november.csv", HEADER + "2026-11-02,Ben Okafor,globex,app,,API,2,\n"
                                      "2026-11-06,Anna Schmidt,ACME,website,,Standup,0.25,\n")
    run = ws.check("2026-10")
    assert [(str(d.date()), w) for d, w in zip(run.entries["date"], run.entries["description"])] == [
        ("2026-10-30", "Standup")]


def test_alike_words_on_another_job_in_a_newer_export_are_two_entries_when_the_older_holds_both(ws):
    # the newer export (per client, and so sharing an entry) holds a "Layout" of ACME the older export
    # holds too: Globex's "Layout" of the same day is no moved entry, only one the newer export leaves out
    week = WEEK + "2026-11-03,Anna Schmidt,globex,app,,Layout,2,\n"
    ws.with_templates().input("week.csv", HEADER + week)
    ws.input("acme.csv", HEADER + "2026-11-03,Anna Schmidt,ACME,website,,Layout,3,\n"
                                  "2026-11-06,Anna Schmidt,ACME,website,,Copy,1,\n")
    first = bill(ws.root, NOVEMBER, today=TODAY)
    assert [(i.client_key, str(i.hours)) for i in first.issued] == [("acme", "5"), ("globex", "4")]
    assert "replaced-by-newer" not in codes(first)


def test_an_entry_moved_to_the_next_month_is_held_back_there(ws):
    ws.with_templates().input("autumn.csv", HEADER + "2026-10-30,Anna Schmidt,ACME,website,,Layout,3,\n"
                                                     "2026-10-28,Ben Okafor,globex,app,,API,2,\n")
    assert len(bill(ws.root, parse_period("2026-10"), today=TODAY).issued) == 2
    ws.input("autumn.csv", HEADER + "2026-11-02,Anna Schmidt,ACME,website,,Layout,3,\n"  # a typo corrected
                                    "2026-10-28,Ben Okafor,globex,app,,API,2,\n")
    november = bill(ws.root, NOVEMBER, today=TODAY)
    assert november.issued == ()
    assert codes(november)["changed-since-billed"][0].startswith(
        "input/autumn.csv:2: error: changed since billed on invoice 2026-0001 (its day): invoiced 2026-10-30 Anna "
        "Schmidt acme/website 3:00 h 'Layout', now 2026-11-02 Anna Schmidt")


def test_a_deleted_entry_is_an_error_on_its_invoice_until_accepted(ws):
    first_billing(ws)
    ws.input("week.csv", HEADER + WEEK.replace("2026-11-05,Anna Schmidt,ACME,website,,Review,1,\n", ""))
    check = ws.cli("check", "--period", "2026-11")
    assert check.exit_code == 1 and (
        "output/ledger.sqlite: error: invoice 2026-0001 billed 1 entry no longer in the exports: 2026-11-05 Anna "
        "Schmidt acme/website 1:00 h 'Review' from input/week.csv:4 — deleted or edited in the tracker after billing; "
        "restore it, or cancel the invoice with `auftakt-batch void 2026-0001 --reason ...` and bill again, or "
        "`auftakt-batch accept --period 2026-11` to record it as deleted (the invoice stays as it is)"
        in check.output)
    ws.input("late.csv", HEADER + "2026-11-20,Anna Schmidt,ACME,website,,Call,0.5,\n")
    assert bill(ws.root, NOVEMBER, today=TODAY).skipped == (("acme", "held back by errors (listed above)"),)
    accepted = ws.cli("accept", "--period", "2026-11")
    assert accepted.exit_code == 0, accepted.output
    assert accepted.output == (
        "Accepted 1 change to entries billed for 2026-11; the invoices stay as issued:\n"
        "  2026-0001 (acme) 2026-11-05 Anna Schmidt acme/website 1:00 h 'Review' → deleted\n")
    late = bill(ws.root, NOVEMBER, today=TODAY)
    assert [(i.client_key, str(i.hours)) for i in late.issued] == [("acme", "0.5")] and late.check.ok


def test_accepting_an_edit_keeps_the_invoice_and_never_bills_the_edited_entry(ws):
    first_billing(ws)
    ws.input("week.csv", HEADER + WEEK.replace("Layout,3", "Layout and fixes,3.5"))
    accepted = ws.cli("accept", "--period", "2026-11")
    assert accepted.output == (
        "Accepted 1 change to entries billed for 2026-11; the invoices stay as issued:\n"
        "  2026-0001 (acme) 2026-11-03 Anna Schmidt acme/website 3:00 h 'Layout' → now 2026-11-03 Anna Schmidt "
        "acme/website 3:30 h 'Layout and fixes' (input/week.csv:2): on 2026-0001 in its place, never billed\n")
    after = bill(ws.root, NOVEMBER, today=TODAY)
    assert after.issued == () and after.check.ok
    assert ws.cli("accept", "--period", "2026-11").output.endswith(
        "every entry billed for 2026-11 is in the exports as billed — nothing to accept\n")
    # edited once more: held back again, naming the same invoice
    ws.input("week.csv", HEADER + WEEK.replace("Layout,3", "Layout fixes and copy,3.5"))
    assert "(its words): invoiced 2026-11-03 Anna Schmidt acme/website 3:30 h 'Layout and fixes'" \
        in codes(bill(ws.root, NOVEMBER, today=TODAY))["changed-since-billed"][0]


def test_accepting_as_new_bills_the_entries_as_they_are_now(ws):
    first_billing(ws)
    ws.input("week.csv", HEADER + WEEK.replace("Layout,3", "Logo,2"))
    assert bill(ws.root, NOVEMBER, today=TODAY).issued == ()
    ws.cli("accept", "--period", "2026-11", "--as-new")
    after = bill(ws.root, NOVEMBER, today=TODAY)
    assert [(i.number, i.client_key, str(i.hours)) for i in after.issued] == [("2026-0003", "acme", "2")]


def test_void_and_bill_again_bills_the_corrected_entry_once(ws):
    first_billing(ws)
    ws.input("week.csv", HEADER + WEEK.replace("ACME,website,,Layout", "globex,app,,Layout"))
    void(ws.root, "2026-0001", "Layout was Globex's", today=TODAY)
    again = bill(ws.root, NOVEMBER, today=TODAY)
    assert [(i.client_key, str(i.hours)) for i in again.issued] == [("acme", "1"), ("globex", "3")]
    assert hours_billed(ws) == 6.0 and again.check.ok


def test_exports_archived_after_billing_are_not_reported_gone(ws):
    ws.with_templates().input("october.csv", HEADER + "2026-10-05,Anna Schmidt,ACME,website,,Layout,3,\n")
    bill(ws.root, parse_period("2026-10"), today=TODAY)
    (ws.root / "input" / "october.csv").unlink()
    ws.input("november.csv", HEADER + "2026-11-05,Anna Schmidt,ACME,website,,Layout,3,\n")
    november = bill(ws.root, NOVEMBER, today=TODAY)
    assert [i.client_key for i in november.issued] == ["acme"] and november.check.ok


def test_an_entry_like_a_billed_one_in_another_file_waits_for_the_user(ws):
    first_billing(ws)
    # the same person, day and words as a billed entry, in a file that shares no entry with the billed
    # export: an edited re-export beside the old one, or new work — the user says which
    ws.input("late.csv", HEADER + "2026-11-03,Anna Schmidt,ACME,website,,Layout,2,\n")
    held = bill(ws.root, NOVEMBER, today=TODAY)
    assert held.issued == () and codes(held)["changed-since-billed"][0].startswith(
        "input/late.csv:2: error: changed since billed on invoice 2026-0001 (its hours)")
    assert ws.cli("accept", "--period", "2026-11", "--as-new").exit_code == 0
    late = bill(ws.root, NOVEMBER, today=TODAY)
    assert [(i.client_key, str(i.hours)) for i in late.issued] == [("acme", "2")] and late.check.ok


def test_accept_refuses_while_an_input_cannot_be_read(ws):
    first_billing(ws)
    ws.input("week.csv", HEADER + WEEK.replace("Layout,3", "Logo,3"))
    ws.input("broken.xlsx", b"not a workbook")
    before = ledger_dump(ws.root)
    with pytest.raises(NothingToAccept, match="input/broken.xlsx cannot be read, so an entry in it would look deleted"):
        accept(ws.root, NOVEMBER, today=TODAY)
    assert ledger_dump(ws.root) == before


@pytest.mark.parametrize("emptied", ["deleted", "moved away"])
def test_accept_refuses_when_input_holds_no_entries(ws, emptied):
    """With input/ missing or empty every billed entry looks deleted: accepting that would record
    them all as deleted (it did, with exit 0)."""
    first_billing(ws)
    (ws.root / "input" / "week.csv").unlink() if emptied == "deleted" else (ws.root / "input").rename(ws.root / "old")
    before = ledger_dump(ws.root)
    with pytest.raises(NothingToAccept, match="input/ holds no time entries, so every billed entry would look deleted"):
        accept(ws.root, NOVEMBER, today=TODAY)
    assert ledger_dump(ws.root) == before


# ---- settings that move entries

def test_a_time_zone_added_to_a_person_after_billing_bills_nothing_again(ws):
    ws.with_templates().input("times.csv", TIMED + "".join(
        f"2026-11-{day:02d},08:00,10:30,Anna Schmidt,ACME,website,,Design {day},,\n" for day in range(2, 28)))
    first = bill(ws.root, NOVEMBER, today=TODAY)
    assert [str(i.hours) for i in first.issued] == ["65"]
    ws.edit_rates("    role: designer\n", "    role: designer\n    timezone: America/New_York\n")
    again = bill(ws.root, NOVEMBER, today=TODAY)
    assert again.issued == () and again.check.ok


def test_changing_the_agency_time_zone_does_not_bill_a_meeting_again(ws):
    calendar_ws(ws.with_templates())
    calendar_file(ws, "anna.ics", event("a1", "ACME weekly", 3, "1000", "1100", "bob@acme.example"))
    assert [str(i.hours) for i in bill(ws.root, NOVEMBER, today=TODAY).issued] == ["1"]
    ws.edit_rates("timezone: Europe/Berlin", "timezone: Europe/London")
    again = bill(ws.root, NOVEMBER, today=TODAY)
    assert again.issued == () and again.check.ok


def test_a_billed_meeting_logged_later_without_times_is_an_error(ws):
    calendar_ws(ws.with_templates())
    calendar_file(ws, "anna.ics", event("a1", "ACME weekly", 3, "1000", "1100", "bob@acme.example"))
    assert len(bill(ws.root, NOVEMBER, today=TODAY).issued) == 1
    ws.input("week.csv", HEADER + "2026-11-03,Anna Schmidt,ACME,website,,ACME weekly,1,\n"
                                  "2026-11-03,Anna Schmidt,ACME,internal,,Notes from the ACME weekly,1,\n")  # not billed
    again = bill(ws.root, NOVEMBER, today=TODAY)
    assert again.issued == () and codes(again)["meeting-billed"] == [
        "input/week.csv:2:date: error: logged for acme on the day of the meeting 'ACME weekly' already billed from the "
        "calendar on invoice 2026-0001 — delete this entry, or void the invoice and bill again"]


def test_a_weekly_meeting_billed_last_month_holds_back_nothing_this_month(ws):
    calendar_ws(ws.with_templates())
    ws.input("anna.ics", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:test\r\nBEGIN:VEVENT\r\nUID:w1\r\n"
                         "SUMMARY:ACME weekly\r\nDTSTART;TZID=Europe/Berlin:20261006T100000\r\n"
                         "DTEND;TZID=Europe/Berlin:20261006T110000\r\nRRULE:FREQ=WEEKLY;COUNT=9\r\n"
                         "ATTENDEE:mailto:bob@acme.example\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    ws.input("october.csv", HEADER + "2026-10-06,Anna Schmidt,ACME,website,,Layout,1,\n")
    assert [str(i.hours) for i in bill(ws.root, parse_period("2026-10"), today=TODAY).issued] == ["4"]  # 1 logged
    november = bill(ws.root, NOVEMBER, today=TODAY)  # the same meeting, four more times, the same half hour
    assert [str(i.hours) for i in november.issued] == ["4"] and november.check.ok
