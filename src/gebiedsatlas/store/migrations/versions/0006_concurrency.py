"""optimistic locking of agreements and commitments; unique commitment numbers per agreement

``agreement.lock_version`` and ``commitment.lock_version`` (1 for existing rows) let a form detect that
someone else saved in between. ``commitment`` gets a unique constraint on (agreement_id, number);
numbers that occur twice in one agreement (possible before: the number was max + 1 without a lock)
are first renumbered after the highest number of that agreement, in the order the rows were made.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-14 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _renumber_duplicates() -> int:
    """Give every repeated (agreement_id, number) but the first a new number; returns how many."""
    bind = op.get_bind()
    rows = list(bind.execute(sa.text("SELECT id, agreement_id, number FROM commitment ORDER BY id")))
    highest: dict[int, int] = {}
    seen: set[tuple[int, int]] = set()
    moves: list[tuple[int, int]] = []
    for _id, agreement_id, number in rows:
        highest[agreement_id] = max(highest.get(agreement_id, 0), number or 0)
    for row_id, agreement_id, number in rows:
        if (agreement_id, number) in seen:
            highest[agreement_id] += 1
            moves.append((row_id, highest[agreement_id]))
        else:
            seen.add((agreement_id, number))
    for row_id, number in moves:
        bind.execute(sa.text("UPDATE commitment SET number = :number WHERE id = :id"), {"number": number, "id": row_id})
    return len(moves)


def upgrade() -> None:
    with op.batch_alter_table("agreement") as batch:
        batch.add_column(sa.Column("lock_version", sa.Integer(), nullable=False, server_default="1"))
    _renumber_duplicates()
    with op.batch_alter_table("commitment") as batch:
        batch.add_column(sa.Column("lock_version", sa.Integer(), nullable=False, server_default="1"))
        batch.create_unique_constraint("uq_commitment_number", ["agreement_id", "number"])


def downgrade() -> None:
    with op.batch_alter_table("commitment") as batch:
        batch.drop_constraint("uq_commitment_number", type_="unique")
        batch.drop_column("lock_version")
    with op.batch_alter_table("agreement") as batch:
        batch.drop_column("lock_version")
