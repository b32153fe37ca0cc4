"""`orderly staff`: personal staff accounts for the console (add, list, disable, reset-password).

Passwords come from a file (`--password-file`, its first line; `-` for standard input) or are asked for without
echo, twice. Only their argon2 hash is stored (`store/staff_accounts.py`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from models.actors import ROLES
from models.settings import Settings

from .cli_common import JSON, fail, out

app = typer.Typer(help="Personal staff accounts for the console: each action is recorded with its person.",
                  no_args_is_help=True)
PASSWORD_FILE = typer.Option(None, "--password-file", help="read the password from this file's first line "
                                                           "(- for standard input); without it, you are asked")


def engine():  # noqa: ANN201
    from store.database import make_engine
    return make_engine(Settings().db_url)


def password_from(path: Optional[str], as_json: bool) -> str:
    if path is None:
        return typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        fail(f"cannot read the password from {path}: {getattr(e, 'strerror', None) or e}", as_json, "invalid")
    return (text.splitlines() or [""])[0]


def changed(change, as_json: bool, done: str) -> None:  # noqa: ANN001
    """Make an account change, and say what was done (or why it could not be)."""
    from store.staff_accounts import AccountError
    try:
        account = change()
    except AccountError as e:
        fail(str(e), as_json, "invalid")
    if as_json:
        print(json.dumps(shown(account)))
    else:
        out.print(f"[green]✓[/green] {done.format(name=account.name)}", highlight=False)


def shown(account) -> dict:  # noqa: ANN001
    return {"name": account.name, "role": account.role, "maker": account.maker, "disabled": account.disabled,
            "created_at": account.created_at.isoformat(), "updated_at": account.updated_at.isoformat()}


@app.command()
def add(name: str = typer.Argument(..., help="the person's name, as the timeline will show it"),
        role: str = typer.Option(..., "--role", help=f"one of: {', '.join(ROLES)}"),
        maker: str = typer.Option("", "--maker", help="for the manufacturer role: the manufacturer's id"),
        password_file: Optional[str] = PASSWORD_FILE, as_json: bool = JSON) -> None:
    """Add a staff account (a name, a role, a password)."""
    from models.catalog import load_catalog
    from store import staff_accounts
    try:
        staff_accounts.checked_account(name, role, maker)
    except staff_accounts.AccountError as e:
        fail(str(e), as_json, "invalid")
    makers = {m.id for m in load_catalog(Settings().catalog_path).manufacturers}
    if maker and maker not in makers:
        fail(f"--maker must be one of the catalog's manufacturers ({', '.join(sorted(makers))}), not {maker!r}",
             as_json, "invalid")
    password = password_from(password_file, as_json)
    changed(lambda: staff_accounts.add(engine(), name, role, password, maker), as_json,
            f"added {{name}} ({role}{' ' + maker if maker else ''})")


@app.command("list")
def list_accounts(as_json: bool = JSON) -> None:
    """List the staff accounts (never their passwords)."""
    from store import staff_accounts
    accounts = staff_accounts.list_accounts(engine())
    if as_json:
        print(json.dumps([shown(a) for a in accounts], indent=2))
        return
    table = Table("name", "role", "maker", "status", "created (UTC)", "updated (UTC)")
    for a in accounts:
        table.add_row(a.name, a.role, a.maker, "disabled" if a.disabled else "enabled",
                      f"{a.created_at:%Y-%m-%d %H:%M}", f"{a.updated_at:%Y-%m-%d %H:%M}")
    out.print(table)


@app.command()
def disable(name: str, as_json: bool = JSON) -> None:
    """Disable an account: it can no longer sign in, and its console sessions end at once."""
    from store import staff_accounts
    changed(lambda: staff_accounts.disable(engine(), name), as_json, "disabled {name}; their sessions have ended")


@app.command("reset-password")
def reset_password(name: str, password_file: Optional[str] = PASSWORD_FILE, as_json: bool = JSON) -> None:
    """Give an account a new password; the sessions signed in with the old one end."""
    from store import staff_accounts
    password = password_from(password_file, as_json)
    changed(lambda: staff_accounts.reset_password(engine(), name, password), as_json,
            "new password set for {name}; their sessions have ended")
