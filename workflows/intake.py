"""Step 1, a part of the order workflow: the standardized form. A complete form goes straight on; an incomplete one
is shown with its problems, sent back to the submitter, reminded once and, if it never comes back complete, the
order expires. Staff or the customer complete it with `complete_form`, checked like every form."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.form_check import FormChecks
    from models.actors import Actor
    from models.messages import MessageKind
    from models.order import FormCheck, FormCheckRequest, FormCompletion, OrderForm, OrderStatus

from .activity_options import CHECK_OPTIONS


class FormExpired(Exception):
    """Raised when an incomplete form was not completed within the policy's time."""


async def check_form(form: OrderForm) -> FormCheck:
    """The check activity: a form that did not come checked (completed later, or started without its check)."""
    request = FormCheckRequest(form=form, as_of=workflow.now())
    return await workflow.execute_activity_method(FormChecks.check_order_form, request, **CHECK_OPTIONS)


class FormSteps:
    """Step 1 of `OrderWorkflow` (its state, policy, clock and notifier are the workflow's)."""

    async def until_form_complete(self) -> None:
        state = self.state
        if state.check is None:  # started without the submitter's check (e.g. with Temporal's own tools)
            state.check = await check_form(state.form)
        if state.form_complete:
            return
        deadline = workflow.now() + self.policy.completion_expiry
        last_day = self.clock.local_date(deadline).isoformat()
        state.view.form_reminder_at = workflow.now() + self.policy.completion_reminder  # customer service's queue
        state.view.form_expires_at = deadline
        self.set_status(OrderStatus.incomplete, state.show_problems(state.check.problems))
        await self.notifier.tell_submitter(MessageKind.form_incomplete, date=last_day)
        state.intake_answered = True
        if await self.wait_until(lambda: state.form_complete, self.policy.completion_reminder):
            return
        await self.notifier.tell_submitter(MessageKind.form_reminder, date=last_day)
        if not await self.wait_until(lambda: state.form_complete, deadline - workflow.now()):
            raise FormExpired()

    async def take_completed_form(self, completion: FormCompletion, actor: Actor) -> str:
        check = await check_form(completion.form)
        self.decide("complete_form", completion, actor, again=True)  # still open after the check?
        state = self.state
        state.take_form(completion.form, check)
        if check.complete:
            state.record("form_completed", f"The missing details arrived from {actor}; the form is complete",
                         by=str(actor))
            await workflow.wait_condition(lambda: state.accepted or state.cancel_requested)
            return "Form complete; the order is accepted and the confirmation is on its way"
        state.record("form_resubmitted", f"Form resubmitted by {actor}, still {len(check.problems)} problem(s): "
                                         + ", ".join(p.field for p in check.problems), by=str(actor))
        return f"The form still has {len(check.problems)} problem(s)"
