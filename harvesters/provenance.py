"""Where a dataset came from: the harvest sources that list it, as its readers see them.

A dataset seen through two sources has two provenances (one of them primary: the source whose
content the dataset carries). Anyone who may see the dataset sees which sources list it, under
which identifier, and when they last did; a source's address is shown only to those who may
see the source itself (its department, reviewers, administrators), and never as a server path.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from catalog.actors import Actor
from catalog.datasets import DatasetService, iso_utc
from catalog.db import Department, HarvestProvenance, HarvestSource
from catalog.visibility import may_see_department_work
from harvesters import uploads


def may_see_source(actor: Actor, source: HarvestSource) -> bool:
    return may_see_department_work(actor, source.department_id)


def of_dataset(datasets: DatasetService, actor: Actor, dataset_id: str) -> list[dict[str, Any]]:
    """The dataset's provenances, the primary first; NotFound when the actor may not see it."""
    datasets.get(actor, dataset_id)   # the dataset's own visibility rules (NotFound otherwise)
    with datasets.store.reading() as session:
        rows = session.execute(
            select(HarvestProvenance, HarvestSource, Department.code)
            .join(HarvestSource, HarvestSource.id == HarvestProvenance.source_id)
            .join(Department, Department.id == HarvestSource.department_id)
            .where(HarvestProvenance.dataset_id == dataset_id)
            .order_by(HarvestProvenance.is_primary.desc(), HarvestProvenance.id)).all()
        return [_entry(actor, provenance, source, code) for provenance, source, code in rows]


def _entry(actor: Actor, provenance: HarvestProvenance, source: HarvestSource,
           department_code: str) -> dict[str, Any]:
    shown = may_see_source(actor, source)
    return {
        "source_id": source.id, "source_name": source.name, "source_type": source.type,
        "source_department_code": department_code,
        "source_url": uploads.display_url(source.url) if shown else None,
        "remote_id": provenance.remote_id, "identifier": provenance.identifier,
        "primary": provenance.is_primary, "listed": not provenance.gone,
        "first_seen_at": iso_utc(provenance.first_seen_at),
        "last_seen_at": iso_utc(provenance.last_seen_at),
        "last_seen_job": provenance.last_seen_job if shown else None,
    }
