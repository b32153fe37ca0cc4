"""The reconciliation job, run by a Temporal Schedule the worker registers (`ORDERLY_RECONCILE_EVERY`).

An order whose workflow was terminated (or timed out) ran no code to say so: the read model still shows it open and
nobody was told. Each pass finds such orders, marks them `terminated` in the read model and alerts staff (once per
order: the alert's key is the order's). Passes are idempotent.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.notice_sending import NoticeSender
    from activities.reconciliation import Reconciliation
    from models.messages import STAFF, MessageKind, Notice

from .activity_options import CHECK_OPTIONS, SEND_OPTIONS


@workflow.defn(name="ReconcileClosedOrders")
class ReconcileClosedOrders:
    @workflow.run
    async def run(self) -> int:
        found = await workflow.execute_activity_method(Reconciliation.find_orders_closed_without_finishing,
                                                       **CHECK_OPTIONS)
        for order in found.orders:  # alert first: a pass cut short alerts again next time, under the same key
            alert = Notice(kind=MessageKind.order_terminated, to=STAFF, order=order.view,
                           extra={"how": order.how, "closed_at": f"{order.closed_at:%Y-%m-%d %H:%M} UTC",
                                  "was": order.view.status.value})
            await workflow.execute_activity_method(NoticeSender.send_notice, alert, **SEND_OPTIONS)
            await workflow.execute_activity_method(Reconciliation.mark_order_terminated, order, **CHECK_OPTIONS)
        await workflow.execute_activity_method(Reconciliation.finish_reconciliation_pass, found.until,
                                               **CHECK_OPTIONS)
        return len(found.orders)
