"""``mulu worker``: reap dead jobs, queue due sources, claim and run queued jobs.

Any number of workers, on one machine or many, share one store: a job is claimed with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL (SQLite serializes writers) and a conditional update,
a due source is queued under its row lock, and a source never has two active jobs.

Import jobs (``catalog.imports``) are claimed and run the same way, after the harvest jobs of
each round; ``kinds`` chooses which a worker takes (``mulu serve`` runs one for imports only).

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
KINDS = ("harvest", "import")


class Worker:
    def __init__(self, services: Any, echo: Callable[[str], None] = print,
                 clock: jobs.Clock = utcnow, grace: float = 30.0,
                 kinds: tuple[str, ...] = KINDS):
        self.services = services
        self.kinds = kinds
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
        harvests, imports = "harvest" in self.kinds, "import" in self.kinds
        if harvests:
            for job_id in jobs.reap(store, now=self.clock()):
                self.echo(f"reaped job {job_id} (its worker died)")
            for job_id in jobs.enqueue_due(store, now=self.clock()):
                self.echo(f"queued job {job_id} (scheduled)")
        if imports:
            for job_id in self.services.imports.reap():
                self.echo(f"reaped import job {job_id} (its worker died)")
        ran = 0
        while not self.stopping:
            harvest = jobs.claim(store) if harvests else None
            if harvest is not None:
                self._execute(harvest, self._harvest)
            else:
                queued = self.services.imports.claim() if imports else None
                if queued is None:
                    break
                self._execute(queued, self._import)
            ran += 1
        return ran

    def _execute(self, job_id: int, run: Callable[[int], str]) -> None:
        self.current, self._run, self._abandon_why = job_id, None, ""
        if self.stopping and self._timer:  # told to stop while claiming it
            signal.setitimer(signal.ITIMER_REAL, max(self.grace, 0.01))
        try:
            line = run(job_id)
        finally:
            self.current = self._run = None
            if self._timer:
                signal.setitimer(signal.ITIMER_REAL, 0)
        self.echo(line)

    def _verdict(self, status: str) -> str:
        return f"abandoned ({self._abandon_why})" if self._abandon_why else status

    def _harvest(self, job_id: int) -> str:
        result = self.services.harvest.execute(job_id, started=self._started)
        counts = " ".join(f"{k} {v}" for k, v in result["counts"].items())
        return f"job {job_id} (source {result['source']['id']}): " \
               f"{self._verdict(result['status'])}  {counts}"

    def _import(self, job_id: int) -> str:
        from catalog.actors import SYSTEM

        self.services.imports.execute(job_id, started=self._started)
        view = self.services.imports.view(SYSTEM, job_id)
        counts = " ".join(f"{k} {v}" for k, v in view["counts"].items())
        return f"import job {job_id} ({view['file_name']}): {self._verdict(view['status'])}  " \
               f"{counts}" + (f"  {view['error']}" if view["error"] else "")

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


class BackgroundWorker:
    """A worker in a daemon thread of another process: every ``interval`` seconds what
    ``mulu worker --once`` does for ``kinds`` (``mulu serve`` runs import jobs this way, so
    the embedded default needs no second process). Stopping abandons the current job at its
    next safe point (an all-or-none import then writes nothing)."""

    def __init__(self, services: Any, echo: Callable[[str], None], *,
                 kinds: tuple[str, ...] = KINDS, interval: float = 1.0):
        self.worker = Worker(services, echo=echo, kinds=kinds)
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"mulu-jobs-{'-'.join(kinds)}",
                                        daemon=True)

    def start(self) -> BackgroundWorker:
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self.worker.stop()
        if self.worker.current is not None:
            self.worker._abandon("the server is stopping")
        self._thread.join(timeout)

    def _loop(self) -> None:
        import logging

        while not self._stop.wait(self.interval):
            try:
                self.worker.run_once()
            except Exception:  # noqa: BLE001 - a failed round is logged and tried again later
                logging.getLogger("mulu.jobs").exception("background job round failed")
