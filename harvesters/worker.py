"""``mulu worker``: reap dead jobs, queue due sources, claim and run queued jobs.

Any number of workers, on one machine or many, share one store: a job is claimed with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL (SQLite serializes writers) and a conditional update,
a due source is queued under its row lock, and a source never has two active jobs.

SIGTERM or SIGINT stops the worker: it takes no further job, lets the current one finish for up
to ``grace`` seconds, then abandons it; a second signal abandons it at once. Abandoning never
raises into the running code (an exception arriving inside a database driver's call can leave
its connection, and its row locks, half-used): it stops the job's deadline, and the job loop
ends the job at its next safe point — between records, before a request, between chunks of a
response — storing what it had, closing the job as failed with the reason, as a deadline
would. A worker killed outright (SIGKILL, a crash) leaves its job to the reaper of the next
worker.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from catalog.db import utcnow
from harvesters import jobs

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Worker:
    def __init__(self, services: Any, echo: Callable[[str], None] = print,
                 clock: jobs.Clock = utcnow, grace: float = 30.0):
        self.services = services
        self.echo = echo
        self.clock = clock
        self.grace = grace
        self.stopping = False
        self.current: int | None = None  # the job being run
        self._run: Any = None             # its JobRun, once started
        self._abandon_why = ""            # set when told to abandon it
        self._timer = False  # whether this worker owns SIGALRM (signal handlers installed)

    def run_once(self) -> int:
        """Reap, queue what is due, run every claimable job; returns the number run."""
        store = self.services.store
        for job_id in jobs.reap(store, now=self.clock()):
            self.echo(f"reaped job {job_id} (its worker died)")
        for job_id in jobs.enqueue_due(store, now=self.clock()):
            self.echo(f"queued job {job_id} (scheduled)")
        ran = 0
        while not self.stopping:
            job_id = jobs.claim(store)
            if job_id is None:
                break
            self._execute(job_id)
            ran += 1
        return ran

    def _execute(self, job_id: int) -> None:
        self.current, self._run, self._abandon_why = job_id, None, ""
        if self.stopping and self._timer:  # told to stop while claiming it
            signal.setitimer(signal.ITIMER_REAL, max(self.grace, 0.01))
        try:
            result = self.services.harvest.execute(job_id, started=self._started)
        finally:
            self.current = self._run = None
            if self._timer:
                signal.setitimer(signal.ITIMER_REAL, 0)
        counts = " ".join(f"{k} {v}" for k, v in result["counts"].items())
        verdict = f"abandoned ({self._abandon_why})" if self._abandon_why else result["status"]
        self.echo(f"job {job_id} (source {result['source']['id']}): {verdict}  {counts}")

    def _started(self, run: Any) -> None:
        self._run = run
        if self._abandon_why:  # told to abandon it before it started
            run.deadline.stop(self._abandon_why)

    def _abandon(self, why: str) -> None:
        """Stop the current job at its next safe point (called from signal handlers)."""
        self._abandon_why = why
        if self._run is not None:
            self._run.deadline.stop(why)

    # -- stopping ---------------------------------------------------------------------------
    def stop(self) -> None:
        """Take no further job (the current one runs to its end); safe from any thread."""
        self.stopping = True

    def _on_signal(self, signum: int, _frame: Any) -> None:
        why, again = signal.Signals(signum).name, self.stopping
        self.stopping = True
        if self.current is None:
            return
        if again or self.grace <= 0:
            self._abandon(why)
            return
        try:  # inside a signal handler: the main thread may be writing to the same stream
            self.echo(f"{why}: finishing job {self.current} (up to {self.grace:g} s)")
        except RuntimeError:
            pass
        signal.setitimer(signal.ITIMER_REAL, self.grace)

    def _on_alarm(self, _signum: int, _frame: Any) -> None:
        if self.current is not None:
            self._abandon(f"still running {self.grace:g} s after the stop signal")

    @contextmanager
    def _signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {s: signal.signal(s, self._on_signal) for s in STOP_SIGNALS}
        previous[signal.SIGALRM] = signal.signal(signal.SIGALRM, self._on_alarm)
        self._timer = True
        try:
            yield
        finally:
            self._timer = False
            signal.setitimer(signal.ITIMER_REAL, 0)
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def run(self, *, once: bool = False, poll: float = 5.0) -> None:
        with self._signals():
            self.echo(f"worker {jobs.worker_id()} started")
            try:
                while not self.stopping:
                    self.run_once()
                    if once:
                        break
                    deadline = time.monotonic() + poll
                    while not self.stopping and time.monotonic() < deadline:
                        time.sleep(min(0.2, poll))
            finally:
                self.echo("worker stopped")
