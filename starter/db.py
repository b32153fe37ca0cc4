"""`orderly db`: the read-model schema by hand (the app also upgrades it at start)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer

from models.settings import Settings

app = typer.Typer(help="The read-model database schema (Alembic migrations).", no_args_is_help=True)


def engine():  # noqa: ANN201
    from store import database
    return database.make_engine(Settings().db_url, migrate=False)


@contextmanager
def clear_errors() -> Iterator[None]:
    """An unknown revision or an unreachable database ends the command with one line saying so (exit 1)."""
    from alembic.util import CommandError
    from sqlalchemy.exc import OperationalError
    try:
        yield
    except CommandError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(1)
    except OperationalError as e:
        typer.echo(f"error: cannot reach the database ({Settings().db_url.split('@')[-1]}): {e.orig}", err=True)
        raise typer.Exit(1)


@app.command()
def upgrade(revision: str = typer.Argument("head", help="target revision")) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from store import database
    with clear_errors():
        e = engine()
        database.upgrade(e, revision)
    typer.echo(f"{e.url.render_as_string()}: at revision {database.current_revision(e)}")


@app.command()
def downgrade(revision: str = typer.Argument(..., help="target revision, e.g. -1 or base (drops every table)")) -> None:
    """Undo migrations down to REVISION."""
    from store import database
    with clear_errors():
        e = engine()
        database.downgrade(e, revision)
    typer.echo(f"{e.url.render_as_string()}: at revision {database.current_revision(e) or 'base (empty)'}")


@app.command()
def current() -> None:
    """Show the database's revision and the newest one this version of Orderly has."""
    from store import database
    with clear_errors():
        e = engine()
        rev, head = database.current_revision(e), database.head_revision()
    note = "up to date" if rev == head else "needs `orderly db upgrade`"
    typer.echo(f"{e.url.render_as_string()}: at revision {rev or 'base (empty)'}; newest {head} ({note})")
