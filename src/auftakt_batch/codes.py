"""Problem codes: every code a problem can carry, registered once.

Each code has its severity (several where the run decides: a calendar's problems are errors
only when a client bills meetings), the modules that raise it, the flag the review workbook
shows beside an entry where it shows one, and one line of meaning. `Problem` refuses a code
that is not here (a typo fails at once); README's table ("What `check`
reports") says what each means and what to do, and tests/test_readme_codes.py holds the
source, this registry and that table together. A leaf: it imports nothing of the package.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"      # would make a bill wrong: holds back the client's invoice
    WARNING = "warning"  # a reviewer should look; never blocks billing
    INFO = "note"        # counted and reported, nothing to fix

    def __str__(self) -> str:
        return self.value


ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


@dataclass(frozen=True)
class Code:
    name: str
    severities: tuple[Severity, ...]  # the ones it may have; one for most codes
    raised_in: tuple[str, ...]  # the modules that make it, relative to auftakt_batch
    meaning: str
    flag: str | None = None  # what the review workbook shows beside an entry it is about

    @property
    def severity(self) -> Severity:
        """The code's one severity (a code with several has its severity decided where it is raised)."""
        if len(self.severities) != 1:
            raise ValueError(f"problem code {self.name!r} has several severities: give one where it is raised")
        return self.severities[0]

    def __str__(self) -> str:
        return self.name


def _(name: str, severity: Severity | tuple[Severity, ...], raised_in: str | tuple[str, ...], meaning: str,
      flag: str | None = None) -> Code:
    return Code(name, severity if isinstance(severity, tuple) else (severity,),
                raised_in if isinstance(raised_in, tuple) else (raised_in,), meaning, flag)


# in the order of README's table
CODES: dict[str, Code] = {code.name: code for code in (
    _('no-input', WARNING, 'ingest', 'no time entry in input/'),
    _('not-read', WARNING, ('ingest', 'check.expenses'),
      'a file of a type auftakt-batch does not read (a PDF or image no expense names), ignored'),
    _('unreadable', (ERROR, WARNING), 'ingest.tree', 'a file or folder under input/ cannot be read'),
    _('not-a-file', (ERROR, WARNING), 'ingest.tree',
      'a named pipe, socket or device in input/, refused without being opened'),
    _('folder-read-once', INFO, 'ingest.tree', 'a folder reached a second time through a link, read once'),
    _('hidden-file', INFO, 'ingest.tree', 'a hidden file (its name starts with a dot) was read'),
    _('empty-file', ERROR, ('ingest.jsonfile', 'ingest.read'), 'the file or workbook is empty'),
    _('not-text', ERROR, 'ingest.read', 'a text export that holds binary data'),
    _('encoding', ERROR, 'ingest.read', 'text that is not UTF-8, UTF-16 nor Windows-1252'),
    _('bad-csv', ERROR, 'ingest.read',
      'a CSV that cannot be parsed: a row longer than the header, a quote never closed'),
    _('bad-workbook', ERROR, 'ingest.read', 'a workbook that cannot be opened'),
    _('bad-json', ERROR, 'ingest.jsonfile',
      'a JSON file that is not valid JSON, larger than 128 MB or nested too deep'),
    _('bad-frame', ERROR, 'ingest.jsonfile',
      'a Watson frame that is not a record of 3 to 6 items, or holds a nested value'),
    _('hidden-sheet', INFO, 'ingest.read', 'a hidden sheet of a workbook was read'),
    _('sheet-skipped', WARNING, 'ingest.read', 'a sheet whose header is no timesheet, not read'),
    _('unknown-format', ERROR, ('ingest.jsonfile', 'ingest.read'), 'the header is no format auftakt-batch reads'),
    _('ambiguous-format', ERROR, 'ingest.read', 'the header reads as a timesheet with two separators'),
    _('repeated-column', ERROR, 'ingest', 'a column appears twice in the header'),
    _('no-person', ERROR, 'ingest.build', 'a one-person export whose file or folder names no person'),
    _('no-rows', ERROR, 'ingest', "a tracker's export with a header and no entries"),
    _('stray-row', ERROR, 'ingest.build', 'a row with no date, person, client or job'),
    _('totals-row', INFO, 'ingest.build', "the tracker's own totals row under the entries, skipped"),
    _('missing-value', ERROR, ('ingest.build', 'ingest.expenses'),
      'an entry without a date, a person, or hours; an expense without a date, a person or an amount'),
    _('bad-date', ERROR, ('ingest.build', 'ingest.expenses'), 'a date that cannot be read'),
    _('bad-end_date', ERROR, 'ingest.build', 'an end date that cannot be read'),
    _('bad-start', ERROR, 'ingest.build', 'a start time that cannot be read'),
    _('bad-end', ERROR, 'ingest.build', 'an end time that cannot be read'),
    _('bad-hours', ERROR, 'ingest.build', 'a duration that cannot be read'),
    _('bad-billable', ERROR, ('ingest.build', 'ingest.expenses'), 'a billable flag that cannot be read'),
    _('bad-invoiced', ERROR, 'ingest.build', 'an invoiced flag that cannot be read'),
    _('bad-approved', ERROR, 'ingest.build', 'an approved flag that cannot be read'),
    _('bad-amount', ERROR, ('ingest.build', 'ingest.expenses'), 'an amount that cannot be read'),
    _('bad-rate', ERROR, 'ingest.build', 'a rate that cannot be read'),
    _('date-order', ERROR, ('ingest.build', 'ingest.expenses'),
      'slash dates that could be day/month or month/day, or a file that writes them both ways'),
    _('too-long', ERROR, 'ingest.build', 'a value of 32,767 characters or more'),
    _('bad-currency', ERROR, 'ingest.expenses', "an expense's currency that is no three-letter code"),
    _('expense-changed', ERROR, 'check.expenses', 'an expense like a billed one the exports no longer hold'),
    _('bad-vat', ERROR, 'ingest.expenses', "an expense's VAT rate that is no percent from 0 to 100"),
    _('other-currency', ERROR, 'check.expenses', 'a billable expense in another currency than its client is billed in'),
    _('negative-expense', ERROR, 'ingest.expenses', 'an expense of a negative amount (a refund)'),
    _('missing-receipt', WARNING, 'ingest.expenses', "an expense's receipt that is not in input/, or no PDF or image"),
    _('receipt-outside', WARNING, 'ingest.expenses', "an expense's receipt outside input/, refused unread"),
    _('repeated-expense', INFO, 'check.expenses', 'expenses also in another file, counted once'),
    _('bad-statement', WARNING, ('ingest.bank.booking', 'ingest.bank.csvfile'),
      'a bank statement in input/bank/ that cannot be read: not XML, no camt.053, a version not read, no MT940'),
    _('bad-booking', WARNING, 'ingest.bank.booking', "a booking whose amount, sign, date or MT940 :61: cannot be read"),
    _('pending-booking', INFO, 'ingest.bank', 'entries of a statement the bank has not booked yet, not read'),
    _('repeated-booking', INFO, 'ingest.bank', 'bookings also in another statement, counted once'),
    _('zero-duration', WARNING, 'check.checks', 'an entry of no time'),
    _('non-positive-duration', ERROR, 'check.checks', 'a negative duration'),
    _('impossible-duration', ERROR, 'check.checks', 'more than 24 h in one entry'),
    _('day-over-24h', ERROR, 'check.checks', "more than 24 h in one person's day"),
    _('long-entry', WARNING, 'check.checks', 'more than 16 h in one entry', flag='long entry'),
    _('duration-mismatch', ERROR, 'ingest.clock', 'the hours disagree with start and end by more than a minute'),
    _('ends-before-start', ERROR, 'ingest.clock', 'an end before the start on the end date the export gives'),
    _('overnight', WARNING, 'ingest.clock', 'an entry that ends the next day'),
    _('dst-gap', ERROR, 'ingest.clock', 'a time that does not exist'),
    _('dst-ambiguous', (ERROR, WARNING), 'ingest.clock', 'a time that happens twice'),
    _('tracker-rounding', WARNING, 'ingest.clock', "the tracker's report rounded the durations"),
    _('overlap', WARNING, 'check.checks', "one person's entries overlap", flag='overlap'),
    _('future-date', WARNING, 'check.checks', 'entries dated after today', flag='dated after today'),
    _('weekend', WARNING, 'check.checks', 'entries on a Saturday or Sunday', flag='weekend'),
    _('unknown-person', ERROR, 'check.checks', 'a person rates.yaml does not know'),
    _('unknown-client', ERROR, 'check.checks', 'a client rates.yaml does not know'),
    _('missing-client', ERROR, 'check.checks', "an empty client, and no single client has the entry's job"),
    _('unknown-job', ERROR, 'check.checks', 'a job the client does not have, or an empty job'),
    _('no-rate', ERROR, 'check.checks', 'no rate in force for a billable entry on its date'),
    _('missing-description', WARNING, 'check.checks', 'billable entries without a description', flag='no description'),
    _('not-billable', WARNING, 'check.checks',
      'the export marks an entry billable, but rates.yaml calls its job non-billable'),
    _('export-price', WARNING, 'check.checks',
      "the export's rate or amount differs from rates.yaml's price", flag='export price differs'),
    _('export-currency', WARNING, 'check.checks',
      "the export's amounts are in another currency than the client is billed in"),
    _('invoiced-in-tracker', INFO, 'check.checks',
      'billable entries the export marks invoiced in the tracker', flag='invoiced in the tracker'),
    _('not-approved', INFO, 'check.checks', 'billable entries the export does not mark approved, held back',
      flag='not approved in the tracker: only yes bills it'),
    _('outside-period', INFO, ('check.expenses', 'pipeline'), 'entries or expenses of a file outside the period'),
    _('repeated-entry', INFO, 'check.identity', 'entries also in another file, counted once'),
    _('conflicting-copy', ERROR, 'check.identity', 'the same entry in two files with different billable values'),
    _('repeated-row', WARNING, 'check.checks', 'two identical rows in one file'),
    _('near-repeat', WARNING, 'check.checks',
      "an entry alike one of another file on the same person's day", flag='near repeat'),
    _('replaced-by-newer', WARNING, 'check.overlaps',
      "a newer export of the same tracker differs on a person's day, or has an entry on another day, client or job"),
    _('missing-in-newer', WARNING, 'check.overlaps',
      "entries missing from a newer export that covers their person's day"),
    _('changed-since-billed', ERROR, 'check.reconcile', 'a billed entry edited in the tracker since'),
    _('maybe-changed-since-billed', ERROR, 'check.reconcile',
      'entries that could be the edited version of a billed entry gone from the exports'),
    _('billed-entry-gone', ERROR, 'check.reconcile',
      'billed entries no longer in the exports, with nothing that could be their edited version'),
    _('meeting-billed', ERROR, 'check.checks', 'a timesheet entry for a meeting already billed from the calendar'),
    _('ledger', ERROR, 'pipeline', 'the ledger cannot be used as it is'),
    _('schema', ERROR, 'schemas', 'a contract between two stages of the pipeline broke'),
    _('bad-calendar', (ERROR, WARNING), 'calendars.read', 'a calendar that cannot be read'),
    _('calendar-owner', (ERROR, WARNING), 'calendars.meetings', 'whose calendar a file is cannot be told'),
    _('holiday-calendar', INFO, 'calendars.meetings', 'a public-holiday calendar without an owner'),
    _('ambiguous-meeting', WARNING, 'calendars.meetings', 'an event two clients claim'),
    _('untracked-meeting', WARNING, 'calendars', 'client meetings that no timesheet entry of their owner covers'),
    _('missing-days', WARNING, 'check.capacity',
      'working days on which someone logged less than agency.missing_day_below'),
    _('review', (ERROR, INFO), ('check.decisions', 'check.expense_decisions'),
      'the review workbook cannot be read or no longer matches the exports'),
    _('config', ERROR, ('config.load', 'config.reader'), 'rates.yaml cannot be read or has a wrong value'),
)}

FLAGS: dict[str, str] = {code.name: code.flag for code in CODES.values() if code.flag}  # code -> the reviewer's flag


def lookup(name: str) -> Code:
    """The registered code `name`; ValueError naming it if there is none (a typo, or a new code
    that still needs its entry here and its row in README)."""
    try:
        return CODES[name]
    except KeyError:
        raise ValueError(f"unregistered problem code {name!r}: add it to auftakt_batch/codes.py and README") from None
