"""Configuration, read once at start-up from the environment (never at import time)."""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from vocab.concepts import network_ceiling, scheme

NETWORKS = ("internet", "extranet", "intranet")
DEFAULT_MAX_SHEET_BYTES = 64 * 1024 * 1024   # a 100,000-row catalog is about 19 MB as CSV


class ConfigError(ValueError):
    """A setting has a value Mulu cannot use; the message says which and why."""


@dataclass(frozen=True)
class Settings:
    """Every setting once, with its environment variable and help text."""

    data_dir: Path
    database_url: str
    search_url: str = ""
    network: str = "extranet"
    secret_key: str = field(default="", repr=False)
    max_upload_bytes: int = 5 * 1024 * 1024
    max_sheet_bytes: int = DEFAULT_MAX_SHEET_BYTES
    import_max_rows: int = 200_000           # an import job's budget (catalog.spreadsheet.budget)
    import_max_cells: int = 20_000_000
    import_max_seconds: int = 1800
    inline_sheet_bytes: int = 2 * 1024 * 1024   # larger files are imported as a job only
    inline_max_rows: int = 10_000               # the budget of a file read inside a request
    inline_max_cells: int = 500_000
    inline_import_seconds: int = 10
    public_base_url: str = "http://127.0.0.1:5000"
    sharing_deadline_days: int = 10
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_from: str = "mulu@localhost"
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    session_cookie_secure: bool = False
    behind_tls: bool = False  # MULU_BASE_URL is https: browsers reach Mulu over TLS
    proxy_hops: int = 0
    login_lock_failures: int = 10
    login_address_lock_failures: int = 50
    login_lock_minutes: int = 15
    harvest_allow_networks: tuple[str, ...] = ()  # private ranges harvest sources may be on
    anon_rate_limit: int = 120  # anonymous API requests a minute per client address; 0: none

    HELP = {
        "MULU_DATA_DIR": "where the embedded store, index and uploads live (default ./mulu-data)",
        "MULU_DATABASE_URL": "SQLAlchemy URL of the store (default: SQLite in the data dir)",
        "MULU_SEARCH_URL": "empty: embedded search; http://…: Elasticsearch",
        "MULU_NETWORK": "internet (互联网), extranet (政务外网) or intranet (政务内网)",
        "MULU_SECRET_KEY": "session signing key (default: generated once into the data dir)",
        "MULU_BASE_URL": "public address used in exported RDF links",
        "MULU_MAX_SHEET_BYTES": "largest catalog spreadsheet accepted, in bytes: import uploads "
                                "and harvest uploads alike (default 64 MB)",
        "MULU_IMPORT_MAX_ROWS": "an import job's budget: data rows of one file (default 200000)",
        "MULU_IMPORT_MAX_CELLS": "an import job's budget: cells read, blanks included "
                                 "(default 20000000)",
        "MULU_IMPORT_MAX_SECONDS": "an import job's budget: seconds (default 1800)",
        "MULU_INLINE_SHEET_BYTES": "largest spreadsheet imported inside a request "
                                   "(POST /api/datasets/import; default 2 MB); larger ones go "
                                   "through an import job (POST /api/imports)",
        "MULU_INLINE_MAX_ROWS": "budget of a file read inside a request: rows (default 10000)",
        "MULU_INLINE_MAX_CELLS": "budget of a file read inside a request: cells (default 500000)",
        "MULU_INLINE_IMPORT_SECONDS": "budget of a file read inside a request: seconds "
                                      "(default 10)",
        "MULU_SHARING_DEADLINE_DAYS": "working days a provider has to answer a sharing request "
                                      "(default 10, 国发〔2016〕51号)",
        "MULU_SMTP_HOST": "SMTP server for notification e-mail (empty: in-app inbox only)",
        "MULU_SMTP_PORT": "port of MULU_SMTP_HOST (default 25)",
        "MULU_SMTP_FROM": "sender address of notification e-mail (default mulu@localhost)",
        "MULU_SESSION_IDLE_MINUTES": "a signed-in session ends after this many minutes without "
                                     "a request (default 30)",
        "MULU_SESSION_MAX_HOURS": "a signed-in session ends this many hours after sign-in, "
                                  "however busy (default 12)",
        "MULU_SESSION_COOKIE_SECURE": "send the session cookie over HTTPS only: true or false "
                                      "(default: true when MULU_BASE_URL is https)",
        "MULU_PROXY_HOPS": "reverse proxies in front of Mulu whose X-Forwarded-For and "
                           "X-Forwarded-Proto are trusted (default 0: none)",
        "MULU_LOGIN_LOCK_FAILURES": "failed sign-ins in a row that lock an account for "
                                    "MULU_LOGIN_LOCK_MINUTES (default 10; delays grow before)",
        "MULU_LOGIN_ADDRESS_LOCK_FAILURES": "failed sign-ins from one address that lock the "
                                            "address (default 50)",
        "MULU_LOGIN_LOCK_MINUTES": "how long a lock lasts, and how long failures are "
                                   "remembered (default 15)",
        "MULU_ANON_RATE_LIMIT": "API requests a minute one client address may make without "
                                "signing in (default 120; 0: no limit); beyond it 429 with "
                                "Retry-After. Signed-in and bearer-token calls are not limited",
        "MULU_HARVEST_ALLOW_NETWORKS": "networks (CIDR, comma separated) harvest sources may be "
                                       "on besides public addresses, e.g. 政务外网 10.0.0.0/8 "
                                       "(default none; link-local and Mulu's own address never)",
    }

    @property
    def security_ceiling(self) -> str:
        """The highest security level this deployment's network may hold (涉密不上网)."""
        return network_ceiling(self.network)

    @property
    def store_backend(self) -> str:
        return self.database_url.split(":", 1)[0].split("+", 1)[0]

    @property
    def search_backend(self) -> str:
        return "elasticsearch" if self.search_url else "sqlite"

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def load_settings(env: Mapping[str, str] | None = None, data_dir: str | Path | None = None) -> Settings:
    """Build settings from the environment; ``data_dir`` (``--data-dir``) overrides MULU_DATA_DIR."""
    env = os.environ if env is None else env
    directory = Path(data_dir or env.get("MULU_DATA_DIR") or "mulu-data").resolve()
    network = env.get("MULU_NETWORK", "extranet").strip() or "extranet"
    if network not in NETWORKS:
        raise ConfigError(f"MULU_NETWORK must be one of {', '.join(NETWORKS)}, not {network!r}")
    search_url = env.get("MULU_SEARCH_URL", "").strip()
    if search_url and not search_url.startswith(("http://", "https://")):
        raise ConfigError(f"MULU_SEARCH_URL must be empty or an http(s) address, not {search_url!r}")
    database_url = env.get("MULU_DATABASE_URL", "").strip() or f"sqlite:///{directory / 'mulu.db'}"
    base_url = env.get("MULU_BASE_URL", "http://127.0.0.1:5000").strip().rstrip("/")
    assert scheme("network").lookup(network) is not None
    return Settings(
        data_dir=directory,
        database_url=database_url,
        search_url=search_url,
        network=network,
        secret_key=env.get("MULU_SECRET_KEY", ""),
        public_base_url=base_url,
        max_sheet_bytes=_int_setting(env, "MULU_MAX_SHEET_BYTES", DEFAULT_MAX_SHEET_BYTES,
                                     64 * 1024, 1024 ** 3),
        import_max_rows=_int_setting(env, "MULU_IMPORT_MAX_ROWS", 200_000, 1, 10_000_000),
        import_max_cells=_int_setting(env, "MULU_IMPORT_MAX_CELLS", 20_000_000, 100,
                                      1_000_000_000),
        import_max_seconds=_int_setting(env, "MULU_IMPORT_MAX_SECONDS", 1800, 1, 86_400),
        inline_sheet_bytes=_int_setting(env, "MULU_INLINE_SHEET_BYTES", 2 * 1024 * 1024, 1024,
                                        1024 ** 3),
        inline_max_rows=_int_setting(env, "MULU_INLINE_MAX_ROWS", 10_000, 1, 10_000_000),
        inline_max_cells=_int_setting(env, "MULU_INLINE_MAX_CELLS", 500_000, 100,
                                      1_000_000_000),
        inline_import_seconds=_int_setting(env, "MULU_INLINE_IMPORT_SECONDS", 10, 1, 3600),
        sharing_deadline_days=_int_setting(env, "MULU_SHARING_DEADLINE_DAYS", 10, 1, 60),
        smtp_host=env.get("MULU_SMTP_HOST", "").strip(),
        smtp_port=_int_setting(env, "MULU_SMTP_PORT", 25, 1, 65535),
        smtp_from=env.get("MULU_SMTP_FROM", "").strip() or "mulu@localhost",
        session_idle_minutes=_int_setting(env, "MULU_SESSION_IDLE_MINUTES", 30, 1, 24 * 60),
        session_max_hours=_int_setting(env, "MULU_SESSION_MAX_HOURS", 12, 1, 24 * 30),
        session_cookie_secure=_bool_setting(env, "MULU_SESSION_COOKIE_SECURE",
                                            is_https(base_url)),
        behind_tls=is_https(base_url),
        proxy_hops=_int_setting(env, "MULU_PROXY_HOPS", 0, 0, 5),
        login_lock_failures=_int_setting(env, "MULU_LOGIN_LOCK_FAILURES", 10, 3, 1000),
        login_address_lock_failures=_int_setting(env, "MULU_LOGIN_ADDRESS_LOCK_FAILURES", 50,
                                                 3, 100_000),
        login_lock_minutes=_int_setting(env, "MULU_LOGIN_LOCK_MINUTES", 15, 1, 24 * 60),
        harvest_allow_networks=networks_setting(env.get("MULU_HARVEST_ALLOW_NETWORKS", "")),
        anon_rate_limit=_int_setting(env, "MULU_ANON_RATE_LIMIT", 120, 0, 1_000_000),
    )


def networks_setting(text: str) -> tuple[str, ...]:
    """CIDR networks (or single addresses), comma or space separated, normalised."""
    found = []
    for entry in text.replace(",", " ").split():
        try:
            found.append(str(ipaddress.ip_network(entry, strict=False)))
        except ValueError:
            raise ConfigError("MULU_HARVEST_ALLOW_NETWORKS must list networks such as "
                              f"10.0.0.0/8, not {entry!r}") from None
    return tuple(found)


def _int_setting(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        raise ConfigError(f"{name} must be a whole number from {low} to {high}, not {text!r}")
    return int(text)


def is_https(url: str) -> bool:
    return url.lower().startswith("https://")


def _bool_setting(env: Mapping[str, str], name: str, default: bool) -> bool:
    text = env.get(name, "").strip().lower()
    if not text:
        return default
    if text not in ("true", "false", "1", "0", "yes", "no"):
        raise ConfigError(f"{name} must be true or false, not {text!r}")
    return text in ("true", "1", "yes")


def ensure_secret_key(settings: Settings) -> Settings:
    """Use MULU_SECRET_KEY, or a key generated once and kept in the data dir."""
    if settings.secret_key:
        return settings
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    key_file = settings.data_dir / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return settings.with_overrides(secret_key=key_file.read_text().strip())
