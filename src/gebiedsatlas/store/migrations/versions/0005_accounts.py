"""accounts, organisations, roles, API tokens, signatures per party and the append-only audit log

The agreement history (``agreement_change``) becomes part of the audit log: its rows are copied into
``audit_event`` (result ``allowed``, with a note that names before accounts were not verified) and the
old table is dropped. Triggers make ``audit_event`` append-only on SQLite and PostgreSQL. Agreements
gain a version (amendments are signed again), a status round counter for approvals and a publication
moment.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 16:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UNVERIFIED = "vóór accounts vastgelegd: naam en organisatie niet geverifieerd"

SQLITE_TRIGGERS = [
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
       BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
       BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""",
]
POSTGRES_TRIGGERS = [
    """CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit_event is append-only'; END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event
       FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
    """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
       FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()""",
]


def upgrade() -> None:
    op.create_table(
        "organisation",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("party_id", sa.Integer(), sa.ForeignKey("party.id", name="fk_organisation_party"), nullable=True),
        sa.Column("oidc_key", sa.String(length=200), nullable=True),
        sa.Column("is_demo", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", name="uq_organisation_name"),
        sa.UniqueConstraint("party_id", name="uq_organisation_party"),
        sa.UniqueConstraint("oidc_key", name="uq_organisation_oidc_key"),
    )
    op.create_table(
        "user_account",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("oidc_issuer", sa.String(length=500), nullable=True),
        sa.Column("oidc_subject", sa.String(length=255), nullable=True),
        sa.Column("is_admin", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("is_active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("is_demo", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("reset_token_hash", sa.String(length=64), nullable=True),
        sa.Column("reset_expires_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_login_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email", name="uq_user_email"),
        sa.UniqueConstraint("oidc_issuer", "oidc_subject", name="uq_user_oidc"),
    )
    op.create_table(
        "membership",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("user_account.id", ondelete="CASCADE",
                                                         name="fk_membership_user"), nullable=False),
        sa.Column("organisation_id", sa.Integer(), sa.ForeignKey("organisation.id", ondelete="CASCADE",
                                                                 name="fk_membership_organisation"),
                  nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False, server_default="lokaal"),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "organisation_id", name="uq_membership"),
    )
    op.create_index("ix_membership_user_id", "membership", ["user_id"])
    op.create_index("ix_membership_organisation_id", "membership", ["organisation_id"])
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("user_account.id", ondelete="CASCADE",
                                                         name="fk_api_token_user"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash", name="uq_api_token_hash"),
    )
    op.create_index("ix_api_token_user_id", "api_token", ["user_id"])
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("object_type", sa.String(length=32), nullable=True),
        sa.Column("object_id", sa.String(length=64), nullable=True),
        sa.Column("agreement_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column("field", sa.String(length=64), nullable=True),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_event_agreement", "audit_event", ["agreement_id", "at"])
    op.create_index("ix_audit_event_at", "audit_event", ["at"])
    op.create_index("ix_audit_event_login", "audit_event", ["action", "result", "at"])
    op.create_table(
        "agreement_approval",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("agreement_id", sa.Integer(), sa.ForeignKey("agreement.id", ondelete="CASCADE",
                                                              name="fk_approval_agreement"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status_seq", sa.Integer(), nullable=False),
        sa.Column("target_status", sa.String(length=16), nullable=False),
        sa.Column("party_id", sa.Integer(), sa.ForeignKey("party.id", name="fk_approval_party"), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("user_account.id", name="fk_approval_user"),
                  nullable=True),
        sa.Column("user_name", sa.String(length=200), nullable=False),
        sa.Column("approved_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agreement_id", "status_seq", "target_status", "party_id",
                            name="uq_agreement_approval"),
    )
    op.create_index("ix_agreement_approval_agreement_id", "agreement_approval", ["agreement_id"])
    with op.batch_alter_table("agreement") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("status_seq", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("published_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("agreement_snapshot") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    op.execute(sa.text(
        "INSERT INTO audit_event (at, action, result, object_type, object_id, agreement_id, actor, organisation,"
        " field, old_value, new_value, detail) SELECT at, action, 'allowed', entity, CAST(entity_id AS VARCHAR(64)),"
        " agreement_id, actor, organisation, field, old_value, new_value, :note FROM agreement_change ORDER BY id"
    ).bindparams(note=UNVERIFIED))
    op.drop_index("ix_agreement_change_agreement", table_name="agreement_change")
    op.drop_table("agreement_change")
    for statement in SQLITE_TRIGGERS if op.get_bind().dialect.name == "sqlite" else POSTGRES_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_change ON audit_event")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
    op.create_table(
        "agreement_change",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=True),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=True),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_agreement_change_agreement", "agreement_change", ["agreement_id", "at"])
    # The data changes of the log go back; logins, denials and rights changes have no place there.
    op.execute(
        "INSERT INTO agreement_change (at, actor, organisation, agreement_id, entity, entity_id, action, field,"
        " old_value, new_value) SELECT at, substr(actor, 1, 200), organisation, agreement_id, object_type,"
        " CAST(object_id AS INTEGER), substr(action, 1, 16), field, old_value, new_value FROM audit_event"
        " WHERE result = 'allowed' AND object_type IN ('afspraken', 'afspraak', 'jaarschijf', 'realisatie', 'partij')"
        " ORDER BY id")
    with op.batch_alter_table("agreement_snapshot") as batch:
        batch.drop_column("version")
    with op.batch_alter_table("agreement") as batch:
        batch.drop_column("published_at")
        batch.drop_column("status_seq")
        batch.drop_column("version")
    op.drop_table("agreement_approval")
    op.drop_table("audit_event")
    op.drop_table("api_token")
    op.drop_table("membership")
    op.drop_table("user_account")
    op.drop_table("organisation")
