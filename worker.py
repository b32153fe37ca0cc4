"""Runs the Orderly worker: the order workflow and its activities on the task queue from settings."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.worker import Worker

from activities.database import make_engine
from activities.mailer import Mailer, build_mailer
from activities.order_activities import OrderActivities
from models.catalog import load_catalog
from models.settings import Settings
from starter.temporal import connect
from workflows.order import OrderWorkflow
from workflows.sandbox import workflow_runner


def build_worker(client: Client, settings: Settings, engine: Engine | None = None,
                 mailer: Mailer | None = None) -> Worker:
    if not settings.secret_key.get_secret_value():
        raise SystemExit("error: ORDERLY_SECRET_KEY is not set: it signs the links in customer emails "
                         "(orderly dev makes one in var/secrets.json)")
    if problems := settings.channel_problems():
        raise SystemExit("error: " + "; ".join(problems))
    acts = OrderActivities(settings, engine or make_engine(settings.db_url),
                           mailer or build_mailer(settings), load_catalog(settings.catalog_path))
    return Worker(client, task_queue=settings.task_queue, workflows=[OrderWorkflow],
                  activities=[acts.check_order_form, acts.save_order, acts.send_notice],
                  activity_executor=ThreadPoolExecutor(max_workers=16), workflow_runner=workflow_runner())


async def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings()
    client = await connect(settings)
    worker = build_worker(client, settings)
    logging.info("worker on task queue %r at %s", settings.task_queue, settings.temporal_address)
    await worker.run()


if __name__ == "__main__":
    asyncio.run(main())
