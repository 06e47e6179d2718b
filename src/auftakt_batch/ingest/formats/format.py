"""`Format`: one tracker's export described as data (the registry is the package's __init__)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Mapping, Sequence

from ...names import normalise

Header = Sequence["str | None"]  # a table's header cells (an empty one may be None)

# Canonical fields a column may map to (build.py reads each):
#   date, end_date, start, end           the day and the clock times (end_date for entries past midnight)
#   hours                                the duration (hours or a clock duration)
#   person, email, first_name, last_name who (a person is found by name, else by email)
#   client, job, task, description       what for (a tracker's project is our job)
#   billable                             the tracker's billable flag
#   amount, rate, currency               the tracker's own price: informational, checked against rates.yaml
#   invoiced, invoice_id, approved       what the tracker already decided: invoiced there (and its invoice), approved
FIELDS = ("date", "end_date", "start", "end", "hours", "person", "email", "first_name", "last_name", "client",
          "job", "task", "description", "billable", "amount", "rate", "currency", "invoiced", "invoice_id", "approved")
# Fields of an expense export (ingest/expenses.py reads each): the money spent (amount, currency),
# what on (category, description), the receipt's file, and who, for whom, when, as above
EXPENSE_FIELDS = ("date", "person", "email", "first_name", "last_name", "client", "job", "category", "description",
                  "amount", "currency", "billable", "receipt", "vat")
# Fields of a bank's CSV export of an account's bookings (ingest/bank/csvfile.py reads each): the
# account, the days, the signed amount, who paid or was paid, what for, and whether it is booked yet
BOOKING_FIELDS = ("account", "booking_date", "value_date", "booking_text", "remittance", "counterparty_name",
                  "counterparty_iban", "amount", "currency", "bank_reference", "status")
KINDS = {"time": FIELDS, "expense": EXPENSE_FIELDS, "booking": BOOKING_FIELDS}  # time | expenses | bookings


CLOCKS = ("local", "utc")  # wall-clock times in the row's time zone | instants (ISO 8601 with its zone, Unix seconds)
CONTAINERS = ("table", "json")  # a CSV or a sheet | a JSON list of records


@dataclass(frozen=True)
class Format:
    name: str
    title: str  # what the file is, as the README's table of formats names it
    columns: Mapping[str, tuple[str, ...]]  # canonical field -> header name patterns, most preferred first
    required: frozenset[str]
    one_of: tuple[frozenset[str], ...] = ()  # and at least one of these groups, e.g. hours or start+end
    totals_row: bool = False  # the tool writes a totals row under the entries: drop it, quietly
    report_rounding: bool = False  # the tracker's reports may round durations (start and end stay exact)
    notes: Mapping[str, str] = field(default_factory=dict)  # header pattern -> why that column is not read
    # field -> the field whose column also gives it: {"date": "start"} when `Start` is `2026-11-03 09:00:00`
    derived: Mapping[str, str] = field(default_factory=dict)
    clock: str = "local"  # CLOCKS: how start and end are written
    container: str = "table"  # CONTAINERS: what kind of file holds the export
    positions: tuple[str, ...] = ()  # json: the names of a record's items, when a record is a list
    person_from_file: bool = False  # no person column: the file is one person's, named by the file (or folder)
    own_file_names: frozenset[str] = frozenset()  # the tool's own name for its file: then the folder names the person
    client_separator: str | None = None  # "/": a job written `client/job` names its client
    tool: str = ""  # the tracker that writes it, as its users call it (none for the native timesheet)
    kind: str = "time"  # KINDS: time entries (build.py), expenses (expenses.py) or bookings (bank/csvfile.py)

    def __post_init__(self) -> None:
        unknown = set(self.columns) - set(KINDS[self.kind])
        assert not unknown, f"{self.name}: unknown fields {unknown}"
        assert set(self.derived) <= set(KINDS[self.kind]) and set(self.derived.values()) <= set(self.columns), self.name
        assert self.clock in CLOCKS and self.container in CONTAINERS, self.name

    @cached_property
    def _patterns(self) -> list[tuple[str, int, re.Pattern]]:
        return [(f, rank, re.compile(p)) for f, names in self.columns.items() for rank, p in enumerate(names)]

    def _matches(self, header: Header) -> dict[str, list[tuple[int, int, re.Match]]]:
        """canonical field -> [(rank of the name, position, match)] for every header column it knows."""
        found: dict[str, list] = {}
        for i, name in enumerate(header):
            text = normalise(name or "")
            for f, rank, pattern in self._patterns:
                if m := pattern.fullmatch(text):
                    found.setdefault(f, []).append((rank, i, m))
                    break
        return found

    def field_positions(self, header: Header) -> dict[str, int]:
        """canonical field -> column position: for each field, its most preferred name present."""
        return {f: min(hits)[1] for f, hits in self._matches(header).items()}

    def present(self, header: Header) -> set[str]:
        """The fields this header gives: by their own column, or derived from another's."""
        found = set(self.field_positions(header))
        return found | {f for f, source in self.derived.items() if source in found}

    def header_currency(self, header: Header) -> str | None:
        """A currency named inside a header, e.g. EUR from `Amount (EUR)`."""
        for hits in self._matches(header).values():
            for _, _, m in hits:
                if "currency" in m.groupdict() and m["currency"]:
                    return m["currency"].upper()
        return None

    def repeated(self, header: Header) -> list[list[int]]:
        """Positions of columns that repeat one name of a field: which of them would be the hours?"""
        out = []
        for hits in self._matches(header).values():
            by_rank: dict[int, list[int]] = {}
            for rank, i, _ in hits:
                by_rank.setdefault(rank, []).append(i)
            out += [positions for positions in by_rank.values() if len(positions) > 1]
        return out

    @cached_property
    def shortest(self) -> int:
        """json: the fewest items a list record may have — up to the last one a required field reads."""
        return 1 + max((i for i, name in enumerate(self.positions) if self.required & self._matches([name]).keys()),
                       default=-1)

    def known(self, header: Header) -> int:
        return len(self._matches(header))

    def matches(self, header: Header) -> bool:
        return not self.missing(header)

    def missing(self, header: Header) -> list[str]:
        """The columns this header lacks, by the names the tool writes (e.g. 'start time')."""
        present = self.present(header)
        missing = sorted(self.label(f) for f in self.required - present)
        if self.one_of and not any(group <= present for group in self.one_of):
            missing.append(" or ".join(" and ".join(sorted(map(self.label, group))) for group in self.one_of))
        return missing

    def label(self, field_name: str) -> str:
        """A field's column as the export names it: its first header name, as plain text."""
        return re.sub(r"\\(.)", r"\1", re.sub(r"\(\?P<\w+>[^)]*\)", "", self.columns[field_name][0]))
