"""frames.py: `factorize` is pandas' own, text taken as its array of strings; `firsts` numbers the
distinct rows of a few columns in the order they first occur."""

from __future__ import annotations

import math
import weakref

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from auftakt_batch import frames

from .conftest import examples

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


KINDS = {  # a column of each dtype the entries hold, from a few drawn values (None: missing)
    "text": lambda v: pd.array([None if x is None else str(x) for x in v], dtype="str"),
    "int": lambda v: np.array([x or 0 for x in v], dtype=np.int64),
    "nullable int": lambda v: pd.array(v, dtype="Int64"),
    "flag": lambda v: pd.array([None if x is None else x % 2 == 0 for x in v], dtype="boolean"),
    "bool": lambda v: np.array([bool(x) for x in v]),
    "instant": lambda v: pd.to_datetime([None if x is None else x * 10**9 for x in v]).tz_localize("UTC"),
    "object": lambda v: pd.Series([None if x is None else (x,) for x in v], dtype=object).to_numpy(),
}
side = st.dictionaries(st.sampled_from(sorted(KINDS)), st.just(None), max_size=len(KINDS))


@settings(max_examples=examples(150), deadline=None)
@given(side, side, st.integers(0, 6), st.integers(0, 4), st.data())
def test_appended_is_the_concat_and_takes_every_column_out_of_the_first(ours, theirs, rows, more, data):
    def made(kinds, n):
        return pd.DataFrame({kind: KINDS[kind](data.draw(st.lists(st.none() | st.integers(0, 9), min_size=n,
                                                                   max_size=n))) for kind in kinds}, index=range(n))
    frame, extra = made(ours, rows), made(theirs, more)
    want = pd.concat([frame, extra], ignore_index=True)
    got = frames.appended(frame, extra)
    pd.testing.assert_frame_equal(got, want)
    assert list(frame.columns) == [] or not (rows and more)  # an empty one: pandas' own concat


def test_appended_lets_each_column_of_the_first_go_as_it_goes():
    frame = pd.DataFrame({"a": np.arange(1000), "b": np.arange(1000.0)})
    watched = []
    for column in frame.columns:
        view = frame[column].to_numpy()
        watched.append(weakref.finalize(view.base if view.base is not None else view, lambda: None))
        del view  # alive while anything holds the column's own array
    whole = frames.appended(frame, pd.DataFrame({"a": [1]}))
    assert not any(w.alive for w in watched) and len(whole) == 1001  # though `frame` itself is still held


@given(st.lists(st.sampled_from("abcdefghij"), max_size=14), st.lists(st.sampled_from("abcdefgh"), max_size=8,
                                                                      unique=True), st.sampled_from(TEXT_DTYPES))
def test_positions_are_get_indexer_whichever_side_is_hashed(values, pool, dtype):
    """Each value's place in the pool (-1: not there), values distinct or not, fewer or more than the pool."""
    values, pool = pd.Series(values, dtype=dtype), pd.Series(pool, dtype=dtype)
    want = pd.Index(pool).get_indexer(values).tolist()
    assert frames.positions(values, pool).tolist() == want
    assert frames.positions(values.drop_duplicates(), pool).tolist() == pd.Index(pool).get_indexer(
        values.drop_duplicates()).tolist()
