"""The insights page's facts (issue 29): each part against its first promised date, each line's lead time, each
delay staff reported, each order's form and feedback facts, each customer request and each field a form arrived
without, written with the order from now on (`store/insight_rows.py`) and filled here from the orders already
stored (their views and timelines). The fields an order's form was missing are kept only while the form is
incomplete, so an order completed before this revision counts as having arrived incomplete without its fields.

Revision ID: 0008_insights
Revises: 0007_staff_accounts
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_insights"
down_revision = "0007_staff_accounts"
branch_labels = None
depends_on = None

INDEXES = {"insight_parts": ("ix_insight_parts_promised", ["promised", "fulfiller", "month", "kept", "days_late", "open",
                                                     "told_before", "told_by_timer"]),  # covering
           "insight_lines": ("ix_insight_lines_accepted_on", ["accepted_on", "fulfiller", "product_type", "promised_days",
                                                          "actual_days"]),  # covering
           "insight_delays": ("ix_insight_delays_day", ["day", "fulfiller"]),
           "insight_missing_fields": ("ix_insight_missing_fields_received_on", ["received_on"]),
           "insight_requests": ("ix_insight_requests_received_on", ["received_on"])}


def upgrade() -> None:
    op.create_table(
        "insight_parts",
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("fulfiller", sa.String(length=64), nullable=False),
        sa.Column("promised", sa.Date(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("shipped_on", sa.Date(), nullable=True),
        sa.Column("kept", sa.Boolean(), nullable=True),
        sa.Column("days_late", sa.Integer(), nullable=True),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("told_before", sa.Boolean(), nullable=False),
        sa.Column("told_by_timer", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("order_id", "fulfiller"),
    )
    op.create_table(
        "insight_lines",
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("fulfiller", sa.String(length=64), nullable=False),
        sa.Column("product_type", sa.String(length=64), nullable=False),
        sa.Column("accepted_on", sa.Date(), nullable=False),
        sa.Column("promised_days", sa.Integer(), nullable=False),
        sa.Column("actual_days", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("order_id", "line"),
    )
    op.create_table(
        "insight_delays",
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("fulfiller", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("order_id", "seq", "fulfiller"),
    )
    op.create_table(
        "insight_orders",
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("incomplete", sa.Boolean(), nullable=False),
        sa.Column("completion_days", sa.Float(), nullable=True),
        sa.Column("expired", sa.Boolean(), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("feedback_channel", sa.String(length=10), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("comment", sa.String(), nullable=False),
        sa.Column("rated_on", sa.Date(), nullable=True),
        sa.Column("rated_month", sa.String(length=7), nullable=True),
        sa.PrimaryKeyConstraint("order_id"),
    )
    op.create_index("ix_insight_orders_received_on", "insight_orders", ["received_on", "incomplete", "expired",
                                                                         "completion_days", "feedback_channel", "rating"])
    op.create_index("ix_insight_orders_rated_on", "insight_orders", ["rated_on", "rated_month", "rating", "late"])
    op.create_table(
        "insight_missing_fields",
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("field", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("order_id", "field"),
    )
    op.create_table(
        "insight_requests",
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("resolve_days", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("order_id", "number"),
    )
    for table, (name, columns) in INDEXES.items():
        op.create_index(name, table, columns)
    fill_from_stored_orders()


def fill_from_stored_orders() -> None:
    from pydantic import ValidationError

    from models.order import OrderView
    from store.insight_rows import write_insight_rows  # the same rows the read model writes from now on

    orders = sa.table("orders", sa.column("order_id", sa.String()), sa.column("view", sa.JSON()))
    conn = op.get_bind()
    for _order_id, view in conn.execute(sa.select(orders.c.order_id, orders.c.view)).all():
        try:
            write_insight_rows(conn, conn, OrderView.model_validate(view or {}))
        except ValidationError:
            continue  # a view too old to read: its rows come with the order's next write


def downgrade() -> None:
    for table, (name, _columns) in INDEXES.items():
        op.drop_index(name, table_name=table)
    op.drop_index("ix_insight_orders_rated_on", table_name="insight_orders")
    op.drop_index("ix_insight_orders_received_on", table_name="insight_orders")
    for table in ("insight_requests", "insight_missing_fields", "insight_orders", "insight_delays", "insight_lines",
                  "insight_parts"):
        op.drop_table(table)
