"""The progress bar of ``mulu harvest run`` in a terminal (redrawn at most ten times a second).

When the source says how many records it lists (CKAN's ``count``, Hydra's ``totalItems``, a
spreadsheet's rows) the line shows a bar, the share done and an estimate of the time left;
otherwise a spinner with the count and the rate. Nothing is drawn when stderr is not a terminal.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any, TextIO

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


@dataclass(frozen=True)
class Estimate:
    """How far a job is: records done, of how many the source said it lists, the rate and the
    time left (the terminal's bar and the job's report and page alike)."""

    done: int
    expected: int | None
    percent: int | None
    rate: float            # records a second
    seconds_left: float | None
    elapsed_seconds: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def estimate(counts: dict[str, int], expected: int | None, elapsed: float) -> Estimate:
    done = sum(int(counts.get(name, 0)) for name in OUTCOMES if name != "withdrawn")
    rate = done / max(elapsed, 1e-6)
    if not expected:
        return Estimate(done, None, None, rate, None, elapsed)
    share = min(done / expected, 1.0)
    left = (expected - done) / rate if rate > 0 and done < expected else 0.0
    return Estimate(done, expected, int(share * 100), rate, left, elapsed)


def line(counts: dict[str, int], expected: int | None, elapsed: float, now: float = 0.0) -> str:
    shown = estimate(counts, expected, elapsed)
    parts = " ".join(f"{name[:3]} {counts.get(name, 0)}" for name in OUTCOMES)
    if shown.expected:
        share = min(shown.done / shown.expected, 1.0)
        filled = round(share * WIDTH)
        return (f"采集中 / harvesting [{'#' * filled}{'.' * (WIDTH - filled)}] "
                f"{shown.done}/{shown.expected} {share:.0%} ({shown.rate:,.0f}/s, "
                f"~{shown.seconds_left or 0.0:,.0f} s left)  {parts}")
    spinner = "|/-\\"[int(now * 8) % 4]
    return f"{spinner} 采集中 / harvesting: {shown.done} records ({shown.rate:,.0f}/s)  {parts}"
