"""Steps 2 to 5, a part of the order workflow: accept the order in parts, confirm it, send the work orders, then
fulfil in parts and ship in parcels until every line has shipped and every parcel arrived.

The order waits for what staff do (acknowledge, ship a parcel, report a delay on a part, a manufacturer's part
ready) and for its nearest deadline (`deadlines.py`: the acknowledgement reminder, at risk, late); each shipment's
notice goes out as soon as it is recorded, saying what is in the parcel and what is still to come. The `take_*`
methods are what the update handlers in `order.py` do once their rule (`rules.py`) has let the action in: each
changes the state before its first `await`.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.actors import Actor
    from models.catalog import WAREHOUSE
    from models.messages import CUSTOMER, MessageKind
    from models.order import (Acknowledgement, DelayReport, DeliveryReport, OrderStatus, Readiness, Shipment,
                              ShipmentCorrection)
    from models.parts import allocate, unshipped

from . import rules


class Fulfilment:
    """Steps 2-5 of `OrderWorkflow` (its state, policy, notifier and deadlines are the workflow's)."""

    # ---- 2. accept: one part per fulfiller, each with its date ----

    async def accept(self) -> None:
        """The complete form's lines become the order, in parts, each dated; listed in the read model before anyone
        is told (the confirmation's links work at once). An order whose form came back complete is `received`
        again: accepted, its confirmation on the way."""
        self.stop_if_cancelled()
        state = self.state
        state.accept(self.policy, self.holidays)
        self.ask_deposit()  # deposit.py: made-to-order parts may wait for a deposit
        view = state.view
        in_parts = "" if state.in_one_part else f" in {len(view.parts)} parts (" + "; ".join(
            f"{p.department} by {p.expected_fulfillment_date}" for p in view.parts) + ")"
        text = (f"Order accepted: {len(view.lines)} line(s), total {view.total:.2f} {view.currency}; expected "
                f"fulfillment date {view.expected_fulfillment_date}" + in_parts)
        if view.status is OrderStatus.incomplete:
            self.set_status(OrderStatus.received, text)
        else:
            state.record("accepted", text, expected_fulfillment_date=view.expected_fulfillment_date.isoformat())
        state.intake_answered = True
        await self.saver.flush()

    # ---- 3 and 4. confirm to the customer, work orders to the departments ----

    async def confirm_and_send_work_orders(self) -> None:
        """The customer's confirmation and each department's work order go out together, in one trip with the order
        once; the departments are listed as sent to from the start, so one that acknowledges at once is heard."""
        self.stop_if_cancelled()
        state = self.state
        state.view.work_orders = state.departments()
        state.ever_sent_work_order = list(dict.fromkeys([*state.ever_sent_work_order, *state.view.work_orders]))
        state.work_orders_sent_at = workflow.now()
        confirmation, *_ = await self.notifier.tell_together(
            [self.notifier.notice(CUSTOMER, MessageKind.order_confirmation, **self.deposit_extra()),
             *(self.notifier.notice(d, MessageKind.work_order) for d in state.view.work_orders)])
        self.stop_if_cancelled()  # cancelled while they went out: everyone told above hears of it next
        self.set_status(OrderStatus.confirmed, "Order confirmed to the customer" if confirmation
                        else "Order confirmed; the confirmation email could not be delivered", new_date=True)

    # ---- 5. until everything has shipped, and arrived ----

    async def until_all_shipped(self) -> None:
        """Acknowledgements, delays and deadlines until every line has shipped; each shipment told as it comes."""
        state = self.state
        while True:
            if len(state.view.shipments) > state.shipments_told:
                await self.tell_shipped(state.view.shipments[state.shipments_told].number)
                continue
            if state.everything_shipped():
                return
            if state.deposit_paid():
                await self.release_held_parts()  # deposit.py: the makers' work orders, the customer's dates
                continue
            if await self.wait_until(state.shipped_or_new_date, self.next_deadline() - workflow.now()):
                state.date_changed = False
                continue
            await self.on_deadline()

    async def tell_shipped(self, number: int) -> None:
        """The shipping notice of shipment `number`: carrier, tracking, delivery date, what is still to come."""
        await self.notifier.tell(CUSTOMER, MessageKind.shipping_notice, revision=shipping_revision(number),
                                 shipment=number)
        self.state.shipments_told += 1

    async def until_delivered(self) -> None:
        await self.wait_until(self.state.delivered)

    # ---- what the update handlers do, once their rule let the action in ----

    def take_acknowledgement(self, ack: Acknowledgement, actor: Actor) -> str:
        acknowledged = self.state.view.acknowledged
        if ack.department in acknowledged:
            return (f"{ack.department} had already acknowledged this work order at "
                    f"{acknowledged[ack.department]:%Y-%m-%d %H:%M} UTC")
        acknowledged[ack.department] = workflow.now()
        self.state.record("acknowledged", f"Work order acknowledged by {ack.department} ({_by(actor, ack.by)})",
                          department=ack.department, by=_by(actor, ack.by))
        return f"Work order acknowledged by {ack.department}"

    def take_shipment(self, shipment: Shipment, actor: Actor) -> str:
        state = self.state
        lines = allocate(shipment.lines, state.view.lines, state.view.shipments)
        shipped = state.record_shipment(shipment, lines)
        how = (f"with {shipment.carrier}, tracking {shipment.tracking_number}, expected delivery "
               f"{shipment.expected_delivery_date}")
        if shipment.ready_override:
            state.record("shipped_before_handover", f"Shipped by {actor} before its manufacturer reported it ready: "
                                                    f"{shipment.ready_override}", by=str(actor))
        if shipped.number == 1 and state.everything_shipped():
            self.set_status(OrderStatus.shipped, f"Shipped {how} (by {actor})", by=str(actor))
            return "Shipment recorded; the customer is being sent the shipping notice"
        carried = ", ".join(f"{ref.quantity} x {ref.sku}" for ref in lines)
        self.set_status(state.fulfilment_status(), f"Shipment {shipped.number} ({carried}) {how} (by {actor})",
                        by=str(actor))
        left = sum(ref.quantity for ref in unshipped(state.view.lines, state.view.shipments))
        still = f"; {left} item(s) still to ship" if left else "; everything has now shipped"
        return f"Shipment {shipped.number} recorded ({carried}){still}; the customer is being sent its shipping notice"

    def take_delivery(self, report: DeliveryReport | None, actor: Actor) -> str:
        state, view = self.state, self.state.view
        number = report.shipment if report is not None else None
        shipment = (view.shipment_numbered(number) if number is not None
                    else next(s for s in view.shipments if s.delivered_at is None))  # the one on its way (rules.py)
        shipment.delivered_at = workflow.now()
        state.refresh()
        if state.delivered():
            view.delivered_at = shipment.delivered_at
            self.set_status(OrderStatus.delivered, ("Delivered to the customer" if len(view.shipments) == 1
                            else f"Shipment {shipment.number} delivered: the whole order has arrived")
                            + f" (recorded by {actor})", by=str(actor))
            return "Delivery recorded; feedback will be requested after the policy's delay"
        self.set_status(state.fulfilment_status(), f"Shipment {shipment.number} delivered (recorded by {actor})",
                        by=str(actor))
        return f"Delivery of shipment {shipment.number} recorded; the rest of the order is still on its way"

    async def take_delay(self, delay: DelayReport, actor: Actor) -> str:
        state, view = self.state, self.state.view
        department = rules.delay_department(actor, delay)
        moved = [p for p in state.parts_named(department) if p.expected_fulfillment_date < delay.new_date]
        previous = max(p.expected_fulfillment_date for p in moved)
        for part in moved:
            part.expected_fulfillment_date, part.delay_reason, part.at_risk_checked_at = delay.new_date, delay.reason, None
            if part.handover_date is not None:  # the hand-over moves with the part's date
                part.handover_date = self.handover_before(delay.new_date)
        state.refresh()
        state.date_changed = True
        change = dict(date=delay.new_date.isoformat(), previous_date=previous.isoformat(), reason=delay.reason)
        text = f"Delayed to {delay.new_date} (was {previous}) by {actor}: {delay.reason}"
        if state.in_one_part or (department is None and not view.shipments):  # the whole order, as always
            told = view.work_orders
            self.set_status_unless_shipped(OrderStatus.delayed, text, new_date=True, by=str(actor), **change)
            revision = delay.new_date.isoformat()
        else:
            departments = [p.department for p in moved]
            told = [d for d in view.work_orders if d in departments or d == WAREHOUSE]
            self.set_status_unless_shipped(OrderStatus.delayed, f"{text} ({state.parts_label(moved)})", new_date=True,
                                           by=str(actor), **change)
            revision = f"{'+'.join(departments)}.{delay.new_date.isoformat()}"
            change["departments"] = departments
        await self.notifier.tell(CUSTOMER, MessageKind.delay_notice, revision=revision, **change)
        await self.notifier.tell_all(told, MessageKind.work_order_change, revision=revision, **change)
        return f"Delay recorded; the customer and {len(told)} department(s) were told the new date {delay.new_date}"

    def take_readiness(self, readiness: Readiness, actor: Actor) -> str:
        state = self.state
        part = state.view.part_for(readiness.department)
        if part.ready_at is not None:
            return f"{readiness.department} had already reported its part ready at {part.ready_at:%Y-%m-%d %H:%M} UTC"
        part.ready_at = workflow.now()
        state.refresh()
        state.record("ready", f"Handed over to the warehouse by {readiness.department}: {state.part_label(part)} "
                              f"({_by(actor, readiness.by)})", department=readiness.department,
                     by=_by(actor, readiness.by))
        return f"{readiness.department}'s part is at the warehouse and can ship"

    async def take_shipment_correction(self, correction: ShipmentCorrection, actor: Actor) -> str:
        state = self.state
        number = state.view.shipment_numbered(correction.shipment).number
        await workflow.wait_condition(lambda: state.shipments_told >= number)  # its first notice has gone out
        self.decide("correct_shipment", correction, actor, again=True)
        revision, described = state.correct_shipment(correction, by=str(actor))
        await self.notifier.tell(CUSTOMER, MessageKind.shipping_notice, revision=revision, changes=described,
                                 reason=correction.reason, shipment=number)
        return (f"Shipping details corrected ({', '.join(c['label'].lower() for c in described)}); "
                "the customer is being told what changed")


def shipping_revision(number: int) -> str:
    """Shipment 1's notice keeps the key an order shipped whole always had; later shipments have their own."""
    return "1" if number == 1 else f"shipment-{number}"


def _by(actor: Actor, name: str) -> str:
    """Who did it: the actor, with the name they typed where the actor has none."""
    return str(actor) if actor.name or not name else f"{actor}, {name}"
