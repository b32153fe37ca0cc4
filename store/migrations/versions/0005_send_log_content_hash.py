"""Send log content hash: each delivery's hash of what it carried (subject and text, the customer's signed link
tokens left out), so a message whose content differs from what went out under its key (a workflow reset and run
again with other facts) is sent as a new revision (`<key>~2`) instead of being skipped. Rows already there get "",
which compares as "the same content" (skipped, as before).

Revision ID: 0005_send_log_content_hash
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_send_log_content_hash"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("content_hash", sa.String(length=64), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("content_hash")
