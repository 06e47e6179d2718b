"""Rows of a larger frame, taken only when needed, and many such parts joined in one step.

Alike small exports are built together (ingest/batch.py) and the ingest cache's pack holds
thousands of exports in one frame: each export's entries are a `Part` of that frame, a frame
of their own only when something asks for them. `joined` puts parts end to end as
`pd.concat` of their frames would, but takes the rows from the few frames they lie in at once
(pandas costs about as much per frame of one row as of many).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

import numpy as np
import pandas as pd


@dataclass(frozen=True, eq=False)
class Part:
    """Rows start:end of `frame`."""

    frame: pd.DataFrame
    start: int
    end: int

    def __len__(self) -> int:
        return self.end - self.start

    def taken(self) -> pd.DataFrame:
        return rows_between(self.frame, self.start, self.end)


Rows = Union[pd.DataFrame, Part]  # a frame of its own, or a part of a larger one


def rows_between(frame: pd.DataFrame, start: int, end: int) -> pd.DataFrame:
    """Rows start:end of `frame`, numbered from 0: a view, not a copy (reset_index copies every block)."""
    part = frame.iloc[start:end]
    part.index = pd.RangeIndex(end - start)
    return part


def frame_of(rows: Rows) -> pd.DataFrame:
    return rows.taken() if isinstance(rows, Part) else rows


def joined(parts: list[Rows]) -> pd.DataFrame:
    """`pd.concat` of the parts' frames (`ignore_index`), taken from the frames they lie in, each
    joined once, where those all have the same columns and dtypes (else by `pd.concat` itself)."""
    bases: dict[int, tuple[pd.DataFrame, int]] = {}  # id of a frame -> (it, where its rows start in the whole)
    starts, lengths = np.empty(len(parts), dtype=np.int64), np.empty(len(parts), dtype=np.int64)
    size = 0
    for i, part in enumerate(parts):
        frame, start, end = (part.frame, part.start, part.end) if isinstance(part, Part) else (part, 0, len(part))
        if id(frame) not in bases:
            bases[id(frame)], size = (frame, size), size + len(frame)
        starts[i], lengths[i] = bases[id(frame)][1] + start, end - start
    frames = [f for f, _ in bases.values()]
    if len(frames) == len(parts) or any(not _alike(f, frames[0]) for f in frames):
        return pd.concat([frame_of(p) for p in parts], ignore_index=True)
    whole = pd.concat(frames, ignore_index=True) if len(frames) > 1 else rows_between(frames[0], 0, len(frames[0]))
    total = int(lengths.sum())
    index = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths) + np.arange(total)
    if total == len(whole) and bool((index == np.arange(total)).all()):
        return whole
    return rows_between(whole.take(index), 0, total)


def _alike(frame: pd.DataFrame, other: pd.DataFrame) -> bool:
    return frame.columns.equals(other.columns) and frame.dtypes.equals(other.dtypes)
