"""The staff console's day (issue 28): two more kinds of `queue_entries` rows, written with each order from now on —
`incomplete` (customer service's incomplete orders to complete) and `ready` (the warehouse's pick list) — filled here
from the orders already stored, so both lists are whole the moment the new release starts. No schema change.

Revision ID: 0010_staff_day
Revises: 0008_insights
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_staff_day"
down_revision = "0008_insights"
branch_labels = None
depends_on = None

NEW_KINDS = ("incomplete", "ready")


def upgrade() -> None:
    from pydantic import ValidationError

    from models.order import OrderStatus, OrderView
    from store.queue_rows import write_rows  # the same rows the read model writes from now on

    orders = sa.table("orders", sa.column("order_id", sa.String()), sa.column("status", sa.String()),
                      sa.column("view", sa.JSON()))
    wanted = [s.value for s in (OrderStatus.incomplete, OrderStatus.confirmed, OrderStatus.delayed,
                                OrderStatus.partially_shipped, OrderStatus.partially_delivered)]
    conn = op.get_bind()
    for (view,) in conn.execute(sa.select(orders.c.view).where(orders.c.status.in_(wanted))).all():
        try:
            write_rows(conn, OrderView.model_validate(view or {}))
        except ValidationError:
            continue  # a view too old to read: its rows come with the order's next write


def downgrade() -> None:
    entries = sa.table("queue_entries", sa.column("queue", sa.String()))
    op.get_bind().execute(sa.delete(entries).where(entries.c.queue.in_(NEW_KINDS)))
