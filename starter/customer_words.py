"""What the customer pages say about an order in the customer's language: its status, and its timeline.

The timeline is written by the workflow in English for staff (`workflows/state.py` `record`); a customer page tells
each event by its kind instead, in customer words through the message catalogs, in English too.
"""

from __future__ import annotations

from models.i18n import N_, translate
from models.order import TimelineEvent

STATUS_WORDS = (N_("received"), N_("incomplete"), N_("expired"), N_("confirmed"), N_("delayed"), N_("shipped"),
                N_("delivered"), N_("completed"), N_("cancelled"), N_("terminated"))

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
    "status:shipped": N_("Your order has shipped"),
    "status:delivered": N_("Your order was delivered"),
    "status:completed": N_("Your order is complete. Thank you!"),
    "status:cancelled": N_("Your order was cancelled"),
    "status:expired": N_("The order was closed: the missing details did not arrive in time"),
}


def timeline_text(event: TimelineEvent, language: str) -> str:
    """The event as the customer reads it: the catalog's customer words for its kind, in the page's language."""
    message = TIMELINE.get(event.kind)
    if message is None:
        return event.text
    return translate(language, message, rating=event.data.get("rating", "?")) if "%(" in message else translate(
        language, message)
