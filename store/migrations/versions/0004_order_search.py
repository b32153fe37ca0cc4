"""Order search: the search terms of each order (order number, customer name, email, phone, postcode), indexed;
filled from the orders already stored.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from store.search import terms_of  # the same terms the read model writes from now on

    search = op.create_table(
        "order_search",
        sa.Column("term", sa.String(length=254), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("term", "order_id"),
    )
    op.create_index("ix_order_search_order_id", "order_search", ["order_id"])
    op.create_index("ix_order_search_term", "order_search", ["term"], postgresql_ops={"term": "text_pattern_ops"})
    orders = sa.table("orders", sa.column("order_id", sa.String()), sa.column("view", sa.JSON()))
    conn = op.get_bind()
    rows = [{"term": term, "order_id": order_id, "kind": kind}
            for order_id, view in conn.execute(sa.select(orders.c.order_id, orders.c.view))
            for kind, term in terms_of(order_id, view or {})]
    if rows:
        op.bulk_insert(search, rows)


def downgrade() -> None:
    op.drop_index("ix_order_search_term", table_name="order_search")
    op.drop_index("ix_order_search_order_id", table_name="order_search")
    op.drop_table("order_search")
