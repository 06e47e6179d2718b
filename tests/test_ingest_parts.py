"""Parts of larger frames (ingest/parts.py) joined give exactly what `pd.concat` of their frames gives."""

from decimal import Decimal

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from auftakt_batch.ingest.parts import Part, joined

from .conftest import examples


def frame(n: int, seed: int, typed: bool = True) -> pd.DataFrame:
    values = np.arange(seed * 100, seed * 100 + n)
    return pd.DataFrame({
        "file": pd.array([f"input/e{v % 7}.csv" for v in values], dtype="str"),
        "row": values.astype("int64") if typed else values.astype("float64"),
        "hours": pd.array([None if v % 5 == 0 else int(v) for v in values], dtype="Int64"),
        "amount": np.array([None if v % 3 else Decimal(f"{v}.50") for v in values], dtype=object),
        "start": pd.DatetimeIndex(pd.to_datetime(values, unit="h")).tz_localize("UTC").astype("datetime64[us, UTC]"),
    })


slices = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 9), st.integers(0, 9), st.booleans()),
                  min_size=1, max_size=12)


@settings(max_examples=examples(100), deadline=None)
@given(slices, st.booleans())
def test_parts_joined_are_their_frames_concatenated(cuts, alike):
    bases = [frame(10, 0), frame(10, 1), frame(10, 2, typed=alike)]  # unlike dtypes: pd.concat itself
    parts = []
    for base, a, b, whole in cuts:
        start, end = min(a, b), max(a, b)
        part = Part(bases[base], start, end)
        parts.append(part.taken().copy() if whole else part)  # some frames of their own
    expected = pd.concat([p.taken() if isinstance(p, Part) else p for p in parts], ignore_index=True)
    got = joined(parts)
    assert got.dtypes.equals(expected.dtypes) and got.index.equals(expected.index)
    assert got.equals(expected)
    assert [type(v) for v in got["amount"]] == [type(v) for v in expected["amount"]]


def test_one_frame_cut_into_all_its_parts_is_that_frame():
    base = frame(10, 0)
    got = joined([Part(base, 0, 3), Part(base, 3, 3), Part(base, 3, 10)])
    assert got.equals(base) and got.index.equals(pd.RangeIndex(10))
