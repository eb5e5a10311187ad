"""The exceptions the services raise, named for what the caller does next.

Web, API and CLI translate them: ``InvalidInput`` -> 422 with per-field messages in zh and en,
``NotAuthenticated`` -> 401, ``Forbidden`` -> 403, ``NotFound`` -> 404, ``Conflict`` -> 409.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Message:
    zh: str
    en: str

    def as_dict(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en}

    def __str__(self) -> str:
        return f"{self.zh} / {self.en}"


FieldErrors = dict[str, list[Message]]


class MuluError(Exception):
    status = 400

    def __init__(self, message: Message):
        super().__init__(str(message))
        self.message = message


class InvalidInput(MuluError):
    """Fix the input and retry; ``errors`` maps a field name (or row/field) to messages."""

    status = 422

    def __init__(self, errors: FieldErrors, message: Message | None = None):
        super().__init__(message or Message("输入有误，请修改后重试。", "The input is invalid."))
        self.errors = errors

    def as_dict(self) -> dict[str, list[dict[str, str]]]:
        return {name: [m.as_dict() for m in messages] for name, messages in self.errors.items()}


class NotAuthenticated(MuluError):
    status = 401


class Forbidden(MuluError):
    status = 403


class NotFound(MuluError):
    status = 404


class Conflict(MuluError):
    status = 409


class RetryLater(MuluError):
    """Nothing wrong with the request, but not now: retry after ``retry_after`` seconds
    (answered with ``Retry-After``)."""

    status = 503

    def __init__(self, message: Message, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class TooManyRequests(RetryLater):
    status = 429


def field_error(name: str, zh: str, en: str) -> InvalidInput:
    return InvalidInput({name: [Message(zh, en)]})
