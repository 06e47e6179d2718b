"""pandas as the package's frames need it, set before any frame is made (periods.py and schemas.py,
which every command imports before it reads a file, import this module); `factorize`, pandas' own
but quicker for text; `firsts`, the distinct rows of a few columns of a year's entries, found
without a merge or a sort; `among` and `positions`, a few values looked up among a year's by hashing
the few; and `appended`, a concat that never holds a year's rows twice.

Text is kept as Python strings, whether or not pyarrow is installed: pandas 3 keeps it in Arrow
arrays where pyarrow is there, and this package's cold runs are then 1.1-1.2x as slow (each stage
reads text as Python strings: bench/ARROW.md, measured by `make bench-arrow`), and
a user's results would hang on what else happens to be installed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

pd.set_option("mode.string_storage", "python")


def factorize(values: pd.Series | pd.Index | np.ndarray, *, sort: bool = False,
              use_na_sentinel: bool = True) -> tuple[np.ndarray, Any]:
    """`pd.factorize(values)`: the same codes, and for text the distinct values as an object array.
    Text is factorized as the array of Python strings it holds: pandas' own factorize of a text
    column hands its hash table NaN as the missing value, and the table compares every value with
    it in Python besides testing it for missing (a million names: 55 ms rather than 34)."""
    array = values.array if isinstance(values, (pd.Series, pd.Index)) else values
    if isinstance(array, pd.arrays.StringArray):
        values = array.to_numpy(dtype=object)
    return pd.factorize(values, sort=sort, use_na_sentinel=use_na_sentinel)


def firsts(keys: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(the position of each distinct row of `keys` where it first occurs, in order; for each row,
    which of them it is) — a missing value equals another missing value, as in a merge."""
    group = np.zeros(len(keys), dtype=np.int64)
    for column in keys.columns:
        codes, uniques = factorize(keys[column], use_na_sentinel=False)
        group = pd.factorize(group * len(uniques) + codes)[0]  # numbered in the order they first occur
    # so each one first occurs where the highest number so far grows: no sort of a year's rows
    first = np.flatnonzero(np.diff(np.maximum.accumulate(group), prepend=-1) > 0) if len(group) else group
    return first, group


def among(values: pd.Series, pool: pd.Series | pd.Index) -> pd.Series:
    """`values.isin(pool)`, the hash table made of `values` where they are far fewer: pandas makes it
    of `pool`, and a month's few meetings looked up among a year's billed ids would hash all of those
    first. (Of two about as large, that would hash both: the plain `isin` is kept.)"""
    if len(values) * FEWER <= len(pool):
        pool = pool[pool.isin(values)]  # the pool's values that are among `values`: at most as many
    return values.isin(pool)


FEWER = 8  # how many times more values the pool must hold for `among` to hash `values` first


def appended(frame: pd.DataFrame, more: pd.DataFrame) -> pd.DataFrame:
    """`pd.concat([frame, more], ignore_index=True)`, made a column at a time where both have rows, each
    column taken out of `frame` once its copy is made (`frame` ends with none): where nothing else holds
    it, it is let go. A year's entries with a few meetings appended are then never held twice (the check
    of the months before peaked 170 MB higher on the concat). Columns, their order and dtypes are the
    concat's: each column is the concat of the two frames' one (of none where a frame lacks it)."""
    columns, rows = pd.concat([frame.iloc[:0], more.iloc[:0]], ignore_index=True).columns, len(frame) + len(more)
    if columns.has_duplicates or not len(frame) or not len(more):  # a label naming several; pandas' rules for an
        return pd.concat([frame, more], ignore_index=True)  # empty frame's columns: nothing to save either way
    parts = []
    for column in columns:
        ours, theirs = (f[[column]] if column in f.columns else f.iloc[:, :0] for f in (frame, more))
        parts.append(pd.concat([ours, theirs], ignore_index=True)[column])
        del ours
        if column in frame.columns:
            del frame[column]
    return pd.DataFrame(dict(enumerate(parts)), index=pd.RangeIndex(rows), copy=False).set_axis(columns, axis=1)


def positions(values: pd.Series, pool: pd.Series) -> np.ndarray:
    """`pd.Index(pool).get_indexer(values)`: each value's place in `pool` (whose values are distinct),
    -1 where it is not there. The hash table is made of `values` where they are fewer and distinct, and
    `pool` looked up in it: a quarter of a year's entries looked up among a year's billed ids would
    hash all of those first (225,000 among 766,000: 0.12 s rather than 0.19)."""
    found = pd.Index(values)
    if len(found) >= len(pool) or not found.is_unique:
        return pd.Index(pool).get_indexer(values)
    back = found.get_indexer(pool)
    at = np.full(len(found), -1, dtype=np.intp)
    there = back >= 0
    at[back[there]] = np.flatnonzero(there)
    return at
