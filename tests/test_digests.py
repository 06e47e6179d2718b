"""Entry ids as their digests' bytes and as integer keys (check/digests.py): equal keys exactly where
the ids are equal, whatever their first eight bytes share."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from auftakt_batch.check import digests

from .conftest import examples

# ids whose first eight bytes (sixteen hex digits) are one of few, and whose last two differ or not:
# the hash table numbers the first eight bytes, so equal heads with unequal tails must stay apart
_HEADS = st.sampled_from(["0" * 16, "f" * 16, "0123456789abcdef"])
_ID = st.builds(lambda head, tail: head + tail, _HEADS, st.sampled_from(["0000", "0001", "ff00", "abcd"]))
_NOT_AN_ID = st.one_of(st.none(), st.just(float("nan")), st.text(alphabet="0123456789abcdefABü \n", max_size=21),
                       _ID.map(str.upper), _ID.map(lambda i: i[:-1]), _ID.map(lambda i: i + "0"))


def id_keys(*columns: list) -> list[np.ndarray]:
    return digests.keys(*(digests.id_bytes(pd.Series(values, dtype=object)) for values in columns))


@settings(max_examples=examples(300))
@given(st.lists(st.lists(st.one_of(_ID, _NOT_AN_ID), max_size=8), min_size=1, max_size=3))
def test_keys_are_equal_exactly_where_the_ids_are(columns):
    """Across every column given at once: two values have equal keys if and only if both are ids
    (twenty lower-case hex digits) and equal; a value that is no id equals no other, not even itself."""
    found = id_keys(*columns)
    assert [len(k) for k in found] == [len(values) for values in columns]
    values = [v for column in columns for v in column]
    keys = np.concatenate(found).tolist()
    is_id = [_is_id(v) for v in values]
    for i, (a, a_id) in enumerate(zip(values, is_id)):
        for j, (b, b_id) in enumerate(zip(values, is_id)):
            assert (keys[i] == keys[j]) == (i == j or (a_id and b_id and a == b))


@settings(max_examples=examples(300))
@given(st.lists(st.one_of(_ID, _NOT_AN_ID), max_size=10), st.lists(st.one_of(_ID, _NOT_AN_ID), max_size=10))
def test_ids_found_in_a_pool_are_the_ids_it_holds(values, pool):
    mine, theirs = id_keys(values, pool)
    held = {p for p in pool if _is_id(p)}
    assert digests.found_in(mine, theirs).tolist() == [v in held for v in values]


@settings(max_examples=examples(300))
@given(st.lists(st.tuples(st.sampled_from(["", "t:", "d:"]), st.one_of(_ID, _NOT_AN_ID)), max_size=10),
       st.sampled_from([0, 2]))
def test_values_are_read_as_bytes_where_they_are_of_the_form_and_come_back_as_they_were(made, prefix):
    texts = [head + v if isinstance(v, str) else v for head, v in made]
    digest, heads, fits = digests.as_bytes(texts, prefix)
    assert digest.shape == (len(texts), 10) and heads.shape == (len(texts), prefix)
    assert fits.tolist() == [isinstance(t, str) and len(t) == prefix + 20 and t.isascii()
                             and set(t[prefix:]) <= set("0123456789abcdef") for t in texts]
    assert not digest[~fits].any() and not heads[~fits].any()
    assert digests.as_texts(digest[fits], heads[fits]) == [t for t, ok in zip(texts, fits) if ok]


def _is_id(value: object) -> bool:
    return isinstance(value, str) and len(value) == 20 and set(value) <= set("0123456789abcdef")


@settings(max_examples=examples(300))
@given(st.lists(st.one_of(_ID, _NOT_AN_ID), max_size=10), st.lists(st.one_of(_ID, _NOT_AN_ID), max_size=10))
def test_ids_are_placed_where_the_pool_holds_them_or_not_at_all(values, pool):
    """`places`: the first row of the pool holding each id, -1 where the pool lacks it, and each of the
    pool's rows' first row of its id (None: each its own); None where two of the pool's ids share
    their first eight bytes alone (then `overlap` numbers them all, `keys`) — and
    `overlap` says, both ways, what testing each value for membership says."""
    mine, theirs = (digests.id_bytes(pd.Series(v, dtype=object)) for v in (values, pool))
    placed = digests.places(mine, theirs)
    ids = [p for p in pool if _is_id(p)]
    if len({p[:16] for p in ids}) == len(set(ids)):  # no two ids alike in their first eight bytes alone
        assert placed is not None
        at, firsts = placed
        assert at.tolist() == [pool.index(v) if _is_id(v) and v in ids else -1 for v in values]
        if firsts is None:
            assert len(ids) == len(set(ids))  # each id once: in its own row
        else:
            assert firsts.tolist() == [pool.index(p) if _is_id(p) else -1 for p in pool]
    else:
        assert placed is None
    found, back = digests.overlap(theirs, mine)
    assert found.tolist() == [_is_id(p) and p in values for p in pool]
    assert back.tolist() == [_is_id(v) and v in pool for v in values]


@settings(max_examples=examples(300))
@given(st.lists(st.one_of(_ID, _NOT_AN_ID), max_size=10), st.lists(_ID, max_size=10, unique=True),
       st.lists(_NOT_AN_ID.filter(lambda v: not _is_id(v)), max_size=3))
def test_ids_are_found_at_their_row_of_a_pool_of_distinct_ids(values, ids, odd):
    """`positions`: each value's row in a pool of distinct ids (and values that are no id), -1 where the
    pool lacks it — whichever side is the fewer."""
    pool = ids + odd
    at = digests.positions(digests.id_bytes(pd.Series(values, dtype=object)),
                           digests.id_bytes(pd.Series(pool, dtype=object)))
    assert at.tolist() == [ids.index(v) if _is_id(v) and v in ids else -1 for v in values]
