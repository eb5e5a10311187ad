"""The anonymous rate limit of the API: ``MULU_ANON_RATE_LIMIT`` requests a minute per client
address for callers that are not signed in; beyond it 429 with ``Retry-After`` and the
standard error body. Signed-in (session) and bearer-token calls are not limited.

One ``before_request`` hook for every ``/api/`` request. The caller is resolved first (the one
``current_actor``): a request with a bearer token that is unknown or malformed counts as
anonymous — guessing tokens is limited too — and, when under the limit, gets its 401.

Each address has a token bucket holding up to a minute's allowance that refills at the limit's
pace, so a client may burst up to the limit and then goes on at the limit's rate. The buckets
live in the process (the embedded deployment has one); behind several processes each counts
its own requests.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app, request

from catalog.api.auth import current_actor
from catalog.errors import Message, NotAuthenticated, TooManyRequests

EXTENSION = "mulu_rate_limit"
MAX_ADDRESSES = 100_000   # buckets kept at most; full ones are dropped first when over


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """``per_minute`` requests a minute per key, in bursts of up to ``per_minute``."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic):
        self.per_minute = per_minute
        self.clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.per_minute > 0

    def take(self, key: str) -> int:
        """Count one request of ``key``: 0 when allowed, else the seconds to wait."""
        if not self.enabled:
            return 0
        rate = self.per_minute / 60.0
        now = self.clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= MAX_ADDRESSES:
                    self._prune(now, rate)
                bucket = self._buckets[key] = _Bucket(float(self.per_minute), now)
            bucket.tokens = min(float(self.per_minute), bucket.tokens + (now - bucket.at) * rate)
            bucket.at = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0
            return max(1, math.ceil((1.0 - bucket.tokens) / rate))

    def _prune(self, now: float, rate: float) -> None:
        full = [key for key, b in self._buckets.items()
                if b.tokens + (now - b.at) * rate >= self.per_minute]
        for key in full or list(self._buckets)[: len(self._buckets) // 2]:
            del self._buckets[key]


def limiter(app: Flask | None = None) -> RateLimiter:
    return (app or current_app).extensions[EXTENSION]


def install(app: Flask, per_minute: int) -> None:
    app.extensions[EXTENSION] = RateLimiter(per_minute)

    @app.before_request
    def _limit_anonymous_callers() -> None:
        if not request.path.startswith("/api/") or not limiter().enabled:
            return
        try:
            anonymous = not current_actor().is_authenticated
            refused: NotAuthenticated | None = None
        except NotAuthenticated as error:   # a bad bearer token: counted as anonymous
            anonymous, refused = True, error
        if anonymous:
            wait = limiter().take(request.remote_addr or "")
            if wait:
                raise TooManyRequests(Message(
                    f"未登录的请求过于频繁（每分钟 {limiter().per_minute} 次），请 {wait} 秒后再试，"
                    "或登录 / 使用 Bearer 令牌。",
                    f"Too many requests without signing in ({limiter().per_minute} a minute): "
                    f"retry in {wait} s, or sign in / use a bearer token."), wait)
        if refused is not None:
            raise refused
