"""titles in pinyin order (issue 11): a stored sort key of the working copy's and the published
revision's title (catalog.sort_keys), indexed, filled for the datasets already stored

Revision ID: 0009_title_sort
Revises: 0006_import_jobs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_title_sort"
down_revision = "0006_import_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("datasets") as batch:
        batch.add_column(sa.Column("title_sort", sa.String(length=500), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("published_title_sort", sa.String(length=500),
                                   nullable=True))
        batch.create_index("ix_datasets_title_sort", ["title_sort"])
        batch.create_index("ix_datasets_published_title_sort", ["published_title_sort"])
    _backfill()


def _backfill() -> None:
    """Existing datasets: their keys from the titles they hold (the one rule, for old rows)."""
    from catalog.sort_keys import title_sort_key

    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, title, published_title FROM datasets")).all()
    for dataset_id, title, published in rows:
        bind.execute(sa.text("UPDATE datasets SET title_sort = :t, published_title_sort = :p "
                             "WHERE id = :i"),
                     {"t": title_sort_key(title or ""),
                      "p": title_sort_key(published) if published is not None else None,
                      "i": dataset_id})


def downgrade() -> None:
    with op.batch_alter_table("datasets") as batch:
        batch.drop_index("ix_datasets_published_title_sort")
        batch.drop_index("ix_datasets_title_sort")
        batch.drop_column("published_title_sort")
        batch.drop_column("title_sort")
