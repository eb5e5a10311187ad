"""``mulu worker``: reap dead jobs, queue due sources, claim and run queued jobs.

Any number of workers share one store: a job is claimed with ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL (SQLite serializes writers), and a source never has two active jobs.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from typing import Any

from harvesters import jobs


class Worker:
    def __init__(self, services: Any, echo: Callable[[str], None] = print):
        self.services = services
        self.echo = echo
        self.stopping = False

    def _stop(self, *_: Any) -> None:
        self.stopping = True

    def run_once(self) -> int:
        """Reap, queue what is due, run every claimable job; returns the number run."""
        store = self.services.store
        for job_id in jobs.reap(store):
            self.echo(f"reaped job {job_id} (its worker died)")
        for job_id in jobs.enqueue_due(store):
            self.echo(f"queued job {job_id} (scheduled)")
        ran = 0
        while not self.stopping:
            job_id = jobs.claim(store)
            if job_id is None:
                break
            result = self.services.harvest.execute(job_id)
            counts = " ".join(f"{k} {v}" for k, v in result["counts"].items())
            self.echo(f"job {job_id} (source {result['source']['id']}): {result['status']}  "
                      f"{counts}")
            ran += 1
        return ran

    def run(self, *, once: bool = False, poll: float = 5.0) -> None:
        previous = signal.signal(signal.SIGTERM, self._stop)
        self.echo(f"worker {jobs.worker_id()} started")
        try:
            while not self.stopping:
                self.run_once()
                if once:
                    break
                deadline = time.monotonic() + poll
                while not self.stopping and time.monotonic() < deadline:
                    time.sleep(min(0.2, poll))
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            self.echo("worker stopped")
