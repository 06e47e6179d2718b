"""Export formats as data: which header names map to which canonical field.

Adding a tracker means adding a `Format` (and a fixture), not a parser. A file's format is
recognised from its header alone: the format whose required columns are all present.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from ..names import normalise


@dataclass(frozen=True)
class Format:
    name: str
    title: str
    columns: Mapping[str, tuple[str, ...]]  # canonical field -> header names (normalised)
    required: frozenset[str]
    one_of: tuple[frozenset[str], ...] = ()  # and at least one of these groups, e.g. hours or start+end

    def field_positions(self, header: list[str] | tuple[str, ...]) -> dict[str, int]:
        """canonical field -> column position, for the header names this format knows."""
        lookup = {name: field for field, names in self.columns.items() for name in names}
        positions: dict[str, int] = {}
        for i, name in enumerate(header):
            field = lookup.get(normalise(name))
            if field is not None and field not in positions:
                positions[field] = i
        return positions

    def repeated(self, header) -> list[list[int]]:
        """Positions of each canonical field that more than one header column maps to."""
        lookup = {name: field for field, names in self.columns.items() for name in names}
        positions: dict[str, list[int]] = {}
        for i, name in enumerate(header):
            if (field := lookup.get(normalise(name))) is not None:
                positions.setdefault(field, []).append(i)
        return [p for p in positions.values() if len(p) > 1]

    def matches(self, header) -> bool:
        return not self.missing(header)

    def missing(self, header) -> list[str]:
        present = self.field_positions(header).keys()
        missing = sorted(self.required - present)
        if self.one_of and not any(group <= present for group in self.one_of):
            missing.append(" or ".join(" and ".join(sorted(group)) for group in self.one_of))
        return missing


NATIVE = Format(
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

FORMATS: tuple[Format, ...] = (NATIVE,)
NATIVE_HEADER = "date,person,client,job,task,description,hours,billable (optional: start,end)"


def recognise(header: list[str]) -> str | None:
    """The name of the format this header belongs to, or None."""
    return next((f.name for f in FORMATS if f.matches(header)), None)


def by_name(name: str) -> Format:
    return next(f for f in FORMATS if f.name == name)


def describe_unknown(header: list[str]) -> str:
    """Why a header is not recognised: the nearest format's missing columns, or the formats known."""
    shown = ",".join(h for h in header if h)[:120] or "(empty)"
    best = max(FORMATS, key=lambda f: len(f.field_positions(header)))
    if len(best.field_positions(header)) >= 3:
        return (f"looks like a {best.title} but lacks column(s) {', '.join(best.missing(header))} — "
                f"the header must be {NATIVE_HEADER}")
    return (f"unrecognised header '{shown}' — the first row must be a timesheet header: "
            f"{NATIVE_HEADER}")
