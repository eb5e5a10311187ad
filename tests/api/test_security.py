"""Issue 14, on both stores through the Flask test client: CSRF and JSON-only bodies for
cookie-carried API calls, login throttling and its audit, password policy, sessions that end
on the server, security headers, bounded integer ids, token bookkeeping."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select, text, update
from werkzeug.routing import IntegerConverter

from catalog import audit
from catalog.app import create_app
from catalog.cli import main
from catalog.config import load_settings
from catalog.db import ApiToken, AuditEntry
from harvesters.uploads import SpreadsheetUpload
from tests.api.conftest import ApiWorld, assert_no_traceback, body_of, store_snapshot
from tests.catalog.test_import_jobs import csv_file, titles
from tests.factories import MARKET, PUBLIC_SECURITY

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


class Clock:
    """A settable clock for the account service (sessions, throttling, token bookkeeping)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(api_world: ApiWorld) -> Clock:
    clock = Clock()
    api_world.services.accounts.clock = clock
    return clock


def sign_in(app: Flask, username: str, password: str | None = None,
            address: str = "10.0.0.7") -> tuple[FlaskClient, Any]:
    """A browser's client signed in through the login form; the response of the POST."""
    client = app.test_client()
    env = {"REMOTE_ADDR": address}
    token = CSRF_FIELD.search(client.get("/login", environ_base=env).get_data(as_text=True))
    assert token
    response = client.post("/login", environ_base=env, data={
        "username": username, "password": password or f"{username}-password",
        "csrf_token": token.group(1)})
    return client, response


def signed_in(app: Flask, username: str) -> FlaskClient:
    client, response = sign_in(app, username)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


def page_csrf(client: FlaskClient) -> str:
    found = CSRF_META.search(client.get("/").get_data(as_text=True))
    assert found, "signed-in pages carry the csrf-token meta tag"
    return found.group(1)


def saved_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def replay(app: Flask, cookie: str) -> FlaskClient:
    """Another browser holding a saved copy of a session cookie."""
    client = app.test_client()
    client.set_cookie("session", cookie)
    return client


# -- item 3: CSRF for cookie-authenticated API calls; JSON-only bodies -------------------------


def test_cookie_api_writes_need_the_csrf_header(api_world: ApiWorld) -> None:
    admin = signed_in(api_world.app, "admin")
    assert admin.get("/api/me").status_code == 200  # reading with the cookie stays possible
    before = store_snapshot(api_world.store)
    new_admin = {"username": "planted-admin", "password": "planted-admin-pw-1", "role": "admin"}
    refused = admin.post("/api/users", json=new_admin)
    assert refused.status_code == 403 and "X-CSRF-Token" in body_of(refused)["message"]["en"]
    form = admin.post("/api/users", data=new_admin)  # the cross-site form of the report
    assert form.status_code in (403, 415)
    steward = signed_in(api_world.app, "steward")
    assert steward.post(f"/api/datasets/{api_world.draft}/submit").status_code == 403
    assert steward.post("/api/tokens", data={"name": "x"}).status_code in (403, 415)
    assert store_snapshot(api_world.store)["users"] == before["users"]
    assert api_world.services.accounts.get_user("planted-admin") is None
    # Mulu's own pages can: the token is in their csrf-token meta tag
    made = admin.post("/api/users", json=new_admin, headers={"X-CSRF-Token": page_csrf(admin)})
    assert made.status_code == 201, made.get_data(as_text=True)
    wrong = steward.post("/api/tokens", json={}, headers={"X-CSRF-Token": page_csrf(admin)})
    assert wrong.status_code == 403  # another session's token does not count


def test_bearer_calls_need_no_csrf_header(api_world: ApiWorld) -> None:
    response = api_world.client("admin").post("/api/tokens", json={"name": "cli"})
    assert response.status_code == 201


@pytest.mark.parametrize("kind", ["form", "text/plain", "multipart"])
def test_json_operations_refuse_other_bodies(api_world: ApiWorld, kind: str) -> None:
    bodies: dict[str, dict[str, Any]] = {
        "form": {"data": {"name": "x"}},
        "text/plain": {"data": '{"name": "x"}', "content_type": "text/plain"},
        "multipart": {"data": {"name": "x", "f": (io.BytesIO(b"x"), "f.txt")},
                      "content_type": "multipart/form-data"}}
    body = bodies[kind]
    before = store_snapshot(api_world.store)
    response = api_world.client("admin").post("/api/tokens", **body)
    assert response.status_code == 415, response.get_data(as_text=True)
    assert set(body_of(response)["message"]) == {"zh", "en"}
    assert store_snapshot(api_world.store) == before


# -- item 4: login throttling, audited failures, unlock, password policy -----------------------


def failures(api_world: ApiWorld, action: str = "user.login_failed") -> list[Any]:
    """The audit entries of ``action``: (object_id, detail) rows, oldest first."""
    with api_world.store.reading() as session:
        return list(session.execute(select(AuditEntry.object_id, AuditEntry.detail)
                                    .where(AuditEntry.action == action)
                                    .order_by(AuditEntry.id)))


def test_wrong_passwords_slow_down_then_lock_and_admin_unlocks(api_world: ApiWorld,
                                                               clock: Clock) -> None:
    app = api_world.app
    for attempt in range(1, 10):
        _client, response = sign_in(app, "steward", "not-the-password")
        assert response.status_code == 401, attempt
        if attempt >= 3:  # from the third failure on the next attempt must wait, growing
            early = sign_in(app, "steward")[1]  # even the right password
            assert early.status_code == 429
            assert int(early.headers["Retry-After"]) == 2 ** (attempt - 3)
            clock.advance(seconds=int(early.headers["Retry-After"]))
    _client, tenth = sign_in(app, "steward", "not-the-password")
    assert tenth.status_code == 401
    clock.advance(minutes=5)
    _client, locked = sign_in(app, "steward")  # the right password, but locked
    assert locked.status_code == 429 and "锁定" in locked.get_data(as_text=True)
    assert len(failures(api_world)) == 10
    assert [e.object_id for e in failures(api_world, "user.lock")] == ["steward"]
    assert {e.object_id for e in failures(api_world)} == {"steward"}
    # other accounts are not affected (another address: the address has its own, higher count)
    assert sign_in(app, "staff", address="10.0.0.8")[1].status_code == 302
    unlocked = api_world.client("admin").post("/api/users/steward/unlock", json={})
    assert body_of(unlocked) == {"username": "steward", "unlocked": True, "address": None}
    assert sign_in(app, "steward")[1].status_code == 302
    with api_world.store.reading() as session:
        assert audit.verify(session).ok


def test_lock_ends_by_itself(api_world: ApiWorld, clock: Clock) -> None:
    for _ in range(10):
        clock.advance(minutes=5)
        assert sign_in(api_world.app, "staff", "wrong-password-x")[1].status_code == 401
    assert sign_in(api_world.app, "staff")[1].status_code == 429
    clock.advance(minutes=15)
    assert sign_in(api_world.app, "staff")[1].status_code == 302


def test_many_accounts_from_one_address_lock_the_address(api_world: ApiWorld,
                                                         clock: Clock) -> None:
    limit = api_world.store.settings.login_address_lock_failures
    for n in range(limit):
        clock.advance(minutes=6)
        _client, response = sign_in(api_world.app, f"guess-{n}", "guess-password",
                                    address="203.0.113.9")
        assert response.status_code == 401, n
    assert sign_in(api_world.app, "steward", address="203.0.113.9")[1].status_code == 429
    assert sign_in(api_world.app, "steward", address="203.0.113.10")[1].status_code == 302
    result = cli(api_world, "user", "unlock", "steward", "--address", "203.0.113.9")
    assert result.exit_code == 0, result.output
    assert "unlocked steward" in result.output
    assert sign_in(api_world.app, "steward", address="203.0.113.9")[1].status_code == 302


@pytest.mark.parametrize(("password", "why", "for_staff"), [
    ("short-pw", "at least", "short-pw"),
    ("Password123", "common", "Password123"),
    ("qwerty123456!", "common", "1qaz2wsx3edc"),
    ("new-staff-x1", "username", "Staff12345"),
])
def test_new_passwords_follow_the_policy(api_world: ApiWorld, password: str, why: str,
                                         for_staff: str) -> None:
    before = store_snapshot(api_world.store)
    response = api_world.client("admin").post("/api/users", json={
        "username": "new-staff-x1", "password": password, "role": "staff",
        "department_code": MARKET})
    assert response.status_code == 422
    messages = body_of(response)["errors"]["password"]
    assert why in messages[0]["en"] and messages[0]["zh"]
    changed = api_world.client("admin").open("PATCH", "/api/users/staff",
                                             json={"password": for_staff})
    assert changed.status_code == 422
    assert why in body_of(changed)["errors"]["password"][0]["en"]
    assert store_snapshot(api_world.store) == before


# -- item 7: sessions end on the server ---------------------------------------------------------


def test_a_saved_cookie_no_longer_answers_after_logout(api_world: ApiWorld) -> None:
    browser = signed_in(api_world.app, "steward")
    cookie = saved_cookie(browser)
    assert replay(api_world.app, cookie).get("/api/me").status_code == 200
    token = CSRF_FIELD.search(browser.get("/").get_data(as_text=True))
    assert token
    assert browser.post("/logout", data={"csrf_token": token.group(1)}).status_code == 302
    assert replay(api_world.app, cookie).get("/api/me").status_code == 401
    signed_in(api_world.app, "steward")  # the ended session's row goes with the next sign-in
    with api_world.store.engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT s.revoked_at FROM user_sessions s JOIN users u ON u.id = s.user_id "
            "WHERE u.username = 'steward'")).all()
    assert [tuple(r) for r in rows] == [(None,)]


@pytest.mark.parametrize("change", [{"password": "a-new-steward-pw-7"}, {"role": "staff"},
                                    {"active": False}])
def test_password_or_role_change_ends_sessions(api_world: ApiWorld,
                                               change: dict[str, Any]) -> None:
    browser = signed_in(api_world.app, "steward")
    assert browser.get("/api/me").status_code == 200
    response = api_world.client("admin").open("PATCH", "/api/users/steward", json=change)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert browser.get("/api/me").status_code == 401
    entry = failures(api_world, "user.update")[-1]
    assert '"sessions_ended":1' in entry.detail and "a-new-steward" not in entry.detail


def test_display_name_change_keeps_sessions(api_world: ApiWorld) -> None:
    browser = signed_in(api_world.app, "steward")
    api_world.client("admin").open("PATCH", "/api/users/steward", json={"display_name": "王"})
    assert body_of(browser.get("/api/me"))["display_name"] == "王"


def test_idle_and_absolute_timeouts(api_world: ApiWorld, clock: Clock) -> None:
    settings = api_world.store.settings
    idle = signed_in(api_world.app, "steward")
    clock.advance(minutes=settings.session_idle_minutes - 1)
    assert idle.get("/api/me").status_code == 200  # a request keeps it alive
    clock.advance(minutes=settings.session_idle_minutes + 1)
    assert idle.get("/api/me").status_code == 401
    busy = signed_in(api_world.app, "staff")
    for _ in range(settings.session_max_hours * 60 // 20):
        clock.advance(minutes=20)
        assert busy.get("/api/me").status_code == 200
    clock.advance(minutes=20)
    assert busy.get("/api/me").status_code == 401


def test_secure_cookie_flag(api_world: ApiWorld, tmp_path: Any) -> None:
    def cookie_header(**env: str) -> str:
        client = app_with(api_world, tmp_path, **env).test_client()
        token = CSRF_FIELD.search(client.get("/login").get_data(as_text=True))
        assert token
        response = client.post("/login", data={"username": "staff",
                                               "password": "staff-password",
                                               "csrf_token": token.group(1)})
        return response.headers["Set-Cookie"]

    assert "Secure" not in cookie_header()
    assert "Secure" in cookie_header(MULU_BASE_URL="https://mulu.ah.gov.cn")
    assert "Secure" not in cookie_header(MULU_BASE_URL="https://mulu.ah.gov.cn",
                                         MULU_SESSION_COOKIE_SECURE="false")
    assert "Secure" in cookie_header(MULU_SESSION_COOKIE_SECURE="true")


# -- item 8: security headers on every response -------------------------------------------------

SECURITY_HEADERS = ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options",
                    "Referrer-Policy")


def test_security_headers_on_every_response(api_world: ApiWorld) -> None:
    browser = signed_in(api_world.app, "admin")
    anonymous = api_world.app.test_client()
    paths = ["/", "/login", "/datasets", "/search?q=人口", f"/datasets/{api_world.published}",
             "/datasets/new", "/review", "/no-such-page", "/static/mulu.css", "/static/search.js",
             "/api/health", "/api/openapi.json", "/api/datasets", "/api/no-such",
             f"/dataset/{api_world.published}.ttl", "/api/harvest/jobs/99999999999999999999"]
    for client in (browser, anonymous):
        for path in paths:
            response = client.get(path)
            assert_no_traceback(response)
            for name in SECURITY_HEADERS:
                assert name in response.headers, (path, name)
            csp = response.headers["Content-Security-Policy"]
            assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
            assert "script-src 'self'" in csp
            assert response.headers["X-Frame-Options"] == "DENY"
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert "Strict-Transport-Security" not in response.headers
    posted = anonymous.post("/api/datasets", json={})
    assert "Content-Security-Policy" in posted.headers and posted.status_code == 401


def app_with(api_world: ApiWorld, tmp_path: Any, **env: str) -> Flask:
    """The app over the same store, configured from ``env``."""
    settings = load_settings({"MULU_DATA_DIR": str(tmp_path), "MULU_SECRET_KEY": "k", **env})
    return create_app(settings.with_overrides(database_url=api_world.store.settings.database_url),
                      store=api_world.store)


def test_hsts_behind_tls(api_world: ApiWorld, tmp_path: Any) -> None:
    secure = api_world.app.test_client().get("/", base_url="https://mulu.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
    # TLS ends at a proxy in front: the https public address says so
    proxied = app_with(api_world, tmp_path, MULU_BASE_URL="https://mulu.ah.gov.cn")
    assert "Strict-Transport-Security" in proxied.test_client().get("/api/health").headers


def test_forwarded_address_is_throttled_only_through_trusted_proxies(api_world: ApiWorld,
                                                                     tmp_path: Any) -> None:
    forwarded = {"X-Forwarded-For": "198.51.100.1"}
    for app in (api_world.app, app_with(api_world, tmp_path, MULU_PROXY_HOPS="1")):
        client = app.test_client()
        token = CSRF_FIELD.search(client.get("/login").get_data(as_text=True))
        assert token
        client.post("/login", headers=forwarded, data={
            "username": "staff", "password": "wrong-password-x", "csrf_token": token.group(1)})
    addresses = [json.loads(detail)["address"] for _id, detail in failures(api_world)]
    assert addresses == ["127.0.0.1", "198.51.100.1"]


INLINE = (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), re.compile(r"<style", re.I),
          re.compile(r"\sstyle\s*=", re.I), re.compile(r"\son[a-z]+\s*=", re.I),
          re.compile(r"javascript:", re.I))


def sharing_request(api_world: ApiWorld) -> str:
    """A request of 省市场监管局 for the published dataset, approved by the provider and
    granted: its page, the register and the inbox have rows to show."""
    from tests.sharing.helpers import payload

    sharing, w = api_world.services.sharing, api_world.world
    filed = sharing.file(w.staff, payload(api_world.published))["id"]
    sharing.decide(w.steward, filed, {"action": "approve"})
    sharing.decide(w.reviewer, filed, {"action": "approve_target"})
    return str(filed)


def test_pages_have_no_inline_script_or_style(api_world: ApiWorld) -> None:
    """What the CSP forbids is not in any page: every web GET route as an administrator."""
    import io

    browser = signed_in(api_world.app, "admin")
    job = api_world.services.imports.start(
        api_world.world.steward, io.BytesIO("信息资源名称,信息资源分类\n测试,101\n".encode()),
        "catalog.csv")
    harvest = api_world.services.harvest
    source = harvest.add_source(api_world.world.steward, {"type": "spreadsheet"},
                                upload=SpreadsheetUpload(csv_file(titles(2)), "目录.csv"))
    harvest.review_source(api_world.world.reviewer, source.id, "approve")
    report = harvest.run(api_world.world.steward, source.id)
    item = harvest.items(api_world.world.admin, report["job"])["items"][0]["id"]
    pages = {"/", "/login", "/datasets", "/search", "/search?q=人口&sort=title", "/review",
             "/datasets/new", f"/datasets/{api_world.published}",
             f"/datasets/{api_world.draft}/edit", "/no-such-page", "/imports",
             f"/imports/{job['id']}", "/admin/users", "/admin/users/steward",
             "/admin/departments", "/admin/calendar", "/admin/calendar/2026",
             "/admin/calendar/2027", "/admin/publishers",
             "/harvest", "/harvest/new", f"/harvest/sources/{source.id}",
             f"/harvest/sources/{source.id}/edit", f"/harvest/jobs/{report['job']}",
             f"/harvest/jobs/{report['job']}/items/{item}",
             "/sharing/mine", "/sharing/to_review",
             "/sharing/escalated", "/sharing/grants", "/inbox",
             f"/sharing/requests/{sharing_request(api_world)}",
             "/catalog", "/departments",
             f"/departments/{PUBLIC_SECURITY}", "/datasets?sort=title&classification=101"}
    web_rules = {r.rule for r in api_world.app.url_map.iter_rules()
                 if r.endpoint.startswith("pages.") and "GET" in (r.methods or ())}
    assert web_rules == {"/", "/login", "/datasets", "/search", "/review", "/datasets/new",
                         "/datasets/<dataset_id>", "/datasets/<dataset_id>/edit", "/imports",
                         "/imports/<int:job_id>", "/admin/users", "/admin/users/<username>",
                         "/admin/departments", "/admin/calendar", "/admin/calendar/<year>",
                         "/admin/publishers", "/harvest", "/harvest/new",
                         "/harvest/sources/<int:source_id>",
                         "/harvest/sources/<int:source_id>/edit", "/harvest/jobs/<int:job_id>",
                         "/harvest/jobs/<int:job_id>/items/<int:item_id>",
                         "/sharing", "/sharing/<any(mine, to_review, "
                         "escalated):tab>", "/sharing/requests/<request_id>", "/sharing/grants",
                         "/sharing/grants.csv", "/inbox",
                         "/catalog", "/departments",
                         "/departments/<code>"}
    for path in pages:
        html = browser.get(path).get_data(as_text=True)
        for pattern in INLINE:
            assert not pattern.search(html), (path, pattern.pattern, pattern.search(html))


# -- item 9: integer ids bounded by the store's range --------------------------------------------


def int_routes(app: Flask) -> list[tuple[str, str]]:
    """Every (method, rule) with an integer path parameter."""
    found = []
    for rule in app.url_map.iter_rules():
        if any(isinstance(c, IntegerConverter) for c in rule._converters.values()):
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                found.append((method, rule.rule))
    return found


def test_every_integer_path_id_past_the_store_range_is_404(api_world: ApiWorld) -> None:
    routes = int_routes(api_world.app)
    rules = {rule for _method, rule in routes}
    assert {"/api/harvest/jobs/<int:job_id>", "/api/harvest/jobs/<int:job_id>/items",
            "/api/harvest/sources/<int:source_id>", "/api/inbox/<int:notification_id>/read",
            "/api/harvest/sources/<int:source_id>/review",
            "/api/organizations/<int:organization_id>/link"} <= rules
    limit = 2 ** 31 - 1 if api_world.store.settings.store_backend == "postgresql" \
        else 2 ** 63 - 1
    admin = api_world.client("admin")
    for method, rule in routes:
        for value in (str(limit), str(limit + 1), str(2 ** 63), str(10 ** 30), "9" * 5000):
            path = re.sub(r"<int:[^>]+>", value, rule)
            kwargs: dict[str, Any] = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
            response = admin.open(method, path, **kwargs)
            assert_no_traceback(response)
            expected = (404, 422) if value == str(limit) else (404,)
            if value == str(limit) and method == "POST" and not rule.startswith("/api"):
                expected = (404, 400)   # a web form: refused first for lacking its CSRF token
            assert response.status_code in expected, (method, rule, value, response.status_code)
    for served in api_world.app.url_map.iter_rules():
        for converter in served._converters.values():
            if isinstance(converter, IntegerConverter):  # one rule for every route
                assert type(converter).__name__ == "StoreIdConverter", served.rule


def test_the_spec_states_the_bound(api_world: ApiWorld) -> None:
    spec = body_of(api_world.client("anonymous").get("/api/openapi.json"))
    parameters = [p for op in spec["paths"]["/api/harvest/jobs/{job_id}"].values()
                  if isinstance(op, dict) for p in op.get("parameters", [])]
    parameters += spec["paths"]["/api/harvest/jobs/{job_id}"].get("parameters", [])
    job_id = next(p for p in parameters if p["name"] == "job_id")
    assert job_id["schema"]["maximum"] in (2 ** 31 - 1, 2 ** 63 - 1)


# -- item 10: token bookkeeping ------------------------------------------------------------------


def test_token_use_writes_last_used_at_at_most_once_a_minute(api_world: ApiWorld,
                                                             clock: Clock) -> None:
    admin = api_world.client("admin")
    with api_world.store.engine.begin() as connection:
        connection.execute(update(ApiToken).values(last_used_at=None))
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE API_TOKENS"):
            statements.append(statement)

    event.listen(api_world.store.engine, "before_cursor_execute", count)
    try:
        for _ in range(20):
            clock.advance(seconds=2)
            assert admin.get("/api/me").status_code == 200
        assert len(statements) == 1  # the first use; the next 19 within the minute write nothing
        clock.advance(seconds=61)
        assert admin.get("/api/me").status_code == 200
        assert len(statements) == 2
    finally:
        event.remove(api_world.store.engine, "before_cursor_execute", count)
    with api_world.store.engine.connect() as connection:
        stored = connection.execute(text(
            "SELECT last_used_at FROM api_tokens WHERE last_used_at IS NOT NULL")).scalars().all()
    assert len(stored) == 1


def cli(api_world: ApiWorld, *args: str, input: str | None = None) -> Any:
    settings = api_world.store.settings
    return CliRunner().invoke(main, [*args, "--data-dir", str(settings.data_dir)], input=input,
                              env={"MULU_DATABASE_URL": settings.database_url,
                                   "MULU_SEARCH_URL": "", "MULU_DATA_DIR": ""})


def test_cli_user_edit_ends_sessions_and_follows_the_policy(api_world: ApiWorld) -> None:
    browser = signed_in(api_world.app, "steward")
    weak = cli(api_world, "user", "edit", "steward", "--set-password",
               input="password1\npassword1\n")
    assert weak.exit_code == 2 and "at least 10 characters" in weak.output
    assert browser.get("/api/me").status_code == 200  # nothing changed
    changed = cli(api_world, "user", "edit", "steward", "--role", "staff")
    assert changed.exit_code == 0, changed.output
    assert browser.get("/api/me").status_code == 401
    assert cli(api_world, "user", "edit", "steward").exit_code == 2  # nothing to change


def test_settings_refuse_unusable_values() -> None:
    from catalog.config import ConfigError

    for name, value in (("MULU_SESSION_COOKIE_SECURE", "maybe"),
                        ("MULU_SESSION_IDLE_MINUTES", "0"), ("MULU_LOGIN_LOCK_FAILURES", "2"),
                        ("MULU_PROXY_HOPS", "x")):
        with pytest.raises(ConfigError, match=name):
            load_settings({"MULU_DATA_DIR": "/tmp/x", name: value})
    assert load_settings({"MULU_DATA_DIR": "/tmp/x"}).session_cookie_secure is False
