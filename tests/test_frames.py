"""frames.py: `factorize` is pandas' own, text taken as its array of strings; `firsts` numbers the
distinct rows of a few columns in the order they first occur."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from auftakt_batch import frames

# names as exports spell them: alike but for case or a space, empty, missing, anything
texts = st.one_of(st.none(), st.just(""), st.sampled_from(["Anna", "anna", " Anna", "Ben", "Ø", "1"]),
                  st.text(max_size=4))
TEXT_DTYPES = ["str", pd.StringDtype("python"), object]


def _listed(uniques: object) -> list:
    """The distinct values as a list, any missing value (None, NaN, NA) as one marker."""
    values = list(uniques)  # type: ignore[call-overload]
    return ["<missing>" if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else v for v in values]


@given(st.lists(texts, max_size=40), st.sampled_from(TEXT_DTYPES), st.booleans(), st.booleans(), st.booleans())
def test_factorize_of_text_gives_what_pandas_gives(values, dtype, sort, sentinel, as_index):
    """The same codes and distinct values as `pd.factorize`, missing values kept apart or numbered as
    it numbers them, sorted or in the order they first occur, of a column or an index."""
    column = pd.Series(values, dtype=dtype)
    given_values = pd.Index(column) if as_index else column
    codes, uniques = frames.factorize(given_values, sort=sort, use_na_sentinel=sentinel)
    expected_codes, expected_uniques = pd.factorize(given_values, sort=sort, use_na_sentinel=sentinel)
    np.testing.assert_array_equal(codes, expected_codes)
    assert _listed(uniques) == _listed(expected_uniques)


def test_factorize_of_anything_but_text_is_pandas_own():
    """Times, numbers and plain arrays go to `pd.factorize` as they are: its distinct times keep their
    type (identity._text formats them)."""
    days = pd.Series(pd.to_datetime(["2026-11-02", None, "2026-11-02", "2026-11-03"]))
    codes, uniques = frames.factorize(days)
    assert codes.tolist() == [0, -1, 0, 1]
    assert isinstance(uniques, pd.DatetimeIndex) and list(uniques.strftime("%d")) == ["02", "03"]
    array = np.array(["b", "a", "b"], dtype=object)
    assert frames.factorize(array)[0].tolist() == [0, 1, 0]
    assert frames.factorize(pd.Series([3, 1, 3]), sort=True)[0].tolist() == [1, 0, 1]


@given(st.lists(st.tuples(texts, st.one_of(st.none(), st.integers(0, 2))), max_size=40))
def test_firsts_number_rows_as_a_groupby_in_order_of_appearance_does(rows):
    """Each distinct row (a missing value equal to another) where it first occurs, and each row's
    number among them: what `duplicated` and a groupby that keeps missing keys and their order say."""
    keys = pd.DataFrame({"who": pd.Series([r[0] for r in rows], dtype="str"),
                         "day": pd.Series([r[1] for r in rows], dtype="Int64")})
    first, group = frames.firsts(keys)
    assert first.tolist() == np.flatnonzero(~keys.duplicated().to_numpy()).tolist()
    expected = keys.groupby(["who", "day"], sort=False, dropna=False).ngroup().to_numpy() if len(keys) else []
    assert group.tolist() == list(expected)


@settings(deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from("abcdef")), max_size=12),
       st.lists(st.one_of(st.none(), st.sampled_from("abcdefgh")), max_size=30), st.sampled_from([1, frames.FEWER]))
def test_among_is_isin_whichever_side_is_hashed(values, pool, fewer):
    values, pool = pd.Series(values, dtype="str"), pd.Series(pool, dtype="str")
    kept, frames.FEWER = frames.FEWER, fewer  # 1: `values` hashed first whenever they are fewer
    try:
        assert frames.among(values, pool).equals(values.isin(pool))
        assert frames.among(values, pd.Index(pool)).equals(values.isin(pd.Index(pool)))
    finally:
        frames.FEWER = kept
