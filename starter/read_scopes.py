"""What each role may read, beside the permission table (`actions.py`), for the API and the console alike.

Orderly's own staff and services — admin, customer service, the warehouse, accounts receivable, and the services
that start orders — see every order whole: each of their jobs can touch any order and its customer. A third-party
manufacturer sees only the orders it has a work order for, and of those only what its work order shows
(`WorkOrderView`: its lines and dates, the customer's notes; no prices, no customer contact, no address, no timeline)
and only the messages sent to it. A manufacturer token is bound to its manufacturer: `manufacturer:<id>` in
`ORDERLY_API_TOKENS`. The CLI runs with the operator's own credentials for Temporal and the database, so it reads as
admin does.
"""

from __future__ import annotations

from models.order import OrderView
from models.work_order import WorkOrderView

from .auth import Caller

THIRD_PARTIES = ("manufacturer",)


def restricted(caller: Caller) -> bool:
    return caller.role in THIRD_PARTIES


def may_see(caller: Caller, view: OrderView) -> bool:
    return not restricted(caller) or any(line.fulfiller == caller.party for line in view.lines if caller.party)


def shown(caller: Caller, view: OrderView) -> OrderView | WorkOrderView:
    return WorkOrderView.of(view, caller.party) if restricted(caller) else view


def scope(caller: Caller) -> str | None:
    """The party whose orders the caller may list (the store's `party`: rows of `order_parties`), or None: all.
    A manufacturer's token not bound to a manufacturer lists nothing."""
    return caller.party if restricted(caller) else None


def message_visible(caller: Caller, key: str) -> bool:
    """A message key is order/kind/recipient/revision: a manufacturer sees the messages to itself."""
    return not restricted(caller) or (key.split("/") + ["", "", ""])[2] == caller.party
