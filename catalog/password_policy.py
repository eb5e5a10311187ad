"""What a new password must be: long enough, not the username, not a common password.

The common passwords are a short list shipped with Mulu (``catalog/data/common-passwords.txt``),
compared in lower case, as typed and with trailing digits and symbols taken off
("Password2026!" is "password"). Nothing is downloaded.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from catalog.errors import Message

MIN_LENGTH = 10
MAX_LENGTH = 256  # Argon2 hashes any length; this keeps a request from being a hashing job
_TRAILING = "0123456789!@#$%^&*()-_=+.,;:?~ "


@cache
def common_passwords() -> frozenset[str]:
    text = resources.files("catalog").joinpath("data/common-passwords.txt").read_text("utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))


def password_problems(password: str, username: str) -> list[Message]:
    """Why ``password`` may not be ``username``'s new password (empty when it may)."""
    if len(password) < MIN_LENGTH:
        return [Message(f"密码至少 {MIN_LENGTH} 位。",
                        f"A password has at least {MIN_LENGTH} characters.")]
    if len(password) > MAX_LENGTH:
        return [Message(f"密码最多 {MAX_LENGTH} 位。",
                        f"A password has at most {MAX_LENGTH} characters.")]
    lowered = password.lower()
    stem = lowered.rstrip(_TRAILING)
    name = username.lower()
    if name and (name in (lowered, stem) or (len(name) >= 3 and name in lowered
                                             and len(lowered) - len(name) < MIN_LENGTH // 2)):
        return [Message("密码不能是用户名或以用户名为主。",
                        "A password may not be (mostly) the username.")]
    if lowered in common_passwords() or (len(stem) >= 4 and stem in common_passwords()):
        return [Message("这是常见密码，容易被猜中，请换一个。",
                        "This is a common password, easy to guess; choose another.")]
    return []
