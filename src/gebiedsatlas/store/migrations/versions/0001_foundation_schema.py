"""foundation schema

Revision ID: 0001
Revises:
Create Date: 2026-11-28 09:32:38.562784
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "area",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("parent_code", sa.String(length=16), nullable=True),
        sa.Column("first_year", sa.Integer(), nullable=False),
        sa.Column("last_year", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    with op.batch_alter_table("area", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_area_level"), ["level"], unique=False)
        batch_op.create_index(batch_op.f("ix_area_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_area_parent_code"), ["parent_code"], unique=False)

    op.create_table(
        "area_crosswalk",
        sa.Column("from_code", sa.String(length=16), nullable=False),
        sa.Column("from_year", sa.Integer(), nullable=False),
        sa.Column("to_code", sa.String(length=16), nullable=False),
        sa.Column("to_year", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("method", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("from_code", "from_year", "to_code", "to_year"),
    )
    op.create_table(
        "area_set",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "import_run",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "indicator",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("theme", sa.String(length=64), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("decimals", sa.Integer(), nullable=False),
        sa.Column("aggregation", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "source",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("publisher", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("table_id", sa.String(length=64), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("licence", sa.String(length=100), nullable=False),
        sa.Column("attribution", sa.String(length=300), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "area_geometry",
        sa.Column("area_code", sa.String(length=16), nullable=False),
        sa.Column("boundary_year", sa.Integer(), nullable=False),
        sa.Column("geojson", sa.Text(), nullable=False),
        sa.Column("geojson_rd", sa.Text(), nullable=True),
        sa.Column("min_lon", sa.Float(), nullable=False),
        sa.Column("min_lat", sa.Float(), nullable=False),
        sa.Column("max_lon", sa.Float(), nullable=False),
        sa.Column("max_lat", sa.Float(), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["area_code"], ["area.code"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["source.id"],
        ),
        sa.PrimaryKeyConstraint("area_code", "boundary_year"),
    )
    op.create_table(
        "area_set_member",
        sa.Column("set_id", sa.String(length=64), nullable=False),
        sa.Column("area_code", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_code"],
            ["area.code"],
        ),
        sa.ForeignKeyConstraint(["set_id"], ["area_set.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("set_id", "area_code"),
    )
    op.create_table(
        "observation",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("area_code", sa.String(length=16), nullable=False),
        sa.Column("indicator_id", sa.String(length=64), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("boundary_year", sa.Integer(), nullable=False),
        sa.Column("method", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["area_code"],
            ["area.code"],
        ),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicator.id"],
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["source.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("area_code", "indicator_id", "period", name="uq_observation"),
    )
    with op.batch_alter_table("observation", schema=None) as batch_op:
        batch_op.create_index(
            "ix_observation_indicator_period", ["indicator_id", "period"], unique=False
        )



def downgrade() -> None:
    with op.batch_alter_table("observation", schema=None) as batch_op:
        batch_op.drop_index("ix_observation_indicator_period")

    op.drop_table("observation")
    op.drop_table("area_set_member")
    op.drop_table("area_geometry")
    op.drop_table("source")
    op.drop_table("indicator")
    op.drop_table("import_run")
    op.drop_table("area_set")
    op.drop_table("area_crosswalk")
    with op.batch_alter_table("area", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_area_parent_code"))
        batch_op.drop_index(batch_op.f("ix_area_name"))
        batch_op.drop_index(batch_op.f("ix_area_level"))

    op.drop_table("area")
