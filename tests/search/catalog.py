"""A small catalog for the search tests: six departments (one a city's), datasets in every state
and at every security level, words that differ from the titles, a traditional-character record,
and fillers for paging and facets. Plus the reference answers computed from the store."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from catalog.actors import SYSTEM, Actor
from catalog.credit_code import make_credit_code
from catalog.db import Dataset, Department
from catalog.errors import InvalidInput
from catalog.services import Services
from catalog.store import Store
from catalog.visibility import view_of
from search.documents import FACETS, DatasetState
from search.indexer import Indexer
from tests.factories import GOVERNANCE, JUSTICE, MARKET, PUBLIC_SECURITY, World, build_world, record

CIVIL = make_credit_code("11340000MB5678901")
HEFEI = make_credit_code("11340100MB6789012")


def unconditional(**changes: Any) -> dict[str, Any]:
    return record(share_type="unconditional", share_basis=None, share_condition=None, **changes)


# title, department, state, security level, record changes
SPECIAL: tuple[tuple[str, str, str, str, dict[str, Any]], ...] = (
    ("户籍人口基本信息", PUBLIC_SECURITY, "published", "internal",
     dict(classification="101002", description="全省户籍人口的姓名、性别、出生日期。",
          keywords=["人口"], modified="2024-05-01")),
    ("流动人口居住登记信息", PUBLIC_SECURITY, "published", "public",
     dict(classification="101001", description="流动人口居住登记，登记项包括户籍地址与现住址。",
          keywords=["流动人口"], modified="2024-04-01")),
    ("戶籍遷移證明信息", PUBLIC_SECURITY, "published", "public",
     dict(classification="101002", description="戶口遷移證明的簽發記錄。", keywords=["遷移"],
          modified="2023-12-01")),
    ("企业登记信息", MARKET, "published", "public",
     dict(classification="102002", description="全省企业设立、变更、注销登记信息。",
          keywords=["登记"], formats=["XLSX", "CSV"], modified="2024-03-15")),
    ("市场主体年度报告", MARKET, "published", "internal",
     dict(classification="102002", description="各类经营者提交的年度报告。", keywords=["年报"],
          modified="2024-02-01")),
    ("个体工商户名录", MARKET, "draft", "internal",
     dict(classification="102002", description="个体经营者名录。", keywords=["名录"])),
    ("营业执照电子证照", MARKET, "published", "public",
     dict(classification="105", description="营业执照的电子证照库。", keywords=["证照"],
          update_cycle="realtime", modified="2024-06-01")),
    ("最低生活保障对象名单", CIVIL, "published", "internal",
     dict(classification="203", description="城乡低收入家庭救助对象。", keywords=["救助"],
          update_cycle="monthly", modified="2024-01-20")),
    ("社会保险参保信息", CIVIL, "published", "internal",
     dict(classification="203", description="职工参保缴费记录。", keywords=["参保"],
          update_cycle="monthly", modified="2023-11-11")),
    ("法人单位基本信息", MARKET, "published", "public",
     dict(classification="102001", description="机关、事业和社会团体的基本信息。",
          keywords=["法人"], modified="2023-10-10")),
    ("行政处罚决定书", JUSTICE, "published", "public",
     dict(classification="302002", description="行政执法机关作出的处罚决定。", keywords=["处罚"],
          update_cycle="weekly", modified="2024-06-15")),
    ("重点人员户籍核查记录", PUBLIC_SECURITY, "submitted", "secret",
     dict(classification="101002", description="秘密级的户籍核查工作记录。", keywords=["核查"])),
    ("涉密户籍档案", PUBLIC_SECURITY, "draft", "confidential",
     dict(classification="101002", description="机密级户籍档案。", keywords=["档案"])),
    ("户籍变更机密汇总", PUBLIC_SECURITY, "published", "confidential",
     dict(classification="101002", description="机密级户籍变更汇总。", keywords=["汇总"],
          modified="2024-02-02")),
    ("已撤销的户籍统计", PUBLIC_SECURITY, "withdrawn", "internal",
     dict(classification="101003", description="不再提供的户籍统计。", keywords=["统计"])),
    ("常住人口统计年鉴", HEFEI, "republished-secret", "internal",
     dict(classification="101003", description="合肥市常住人口年度统计。", keywords=["年鉴"],
          modified="2023-09-09")),
    ("企业信用修复记录", MARKET, "returned", "internal",
     dict(classification="104", description="信用修复申请与结果。", keywords=["信用"])),
)

TOPICS = ("道路运输许可", "医疗机构执业", "排污许可证", "学校基本信息", "公共资源交易",
          "不动产登记簿", "食品生产许可", "建设工程规划")
FILLER_DEPARTMENTS = (PUBLIC_SECURITY, MARKET, JUSTICE, CIVIL, HEFEI)
FILLER_CLASSES = ("310", "307", "211", "311", "201", "308", "204", "209")
FORMATS = (["CSV"], ["XLSX", "CSV"], ["JSON"], ["PDF"], ["XML", "JSON"])
CYCLES = ("daily", "monthly", "annual", "irregular", "quarterly")


@dataclass
class Catalog:
    services: Services
    world: World
    reviewer_hi: Actor
    departments: dict[str, int]            # credit code -> id
    ids: dict[str, str] = field(default_factory=dict)   # title -> dataset id

    @property
    def store(self) -> Store:
        return self.services.store

    def actor(self, role: str, department: str | None, clearance: str) -> Actor:
        department_id = self.departments[department] if department else None
        return Actor(None, f"{role}-{department}-{clearance}", role, department_id, clearance)

    def reference(self) -> Reference:
        return Reference.of(self.store)


@dataclass
class Reference:
    """The store's answer: every document that should be indexed, and each dataset's state."""

    docs: list[dict[str, Any]]
    datasets: dict[str, DatasetState]

    @classmethod
    def of(cls, store: Store) -> Reference:
        docs = list(Indexer(store, None).documents_in_store())  # type: ignore[arg-type]
        with store.reading() as session:
            rows = session.execute(select(
                Dataset.id, Dataset.state, Dataset.resource_code, Dataset.security_rank,
                Dataset.current_revision, Dataset.published_revision,
                Dataset.published_security_rank, Dataset.department_id)).all()
        return cls(docs, {row[0]: DatasetState(*row) for row in rows})

    def visible(self, actor: Actor) -> list[dict[str, Any]]:
        """The documents catalog.visibility.view_of shows the actor (one per dataset at most)."""
        return [d for d in self.docs
                if view_of(actor, self.datasets[d["dataset_id"]]) == d["view"]]  # type: ignore[arg-type]

    @staticmethod
    def facet_counts(docs: Iterable[dict[str, Any]],
                     filters: dict[str, tuple[str, ...]]) -> dict[str, dict[str, int]]:
        """Each facet counted over the docs matching every *other* facet's filter."""
        docs = list(docs)
        out: dict[str, dict[str, int]] = {}
        for name in FACETS:
            counts: dict[str, int] = {}
            for doc in docs:
                if all(set(doc["facets"].get(other, ())) & set(values)
                       for other, values in filters.items() if other != name):
                    for value in doc["facets"].get(name, ()):
                        counts[value] = counts.get(value, 0) + 1
            out[name] = counts
        return out


def _department(services: Services, code: str, name: str, short: str, level: str) -> None:
    services.departments.create(SYSTEM, {"code": code, "name": name, "short_name": short,
                                         "level": level})


def _register(catalog: Catalog, title: str, department: str, state: str, level: str,
              changes: dict[str, Any]) -> str:
    w, datasets = catalog.world, catalog.services.datasets
    data = unconditional(title=title, security_level=level, **changes) \
        if len(catalog.ids) % 3 == 0 else record(title=title, security_level=level, **changes)
    submit = state != "draft"
    try:
        view = datasets.register(w.admin, data, department_code=department, submit=submit)
    except InvalidInput as exc:
        raise AssertionError(f"{title}: {exc.as_dict()}") from exc
    high = level in ("secret", "confidential")
    reviewer = catalog.reviewer_hi if high else w.reviewer
    if state in ("published", "withdrawn", "republished-secret"):
        datasets.review(reviewer, view.id, "publish")
    if state == "withdrawn":
        datasets.withdraw(w.admin, view.id, "不再提供")
    if state == "returned":
        datasets.review(reviewer, view.id, "return", "请补充说明")
    if state == "republished-secret":  # published at `level`, then a secret working copy
        datasets.update(w.admin, view.id, {**data, "title": f"{title}（涉密修订）",
                                           "security_level": "secret"}, submit=True)
    return view.id


def build_catalog(services: Services) -> Catalog:
    world = build_world(services)
    _department(services, CIVIL, "安徽省民政厅", "省民政厅", "province")
    _department(services, HEFEI, "合肥市数据资源局", "合肥市数据局", "city")
    services.accounts.create_user(SYSTEM, "reviewer_hi", "reviewer-hi-password", "reviewer",
                                  department_code=GOVERNANCE, clearance="confidential")
    reviewer_hi = services.accounts.authenticate("reviewer_hi", "reviewer-hi-password")
    with services.store.reading() as session:
        departments = {code: id_ for id_, code in session.execute(
            select(Department.id, Department.code))}
    catalog = Catalog(services, world, reviewer_hi, departments)
    for title, department, state, level, changes in SPECIAL:
        catalog.ids[title] = _register(catalog, title, department, state, level, changes)
    for i in range(32):
        topic = TOPICS[i % len(TOPICS)]
        title = f"{topic}数据（第{i + 1}批）"
        state = "draft" if i % 7 == 3 else "submitted" if i % 11 == 5 else "published"
        changes = dict(classification=FILLER_CLASSES[i % len(FILLER_CLASSES)],
                       description=f"{topic}相关的业务数据，第{i + 1}批次。",
                       keywords=[topic[:2]], formats=FORMATS[i % len(FORMATS)],
                       update_cycle=CYCLES[i % len(CYCLES)], issued="2022-01-01",
                       modified=f"2022-{(i % 12) + 1:02d}-{(i % 27) + 1:02d}")
        level = "public" if i % 2 else "internal"
        catalog.ids[title] = _register(catalog, title, FILLER_DEPARTMENTS[i % 5], state, level,
                                       changes)
    return catalog


DEPARTMENTS = (PUBLIC_SECURITY, MARKET, JUSTICE, GOVERNANCE, CIVIL, HEFEI)
