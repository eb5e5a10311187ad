"""The Flask application factory: thin web and API layers over the services."""

from __future__ import annotations

import logging

from flask import Flask
from flask_smorest import Api

from catalog import errors_http, http_headers, path_ids
from catalog.api import contract
from catalog.config import Settings, ensure_secret_key
from catalog.services import Services
from catalog.store import Store

MAX_BODY_BYTES = 5 * 1024 * 1024


class MuluApi(Api):
    """flask-smorest Api whose errors go through Mulu's own handlers (bilingual, no traces),
    documented with their real body; each operation lists its error statuses
    (``catalog.api.contract``) instead of a catch-all ``default``."""

    ERROR_SCHEMA = contract.ErrorSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self) -> None:
        return None


def create_app(settings: Settings, *, store: Store | None = None) -> Flask:
    settings = ensure_secret_key(settings)
    app = Flask(__name__, template_folder="web/templates", static_folder="web/static",
                static_url_path="/static")
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        JSON_AS_ASCII=False,
        API_TITLE="Mulu 政务信息资源目录 API",
        API_VERSION="1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={"components": {"securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"}}}, "security": [{"bearer": []}]},
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    store = store or Store.open(settings)
    app.extensions["mulu"] = Services.build(store)
    path_ids.install(app, store.settings.store_backend)  # before any route is added
    logging.getLogger("mulu").setLevel(logging.INFO)

    api = MuluApi(app)
    from catalog.api import admin, completion, datasets, imports, search

    for module in (admin, imports, datasets, search, completion):
        api.register_blueprint(module.blp)
    from catalog.api import harvest as harvest_api  # issue 3
    api.register_blueprint(harvest_api.blp)
    from catalog.api import sharing as sharing_api  # issue 5
    api.register_blueprint(sharing_api.blp)
    from catalog.api import calendar as calendar_api
    api.register_blueprint(calendar_api.blp)
    from catalog.api import import_jobs  # issue 9 §4
    api.register_blueprint(import_jobs.blp)
    contract.document(app, api)
    from catalog.api import ratelimit

    ratelimit.install(app, settings.anon_rate_limit)  # the first hook of every API request
    from catalog.web import register as register_web

    register_web(app)
    errors_http.install(app)
    from catalog.api import bodies

    bodies.install(app, api)
    http_headers.install(app, settings)
    if settings.proxy_hops:  # the client's address (login throttling) and scheme, as forwarded
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_hops,  # type: ignore[method-assign]
                                x_proto=settings.proxy_hops)
    _warn_of_the_calendar(app.extensions["mulu"])
    return app


def _warn_of_the_calendar(services: Services) -> None:
    """At start-up, log what the administrators must do about the calendar (never silent)."""
    from catalog.sharing.calendar import log_warnings

    try:
        log_warnings(services.calendar.status())
    except Exception:  # noqa: BLE001 - a store not migrated yet says so on its first request
        logging.getLogger("mulu.calendar").warning("calendar: could not be checked at start-up")
