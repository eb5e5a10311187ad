"""Web UI fixtures: a fresh store, app and world per test; a client that signs in and posts forms."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from catalog.app import create_app
from catalog.services import Services
from catalog.store import Store
from tests.factories import World, build_world

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def app(sqlite_store: Store) -> Flask:
    app = create_app(sqlite_store.settings, store=sqlite_store)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def world(app: Flask) -> World:
    services: Services = app.extensions["mulu"]
    return build_world(services)


class Browser:
    """A test client that keeps its session and fills in the CSRF token like a browser would."""

    def __init__(self, client: FlaskClient):
        self.client = client

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, **kwargs)

    def token(self, url: str = "/login") -> str:
        found = CSRF.search(self.client.get(url).get_data(as_text=True))
        assert found, f"no CSRF token on {url}"
        return found.group(1)

    def post(self, url: str, data: Any = None, *, form_page: str = "/login", **kwargs: Any) -> Any:
        """POST ``data`` (a dict or a list of pairs) with this session's CSRF token."""
        pairs = list(data.items()) if isinstance(data, dict) else list(data or [])
        pairs.append(("csrf_token", self.token(form_page)))
        return self.client.post(url, data=MultiDict(pairs), **kwargs)

    def login(self, username: str, password: str | None = None) -> Any:
        return self.post("/login", {"username": username,
                                    "password": password or f"{username}-password"})


@pytest.fixture
def browser(app: Flask) -> Browser:
    return Browser(app.test_client())


@pytest.fixture
def browser_as(app: Flask, world: World):
    """``browser_as("steward")``: a fresh signed-in browser for a user of the world."""

    def sign_in(username: str) -> Browser:
        b = Browser(app.test_client())
        response = b.login(username)
        assert response.status_code == 302, response.get_data(as_text=True)
        return b

    return sign_in
