"""Catalog spreadsheets (.xlsx, .csv in UTF-8, UTF-8 with BOM or GB18030) as a harvest source.

The file is read by ``catalog.spreadsheet.read_sheet`` under its lenient policy, streamed: each
row is a record of its own (rows with the same title too: at the source they are often distinct
releases), merged cells carry their anchor's value, placeholders (暂无, None …) are empty, a cell
that cannot be read (a date that is no date, a value that matches no concept) does not fail the
row but is handed on in ``Mapped.unread`` for the keep-and-flag path (an unmatched theme is kept
as a keyword as well), a provider column may name any department (unknown ones are kept as the
publisher's name), the 信息项 sheets' data items join their datasets (an item whose dataset is
not in the file is a failed item), the row's hash (items included) makes runs incremental, and
the source's config may add column names (``columns``: header -> field).

A row's remote id is its resource code, else ``title:`` and its folded title
(``rules.title_key``). When the same id comes again further down the file, the n-th row with it
is ``<id>#n`` (n = 2, 3 … in file order). This keeps ids stable when rows are added, removed or
edited anywhere else in the file, and keeps a row's id when its content changes (a digest of
the content would make every edit a withdrawal and a new record, losing a steward's
completions); only inserting or removing a row with the same title above it renumbers the rows
below, which then update each other's records instead of being withdrawn.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from catalog.errors import InvalidInput
from catalog.rules import title_key
from catalog.spreadsheet import LENIENT, Meter, Sheet, SheetRow, read_sheet
from harvesters import errors, uploads
from harvesters.base import Harvester, PageProblem, Remote
from harvesters.placement import Mapped


class SpreadsheetHarvester(Harvester):
    type = "spreadsheet"
    global_ids = False   # a row's id is its title key within the file: only codes match
    one_sheet = True
    meter: Meter | None = None   # a reading budget (the upload's probe reads within one)

    @contextmanager
    def _open(self) -> Iterator[tuple[BinaryIO, str]]:
        """The file, and its name (which says whether it is a workbook or CSV)."""
        url = self.source.url
        if url.startswith(("http://", "https://")):
            page = self.fetcher.get(url)
            yield io.BytesIO(page.body), url.split("?", 1)[0].rsplit("/", 1)[-1]
            return
        path = uploads.local_path(url)  # a local file or a stored upload
        if not path.is_file():
            raise errors.SourceMissing("数据源文件不存在。", "The source file is missing.",
                                       detail=uploads.display_url(url))
        if path.stat().st_size > self.source.limits.max_bytes:
            raise errors.TooLarge("文件超过大小上限。", "The file exceeds the size limit.",
                                  detail=uploads.display_url(url))
        with path.open("rb") as stream:
            yield stream, path.name

    def listing(self) -> Iterator[Remote | PageProblem]:
        columns = {str(header): str(name)
                   for header, name in (self.source.config.get("columns") or {}).items()}
        try:
            with self._open() as (stream, filename), read_sheet(
                    stream, filename, policy=LENIENT, extra_columns=columns,
                    meter=self.meter) as sheet:
                yield from self._listed(sheet)
        except (errors.FetchError, errors.PayloadError) as exc:
            yield PageProblem(self.source.url, exc)
        except InvalidInput as exc:
            yield PageProblem(self.source.url, errors.InvalidSheet(exc.message.zh, exc.message.en))

    def _listed(self, sheet: Sheet) -> Iterator[Remote | PageProblem]:
        for problem in sheet.problems:   # a 信息项 sheet that cannot be read
            yield PageProblem(problem.sheet, errors.InvalidSheet(problem.message.zh,
                                                                 problem.message.en))
        for lost in sheet.lost_items:
            item, message = lost.item, lost.problem.message
            name = item.item["name"] if item.item else ""
            yield PageProblem(f"{item.sheet} row {item.number}", errors.RecordNotFound(
                f"信息项“{name}”：{message.zh}", f"Data item '{name}': {message.en}"),
                raw=json.dumps({"sheet": item.sheet, "row": item.number, "code": item.code,
                                "title": item.title, "item": item.item}, ensure_ascii=False),
                kind="record")
        seen: Counter[str] = Counter()
        for row in sheet.rows:
            yield _remote(row, seen)

    def map(self, remote: Remote) -> Mapped:
        row: SheetRow = remote.payload
        record = dict(row.record)
        publisher = record.pop("publisher_name", None)
        publisher_code = record.pop("publisher_code", None)
        code = record.get("resource_code")
        record["source_identifier"] = code or record.get("title")
        return Mapped(record, publisher=publisher, publisher_code=publisher_code,
                      identifiers=(code,) if code else (), notes=_item_notes(row),
                      unread=dict(row.unread))


def _item_notes(row: SheetRow) -> list[str]:
    return [f"{item.sheet} row {item.number}: {item.problem.message.zh}（未导入该信息项）/ "
            f"{item.problem.message.en} (item left out)"
            for item in row.items if item.problem is not None]


def _remote(row: SheetRow, seen: Counter[str]) -> Remote | PageProblem:
    data_items = [item.item for item in row.items if item.item is not None]
    raw = json.dumps({"row": row.number, **row.written,
                      **({"信息项": data_items} if row.items else {})}, ensure_ascii=False)
    if not row.code and not title_key(row.title):
        return PageProblem(f"row {row.number}", errors.NoIdentifier(
            "该行既无信息资源代码也无名称。", "The row has neither a resource code nor a title."),
            raw=raw, kind="record")
    base = row.code or f"title:{title_key(row.title)}"
    seen[base] += 1
    remote_id = base if seen[base] == 1 else f"{base}#{seen[base]}"
    digest = hashlib.sha256(json.dumps([row.written, data_items, _item_notes(row)],
                                       sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return Remote(remote_id, row, modified=f"row:{digest}", raw=raw)
