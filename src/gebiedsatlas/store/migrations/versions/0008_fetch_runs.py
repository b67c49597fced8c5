"""fetch runs: a record of every `gebiedsatlas fetch` (connector, when, outcome)

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-07 19:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fetch_run",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("connector", sa.String(32), nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("downloaded", sa.Integer, nullable=False, server_default="0"),
        sa.Column("reused", sa.Integer, nullable=False, server_default="0"),
        sa.Column("message", sa.Text),
    )
    op.create_index("ix_fetch_run_connector", "fetch_run", ["connector"])


def downgrade() -> None:
    op.drop_index("ix_fetch_run_connector", table_name="fetch_run")
    op.drop_table("fetch_run")
