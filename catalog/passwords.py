"""Password hashing with Argon2id (argon2-cffi) and API tokens stored as SHA-256 digests."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
TOKEN_PREFIX = "mulu_"
# a valid hash to verify against when the user does not exist, so timing does not tell
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def use_hasher(hasher: PasswordHasher) -> None:
    """Replace the Argon2 parameters (tests use cheap ones; hashes stay verifiable by any)."""
    global _hasher, _DUMMY_HASH
    _hasher = hasher
    _DUMMY_HASH = hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    """A bearer token: shown once, only its digest is stored."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
