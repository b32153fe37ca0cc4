"""Issue 28 §2, the feedback call's form in a real headless Chromium: it says up front that the rating is required when
the customer answered, and a refusal (answered, no rating) keeps the comment the rep typed."""

from __future__ import annotations

from models.order import OrderStatus, Shipment
from starter import orders
from store import staff_accounts

from .conftest import distributed, sofa_form, wait_for
from .test_browser import chromium  # noqa: F401  (the fixture)
from .test_browser_incomplete import PASSWORD, signed_in_as
from .test_browser_queues import reload_until
from .test_lifecycle import later
from .test_work_queues import HIGH_VALUE


async def test_the_call_form_says_the_rating_is_required_and_keeps_the_comment(chromium, web, client, settings,
                                                                              engine):
    staff_accounts.add(engine, "Sam Cruz", "customer-service", PASSWORD)
    view = await distributed(client, engine, (await orders.submit_order(
        client, settings, sofa_form(lines=HIGH_VALUE))).order_id)
    order_id = view.order_id
    await orders.act(client, order_id, "ship", Shipment(carrier="UPS", tracking_number="1Z9",
                                                         expected_delivery_date=later(view, 12)))
    await wait_for(client, order_id, lambda v: v.status is OrderStatus.shipped)
    await orders.act(client, order_id, "deliver")
    await wait_for(client, order_id, lambda v: v.feedback_call is not None)

    rep = await signed_in_as(chromium, web, "Sam Cruz")
    row = f"#queue-calls tr[data-order='{order_id}']"
    await reload_until(rep, row)
    label = rep.locator(f"label[for='call_outcome-rating-{order_id}']")
    assert await label.inner_text() == "Rating 1-5 (required when answered)", "said up front"
    await rep.select_option(f"#call_outcome-outcome-{order_id}", "answered")
    await rep.fill(f"#call_outcome-comment-{order_id}", "Loves the sofa, the delivery was two hours late")
    await rep.click(f"#call-{order_id} button")
    await rep.wait_for_selector("#action-error")
    assert "record their rating (1-5)" in await rep.locator("#action-error").inner_text()
    assert await rep.input_value("#call_outcome-comment") == "Loves the sofa, the delivery was two hours late"
    assert await rep.input_value("#call_outcome-outcome") == "answered"
    assert await rep.locator("label[for='call_outcome-rating']").inner_text() == "Rating 1-5 (required when answered)"

    await rep.fill("#call_outcome-rating", "4")
    await rep.click("#action-call_outcome button")
    await rep.wait_for_selector("#action-ok")
    done = await wait_for(client, order_id, lambda v: v.feedback is not None)
    assert done.feedback.rating == 4 and done.feedback.comment == "Loves the sofa, the delivery was two hours late"
    assert "Feedback received by phone (customer-service (Sam Cruz)): 4/5" in await rep.locator("#timeline").inner_text()
