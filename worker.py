"""Runs the Orderly worker: the order workflow and its activities on the task queue from settings."""

from __future__ import annotations

import asyncio
import logging
import signal
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.engine import Engine
from temporalio.client import (Client, Schedule, ScheduleActionStartWorkflow, ScheduleAlreadyRunningError,
                              ScheduleIntervalSpec, ScheduleOverlapPolicy, SchedulePolicy, ScheduleSpec, ScheduleUpdate)
from temporalio.worker import Worker

from activities.form_check import FormChecks
from activities.notice_sending import NoticeSender
from activities.read_model_writes import ReadModelWrites
from activities.reconciliation import Reconciliation
from channels.mailer import Mailer, build_mailer
from models.catalog import load_catalog
from models.settings import Settings
from plumbing.connection import connect, worker_client
from plumbing.observability import setup_logging, worker_runtime
from store.database import make_engine
from workflows.order import OrderWorkflow
from workflows.reconciliation import ReconcileClosedOrders
from workflows.sandbox import workflow_runner


def build_worker(client: Client, settings: Settings, engine: Engine | None = None,
                 mailer: Mailer | None = None) -> Worker:
    if not settings.secret_key.get_secret_value():
        raise SystemExit("error: ORDERLY_SECRET_KEY is not set: it signs the links in customer emails "
                         "(orderly dev makes one in var/secrets.json)")
    if problems := settings.channel_problems():
        raise SystemExit("error: " + "; ".join(problems))
    engine = engine or make_engine(settings.db_url)
    catalog = load_catalog(settings.catalog_path)
    reconciliation = Reconciliation(settings, engine)
    sender = NoticeSender(settings, engine, mailer or build_mailer(settings), catalog)
    activities = [FormChecks(settings, catalog).check_order_form, ReadModelWrites(engine).save_order,
                  sender.send_notice, sender.send_notices,
                  reconciliation.find_orders_closed_without_finishing, reconciliation.mark_order_terminated,
                  reconciliation.finish_reconciliation_pass]
    return Worker(worker_client(client), task_queue=settings.task_queue, **worker_options(
        settings, workflows=[OrderWorkflow, ReconcileClosedOrders], activities=activities))


def reconciliation_schedule_id(settings: Settings) -> str:
    return f"orderly-reconcile-{settings.task_queue}"


async def register_reconciliation(client: Client, settings: Settings) -> None:
    """Register (or bring up to date) the Temporal Schedule that reconciles orders closed without finishing."""
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(ReconcileClosedOrders.run, id=reconciliation_schedule_id(settings),
                                           task_queue=settings.task_queue),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=settings.reconcile_every)]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP))
    try:
        await client.create_schedule(reconciliation_schedule_id(settings), schedule)
    except ScheduleAlreadyRunningError:
        await client.get_schedule_handle(reconciliation_schedule_id(settings)).update(
            lambda _input: ScheduleUpdate(schedule=schedule))


def worker_options(settings: Settings, workflows: list, activities: list) -> dict:
    """Tuning from settings, and ORDERLY_WORKER_MODE: `all`, or only the workflows, or only the activities.

    A workflows-only worker still registers the activities, for the local ones its workflows run themselves (saving
    the read model), but polls no activity tasks; an activities-only worker runs no workflow tasks."""
    options = dict(activities=activities, max_concurrent_activities=settings.worker_max_concurrent_activities,
                   activity_executor=ThreadPoolExecutor(max_workers=settings.worker_max_concurrent_activities),
                   max_concurrent_workflow_tasks=settings.worker_max_concurrent_workflow_tasks,
                   max_cached_workflows=settings.worker_max_cached_workflows,
                   graceful_shutdown_timeout=settings.worker_graceful_shutdown,
                   workflow_runner=workflow_runner(strict=settings.workflow_sandbox == "strict", workflows=workflows))
    if settings.worker_mode in ("all", "workflows"):
        options["workflows"] = workflows
    if settings.worker_mode == "workflows":
        options["no_remote_activities"] = True
    return options


async def main() -> None:
    settings = Settings()
    setup_logging(settings)
    try:
        client = await connect(settings, runtime=worker_runtime(settings))
    except ValueError as e:  # a TLS setting that cannot work
        raise SystemExit(f"error: {e}") from None
    except RuntimeError as e:
        raise SystemExit(f"error: cannot reach Temporal at {settings.temporal_address}: {e}") from None
    worker = build_worker(client, settings)
    await register_reconciliation(client, settings)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    logging.info("worker (%s) on task queue %r at %s%s", settings.worker_mode, settings.task_queue,
                 settings.temporal_address, f"; metrics on http://{settings.worker_metrics_address}/metrics"
                 if settings.worker_metrics_address else "")
    async with worker:  # leaving it shuts down: in-flight activities get the graceful shutdown timeout
        await stop.wait()
        logging.info("stopping: in-flight activities get %s to finish", settings.worker_graceful_shutdown)


if __name__ == "__main__":
    asyncio.run(main())
