"""Real local servers that stand in for the providers: an HTTP server that records requests (the SendGrid v3 API,
a department's webhook receiver) and an SMTP server (aiosmtpd). Each binds a free loopback port."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from models.webhook_signature import InvalidSignature, verify_request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int = 0  # what the server answered

    def json(self):
        return json.loads(self.body)


class RecordingHTTPServer:
    """Answers each POST with the next scripted response (default 202) and records it.

    `script` is a list of (status, body, headers) answered in order; after it runs out, `default` is answered.
    """

    def __init__(self, default: tuple[int, str, dict] = (202, "", {})) -> None:
        self.requests: list[Request] = []
        self.script: deque[tuple[int, str, dict]] = deque()
        self.default = default
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                request = Request("POST", self.path, dict(self.headers.items()), body)
                status, text, headers = outer.answer(request)
                request.status = status
                with outer.lock:
                    outer.requests.append(request)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(text.encode())))
                self.end_headers()
                self.wfile.write(text.encode())

            def log_message(self, *args) -> None:  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, request: Request) -> tuple[int, str, dict]:
        with self.lock:
            return self.script.popleft() if self.script else self.default

    def __enter__(self) -> "RecordingHTTPServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class WebhookReceiver(RecordingHTTPServer):
    """A department's receiver as its documentation would have it: verify the signature with Orderly's helper,
    then process each Idempotency-Key once (a repeat is answered 200 and not processed again)."""

    def __init__(self, secret: str) -> None:
        super().__init__(default=(200, "ok", {}))
        self.secret = secret
        self.processed: dict[str, dict] = {}
        self.rejected: list[str] = []

    def answer(self, request: Request) -> tuple[int, str, dict]:
        with self.lock:
            if self.script:
                return self.script.popleft()
        try:
            key = verify_request(self.secret, request.body, request.headers)
        except InvalidSignature as e:
            self.rejected.append(str(e))
            return 401, str(e), {}
        with self.lock:
            if key in self.processed:
                return 200, "duplicate", {}
            self.processed[key] = json.loads(request.body)
        return 200, "processed", {"X-Request-Id": f"wh-{len(self.processed)}"}


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage
    at: float = field(default_factory=time.monotonic)  # when the server accepted it


@dataclass
class SmtpSink:
    """A real SMTP server (aiosmtpd) on a free port; optionally with STARTTLS and login required."""

    tls_context: object = None
    login: tuple[str, str] | None = None
    refuse: dict[str, str] = field(default_factory=dict)  # recipient -> SMTP reply, e.g. "550 5.1.1 no such user"
    messages: list[Received] = field(default_factory=list)
    # Called (awaited, in the server's event loop) with each message before the server answers its DATA; it may
    # return an SMTP reply to answer instead (the message is then not received), or None to accept it. The fault
    # tests use it to act at the exact moment a provider accepts a message, or to hold a send open.
    on_data: Callable[[EmailMessage], Awaitable[str | None]] | None = None

    def __post_init__(self) -> None:
        self.port = free_port()
        sink = self

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
                if address in sink.refuse:
                    return sink.refuse[address]
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):  # noqa: N802
                message = message_from_bytes(envelope.content, policy=policy.default)
                if sink.on_data is not None and (reply := await sink.on_data(message)) is not None:
                    return reply
                sink.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
                return "250 Message accepted for delivery"

        def authenticate(server, session, envelope, mechanism, auth_data):  # noqa: ANN001
            ok = isinstance(auth_data, LoginPassword) and self.login is not None and (
                auth_data.login.decode(), auth_data.password.decode()) == self.login
            return AuthResult(success=ok, handled=False)

        kwargs = dict(hostname="127.0.0.1", port=self.port, server_hostname="localhost")
        if self.tls_context is not None:
            kwargs.update(tls_context=self.tls_context, require_starttls=True)
        if self.login is not None:
            kwargs.update(authenticator=authenticate, auth_required=True,
                          auth_require_tls=self.tls_context is not None)
        self.controller = Controller(Handler(), **kwargs)

    def __enter__(self) -> "SmtpSink":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages
