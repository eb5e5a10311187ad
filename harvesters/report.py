"""A job's report: counts per outcome, the listing's completeness, problems grouped by error
type (with examples), unknown providers; as a dict for the API and as text for the terminal."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.actors import Actor
from catalog.datasets import iso_utc
from catalog.db import Dataset, HarvestItem, HarvestJob, HarvestSource, utcnow
from catalog.visibility import working_copies_seen, working_copy
from harvesters import jobs, uploads
from harvesters.base import OUTCOMES, REFUSED, SourceSpec, Tally
from harvesters.progress import estimate

EXAMPLES_PER_TYPE = 5


def summary_of(tally: Tally, unknown_providers: Counter[str], spec: SourceSpec,
               dry_run: bool) -> dict[str, Any]:
    """What the job itself knows at its end, kept on the job row."""
    return {"listed": len(tally.listed), "incomplete": list(dict.fromkeys(tally.incomplete)),
            "unknown_providers": dict(unknown_providers.most_common()),
            "source_type": spec.type, "dry_run": dry_run,
            "kept_with_problems": {"count": tally.flagged,
                                   "by_problem": dict(tally.problems.most_common())},
            "refused": dict(tally.refused.most_common())}


def refused_of(summary: dict[str, Any]) -> dict[str, Any]:
    """Records refused as unsafe to keep: counts per reason and the report's sentence, e.g.
    "3 records refused: above the network's ceiling"."""
    by_reason = {str(k): int(v) for k, v in (summary.get("refused") or {}).items()}
    lines = [f"{n} 条记录已拒收：{REFUSED[why][0]} / {n} records refused: {REFUSED[why][1]}"
             for why, n in by_reason.items() if why in REFUSED]
    return {"count": sum(by_reason.values()), "by_reason": by_reason, "lines": lines}


def item_view(item: HarvestItem, readable: set[str]) -> dict[str, Any]:
    """One outcome row. A record's content (identifier, reason, payload) is shown only to those
    who may see the dataset it became; the payload of a record that became none (failed,
    skipped) is withheld; a page's short excerpt is shown."""
    view = {"id": item.id, "kind": item.kind, "remote_id": item.remote_id,
            "outcome": item.outcome, "error_type": item.error_type, "reason": item.reason,
            "dataset_id": item.dataset_id, "raw": item.raw, "withheld": False}
    if item.kind != "record" or (item.dataset_id is not None and item.dataset_id in readable):
        return view
    if item.dataset_id is not None:
        view.update(remote_id="", reason="")
    view.update(raw="", withheld=bool(item.raw or item.dataset_id))
    return view


def build(session: Session, job_id: int, actor: Actor, *,
          examples: int = EXAMPLES_PER_TYPE) -> dict[str, Any]:
    """The job's report as ``actor`` may read it: what a record is about (its identifier,
    reason, provider names) only where they may see the dataset it became."""
    job = session.get_one(HarvestJob, job_id)
    source = session.get_one(HarvestSource, job.source_id)
    rows = session.execute(select(HarvestItem.error_type, HarvestItem.kind, func.count())
                           .where(HarvestItem.job_id == job_id, HarvestItem.error_type != "")
                           .group_by(HarvestItem.error_type, HarvestItem.kind)).all()
    grouped: dict[str, dict[str, Any]] = {}
    for error_type, kind, count in sorted(rows, key=lambda r: (-r[2], r[0])):
        group = grouped.setdefault(error_type, {"count": 0, "pages": 0, "records": 0,
                                                "examples": []})
        group["count"] += count
        group["pages" if kind != "record" else "records"] += count
    for error_type, group in grouped.items():
        items = list(session.scalars(select(HarvestItem).where(
            HarvestItem.job_id == job_id, HarvestItem.error_type == error_type)
            .order_by(HarvestItem.id).limit(examples)))
        seen = working_copies_seen(session, actor, (i.dataset_id for i in items))
        group["examples"] = [{key: view[key] for key in ("kind", "remote_id", "outcome", "reason")}
                             for view in (item_view(i, seen) for i in items)]
    summary = dict(job.summary or {})
    duration = None
    if job.started_at and job.finished_at:
        duration = round((job.finished_at - job.started_at).total_seconds(), 3)
    return {
        "job": job.id, "status": job.status, "dry_run": job.dry_run, "full": job.full,
        "item_limit": job.item_limit, "requested_by": job.requested_by,
        "source": {"id": source.id, "name": source.name, "type": source.type,
                   "url": uploads.display_url(source.url), "file_name": source.file_name},
        "started_at": iso_utc(job.started_at) if job.started_at else None,
        "finished_at": iso_utc(job.finished_at) if job.finished_at else None,
        "duration_seconds": duration,
        "counts": {o: int((job.counts or {}).get(o, 0)) for o in OUTCOMES},
        "listing": {"complete": job.listing_complete, "listed": summary.get("listed", 0),
                    "incomplete_because": summary.get("incomplete", [])},
        "kept_with_problems": summary.get("kept_with_problems",
                                          {"count": 0, "by_problem": {}}),
        "refused": refused_of(summary),
        "errors": grouped,
        "unknown_providers": summary.get("unknown_providers", {})
        if sees_every_record(session, actor, job_id) else {},
        "error": job.error,
        "progress": progress_of(job, summary.get("expected")),
    }


def sees_every_record(session: Session, actor: Actor, job_id: int) -> bool:
    """Whether ``actor`` may see every dataset the job's records became (the job-wide facts
    drawn from them, such as provider names, are shown only then)."""
    hidden = session.scalar(select(func.count()).select_from(HarvestItem).join(
        Dataset, Dataset.id == HarvestItem.dataset_id).where(
        HarvestItem.job_id == job_id, ~working_copy(actor)))
    return not hidden


def progress_of(job: HarvestJob, expected: Any, now: datetime | None = None) -> dict[str, Any]:
    """How far the job is (records done of those the source said it lists, the rate, the time
    left), as of its last heartbeat while it runs."""
    if job.started_at is None:
        return estimate({}, None, 0.0).as_dict()
    started = jobs._aware(job.started_at)
    end = jobs._aware(job.finished_at or job.heartbeat_at or now or utcnow())
    counts = {str(k): int(v) for k, v in (job.counts or {}).items()}
    shown = estimate(counts, int(expected) if expected else None,
                     max((end - started).total_seconds(), 0.0))
    return shown.as_dict()


def render(report: dict[str, Any]) -> str:
    """The report as a person reads it in a terminal."""
    source = report["source"]
    lines = [f"采集任务 / harvest job {report['job']} · 数据源 / source {source['id']} "
             f"({source['type']} {source.get('file_name') or source['url']}) · {report['status']}"
             + (" · dry run" if report["dry_run"] else "")
             + (f" · {report['duration_seconds']} s" if report["duration_seconds"] is not None
                else "")]
    counts = report["counts"]
    lines.append("  " + " · ".join(f"{name} {counts[name]}" for name in OUTCOMES))
    listing = report["listing"]
    if listing["complete"]:
        lines.append(f"  列表完整 / listing complete: {listing['listed']} records")
    else:
        why = "; ".join(listing["incomplete_because"]) or "unknown"
        lines.append(f"  列表不完整，未撤销任何记录 / listing incomplete, nothing withdrawn: {why}")
    if report["error"]:
        lines.append(f"  错误 / error: {report['error']}")
    flagged = report["kept_with_problems"]
    if flagged["count"]:
        lines.append(f"  保留并标记待完善 / kept with problems (待完善): {flagged['count']}")
        for problem, count in flagged["by_problem"].items():
            lines.append(f"    - {problem}: {count}")
    lines.extend(f"  {line}" for line in report["refused"]["lines"])
    for error_type, group in report["errors"].items():
        lines.append(f"  {error_type}: {group['count']}")
        for example in group["examples"]:
            lines.append(f"    - {example['kind']} {example['remote_id']}: {example['reason']}")
    if report["unknown_providers"]:
        lines.append("  未知提供方（记入本数据源部门）/ unknown providers (kept under the source's "
                     "department):")
        for name, count in report["unknown_providers"].items():
            lines.append(f"    - {name}: {count}")
    return "\n".join(lines)
