"""Domain rules on a dataset record, beyond the shape the schema checks (DESIGN §3, §4)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

from catalog.actors import Actor
from catalog.config import Settings
from catalog.credit_code import valid_credit_code
from catalog.errors import FieldErrors, Message
from catalog.resource_codes import CODE_PATTERN, check_code
from vocab.concepts import scheme, security_rank
from vocab.fields import SHARE_METHODS_BY_FORM, SHARE_TYPES_NEEDING_BASIS

Record = Mapping[str, Any]
Rule = Callable[[Record, Settings, Actor], FieldErrors]


def _share_basis(record: Record, _settings: Settings, _actor: Actor) -> FieldErrors:
    if record.get("share_type") in SHARE_TYPES_NEEDING_BASIS and not record.get("share_basis"):
        label = scheme("share-type").get(record["share_type"])
        return {"share_basis": [Message(
            f"{label.label_zh}必须注明共享依据（法律法规或政策文件）。",
            f"A legal or policy basis is required for '{label.label_en}'.")]}
    return {}


def _share_method(record: Record, settings: Settings, actor: Actor) -> FieldErrors:
    if record.get("share_type") in ("unconditional", "conditional") and \
            not record.get("share_method"):
        return {"share_method": [Message("可共享的信息资源必须注明共享方式。",
                                         "A shareable resource must state its sharing method.")]}
    return _share_method_fits(record, settings, actor)


def _share_method_fits(record: Record, _settings: Settings, _actor: Actor) -> FieldErrors:
    method, form = record.get("share_method"), record.get("resource_form")
    if method and form and method not in SHARE_METHODS_BY_FORM.get(form, frozenset()):
        form_label = scheme("resource-form").get(form)
        allowed = sorted(SHARE_METHODS_BY_FORM[form])
        zh_allowed = "、".join(scheme("share-method").get(m).label_zh for m in allowed)
        return {"share_method": [Message(
            f"资源格式为“{form_label.label_zh}”时，共享方式应为：{zh_allowed}。",
            f"A '{form_label.label_en}' resource is shared by: {', '.join(allowed)}.")]}
    return {}


def _security_level(record: Record, settings: Settings, actor: Actor) -> FieldErrors:
    """涉密不上网: above the deployment's ceiling or the actor's clearance is unsafe to keep."""
    level = record.get("security_level")
    if not level:
        return {}
    ceiling = settings.security_ceiling
    if security_rank(level) > security_rank(ceiling):
        network = scheme("network").get(settings.network)
        return {"security_level": [Message(
            f"本系统部署在{network.label_zh}，不得登记高于“{scheme('security-level').get(ceiling).label_zh}”"
            "的信息资源（涉密不上网）。",
            f"This deployment runs on the {network.label_en} and refuses records above "
            f"'{ceiling}'.")]}
    if security_rank(level) > actor.clearance_rank:
        return {"security_level": [Message("密级高于您的知悉范围，不能登记。",
                                           "The security level is above your clearance.")]}
    return {}


def _open_level(record: Record, _settings: Settings, _actor: Actor) -> FieldErrors:
    level = record.get("security_level")
    if level and security_rank(level) > 0 and record.get("open_type") in ("open", "conditional"):
        return {"security_level": [Message("开放的信息资源密级必须为“公开”。",
                                           "A resource opened to the public must be at level "
                                           "'public'.")]}
    return {}


def _codes(record: Record, _settings: Settings, _actor: Actor) -> FieldErrors:
    errors: FieldErrors = {}
    code = record.get("resource_code")
    if code:
        problem = check_code(code, record.get("classification"))
        if problem:
            errors["resource_code"] = [problem]
    publisher_code = record.get("publisher_code")
    if publisher_code and not valid_credit_code(publisher_code):
        errors["publisher_code"] = [Message("提供方代码不是有效的统一社会信用代码（18位，校验位正确）。",
                                            "Not a valid unified social credit code (18 characters, "
                                            "correct check character).")]
    for index, related in enumerate(record.get("related", [])):
        if not CODE_PATTERN.match(related):
            errors[f"related.{index}"] = [Message("关联资源代码格式不正确。",
                                                  "Not a valid resource code.")]
    return errors


def _title(record: Record, _settings: Settings, _actor: Actor) -> FieldErrors:
    title = record.get("title")
    if title and not title_key(title):
        return {"title": [Message("名称须包含文字或数字。", "The title needs letters or digits.")]}
    return {}


def _dates(record: Record, _settings: Settings, _actor: Actor) -> FieldErrors:
    issued, modified = record.get("issued"), record.get("modified")
    if issued and modified and modified < issued:
        return {"modified": [Message("更新日期不能早于发布日期。",
                                     "The modified date cannot be before the issued date.")]}
    return {}


# what is unsafe to keep at all (DESIGN §4): a record breaking one of these is refused whole,
# on every path; the others make a kept record 待完善 where ingest keeps and flags
UNSAFE: tuple[Rule, ...] = (_security_level,)
RULES: tuple[Rule, ...] = (_title, _share_basis, _share_method, _open_level, _codes, _dates)
# what a draft (保存草稿) already obeys: it may be incomplete — what must be given (共享依据,
# 共享方式) waits for submission (``DatasetService.submit`` validates fully) — but nothing it
# holds is malformed or contradicts another of its values, and nothing unsafe is kept
DRAFT_RULES: tuple[Rule, ...] = (*UNSAFE, _title, _share_method_fits, _open_level, _codes,
                                  _dates)


def check(record: Record, settings: Settings, actor: Actor,
          rules: tuple[Rule, ...] = (*UNSAFE, *RULES)) -> FieldErrors:
    errors: FieldErrors = {}
    for rule in rules:
        for name, messages in rule(record, settings, actor).items():
            errors.setdefault(name, []).extend(messages)
    return errors


_PUNCTUATION = re.compile(r"[\W_]+", re.UNICODE)


def title_key(title: str) -> str:
    """A title with case, width, spaces and punctuation folded: names that differ only by
    punctuation or spaces are duplicates in disguise."""
    return _PUNCTUATION.sub("", unicodedata.normalize("NFKC", title)).lower()
