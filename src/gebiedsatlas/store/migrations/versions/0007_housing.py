"""woonprogramma: stock changes (81955NED), targets, projects, scenarios, snapshots, party stock, links

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 19:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "housing_stock_change",
        sa.Column("gemeente_code", sa.String(16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=True) for name in (
            "begin_stock", "new_builds", "other_additions", "demolitions", "other_removals", "correction",
            "balance", "end_stock")],
        sa.Column("source_id", sa.String(64), sa.ForeignKey("source.id", name="fk_housing_stock_change_source"),
                  nullable=False),
        sa.PrimaryKeyConstraint("gemeente_code", "year"),
    )
    op.create_table(
        "housing_target",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("label", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("segment", sa.String(32), nullable=False),
        sa.Column("scope_kind", sa.String(16), nullable=False),
        sa.Column("scope_code", sa.String(64), nullable=True),
        sa.Column("per_wijk", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("min_share", sa.Float(), nullable=True),
        sa.Column("max_share", sa.Float(), nullable=True),
        sa.Column("share", sa.Float(), nullable=True),
        sa.Column("volume", sa.Integer(), nullable=True),
        sa.Column("year_from", sa.Integer(), nullable=True),
        sa.Column("year_to", sa.Integer(), nullable=True),
        sa.Column("source_kind", sa.String(32), nullable=False),
        sa.Column("source_text", sa.Text(), nullable=False),
        sa.Column("source_url", sa.String(500), nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("commitment_id", sa.Integer(), sa.ForeignKey("commitment.id", name="fk_housing_target_commitment",
                                                               ondelete="SET NULL"), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(254), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", "version", name="uq_housing_target_version"),
    )
    op.create_index("ix_housing_target_key", "housing_target", ["key"])
    op.create_table(
        "housing_scenario",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("gemeente_code", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("risk_weighted", sa.Boolean(), nullable=False),
        sa.Column("excluded_kinds", sa.JSON(), nullable=False),
        sa.Column("rates", sa.JSON(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(254), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("gemeente_code", "name", name="uq_housing_scenario_name"),
    )
    op.create_index("ix_housing_scenario_gemeente_code", "housing_scenario", ["gemeente_code"])
    op.create_table(
        "housing_project",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("gemeente_code", sa.String(16), nullable=False),
        sa.Column("area_code", sa.String(16), sa.ForeignKey("area.code", name="fk_housing_project_area"),
                  nullable=False),
        sa.Column("party_id", sa.Integer(), sa.ForeignKey("party.id", name="fk_housing_project_party"), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("phase", sa.String(16), nullable=False),
        sa.Column("planned_year", sa.Integer(), nullable=False),
        sa.Column("phase_since", sa.Date(), nullable=False),
        sa.Column("to_segment", sa.String(32), nullable=True),
        sa.Column("scenario_id", sa.Integer(), sa.ForeignKey("housing_scenario.id", name="fk_housing_project_scenario",
                                                             ondelete="CASCADE"), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("gemeente_code", "area_code", "party_id", "scenario_id"):
        op.create_index(f"ix_housing_project_{column}", "housing_project", [column])
    op.create_table(
        "housing_project_line",
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("housing_project.id", name="fk_housing_line_project",
                                                            ondelete="CASCADE"), nullable=False),
        sa.Column("segment", sa.String(32), nullable=False),
        sa.Column("dwellings", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "segment"),
    )
    op.create_table(
        "housing_snapshot",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("gemeente_code", sa.String(16), nullable=False),
        sa.Column("label", sa.String(16), nullable=False),
        sa.Column("taken_at", sa.DateTime(), nullable=False),
        sa.Column("taken_by", sa.String(254), nullable=False),
        sa.Column("projects", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("gemeente_code", "label", name="uq_housing_snapshot_label"),
    )
    op.create_index("ix_housing_snapshot_gemeente_code", "housing_snapshot", ["gemeente_code"])
    op.create_table(
        "housing_party_stock_upload",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("party_id", sa.Integer(), sa.ForeignKey("party.id", name="fk_housing_party_stock_party"),
                  nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("reference_year", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.Column("uploaded_by", sa.String(254), nullable=False),
        sa.Column("organisation", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("party_id", "version", name="uq_housing_party_stock_version"),
    )
    op.create_index("ix_housing_party_stock_upload_party_id", "housing_party_stock_upload", ["party_id"])
    op.create_table(
        "housing_party_stock",
        sa.Column("upload_id", sa.Integer(), sa.ForeignKey("housing_party_stock_upload.id",
                                                           name="fk_housing_stock_upload", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("area_code", sa.String(16), nullable=False),
        sa.Column("segment", sa.String(32), nullable=False),
        sa.Column("dwellings", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("upload_id", "area_code", "segment"),
    )
    op.create_table(
        "housing_commitment_project",
        sa.Column("commitment_id", sa.Integer(), sa.ForeignKey("commitment.id", name="fk_housing_link_commitment",
                                                               ondelete="CASCADE"), nullable=False),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("housing_project.id", name="fk_housing_link_project",
                                                            ondelete="CASCADE"), nullable=False),
        sa.PrimaryKeyConstraint("commitment_id", "project_id"),
    )


def downgrade() -> None:
    for table in ("housing_commitment_project", "housing_party_stock", "housing_party_stock_upload",
                  "housing_snapshot", "housing_project_line", "housing_project", "housing_scenario",
                  "housing_target", "housing_stock_change"):
        op.drop_table(table)
