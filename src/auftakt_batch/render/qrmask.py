"""A QR code's data mask chosen with numpy: the same choice as segno's, in a sixth of its time.

segno evaluates the eight masks of ISO/IEC 18004 7.8.3 module by module in Python: 3 of the 4.5 ms
a payment QR took (1.7 ms now), the largest part of what a billing run did per invoice in its own process.
Here the eight masked symbols are scored at once, by exactly segno's rules (its N3 search
included: where a 1:1:3:1:1 run is found and where the next search starts), so the chosen mask,
and with it every QR code and PDF, is the one segno would make (tests/test_qr.py compares the
scores and the codes with segno's own on random symbols and payloads).

`install()` puts this in place of segno's `encoder.find_and_apply_best_mask` for QR codes whose
mask is not given, which `_encode` looks up when it runs. Were that function renamed in segno,
segno would choose as before, only slower (a test notices).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

N3 = np.array((1, 0, 1, 1, 1, 0, 1), dtype=np.uint8)


def install() -> None:
    """Have segno choose the masks of QR codes (not Micro QR codes) here. Idempotent."""
    from segno import encoder

    original = encoder.find_and_apply_best_mask
    if getattr(original, "chooses_with_numpy", False):
        return

    def find_and_apply_best_mask(matrix: Any, width: int, height: int, proposed_mask: int | None = None) -> Any:
        if proposed_mask is not None or width != height or width < 21:  # a mask given, or a Micro QR code
            return original(matrix, width, height, proposed_mask)
        unmasked = np.frombuffer(b"".join(matrix), dtype=np.uint8).reshape(width, width)
        symbols = unmasked[None, :, :] ^ _masks(width)  # the masks are zero outside the encoding region
        best = int(np.argmin(_scores(symbols)))  # the first of the lowest, as segno keeps the first
        return best, tuple(bytearray(row.tobytes()) for row in symbols[best])

    find_and_apply_best_mask.chooses_with_numpy = True  # type: ignore[attr-defined]
    find_and_apply_best_mask.segno = original  # type: ignore[attr-defined]
    encoder.find_and_apply_best_mask = find_and_apply_best_mask


def _scores(symbols: np.ndarray) -> list[int]:
    """segno's penalty (encoder.mask_scores: N1 + N2 + N3 + N4) of each of the symbols (k × n × n)."""
    count, size, _ = symbols.shape
    lines = np.concatenate((symbols, symbols.transpose(0, 2, 1)))  # rows, then columns, of each symbol
    n1 = _runs(lines, size).reshape(2, count).sum(axis=0)
    same = symbols[:, :-1, :-1]
    blocks = (same == symbols[:, 1:, :-1]) & (same == symbols[:, :-1, 1:]) & (same == symbols[:, 1:, 1:])
    n2 = 3 * blocks.sum(axis=(1, 2))
    n3 = _finder_like(lines, size).reshape(2, count).sum(axis=0)
    dark = symbols.astype(np.int64).sum(axis=(1, 2))
    n4 = [10 * int(abs(float(d) / size ** 2 * 100 - 50) / 5) for d in dark.tolist()]
    return [int(a) + int(b) + int(c) + d for a, b, c, d in zip(n1.tolist(), n2.tolist(), n3.tolist(), n4, strict=True)]


def _runs(lines: np.ndarray, size: int) -> np.ndarray:
    """N1 of each block of lines: every run of five or more modules alike scores its length − 2."""
    blocks = lines.shape[0]
    padded = np.full((blocks, size, size + 1), 255, dtype=np.uint8)  # a module no run continues across
    padded[:, :, :size] = lines
    flat = padded.ravel()
    starts = np.flatnonzero(np.concatenate(((True,), flat[1:] != flat[:-1])))
    lengths = np.diff(np.append(starts, flat.size))
    scored = np.where(lengths >= 5, lengths - 2, 0)
    return np.bincount(starts // (size * (size + 1)), weights=scored, minlength=blocks).astype(np.int64)


def _finder_like(lines: np.ndarray, size: int) -> np.ndarray:
    """N3 of each block of lines, 40 for each dark-light-dark³-light-dark run with four light modules
    (or the symbol's edge) before or after it, found as segno finds them: after a run that
    scores, the search goes on past it; after one that does not, from its fourth module."""
    blocks = lines.shape[0]
    width = size - 6
    found = np.ones(lines.shape[:2] + (width,), dtype=bool)
    for offset, module in enumerate(N3.tolist()):
        found &= lines[:, :, offset:offset + width] == module
    block, line, start = np.nonzero(found)
    if not block.size:
        return np.zeros(blocks, dtype=np.int64)
    dark = np.zeros(lines.shape[:2] + (size + 1,), dtype=np.int64)  # dark modules before each position
    np.cumsum(lines != 0, axis=2, out=dark[:, :, 1:])
    before = dark[block, line, start] - dark[block, line, np.maximum(start - 4, 0)]
    after = dark[block, line, np.minimum(start + 11, size)] - dark[block, line, start + 7]
    scores = (start == 0) | (start == size - 7) | (before == 0) | (after == 0)
    # A run begun fewer than seven modules after the one before it in its line may not be
    # looked at: segno's search goes on from that one's 7th module if it scored, its 4th if not.
    same_line = (block[1:] == block[:-1]) & (line[1:] == line[:-1])
    close = np.flatnonzero(same_line & (start[1:] - start[:-1] < 7)) + 1
    if close.size:
        resume = 0
        for at in range(int(close.min()) - 1, block.size):  # in order, from the first such pair's first run
            new_line = at == 0 or block[at] != block[at - 1] or line[at] != line[at - 1]
            if new_line:
                resume = 0
            if start[at] < resume:
                scores[at] = False
                continue
            resume = start[at] + (7 if scores[at] else 4)
    return 40 * np.bincount(block[scores], minlength=blocks).astype(np.int64)


@lru_cache(maxsize=8)
def _masks(size: int) -> np.ndarray:
    """The eight masks (ISO/IEC 18004 Table 10) of a QR code of `size` modules a side, dark only in
    its encoding region: where segno's own builders, as its mask search uses them, put no pattern."""
    from segno import encoder

    function = encoder.make_matrix(size, size)
    encoder.add_finder_patterns(function, size, size)
    encoder.add_alignment_patterns(function, size, size)
    function[-8][8] = 0x1  # the dark module
    region = np.frombuffer(b"".join(function), dtype=np.uint8).reshape(size, size) > 1
    i, j = np.indices((size, size))
    patterns = [(i + j) % 2 == 0, i % 2 == 0, j % 3 == 0, (i + j) % 3 == 0, (i // 2 + j // 3) % 2 == 0,
                (i * j) % 2 + (i * j) % 3 == 0, ((i * j) % 2 + (i * j) % 3) % 2 == 0,
                ((i + j) % 2 + (i * j) % 3) % 2 == 0]
    masks = np.stack([(pattern & region).astype(np.uint8) for pattern in patterns])
    masks.flags.writeable = False
    return masks
