"""What the orders say about the process: the staff console's Insights page (`/staff/insights`, its tables as CSV
at `/staff/insights/<table>.csv`) and `GET /api/insights`, both for a period (`?from=YYYY-MM-DD&to=YYYY-MM-DD`).

Admin and customer service see every figure; a manufacturer sees its own (its parts, delays and lines, the orders
it has a part of, without the customers' comments); other roles are refused. The figures are the store's
(`store/insights.py`, by SQL); the charts (`insight_charts.py`) and tables (`insight_tables.py`) are drawn from them.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from models import i18n
from models.i18n import N_
from store import insights as store_insights
from store.insights import PeriodError

from .actions import ALLOWED
from .auth import Caller, require
from .console import require_staff, today
from .insight_charts import charts
from .insight_tables import as_csv, tables
from .orders import OrderError
from .pages import Refusal, render
from .read_scopes import scope

DateText = Annotated[str, Query(max_length=40, description="a day, YYYY-MM-DD (both days are included)")]


def figures(request: Request, caller: Caller, start: str, end: str) -> dict[str, Any]:
    """Every figure of the period the caller may see; a malformed period raises `PeriodError`."""
    period = store_insights.period(start, end, today(request), scope(caller))
    return store_insights.insights(request.app.state.engine, period)


def console_figures(request: Request, caller: Caller, start: str, end: str) -> dict[str, Any]:
    try:
        return figures(request, caller, start, end)
    except PeriodError as e:
        raise Refusal(422, N_("Not a period"), str(e), "/staff/insights", N_("The last twelve months")) from None


def page(request: Request, caller: Caller, start: str, end: str) -> HTMLResponse:
    found = console_figures(request, caller, start, end)
    language = i18n.language_of(request.app.state.settings.company_language)
    return render(request, "staff_insights.html", staff=caller, figures=found, period=found["period"],
                  charts=charts(found, language), tables=tables(found, language),
                  query=f"from={found['period']['from']}&to={found['period']['to']}")


def router() -> APIRouter:
    routes = APIRouter()

    @routes.get("/staff/insights", response_class=HTMLResponse, include_in_schema=False)
    async def insights_page(request: Request, start: Annotated[str, Query(alias="from", max_length=40)] = "",
                            end: Annotated[str, Query(alias="to", max_length=40)] = "") -> HTMLResponse:
        caller = require_staff(request, "insights")
        return await asyncio.to_thread(page, request, caller, start, end)  # SQL and charts off the event loop

    @routes.get("/staff/insights/{key}.csv", include_in_schema=False)
    async def insights_csv(key: str, request: Request, start: Annotated[str, Query(alias="from", max_length=40)] = "",
                           end: Annotated[str, Query(alias="to", max_length=40)] = "") -> Response:
        caller = require_staff(request, "insights")
        found = await asyncio.to_thread(console_figures, request, caller, start, end)
        language = i18n.language_of(request.app.state.settings.company_language)
        table = next((t for t in tables(found, language) if t.key == key), None)
        if table is None:
            raise Refusal(404, N_("No such table"), N_("The insights page has no table called %(key)s."),
                          values={"key": repr(key[:60])})
        name = f"orderly-{key}-{found['period']['from']}-{found['period']['to']}.csv"
        return Response("\ufeff" + as_csv(table), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @routes.get("/api/insights", summary="What the orders say about the process, for a period")
    async def insights_api(request: Request, caller: Annotated[Caller, Depends(require(*ALLOWED["insights"]))],
                           start: Annotated[str, Query(alias="from", max_length=40, description=(
                               "the first day, YYYY-MM-DD; none: the first day of the month eleven months "
                               "before `to`"))] = "",
                           end: Annotated[str, Query(alias="to", max_length=40, description=(
                               "the last day, YYYY-MM-DD; none: today"))] = "") -> dict[str, Any]:
        """Promises kept, delays and their reasons, lead times, the form, feedback and customer requests, for the
        period; a manufacturer's token gets its own figures (its parts and the orders it has a part of)."""
        try:
            return await asyncio.to_thread(figures, request, caller, start, end)
        except PeriodError as e:
            raise OrderError("invalid", str(e), [{"field": "from" if str(e).startswith("from") else "to",
                                                  "message": str(e)}]) from None

    return routes
