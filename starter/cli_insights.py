"""`orderly insights`: what the orders say about the process, for a period — the figures of the console's Insights
page (`store/insights.py`), read from the read model as admin reads them, or as one manufacturer sees its own."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Optional
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from models.settings import Settings

from .cli_common import JSON, fail, out
from .insight_tables import tables


def insights(start: Optional[str] = typer.Option(None, "--from", help="the first day, YYYY-MM-DD (default: the "
                                                                        "first day of the month 11 months ago)"),
             end: Optional[str] = typer.Option(None, "--to", help="the last day, YYYY-MM-DD (default: today)"),
             fulfiller: Optional[str] = typer.Option(None, "--fulfiller", help="a manufacturer id: its own figures, "
                                                                               "as its console page shows them"),
             as_json: bool = JSON) -> None:
    """Promises kept, delays and their reasons, lead times, the form, feedback and customer requests."""
    from store import insights as store_insights
    from store.database import make_engine
    settings = Settings()
    today = datetime.now(ZoneInfo(settings.company_timezone)).date()
    try:
        period = store_insights.period(start, end, today, fulfiller)
    except store_insights.PeriodError as e:
        fail(str(e), as_json, "invalid")
    engine = make_engine(settings.db_url)
    try:
        found = store_insights.insights(engine, period)
    finally:
        engine.dispose()
    if as_json:
        print(json.dumps(found, indent=2))
        return
    out.print(f"[bold]Insights[/bold] {found['period']['from']} to {found['period']['to']}"
              + (f" ({fulfiller})" if fulfiller else ""))
    for shown in tables(found, settings.company_language):
        table = Table(*shown.headers, title=shown.title, title_justify="left")
        for row in shown.rows:
            table.add_row(*(str(cell) for cell in row))
        out.print(table)
