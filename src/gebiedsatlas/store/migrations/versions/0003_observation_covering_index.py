"""observation: covering index for one indicator and period over many areas

The values of one indicator for all 14,574 buurten of the country lie scattered over an 18-million-row
table; with every column the API reads in the index (except ``method``, NULL for observed values), the
database answers from the index alone, reading a few hundred contiguous pages instead of ~14,500 rows.
It replaces ``ix_observation_indicator_period``, of which it is a prefix.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 11:05:00
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

COVERING_COLUMNS = ["indicator_id", "period", "area_code", "status", "value", "source_id", "boundary_year"]


def upgrade() -> None:
    with op.batch_alter_table("observation", schema=None) as batch_op:
        batch_op.drop_index("ix_observation_indicator_period")
        batch_op.create_index("ix_observation_indicator_period_area", COVERING_COLUMNS, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("observation", schema=None) as batch_op:
        batch_op.drop_index("ix_observation_indicator_period_area")
        batch_op.create_index("ix_observation_indicator_period", ["indicator_id", "period"], unique=False)
