"""The staff console's papers and lists for a day's work: a packing slip for each shipment, the warehouse's pick list,
an order list as CSV, and acknowledging several work orders from a department's queue in one go.

- `/staff/orders/<id>/shipments/<n>/packing-slip`: what is in the parcel, the ship-to, the order number, the carrier
  and tracking, and what is still to come (each with its part's date) — a printable page (print stylesheet; the
  Print button is one click).
- `/staff/pick-list`: what the warehouse can ship now (its own lines not yet shipped, the makers' parts handed
  over), the soonest due first: the `ready` rows of `queue_entries`, written with each order (`store/queue_rows.py`).
- `/staff/orders.csv?status=&q=`: the order list as the console filters it, every page, for accounts receivable and
  admin; a cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is escaped with a leading `'` so a
  spreadsheet never runs it as a formula.
- `POST /staff/acknowledge`: the work orders ticked in a department's queue, each acknowledged by the workflow's
  own `acknowledge` update with the signed-in person (each decided by its rule; a refusal is listed, the rest go on).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from models.order import Acknowledgement
from models.parts import unshipped
from models.work_queues import ready_to_ship
from store import queues, read_model, search

from . import orders
from .console import order_for, require_staff, today, with_flash
from .orders import OrderError
from .pages import Refusal, posted_form, redirect, render
from .read_scopes import restricted, scope

PICK_LIST_LIMIT = 500      # orders on one pick list (a day's work; the rest come the next time it is printed)
EXPORT_LIMIT = 100_000     # rows in one CSV export
BULK_LIMIT = 100           # work orders acknowledged in one go
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
COLUMNS = ("order_id", "status", "channel", "customer_name", "customer_email", "total", "currency",
           "expected_fulfillment_date", "received_at")


def csv_cell(value: object) -> str:
    """A cell a spreadsheet shows as text: one that would start a formula gets a leading `'` (OWASP's advice)."""
    text = "" if value is None else value.isoformat() if hasattr(value, "isoformat") else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def export_rows(engine, caller, status: str | None, q: str) -> Iterator[list[str]]:  # noqa: ANN001
    """Every order of the list as filtered, page by page (keyset: no row skipped or repeated)."""
    party, after, sent = scope(caller), None, 0
    kinds = ("order",) if restricted(caller) else search.KINDS
    while sent < EXPORT_LIMIT:
        rows = (search.search_orders(engine, q, status, 500, 0, party, kinds, after) if q.strip()
                else read_model.list_orders(engine, status, 500, 0, party, after=after))
        for row in rows:
            yield [csv_cell(getattr(row, name)) for name in COLUMNS]
        sent += len(rows)
        if len(rows) < 500:
            return
        after = read_model.key_of(rows[-1])


def lines_of(view, refs) -> list[dict]:  # noqa: ANN001
    """Order lines with the quantities `refs` name (a parcel, what is ready, what is to come)."""
    return [{"line": view.lines[ref.line], "quantity": ref.quantity} for ref in refs]


def router() -> APIRouter:
    console = APIRouter(prefix="/staff", include_in_schema=False)

    @console.get("/orders/{order_id}/shipments/{number}/packing-slip", response_class=HTMLResponse)
    async def packing_slip(order_id: str, number: int, request: Request) -> HTMLResponse:
        caller = require_staff(request, "print")
        view = await order_for(request, caller, order_id)
        shipment = next((s for s in view.shipments if s.number == number), None)
        if shipment is None:
            raise Refusal(404, "No such shipment", f"Order {order_id} has no shipment {number}.",
                          f"/staff/orders/{order_id}", "Back to the order")
        parcel = lines_of(view, shipment.lines) if shipment.lines else [
            {"line": line, "quantity": line.quantity} for line in view.lines]
        part_of = {ref.line: p for p in view.parts for ref in p.lines}
        refs = unshipped(view.lines, view.shipments)
        to_come = [{**item, "date": (part_of[ref.line].expected_fulfillment_date if ref.line in part_of
                                     else view.expected_fulfillment_date)}
                   for ref, item in zip(refs, lines_of(view, refs))]
        return render(request, "packing_slip.html", staff=caller, order=view, shipment=shipment, parcel=parcel,
                      to_come=to_come, settings=request.app.state.settings)

    @console.get("/pick-list", response_class=HTMLResponse)
    async def pick_list(request: Request) -> HTMLResponse:
        caller = require_staff(request, "print")
        engine = request.app.state.engine
        rows = queues.page(engine, "ready", PICK_LIST_LIMIT, party=scope(caller))
        views = queues.views(engine, [row.order_id for row in rows])
        picks = [{"view": views[row.order_id], "due": row.due,
                  "lines": lines_of(views[row.order_id], ready_to_ship(views[row.order_id]))} for row in rows]
        return render(request, "pick_list.html", staff=caller, picks=picks, today=today(request),
                      count=queues.count(engine, "ready", party=scope(caller)), limit=PICK_LIST_LIMIT)

    @console.get("/orders.csv")
    async def export(request: Request, status: str = "", q: str = "") -> Response:
        caller = require_staff(request, "export")
        if len(q) > 200:
            raise Refusal(422, "Search too long", "A search is at most 200 characters.", "/staff", "Back")
        engine = request.app.state.engine

        def body() -> Iterator[str]:
            out = io.StringIO()
            writer = csv.writer(out)
            writer.writerow(COLUMNS)
            for row in export_rows(engine, caller, status or None, q):
                writer.writerow(row)
                if out.tell() > 64_000:
                    yield out.getvalue()
                    out.seek(0)
                    out.truncate()
            yield out.getvalue()

        name = "orders" + (f"-{status}" if status else "") + ("-search" if q.strip() else "") + ".csv"
        return StreamingResponse(body(), media_type="text/csv; charset=utf-8",
                                 headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @console.post("/acknowledge", response_class=HTMLResponse)
    async def acknowledge_several(request: Request) -> Response:
        caller = require_staff(request, "acknowledge")
        data = await posted_form(request)
        department = str(data.get("department", "")).strip()
        chosen = list(dict.fromkeys(str(v) for v in data.getlist("order")))
        if not department or not chosen:
            return with_flash(redirect(request, "/staff"), "Nothing acknowledged: tick the work orders first")
        if len(chosen) > BULK_LIMIT:
            raise Refusal(422, "Too many at once", f"Acknowledge at most {BULK_LIMIT} work orders in one go.",
                          "/staff", "Back to the queues")
        done, refused = [], []
        for order_id in chosen:
            try:
                await orders.act(request.app.state.client, order_id, "acknowledge",
                                 Acknowledgement(department=department), actor=caller.actor)
                done.append(order_id)
            except OrderError as e:
                refused.append(f"{order_id} ({e.message})")
        told = f"Acknowledged {len(done)} {department} work order(s)" + (f": {', '.join(done)}" if done else "")
        if refused:
            told += f". Not acknowledged: {'; '.join(refused)}"
        return with_flash(redirect(request, "/staff"), told)

    return console
