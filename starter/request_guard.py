"""What an anonymous client may make the web server spend, decided before the app reads a byte of the body.

- An API request that carries a body (`POST /api/...`) without a valid bearer token is answered 401 at once by this
  middleware, in front of every route: its body is never read or parsed (FastAPI reads and parses a route's body
  before its dependencies run, so the token check in `auth.require` alone came too late). The token's *role* is
  still checked by the route.
- Every body is capped (`ORDERLY_MAX_REQUEST_BYTES`): a declared `Content-Length` over the cap is refused before
  reading, a chunked body as soon as the bytes read pass it; each surface answers the 413 in its own shape
  (`body_cap` words it). FastAPI's own `max_body_size` was tried: it answers a declared length with Starlette's
  plain-text "Content Too Large" whatever the app's handlers say, so a customer would get no page.
"""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .auth import token_refusal

BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")


class RequestGuard:
    """In front of an Orderly FastAPI app (its `state.settings`); `api_prefix`: the paths whose bodies need a token
    first (none for the codec server, whose routes check the token before reading)."""

    def __init__(self, app: ASGIApp, api_prefix: str | None = "/api/") -> None:
        self.app, self.api_prefix = app, api_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        settings = scope["app"].state.settings
        if (self.api_prefix and scope["method"] in BODY_METHODS and scope["path"].startswith(self.api_prefix)
                and (refusal := token_refusal(settings.api_tokens, headers.get("authorization", "")))):
            await self.refuse(send, 401, "unauthorized", refusal, {"www-authenticate": "Bearer"})
            return
        declared = headers.get("content-length", "")
        cap = settings.max_request_bytes
        over = declared.isascii() and declared.isdigit() and int(declared) > cap
        received = 0

        async def capped_receive() -> Message:
            """The body as the app reads it, refused (413) once it passes the cap; a declared length over the cap is
            refused at the first read, before a byte is taken. Every middleware between here and the routes is plain
            ASGI, so the error reaches the app's own handler: the API's JSON, a page in the customer's language."""
            nonlocal received
            if over:
                raise HTTPException(413)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    raise HTTPException(413)
            return message

        await self.app(scope, capped_receive, send)

    @staticmethod
    async def refuse(send: Send, status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> None:
        """Answer without the app, in the API's error shape, and close the connection (the body stays unread)."""
        body = json.dumps({"error": {"kind": kind, "message": message, "details": None}}).encode()
        raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               (b"connection", b"close")] + [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})


def too_large_message(cap: int) -> str:
    return f"The request body is larger than this server accepts ({cap // 1024} KiB); nothing was read or changed"


def body_cap(e: HTTPException, cap: int) -> str:
    """The 413's message (FastAPI's says only "Content Too Large"); another error's detail as it is."""
    return too_large_message(cap) if e.status_code == 413 else str(e.detail)
