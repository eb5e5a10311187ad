"""import jobs (issue 9 §4): a catalog spreadsheet import in the background, with its progress
and its row report

Revision ID: 0006_import_jobs
Revises: 0008_calendar
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_import_jobs"
down_revision = "0008_calendar"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_jobs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("department_id", sa.Integer(), sa.ForeignKey("departments.id"),
                  nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False, server_default=""),
        sa.Column("requested_by_id", sa.Integer(), sa.ForeignKey("users.id")),
        sa.Column("file_ref", sa.String(length=255), nullable=False, server_default=""),
        sa.Column("file_name", sa.String(length=255), nullable=False, server_default=""),
        sa.Column("file_bytes", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("mode", sa.String(length=8), nullable=False, server_default="all"),
        sa.Column("submit", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=False, server_default=""),
        sa.Column("rows_done", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("rows_total", sa.Integer()),
        sa.Column("share", sa.Float(), nullable=False, server_default="0"),
        sa.Column("phase_started_at", sa.DateTime(timezone=True)),
        sa.Column("worker", sa.String(length=120), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True)),
        sa.Column("deadline_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False, server_default=""),
    )
    op.create_index("ix_import_jobs_status", "import_jobs", ["status", "id"])
    op.create_index("ix_import_jobs_department", "import_jobs", ["department_id", "id"])
    op.create_table(
        "import_rows",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("job_id", sa.Integer(), sa.ForeignKey("import_jobs.id"), nullable=False),
        sa.Column("outcome", sa.String(length=8), nullable=False),
        sa.Column("row", sa.Integer()),
        sa.Column("sheet", sa.String(length=100), nullable=False, server_default=""),
        sa.Column("field", sa.String(length=200), nullable=False, server_default=""),
        sa.Column("dataset_id", sa.String(length=36)),
        sa.Column("resource_code", sa.String(length=40), nullable=False, server_default=""),
        sa.Column("title", sa.String(length=200), nullable=False, server_default=""),
        sa.Column("problems", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("zh", sa.Text(), nullable=False, server_default=""),
        sa.Column("en", sa.Text(), nullable=False, server_default=""),
    )
    op.create_index("ix_import_rows_job", "import_rows", ["job_id", "outcome", "id"])


def downgrade() -> None:
    op.drop_index("ix_import_rows_job", table_name="import_rows")
    op.drop_table("import_rows")
    op.drop_index("ix_import_jobs_department", table_name="import_jobs")
    op.drop_index("ix_import_jobs_status", table_name="import_jobs")
    op.drop_table("import_jobs")
