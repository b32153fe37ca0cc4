"""Console sessions: who a browser signed in as, re-checked on every request.

Staff sign in with their own account (a name and password, `orderly staff add`) or with a role's token (services and
scripts). The browser then holds a signed, expiring cookie (itsdangerous) naming the account, or the token's role and
fingerprint — never a password or a token. Every request checks it again: a disabled or removed account, a reset
password, or a token taken out of the settings ends the session at once.
"""

from __future__ import annotations

import asyncio

from fastapi import Request
from fastapi.responses import Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from store import staff_accounts

from .actions import STAFF_ROLES
from .auth import Caller, fingerprint, role_of
from .pages import is_https

SESSION_COOKIE = "orderly_staff"
SESSION_HOURS = 12
WRONG_ACCOUNT = "That name and password do not match an enabled staff account."


def _sessions(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.settings.secret_key.get_secret_value(), salt="orderly-staff")


def account_caller(account: staff_accounts.StaffAccount) -> Caller:
    return Caller(role=account.role, token_id=f"account:{account.name_key}", party=account.maker, name=account.name)


def signed_in(request: Request) -> Caller | None:
    """The staff member behind this browser, if its session is valid and its account or token is still good."""
    try:
        session = _sessions(request).loads(request.cookies.get(SESSION_COOKIE, ""), max_age=SESSION_HOURS * 3600)
    except BadSignature:
        return None
    if "account" in session:
        account = staff_accounts.find(request.app.state.engine, session["account"])
        if account is None or account.disabled or staff_accounts.session_stamp(account) != session.get("stamp"):
            return None
        return account_caller(account)
    tokens = request.app.state.settings.api_tokens
    if not any(fingerprint(t) == session.get("fp") and r == session.get("role") for t, r in tokens.items()):
        return None
    return Caller.of(session["role"], session["fp"])


async def sign_in(request: Request, data) -> tuple[dict | None, str]:  # noqa: ANN001
    """The session a sign-in form earns (a name and password, or a token), or None and why not."""
    name, password = str(data.get("name", "")).strip(), str(data.get("password", ""))
    if name or password:
        account = await asyncio.to_thread(staff_accounts.sign_in, request.app.state.engine, name, password)
        if account is None:
            return None, WRONG_ACCOUNT
        if account.role not in STAFF_ROLES:
            return None, f"The {account.role} role does not use the staff console."
        return {"account": account.name_key, "stamp": staff_accounts.session_stamp(account)}, ""
    token = str(data.get("token", "")).strip()
    role = role_of(request.app.state.settings.api_tokens, token) if token else None
    if role is None or Caller.of(role, "").role not in STAFF_ROLES:
        return None, "That token is not a staff token." if role else "That token is not valid."
    return {"role": role, "fp": fingerprint(token)}, ""


def start_session(request: Request, response: Response, session: dict) -> Response:
    response.set_cookie(SESSION_COOKIE, _sessions(request).dumps(session), max_age=SESSION_HOURS * 3600,
                        httponly=True, samesite="strict", secure=is_https(request), path="/staff")
    return response
