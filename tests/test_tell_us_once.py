"""A public post is taken once: "Something wrong? Tell us" answers with a redirect to the status page (post, redirect,
get: reloading it sends nothing), and the page's one-time key makes the same form sent twice (the back button, a
retried post) one request and one email to customer service."""

from __future__ import annotations

import re

import httpx

from models.order import OrderStatus
from starter import orders
from tests.conftest import messages_of, sofa_form, wait_for
from models.links import sign
from tests.test_web_pages import hidden


def status_link(settings, order_id: str) -> str:
    return f"/orders/{order_id}?t={sign(settings.secret_key.get_secret_value(), order_id, 'status')}"


async def test_the_same_tell_us_form_sent_twice_is_one_request(web, client, settings, engine):
    await orders.submit_order(client, settings, sofa_form(order_id="ONCE-1"))
    await wait_for(client, "ONCE-1", lambda v: v.status is OrderStatus.confirmed)
    async with httpx.AsyncClient(base_url=web, timeout=30) as browser:
        page = await browser.get(status_link(settings, "ONCE-1"))
        assert page.status_code == 200
        action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1).replace("&amp;", "&")
        form = {"csrf": hidden(page.text, "csrf"), "language": "en", "request_key": hidden(page.text, "request_key"),
                "message": "The colour should be navy"}
        first = await browser.post(action, data=form)
        assert first.status_code == 303 and "sent=1" in first.headers["location"]
        again = await browser.post(action, data=form)  # the back button and send again
        assert again.status_code == 303
        shown = await browser.get(first.headers["location"])
        assert "Customer service has your message" in shown.text
        other = await browser.get(status_link(settings, "ONCE-1"))
        assert hidden(other.text, "request_key") != form["request_key"], "each page has a key of its own"
    view = await orders.order_status(client, "ONCE-1")
    assert [r.message for r in view.requests] == ["The colour should be navy"]
    assert len(messages_of(engine, "ONCE-1", "customer_request")) == 1
