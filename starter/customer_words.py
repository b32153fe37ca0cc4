"""What the customer pages say about an order in the customer's language: its status, and its timeline.

The timeline is written by the workflow in English for staff (`workflows/state.py` `record`); a customer page tells
each event by its kind instead, in customer words through the message catalogs, in English too.
"""

from __future__ import annotations

import re

from models.i18n import N_, long_date, money, translate
from models.order import TimelineEvent

STATUS_WORDS = (N_("received"), N_("incomplete"), N_("expired"), N_("confirmed"), N_("delayed"), N_("shipped"),
                N_("delivered"), N_("partially shipped"), N_("partially delivered"), N_("completed"), N_("cancelled"), N_("terminated"))

TIMELINE = {
    "received": N_("We received your order"),
    "accepted": N_("Your order was accepted"),
    "form_completed": N_("The missing details arrived; the form is complete"),
    "shipment_corrected": N_("The shipping details were corrected"),
    "feedback": N_("We received your feedback: %(rating)s/5"),
    "status:received": N_("We received your order"),
    "status:incomplete": N_("Some details of the order form are missing"),
    "status:confirmed": N_("Your order is confirmed"),
    "status:delayed": N_("Your order is delayed: the new date is above"),
    "status:partially_shipped": N_("Part of your order has shipped"),
    "status:shipped": N_("Your order has shipped"),
    "status:partially_delivered": N_("Part of your order was delivered"),
    "status:delivered": N_("Your order was delivered"),
    "status:completed": N_("Your order is complete. Thank you!"),
    "status:cancelled": N_("Your order was cancelled"),
    "status:expired": N_("The order was closed: the missing details did not arrive in time"),
    "customer_request": N_("You wrote to us; customer service will reply"),
    "amended": N_("Your order was corrected: the email we sent says what changed"),
    "request_resolved": N_("Customer service answered your message"),
}
MONEY_EVENTS = {"payment": N_("We received your payment of %(amount)s"),
                "refund": N_("We refunded %(amount)s to you")}


# A `delayed` event is either a delay staff reported (with its reason and new date) or the lateness timer noticing
# the promised date passed. A delay recorded since orders ship in parts carries its dates and reason as data
# (`workflows/fulfilment.py`); before, the details were only in its English text, so the page reads them from that
# text; a text of another shape falls back to the kind's words above.
DELAYED = re.compile(r"Delayed to (?P<date>\d{4}-\d{2}-\d{2}) \(was (?P<was>\d{4}-\d{2}-\d{2})\): (?P<reason>.*)",
                     re.DOTALL)
LATE = re.compile(r"Late: expected by (?P<date>\d{4}-\d{2}-\d{2}) and not shipped")
DELAYED_WORDS = N_("Your order is delayed to %(date)s (it was expected by %(was)s). The reason: %(reason)s")
LATE_WORDS = N_("Your order is running late: it was expected by %(date)s and has not shipped yet. We are sorry for "
                "the wait.")


def timeline_text(event: TimelineEvent, language: str) -> str:
    """The event as the customer reads it: the catalog's customer words for its kind, in the page's language."""
    if event.kind == "status:delayed":
        if {"date", "previous_date", "reason"} <= event.data.keys():  # recorded as data (orders in parts on)
            return translate(language, DELAYED_WORDS, date=long_date(event.data["date"], language),
                             was=long_date(event.data["previous_date"], language), reason=event.data["reason"])
        if m := DELAYED.fullmatch(event.text):
            return translate(language, DELAYED_WORDS, date=long_date(m["date"], language),
                             was=long_date(m["was"], language), reason=m["reason"].strip())
        if m := LATE.fullmatch(event.text):
            return translate(language, LATE_WORDS, date=long_date(m["date"], language))
    if event.kind in MONEY_EVENTS and {"amount", "currency"} <= event.data.keys():
        return translate(language, MONEY_EVENTS[event.kind],
                         amount=money(event.data["amount"], event.data["currency"], language))
    message = TIMELINE.get(event.kind)
    if message is None:
        return event.text
    return translate(language, message, rating=event.data.get("rating", "?")) if "%(" in message else translate(
        language, message)
