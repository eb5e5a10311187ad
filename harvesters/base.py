"""The one job loop. Each harvester only lists remote records and maps one; this loop owns the
job's status, its deadline, dry runs, the item limit, incremental skips, per-record outcomes
(with the raw payload and a reason), withdrawals after a complete listing, and the report.

A job always ends: every error is caught and recorded, the deadline is checked between
records and bounds every HTTP request, and ``harvesters.jobs.reap`` closes jobs whose worker
died. Records are stored in small batches (``harvesters.run``), each batch in one transaction
with its provenance, audit entries, outbox events and outcome rows, and a batch is committed
before every HTTP request, so SQLite's write lock is never held across the network. A crash
loses at most the records of the batch not yet committed — none of them was stored, and the
re-run creates them — never a stored record; records committed before it are found unchanged.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from catalog.actors import Actor
from catalog.config import Settings
from catalog.errors import InvalidInput
from catalog.problems import Assessment, Problem, assess
from harvesters import errors
from harvesters.http import Deadline, Fetcher, Limits
from harvesters.placement import Mapped, Normalizer

if TYPE_CHECKING:
    from harvesters.records import Known

log = logging.getLogger("mulu.harvest")
RAW_LIMIT = 32 * 1024
OUTCOMES = ("created", "updated", "unchanged", "withdrawn", "skipped", "failed")


@dataclass
class Remote:
    """One record as listed by the source."""

    remote_id: str
    payload: Any
    modified: str = ""                  # the source's change mark (metadata_modified, dct:modified)
    raw: str | Callable[[], str] = ""   # the payload as text for the report (may be computed)
    lite: bool = False                  # a bare listing entry: ``complete`` fetches the record

    def raw_text(self) -> str:
        text = self.raw() if callable(self.raw) else self.raw
        return text[:RAW_LIMIT]


@dataclass
class PageProblem:
    """A page (or a listed entry) that could not be used: the listing is incomplete."""

    where: str
    error: errors.HarvestError
    raw: str = ""
    kind: str = "page"


@dataclass(frozen=True)
class SourceSpec:
    id: int
    type: str
    url: str
    department_id: int
    config: dict[str, Any]
    limits: Limits

    @cached_property
    def config_hash(self) -> str:
        """The config's digest, part of every record's change mark (computed once a job)."""
        text = json.dumps(self.config, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


class Harvester(ABC):
    """Lists the remote records of one source and maps one record; nothing else."""

    type: ClassVar[str]
    global_ids: ClassVar[bool] = True   # remote ids name a dataset beyond the source (IRI, id)
    # the source is one catalog spreadsheet: unless its config says otherwise, its size limit is
    # the deployment's for spreadsheets (``Settings.max_sheet_bytes``, the import's), not the
    # limit of one HTTP response
    one_sheet: ClassVar[bool] = False

    def __init__(self, source: SourceSpec, fetcher: Fetcher):
        self.source = source
        self.fetcher = fetcher
        self.expected: int | None = None   # how many records the source says it lists (progress)

    @abstractmethod
    def listing(self) -> Iterator[Remote | PageProblem]:
        """Every remote record, page by page. Yield a PageProblem for a page that cannot be used
        (or raise a HarvestError to stop): either makes the listing incomplete."""

    def complete(self, remote: Remote) -> Remote:
        """Fetch the full record of a lite listing entry (``remote.lite``)."""
        return remote

    @abstractmethod
    def map(self, remote: Remote) -> Mapped:
        """The record in the catalog's vocabulary; raise a RecordError when it cannot be read."""


def fingerprint(config_hash: str, mark: str) -> str:
    return hashlib.sha256(f"{config_hash}|{mark}".encode()).hexdigest()


def record_hash(record: dict[str, Any]) -> str:
    text = json.dumps(record, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


# a record unsafe to keep (涉密不上网) leaves nothing of itself: no identifier, title or payload
REFUSED = {
    "above_ceiling": ("密级高于本网络可保存的最高密级，已拒收", "above the network's ceiling"),
    "unreadable_level": ("密级无法识别，不能确定可否保存，已拒收", "security level not recognised"),
}


@dataclass
class Tally:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    listed: set[str] = field(default_factory=set)
    pages: int = 0
    incomplete: list[str] = field(default_factory=list)   # why the listing is not complete
    flagged: int = 0                                       # kept with problems (待完善)
    problems: Counter[str] = field(default_factory=Counter)  # "kind field" -> records
    refused: Counter[str] = field(default_factory=Counter)  # REFUSED key -> records

    def add(self, outcome: str) -> None:
        self.counts[outcome] += 1

    def flag(self, problems: list[Problem]) -> None:
        """A created or updated record kept with ``problems``."""
        self.flagged += 1
        self.problems.update({f"{p.kind} {p.field.split('.', 1)[0]}" for p in problems})


class JobContext(Protocol):
    """What the loop needs of the running job (``harvesters.run.JobRun``), and no more: the
    storage details stay behind these calls."""

    @property
    def spec(self) -> SourceSpec: ...
    @property
    def full(self) -> bool: ...
    @property
    def known(self) -> Mapping[str, Known]: ...
    @property
    def tally(self) -> Tally: ...
    @property
    def deadline(self) -> Deadline: ...
    @property
    def normalizer(self) -> Normalizer: ...
    @property
    def actor(self) -> Actor: ...
    @property
    def settings(self) -> Settings: ...

    def unchanged(self, remote_id: str) -> None: ...

    def item(self, remote: Remote, outcome: str, error_type: str = "", reason: str = "",
             dataset_id: str | None = None) -> None: ...

    def page_problem(self, problem: PageProblem) -> None: ...

    def refused(self, why: str) -> None: ...

    def keep(self, remote: Remote, mapped: Mapped, assessed: Assessment, department_id: int,
             mark: str, notes: list[str], known: Known | None) -> None: ...

    def progress(self, expected: int | None = None) -> None: ...


def process(job: JobContext, harvester: Harvester, remote: Remote) -> None:
    """One listed record through map -> normalize -> assess -> store, with its outcome.

    Keep, flag, complete: a record that breaks a rule is kept with its problems (待完善,
    ``catalog.problems.assess``); only a record unsafe to keep (above the network's ceiling)
    or unreadable at all fails, and nothing of it is stored."""
    known = job.known.get(remote.remote_id)
    mapped: Mapped | None = None
    mark = fingerprint(job.spec.config_hash, remote.modified) if remote.modified else ""
    if (mark and known is not None and not job.full and not known.gone
            and known.row_hash == mark):
        job.unchanged(remote.remote_id)
        return
    try:
        remote = harvester.complete(remote)
        mapped = harvester.map(remote)
        record, department, notes = job.normalizer.apply(mapped)
        assessed = assess(record, job.settings, job.actor, mapped.unread)
    except errors.DeadlineExceeded:
        raise
    except errors.Skipped as exc:
        job.tally.listed.discard(remote.remote_id)
        job.item(remote, "skipped", exc.error_type, exc.reason)
        return
    except errors.HarvestError as exc:
        job.item(remote, "failed", exc.error_type, exc.reason)
        return
    except InvalidInput:  # 涉密不上网: only that it was refused, and why, is written
        unreadable = mapped is not None and "security_level" in mapped.unread
        job.refused("unreadable_level" if unreadable else "above_ceiling")
        return
    except Exception as exc:  # noqa: BLE001 (a record the mapping did not foresee)
        log.exception("mapping %s failed", remote.remote_id)
        job.item(remote, "failed", "record.unreadable", f"{type(exc).__name__}: {exc}")
        return
    mark = mark or fingerprint(job.spec.config_hash, record_hash(assessed.record))
    if (known is not None and not job.full and not known.gone and known.row_hash == mark):
        job.unchanged(remote.remote_id)
        return
    job.keep(remote, mapped, assessed, department.id, mark, notes, known)


def _flatten(exc: InvalidInput) -> str:
    return "; ".join(f"{name}: {m.zh} / {m.en}" for name, messages in exc.errors.items()
                     for m in messages)


def run_listing(job: JobContext, harvester: Harvester, limit: int | None) -> None:
    """Walk the listing; what makes it incomplete goes into ``job.tally.incomplete``."""
    processed = 0
    for event in harvester.listing():
        job.deadline.check("listing")
        if isinstance(event, PageProblem):
            job.page_problem(event)
            continue
        if event.remote_id in job.tally.listed:
            job.item(event, "skipped", "listing.duplicate_id",
                     "同一列表中重复出现，只处理第一次 / listed twice; only the first is used")
            job.tally.incomplete.append("duplicate ids in the listing (it may have changed "
                                        "between pages)")
            continue
        if limit is not None and processed >= limit:
            job.tally.incomplete.append(f"item limit {limit} reached")
            return
        job.tally.listed.add(event.remote_id)
        process(job, harvester, event)
        processed += 1
        job.progress(harvester.expected)


def clock() -> float:
    return time.monotonic()
