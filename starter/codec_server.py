"""`orderly codec-server`: the Temporal codec-server protocol over Orderly's payload encryption.

The Temporal Web UI and CLI call it to show decrypted payloads to the staff allowed to see customer data:
`POST /decode` and `POST /encode`, each with `{"payloads": [...]}` (Temporal's JSON form of payloads, base64 bytes).

Who may call it: a bearer token from ORDERLY_API_TOKENS with one of the roles in READERS, compared in constant time.
A browser (the Web UI) cannot add a bearer header of its own, so the codec server also has a sign-in page (`GET /`):
the token is checked and a session cookie (signed with a key made at start, 8 hours, HttpOnly, SameSite=Strict)
stands for it — each request re-checks that the session's token is still configured with its role, so removing a
token ends its sessions at once; the UI sends it with "Include cross-origin credentials". CORS answers only the UI origins from
ORDERLY_CODEC_CORS_ORIGINS.
"""

from __future__ import annotations

import hmac
import html
import logging
import secrets
from typing import Any

from fastapi import FastAPI, Form, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from google.protobuf import json_format
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.api.common.v1 import Payloads

from models.settings import Settings

from .auth import Caller, fingerprint, role_of
from .request_guard import RequestGuard, body_cap
from plumbing.payload_encryption import EncryptionCodec, PayloadDecryptionError, codec_for, EncryptionSettingsError

READERS = ("admin", "customer-service")
SESSION_COOKIE = "orderly_codec_session"
FORM_COOKIE = "orderly_codec_form"  # the sign-in form's token (double submit), as the staff console's CSRF cookie
SESSION_MAX_AGE = 8 * 3600
log = logging.getLogger("orderly.codec")


class Refusal(Exception):
    def __init__(self, status: int, kind: str, message: str) -> None:
        super().__init__(message)
        self.status, self.kind, self.message = status, kind, message


def error(status: int, kind: str, message: str) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(status_code=status, headers=headers,
                        content={"error": {"kind": kind, "message": message, "details": None}})


def origins(settings: Settings) -> list[str]:
    return [o.strip().rstrip("/") for o in settings.codec_cors_origins.split(",") if o.strip()]


def create_codec_app(settings: Settings, codec: EncryptionCodec) -> FastAPI:
    app = FastAPI(title="Orderly codec server", version="0.1.0", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.add_middleware(RequestGuard, api_prefix=None)  # bodies capped (413)
    app.add_middleware(CORSMiddleware, allow_origins=origins(settings), allow_credentials=True,
                       allow_methods=["POST", "OPTIONS"],
                       allow_headers=["Authorization", "Content-Type", "X-Namespace"])
    sessions = URLSafeTimedSerializer(secrets.token_bytes(32), salt="orderly-codec-session")

    def role_for(token: str) -> str:
        role = role_of(settings.api_tokens, token)
        if role is None:
            raise Refusal(401, "unauthorized", "This API token is not valid")
        if role not in READERS:
            raise Refusal(403, "forbidden", f"The {Caller.of(role, '').role} role cannot read customer data; it needs "
                                            "one of: "
                                            f"{', '.join(READERS)}")
        return role

    def still_configured(session: str) -> bool:
        """Whether the token a session was signed in with is still in the settings, with the same reading role:
        a token removed (or demoted) ends its sessions at once, as the staff console's do."""
        role, _, fp = session.partition(" ")
        return role in READERS and any(fingerprint(t) == fp and r == role for t, r in settings.api_tokens.items())

    def caller(request: Request) -> str:
        """`role token-fingerprint` of the caller, from the bearer token or the sign-in cookie."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return f"{role_for(token.strip())} {fingerprint(token.strip())}"
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            try:
                session = sessions.loads(cookie, max_age=SESSION_MAX_AGE)
            except BadSignature:
                raise Refusal(401, "unauthorized", "The codec-server session has expired or is not valid; "
                                                   "sign in again") from None
            if not still_configured(session):
                raise Refusal(401, "unauthorized", "The API token this session was signed in with is no longer "
                                                   "configured (or no longer has a role that reads customer data); "
                                                   "sign in again")
            return session
        raise Refusal(401, "unauthorized", "An API token is required (Authorization: Bearer <token>) with one of "
                                           f"the roles {', '.join(READERS)}")

    @app.exception_handler(Refusal)
    async def _refused(_request: Request, e: Refusal) -> JSONResponse:
        return error(e.status, e.kind, e.message)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, e: StarletteHTTPException) -> JSONResponse:
        return error(e.status_code, "too_large" if e.status_code == 413 else "error",
                     body_cap(e, settings.max_request_bytes))

    async def payloads_of(request: Request) -> Payloads:
        body = await request.body()
        try:
            return json_format.Parse(body or b"{}", Payloads())
        except json_format.ParseError as e:
            raise Refusal(400, "invalid", f'The body must be {{"payloads": [...]}} (Temporal payloads as JSON): '
                                          f"{e}") from None

    def answer(payloads: list) -> JSONResponse:
        return JSONResponse(json_format.MessageToDict(Payloads(payloads=payloads)))

    @app.post("/decode")
    async def decode(request: Request) -> JSONResponse:
        who = caller(request)
        payloads = await payloads_of(request)
        try:
            decoded = await codec.decode(payloads.payloads)
        except PayloadDecryptionError as e:
            raise Refusal(422, "undecodable", str(e)) from None
        log.info("decoded %d payload(s) for %s (namespace %s)", len(decoded), who,
                 request.headers.get("x-namespace", "-"))
        return answer(decoded)

    @app.post("/encode")
    async def encode(request: Request) -> JSONResponse:
        caller(request)
        payloads = await payloads_of(request)
        return answer(await codec.encode(payloads.payloads))

    def sign_in_form(request: Request, message: str = "", status: int = 200) -> HTMLResponse:
        """The sign-in page with a fresh form token, also set as this browser's cookie (a double submit)."""
        form_token = secrets.token_urlsafe(32)
        response = HTMLResponse(page(message, form_token, error=status != 200), status_code=status)
        response.set_cookie(FORM_COOKIE, form_token, httponly=True, samesite="strict", path="/")
        return response

    @app.get("/", response_class=HTMLResponse)
    async def sign_in_page(request: Request) -> HTMLResponse:
        signed_in = request.cookies.get(SESSION_COOKIE) is not None
        return sign_in_form(request, "Signed in: the Temporal Web UI on this browser can decode payloads "
                                     "(Codec Server setting: include cross-origin credentials)." if signed_in else "")

    @app.post("/session", response_class=HTMLResponse)
    async def sign_in(request: Request, token: str = Form(""), form_token: str = Form("", alias="form")) -> Any:
        """Sign in, from this server's own page only: a post from another origin, or without the form token of the
        page this browser was given, is refused (a login CSRF would sign the browser in as someone else)."""
        if not same_origin(request):
            return sign_in_form(request, "This sign-in came from another site; use the form on this page.", 403)
        cookie = request.cookies.get(FORM_COOKIE, "")
        if not cookie or not hmac.compare_digest(cookie.encode(), form_token.encode()):
            return sign_in_form(request, "This sign-in form has expired; please sign in again.", 403)
        try:
            role = role_for(token.strip())
        except Refusal as e:
            return sign_in_form(request, e.message, e.status)
        response = RedirectResponse("./", status_code=303)
        response.set_cookie(SESSION_COOKIE, sessions.dumps(f"{role} {fingerprint(token.strip())}"),
                            max_age=SESSION_MAX_AGE, httponly=True, samesite="strict")
        return response

    return app


def same_origin(request: Request) -> bool:
    """Whether a browser's post names this server as its origin (no `Origin` header: not a browser's post)."""
    origin = request.headers.get("origin")
    return origin is None or origin.rstrip("/") == f"{request.url.scheme}://{request.headers.get('host', '')}"


def page(message: str, form_token: str, error: bool = False) -> str:
    note = f'<p style="color:{"#a00" if error else "#060"}">{html.escape(message)}</p>' if message else ""
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Orderly codec server</title></head>
<body style="font-family:sans-serif;max-width:40em;margin:3em auto">
<h1>Orderly codec server</h1>
<p>Decrypts order payloads for the Temporal Web UI. Sign in with an API token of one of the roles
{", ".join(READERS)}; the session lasts 8 hours on this browser.</p>{note}
<form method="post" action="session"><input type="hidden" name="form" value="{html.escape(form_token)}">
<label>API token <input name="token" type="password" autocomplete="off"
required></label> <button type="submit">Sign in</button></form></body></html>"""


def main(settings: Settings, host: str | None, port: int | None) -> None:
    import uvicorn

    from plumbing.observability import setup_logging
    from plumbing.secrets import with_stored_secrets

    settings = with_stored_secrets(settings)
    try:
        codec = codec_for(settings)
    except EncryptionSettingsError as e:
        raise SystemExit(f"error: {e}") from None
    if codec is None:
        raise SystemExit("error: ORDERLY_ENCRYPTION is off and no ORDERLY_ENCRYPTION_KEYS are set: there is nothing "
                         "to decode")
    if not any(role in READERS for role in settings.api_tokens.values()):
        raise SystemExit(f"error: ORDERLY_API_TOKENS has no token with one of the roles {', '.join(READERS)}: nobody "
                         "could use the codec server")
    setup_logging(settings)
    host, port = host or settings.codec_host, port or settings.codec_port
    log.info("codec server on http://%s:%d (UI origins: %s)", host, port, ", ".join(origins(settings)) or "none")
    uvicorn.run(create_codec_app(settings, codec), host=host, port=port, log_config=None, proxy_headers=True)
