"""Start and stop the noida-db Elasticsearch stand-in for a benchmark (as tests/search does)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _exe() -> str:
    beside = Path(sys.executable).parent / "noida-db"
    found = str(beside) if beside.exists() else shutil.which("noida-db")
    if not found:
        raise SystemExit("noida-db is not installed: .venv/bin/pip install noida-db")
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
            return bool(response.status == 200)
    except OSError:
        return False


@contextmanager
def elasticsearch(url: str | None = None) -> Iterator[str]:
    """``url`` when given, else a stand-in started in a temporary directory for the block."""
    if url:
        yield url
        return
    exe, port = _exe(), _free_port()
    with tempfile.TemporaryDirectory(prefix="mulu-bench-noida-") as data:
        subprocess.run([exe, "up", "--only", "elasticsearch", "--data-dir", data,
                        "--elasticsearch-port", str(port)], check=True, capture_output=True,
                       timeout=120)
        started = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while not _answers(started):
            if time.monotonic() > deadline:
                raise RuntimeError(f"noida-db did not answer on {started}")
            time.sleep(0.2)
        try:
            yield started
        finally:
            subprocess.run([exe, "down", "--data-dir", data], capture_output=True, timeout=120)
