"""The progress bar of ``mulu harvest run`` in a terminal (redrawn at most ten times a second).

When the source says how many records it lists (CKAN's ``count``, Hydra's ``totalItems``, a
spreadsheet's rows) the line shows a bar, the share done and an estimate of the time left;
otherwise a spinner with the count and the rate. Nothing is drawn when stderr is not a terminal.
"""

from __future__ import annotations

import time
from typing import TextIO

from harvesters.base import OUTCOMES

WIDTH = 24


class Progress:
    def __init__(self, stream: TextIO, interval: float = 0.1):
        self.stream = stream
        self.interval = interval
        self.started = time.monotonic()
        self._last = 0.0
        self._drawn = False
        self.enabled = stream.isatty()

    def __call__(self, counts: dict[str, int], expected: int | None = None) -> None:
        now = time.monotonic()
        if not self.enabled or now - self._last < self.interval:
            return
        self._last = now
        self.stream.write("\r" + line(counts, expected, now - self.started, now) + "\x1b[K")
        self.stream.flush()
        self._drawn = True

    def done(self) -> None:
        if self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def line(counts: dict[str, int], expected: int | None, elapsed: float, now: float = 0.0) -> str:
    done = sum(counts.get(name, 0) for name in OUTCOMES if name != "withdrawn")
    rate = done / max(elapsed, 1e-6)
    parts = " ".join(f"{name[:3]} {counts.get(name, 0)}" for name in OUTCOMES)
    if expected:
        share = min(done / expected, 1.0)
        filled = round(share * WIDTH)
        left = (expected - done) / rate if rate > 0 and done < expected else 0.0
        return (f"采集中 / harvesting [{'#' * filled}{'.' * (WIDTH - filled)}] {done}/{expected} "
                f"{share:.0%} ({rate:,.0f}/s, ~{left:,.0f} s left)  {parts}")
    spinner = "|/-\\"[int(now * 8) % 4]
    return f"{spinner} 采集中 / harvesting: {done} records ({rate:,.0f}/s)  {parts}"
