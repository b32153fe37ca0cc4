"""Step 5: fulfilment in parts and shipping in parcels, until every line has shipped and every parcel arrived.

The order waits for what staff do (ship a parcel, report a delay on a part, a manufacturer's part ready) and for its
nearest deadline (`lateness.py`: at risk, late); each shipment's notice goes out as soon as it is recorded, saying
what is in the parcel and what is still to come. The update handlers in `order.py` call the methods below once
their rule (`rules.py`) has let the action in.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.catalog import WAREHOUSE
    from models.messages import CUSTOMER, MessageKind
    from models.order import DelayReport, DeliveryReport, OrderStatus, Readiness, Shipment
    from models.parts import allocate, unshipped

from .lateness import LatenessWatch
from .notifier import Notifier
from .read_model_saver import ReadModelSaver
from .state import OrderState
from .status import StatusBoard
from .waiting import Waiter


class Fulfilment:
    def __init__(self, state: OrderState, waiter: Waiter, notifier: Notifier, status: StatusBoard,
                 saver: ReadModelSaver, lateness: LatenessWatch) -> None:
        self.state, self.waiter, self.notifier, self.status = state, waiter, notifier, status
        self.saver, self.lateness = saver, lateness

    async def until_all_shipped(self) -> None:
        """Acknowledgements, delays and deadlines until every line has shipped; each shipment told as it comes."""
        state = self.state
        while True:
            if len(state.view.shipments) > state.shipments_told:
                await self.tell_shipped(state.view.shipments[state.shipments_told].number)
                continue
            if state.everything_shipped():
                return
            if await self.waiter.until(state.shipped_or_new_date, self.lateness.next_check() - workflow.now()):
                state.date_changed = False
                continue
            await self.lateness.on_deadline()

    async def tell_shipped(self, number: int) -> None:
        """The shipping notice of shipment `number`: carrier, tracking, delivery date, what is still to come."""
        self.state.shipments_told += 1
        await self.notifier.tell(CUSTOMER, MessageKind.shipping_notice, revision=shipping_revision(number),
                                 shipment=number)
        await self.saver.save()

    # ---- what the update handlers do, once their rule let the action in ----

    def ship(self, shipment: Shipment) -> str:
        state = self.state
        lines = allocate(shipment.lines, state.view.lines, state.view.shipments)
        shipped = state.record_shipment(shipment, lines)
        how = (f"with {shipment.carrier}, tracking {shipment.tracking_number}, expected delivery "
               f"{shipment.expected_delivery_date}")
        if shipped.number == 1 and state.everything_shipped():
            self.status.set(OrderStatus.shipped, f"Shipped {how}")  # the whole order in one parcel
            return "Shipment recorded; the customer is being sent the shipping notice"
        carried = ", ".join(f"{ref.quantity} x {ref.sku}" for ref in lines)
        self.status.set(state.fulfilment_status(), f"Shipment {shipped.number} ({carried}) {how}")
        left = sum(ref.quantity for ref in unshipped(state.view.lines, state.view.shipments))
        still = f"; {left} item(s) still to ship" if left else "; everything has now shipped"
        return f"Shipment {shipped.number} recorded ({carried}){still}; the customer is being sent its shipping notice"

    async def deliver(self, report: DeliveryReport | None) -> str:
        state, view = self.state, self.state.view
        number = report.shipment if report is not None else None
        shipment = (view.shipment_numbered(number) if number is not None
                    else next(s for s in view.shipments if s.delivered_at is None))  # the one on its way (rules.py)
        shipment.delivered_at = workflow.now()
        state.refresh()
        if state.delivered():
            view.delivered_at = shipment.delivered_at
            self.status.set(OrderStatus.delivered, "Delivered to the customer" if len(view.shipments) == 1
                            else f"Shipment {shipment.number} delivered: the whole order has arrived")
            message = "Delivery recorded; feedback will be requested after the policy's delay"
        else:
            self.status.set(state.fulfilment_status(), f"Shipment {shipment.number} delivered")
            message = f"Delivery of shipment {shipment.number} recorded; the rest of the order is still on its way"
        await self.saver.save_from_handler()
        return message

    async def delay(self, delay: DelayReport) -> str:
        state, view = self.state, self.state.view
        moved = [p for p in state.parts_named(delay.department) if p.expected_fulfillment_date < delay.new_date]
        previous = max(p.expected_fulfillment_date for p in moved)
        for part in moved:
            part.expected_fulfillment_date, part.delay_reason, part.at_risk_checked_at = delay.new_date, delay.reason, None
        state.refresh()
        state.date_changed = True
        change = dict(date=delay.new_date.isoformat(), previous_date=previous.isoformat(), reason=delay.reason)
        text = f"Delayed to {delay.new_date} (was {previous}): {delay.reason}"
        if state.in_one_part or (delay.department is None and not view.shipments):  # the whole order, as always
            told = view.work_orders
            self.status.set_unless_shipped(OrderStatus.delayed, text, new_date=True, **change)
            revision = delay.new_date.isoformat()
        else:
            departments = [p.department for p in moved]
            told = [d for d in view.work_orders if d in departments or d == WAREHOUSE]
            self.status.set_unless_shipped(OrderStatus.delayed, f"{text} ({state.parts_label(moved)})", new_date=True,
                                           **change)
            revision = f"{'+'.join(departments)}.{delay.new_date.isoformat()}"
            change["departments"] = departments
        await self.notifier.tell(CUSTOMER, MessageKind.delay_notice, revision=revision, **change)
        await self.notifier.tell_all(told, MessageKind.work_order_change, revision=revision, **change)
        await self.saver.save_from_handler()
        return f"Delay recorded; the customer and {len(told)} department(s) were told the new date {delay.new_date}"

    async def ready(self, readiness: Readiness) -> str:
        state = self.state
        part = state.view.part_for(readiness.department)
        if part.ready_at is not None:
            return f"{readiness.department} had already reported its part ready at {part.ready_at:%Y-%m-%d %H:%M} UTC"
        part.ready_at = workflow.now()
        state.refresh()
        state.record("ready", f"Handed over to the warehouse by {readiness.department}: {state.part_label(part)}"
                              + (f" ({readiness.by})" if readiness.by else ""), department=readiness.department)
        await self.saver.save_from_handler()
        return f"{readiness.department}'s part is at the warehouse and can ship"


def shipping_revision(number: int) -> str:
    """Shipment 1's notice keeps the key an order shipped whole always had; later shipments have their own."""
    return "1" if number == 1 else f"shipment-{number}"
