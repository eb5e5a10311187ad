"""Bilingual validation messages: marshmallow's English messages with their Chinese twins."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from catalog.errors import FieldErrors, InvalidInput, Message

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(en), zh) for en, zh in (
        (r"^Missing data for required field\.$", "缺少必填字段。"),
        (r"^Unknown field\.$", "未知字段。"),
        (r"^Not a valid string\.$", "不是有效的字符串。"),
        (r"^Not a valid list\.$", "不是有效的列表。"),
        (r"^Not a valid boolean\.$", "不是有效的布尔值。"),
        (r"^Not a valid integer\.$", "不是有效的整数。"),
        (r"^Not a valid URL\.$", "不是有效的网址。"),
        (r"^Not a valid date \(YYYY-MM-DD\)\.$", "不是有效的日期（YYYY-MM-DD）。"),
        (r"^Invalid input type\.$", "输入类型无效。"),
        (r"^Invalid JSON body\.$", "请求体不是有效的 JSON。"),
        (r"^Length must be (\d+)\.$", r"长度必须为 \1。"),
        (r"^Not a valid number\.$", "不是有效的数字。"),
        (r"^Not a valid datetime\.$", "不是有效的日期时间。"),
        (r"^Not a valid mapping type\.$", "不是有效的对象。"),
        (r"^Not a valid email address\.$", "不是有效的电子邮件地址。"),
        (r"^Invalid value\.$", "取值无效。"),
        (r"^Field may not be null\.$", "该字段不能为空。"),
        (r"^Must not contain control characters\.$", "不得包含控制字符。"),
        (r"^Longer than maximum length (\d+)\.$", r"长度不得超过 \1 个字符。"),
        (r"^Shorter than minimum length (\d+)\.$", r"长度不得少于 \1。"),
        (r"^Length must be between (\d+) and (\d+)\.$", r"长度须在 \1 至 \2 之间。"),
        (r"^Must be one of: (.*)\.$", r"必须是以下取值之一：\1。"),
        (r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$",
         r"必须在 \1 至 \2 之间。"),
    )
)


def translate(message: str) -> Message:
    for pattern, zh in _PATTERNS:
        if pattern.match(message):
            return Message(pattern.sub(zh, message), message)
    return Message(message, message)


def flatten(messages: Any, prefix: str = "") -> FieldErrors:
    """Turn marshmallow's nested ``{field: {0: {sub: [msg]}}}`` into ``{"field.0.sub": [...]}``."""
    out: FieldErrors = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for sub, found in flatten(value, name).items():
                out.setdefault(sub, []).extend(found)
    elif isinstance(messages, list | tuple):
        for value in messages:
            if isinstance(value, Mapping | list | tuple):
                for sub, found in flatten(value, prefix).items():
                    out.setdefault(sub, []).extend(found)
            else:
                out.setdefault(prefix or "_schema", []).append(translate(str(value)))
    else:
        out.setdefault(prefix or "_schema", []).append(translate(str(messages)))
    return out


def invalid_from_marshmallow(messages: Any) -> InvalidInput:
    return InvalidInput(flatten(messages))


def merge(*errors: FieldErrors) -> FieldErrors:
    merged: FieldErrors = {}
    for group in errors:
        for name, found in group.items():
            merged.setdefault(name, []).extend(found)
    return merged
