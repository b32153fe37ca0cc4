"""Telling people: every notice goes through the message activity, at most once per key, and lands in the timeline.

A message that cannot be delivered never fails the order: it is recorded, and staff are alerted — by the workflow
itself for orders of the current shape (so the alert is in the history and retried by Temporal), by the activity for
orders started before.

Notices a step knows it will send next (the work orders, after the confirmation) can travel with the notice it
sends now (`send_along`): one activity, one round trip, for orders of the v6 shape. Each is recorded in the timeline
when the step tells it, as if it were sent then; one the provider could not take at once is sent again on its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.notice_sending import NoticeSender
    from models.messages import CUSTOMER, MessageKind, Notice, NoticeBatch, Receipt, delivery_failed_notice

from .activity_options import SEND_OPTIONS
from .cancellation import TemporalCancel
from .state import OrderState
from .versions import HistoryShape


class Notifier:
    def __init__(self, state: OrderState, shape: HistoryShape, temporal_cancel: TemporalCancel) -> None:
        self.state, self.shape, self.temporal_cancel = state, shape, temporal_cancel
        self.along: list[Notice] = []         # to go with the next notice sent
        self.ahead: dict[str, tuple[MessageKind, Receipt]] = {}  # went with an earlier one: told when the step tells

    def notice(self, to: str, kind: MessageKind, revision: str = "1", extra: dict[str, Any] | None = None,
               **view: Any) -> Notice:
        return Notice(kind=kind, to=to, revision=revision, extra=extra or {},
                      order=self.state.view.model_copy(update={"timeline": [], **view}),
                      alert_on_failure=not self.shape.workflow_alerts_staff)

    def send_along(self, recipients: Iterable[str], kind: MessageKind, **view: Any) -> bool:
        """The next notice sent carries these too, where the order's shape sends a step's notices together
        (`view`: how the order reads in all of them; True); elsewhere nothing happens and each goes when told."""
        if self.shape.sends_step_notices_together:
            self.along = [self.notice(to, kind, **view) for to in recipients]
        return bool(self.along)

    def sent_ahead(self, kind: MessageKind) -> bool:
        """Notices of this kind went with an earlier one and are still to be told."""
        return any(sent == kind for sent, _ in self.ahead.values())

    async def tell(self, to: str, kind: MessageKind, revision: str = "1", **extra: Any) -> bool:
        """Send a notice; True when it was delivered (now, or under the same key before)."""
        notice = self.notice(to, kind, revision, extra)
        try:
            _, receipt = self.ahead.pop(notice.key, (kind, None))
            if receipt is None or receipt.status == "retry":
                receipt = await self.send(notice)
        except ActivityError as e:
            if self.temporal_cancel.interrupted(e) and not self.temporal_cancel.take():
                return await self.tell(to, kind, revision, **extra)  # the order goes on: send it after all
            self.state.record("message_failed", f"Could not send {kind.value} to {to}: {e.cause}", key=notice.key)
            return False
        if receipt.status == "failed":  # logged by the activity; the order goes on
            self.state.record("message_failed", f"Could not deliver {kind.value.replace('_', ' ')} to {to}: "
                                                f"{receipt.error}", key=notice.key, message_kind=kind.value, to=to)
            await self.alert_staff(notice, receipt)
            return False
        self.state.record("message", f"Sent {kind.value.replace('_', ' ')} to {to} ({receipt.recipient})",
                          key=notice.key, message_kind=kind.value, to=to)
        return True

    async def send(self, notice: Notice) -> Receipt:
        if self.along and (receipt := await self.send_with_along(notice)).status != "retry":
            return receipt
        # alone, with the retry policy (also when the provider could not take it in the batch just now)
        return await workflow.execute_activity_method(NoticeSender.send_notice, notice, **SEND_OPTIONS)

    async def send_with_along(self, notice: Notice) -> Receipt:
        """One activity for the notice and those to go along, all with the order as the along ones read it."""
        batch = NoticeBatch.of([notice.model_copy(update={"order": self.along[0].order}), *self.along])
        try:
            receipt, *along = await workflow.execute_activity_method(NoticeSender.send_notices, batch,
                                                                     **SEND_OPTIONS)
        finally:
            self.along = []  # sent, or failed for good: from here each goes alone, when told
        self.ahead.update((r.key, (n.kind, r)) for n, r in zip(batch.notices[1:], along))
        return receipt

    async def tell_all(self, recipients: Iterable[str], kind: MessageKind, **extra: Any) -> None:
        await asyncio.gather(*(self.tell(to, kind, **extra) for to in recipients))

    async def tell_submitter(self, kind: MessageKind, **extra: Any) -> None:
        """The customer, when the form gave a usable email address; otherwise the timeline says why not."""
        view = self.state.view
        if any(p.field == "customer.email" for p in view.problems) or not view.customer.email:
            self.state.record("message_skipped", f"No {kind.value.replace('_', ' ')} sent: the form has no valid "
                                                 "email address; the submitter sees the problems in the response")
            return
        await self.tell(CUSTOMER, kind, **extra)

    async def alert_staff(self, notice: Notice, receipt: Receipt) -> None:
        """Each failed delivery of the notice, told to staff (never about a staff alert: they are who would be told)."""
        if not self.shape.workflow_alerts_staff:
            return
        for failed in (d for d in receipt.deliveries if d.status == "failed"):  # a repeat has the same alert key
            if (alert := delivery_failed_notice(notice, failed)) is not None:
                await self.tell(alert.to, alert.kind, alert.revision, **alert.extra)
