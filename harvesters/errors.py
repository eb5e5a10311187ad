"""What goes wrong while harvesting, named for what the job loop does next.

- ``FetchError``: the page could not be fetched. ``retryable`` ones (5xx, timeouts, dropped
  connections, truncated bodies) are retried with backoff by ``harvesters.http``; when retries
  run out the page is reported failed and the listing is incomplete (nothing is withdrawn).
- ``PayloadError``: the page arrived but cannot be used (wrong content type, invalid JSON or
  RDF, unsafe XML, an unreadable spreadsheet): reported as a failed page, never retried.
- ``RecordError``: one record cannot be used: reported as a failed record, the job goes on.
- ``DeadlineExceeded``: the job's deadline passed: the job ends at once with its report.

Every error has an ``error_type`` (reports group by it) and a bilingual message.
"""

from __future__ import annotations

from catalog.errors import Message


class HarvestError(Exception):
    error_type = "harvest"
    retryable = False

    def __init__(self, zh: str, en: str, *, detail: str = ""):
        super().__init__(en)
        self.message = Message(zh, en)
        self.detail = detail

    @property
    def reason(self) -> str:
        return f"{self.message.zh} / {self.message.en}" + (f" — {self.detail}" if self.detail else "")


class FetchError(HarvestError):
    error_type = "http.error"


class HttpStatus(FetchError):
    def __init__(self, status: int, url: str):
        super().__init__(f"服务器返回 HTTP {status}。", f"The server answered HTTP {status}.",
                         detail=url)
        self.status = status
        self.error_type = f"http.{status // 100}xx"
        self.retryable = status >= 500 or status in (408, 429)


class AddressRefused(FetchError):
    """The source (or a redirect) points at an address a harvest may not reach (SSRF)."""

    error_type = "http.address_refused"


class Timeout(FetchError):
    error_type = "http.timeout"
    retryable = True


class ConnectionFailed(FetchError):
    error_type = "http.connection"
    retryable = True


class Truncated(FetchError):
    error_type = "http.truncated"
    retryable = True


class TooLarge(FetchError):
    error_type = "http.too_large"


class RedirectLoop(FetchError):
    error_type = "http.redirects"


class PayloadError(HarvestError):
    error_type = "payload.invalid"


class WrongContentType(PayloadError):
    error_type = "payload.content_type"


class InvalidJson(PayloadError):
    error_type = "payload.invalid_json"


class InvalidRdf(PayloadError):
    error_type = "payload.invalid_rdf"


class UnsafeXml(PayloadError):
    error_type = "payload.unsafe_xml"


class UnexpectedShape(PayloadError):
    error_type = "payload.shape"


class InvalidSheet(PayloadError):
    error_type = "payload.invalid_sheet"


class SourceMissing(PayloadError):
    error_type = "source.missing"


class ListingChanged(PayloadError):
    """The listing moved under us (its count changed, or it ended short of its count)."""

    error_type = "listing.changed"


class RecordError(HarvestError):
    error_type = "record.invalid"


class RecordNotFound(RecordError):
    error_type = "record.not_found"


class Skipped(RecordError):
    """Not a record to keep (private or deleted at the source): counted skipped, and withdrawn
    if it was harvested before."""

    error_type = "record.skipped"


class NoIdentifier(RecordError):
    error_type = "record.no_identifier"


class DeadlineExceeded(HarvestError):
    error_type = "job.deadline"

    def __init__(self, detail: str = ""):
        super().__init__("任务超过截止时间，已停止。", "The job passed its deadline and stopped.",
                         detail=detail)


class JobStopped(DeadlineExceeded):
    """The worker was told to stop (a signal past its grace): the job ends at its next safe
    point — between records, before a request, between chunks of a response — like a deadline."""

    error_type = "job.stopped"

    def __init__(self, why: str):
        HarvestError.__init__(self, "采集进程按要求停止，任务未完成。",
                              "The worker was stopped before the job ended.", detail=why)
