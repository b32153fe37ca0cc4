"""A workflow reset to before a shipment and shipped again with another carrier: the customer is told the new
carrier. The send log compares what a key carried (`content_hash`): a message whose content differs from what went
out under its key goes out as the key's next revision (`<key>~2`), never dropped; the same content stays skipped."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from email import message_from_bytes, policy

from temporalio.api.enums.v1 import EventType

from activities.delivery import deliver_once
from channels.mailer import OutboxMailer
from channels.sending import Channels
from models.messages import Outgoing, content_hash
from models.order import OrderStatus, Shipment
from starter import orders
from tests.conftest import distributed, messages_of, sofa_form, wait_for
from tests.test_undecodable_payloads import temporal_cli


def outbox(settings, order_id: str, kind: str) -> list[tuple[str, str]]:
    """The customer's emails of `kind` in the outbox: (key, text)."""
    found = []
    for path in sorted((settings.outbox_dir / order_id).glob("*.eml")):
        mail = message_from_bytes(path.read_bytes(), policy=policy.default)
        if f"/{kind}/" in mail["X-Orderly-Key"]:
            found.append((mail["X-Orderly-Key"], mail.get_body(("plain",)).get_content()))
    return found


async def test_a_reset_and_reship_with_another_carrier_tells_the_customer_the_new_carrier(client, settings, engine,
                                                                                          worker):
    await orders.submit_order(client, settings, sofa_form(order_id="RESHIP-1"))
    await distributed(client, engine, "RESHIP-1")
    arrives = date.today() + timedelta(days=5)
    await orders.act(client, "RESHIP-1", "ship", Shipment(carrier="UPS", tracking_number="1Z-OLD",
                                                          expected_delivery_date=arrives))
    await wait_for(client, "RESHIP-1", lambda v: len(outbox(settings, "RESHIP-1", "shipping_notice")) == 1)

    handle = orders.handle_for(client, "RESHIP-1")
    events = [e async for e in handle.fetch_history_events()]
    shipped = next(i for i, e in enumerate(events)
                   if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
                   and e.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
                   == "mark_shipped")
    before = next(e for e in reversed(events[:shipped])
                  if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
    code, err = await temporal_cli(client, "workflow", "reset", "--workflow-id", handle.id, "--event-id",
                                   str(before.event_id), "--reason", "shipped by mistake", "--reapply-exclude",
                                   "Update")
    assert code == 0, err
    view = await wait_for(client, "RESHIP-1", lambda v: v.status is OrderStatus.confirmed and not v.shipments)

    await orders.act(client, "RESHIP-1", "ship", Shipment(carrier="FedEx", tracking_number="FX-NEW",
                                                          expected_delivery_date=arrives))
    await wait_for(client, "RESHIP-1", lambda v: len(outbox(settings, "RESHIP-1", "shipping_notice")) == 2)
    (old_key, old_text), (new_key, new_text) = sorted(outbox(settings, "RESHIP-1", "shipping_notice"))
    assert new_key == f"{old_key}~2"
    assert "UPS" in old_text and "1Z-OLD" in old_text
    assert "FedEx" in new_text and "FX-NEW" in new_text and "UPS" not in new_text
    logged = {m.key: m.status for m in messages_of(engine, "RESHIP-1", "shipping_notice")}
    assert logged == {old_key: "sent", new_key: "sent"}
    assert (await orders.order_status(client, "RESHIP-1")).shipment.carrier == "FedEx"
    await asyncio.sleep(0)  # (nothing else is sent for it: the work orders' keys carried the same content)
    assert len(outbox(settings, "RESHIP-1", "work_order")) == len(view.work_orders)


def test_the_send_log_sends_other_content_as_the_next_revision_and_skips_the_same_content(settings, engine):
    channels = Channels(settings, OutboxMailer(settings.outbox_dir))

    def message(text: str, link: str = "") -> Outgoing:
        return Outgoing(key="REV-1/shipping_notice/customer/1", message_key="REV-1/shipping_notice/customer/1",
                        channel="email", order_id="REV-1", kind="shipping_notice", recipient="ada@example.com",
                        subject="Shipped", text=text + link, content_hash=content_hash("Shipped", text + link, [link]))

    first = deliver_once(engine, channels, message("UPS 1Z", "https://x/orders/REV-1?t=aaa"))
    again = deliver_once(engine, channels, message("UPS 1Z", "https://x/orders/REV-1?t=bbb"))  # signed later
    other = deliver_once(engine, channels, message("FedEx FX"))
    other_again = deliver_once(engine, channels, message("FedEx FX"))
    third = deliver_once(engine, channels, message("DHL JD"))
    back = deliver_once(engine, channels, message("UPS 1Z", "https://x/orders/REV-1?t=ccc"))
    assert (first.key, first.duplicate) == ("REV-1/shipping_notice/customer/1", False)
    assert (again.key, again.duplicate) == (first.key, True), "the same message with a newly signed link"
    assert (other.key, other.duplicate) == (f"{first.key}~2", False)
    assert (other_again.key, other_again.duplicate) == (other.key, True)
    assert (third.key, third.duplicate) == (f"{first.key}~3", False)
    assert (back.key, back.duplicate) == (first.key, True)
    assert len(list((settings.outbox_dir / "REV-1").glob("*.eml"))) == 3
