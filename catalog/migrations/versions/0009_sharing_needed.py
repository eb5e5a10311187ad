"""a request (and its grant) for a dataset without 信息项: what is needed, in words

Revision ID: 0009_sharing_needed
Revises: 0002_sharing
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_sharing_needed"
down_revision = "0002_sharing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("sharing_requests", "sharing_grants"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("needed", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    for table in ("sharing_requests", "sharing_grants"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("needed")
