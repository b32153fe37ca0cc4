"""The read side on indexes (issue 26): who may see an order (`order_parties`) and what each staff queue holds
(`queue_entries`, once for Orderly's staff and once
more for each third party that may see the order) as rows written with the order, filled here from the orders already stored; `orders` indexed by
`received_at` (with the order number, for keyset paging) and by status with it; the search terms written again as
they are normalized now (accents off, a name from each of its words on, a phone's last 7-10 digits).

Revision ID: 0006_read_side_indexes
Revises: 0005_send_log_content_hash
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_read_side_indexes"
down_revision = "0005_send_log_content_hash"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_orders_received_at", "orders", ["received_at", "order_id"])
    op.create_index("ix_orders_status_received_at", "orders", ["status", "received_at", "order_id"])
    op.create_table(
        "order_parties",
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("party", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("order_id", "party"),
    )
    op.create_index("ix_order_parties_party", "order_parties", ["party", "received_at", "order_id"])
    op.create_index("ix_order_parties_party_status", "order_parties", ["party", "status", "received_at", "order_id"])
    op.create_table(
        "queue_entries",
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("queue", sa.String(length=20), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("party", sa.String(length=64), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("shown_due", sa.Date(), nullable=True),
        sa.Column("note", sa.String(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("call_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("call_retried", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("order_id", "queue", "seq"),
    )
    op.create_index("ix_queue_entries_department", "queue_entries",
                    ["queue", "party", "department", "received_at", "order_id"])
    op.create_index("ix_queue_entries_due", "queue_entries", ["queue", "party", "due", "order_id"])
    fill_from_stored_orders()


def fill_from_stored_orders() -> None:
    from pydantic import ValidationError

    from models.order import OrderView
    from store.queue_rows import write_rows  # the same rows the read model writes from now on
    from store.search import write_terms  # and the search terms as they are normalized from now on

    orders = sa.table("orders", sa.column("order_id", sa.String()), sa.column("view", sa.JSON()))
    conn = op.get_bind()
    for order_id, view in conn.execute(sa.select(orders.c.order_id, orders.c.view)).all():
        write_terms(conn, conn, order_id, view or {})
        try:
            write_rows(conn, OrderView.model_validate(view or {}))
        except ValidationError:
            continue  # a view too old to read: its rows come with the order's next write


def downgrade() -> None:
    op.drop_index("ix_queue_entries_due", table_name="queue_entries")
    op.drop_index("ix_queue_entries_department", table_name="queue_entries")
    op.drop_table("queue_entries")
    op.drop_index("ix_order_parties_party_status", table_name="order_parties")
    op.drop_index("ix_order_parties_party", table_name="order_parties")
    op.drop_table("order_parties")
    op.drop_index("ix_orders_status_received_at", table_name="orders")
    op.drop_index("ix_orders_received_at", table_name="orders")
