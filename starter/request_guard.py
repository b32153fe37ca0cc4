"""What any client may make the web server (and the codec server) spend, decided before the app reads a byte of the
body: one ASGI middleware in front of every route.

- An API request that carries a body (`POST /api/...`) without a valid bearer token is answered 401 at once: its
  body is never read or parsed (the token's *role* is still checked by the route, `auth.require`).
- Every body is capped (`ORDERLY_MAX_REQUEST_BYTES`): a declared `Content-Length` over the cap is refused before
  reading; a body sent without one (chunked) is refused as soon as the bytes read pass the cap. Either way the app
  sees an HTTP 413 with a clear message, which each surface answers in its own shape (the API's JSON error, a page
  in the customer's language, the codec server's JSON).
"""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .auth import token_refusal

BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def too_large(cap: int) -> HTTPException:
    return HTTPException(413, f"The request body is larger than this server accepts ({cap // 1024} KiB); nothing "
                              "was read or changed")


class RequestGuard:
    """`tokens()`: the configured API tokens (token -> role), read per request so a settings change applies;
    `cap`: the most bytes a body may have; `api_prefix`: the paths whose bodies need a token first (None: none)."""

    def __init__(self, app: ASGIApp, cap: int, tokens=None, api_prefix: str | None = "/api/") -> None:  # noqa: ANN001
        self.app, self.cap, self.tokens, self.api_prefix = app, cap, tokens, api_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if (self.api_prefix and scope["method"] in BODY_METHODS and scope["path"].startswith(self.api_prefix)
                and (refusal := token_refusal(self.tokens(), headers.get("authorization", "")))):
            await self.refuse(send, 401, "unauthorized", refusal, {"www-authenticate": "Bearer"})
            return
        declared = headers.get("content-length", "")
        if declared and (not declared.isascii() or not declared.isdigit()):
            await self.refuse(send, 400, "invalid", "The Content-Length header is not a number")
            return
        declared_too_large = bool(declared) and int(declared) > self.cap
        received = 0

        async def capped_receive() -> Message:
            nonlocal received
            if declared_too_large:
                raise too_large(self.cap)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.cap:
                    raise too_large(self.cap)
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
