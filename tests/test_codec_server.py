"""`orderly codec-server` over real HTTP: the Temporal codec-server protocol, who may call it, CORS for the Web UI,
and the `temporal` CLI showing a real order's history in plaintext through it."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import subprocess

import httpx
import pytest
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from models.settings import Settings
from starter import orders
from starter.codec_server import SESSION_COOKIE, create_codec_app
from plumbing.payload_encryption import ENCODING, EncryptionCodec, codec_for, new_key
from tests.conftest import TOKENS, binary, serving, sofa_form

UI = "http://127.0.0.1:8233"


def as_json(payloads: list[Payload]) -> dict:
    return json_format.MessageToDict(Payloads(payloads=payloads))


def from_json(body: dict) -> list[Payload]:
    return list(json_format.ParseDict(body, Payloads()).payloads)


def customer() -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=b'{"name": "Ada Lovelace", "email": "ada@example.com"}')


@pytest.fixture
async def codec_server(settings: Settings):
    async with serving(create_codec_app(settings, codec_for(settings))) as url:
        yield url


async def encrypted(settings: Settings) -> dict:
    return as_json(await codec_for(settings).encode([customer()]))


async def test_decode_with_an_allowed_role_returns_the_plaintext(codec_server, settings):
    body = await encrypted(settings)
    assert "Ada" not in json.dumps(body)
    async with httpx.AsyncClient(base_url=codec_server) as http:
        for token in ("token-admin", "token-customer-service"):
            answer = await http.post("/decode", json=body, headers={"Authorization": f"Bearer {token}",
                                                                       "X-Namespace": "default"})
            assert answer.status_code == 200, answer.text
            assert from_json(answer.json()) == [customer()]
            assert base64.b64decode(answer.json()["payloads"][0]["data"]).startswith(b'{"name": "Ada Lovelace"')

        sealed = await http.post("/encode", json=as_json([customer()]), headers={"Authorization": "Bearer token-admin"})
        assert sealed.status_code == 200
        [payload] = from_json(sealed.json())
        assert payload.metadata["encoding"] == ENCODING and b"Ada" not in payload.data
        assert await codec_for(settings).decode([payload]) == [customer()]


async def test_no_token_or_an_invalid_one_is_401_and_a_role_without_access_is_403(codec_server, settings):
    body = await encrypted(settings)
    async with httpx.AsyncClient(base_url=codec_server) as http:
        for headers in ({}, {"Authorization": "Bearer token-nobody"}, {"Authorization": "Basic dG9rZW4tYWRtaW4="}):
            for path in ("/decode", "/encode"):
                refused = await http.post(path, json=body, headers=headers)
                assert refused.status_code == 401, (path, headers)
                assert refused.json()["error"]["kind"] == "unauthorized"
                assert refused.headers["www-authenticate"] == "Bearer"
                assert "Ada" not in refused.text
        for role in ("warehouse", "service", "accounts", "manufacturer"):
            refused = await http.post("/decode", json=body, headers={"Authorization": f"Bearer token-{role}"})
            assert refused.status_code == 403
            assert refused.json()["error"]["message"] == (f"The {role} role cannot read customer data; it needs one "
                                                          "of: admin, customer-service")


async def test_bad_bodies_and_undecodable_payloads_get_clear_errors(codec_server, settings):
    admin = {"Authorization": "Bearer token-admin"}
    [foreign] = await EncryptionCodec({"2024-old": bytes(32)}, "2024-old").encode([customer()])
    async with httpx.AsyncClient(base_url=codec_server, headers=admin) as http:
        bad = await http.post("/decode", content=b'{"payloads": "nope"}')
        assert bad.status_code == 400 and bad.json()["error"]["kind"] == "invalid"
        unknown = await http.post("/decode", json=as_json([foreign]))
        assert unknown.status_code == 422
        assert "key id '2024-old', which is not among the configured keys (test-1)" in unknown.json()["error"]["message"]
        # payloads from before encryption come back as they are
        old = await http.post("/decode", json=as_json([customer()]))
        assert from_json(old.json()) == [customer()]


async def test_cors_answers_the_web_ui_origin_only(codec_server):
    preflight = {"Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization,content-type,x-namespace"}
    async with httpx.AsyncClient(base_url=codec_server) as http:
        ok = await http.options("/decode", headers={"Origin": UI, **preflight})
        assert ok.status_code == 200
        assert ok.headers["access-control-allow-origin"] == UI
        assert ok.headers["access-control-allow-credentials"] == "true"
        assert "authorization" in ok.headers["access-control-allow-headers"].lower()
        other = await http.options("/decode", headers={"Origin": "https://evil.example", **preflight})
        assert other.status_code == 400 and "access-control-allow-origin" not in other.headers


async def test_the_web_ui_signs_in_once_and_its_cookie_stands_for_the_token(codec_server, settings):
    body = await encrypted(settings)
    async with httpx.AsyncClient(base_url=codec_server) as http:
        page = await http.get("/")
        assert page.status_code == 200 and 'name="token"' in page.text
        wrong = await http.post("/session", data={"token": "token-warehouse", "form": form_token(page.text)})
        assert wrong.status_code == 403 and "cannot read customer data" in wrong.text
        assert SESSION_COOKIE not in http.cookies
        signed_in = await http.post("/session", data={"token": "token-customer-service",
                                                      "form": form_token(wrong.text)})
        assert signed_in.status_code == 303
        cookie = signed_in.cookies[SESSION_COOKIE]
        assert "token-customer-service" not in cookie  # the cookie is a signed session, not the token
        set_cookie = signed_in.headers["set-cookie"].lower()
        assert "httponly" in set_cookie and "samesite=strict" in set_cookie
        decoded = await http.post("/decode", json=body, headers={"Origin": UI})
        assert decoded.status_code == 200 and from_json(decoded.json()) == [customer()]
        assert decoded.headers["access-control-allow-origin"] == UI

        http.cookies.set(SESSION_COOKIE, cookie[:-2] + "xx")
        forged = await http.post("/decode", json=body)
        assert forged.status_code == 401 and "sign in again" in forged.json()["error"]["message"]


@pytest.mark.usefixtures("worker")
async def test_the_temporal_cli_shows_a_real_order_decoded_through_the_codec_server(codec_server, client, settings):
    await orders.submit_order(client, settings, sofa_form(order_id="CODEC-CLI"))
    address = client.service_client.config.target_host

    async def show(*codec: str) -> str:
        proc = await asyncio.create_subprocess_exec(
            binary("temporal"), "workflow", "show", "--workflow-id", "order-CODEC-CLI", "--address", address,
            "--namespace", client.namespace, "--detailed", *codec, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, err.decode()
        return out.decode()

    raw = await show()
    assert "Ada Lovelace" not in raw and "ada@example.com" not in raw and "12 Analytical Row" not in raw
    decoded = await show("--codec-endpoint", codec_server, "--codec-auth", "Bearer token-customer-service")
    for value in ("customer.name: Ada Lovelace", "customer.email: ada@example.com", "customer.phone: +1 555 0199",
                  "shipping_address.line1: 12 Analytical Row"):
        assert value in decoded


def test_the_codec_server_refuses_to_start_when_it_could_not_serve_anyone(tmp_path, monkeypatch):
    from starter.codec_server import main
    monkeypatch.delenv("ORDERLY_ENCRYPTION_KEYS")
    monkeypatch.delenv("ORDERLY_ENCRYPTION_KEY_ID")
    base = dict(_env_file=None, var_dir=tmp_path / "var")
    with pytest.raises(SystemExit, match="Temporal payload encryption has no key"):
        main(Settings(**base, api_tokens=TOKENS), None, None)
    with pytest.raises(SystemExit, match="ORDERLY_ENCRYPTION is off and no ORDERLY_ENCRYPTION_KEYS"):
        main(Settings(**base, api_tokens=TOKENS, encryption="off"), None, None)
    with pytest.raises(SystemExit, match="no token with one of the roles admin, customer-service"):
        main(Settings(**base, encryption_keys=f"a:{new_key()}", api_tokens={"t": "warehouse"}), None, None)


def form_token(page: str) -> str:
    return re.search(r'name="form" value="([^"]+)"', page).group(1)


async def signed_in_browser(http: httpx.AsyncClient, token: str) -> None:
    page = await http.get("/")
    signed_in = await http.post("/session", data={"token": token, "form": form_token(page.text)})
    assert signed_in.status_code == 303, signed_in.text
    assert SESSION_COOKIE in http.cookies


async def test_a_removed_token_s_session_is_refused_at_once(codec_server, settings):
    """The session cookie stands for a token only while that token is configured: removing the token (or giving it
    a role that does not read customer data) ends its sessions on the next request, not 8 hours later."""
    body = await encrypted(settings)
    tokens = dict(settings.api_tokens)
    try:
        async with httpx.AsyncClient(base_url=codec_server) as http:
            await signed_in_browser(http, "token-customer-service")
            assert (await http.post("/decode", json=body)).status_code == 200
            settings.api_tokens.pop("token-customer-service")
            for path in ("/decode", "/encode"):
                refused = await http.post(path, json=body)
                assert refused.status_code == 401, (path, refused.text)
                assert "no longer configured" in refused.json()["error"]["message"]
                assert "Ada" not in refused.text
        settings.api_tokens.update(tokens)
        async with httpx.AsyncClient(base_url=codec_server) as http:
            await signed_in_browser(http, "token-admin")
            assert (await http.post("/decode", json=body)).status_code == 200
            settings.api_tokens["token-admin"] = "warehouse"  # the same token, demoted
            assert (await http.post("/decode", json=body)).status_code == 401
            settings.api_tokens["token-admin"] = "admin"
            assert (await http.post("/decode", json=body)).status_code == 200, "restored: the session works again"
    finally:
        settings.api_tokens.clear()
        settings.api_tokens.update(tokens)


async def test_encode_refuses_roles_that_do_not_read_customer_data(codec_server):
    async with httpx.AsyncClient(base_url=codec_server) as http:
        for role in ("warehouse", "service", "accounts", "manufacturer"):
            refused = await http.post("/encode", json=as_json([customer()]),
                                      headers={"Authorization": f"Bearer token-{role}"})
            assert refused.status_code == 403, role
            assert refused.json()["error"]["kind"] == "forbidden"
            assert "payloads" not in refused.json()


async def test_a_codec_session_expires_after_8_hours(codec_server, settings, monkeypatch):
    """The session's age is read from its signed timestamp: the clock is moved forward in this process (where the
    codec server runs), to just before and just after SESSION_MAX_AGE."""
    import time

    from itsdangerous.timed import TimestampSigner

    from starter.codec_server import SESSION_MAX_AGE

    body = await encrypted(settings)
    async with httpx.AsyncClient(base_url=codec_server) as http:
        await signed_in_browser(http, "token-admin")
        signed_at = int(time.time())
        monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: signed_at + SESSION_MAX_AGE - 60)
        assert (await http.post("/decode", json=body)).status_code == 200, "a minute before the end: still valid"
        monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: signed_at + SESSION_MAX_AGE + 60)
        expired = await http.post("/decode", json=body)
        assert expired.status_code == 401 and "has expired" in expired.json()["error"]["message"]
        assert "Ada" not in expired.text


async def test_sign_in_is_refused_from_another_origin_or_without_the_page_s_form_token(codec_server):
    """Issue 31, section 3: a login CSRF. A page on another site can make a browser post a token of its own to
    /session (signing the browser in as the attacker); the post must come from the codec server's own page: its
    Origin, and the form token that page set in this browser's cookie."""
    async with httpx.AsyncClient(base_url=codec_server) as http:
        page = await http.get("/")
        token = form_token(page.text)
        set_cookie = page.headers["set-cookie"].lower()
        assert "httponly" in set_cookie and "samesite=strict" in set_cookie
        elsewhere = await http.post("/session", data={"token": "token-admin", "form": token},
                                    headers={"Origin": "https://evil.example"})
        assert elsewhere.status_code == 403 and "another site" in elsewhere.text
        without = await http.post("/session", data={"token": "token-admin"}, headers={"Origin": codec_server})
        assert without.status_code == 403 and "expired" in without.text
        forged = await http.post("/session", data={"token": "token-admin", "form": "guessed"})
        assert forged.status_code == 403
        assert SESSION_COOKIE not in http.cookies
        page = await http.get("/")
        ok = await http.post("/session", data={"token": "token-admin", "form": form_token(page.text)},
                             headers={"Origin": codec_server})
        assert ok.status_code == 303 and SESSION_COOKIE in http.cookies


async def test_a_body_over_the_cap_is_refused_413_before_it_is_read(codec_server, settings):
    async with httpx.AsyncClient(base_url=codec_server) as http:
        big = b'{"payloads": [' + b" " * (settings.max_request_bytes + 1) + b"]}"
        answer = await http.post("/decode", content=big, headers={"Authorization": "Bearer token-admin",
                                                                  "Content-Type": "application/json"})
    assert answer.status_code == 413, answer.text
    assert answer.json()["error"]["kind"] == "too_large" and "larger than this server accepts" in answer.text
