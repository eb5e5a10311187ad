"""The anonymous rate limit of the API (issue 14): MULU_ANON_RATE_LIMIT requests a minute per
client address without signing in, then 429 with Retry-After and the standard error body;
bearer-token and signed-in calls are not limited; 0 turns it off. On both stores."""

from __future__ import annotations

import pytest
from flask import Flask

from catalog.api import ratelimit
from catalog.app import create_app
from catalog.config import ConfigError, Settings, load_settings
from tests.api.conftest import ApiWorld, body_of
from tests.api.test_security import sign_in


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limited_app(api_world: ApiWorld, per_minute: int) -> tuple[Flask, Clock]:
    settings = api_world.store.settings.with_overrides(anon_rate_limit=per_minute)
    app = create_app(settings, store=api_world.store)
    clock = Clock()
    ratelimit.limiter(app).clock = clock
    return app, clock


def anonymous_get(app: Flask, address: str = "10.1.2.3", path: str = "/api/departments",
                  **headers: str) -> int:
    response = app.test_client().get(path, environ_base={"REMOTE_ADDR": address},
                                     headers=headers)
    return response.status_code


def test_anonymous_callers_get_429_with_retry_after_beyond_the_limit(api_world: ApiWorld) -> None:
    app, clock = limited_app(api_world, 5)
    assert [anonymous_get(app) for _ in range(5)] == [200] * 5
    response = app.test_client().get(f"/api/datasets/{api_world.public}",
                                     environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "12"   # one request every 60/5 s
    body = body_of(response)
    assert body["code"] == 429 and set(body["message"]) == {"zh", "en"}
    assert "5" in body["message"]["en"]
    assert anonymous_get(app, address="10.9.9.9") == 200   # per client address
    clock.now += 11
    assert anonymous_get(app) == 429
    clock.now += 1
    assert anonymous_get(app) == 200                       # refilled at the limit's pace
    assert anonymous_get(app) == 429


def test_authenticated_calls_are_not_limited(api_world: ApiWorld) -> None:
    app, _ = limited_app(api_world, 3)
    assert [anonymous_get(app) for _ in range(4)] == [200, 200, 200, 429]
    bearer = {"Authorization": f"Bearer {api_world.tokens['staff']}"}
    assert [anonymous_get(app, **bearer) for _ in range(10)] == [200] * 10
    client, _ = sign_in(app, "steward", address="10.1.2.3")
    for _ in range(10):
        assert client.get("/api/me", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    assert anonymous_get(app) == 429


def test_a_bad_token_counts_as_anonymous(api_world: ApiWorld) -> None:
    app, _ = limited_app(api_world, 2)
    bad = {"Authorization": "Bearer not-a-token"}
    assert [anonymous_get(app, path="/api/health", **bad) for _ in range(3)] == [401, 401, 429]
    assert anonymous_get(app) == 429


def test_zero_turns_the_limit_off(api_world: ApiWorld) -> None:
    app, _ = limited_app(api_world, 0)
    assert {anonymous_get(app) for _ in range(150)} == {200}


def test_the_default_limit_is_120_a_minute(api_world: ApiWorld) -> None:
    assert api_world.store.settings.anon_rate_limit == 120
    app, _ = limited_app(api_world, 120)
    assert {anonymous_get(app) for _ in range(120)} == {200}
    assert anonymous_get(app) == 429


def test_web_pages_are_not_limited(api_world: ApiWorld) -> None:
    app, _ = limited_app(api_world, 1)
    client = app.test_client()
    assert {client.get("/", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code
            for _ in range(5)} == {200}


def test_the_setting() -> None:
    base = {"MULU_DATA_DIR": "/tmp/mulu-settings"}
    assert load_settings(base).anon_rate_limit == 120
    assert load_settings({**base, "MULU_ANON_RATE_LIMIT": "0"}).anon_rate_limit == 0
    assert load_settings({**base, "MULU_ANON_RATE_LIMIT": "600"}).anon_rate_limit == 600
    for value in ("-1", "ten", "2000000"):
        with pytest.raises(ConfigError, match="MULU_ANON_RATE_LIMIT"):
            load_settings({**base, "MULU_ANON_RATE_LIMIT": value})
    assert "MULU_ANON_RATE_LIMIT" in Settings.HELP


def test_the_limiter_keeps_its_memory_bounded() -> None:
    clock = Clock()
    limiter = ratelimit.RateLimiter(60, clock=clock)
    for n in range(ratelimit.MAX_ADDRESSES + 10):
        limiter.take(f"10.{n}")
    assert len(limiter._buckets) <= ratelimit.MAX_ADDRESSES  # noqa: SLF001


def test_the_spec_documents_429_with_retry_after_on_every_operation(api_world: ApiWorld) -> None:
    spec = body_of(api_world.app.test_client().get("/api/openapi.json"))
    limited = spec["components"]["responses"]["Error429"]
    assert limited["headers"]["Retry-After"]["required"] is True
    assert limited["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    operations = [(path, method, op) for path, ops in spec["paths"].items()
                  for method, op in ops.items() if isinstance(op, dict) and "responses" in op]
    assert len(operations) > 50
    for path, method, operation in operations:
        assert operation["responses"]["429"] == {"$ref": "#/components/responses/Error429"}, \
            (method, path)
