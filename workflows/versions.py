"""Which shape of history an order has: decided once, at the start of `run`, and kept out of the business steps.

Every change to what the workflow asks of the server goes behind a patch, so orders started by older code replay
and finish on the new code (tests/histories/ holds one history of each shape; tests/test_replay.py replays them):

- v1, v2, v3 (no order-level marker): checked the form in an activity; saved the read model without a lock until
  `one-save-at-a-time`, and awaited the saves in update handlers until `handlers-do-not-wait-for-saves`. Both of
  those markers were recorded where the first save happened, so they are asked there (lazily), not here.
- v4 `lean-history`: one marker instead of two, the expected date upserted together with a status.
- v5 `settled-intake`: the submitter's form check travels in the input (no check activity for a new order); the
  read-model row is written when the order is accepted, before any email; `complete_form` answers once the order
  is settled; the workflow itself alerts staff when a message cannot be delivered. It implies everything v4 did.
- v6 `one-trip-per-step`: the confirmation and the work orders go out in one activity (`send_notices`), each still
  at most once per key; read-model saves asked for in the same workflow task are made as one. New orders record
  this marker only; it implies everything v5 did.
- v7 `parts-and-shipments`: the order is accepted in parts, one per fulfiller, each with its own date (orders
  before it are one part of everything, with the order's date); staff are alerted when a part is at risk before
  its date. Shipping in several parcels needs no marker: it only happens when staff ask for it. It implies v6.

Retiring a shape (the patch lifecycle: `patched` -> `deprecate_patch` -> removed) waits until no open order has
it: see the README, "Deploying a change to the workflow".
"""

from __future__ import annotations

from temporalio import workflow

PARTS_AND_SHIPMENTS = "parts-and-shipments"
ONE_TRIP_PER_STEP = "one-trip-per-step"
SETTLED_INTAKE = "settled-intake"
LEAN_HISTORY = "lean-history"
ONE_SAVE_AT_A_TIME = "one-save-at-a-time"
HANDLERS_DO_NOT_WAIT_FOR_SAVES = "handlers-do-not-wait-for-saves"


class HistoryShape:
    """Asked first thing in `run`, so the order's own marker lands in its first workflow task."""

    def __init__(self) -> None:
        self.in_parts = workflow.patched(PARTS_AND_SHIPMENTS)
        self.one_trip = self.in_parts or workflow.patched(ONE_TRIP_PER_STEP)
        self.settled_intake = self.one_trip or workflow.patched(SETTLED_INTAKE)
        self.lean = self.settled_intake or workflow.patched(LEAN_HISTORY)

    # v7
    @property
    def ships_in_parts(self) -> bool:
        return self.in_parts

    # v6
    @property
    def sends_step_notices_together(self) -> bool:
        return self.one_trip

    @property
    def coalesces_saves(self) -> bool:
        return self.one_trip

    # v5: each a name for what the shape does, all one marker
    @property
    def workflow_alerts_staff(self) -> bool:
        return self.settled_intake

    @property
    def saves_on_acceptance(self) -> bool:
        return self.settled_intake

    @property
    def answers_when_settled(self) -> bool:
        return self.settled_intake

    # v1-v3: asked where the old code asked
    def saves_one_at_a_time(self) -> bool:
        return self.lean or workflow.patched(ONE_SAVE_AT_A_TIME)

    def handlers_leave_saves_running(self) -> bool:
        return self.lean or workflow.patched(HANDLERS_DO_NOT_WAIT_FOR_SAVES)
