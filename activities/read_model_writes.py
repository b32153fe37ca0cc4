"""The read-model write activity: the order's current view and its new timeline events, saved for the web to list."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from temporalio import activity

from models.order import OrderSnapshot
from store import read_model


class ReadModelWrites:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @activity.defn
    def save_order(self, snapshot: OrderSnapshot) -> None:
        read_model.save_order(self.engine, snapshot.view, snapshot.events)
