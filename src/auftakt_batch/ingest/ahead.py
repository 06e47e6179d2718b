"""A cold year's exports read on every core, and taken from the cache as each is kept.

Exports are independent of each other. Where the ingest cache is empty (a first run, or after a
new version of the tool), workers forked from the run (processes.forked_pool) each read exports
and keep what they read in the cache, exactly as `ingest` would (its `read_and_keep`); as each
export is kept, `ingest` takes it from the cache by the key its worker made of the bytes it read
(they are not read and hashed again), as a warm run does, while the workers read the next ones.
Only where it pays: at least two exports of AHEAD_BYTES or more (a few small ones cost less than
starting workers). Whatever a worker could not do or keep, `ingest` does itself, one export after
another, as always, and says what went wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import as_completed
from pathlib import Path

from ..processes import cores, forked_pool
from .build import Rules
from .cache import IngestCache
from .tree import size_of

AHEAD_BYTES = 256 * 1024  # an export this big takes longer to read than to hand to a worker

ReadAndKeep = Callable[[Path, str, str, Rules, Path], str]  # the key an export is kept under, if kept


def read_ahead(files: Sequence[tuple[Path, str, str]], rules: Rules, cache: IngestCache,
               read_and_keep: ReadAndKeep) -> Iterator[tuple[tuple[Path, str, str], str]]:
    """`files` (path, label, kind) read into an empty `cache` by workers, where that pays: each file as
    its worker is done with it, with the key of its bytes — kept under it, or not kept and left for the
    caller to read (a small export is kept only at the end of a run, an expense export or one that
    cannot be parsed not at all; "": its bytes could not be read) —, while the workers read the next ones."""
    sized = sorted(((size_of(file[0]), file) for file in files), key=lambda pair: -pair[0])
    big = [file for size, file in sized if size >= AHEAD_BYTES]  # the largest first: the cores finish together
    if len(big) < 2 or not cache.empty():
        return
    pool = forked_pool(min(len(big), cores()))
    if pool is None:
        return
    with pool:
        try:
            reading = {pool.submit(read_and_keep, *file, rules, cache.folder): file for file in big}
        except Exception:  # noqa: BLE001 — no worker could start: ingest reads them itself
            return
        for done in as_completed(reading):
            try:
                key = done.result()
            except Exception:  # noqa: BLE001 — a worker killed (out of memory?), or what it raised: ingest meets it
                continue
            cache.written_meanwhile()
            yield reading[done], key
