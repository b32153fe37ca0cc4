"""The `orderly` command: run the stack, start orders, and act on them as staff would.

Every command takes `--json` for machine-readable output and exits non-zero on any error
(1: refused, invalid or unknown; 2: bad usage).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from models.amendments import Amendment
from models.order import FormCompletion, OrderStatus, OrderView
from models.paging import MAX_OFFSET
from models.settings import Settings

from . import cli_staff
from . import cli_insights
from . import db as db_commands
from . import orders
from .cli_actions import add_action_commands
from .cli_common import JSON, act, build, err, exit_without_finalizing, fail, out, read_form, show_result, with_client

app = typer.Typer(help="Orderly: order processing as durable Temporal workflows.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)
app.add_typer(db_commands.app, name="db")
app.add_typer(cli_staff.app, name="staff")
app.command("insights")(cli_insights.insights)
add_action_commands(app)  # ack, delay, ship, correct-shipment, deliver, cancel, feedback: from the actions table
# ---- running ----

@app.command()
def dev(port: int = typer.Option(7233, help="Temporal gRPC port"),
        ui_port: int = typer.Option(8233, help="Temporal Web UI port"),
        web_port: int = typer.Option(8000, help="web shop, staff console and HTTP API port")) -> None:
    """Run the embedded stack in the foreground: Temporal dev server with its UI, the worker, the web server."""
    from .dev import main
    main(Settings(), port, ui_port, web_port)


@app.command()
def worker() -> None:
    """Run only the worker, against TEMPORAL_ADDRESS."""
    import worker as worker_module
    asyncio.run(worker_module.main())


@app.command()
def bench(n: int = typer.Option(200, "--orders", "-n", help="complete order lifecycles (and as many baseline runs)"),
          concurrency: int = typer.Option(20, help="lifecycles in flight at once"),
          rate: Optional[float] = typer.Option(None, help="instead of a concurrency: start this many per second"),
          intake: Optional[int] = typer.Option(None, help="submissions per intake path (default: --orders)"),
          via: str = typer.Option("mixed", help="how orders are submitted and acted on: api, client or mixed"),
          open_orders: Optional[int] = typer.Option(None, "--open-orders", help="instead: start this many orders "
                                                    "that stay open, and report memory at 1k, 5k, 10k ..."),
          out: Path = typer.Option(Path("var/bench"), help="where bench.json and bench.png are written"),
          keep: bool = typer.Option(False, help="keep the bench's temporary server and outbox"),
          code: str = typer.Option("worktree", help="what the worker and web app run: a copy of the working tree, "
                                                    "or of the last commit (head)"),
          chaos: bool = typer.Option(False, "--chaos", help="instead: the lifecycles under faults — the worker "
                                     "SIGKILLed every --kill-every s and restarted, the Temporal server restarted "
                                     "once; reports completed, lost and duplicate messages (no baselines)"),
          kill_every: float = typer.Option(5.0, "--kill-every", help="with --chaos: seconds of each worker's life "
                                                                     "before it is SIGKILLed"),
          read_model: Optional[int] = typer.Option(None, "--read-model", help="instead: seed the read model with "
                                                   "this many orders and time every console page and API list at "
                                                   "1k, 10k and this many (no Temporal; writes read-model.json/png)"),
          database_url: Optional[str] = typer.Option(None, "--database-url", help="with --read-model: PostgreSQL "
                                                     "(default: a new SQLite file, OUT/read-model.db)"),
          as_json: bool = JSON) -> None:
    """Benchmark: complete orders per second against a bare baseline workflow on the same server (docs/benchmarks.md).

    Starts its own Temporal dev server, worker and web app (or uses TEMPORAL_ADDRESS when set)."""
    from bench.command import BenchFailed, BenchUsageError, main as run_bench
    if read_model is not None:
        if read_model < 1:
            fail("--read-model must be at least 1", as_json, "invalid")
        from bench.read_model import run as run_read_model
        from bench.read_model_report import table
        report = run_read_model(read_model, out, database_url, echo=err.print)
        print(json.dumps(report, indent=2) if as_json else f"{table(report)}\n\nseeding: {report['seeding_seconds']} s")
        return
    try:
        run_bench(n, concurrency, rate, intake, via, open_orders, out, keep, as_json, code, chaos, kill_every)
    except BenchUsageError as e:
        fail(str(e), as_json, "invalid")
    except BenchFailed as e:
        fail(str(e), as_json, "failed")


@app.command("codec-server")
def codec_server(host: Optional[str] = typer.Option(None, help="listen address (default ORDERLY_CODEC_HOST)"),
                 port: Optional[int] = typer.Option(None, help="port (default ORDERLY_CODEC_PORT, 8081)")) -> None:
    """Serve the Temporal codec-server protocol (/encode, /decode) so the Web UI and CLI can show decrypted payloads."""
    from .codec_server import main
    main(Settings(), host, port)


@app.command()
def web() -> None:
    """Run only the web server (API, pages, /healthz, /readyz, /metrics) on ORDERLY_WEB_HOST:ORDERLY_WEB_PORT."""
    from .web_server import main
    main(Settings())


# ---- the catalog and orders ----

@app.command()
def catalog(as_json: bool = JSON) -> None:
    """List the products and the order-form fields each one needs."""
    from models.catalog import load_catalog
    cat = load_catalog(Settings().catalog_path)
    if as_json:
        print(cat.model_dump_json(indent=2))
        return
    for ptype in cat.product_types:
        table = Table(title=f"{ptype.label} — order form", title_justify="left", show_lines=False)
        for col in ("field", "type", "required", "allowed"):
            table.add_column(col)
        for f in ptype.fields:
            required = "yes" if f.required else (f.required_when.describe() if f.required_when else "")
            allowed = ", ".join(f.choices or []) or " ".join(
                x for x in (f"min {f.min:g}" if f.min is not None else "", f"max {f.max:g}" if f.max is not None else "",
                            f"≤{f.max_length} chars" if f.max_length else "") if x)
            table.add_row(f.name, f.type.value, required, allowed)
        out.print(table)
        for p in (p for p in cat.products if p.product_type == ptype.name):
            maker = cat.manufacturer(p.made_by).name if p.made_by else "our warehouse"
            out.print(f"  {p.sku}: {p.name}, {p.unit_price} {cat.currency}, {p.lead_time_days} business days, "
                      f"made by {maker}", highlight=False)
        out.print()


@app.command()
def submit(file: str = typer.Argument(..., help="order form JSON file, or - for standard input"),
           as_json: bool = JSON) -> None:
    """Submit an order form. An incomplete form starts the order as `incomplete` and lists what is missing."""
    form = read_form(file, as_json)
    show_result(with_client(lambda client, settings: orders.submit_order(client, settings, form), as_json), as_json)


@app.command()
def complete(order: str, file: str = typer.Argument(..., help="the whole corrected form (JSON), or -"),
             as_json: bool = JSON) -> None:
    """Send the completed form for an incomplete order."""
    act(as_json, order, "complete_form", FormCompletion(form=read_form(file, as_json)))


@app.command()
def amend(order: str, file: str = typer.Argument(..., help="the whole corrected form (JSON), or -"),
          reason: str = typer.Option("", "--reason", help="why, in words the customer will read"),
          by: str = typer.Option("", "--by", help="who corrects it"), as_json: bool = JSON) -> None:
    """Correct a confirmed order (the customer called): what has not shipped changes, and everyone affected is told
    exactly what changed."""
    act(as_json, order, "amend", build(Amendment, as_json, form=read_form(file, as_json), reason=reason, by=by))


@app.command()
def status(order: str, as_json: bool = JSON) -> None:
    """Show an order: status, lines, dates, shipment, acknowledgements and its timeline."""
    async def read(client, settings) -> OrderView:  # noqa: ANN001
        return await orders.staff_view(client, await orders.order_status(client, order), settings)

    view: OrderView = with_client(read, as_json)
    if as_json:
        print(view.model_dump_json(indent=2))
        return
    out.print(f"[bold]Order {view.order_id}[/bold]  {view.status.value}  ({view.channel.value}, "
              f"received {view.received_at:%Y-%m-%d %H:%M} UTC)", highlight=False)
    for p in view.problems:
        out.print(f"  [yellow]missing/wrong[/yellow] {p.field}: {p.message}", highlight=False)
    for line in view.lines:
        opts = ", ".join(f"{k}={v}" for k, v in line.options.items())
        out.print(f"  {line.quantity} x {line.name} ({line.sku}) {opts}", highlight=False)
    if view.lines:
        out.print(f"  total {view.total:.2f} {view.currency}", highlight=False)
    if view.expected_fulfillment_date:
        out.print(f"  expected fulfillment date: {view.expected_fulfillment_date}", highlight=False)
    if view.work_orders:
        acks = ", ".join(f"{d}{' ✓' if d in view.acknowledged else ' (not acknowledged)'}" for d in view.work_orders)
        out.print(f"  work orders: {acks}", highlight=False)
    if len(view.parts) > 1:
        for p in view.parts:
            lines = ", ".join(f"{r.quantity} x {r.sku}" for r in p.lines)
            handover = f", at the warehouse by {p.handover_date}" if p.handover_date else ""
            out.print(f"  part {p.department}: {lines}; expected {p.expected_fulfillment_date}{handover}; "
                      f"{p.status.value.replace('_', ' ')}", highlight=False)
    for s in view.shipments:
        lines = ", ".join(f"{r.quantity} x {r.sku}" for r in s.lines or [])
        delivered = f"; delivered {s.delivered_at:%Y-%m-%d}" if s.delivered_at else ""
        out.print(f"  shipment {s.number}: {s.carrier} {s.tracking_number}, delivery expected "
                  f"{s.expected_delivery_date} ({lines}){delivered}", highlight=False)
    if view.feedback:
        out.print(f"  feedback: {view.feedback.rating}/5 {view.feedback.comment}", highlight=False)
    table = Table("when (UTC)", "what", title="timeline", title_justify="left")
    for e in view.timeline:
        table.add_row(f"{e.at:%Y-%m-%d %H:%M:%S}", e.text)
    out.print(table)


@app.command("list")
def list_orders(status_filter: Optional[OrderStatus] = typer.Option(None, "--status", help="only this status"),
                limit: int = typer.Option(50, min=1, max=1000), offset: int = typer.Option(0, min=0),
                as_json: bool = JSON) -> None:
    """List orders from the read model, newest first."""
    if offset > MAX_OFFSET:
        fail(f"--offset must be at most {MAX_OFFSET:,}, not {offset}", as_json, "invalid")
    from store.database import make_engine
    from store.read_model import list_orders as query
    rows = query(make_engine(Settings().db_url), status_filter.value if status_filter else None, limit, offset)
    if as_json:
        print(json.dumps([r.model_dump(mode="json", exclude={"view"}) for r in rows], indent=2))
        return
    table = Table("order", "status", "channel", "customer", "total", "expected", "received (UTC)")
    for r in rows:
        table.add_row(r.order_id, r.status, r.channel, r.customer_name, f"{r.total} {r.currency}",
                      str(r.expected_fulfillment_date or ""), f"{r.received_at:%Y-%m-%d %H:%M}")
    out.print(table)


@app.command()
def outbox(order: Optional[str] = typer.Option(None, help="only this order's messages"),
           status_filter: Optional[str] = typer.Option(None, "--status", help="only sent, retrying, failed or resending"),
           as_json: bool = JSON) -> None:
    """List every message with its delivery status (the send log), oldest first."""
    from store.database import make_engine
    from store.message_log import STATUSES, list_messages
    if status_filter is not None and status_filter not in STATUSES:
        fail(f"--status must be one of {', '.join(STATUSES)}, not {status_filter!r}", as_json, "invalid")
    rows = list_messages(make_engine(Settings().db_url), order, status_filter)
    if as_json:
        print(json.dumps([r.model_dump(mode="json", exclude={"html"}) for r in rows], indent=2))
        return
    table = Table("sent (UTC)", "order", "kind", "to", "via", "subject", "status", "tries", "key")
    for r in rows:
        status = {"sent": "[green]sent[/green]", "failed": f"[red]failed[/red]: {r.last_error}",
                  "retrying": f"[yellow]retrying[/yellow]: {r.last_error}"}.get(r.status, r.status)
        table.add_row(f"{(r.sent_at or r.created_at):%Y-%m-%d %H:%M:%S}", r.order_id, r.kind, r.recipient, r.channel,
                      r.subject, status, str(r.attempts), r.key)
    out.print(table)


@app.command()
def resend(key: str = typer.Argument(..., help="the message's key, as `orderly outbox` shows it"),
           by: str = typer.Option(..., help="who resends (kept in the message's attempt log)"),
           as_json: bool = JSON) -> None:
    """Resend a failed message: a new attempt under the same key, logged. A sent message is never sent again."""
    from store.database import make_engine
    from channels.resend import ResendRefused
    from channels.resend import resend as resend_now
    settings = Settings()
    try:
        delivery = resend_now(make_engine(settings.db_url), settings, key, by)
    except ResendRefused as e:
        fail(e.message, as_json, e.kind)
    if as_json:
        print(delivery.model_dump_json(indent=2))
    elif delivery.status == "sent":
        out.print(f"[green]✓[/green] {key} resent to {delivery.recipient} ({delivery.provider_id})", highlight=False)
    else:
        fail(f"{key} could not be sent again: {delivery.error}", as_json, "failed")
    if delivery.status != "sent":
        raise typer.Exit(1)


def main() -> None:
    """Run the CLI, then leave without interpreter finalization.

    The Temporal SDK's runtime threads can abort the process while Python finalizes (sdk-python#300: "Fatal Python
    error: PyGILState_Release", exit 134, seen here about one run in thirty). All output is flushed and every
    resource is already closed when a command returns, so exiting at once is safe and keeps exit codes truthful.
    """
    exit_without_finalizing(app)
