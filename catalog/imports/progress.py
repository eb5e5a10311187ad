"""An import job's progress as the API, the web page and the CLI show it: the share done, the
rows done of how many (exact once known, else estimated), the rate and the time left — all
computed here from the job's stored columns, once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from catalog.db import ImportJob, utcnow

ACTIVE = ("queued", "running")
PHASES = ("checking", "storing")


@dataclass(frozen=True)
class Progress:
    status: str
    phase: str                     # "", checking (all or none: reading, validating), storing
    share: float                   # of the whole import, 0–1
    rows_done: int                 # in the current phase
    rows_total: int | None         # rows of the file: exact once known, else an estimate
    rows_per_second: float | None
    seconds_left: float | None
    elapsed_seconds: float

    @property
    def percent(self) -> int:
        return int(self.share * 100)

    def as_dict(self) -> dict[str, Any]:
        return {"phase": self.phase, "share": round(self.share, 4), "percent": self.percent,
                "rows_done": self.rows_done, "rows_total": self.rows_total,
                "rows_per_second": _round(self.rows_per_second),
                "seconds_left": _round(self.seconds_left),
                "elapsed_seconds": round(self.elapsed_seconds, 1)}

    def line(self) -> str:
        """One line for a terminal: 导入中 / importing [####....] 42% …"""
        width = 24
        filled = round(self.share * width)
        total = f"/{self.rows_total:,}" if self.rows_total else ""
        rate = f", {self.rows_per_second:,.0f} rows/s" if self.rows_per_second else ""
        left = f", ~{self.seconds_left:,.0f} s left" if self.seconds_left is not None else ""
        phase = {"checking": "检查 / checking", "storing": "写入 / storing"}.get(self.phase,
                                                                              self.status)
        return (f"导入中 / importing [{'#' * filled}{'.' * (width - filled)}] {self.percent}% "
                f"{phase}: {self.rows_done:,}{total} rows{rate}{left}")


def of_job(job: ImportJob, now: datetime | None = None) -> Progress:
    now = now or utcnow()
    started = _aware(job.started_at) if job.started_at else None
    finished = _aware(job.finished_at) if job.finished_at else None
    elapsed = ((finished or now) - started).total_seconds() if started else 0.0
    share = 1.0 if job.status == "succeeded" else min(max(job.share or 0.0, 0.0), 1.0)
    phase_started = _aware(job.phase_started_at) if job.phase_started_at else started
    rate = None
    if phase_started is not None and job.rows_done:
        seconds = ((finished or now) - phase_started).total_seconds()
        rate = job.rows_done / seconds if seconds > 0 else None
    left = None
    if job.status == "running" and 0 < share < 1 and elapsed > 0:
        left = elapsed * (1 - share) / share
    elif job.status == "succeeded":
        left = 0.0
    return Progress(job.status, job.phase, share, job.rows_done, job.rows_total, rate, left,
                    max(elapsed, 0.0))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


class Printer:
    """``mulu dataset import``'s progress: one line at each phase's start and at most every
    ``interval`` seconds (redrawn in place on a terminal)."""

    def __init__(self, stream: Any, interval: float = 2.0, clock: Any = None):
        import time

        self.stream, self.interval = stream, interval
        self.clock = clock or time.monotonic
        self.started = self._phase_started = self.clock()
        self._phase, self._last, self._drawn = "", 0.0, False
        self.tty = bool(getattr(stream, "isatty", lambda: False)())

    def __call__(self, step: Any) -> None:
        now = self.clock()
        if step.phase != self._phase:
            self._phase, self._phase_started = step.phase, now
        elif now - self._last < (0.1 if self.tty else self.interval):
            return
        self._last = now
        elapsed, in_phase = now - self.started, now - self._phase_started
        share = min(max(step.share, 0.0), 1.0)
        shown = Progress("running", step.phase, share, step.rows, step.total,
                         step.rows / in_phase if in_phase > 0 and step.rows else None,
                         elapsed * (1 - share) / share if 0 < share < 1 else None, elapsed)
        if self.tty:
            self.stream.write("\r" + shown.line() + "\x1b[K")
            self._drawn = True
        else:
            self.stream.write(shown.line() + "\n")
        self.stream.flush()

    def done(self) -> None:
        if self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
