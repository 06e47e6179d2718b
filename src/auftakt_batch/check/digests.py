"""Entry ids (and slots) as their digests' bytes, and as integer keys that are equal exactly where
the ids are.

An id is twenty lower-case hex digits: ID_BYTES of BLAKE2b (identity.py); a slot is "t:" or "d:"
and one of those. A year's ledger holds hundreds of thousands of billed ids, and every check
looks them up among a year's exports: as text, each lookup hashes a Python string (0.23 s for
766,000 ids among 700,000). As bytes they are read straight from the identity cache
(identities.py), and made from text without a string per value (the values joined a block at a
time and read as a matrix); as keys — the first eight bytes numbered by a hash table of
integers, the last two beside them — they are looked up as integers.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from .identity import ID_BYTES

HEX = ID_BYTES * 2  # an id's characters
HEX_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
NIBBLES = np.full(256, 255, dtype=np.uint8)  # a hex digit's byte -> its value; 255: not a lower-case hex digit
NIBBLES[HEX_DIGITS] = np.arange(16, dtype=np.uint8)
Fingerprints = Callable[[pd.DataFrame], tuple[np.ndarray, np.ndarray]]  # rows -> (`as_bytes` of their ids, which are)
HEAD = 8  # the bytes of a digest numbered by the hash table (one uint64); the rest are kept beside its number


def as_bytes(texts: list, prefix: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(each value's digest (rows, ID_BYTES), its first `prefix` characters' bytes (rows, prefix),
    whether it is of the form: `prefix` ASCII characters then HEX lower-case hex digits). A value
    not of the form (missing, another length, not ASCII, not hex) has zeros for both."""
    width, count = prefix + HEX, len(texts)
    fits = np.fromiter((isinstance(t, str) and len(t) == width and t.isascii() for t in texts), dtype=bool,
                       count=count)
    digest = np.zeros((count, ID_BYTES), dtype=np.uint8)
    heads = np.zeros((count, prefix), dtype=np.uint8)
    at = np.flatnonzero(fits)
    if not len(at):
        return digest, heads, fits
    joined = "".join(texts if len(at) == count else [texts[i] for i in at.tolist()])
    lines = np.frombuffer(joined.encode("ascii"), dtype=np.uint8).reshape(len(at), width)
    nibbles = NIBBLES[lines[:, prefix:]]
    hexes = (nibbles <= 15).all(axis=1)
    fits[at] = hexes
    at, lines, nibbles = at[hexes], lines[hexes], nibbles[hexes]
    digest[at] = (nibbles[:, 0::2] << 4) | nibbles[:, 1::2]
    heads[at] = lines[:, :prefix]
    return digest, heads, fits


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


def keys(*digests: tuple[np.ndarray, np.ndarray]) -> list[np.ndarray]:
    """For each (digests (rows, ID_BYTES), which rows are ids) an int64 key per row: two rows of any of
    them have equal keys exactly where both are ids with equal digests. A row that is no id has a key
    of its own (negative), equal to no other. The first HEAD bytes of every digest are numbered in one
    hash table of integers, and each number shifted beside the last bytes: no digest's bytes are
    mixed, so no two digests share a key by chance."""
    every = np.concatenate([d for d, _ in digests]) if digests else np.zeros((0, ID_BYTES), dtype=np.uint8)
    first = np.ascontiguousarray(every[:, :HEAD]).view(np.uint64).ravel()
    rest = np.zeros(len(every), dtype=np.int64)
    for at in range(HEAD, ID_BYTES):
        rest = rest << 8 | every[:, at]
    numbers = pd.factorize(first)[0].astype(np.int64)
    found = numbers << (8 * (ID_BYTES - HEAD)) | rest
    ids = np.concatenate([fits for _, fits in digests]) if digests else np.zeros(0, dtype=bool)
    found[~ids] = -1 - np.flatnonzero(~ids)
    return np.split(found, np.cumsum([len(d) for d, _ in digests])[:-1]) if digests else []


def id_bytes(ids: pd.Series | pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """(`as_bytes` of a column of entry ids: their digests, which values are ids)."""
    digest, _, fits = as_bytes(ids.tolist())
    return digest, fits


def found_in(keys: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """Whether each key is one of `pool`'s: a hash table of integers."""
    return pd.Series(keys, copy=False).isin(pool).to_numpy(dtype=bool) if len(keys) else np.zeros(0, dtype=bool)
