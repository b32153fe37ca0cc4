"""What every `orderly` command shares: output, errors with their exit codes, building inputs, reaching Temporal."""

from __future__ import annotations

import getpass

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console

from models.actors import Actor
from models.catalog import load_catalog
from models.order import ActionResult, OrderForm
from models.settings import Settings

from . import orders
from .orders import OrderError

out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, soft_wrap=True)
JSON = typer.Option(False, "--json", help="print machine-readable JSON")


def fail(message: str, as_json: bool, kind: str = "error", details: Any = None) -> None:
    if as_json:
        print(json.dumps({"error": {"kind": kind, "message": message, "details": details}}))
    else:
        err.print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(1)


def validation_details(e: ValidationError) -> list[dict[str, str]]:
    return [{"field": ".".join(str(p) for p in x["loc"]) or "(input)", "message": x["msg"]} for x in e.errors()]


def build(model: type[BaseModel], as_json: bool, **fields: Any) -> Any:
    """Build an input model from options; invalid values end the command with every field's problem."""
    try:
        return model.model_validate(fields)
    except ValidationError as e:
        details = validation_details(e)
        fail("invalid input: " + "; ".join(f"{d['field']}: {d['message']}" for d in details), as_json, "invalid",
             details)


def read_form(path: str, as_json: bool) -> OrderForm:
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
        data = json.loads(text)
    except OSError as e:
        fail(f"cannot read {path}: {e.strerror}", as_json, "invalid")
    except UnicodeDecodeError as e:
        fail(f"{path} is not UTF-8 text (byte {e.start}: {e.object[e.start:e.start + 1]!r}); save it as UTF-8",
             as_json, "invalid")
    except json.JSONDecodeError as e:
        fail(f"{path} is not valid JSON: {e}", as_json, "invalid")
    except RecursionError:
        fail(f"{path} is nested too deeply to be an order form", as_json, "invalid")
    return build(OrderForm, as_json, **data) if isinstance(data, dict) else fail(
        f"{path} must hold a JSON object (the order form)", as_json, "invalid")


def with_client(action: Callable[..., Awaitable[Any]], as_json: bool) -> Any:
    """Connect to Temporal, run `action(client, settings)`, and turn failures into clear messages."""
    from plumbing.secrets import with_stored_secrets
    settings = with_stored_secrets(Settings())  # the embedded stack's encryption key, when settings give none

    async def go() -> Any:
        from plumbing.connection import connect
        try:
            client = await connect(settings)
        except ValueError as e:  # settings that cannot work (encryption keys, TLS files)
            fail(str(e), as_json, "invalid")
        except RuntimeError as e:
            fail(f"cannot reach Temporal at {settings.temporal_address}; is `make run` running? "
                 "(set TEMPORAL_ADDRESS for another server)", as_json, "unavailable", str(e))
        return await action(client, settings)

    try:
        return asyncio.run(go())
    except OrderError as e:
        fail(e.message, as_json, e.kind, e.details)


def show_result(result: ActionResult, as_json: bool) -> None:
    if as_json:
        print(result.model_dump_json(indent=2))
        return
    mark = "[yellow]![/yellow]" if result.problems or result.duplicate else "[green]✓[/green]"
    out.print(f"{mark} {result.message}  [dim](order {result.order_id}, status {result.status.value})[/dim]",
              highlight=False)
    for p in result.problems:
        out.print(f"    [yellow]{p.field}[/yellow]: {p.message}", highlight=False)


def act(as_json: bool, order: str, name: str, arg: Any = None) -> None:
    """Take the action `name` (a row of the actions table) on the order and show the workflow's answer."""
    show_result(with_client(lambda client, settings: orders.act(
        client, order, name, arg, load_catalog(settings.catalog_path), settings, actor=cli_actor()), as_json), as_json)


def cli_actor() -> Actor:
    """Who acts from the CLI: the operator, with admin's reach (the CLI runs on the operator's own credentials)."""
    return Actor(role="admin", name=f"{getpass.getuser()} (CLI)")


def parse_date(value: str, option: str, as_json: bool) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} must be a date like 2026-12-31, not {value!r}", as_json, "invalid")


def unexpected(e: Exception) -> int:
    """An error no command foresaw, told in one line (`--json`: the JSON error on standard output); exit code 1.
    The cause is one line too: the traceback is for a debugger (ORDERLY_CLI_TRACEBACK=1 prints it)."""
    if os.environ.get("ORDERLY_CLI_TRACEBACK"):
        import traceback
        traceback.print_exc()
    message = (str(e).splitlines() or [""])[0][:500] or type(e).__name__
    with contextlib.suppress(typer.Exit):
        fail(f"{message} ({type(e).__name__})", "--json" in sys.argv, "error")
    return 1


def exit_without_finalizing(run: Callable[[], Any]) -> None:
    """Run, flush, and end the process with run's exit code, skipping interpreter finalization (sdk-python#300)."""
    try:
        run()
        code = 0
    except SystemExit as e:
        if isinstance(e.code, str):
            print(e.code, file=sys.stderr)
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except Exception as e:  # noqa: BLE001  (a command never ends in a traceback: one line, or the JSON error)
        code = unexpected(e)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
