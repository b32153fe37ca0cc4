"""Step 1: the standardized form. A complete form goes straight on; an incomplete one is shown with its problems,
sent back to the submitter, reminded once and, if it never comes back complete, the order expires."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.form_check import FormChecks
    from models.messages import MessageKind
    from models.order import FormCheck, FormCheckRequest, OrderForm, OrderStatus
    from models.policy import Policy

from .activity_options import CHECK_OPTIONS
from .clock import Clock
from .notifier import Notifier
from .read_model_saver import ReadModelSaver
from .state import OrderState
from .status import StatusBoard
from .versions import HistoryShape
from .waiting import FormExpired, Waiter


async def check_form(form: OrderForm) -> FormCheck:
    """The check activity: a form that did not come checked (completed later, or an order of an older shape)."""
    request = FormCheckRequest(form=form, as_of=workflow.now())
    return await workflow.execute_activity_method(FormChecks.check_order_form, request, **CHECK_OPTIONS)


class FormIntake:
    def __init__(self, state: OrderState, shape: HistoryShape, policy: Policy, clock: Clock, waiter: Waiter,
                 notifier: Notifier, status: StatusBoard, saver: ReadModelSaver) -> None:
        self.state, self.shape, self.policy, self.clock, self.waiter = state, shape, policy, clock, waiter
        self.notifier, self.status, self.saver = notifier, status, saver

    async def until_complete(self) -> None:
        state = self.state
        if state.check is None or not self.shape.settled_intake:
            state.check = await check_form(state.form)
        if state.form_complete:
            return
        deadline = workflow.now() + self.policy.completion_expiry
        last_day = self.clock.local_date(deadline).isoformat()
        self.status.set(OrderStatus.incomplete, state.show_problems(state.check.problems))
        await self.notifier.tell_submitter(MessageKind.form_incomplete, date=last_day)
        state.intake_answered = True
        await self.saver.save()
        if await self.waiter.until(lambda: state.form_complete, self.policy.completion_reminder):
            return
        await self.notifier.tell_submitter(MessageKind.form_reminder, date=last_day)
        await self.saver.save()
        if not await self.waiter.until(lambda: state.form_complete, deadline - workflow.now()):
            raise FormExpired()
