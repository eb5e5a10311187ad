"""A real HTTP server on 127.0.0.1 for harvester tests: routes serve fixture files or
misbehave on purpose (slow, trickling, truncated, huge, redirecting, failing)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).parent.parent / "fixtures"


@dataclass
class Request:
    path: str
    query: dict[str, str]


@dataclass
class Reply:
    body: bytes | Callable[[], Iterable[bytes]] = b""
    status: int = 200
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0            # before the status line
    trickle: float = 0.0          # pause between single bytes of the body
    declared_length: int | None = None   # Content-Length to claim (more than sent: truncated)
    drop: bool = False            # close the connection without answering


Route = Reply | Callable[[Request], Reply]


def json_reply(data: Any, status: int = 200) -> Reply:
    return Reply(json.dumps(data, ensure_ascii=False).encode(), status)


def file_reply(relative: str, content_type: str) -> Reply:
    return Reply((FIXTURES / relative).read_bytes(), content_type=content_type)


class Site:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: list[Request] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def route(self, path: str, route: Route) -> None:
        self.routes[path] = route

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: Any) -> None:
            return None

        def do_GET(self) -> None:  # noqa: N802
            parts = urlsplit(self.path)
            request = Request(parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()})
            site.hits.append(request)
            route = site.routes.get(parts.path)
            if route is None:
                reply = json_reply({"success": False, "error": {"__type": "Not Found Error",
                                                                "message": "Not found"}}, 404)
            else:
                reply = route(request) if callable(route) else route
            try:
                self._send(reply)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def _send(self, reply: Reply) -> None:
            if reply.delay:
                time.sleep(reply.delay)
            if reply.drop:
                self.close_connection = True
                return
            chunks: Iterable[bytes] = reply.body() if callable(reply.body) else [reply.body]
            length = reply.declared_length
            if length is None and not callable(reply.body):
                length = len(reply.body)
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            for key, value in reply.headers.items():
                self.send_header(key, value)
            if length is not None:
                self.send_header("Content-Length", str(length))
            self.send_header("Connection", "close")
            self.end_headers()
            for chunk in chunks:
                if reply.trickle:
                    for index in range(len(chunk)):
                        self.wfile.write(chunk[index:index + 1])
                        self.wfile.flush()
                        time.sleep(reply.trickle)
                else:
                    self.wfile.write(chunk)
            self.wfile.flush()
            self.close_connection = True

    return Handler
