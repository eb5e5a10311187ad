"""A one-line progress display for the terminal (redrawn at most ten times a second)."""

from __future__ import annotations

import time
from typing import TextIO

from harvesters.base import OUTCOMES


class Progress:
    def __init__(self, stream: TextIO, interval: float = 0.1):
        self.stream = stream
        self.interval = interval
        self.started = time.monotonic()
        self._last = 0.0
        self._drawn = False
        self.enabled = stream.isatty()

    def __call__(self, counts: dict[str, int]) -> None:
        now = time.monotonic()
        if not self.enabled or now - self._last < self.interval:
            return
        self._last = now
        done = sum(counts.values())
        rate = done / max(now - self.started, 1e-6)
        spinner = "|/-\\"[int(now * 8) % 4]
        parts = " ".join(f"{name[:3]} {counts.get(name, 0)}" for name in OUTCOMES)
        self.stream.write(f"\r{spinner} 采集中 / harvesting: {done} records "
                          f"({rate:,.0f}/s)  {parts}\x1b[K")
        self.stream.flush()
        self._drawn = True

    def done(self) -> None:
        if self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
