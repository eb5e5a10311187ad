"""The files of import jobs: kept under ``<data_dir>/uploads/imports/<uuid>.<xlsx|csv>`` from
the upload until the job ends. Only the cheap check runs before a file is kept
(``catalog.spreadsheet.check_file``: size, not empty, .xlsx or .csv, a workbook's zip
directory): the rows are read by the job, never inside the request."""

from __future__ import annotations

import os
import re
import tempfile
import uuid
from pathlib import Path, PurePath
from typing import IO, BinaryIO, cast

from catalog import spreadsheet

SUBDIR = Path("uploads") / "imports"
_NAME = re.compile(r"^[0-9a-f]{32}\.(?:xlsx|csv)$")
COPY_BLOCK = 1024 * 1024


def display_name(filename: str) -> str:
    name = PurePath(filename.replace("\\", "/")).name.strip()
    return name[:255] or "upload"


def keep(data_dir: Path, stream: IO[bytes], filename: str, *, max_bytes: int) -> tuple[str, int]:
    """Copy the upload (at most ``max_bytes`` and one byte more, so a larger file is refused
    as too large) into the data dir once it passed the cheap check; returns its reference and
    size. Raises InvalidInput on ``file``; nothing is kept then."""
    root = data_dir / SUBDIR
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=root, prefix=".part-", delete=False) as partial:
        try:
            kept = cast(BinaryIO, partial)
            copied = _copy(stream, kept, max_bytes + 1)
            kept.flush()
            kept.seek(0)
            workbook = spreadsheet.check_file(kept, filename, max_bytes=max_bytes)
        except BaseException:
            os.unlink(partial.name)
            raise
    name = f"{uuid.uuid4().hex}.{'xlsx' if workbook else 'csv'}"
    os.replace(partial.name, root / name)
    return name, copied


def _copy(source: IO[bytes], target: BinaryIO, limit: int) -> int:
    copied = 0
    while copied < limit and (block := source.read(min(COPY_BLOCK, limit - copied))):
        target.write(block)
        copied += len(block)
    return copied


def path_of(data_dir: Path, reference: str) -> Path:
    if not _NAME.match(reference):
        raise ValueError(f"not an import file reference: {reference!r}")
    return data_dir / SUBDIR / reference


def discard(data_dir: Path, reference: str) -> None:
    if _NAME.match(reference):
        (data_dir / SUBDIR / reference).unlink(missing_ok=True)


def copy_local(data_dir: Path, path: Path, *, max_bytes: int) -> tuple[str, int]:
    """A local file (``mulu dataset import``) kept like an upload."""
    with path.open("rb") as handle:
        return keep(data_dir, handle, path.name, max_bytes=max_bytes)
