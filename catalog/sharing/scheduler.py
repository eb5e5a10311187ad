"""The deadline run inside ``mulu serve``: every hour in a daemon thread, so breached requests
escalate without an external scheduler (cron running `mulu requests overdue` works as well;
runs are idempotent and safe to overlap)."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from catalog.sharing.service import SharingService

log = logging.getLogger("mulu.sharing")


class DeadlineTimer:
    def __init__(self, sharing: SharingService, interval: float = 3600.0):
        self.sharing = sharing
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="mulu-deadlines", daemon=True)

    def start(self) -> DeadlineTimer:
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        while True:  # at least one run, then one per interval until stopped
            try:
                report = self.sharing.run_deadlines()
                if report.escalated or report.expired:
                    log.info("deadline run: %s", report.as_dict())
            except Exception:  # noqa: BLE001 - a failed run is logged and tried again later
                log.exception("deadline run failed")
            if self._stop.wait(self.interval):
                return
