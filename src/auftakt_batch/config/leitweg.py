"""The Leitweg-ID, German public authorities' buyer reference on e-invoices, as KoSIT's format
specification defines it: `Grobadressierung[-Feinadressierung]-Prüfziffer` — 2 to 12 digits, an
optional fine address of up to 30 letters and digits, and two check digits, ISO/IEC 7064
MOD 97-10 over the rest without hyphens, each letter read as its place in the alphabet from
A = 10 to Z = 35 (as in an IBAN): the whole, read as one number, leaves 1 when divided by 97.
"""

from __future__ import annotations

import re

_FORMAT = re.compile(r"(\d{2,12})(?:-([0-9A-Za-z]{1,30}))?-(\d{2})")
_START = re.compile(r"\s*\d{2,12}-")  # the coarse address and its hyphen: what a Leitweg-ID begins with


def looks_like_leitweg(text: str) -> bool:
    """Whether a buyer reference begins as a Leitweg-ID does (2–12 digits, a hyphen): then it must be one."""
    return _START.match(text) is not None


def leitweg_fault(text: str) -> str | None:
    """What is wrong with `text` as a Leitweg-ID, or None when it is one."""
    m = _FORMAT.fullmatch(text.strip())
    if m is None:
        return (f"{text!r} is not a Leitweg-ID: it is 2–12 digits, an optional part of up to 30 letters and "
                "digits, and 2 check digits, joined by hyphens, e.g. 04011000-1234512345-06")
    if _number("".join(part or "" for part in m.groups())) % 97 != 1:
        return (f"{text!r} is not a Leitweg-ID: its check digits {m[3]} do not match (ISO 7064 MOD 97-10) — "
                "copy it again from the authority's order")
    return None


def _number(text: str) -> int:
    return int("".join(str(int(ch, 36)) for ch in text.upper()))
