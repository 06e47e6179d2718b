"""Where a run's time goes: seconds per stage, as beancount's loader logs its stages.

The run calls `lap(name)` as each stage ends; the stage began where the one before ended.
`check --timings` prints them, and the benchmark reads them (with `on_lap`, its memory per
stage) instead of patching the pipeline. A leaf: it knows no stage.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class Timings:
    def __init__(self, on_lap: Callable[[str], None] | None = None) -> None:
        self.stages: dict[str, float] = {}  # stage -> seconds, in the order the run passed them
        self._on_lap = on_lap
        self._last = time.perf_counter()

    def begin(self) -> Callable[[str], None]:
        """Start the clock; give the function that ends each stage."""
        self._last = time.perf_counter()
        return self.lap

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.stages[stage] = self.stages.get(stage, 0.0) + now - self._last
        self._last = now
        if self._on_lap is not None:
            self._on_lap(stage)

    @property
    def total(self) -> float:
        return sum(self.stages.values())

    def as_json(self) -> dict[str, float]:
        return {**{stage: round(s, 3) for stage, s in self.stages.items()}, "total": round(self.total, 3)}

    def as_text(self) -> str:
        width = max(len(stage) for stage in [*self.stages, "total"])
        lines = [f"{stage:<{width}}  {s:7.3f} s" for stage, s in [*self.stages.items(), ("total", self.total)]]
        return "\n".join(f"{'Timings' if i == 0 else '':<10}{line}" for i, line in enumerate(lines))
