"""Telling people: every notice goes through the message activity, at most once per key, and lands in the timeline.

A notice carries the order as it is (without its timeline); the notices of one step to several departments go in
one activity with the order once (`tell_all`). A message that cannot be delivered never fails the order: it is
recorded, and the workflow alerts staff itself (the alert is in the history, retried by Temporal). A send that a
Temporal-level cancellation interrupted is made again where the cancellation was refused (`cancel_from_temporal`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, CancelledError

with workflow.unsafe.imports_passed_through():
    from activities.notice_sending import NoticeSender
    from models.messages import CUSTOMER, MessageKind, Notice, NoticeBatch, Receipt, delivery_failed_notice

from .activity_options import SEND_OPTIONS
from .state import OrderState


class Notifier:
    def __init__(self, state: OrderState, cancel_from_temporal: Callable[[], bool]) -> None:
        self.state = state
        self.cancel_from_temporal = cancel_from_temporal  # True when a Temporal cancel was taken

    def notice(self, to: str, kind: MessageKind, revision: str = "1", **extra: Any) -> Notice:
        return Notice(kind=kind, to=to, revision=revision, extra=extra, order=self.order())

    def order(self):  # noqa: ANN201 (an OrderView)
        return self.state.view.model_copy(update={"timeline": []})

    async def tell(self, to: str, kind: MessageKind, revision: str = "1", **extra: Any) -> bool:
        """Send a notice; True when it was delivered (now, or under the same key before)."""
        [told] = await self.tell_together([self.notice(to, kind, revision, **extra)])
        return told

    async def tell_all(self, recipients: Iterable[str], kind: MessageKind, revision: str = "1", **extra: Any) -> None:
        await self.tell_together([self.notice(to, kind, revision, **extra) for to in recipients])

    async def tell_together(self, notices: list[Notice]) -> list[bool]:
        """A step's notices: one alone goes by `send_notice`; several by one `send_notices` activity with the order
        once, and one the provider could not take at once is sent again on its own, with the retry policy. Each is
        at most once per key; True for each that was delivered."""
        if not notices:
            return []
        if len(notices) == 1:
            try:
                receipts = [await self.sent(NoticeSender.send_notice, notices[0])]
            except ActivityError as e:
                return [self.not_sent(notices[0], e)]
        else:
            batch = NoticeBatch.of(notices)
            try:
                receipts = await self.sent(NoticeSender.send_notices, batch)
            except ActivityError as e:
                return [self.not_sent(notice, e) for notice in notices]
        told = []
        for notice, receipt in zip(notices, receipts):
            if receipt.status == "retry":
                told.append(await self.tell(notice.to, notice.kind, notice.revision, **notice.extra))
            else:
                told.append(await self.told(notice, receipt))
        return told

    def not_sent(self, notice: Notice, e: ActivityError) -> bool:
        self.state.record("message_failed", f"Could not send {notice.kind.value} to {notice.to}: {e.cause}",
                          key=notice.key)
        return False

    async def sent(self, activity: Any, arg: Any) -> Any:
        """Run the send activity; sent again when a Temporal cancel interrupted it and was refused."""
        while True:
            try:
                return await workflow.execute_activity_method(activity, arg, **SEND_OPTIONS)
            except ActivityError as e:
                if not isinstance(e.cause, CancelledError) or self.cancel_from_temporal():
                    raise

    async def told(self, notice: Notice, receipt: Receipt) -> bool:
        kind, to = notice.kind, notice.to
        if receipt.status == "failed":  # logged by the activity; the order goes on
            self.state.record("message_failed", f"Could not deliver {kind.value.replace('_', ' ')} to {to}: "
                                                f"{receipt.error}", key=notice.key, message_kind=kind.value, to=to)
            await self.alert_staff(notice, receipt)
            return False
        self.state.record("message", f"Sent {kind.value.replace('_', ' ')} to {to} ({receipt.recipient})",
                          key=notice.key, message_kind=kind.value, to=to)
        return True

    async def tell_submitter(self, kind: MessageKind, **extra: Any) -> None:
        """The customer, when the form gave a usable email address; otherwise the timeline says why not."""
        view = self.state.view
        if any(p.field == "customer.email" for p in view.problems) or not view.customer.email:
            self.state.submitter_unreachable = True
            self.state.record("message_skipped", f"No {kind.value.replace('_', ' ')} sent: the form has no valid "
                                                 "email address; the submitter sees the problems in the response")
            return
        self.state.submitter_unreachable = False
        await self.tell(CUSTOMER, kind, **extra)

    async def alert_staff(self, notice: Notice, receipt: Receipt) -> None:
        """Each failed delivery of the notice, told to staff (never about a staff alert: they are who would be told)."""
        for failed in (d for d in receipt.deliveries if d.status == "failed"):  # a repeat has the same alert key
            if (alert := delivery_failed_notice(notice, failed)) is not None:
                await self.tell(alert.to, alert.kind, alert.revision, **alert.extra)
