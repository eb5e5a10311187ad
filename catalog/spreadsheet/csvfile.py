"""CSV files streamed: bytes to numbered rows in blocks, in UTF-8 (with or without BOM) or GB18030.

The file is read in blocks cut at the last line feed, so no block ends inside a character (a
line feed byte is never part of a multi-byte UTF-8 or GB18030 character). The encoding is
decided on the first block that holds anything but ASCII (until then both read the same): UTF-8
when that block is UTF-8, else GB18030; a later block that does not decode in the encoding so
decided refuses the file. Memory is one block and one row, whatever the file's length.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from itertools import chain
from typing import BinaryIO

from catalog.spreadsheet.model import Row, _file_error

BLOCK = 256 * 1024
_OTHER_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE,
               codecs.BOM_UTF32_BE)


def _wrong_encoding() -> Exception:
    return _file_error("CSV 文件编码无法识别：请另存为“CSV UTF-8”或 GB18030（GBK）编码。",
                       "Cannot read the CSV encoding: save it as UTF-8 or GB18030 (GBK).")


def _blocks(stream: BinaryIO) -> Iterator[bytes]:
    """The file in blocks of whole lines (the last one as it ends)."""
    rest = b""
    while chunk := stream.read(BLOCK):
        data = rest + chunk
        cut = data.rfind(b"\n") + 1
        if cut:
            rest = data[cut:]
            yield data[:cut]
        else:  # a line longer than a block: read on
            rest = data
    if rest:
        yield rest


def decoded(stream: BinaryIO) -> Iterator[str]:
    """The file's text, block by block; refuses UTF-16/32 and any other encoding."""
    encoding = ""
    first = True
    for block in _blocks(stream):
        if first:
            first = False
            if block.startswith(codecs.BOM_UTF8):
                block, encoding = block[len(codecs.BOM_UTF8):], "utf-8"
            elif block.startswith(_OTHER_BOMS):
                raise _wrong_encoding()
        if not encoding and block.isascii():
            text = block.decode("ascii")
        elif encoding:
            try:
                text = block.decode(encoding)
            except UnicodeDecodeError:
                raise _wrong_encoding() from None
        else:
            encoding, text = _decide(block)
        if "\x00" in text:  # UTF-16 without a byte-order mark
            raise _wrong_encoding()
        yield text


def _decide(block: bytes) -> tuple[str, str]:
    for encoding in ("utf-8", "gb18030"):
        try:
            return encoding, block.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _wrong_encoding()


def _lines(texts: Iterator[str]) -> Iterator[str]:
    for text in texts:
        yield from io.StringIO(text, newline="")


def csv_rows(stream: BinaryIO) -> Iterator[Row]:
    """Numbered rows (1 = the first record); the delimiter is a tab when the first line has
    more tabs than commas."""
    lines = _lines(decoded(stream))
    first = next(lines, "")
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    reader = csv.reader(chain([first], lines), delimiter=delimiter)
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as exc:
        raise _file_error(f"CSV 格式有误（第 {reader.line_num} 行）：{exc}",
                          f"Malformed CSV (line {reader.line_num}): {exc}") from None
