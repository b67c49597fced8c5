"""housing target adoption: a commitment that adopted a woonprogramma target (the target is not changed)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 20:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "housing_target_adoption",
        sa.Column("commitment_id", sa.Integer(), sa.ForeignKey("commitment.id", name="fk_housing_adoption_commitment",
                                                               ondelete="CASCADE"), primary_key=True),
        sa.Column("target_key", sa.String(64), nullable=False),
        sa.Column("target_version", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("adopted_at", sa.DateTime(), nullable=False),
        sa.Column("adopted_by", sa.String(254), nullable=False),
    )
    op.create_index("ix_housing_target_adoption_target_key", "housing_target_adoption", ["target_key"])


def downgrade() -> None:
    op.drop_index("ix_housing_target_adoption_target_key", table_name="housing_target_adoption")
    op.drop_table("housing_target_adoption")
