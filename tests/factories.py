"""Builders for test data: departments, users and a complete dataset record."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from catalog.actors import SYSTEM, Actor
from catalog.credit_code import make_credit_code
from catalog.services import Services

PUBLIC_SECURITY = make_credit_code("11340000MB1234567")
MARKET = make_credit_code("11340000MB2345678")
JUSTICE = make_credit_code("11340000MB3456789")
GOVERNANCE = make_credit_code("11340000MB4567890")

RECORD: dict[str, Any] = {
    "title": "全省常住人口基本信息",
    "title_en": "Provincial resident population",
    "classification": "101001",
    "description": "全省常住人口基本信息，包括姓名、公民身份号码、性别、出生日期、户籍地址。",
    "resource_form": "database",
    "formats": ["CSV", "JSON"],
    "data_items": [
        {"name": "姓名", "data_type": "string", "description": "公民姓名"},
        {"name": "公民身份号码", "data_type": "string"},
        {"name": "出生日期", "data_type": "date"},
    ],
    "share_type": "conditional",
    "share_condition": "仅限履行法定职责使用",
    "share_method": "interface",
    "share_basis": "《中华人民共和国居民身份证法》第十九条",
    "open_type": "closed",
    "update_cycle": "daily",
    "issued": "2023-01-05",
    "modified": "2024-06-30",
    "security_level": "internal",
    "keywords": ["人口", "户籍"],
}


def record(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(RECORD)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


@dataclass
class World:
    """Three departments, a governance office and one user of each role."""

    services: Services
    admin: Actor
    steward: Actor          # 省公安厅
    steward_other: Actor    # 省市场监管局
    staff: Actor            # 省市场监管局
    staff_own: Actor        # 省公安厅
    reviewer: Actor         # 省数据资源局 (governance)


def build_world(services: Services) -> World:
    for code, name, short in ((PUBLIC_SECURITY, "安徽省公安厅", "省公安厅"),
                              (MARKET, "安徽省市场监督管理局", "省市场监管局"),
                              (JUSTICE, "安徽省司法厅", "省司法厅"),
                              (GOVERNANCE, "安徽省数据资源管理局", "省数据资源局")):
        services.departments.create(SYSTEM, {"code": code, "name": name, "short_name": short,
                                             "level": "province"})
    users = {
        "admin": ("admin", None), "steward": ("steward", PUBLIC_SECURITY),
        "steward_other": ("steward", MARKET), "staff": ("staff", MARKET),
        "staff_own": ("staff", PUBLIC_SECURITY), "reviewer": ("reviewer", GOVERNANCE),
    }
    actors = {}
    for username, (role, department) in users.items():
        services.accounts.create_user(SYSTEM, username, f"{username}-password", role,
                                      department_code=department,
                                      clearance="confidential" if role == "admin" else "internal")
        actors[username] = services.accounts.authenticate(username, f"{username}-password")
    return World(services, **actors)
