"""keep, flag, complete (issue 9): each revision's problems, the 待完善 state, publishers as
organisations, duplicate titles checked within one publisher

Revision ID: 0005_keep_and_flag
Revises: 0004_harvest_uploads
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0005_keep_and_flag"
down_revision = "0004_harvest_uploads"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(length=220), nullable=False, unique=True),
        sa.Column("name", sa.String(length=200), nullable=False, server_default=""),
        sa.Column("code", sa.String(length=18), nullable=False, server_default=""),
        sa.Column("department_id", sa.Integer(), sa.ForeignKey("departments.id")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
    )
    with op.batch_alter_table("datasets") as batch:
        batch.add_column(sa.Column("publisher_key", sa.String(length=220), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("problem_count", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.create_index("ix_datasets_publisher_title", ["publisher_key", "title_key"])
    with op.batch_alter_table("dataset_revisions") as batch:
        batch.add_column(sa.Column("problems", sa.JSON(), nullable=False,
                                   server_default="[]"))
    _backfill_publishers()


def _backfill_publishers() -> None:
    """Existing datasets: their publisher's key from their current revision."""
    from catalog.publishers import publisher_key  # the one rule, also for old rows

    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT d.id, r.data, dep.name, dep.code FROM datasets d "
        "JOIN dataset_revisions r ON r.dataset_id = d.id AND r.number = d.current_revision "
        "JOIN departments dep ON dep.id = d.department_id")).all()
    for dataset_id, data, department_name, department_code in rows:
        record = json.loads(data) if isinstance(data, str) else data
        key = publisher_key(record.get("publisher_name") or department_name,
                            record.get("publisher_code") or
                            ("" if record.get("publisher_name") else department_code))
        bind.execute(sa.text("UPDATE datasets SET publisher_key = :k WHERE id = :i"),
                     {"k": key, "i": dataset_id})


def downgrade() -> None:
    with op.batch_alter_table("dataset_revisions") as batch:
        batch.drop_column("problems")
    with op.batch_alter_table("datasets") as batch:
        batch.drop_index("ix_datasets_publisher_title")
        batch.drop_column("problem_count")
        batch.drop_column("publisher_key")
    op.drop_table("organizations")
