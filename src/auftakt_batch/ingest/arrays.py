"""A frame's columns as plain numpy arrays (numbers, booleans, int64 instants, UTF-8 bytes) and back.

What the ingest cache (ingest/cache.py) stores with `np.savez` and reads with
`np.load(..., allow_pickle=False)`: no array is ever of dtype object, so reading one never
unpickles. Each column is kept by what its dtype is, never by its name:

- text (pandas' `str`) as the codes of its distinct values (int32, -1 where missing) and those
  values as one UTF-8 blob with the end of each (in characters);
- Decimals (an object column of Decimal or None) the same way, as their text (`1.50` stays `1.50`),
  and an object column of str or None the same way (or of str or NaN: which one, in its description);
- numpy numbers and booleans as they are; nullable Int64/boolean as their values and a mask;
- instants as int64 counts of their unit since the epoch (NaT as numpy writes it), their zone in
  the column's description.

`encode` says None for a column it cannot keep exactly (the caller then keeps nothing);
`decode` raises for anything that is not what `encode` wrote. `pack` puts the arrays of all
columns into one array per dtype (a handful per file: each array of a .npz costs its own header
to read), each column's description saying where its own lie.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from ..frames import factorize

Arrays = dict[str, np.ndarray]
Column = tuple[dict[str, Any], Arrays]  # (its description, JSON; its arrays, by suffix)


def encode(values: pd.Series) -> Column | None:
    """The column as (description, arrays); None where it cannot be kept exactly."""
    dtype = values.dtype
    if isinstance(dtype, pd.StringDtype):
        codes, text, ends = _texts(values.to_numpy(dtype=object))  # factorized twice as fast as a StringArray
        return {"kind": "str", "storage": dtype.storage, "na": "nan" if dtype.na_value is np.nan else "NA"}, \
            {"codes": codes, "text": text, "ends": ends}
    if isinstance(dtype, pd.DatetimeTZDtype):
        utc = values.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
        return {"kind": "instant", "unit": dtype.unit, "tz": str(dtype.tz)}, {"values": utc.view("i8")}
    if isinstance(dtype, (pd.Int64Dtype, pd.BooleanDtype)):
        mask = values.isna().to_numpy()
        plain = values.to_numpy(dtype=dtype.numpy_dtype, na_value=dtype.numpy_dtype.type(0))
        return {"kind": "masked", "dtype": dtype.name}, {"values": plain, "mask": mask}
    if isinstance(dtype, np.dtype) and dtype.kind == "O":
        return _objects(values, Decimal, "decimal") or _objects(values, str, "texts")
    if isinstance(dtype, np.dtype) and dtype.kind == "M":
        return {"kind": "datetime", "unit": np.datetime_data(dtype)[0]}, {"values": values.to_numpy().view("i8")}
    if isinstance(dtype, np.dtype) and dtype.kind in "iufb":
        return {"kind": "numpy", "dtype": dtype.str}, {"values": values.to_numpy()}
    return None


def decode(described: dict[str, Any], arrays: Callable[[str], np.ndarray],
           rows: int) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """The column `encode` described, from its arrays (`arrays(suffix)`); raises for anything else."""
    kind = described["kind"]
    if kind == "str":
        dtype = pd.StringDtype(described["storage"], na_value=np.nan if described["na"] == "nan" else pd.NA)
        return pd.array(_values(arrays, rows, str, np.nan), dtype=dtype)
    if kind in ("decimal", "texts"):
        return _values(arrays, rows, Decimal if kind == "decimal" else str,
                       {None: None, "nan": np.nan}[described.get("missing")])
    values = _plain(arrays("values"), rows)
    if kind == "numpy":
        _expect(values.dtype == np.dtype(described["dtype"]))
        return values
    if kind == "masked":
        _expect(described["dtype"] in ("Int64", "boolean"))
        dtype = pd.api.types.pandas_dtype(described["dtype"])
        mask = _plain(arrays("mask"), rows)
        _expect(values.dtype == dtype.numpy_dtype and mask.dtype == bool)
        return dtype.construct_array_type()(values, mask)
    _expect(values.dtype == np.int64)
    instants = values.view(f"M8[{described['unit']}]")
    if kind == "datetime":
        return instants
    _expect(kind == "instant")
    return pd.DatetimeIndex(instants).tz_localize("UTC").tz_convert(described["tz"]).array


def joined(parts: list[Column]) -> Column | None:
    """One column from the same column of consecutive rows, each part `encode`d on its own (a large
    export read in parts: ingest/split.py): values end to end, and for text the parts' distinct
    values one after another (a value two parts share is kept twice: decoding gives it twice, equal);
    None where the parts' descriptions differ (another dtype, zone or unit)."""
    described = parts[0][0]
    if any(d != described for d, _ in parts):
        return None
    stored = [s for _, s in parts]
    if "codes" not in stored[0]:
        return described, {suffix: np.concatenate([s[suffix] for s in stored]) for suffix in stored[0]}
    codes, ends, distinct, chars = [], [], 0, 0
    for s in stored:
        codes.append(np.where(s["codes"] >= 0, s["codes"] + np.int32(distinct), np.int32(-1)).astype(np.int32))
        ends.append(s["ends"] + chars)
        distinct, chars = distinct + len(s["ends"]), chars + (int(s["ends"][-1]) if len(s["ends"]) else 0)
    return described, {"codes": np.concatenate(codes), "text": np.concatenate([s["text"] for s in stored]),
                       "ends": np.concatenate(ends)}


def pack(columns: Mapping[str, Column]) -> tuple[dict[str, dict[str, Any]], Arrays]:
    """(each column's description with where its arrays lie, the arrays: one per dtype)."""
    described: dict[str, dict[str, Any]] = {}
    parts: defaultdict[str, list[np.ndarray]] = defaultdict(list)
    ends: defaultdict[str, int] = defaultdict(int)
    for name, (description, stored) in columns.items():
        at = {}
        for suffix, values in stored.items():
            kind = values.dtype.name
            at[suffix] = [kind, ends[kind], len(values)]
            parts[kind].append(values)
            ends[kind] += len(values)
        described[name] = {**description, "at": at}
    return described, {kind: np.concatenate(values) for kind, values in parts.items()}


def unpack(described: dict[str, Any], packed: Mapping[str, np.ndarray],
           rows: int) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """The column `described` from the arrays `pack` made; raises for anything else."""
    def arrays(suffix: str) -> np.ndarray:
        kind, start, length = described["at"][suffix]
        whole = packed[kind]
        _expect(whole.ndim == 1 and 0 <= start <= start + length <= len(whole))
        return whole[start:start + length]

    return decode(described, arrays, rows)


def frame(columns: Mapping[str, np.ndarray | pd.api.extensions.ExtensionArray]) -> pd.DataFrame:
    """A frame of decoded columns, each of the dtype it was decoded as (an object column of text stays
    object: a frame built from an object array of str would make it pandas' `str`)."""
    return pd.DataFrame({name: pd.Series(values, dtype=values.dtype, copy=False) for name, values in columns.items()},
                        copy=False)


def _texts(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(codes, the distinct values' UTF-8 blob, each one's end in characters)."""
    codes, uniques = factorize(values)
    distinct = np.asarray(uniques, dtype=object)
    text = "".join(distinct).encode("utf-8", "surrogatepass")
    ends = np.cumsum(np.fromiter(map(len, distinct), dtype=np.int64, count=len(distinct)), dtype=np.int64)
    return codes.astype(np.int32), np.frombuffer(text, dtype=np.uint8), ends


def _objects(values: pd.Series, of: type, kind: str) -> Column | None:
    """An object column of `of` (Decimal, str) and one kind of missing value (None, or a float NaN, which
    pandas makes of None in a column it first read as text), as the text of each; None for anything else."""
    kept = values.to_numpy(dtype=object)
    present = kept != np.array(None)
    nan = present & pd.isna(kept)
    if nan.any():
        if not (present.all() and all(isinstance(v, float) for v in kept[nan])):  # None and NaN both; NA, NaT
            return None
        present = ~nan
    if not {type(v) for v in kept[present]} <= {of}:
        return None
    codes = np.full(len(kept), -1, dtype=np.int32)
    codes[present], text, ends = _texts(np.array([str(v) for v in kept[present]], dtype=object))
    return {"kind": kind, **({"missing": "nan"} if nan.any() else {})}, {"codes": codes, "text": text, "ends": ends}


def _values(arrays: Callable[[str], np.ndarray], rows: int, make: type, missing: object) -> np.ndarray:
    """The object array the codes pick from the distinct values (made by `make`); `missing` at -1."""
    codes, text, ends = _plain(arrays("codes"), rows), arrays("text"), arrays("ends")
    _expect(codes.dtype == np.int32 and text.dtype == np.uint8 and ends.dtype == np.int64 and ends.ndim == 1)
    whole = text.tobytes().decode("utf-8", "surrogatepass")
    _expect(len(ends) == 0 or (ends[-1] == len(whole) and bool(np.all(np.diff(ends) >= 0)) and ends[0] >= 0))
    starts = np.concatenate([[0], ends[:-1]]).tolist()
    distinct = np.empty(len(ends) + 1, dtype=object)
    distinct[:-1] = [make(whole[a:b]) for a, b in zip(starts, ends.tolist())]
    distinct[-1] = missing
    _expect(bool(np.all((codes >= -1) & (codes < len(ends)))))
    return distinct[codes]


def _plain(values: np.ndarray, rows: int) -> np.ndarray:
    _expect(values.ndim == 1 and len(values) == rows and values.dtype != object)
    return values


def _expect(condition: bool) -> None:
    if not condition:
        raise ValueError("not what the ingest cache writes")
