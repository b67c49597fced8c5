"""observation: keyed and stored by (indicator, period, area); no surrogate id

Until 0003 an observation lived in three B-trees: the rowid table, the unique index on (area, indicator,
period) and the covering index on (indicator, period, area, …). A national import (18.7 million values)
spent most of its time maintaining them. Now the primary key (indicator_id, period, area_code) is the
table itself on SQLite (``WITHOUT ROWID``), so the values of one indicator and year for every buurt are
one contiguous range, and one secondary index on (area_code, indicator_id, period) serves area profiles.
The table is rebuilt (SQLite cannot change a primary key in place); values are kept. The constraints are
named, as the PostgreSQL import recreates them when it swaps in a freshly loaded table.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 12:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

VALUE_COLUMNS = "indicator_id, period, area_code, value, status, source_id, boundary_year, method"
COVERING_COLUMNS = ["indicator_id", "period", "area_code", "status", "value", "source_id", "boundary_year"]


def _columns() -> list[sa.Column]:
    return [
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.String(length=64), sa.ForeignKey("source.id", name="fk_observation_source"),
                  nullable=False),
        sa.Column("boundary_year", sa.Integer(), nullable=False),
        sa.Column("method", sa.Text(), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "observation_new",
        sa.Column("indicator_id", sa.String(length=64), sa.ForeignKey("indicator.id", name="fk_observation_indicator"),
                  nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("area_code", sa.String(length=16), sa.ForeignKey("area.code", name="fk_observation_area"),
                  nullable=False),
        *_columns(),
        sa.PrimaryKeyConstraint("indicator_id", "period", "area_code", name="pk_observation"),
        sqlite_with_rowid=False,
    )
    op.execute(f"INSERT INTO observation_new ({VALUE_COLUMNS}) SELECT {VALUE_COLUMNS} FROM observation "
               "ORDER BY indicator_id, period, area_code")
    op.drop_table("observation")
    op.rename_table("observation_new", "observation")
    op.create_index("ix_observation_area", "observation", ["area_code", "indicator_id", "period"])


def downgrade() -> None:
    op.create_table(
        "observation_old",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_code", sa.String(length=16), sa.ForeignKey("area.code"), nullable=False),
        sa.Column("indicator_id", sa.String(length=64), sa.ForeignKey("indicator.id"), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        *_columns(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("area_code", "indicator_id", "period", name="uq_observation"),
    )
    op.execute(f"INSERT INTO observation_old ({VALUE_COLUMNS}) SELECT {VALUE_COLUMNS} FROM observation "
               "ORDER BY area_code, indicator_id, period")
    op.drop_table("observation")
    op.rename_table("observation_old", "observation")
    op.create_index("ix_observation_indicator_period_area", "observation", COVERING_COLUMNS)
