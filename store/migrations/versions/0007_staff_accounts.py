"""Staff accounts: a person behind every console action — name, role, the manufacturer a maker's account is bound to,
an argon2 password hash, and whether the account is disabled (`store/staff_accounts.py`, `orderly staff`).

Revision ID: 0007_staff_accounts
Revises: 0006_read_side_indexes
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_staff_accounts"
down_revision = "0006_read_side_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_accounts",
        sa.Column("name_key", sa.String(length=120), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("maker", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name_key"),
    )


def downgrade() -> None:
    op.drop_table("staff_accounts")
