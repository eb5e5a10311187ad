"""the official calendar an administrator loads: years (国务院办公厅 notices) and their days

Revision ID: 0008_calendar
Revises: 0007_sessions_logins
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_calendar"
down_revision = "0007_sessions_logins"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_years",
        sa.Column("year", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("notice", sa.String(length=300), nullable=False),
        sa.Column("loaded_by", sa.String(length=100), nullable=False, server_default=""),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
    )
    op.create_table(
        "calendar_days",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("year", sa.Integer(),
                  sa.ForeignKey("calendar_years.year", ondelete="CASCADE"), nullable=False),
        sa.Column("workday", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False, server_default=""),
    )
    op.create_index("ix_calendar_days_year", "calendar_days", ["year"])


def downgrade() -> None:
    op.drop_index("ix_calendar_days_year", table_name="calendar_days")
    op.drop_table("calendar_days")
    op.drop_table("calendar_years")
