"""The reconciliation job's activities: find orders whose workflow closed without finishing, mark them.

Asking Temporal's visibility store for the order workflows of this task queue that were terminated or timed out
since the last pass keeps each pass cheap, however many orders there are.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy.engine import Engine
from temporalio import activity
from temporalio.client import WorkflowExecutionStatus

from models.order import OrderView, workflow_id_for
from models.reconciliation import ClosedOrder, ReconcilePass
from models.settings import Settings
from store import reconciliation as marks

JOB = "reconcile-closed-orders"
OVERLAP = timedelta(minutes=1)  # visibility is eventually consistent: each pass looks a little further back
HOW = {WorkflowExecutionStatus.TERMINATED: "terminated", WorkflowExecutionStatus.TIMED_OUT: "timed out"}


class Reconciliation:
    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings, self.engine = settings, engine

    @activity.defn
    async def find_orders_closed_without_finishing(self) -> ReconcilePass:
        until = datetime.now(timezone.utc)
        since = marks.last_pass(self.engine, JOB)
        query = (f'WorkflowType = "OrderWorkflow" AND TaskQueue = "{self.settings.task_queue}" AND '
                 '(ExecutionStatus = "Terminated" OR ExecutionStatus = "TimedOut")')
        if since is not None:
            query += f' AND CloseTime >= "{(since - OVERLAP).isoformat()}"'
        closed = {}
        async for execution in activity.client().list_workflows(query):
            closed[execution.id.removeprefix(workflow_id_for(""))] = execution
        orders = [ClosedOrder(order_id=row.order_id, how=HOW.get(closed[row.order_id].status, "closed"),
                              closed_at=closed[row.order_id].close_time or until,
                              view=OrderView.model_validate({**row.view, "timeline": []}))
                  for row in marks.unfinished(self.engine, list(closed))]
        return ReconcilePass(orders=orders, until=until)

    @activity.defn
    def mark_order_terminated(self, order: ClosedOrder) -> bool:
        text = (f"Closed in Temporal without finishing ({order.how}); it was {order.view.status.value}. "
                "Nobody was told by the workflow; staff were alerted")
        return marks.mark_terminated(self.engine, order.order_id, text, order.closed_at)

    @activity.defn
    def finish_reconciliation_pass(self, until: datetime) -> None:
        marks.record_pass(self.engine, JOB, until)
