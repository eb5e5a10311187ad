"""Bounded HTTP: every request has a total deadline, a byte cap and retries with backoff.

A socket read timeout alone does not stop a server that trickles one byte at a time, so the
body is read with ``read1`` (whatever has arrived) and the clock is checked after each read.

Every request, redirects included, goes to an address ``harvesters.addresses`` allowed: the
host is resolved once, checked, and the connection made to that very address (the Host header
and TLS name stay the URL's). No proxy from the environment is used.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
import urllib3
from requests.adapters import HTTPAdapter

from harvesters import errors
from harvesters.addresses import AddressGuard

USER_AGENT = "Mulu-harvester/0.1 (+https://w3id.org/mulu)"
CHUNK = 64 * 1024


@dataclass(frozen=True)
class Limits:
    """Per-source limits (``config["limits"]`` overrides any of them)."""

    request_timeout: float = 60.0       # seconds for one whole request, body included
    connect_timeout: float = 10.0
    max_bytes: int = 20 * 1024 * 1024   # a response larger than this is refused
    retries: int = 3                    # further tries after a retryable failure
    backoff: float = 1.0                # first pause; doubles each retry
    max_redirects: int = 5
    job_seconds: float = 3600.0         # the job's deadline
    page_size: int = 100
    max_pages: int = 10000

    @classmethod
    def from_config(cls, values: Mapping[str, Any] | None) -> Limits:
        known = {k: v for k, v in (values or {}).items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass
class Deadline:
    at: float  # time.monotonic() value
    stopped: str = ""  # why the job was told to stop now (``stop``), or ""

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds)

    def stop(self, why: str) -> None:
        """End the job at its next check (safe from a signal handler: it only sets a field)."""
        self.stopped = why or "stopped"

    def remaining(self) -> float:
        return 0.0 if self.stopped else self.at - time.monotonic()

    def check(self, where: str = "") -> None:
        if self.stopped:
            raise errors.JobStopped(self.stopped)
        if self.remaining() <= 0:
            raise errors.DeadlineExceeded(where)


@dataclass
class Page:
    url: str
    status: int
    content_type: str
    body: bytes

    @property
    def media_type(self) -> str:
        return self.content_type.split(";", 1)[0].strip().lower()

    def text(self) -> str:
        charset = "utf-8"
        for part in self.content_type.split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                charset = value.strip('"')
        try:
            return self.body.decode(charset, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")


class PinnedAdapter(HTTPAdapter):
    """Connects to the address the guard checked for each request (and each redirect)."""

    def __init__(self, guard: AddressGuard):
        super().__init__()
        self.guard = guard

    def send(self, request: requests.PreparedRequest, *args: Any,  # type: ignore[override]
             **kwargs: Any) -> requests.Response:
        address = self.guard.pin(str(request.url))
        netloc = urllib3.util.parse_url(str(request.url)).netloc or ""
        request.headers["Host"] = netloc.rsplit("@", 1)[-1]
        request.mulu_address = address  # type: ignore[attr-defined]
        return super().send(request, *args, **kwargs)

    def get_connection_with_tls_context(self, request: requests.PreparedRequest, verify: Any,
                                        proxies: Any = None, cert: Any = None) -> Any:
        host_params, pool_kwargs = self.build_connection_pool_key_attributes(request, verify,
                                                                             cert)
        if host_params["scheme"] == "https":
            pool_kwargs = {**pool_kwargs, "server_hostname": host_params["host"],
                           "assert_hostname": host_params["host"]}
        pinned = {**host_params, "host": request.mulu_address}  # type: ignore[attr-defined]
        return self.poolmanager.connection_from_host(**pinned, pool_kwargs=pool_kwargs)


@dataclass
class Fetcher:
    """GETs pages within the limits and the job's deadline; ``sleep`` is injectable for tests."""

    limits: Limits
    deadline: Deadline
    sleep: Callable[[float], None] = time.sleep
    session: requests.Session = field(default_factory=requests.Session)
    before_request: Callable[[], None] | None = None  # the job loop commits its batch here
    requests_made: int = 0
    guard: AddressGuard = field(default_factory=AddressGuard)  # public addresses only

    def __post_init__(self) -> None:
        self.session.max_redirects = self.limits.max_redirects
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.trust_env = False  # no proxy around the address check
        adapter = PinnedAdapter(self.guard)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def get(self, url: str, params: Mapping[str, Any] | None = None, *,
            accept: str = "*/*", ok_statuses: tuple[int, ...] = ()) -> Page:
        """The page, after retries; raises a FetchError (or DeadlineExceeded)."""
        attempt = 0
        while True:
            self.deadline.check(url)
            try:
                page = self._once(url, params, accept)
                if page.status >= 400 and page.status not in ok_statuses:
                    raise errors.HttpStatus(page.status, page.url)
                return page
            except errors.FetchError as exc:
                if not exc.retryable or attempt >= self.limits.retries:
                    raise
                pause = self.limits.backoff * (2 ** attempt)
                if pause >= self.deadline.remaining():
                    raise
                attempt += 1
                self.sleep(pause)

    def _once(self, url: str, params: Mapping[str, Any] | None, accept: str) -> Page:
        self.deadline.check(url)
        budget = min(self.limits.request_timeout, self.deadline.remaining())
        if budget <= 0:
            raise errors.DeadlineExceeded(url)
        if self.before_request is not None:
            self.before_request()
        started = time.monotonic()
        self.requests_made += 1
        try:
            response = self.session.get(
                url, params=params, headers={"Accept": accept}, stream=True,
                timeout=(min(self.limits.connect_timeout, budget), budget))
        except requests.TooManyRedirects:
            raise errors.RedirectLoop("重定向次数过多（可能是重定向循环）。",
                                      "Too many redirects (a redirect loop?).", detail=url) from None
        except requests.Timeout:
            raise errors.Timeout("连接或响应超时。", "The request timed out.", detail=url) from None
        except requests.ConnectionError as exc:
            raise errors.ConnectionFailed("无法连接数据源。", "Cannot connect to the source.",
                                          detail=f"{url}: {type(exc).__name__}") from None
        with response:
            body = self._read(response, started, budget, url)
            return Page(response.url, response.status_code,
                        response.headers.get("Content-Type", ""), body)

    def _read(self, response: requests.Response, started: float, budget: float,
              url: str) -> bytes:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.limits.max_bytes:
            raise self._too_large(url)
        chunks: list[bytes] = []
        size = 0
        try:
            while True:
                chunk = response.raw.read1(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > self.limits.max_bytes:
                    raise self._too_large(url)
                chunks.append(chunk)
                self.deadline.check(url)
                if time.monotonic() - started > budget:
                    raise errors.Timeout("响应过慢，超过单次请求时限。",
                                         "The response came too slowly (request deadline).",
                                         detail=url)
        except (urllib3.exceptions.ProtocolError, urllib3.exceptions.DecodeError) as exc:
            raise errors.Truncated("响应不完整（连接中断）。", "The response was cut short.",
                                   detail=f"{url}: {type(exc).__name__}") from None
        except (urllib3.exceptions.ReadTimeoutError, TimeoutError):
            raise errors.Timeout("读取响应超时。", "Reading the response timed out.",
                                 detail=url) from None
        return b"".join(chunks)

    def _too_large(self, url: str) -> errors.TooLarge:
        mb = self.limits.max_bytes / (1024 * 1024)
        return errors.TooLarge(f"响应超过 {mb:g} MB 上限，已停止读取。",
                               f"The response exceeds the {mb:g} MB limit; reading stopped.",
                               detail=url)

    def close(self) -> None:
        self.session.close()


EXCERPT_CHARS = 200


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """A short, escaped quote of what a server answered, for a report: control characters and
    markup neutralised, whitespace collapsed, at most ``limit`` characters."""
    flat = " ".join("".join(c if c.isprintable() else " " for c in text[:limit * 4]).split())
    short = flat[:limit] + ("…" if len(flat) > limit else "")
    return html.escape(short, quote=True)
