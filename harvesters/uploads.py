"""Uploaded spreadsheets of harvest sources: checked, stored under the data dir, resolved.

A spreadsheet source registered with a file (``POST /api/harvest/sources`` as multipart, or
``mulu harvest add --file``) keeps a copy in ``<data_dir>/uploads/harvest/<uuid>.<ext>``; its
``url`` is the internal reference ``upload:<uuid>.<ext>``, never a path nor the client's file
name (the original name is kept apart, for display). The job runner sets the data dir for the
duration of a job (``rooted``) and the spreadsheet harvester turns the reference into the stored
file with ``local_path``.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from catalog.errors import InvalidInput, Message, MuluError, field_error
from catalog.spreadsheet.budget import Budget, Meter

PREFIX = "upload:"
SUBDIR = Path("uploads") / "harvest"
_REFERENCE = re.compile(r"^upload:([0-9a-f]{32}\.(?:xlsx|csv))$")
_ROOT: ContextVar[Path | None] = ContextVar("mulu_harvest_uploads_root", default=None)


class UploadTooLarge(MuluError):
    """The file exceeds the spreadsheet limit (HTTP 413, as a request body that is too large)."""

    status = 413


class UnreadableUpload(InvalidInput):
    """The file is not a spreadsheet Mulu can read: a 422 naming the ``file`` field, as the
    catalog spreadsheet import answers the same file."""


@dataclass(frozen=True)
class SpreadsheetUpload:
    """An uploaded file's bytes and the name it had on the client (for display only)."""

    data: bytes
    filename: str

    @property
    def display_name(self) -> str:
        name = PurePath(self.filename.replace("\\", "/")).name.strip()
        return name[:255] or "upload"

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def is_reference(url: str) -> bool:
    return url.startswith(PREFIX)


def root_of(data_dir: Path) -> Path:
    return data_dir / SUBDIR


@contextmanager
def rooted(data_dir: Path) -> Iterator[None]:
    """Resolve ``upload:`` references against this data dir while the block runs."""
    token = _ROOT.set(root_of(data_dir))
    try:
        yield
    finally:
        _ROOT.reset(token)


def local_path(url: str) -> Path:
    """The file a spreadsheet source reads: the stored upload, or a local path (``file://``)."""
    if not is_reference(url):
        return Path(url.removeprefix("file://"))
    match = _REFERENCE.match(url)
    root = _ROOT.get()
    if match is None or root is None:  # a forged reference or no store: a missing source file
        return Path("/nonexistent") / "mulu-upload" / url.removeprefix(PREFIX)[:64]
    return root / match.group(1)


def extension(upload: SpreadsheetUpload) -> str:
    """``xlsx`` or ``csv``, from the client's file name, else from the content."""
    name = upload.display_name.lower()
    if name.endswith((".xlsx", ".xlsm")):
        return "xlsx"
    if name.endswith((".csv", ".txt")):
        return "csv"
    if "." in name and not name.endswith(".xls"):
        raise UnreadableUpload({"file": [Message("只支持 .xlsx 和 .csv 文件。",
                                                 "Only .xlsx and .csv files are supported.")]})
    return "xlsx" if upload.data.startswith(b"PK") else "csv"


def store(data_dir: Path, upload: SpreadsheetUpload, config: dict[str, Any], *,
          max_bytes: int, budget: Budget | None = None) -> str:
    """Keep the file once it proved a readable catalog spreadsheet; returns its reference.

    Readable: not larger than ``max_bytes`` (``Settings.max_sheet_bytes``, the bulk import's
    limit too; else 413), an .xlsx workbook or a CSV in UTF-8 or GB18030 in which the
    spreadsheet harvester itself, with the source's ``config``, finds a header and at least one
    row (else a 400 on ``file``, and nothing is kept) — within ``budget`` (the request's:
    ``Budget.inline``), so that a small file of millions of blank rows cannot hold the
    request."""
    if len(upload.data) > max_bytes:
        mb = max_bytes // (1024 * 1024)
        raise UploadTooLarge(Message(f"文件超过 {mb} MB 上限。",
                                     f"The file is larger than the {mb} MB limit."))
    if not upload.data.strip():
        raise _unreadable("文件为空。", "The file is empty.")
    root = root_of(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    name = f"{uuid.uuid4().hex}.{extension(upload)}"
    partial = root / f".part-{name}"  # the harvester reads the kind from the extension
    try:
        partial.write_bytes(upload.data)
        _probe(partial, config, max_bytes, budget)
        os.replace(partial, root / name)
    finally:
        partial.unlink(missing_ok=True)
    return PREFIX + name


def _probe(path: Path, config: dict[str, Any], max_bytes: int, budget: Budget | None) -> None:
    """List the file with the spreadsheet harvester; a file-level problem refuses it."""
    from harvesters import errors
    from harvesters.base import PageProblem, SourceSpec
    from harvesters.http import Deadline, Fetcher, Limits
    from harvesters.spreadsheet import SpreadsheetHarvester

    limits = Limits(max_bytes=max_bytes)
    spec = SourceSpec(0, "spreadsheet", str(path), 0, config, limits)
    harvester = SpreadsheetHarvester(spec, Fetcher(limits, Deadline.after(120)))
    harvester.meter = Meter(budget)
    try:
        for listed in harvester.listing():
            if not isinstance(listed, PageProblem) or listed.kind == "record":
                return
            message = listed.error.message
            raise _unreadable(message.zh, message.en)
    except errors.HarvestError as exc:
        raise _unreadable(exc.message.zh, exc.message.en) from None
    except InvalidInput as exc:
        raise _unreadable(exc.message.zh, exc.message.en) from None
    raise _unreadable("文件中没有数据行。", "The file has no data rows.")


def _unreadable(zh: str, en: str) -> UnreadableUpload:
    return UnreadableUpload({"file": [Message(zh, en)]},
                            Message(f"上传的文件不是可读取的目录表：{zh}",
                                    f"The uploaded file is not a readable catalog spreadsheet: {en}"))


def delete(data_dir: Path, url: str) -> None:
    """Remove a stored upload (nothing for other urls or a file already gone)."""
    match = _REFERENCE.match(url)
    if match is not None:
        (root_of(data_dir) / match.group(1)).unlink(missing_ok=True)


def same_content(data_dir: Path, url: str, upload: SpreadsheetUpload) -> bool:
    """Whether the stored upload behind ``url`` has exactly these bytes."""
    match = _REFERENCE.match(url)
    if match is None:
        return False
    try:
        stored = (root_of(data_dir) / match.group(1)).read_bytes()
    except OSError:
        return False
    return hashlib.sha256(stored).hexdigest() == upload.digest


def display_url(url: str) -> str:
    """What the API and the CLI show: never a server path (a local file shows its name)."""
    if url.startswith(("http://", "https://")) or is_reference(url):
        return url
    return "file:" + PurePath(url.removeprefix("file://")).name


def not_a_file(field: str = "url") -> InvalidInput:
    return field_error(field, "数据源地址应为 http(s) 网址；目录表文件请上传（file）。",
                       "The URL must be http(s); upload a spreadsheet file as `file`.")
