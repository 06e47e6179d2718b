"""Matching the names people type in exports to the keys in rates.yaml.

A name matches case- and whitespace-insensitively (and after Unicode NFKC, so a
non-breaking space or a full-width letter does not make a stranger of a client).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # pandas is imported where it is used: the CLI's --help stays quick
    import numpy as np
    import pandas as pd

_SPACES = re.compile(r"\s+")


def normalise(name: str) -> str:
    if name.isascii():  # NFKC leaves ASCII as it is; split() and \s agree on ASCII whitespace
        return " ".join(name.split()).casefold()
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", name)).strip().casefold()


def normalised(names: pd.Series) -> pd.Series:
    """A Series of names, each normalised — every distinct one once (exports repeat them)."""
    return per_distinct(names, normalise, names.dtype)


def normalised_values(names: pd.Series) -> np.ndarray:
    """`normalised` as an object array (None where missing): no Series to make of a year's names."""
    return _each_distinct(names, normalise)


def per_distinct(values: pd.Series, function: Callable[[Any], object], dtype: object = "str") -> pd.Series:
    """`function` of each value of a Series, called once per distinct value (exports repeat their
    names thousands of times); missing values stay missing."""
    import pandas as pd

    return pd.Series(_each_distinct(values, function), index=values.index, dtype=dtype)


def _each_distinct(values: pd.Series, function: Callable[[Any], object]) -> np.ndarray:
    import numpy as np

    from .frames import factorize

    codes, distinct = factorize(values)
    found = np.array([function(v) for v in distinct.tolist()] + [None], dtype=object)
    return found[codes]


@dataclass(frozen=True)
class NameIndex:
    """Normalised name -> key. Built once per config; lookups are dictionary hits."""

    keys: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)  # key -> how to show it in a message

    def get(self, name: str) -> str | None:
        return self.keys.get(normalise(name))

    def closest(self, name: str) -> str | None:
        """The key whose name is nearest to `name`, if any is near enough to be a likely typo."""
        close = difflib.get_close_matches(normalise(name), list(self.keys), n=1, cutoff=0.6)
        return self.keys[close[0]] if close else None

    def suggestion(self, name: str, what: str) -> str:
        """'closest: acme (ACME GmbH)' or 'known: a, b, c' for an unknown-name message."""
        if (key := self.closest(name)) is not None:
            return f"closest: {self.labels[key]}"
        if not self.labels:
            return f"no {what} defined yet"
        shown = sorted(self.labels.values())
        more = f", … ({len(shown) - 12} more)" if len(shown) > 12 else ""
        return "known: " + ", ".join(shown[:12]) + more


def build_index(entries: list[tuple[str, str, list[tuple]]]) -> tuple[NameIndex, list[tuple]]:
    """Index (key, label, names) triples, where each name is a tuple starting with its text.

    Returns the index and the clashes: (name tuple, key, key that already had the name).
    The same name given twice for one key is not a clash.
    """
    keys: dict[str, str] = {}
    labels: dict[str, str] = {}
    clashes = []
    for key, label, names in entries:
        labels[key] = label
        for name in names:
            norm = normalise(name[0])
            if not norm:
                continue
            other = keys.setdefault(norm, key)
            if other != key:
                clashes.append((name, key, other))
    return NameIndex(keys, labels), clashes
