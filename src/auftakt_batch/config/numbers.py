"""agency.invoice_number: a pattern that can never give one number to two invoices.

An invoice number is given out once and must stay unique for ever (the ledger's UNIQUE on the
number). The ledger counts `seq` per year, restarting at 1, so a pattern must show the year and
the seq in full: "{seq:04d}" gives 0001 again next January, "{year}-{seq!s:.2}" gives 2026-10 to
invoices 10 and 100. Rather than list such tricks, the pattern is formatted for sample years and
seqs chosen to expose them — each edge where a digit is added, years that differ in each place —
and refused if two different (year, seq) give the same text. A pattern without {year} always
gives one number in 2026 and in 2027, so that refuses it too (with "needs {year}"); one without
{seq} is refused before. Checked when rates.yaml loads.
"""

from __future__ import annotations

import re
from string import Formatter

EXAMPLE = '"{year}-{seq:04d}"'
SAMPLE_YEARS = (2026, 2027, 2036, 2126, 2999)
SAMPLE_SEQS = (1, 2, 9, 10, 11, 99, 100, 101, 999, 1000, 9999, 10000, 99999, 100000, 123456, 1_000_000)
SAFE = re.compile(r"[A-Za-z0-9._-]+")
LONGEST = 40  # characters: the number is part of file names (NUMBER-CLIENT.pdf)


def number_fault(pattern: str) -> str | None:
    """What makes `pattern` unfit to number invoices ("what is wrong — what to do"), or None."""
    try:
        fields = {name for _, name, _, _ in Formatter().parse(pattern) if name is not None}
        numbers = {(year, seq): pattern.format(year=year, seq=seq) for year in SAMPLE_YEARS for seq in SAMPLE_SEQS}
    except (KeyError, IndexError, ValueError, AttributeError, TypeError) as exc:
        return f"{pattern!r} is not a valid pattern ({exc}); use {{year}} and {{seq}}, e.g. {EXAMPLE}"
    if fields - {"year", "seq"}:
        other = sorted(fields - {"year", "seq"})[0]
        return f"{pattern!r} uses {{{other}}} — use only {{year}} and {{seq}}, each with a format if you like, " \
               f"e.g. {EXAMPLE}"
    if "seq" not in fields:
        return "must contain {seq} so every invoice gets its own number"
    unsafe = next((number for number in numbers.values() if not SAFE.fullmatch(number)), None)
    if unsafe is not None:
        return f"gives {unsafe!r}; use only letters, digits, '.', '_' and '-' (the number is part of file names)"
    longest = max(numbers.values(), key=len)
    if len(longest) > LONGEST:
        return f"gives numbers of up to {len(longest)} characters; keep them to {LONGEST} (the number is part of " \
               f"file names), e.g. {EXAMPLE}"
    return _collision(pattern, fields, numbers)


def _collision(pattern: str, fields: set[str], numbers: dict[tuple[int, int], str]) -> str | None:
    """The first two sample (year, seq) that get one number, said with the fix; None if there are none."""
    seen: dict[str, tuple[int, int]] = {}
    for this, number in numbers.items():
        first = seen.setdefault(number, this)
        if first != this:
            return f'"{pattern}" gives {number} {_both(first, this)} — {_fix(first, this, fields)}; e.g. {EXAMPLE}'
    return None


def _both(first: tuple[int, int], second: tuple[int, int]) -> str:
    (year, seq), (other_year, other_seq) = first, second
    if seq == other_seq:
        return f"in {year} and in {other_year}"
    if year == other_year:
        return f"for invoice {seq} and for invoice {other_seq} of {year}"
    return f"for invoice {seq} of {year} and for invoice {other_seq} of {other_year}"


def _fix(first: tuple[int, int], second: tuple[int, int], fields: set[str]) -> str:
    if "year" not in fields:
        return "the series restarts each year, so the number needs {year}"
    if first[1] == second[1]:
        return "{year} must show in full: no precision that cuts it"
    if first[0] == second[0]:
        return "{seq} must show in full: no precision that cuts it, no padding after it"
    return "{year} and {seq} must each show in full"
