"""Tables of the catalog store (SQLite or PostgreSQL) and the engine/session factory."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """A stored time as an aware UTC datetime (SQLite hands them back naive)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# the largest value an ``Integer`` column holds on each store: path ids beyond it are 404
INTEGER_ID_LIMITS = {"sqlite": 2 ** 63 - 1, "postgresql": 2 ** 31 - 1}


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Department(Base):
    __tablename__ = "departments"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(18), unique=True)  # 统一社会信用代码
    name: Mapped[str] = mapped_column(String(100), unique=True)
    short_name: Mapped[str] = mapped_column(String(50), default="")
    name_en: Mapped[str] = mapped_column(String(200), default="")
    level: Mapped[str] = mapped_column(String(16))  # province | city | county
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(100), default="")
    role: Mapped[str] = mapped_column(String(16))  # steward | staff | reviewer | admin
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    clearance: Mapped[str] = mapped_column(String(16), default="internal")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex
    prefix: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class UserSession(Base):
    """A signed-in browser session: the cookie carries a random key, only its digest is here.
    Revoked on sign-out and when the user's password or role changes."""

    __tablename__ = "user_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_because: Mapped[str] = mapped_column(String(32), default="")


class LoginThrottle(Base):
    """Consecutive failed sign-ins of one account or from one address, and its lock."""

    __tablename__ = "login_throttles"
    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))  # account | address
    key: Mapped[str] = mapped_column(String(64))   # the username as typed, or the address
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (UniqueConstraint("scope", "key"),)


class Dataset(Base):
    __tablename__ = "datasets"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    resource_code: Mapped[str] = mapped_column(String(40), unique=True)
    state: Mapped[str] = mapped_column(String(16))  # draft|submitted|published|returned|withdrawn
    title: Mapped[str] = mapped_column(String(200))
    title_key: Mapped[str] = mapped_column(String(200), index=True)
    security_rank: Mapped[int] = mapped_column(Integer)
    current_revision: Mapped[int] = mapped_column(Integer, default=1)
    published_revision: Mapped[int | None] = mapped_column(Integer)
    published_security_rank: Mapped[int | None] = mapped_column(Integer)
    published_title: Mapped[str | None] = mapped_column(String(200))
    # the titles' pinyin order (catalog.sort_keys), filled on write: lists sort by name in SQL
    title_sort: Mapped[str] = mapped_column(String(500), default="", index=True)
    published_title_sort: Mapped[str | None] = mapped_column(String(500), index=True)
    review_note: Mapped[str] = mapped_column(Text, default="")
    publisher_key: Mapped[str] = mapped_column(String(220), default="")  # catalog.publishers
    problem_count: Mapped[int] = mapped_column(Integer, default=0)  # of the working copy
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    __table_args__ = (Index("ix_datasets_department_state", "department_id", "state"),
                      Index("ix_datasets_publisher_title", "publisher_key", "title_key"))


class DatasetRevision(Base):
    __tablename__ = "dataset_revisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id"))
    number: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    changed_fields: Mapped[list[Any]] = mapped_column(JSON)
    problems: Mapped[list[Any]] = mapped_column(JSON, default=list)  # catalog.problems, as dicts
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    __table_args__ = (UniqueConstraint("dataset_id", "number"),)


class Organization(Base):
    """A publisher (信息资源提供方) named by a source or a registration: ``foaf:Organization``.
    ``key`` is ``catalog.publishers.publisher_key`` of its code or name; an administrator may
    link it to a registered department, whose records its datasets then are."""

    __tablename__ = "organizations"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(220), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    code: Mapped[str] = mapped_column(String(18), default="")
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CodeSequence(Base):
    """The last 顺序码 handed out per classification prefix of the resource code."""

    __tablename__ = "code_sequences"
    prefix: Mapped[str] = mapped_column(String(20), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class AuditEntry(Base):
    """Append-only (database triggers refuse UPDATE and DELETE); each entry hashes the previous."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[str] = mapped_column(String(40))  # ISO timestamp, exactly as hashed
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text)  # canonical JSON, exactly as hashed
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """One row holding the last hash; locking it serializes appends to the chain."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    last_hash: Mapped[str] = mapped_column(String(64))


class OutboxEvent(Base):
    """Written in the same transaction as each change; the search indexer drains it."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (Index("ix_outbox_pending", "processed_at", "id"),)


# -- sharing tables (issue 5) go here --


class SharingRequest(Base):
    """A department's request for another's dataset (or a dispute of a 不予共享 entry)."""

    __tablename__ = "sharing_requests"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # request | dispute
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id"), index=True)
    dataset_revision: Mapped[int] = mapped_column(Integer)
    share_type: Mapped[str] = mapped_column(String(16))
    provider_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    requester_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    purpose: Mapped[str] = mapped_column(Text)
    legal_duty: Mapped[str] = mapped_column(Text)
    data_items: Mapped[list[Any]] = mapped_column(JSON)  # empty: the whole resource
    needed: Mapped[str] = mapped_column(Text, default="")  # no 信息项: what is needed, in words
    target_system: Mapped[str] = mapped_column(String(200))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    contact: Mapped[str] = mapped_column(String(200))
    approved_items: Mapped[list[Any] | None] = mapped_column(JSON)
    approved_start: Mapped[date | None] = mapped_column(Date)
    approved_end: Mapped[date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(24))
    version: Mapped[int] = mapped_column(Integer, default=1)
    deadline: Mapped[date | None] = mapped_column(Date)
    near_breach_notified: Mapped[bool] = mapped_column(Boolean, default=False)
    last_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_sharing_requests_requester_state", "requester_department_id", "state"),
        Index("ix_sharing_requests_provider_state", "provider_department_id", "state"),
    )


class SharingGrant(Base):
    """What an approved request allows: dataset, department, system, items, period."""

    __tablename__ = "sharing_grants"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("sharing_requests.id"), unique=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id"), index=True)
    provider_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    target_system: Mapped[str] = mapped_column(String(200))
    data_items: Mapped[list[Any]] = mapped_column(JSON)  # empty: the whole resource
    needed: Mapped[str] = mapped_column(Text, default="")  # no 信息项: what is needed, in words
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    granted_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by: Mapped[str | None] = mapped_column(String(64))
    revoke_reason: Mapped[str] = mapped_column(Text, default="")
    expired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expiry_notified: Mapped[bool] = mapped_column(Boolean, default=False)


class Notification(Base):
    """The in-app inbox; ``mail_state`` is '' (no e-mail), pending, sent or failed."""

    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(32))
    request_id: Mapped[str | None] = mapped_column(String(36))
    grant_id: Mapped[str | None] = mapped_column(String(36))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    mail_state: Mapped[str] = mapped_column(String(8), default="")
    mail_attempts: Mapped[int] = mapped_column(Integer, default=0)
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at"),
                      Index("ix_notifications_mail_state", "mail_state"))


class NotificationAddress(Base):
    """Where a user's notifications go by e-mail."""

    __tablename__ = "notification_addresses"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WorkdayOverride(Base):
    """A deployment's own calendar day: a local holiday, or a working day on a weekend."""

    __tablename__ = "workday_overrides"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    workday: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CalendarYear(Base):
    """A year whose official arrangement (国务院办公厅 节假日安排的通知) an administrator loaded:
    its days are in ``calendar_days`` and decide that year over the packages."""

    __tablename__ = "calendar_years"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    notice: Mapped[str] = mapped_column(String(300))
    loaded_by: Mapped[str] = mapped_column(String(100), default="")
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CalendarDay(Base):
    """One day of a loaded arrangement that differs from Monday–Friday: a public holiday on a
    weekday (``workday`` False) or a make-up working day on a weekend (调休上班, True)."""

    __tablename__ = "calendar_days"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    year: Mapped[int] = mapped_column(
        ForeignKey("calendar_years.year", ondelete="CASCADE"), index=True)
    workday: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(100), default="")


# -- harvest tables (issue 3) go here --

class HarvestSource(Base):
    """A department's CKAN portal, DCAT catalog or catalog spreadsheet, approved before it runs."""

    __tablename__ = "harvest_sources"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16))  # ckan | dcat | spreadsheet
    url: Mapped[str] = mapped_column(String(1000))  # http(s) address or upload:<stored file>
    file_name: Mapped[str] = mapped_column(String(255), default="")  # an upload's original name
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    config: Mapped[dict[str, Any]] = mapped_column(JSON)  # mapping rules, defaults, limits
    schedule: Mapped[str] = mapped_column(String(16), default="manual")
    state: Mapped[str] = mapped_column(String(16))  # pending | approved | rejected
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_name: Mapped[str] = mapped_column(String(64), default="")
    approved_by_name: Mapped[str] = mapped_column(String(64), default="")
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    review_note: Mapped[str] = mapped_column(Text, default="")
    next_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class HarvestJob(Base):
    """One run of a source; at most one queued or running job per source (partial unique index)."""

    __tablename__ = "harvest_jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("harvest_sources.id"))
    status: Mapped[str] = mapped_column(String(16))  # queued|running|succeeded|partial|failed
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    full: Mapped[bool] = mapped_column(Boolean, default=False)
    item_limit: Mapped[int | None] = mapped_column(Integer)
    requested_by: Mapped[str] = mapped_column(String(64), default="")
    worker: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deadline_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    listing_complete: Mapped[bool] = mapped_column(Boolean, default=False)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    __table_args__ = (
        Index("uq_harvest_jobs_active", "source_id", unique=True,
              sqlite_where=text("status IN ('queued', 'running')"),
              postgresql_where=text("status IN ('queued', 'running')")),
        Index("ix_harvest_jobs_status", "status", "id"),
    )


class HarvestItem(Base):
    """The outcome of one remote record (or page) in a job, with the raw payload and a reason."""

    __tablename__ = "harvest_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("harvest_jobs.id"))
    kind: Mapped[str] = mapped_column(String(8), default="record")  # record | page
    remote_id: Mapped[str] = mapped_column(String(1000), default="")
    outcome: Mapped[str] = mapped_column(String(16))
    error_type: Mapped[str] = mapped_column(String(64), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    dataset_id: Mapped[str | None] = mapped_column(String(36))
    raw: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    __table_args__ = (Index("ix_harvest_items_job", "job_id", "outcome", "id"),)


class HarvestProvenance(Base):
    """Where a dataset came from: one row per (source, remote record); a dataset seen through
    two sources has two rows. ``is_primary`` marks the source whose content the dataset carries."""

    __tablename__ = "harvest_provenance"
    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id"))
    source_id: Mapped[int] = mapped_column(ForeignKey("harvest_sources.id"))
    remote_id: Mapped[str] = mapped_column(String(1000))
    identifier: Mapped[str] = mapped_column(String(1000), default="")  # dct:identifier / code
    remote_modified: Mapped[str] = mapped_column(String(64), default="")
    row_hash: Mapped[str] = mapped_column(String(64), default="")
    is_primary: Mapped[bool] = mapped_column(Boolean, default=True)
    gone: Mapped[bool] = mapped_column(Boolean, default=False)  # missing from a complete listing
    last_seen_job: Mapped[int | None] = mapped_column(ForeignKey("harvest_jobs.id"))
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    __table_args__ = (
        UniqueConstraint("source_id", "remote_id"),
        Index("ix_harvest_provenance_remote", "remote_id"),
        Index("ix_harvest_provenance_identifier", "identifier"),
        Index("ix_harvest_provenance_dataset", "dataset_id"),
    )


# -- import jobs (issue 9 §4) go here --

class ImportJob(Base):
    """A catalog spreadsheet import run in the background (``catalog.imports``): the kept file,
    what to do with it, its progress and its result. Queued, claimed, beaten and reaped like a
    harvest job (``harvesters.jobs``, the same columns)."""

    __tablename__ = "import_jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    requested_by: Mapped[str] = mapped_column(String(64), default="")
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    file_ref: Mapped[str] = mapped_column(String(255), default="")   # under uploads/imports
    file_name: Mapped[str] = mapped_column(String(255), default="")  # the client's, for display
    file_bytes: Mapped[int] = mapped_column(Integer, default=0)
    mode: Mapped[str] = mapped_column(String(8), default="all")      # all | keep
    submit: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16))  # queued|running|succeeded|failed
    phase: Mapped[str] = mapped_column(String(16), default="")       # checking | storing
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    rows_total: Mapped[int | None] = mapped_column(Integer)          # exact or estimated
    share: Mapped[float] = mapped_column(Float, default=0.0)         # of the whole import
    phase_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    worker: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deadline_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)   # created, flagged, …
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # ignored columns, …
    error: Mapped[str] = mapped_column(Text, default="")
    __table_args__ = (Index("ix_import_jobs_status", "status", "id"),
                      Index("ix_import_jobs_department", "department_id", "id"))


class ImportRow(Base):
    """One line of an import job's report: a row stored (``created``), a row refused alone
    (``refused``, keep and flag) or a problem that stopped the import (``problem``, all or
    none: then nothing was stored)."""

    __tablename__ = "import_rows"
    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("import_jobs.id"))
    outcome: Mapped[str] = mapped_column(String(8))
    row: Mapped[int | None] = mapped_column(Integer)
    sheet: Mapped[str] = mapped_column(String(100), default="")
    field: Mapped[str] = mapped_column(String(200), default="")
    dataset_id: Mapped[str | None] = mapped_column(String(36))
    resource_code: Mapped[str] = mapped_column(String(40), default="")
    title: Mapped[str] = mapped_column(String(200), default="")
    problems: Mapped[int] = mapped_column(Integer, default=0)
    zh: Mapped[str] = mapped_column(Text, default="")
    en: Mapped[str] = mapped_column(Text, default="")
    __table_args__ = (Index("ix_import_rows_job", "job_id", "outcome", "id"),)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # let SQLAlchemy emit BEGIN itself, so SAVEPOINTs nest inside a real transaction
            # (the pysqlite driver otherwise starts transactions late and commits savepoints)
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            # writers take the write lock up front (waiting on busy_timeout) instead of failing
            # when a read transaction tries to upgrade; readers stay concurrent under WAL
            immediate = connection.get_execution_options().get("write", False)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True)


def make_session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, expire_on_commit=False)
