"""Keep, flag, complete (DESIGN §3): what a kept record lacks or breaks, as its problems.

Registration by form or API is strict (``DatasetService.validate``: the person typing fixes the
field now). Ingest — harvests, and spreadsheet imports that keep and flag — keeps every record a
source lists: ``assess`` returns what of the record could be read and the problems of the rest.
Only what is unsafe to keep is refused (``catalog.rules.UNSAFE``: above the network's ceiling or
the actor's clearance, or a security level that cannot be read) — then nothing of it is stored.

A problem names its field, its kind (what the steward does next) and a bilingual message; for a
value that could not be read it keeps the source's text, so nothing the source said is lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from marshmallow import ValidationError

from catalog import rules
from catalog.actors import Actor
from catalog.config import Settings
from catalog.errors import InvalidInput, Message
from catalog.messages import flatten
from catalog.schemas import clean_record, load_record
from vocab.concepts import security_rank
from vocab.fields import RECORD_BY_NAME as BY_NAME

ProblemKind = Literal["missing", "invalid", "unread", "rule", "possible_duplicate"]
KINDS: dict[str, Message] = {
    "missing": Message("缺少必填项", "required value missing"),
    "invalid": Message("取值不符合要求", "value does not fit the field"),
    "unread": Message("来源取值无法识别", "source value not recognised"),
    "rule": Message("不符合编制规则", "breaks a catalog rule"),
    "possible_duplicate": Message("疑似重复", "possible duplicate"),
}
VALUE_LIMIT = 500
UNCLASSIFIED = "312"   # 部门信息资源 / 其他部门: where a record without a classification is filed
_MISSING = "Missing data for required field."
_TOO_LONG = "Longer than maximum length"


@dataclass(frozen=True)
class Problem:
    field: str
    kind: ProblemKind
    message: Message
    value: str = ""          # what the source gave, when it could not be kept as the value

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "kind": self.kind, "zh": self.message.zh,
                "en": self.message.en, "value": self.value}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Problem:
        return cls(str(data["field"]), data["kind"], Message(data["zh"], data["en"]),
                   str(data.get("value") or ""))


@dataclass
class Assessment:
    """A record as far as it could be read, and what it lacks or breaks."""

    record: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.problems


def _text(value: Any) -> str:
    return (value if isinstance(value, str) else repr(value))[:VALUE_LIMIT]


def _unsafe(errors: Mapping[str, list[Message]]) -> InvalidInput:
    return InvalidInput(dict(errors), Message("该记录不能保存在本系统（涉密不上网）。",
                                              "This record cannot be kept on this system."))


def assess(data: Mapping[str, Any], settings: Settings, actor: Actor,
           unread: Mapping[str, str] | None = None) -> Assessment:
    """What of ``data`` can be kept, and its problems. ``unread``: field -> the source's text
    for values a harvester or reader could not read (``harvesters.placement.Mapped.unread``).

    Raises InvalidInput when the record is unsafe to keep (nothing of it may be stored)."""
    unread = dict(unread or {})
    if "security_level" in unread:
        raise _unsafe({"security_level": [Message(
            f"密级“{unread['security_level']}”无法识别，不能确定可否保存。",
            f"Security level '{unread['security_level']}' is not recognised; the record "
            "cannot be kept safely.")]})
    problems: list[Problem] = []
    try:
        record = load_record(dict(data))
    except ValidationError as exc:
        kept = exc.valid_data if isinstance(exc.valid_data, dict) else {}
        record = clean_record(dict(kept))
        for name, messages in flatten(exc.messages).items():
            top = name.split(".", 1)[0]
            for message in messages:
                if message.en == _MISSING and name == top:
                    problems.append(Problem(name, "missing", message))
                elif (name == top and message.en.startswith(_TOO_LONG)
                      and isinstance(data.get(name), str)):
                    record[name] = data[name].strip()    # kept whole, flagged
                    problems.append(Problem(name, "invalid", message))
                else:
                    problems.append(Problem(name, "invalid", message,
                                            _text(_value_at(data, name))))
    if "security_level" not in record:
        # kept at the most restricted level both the network and the actor allow, so nobody
        # sees it who might not; the steward sets the real one (a problem: missing)
        record["security_level"] = min((settings.security_ceiling, actor.clearance),
                                       key=security_rank)
        if not any(p.field == "security_level" for p in problems):
            problems.append(Problem("security_level", "missing", Message(
                "缺少密级，暂按本系统与登记人可保存的最高密级处理。", "No security level given: "
                "kept at the most restricted level this system and its registrant allow.")))
    if "classification" not in record:
        record["classification"] = UNCLASSIFIED   # filed somewhere; the problem says so
    unsafe = rules.check(record, settings, actor, rules.UNSAFE)
    if unsafe:
        raise _unsafe(unsafe)
    for name, messages in rules.check(record, settings, actor, rules.RULES).items():
        problems.extend(Problem(name, "rule", m) for m in messages)
    for name, text in unread.items():
        fld = BY_NAME.get(name)
        label = (fld.label_zh, fld.label_en) if fld else (name, name)
        problems.append(Problem(name, "unread", Message(
            f"{label[0]}“{text}”无法识别，请补充。", f"{label[1]} '{text}' is not recognised."),
            _text(text)))
    return Assessment(record, _without_repeats(problems))


def _value_at(data: Mapping[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if isinstance(value, Mapping):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _without_repeats(problems: list[Problem]) -> list[Problem]:
    """One missing-value problem per field: a defaulted field the unread text explains."""
    unread = {p.field for p in problems if p.kind == "unread"}
    return list(dict.fromkeys(p for p in problems
                              if not (p.kind == "missing" and p.field in unread)))


def possible_duplicate(other_code: str) -> Problem:
    return Problem("title", "possible_duplicate", Message(
        f"同一提供方已有同名信息资源（{other_code}），请确认是否重复。",
        f"The same publisher already lists this title ({other_code}); check whether it is a "
        "duplicate."), other_code)


def as_dicts(problems: list[Problem]) -> list[dict[str, str]]:
    return [p.as_dict() for p in problems]
