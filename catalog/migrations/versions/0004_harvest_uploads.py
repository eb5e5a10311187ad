"""harvest sources: the original name of an uploaded spreadsheet (issue 3)

Revision ID: 0004_harvest_uploads
Revises: 0003_harvest
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_harvest_uploads"
down_revision = "0003_harvest"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("harvest_sources") as batch:
        batch.add_column(sa.Column("file_name", sa.String(length=255), nullable=False,
                                   server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("harvest_sources") as batch:
        batch.drop_column("file_name")
