"""Who can reach what: every API route and every console action against every role, customer links, and no
secret in the logs."""

from __future__ import annotations

import asyncio
import io
import logging

import httpx
import pytest
import uvicorn

from models.links import sign
from plumbing.observability import setup_logging
from starter.actions import ALLOWED, ROLES, STAFF_ROLES
from plumbing.redaction import redact

from .conftest import TOKENS, sofa_form, wait_for
from .test_web_pages import hidden

API_ROUTES = {  # action -> (method, path, body): bodies that are malformed, so an allowed call stops at 404/422
    "create": ("POST", "/api/orders", {"channel": "fax"}),
    "read": ("GET", "/api/orders/NOPE", None),
    "complete_form": ("POST", "/api/orders/NOPE/form", {"lines": "x"}),
    "acknowledge": ("POST", "/api/orders/NOPE/acknowledgements", {}),
    "delay": ("POST", "/api/orders/NOPE/delays", {}),
    "ship": ("POST", "/api/orders/NOPE/shipments", {}),
    "correct_shipment": ("POST", "/api/orders/NOPE/shipment-corrections", {"carrier": ""}),
    "resend": ("POST", "/api/messages/resend", {"key": "NOPE/order_confirmation/customer/1"}),
    "deliver": ("POST", "/api/orders/NOPE/delivery", None),
    "cancel": ("POST", "/api/orders/NOPE/cancellation", {}),
    "feedback": ("POST", "/api/orders/NOPE/feedback", {}),
    "call_outcome": ("POST", "/api/orders/NOPE/call-outcomes", {}),
    "ready": ("POST", "/api/orders/NOPE/readiness", {}),
    "amend": ("POST", "/api/orders/NOPE/amendments", {}),
    "request": ("POST", "/api/orders/NOPE/requests", {}),
    "resolve_request": ("POST", "/api/orders/NOPE/request-resolutions", {}),
    "payment": ("POST", "/api/orders/NOPE/payments", {}),
    "refund": ("POST", "/api/orders/NOPE/refunds", {"amount": "1.00"}),
    "insights": ("GET", "/api/insights?from=2026-13-01", None),  # not a day: an allowed call stops at 422
}
READ_ROUTES = {  # routes of the `read` permission besides API_ROUTES["read"], and what an allowed call answers
    "list": ("GET", "/api/orders", None, 200),
    "messages": ("GET", "/api/orders/NOPE/messages", None, 404),  # the order is looked up first
}
PUBLIC_ROUTES = {("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/api/catalog")}  # no token needed
CONSOLE_ACTIONS = ("acknowledge", "delay", "ready", "ship", "correct_shipment", "deliver", "cancel", "feedback",
                   "call_outcome", "resolve_request", "payment", "refund")


def matrix_routes() -> set[tuple[str, str]]:
    routes = [*API_ROUTES.values(), *(route[:3] for route in READ_ROUTES.values())]
    return {(method, path.split("?")[0].replace("/NOPE", "/{order_id}")) for method, path, _ in routes}


def test_every_action_has_a_route_and_every_route_is_in_the_matrix(settings):
    """The test's tables against the app's own routes (its OpenAPI paths): a route added without a row here, or a
    row for a route that is gone, fails. (It used to compare the table with ALLOWED only, and two read routes, the
    order list and an order's messages, were in no matrix.)"""
    from starter.web_app import create_app

    assert set(API_ROUTES) == set(ALLOWED)
    app_routes = {(method.upper(), path) for path, operations in create_app(settings, None).openapi()["paths"].items()
                  for method in operations}
    assert app_routes - PUBLIC_ROUTES == matrix_routes(), (app_routes - PUBLIC_ROUTES) ^ matrix_routes()
    assert PUBLIC_ROUTES <= app_routes


async def test_the_public_routes_need_no_token_and_the_other_read_routes_follow_the_matrix(web):
    async with httpx.AsyncClient(base_url=web, timeout=30) as http:
        for method, path in sorted(PUBLIC_ROUTES):
            response = await http.request(method, path)
            assert response.status_code in (200, 503) and response.status_code != 401, (path, response.status_code)
        for name, (method, path, body, allowed_status) in READ_ROUTES.items():
            anonymous = await http.request(method, path, json=body)
            assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer", name
            forged = await http.request(method, path, json=body, headers={"Authorization": "Bearer token-admin2"})
            assert forged.status_code == 401, name
            for role in ROLES:
                response = await http.request(method, path, headers={"Authorization": f"Bearer token-{role}"})
                expected = allowed_status if role in ALLOWED["read"] else 403
                assert response.status_code == expected, (name, role, response.status_code, response.text)


async def test_every_api_route_against_every_role(web):
    async with httpx.AsyncClient(base_url=web, timeout=30) as http:
        for action, (method, path, body) in API_ROUTES.items():
            anonymous = await http.request(method, path, json=body)
            assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer", action
            forged = await http.request(method, path, json=body, headers={"Authorization": "Bearer token-admin2"})
            assert forged.status_code == 401, action
            for role in ROLES:
                response = await http.request(method, path, json=body,
                                              headers={"Authorization": f"Bearer token-{role}"})
                allowed = role in ALLOWED[action]
                assert (response.status_code == 403) != allowed, (action, role, response.status_code, response.text)
                if allowed:
                    assert response.status_code in (404, 422), (action, role, response.text)


async def test_every_console_action_against_every_staff_role(web):
    for role in ROLES:
        async with httpx.AsyncClient(base_url=web, timeout=30) as browser:
            login = await browser.get("/staff/login")
            csrf = hidden(login.text, "csrf")
            signed_in = await browser.post("/staff/login", data={"csrf": csrf, "token": f"token-{role}"})
            if role not in STAFF_ROLES:
                assert signed_in.status_code == 401 and "not a staff token" in signed_in.text
                continue
            assert signed_in.status_code == 303
            for action in CONSOLE_ACTIONS:
                response = await browser.post(f"/staff/orders/NOPE/{action}", data={"csrf": csrf})
                allowed = role in ALLOWED[action]
                assert (response.status_code == 403) != allowed, (action, role, response.status_code)
                assert response.status_code in ((404, 422) if allowed else (403,)), (action, role, response.text)
            if role == "admin":  # signed in and allowed, but the form does not carry the browser's CSRF token
                no_csrf = await browser.post("/staff/orders/NOPE/deliver", data={})
                assert no_csrf.status_code == 403 and "This form has expired" in no_csrf.text


async def test_a_console_session_ends_when_its_token_is_removed(web, settings):
    async with httpx.AsyncClient(base_url=web, timeout=30) as browser:
        login = await browser.get("/staff/login")
        await browser.post("/staff/login", data={"csrf": hidden(login.text, "csrf"), "token": "token-warehouse"})
        assert (await browser.get("/staff")).status_code == 200
        tokens = dict(settings.api_tokens)
        settings.api_tokens.pop("token-warehouse")
        try:
            assert (await browser.get("/staff")).status_code == 303, "a revoked token's session is over"
        finally:
            settings.api_tokens.clear()
            settings.api_tokens.update(tokens)
        browser.cookies.set("orderly_staff", "forged-session", path="/staff")
        assert (await browser.get("/staff")).status_code == 303


async def test_customer_links_refuse_tampering_other_orders_and_other_purposes(web, client, settings):
    from starter import orders
    await orders.submit_order(client, settings, sofa_form(order_id="LINK-A"))
    await orders.submit_order(client, settings, sofa_form(order_id="LINK-B"))
    secret = settings.secret_key.get_secret_value()
    token = sign(secret, "LINK-A", "status")
    async with httpx.AsyncClient(base_url=web, timeout=30) as http:
        assert (await http.get(f"/orders/LINK-A?t={token}")).status_code == 200
        cases = {
            "tampered": f"/orders/LINK-A?t={token[:-2]}xy",
            "other order": f"/orders/LINK-B?t={token}",
            "other purpose": f"/orders/LINK-A/survey?t={token}",
            "no token": "/orders/LINK-A",
            "other key": f"/orders/LINK-A?t={sign('another-secret', 'LINK-A', 'status')}",
            "form link as status link": f"/orders/LINK-A?t={sign(secret, 'LINK-A', 'form')}",
        }
        for case, path in cases.items():
            response = await http.get(path)
            assert response.status_code == 403 and "This link cannot be used" in response.text, case
            assert "LINK-A" not in response.text.split("</header>")[1] or case == "other order", case


def test_link_tokens_and_bearer_tokens_are_redacted():
    assert redact('127.0.0.1 - "GET /orders/A-1?t=eyJabc.def-ghi HTTP/1.1" 200') == \
        '127.0.0.1 - "GET /orders/A-1?t=[redacted] HTTP/1.1" 200'
    assert redact("Authorization: Bearer token-admin") == "Authorization: Bearer [redacted]"
    assert redact('{"password": "hunter2"}') == '{"password": "[redacted]"}'


async def test_no_secret_reaches_the_logs(client, settings, worker):
    """A lifecycle through a web server that logs every request (access log on), in the app's own log format."""
    from starter.web_app import create_app

    stream = io.StringIO()
    handler = setup_logging(settings.model_copy(update={"log_format": "json", "log_level": "DEBUG"}), stream)
    server = uvicorn.Server(uvicorn.Config(create_app(settings, client), host="127.0.0.1", port=0,
                                           log_config=None, access_log=True, log_level="info"))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            headers = {"Authorization": "Bearer token-admin"}
            created = await http.post("/api/orders", json=sofa_form(order_id="LOGS-1").model_dump(
                mode="json", exclude_none=True), headers=headers)
            assert created.status_code == 201, created.text
            await wait_for(client, "LOGS-1", lambda v: bool(v.work_orders) and v.status.value != "received")
            link = sign(settings.secret_key.get_secret_value(), "LOGS-1", "status")
            assert (await http.get(f"/orders/LOGS-1?t={link}")).status_code == 200
            await http.get("/api/orders/LOGS-1", headers={"Authorization": "Bearer token-wrong"})
    finally:
        server.should_exit = True
        await task
        logging.getLogger().removeHandler(handler)
    logs = stream.getvalue()
    assert "/orders/LOGS-1?t=[redacted]" in logs, "the access log was captured, with the link token masked"
    secrets = [link, settings.secret_key.get_secret_value(), *TOKENS, "token-wrong"]
    for secret in secrets:
        assert secret not in logs, f"a secret reached the logs: {secret[:6]}…"
