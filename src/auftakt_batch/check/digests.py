"""Entry ids (and slots) as their digests' bytes, looked up as integers, exactly.

An id is twenty lower-case hex digits: ID_BYTES of BLAKE2b (identity.py); a slot is "t:" or "d:"
and one of those. A year's ledger holds hundreds of thousands of billed ids, and every check
looks them up among a year's exports: as text, each lookup hashes a Python string (0.23 s for
766,000 ids among 700,000). As bytes they are read straight from the identity cache
(identities.py), or made from text without a string per value (the values joined a block at a
time and read as a matrix). `places` hashes the first HEAD bytes of the ledger's ids as integers
and compares the rest of each digest found; where two of them share those bytes, `keys` numbers
the first bytes of every id and puts the rest beside the number. Either way an id is found
exactly where it is: no digest's bytes are mixed into fewer.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ..schemas import LINES_AT_ONCE, fixed_lines
from .identity import ID_BYTES

HEX = ID_BYTES * 2  # an id's characters
HEX_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
NIBBLES = np.full(256, 255, dtype=np.uint8)  # a hex digit's byte -> its value; 255: not a lower-case hex digit
NIBBLES[HEX_DIGITS] = np.arange(16, dtype=np.uint8)
Ids = tuple[np.ndarray, np.ndarray]  # (digests (rows, ID_BYTES), which rows are ids): `id_bytes`, `as_bytes`
Fingerprints = Callable[[pd.DataFrame], Ids]  # rows -> their ids as bytes
HEAD = 8  # the bytes of a digest numbered by the hash table (one uint64); the rest are kept beside its number


def as_bytes(texts: list | pd.Series | pd.Index, prefix: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(each value's digest (rows, ID_BYTES), its first `prefix` characters' bytes (rows, prefix),
    whether it is of the form: `prefix` ASCII characters then HEX lower-case hex digits). A value
    not of the form (missing, another length, not ASCII, not hex) has zeros for both. The values are
    read LINES_AT_ONCE at a time, as the schemas join ids: a year's at once held their text three times
    over (100 MB)."""
    count = len(texts)
    digest = np.zeros((count, ID_BYTES), dtype=np.uint8)
    heads = np.zeros((count, prefix), dtype=np.uint8)
    fits = np.zeros(count, dtype=bool)
    for lo in range(0, count, LINES_AT_ONCE):
        hi = min(lo + LINES_AT_ONCE, count)
        part = texts.iloc[lo:hi] if isinstance(texts, pd.Series) else texts[lo:hi]  # by position, whatever the index
        block = part if isinstance(part, list) else part.tolist()  # not a year's list at once
        fits[lo:hi] = _read(block, prefix, digest[lo:hi], heads[lo:hi])
    return digest, heads, fits


def _read(texts: list, prefix: int, digest: np.ndarray, heads: np.ndarray) -> np.ndarray:
    """`as_bytes` of a few values, written into `digest` and `heads` (zeros); which are of the form."""
    width = prefix + HEX
    lines = fixed_lines(texts, width)  # all of them text of the width: read at once, no test per value
    if lines is not None:
        fits = np.ones(len(texts), dtype=bool)
        at = np.arange(len(texts))
    else:
        fits = np.fromiter((isinstance(t, str) and len(t) == width and t.isascii() for t in texts), dtype=bool,
                           count=len(texts))
        at = np.flatnonzero(fits)
        if not len(at):
            return fits
        joined = "".join(texts if len(at) == len(texts) else [texts[i] for i in at.tolist()])
        lines = np.frombuffer(joined.encode("ascii"), dtype=np.uint8).reshape(len(at), width)
    nibbles = NIBBLES[lines[:, prefix:width]]
    hexes = (nibbles <= 15).all(axis=1)
    fits[at] = hexes
    rows: np.ndarray | slice = slice(None) if len(at) == len(texts) else at  # every one: written whole
    if not hexes.all():
        rows, lines, nibbles = at[hexes], lines[hexes], nibbles[hexes]
    digest[rows] = (nibbles[:, 0::2] << 4) | nibbles[:, 1::2]
    heads[rows] = lines[:, :prefix]
    return fits


def as_texts(digest: np.ndarray, heads: np.ndarray) -> list[str]:
    """The values `as_bytes` read (digest: (rows, ID_BYTES), heads: (rows, prefix)) as text again: one
    line per value — its prefix, then its digest's hex digits — as a matrix of bytes, split once.
    ValueError where a prefix holds a line break."""
    count, prefix = heads.shape
    lines = np.empty((count, prefix + HEX + 1), dtype=np.uint8)
    lines[:, :prefix] = heads
    lines[:, prefix:prefix + HEX:2], lines[:, prefix + 1:prefix + HEX:2] = HEX_DIGITS[digest >> 4], \
        HEX_DIGITS[digest & 15]
    lines[:, -1] = ord("\n")
    texts = lines.tobytes().decode("ascii").split("\n")
    texts.pop()  # after the last line's break
    if len(texts) != count:
        raise ValueError("a line break among the prefixes")
    return texts


def places(mine: Ids, pool: Ids) -> tuple[np.ndarray, np.ndarray | None] | None:
    """(for each of `mine`'s ids (digests (rows, ID_BYTES), which rows are ids) the row of `pool` that
    holds the same id — its first, where it holds it twice —, -1 where none does (or it is no id);
    for each of `pool`'s rows that first row of its id, -1 where it is no id: None where each id of
    the pool is in its own row). None where two of `pool`'s ids differ only after their first HEAD
    bytes (`keys` tells those apart). One hash table of integers, of `pool`'s first HEAD bytes; the
    rest of each digest found there is compared whole, so an id is placed exactly where it is."""
    (digest, fits), (theirs, their_fits) = mine, pool
    rows = None if their_fits.all() else np.flatnonzero(their_fits)  # None: every row
    index = pd.Index(_first(theirs if rows is None else theirs[rows]), copy=False)
    firsts = None
    if not index.is_unique:  # an id the pool holds twice, or two ids alike in their first bytes
        rows = np.arange(len(theirs)) if rows is None else rows
        once = ~index.duplicated()
        firsts = np.full(len(theirs), -1, dtype=np.int64)
        firsts[rows] = rows[once][pd.Index(index[once]).get_indexer(index)]  # each row's first of its first bytes
        if not (theirs[firsts[rows], HEAD:] == theirs[rows, HEAD:]).all():
            return None
        rows, index = rows[once], pd.Index(index[once])
    at = index.get_indexer(_first(digest))
    del index
    if rows is not None:
        hit = at >= 0
        at[hit] = rows[at[hit]]
    at[~fits] = -1
    hit = np.flatnonzero(at >= 0)
    at[hit[(theirs[at[hit], HEAD:] != digest[hit, HEAD:]).any(axis=1)]] = -1  # alike in their first bytes alone
    return at, firsts


def _first(digest: np.ndarray) -> np.ndarray:
    """Each digest's first HEAD bytes as one integer."""
    return np.ascontiguousarray(digest[:, :HEAD]).view(np.uint64).ravel()


def overlap(mine: Ids, theirs: Ids) -> tuple[np.ndarray, np.ndarray]:
    """(whether each of `mine`'s ids is one of `theirs`, whether each of theirs is one of mine): the
    fewer placed in a hash table (`places`) and the others looked up in it, else by `keys`."""
    if len(theirs[0]) < len(mine[0]):
        back, found = overlap(theirs, mine)
        return found, back
    placed = places(theirs, mine)
    if placed is None:
        my_keys, their_keys = keys(mine, theirs)
        return found_in(my_keys, their_keys), found_in(their_keys, my_keys)
    at, firsts = placed
    found = np.zeros(len(mine[0]) + 1, dtype=bool)  # the last: of rows that are no id (firsts -1)
    found[at[at >= 0]] = True
    return found[:-1] if firsts is None else found[firsts], at >= 0


def positions(mine: Ids, pool: Ids) -> np.ndarray:
    """Each of `mine`'s ids' row in `pool` (whose ids are each once), -1 where it is not there (or no
    id): as `frames.positions` finds them among text, the hash table made of the fewer (`places`)."""
    if len(mine[0]) < len(pool[0]):
        placed = places(pool, mine)
        if placed is not None:
            at, firsts = placed
            found = np.full(len(mine[0]) + 1, -1, dtype=np.int64)  # the last: of rows that are no id (firsts -1)
            hit = np.flatnonzero(at >= 0)
            found[at[hit]] = hit
            return found[:-1] if firsts is None else found[firsts]
    else:
        placed = places(mine, pool)
        if placed is not None:
            return placed[0]
    my_keys, their_keys = keys(mine, pool)
    return pd.Index(their_keys).get_indexer(my_keys)


def keys(*digests: Ids) -> list[np.ndarray]:
    """For each (digests (rows, ID_BYTES), which rows are ids) an int64 key per row: two rows of any of
    them have equal keys exactly where both are ids with equal digests. A row that is no id has a key
    of its own (negative), equal to no other. The first HEAD bytes of every digest are numbered in one
    hash table of integers, and each number shifted beside the last bytes: no digest's bytes are
    mixed, so no two digests share a key by chance."""
    ends = np.cumsum([len(d) for d, _ in digests], dtype=np.int64)
    found = pd.factorize(np.concatenate([_first(d) for d, _ in digests] or [np.zeros(0, dtype=np.uint64)]))[0]
    found <<= 8 * (ID_BYTES - HEAD)
    for (d, fits), lo in zip(digests, [0, *ends[:-1].tolist()]):
        part = found[lo:lo + len(d)]  # a view: written in place
        for at in range(HEAD, ID_BYTES):
            part |= d[:, at].astype(np.int64) << (8 * (ID_BYTES - 1 - at))
        part[~fits] = -1 - lo - np.flatnonzero(~fits)
    return np.split(found, ends[:-1]) if digests else []


def id_bytes(ids: pd.Series | pd.Index) -> Ids:
    """(`as_bytes` of a column of entry ids: their digests, which values are ids)."""
    digest, _, fits = as_bytes(ids)
    return digest, fits


def found_in(keys: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """Whether each key is one of `pool`'s: a hash table of integers."""
    return pd.Series(keys, copy=False).isin(pool).to_numpy(dtype=bool) if len(keys) else np.zeros(0, dtype=bool)
