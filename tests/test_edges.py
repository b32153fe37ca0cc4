"""Issue 31, sections 2-4 on real servers: parameters at the edges answer 422 or are clamped (never 500), the
one-line type refuses format characters, email addresses Orderly cannot send to are refused, the per-email limit
counts the mailbox, the CLI never prints a traceback, the schema says what validation does, var/ is private, and
`orderly web` serves what it can while Temporal is away."""

from __future__ import annotations

import asyncio
import json
import re
import stat
import subprocess

import httpx
import pytest
from pydantic import TypeAdapter, ValidationError

from models.inputs import LINE_PATTERN, FORBIDDEN_IN_LINE, SingleLine
from models.settings import Settings
from models.validation import mailbox

from .conftest import sofa_form
from .test_bad_input import ORDERLY, auth
from .test_web_pages import staff_session
from .web_process import free_port, web_process


@pytest.mark.parametrize("query", ["offset=100000000000000000000", f"offset={2**63}", "q=a%F4%8F%BF%BF",
                                   "q=%E2%80%AEevil"])
async def test_api_parameters_at_the_edges_are_422_naming_the_field(web, query):
    async with httpx.AsyncClient(base_url=web, timeout=30) as http:
        answer = await http.get(f"/api/orders?{query}", headers=auth("admin"))
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["details"][0]["field"] == f"query.{query.split('=')[0]}"


async def test_console_pages_are_clamped_and_q_refused_with_a_page(web):
    console = await staff_session(web, "token-admin")
    try:
        for page in ("%C2%B2", "1" * 25, "-3", "0"):
            answer = await console.get(f"/staff?page-orders={page}")
            assert answer.status_code == 200, (page, answer.text[:300])
        refused = await console.get("/staff?q=a%F4%8F%BF%BF", headers={"Accept": "text/html"})
        assert refused.status_code == 422 and "<html" in refused.text
    finally:
        await console.aclose()


@pytest.mark.parametrize("char", ["\u202e", "\u200b", "\ufeff", "\u2066", "\u2069", "\U0010ffff"])
async def test_format_characters_are_refused_in_names_and_tracking_numbers(web, char):
    async with httpx.AsyncClient(base_url=web, timeout=30) as http:
        form = sofa_form().model_dump(mode="json")
        form["customer"]["name"] = f"Ada{char}Lovelace"
        answer = await http.post("/api/orders", json=form, headers=auth("service"))
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["details"][0]["field"] == "customer.name"
        assert f"U+{ord(char):04X}" in answer.text
    with pytest.raises(ValidationError):
        TypeAdapter(SingleLine).validate_python(char)  # a tracking number of a zero-width space, and the like


@pytest.mark.parametrize("email, words", [("josé.garcía@example.com", "part before the @"),
                                          ("\u0430dmin@example.com", "part before the @"),
                                          ("x@\u0430pple.com", "mixes alphabets")])
async def test_addresses_orderly_cannot_send_to_are_refused(web, email, words):
    async with httpx.AsyncClient(base_url=web, timeout=30) as http:
        form = sofa_form().model_dump(mode="json")
        form["customer"]["email"] = email
        answer = await http.post("/api/orders", json=form, headers=auth("service"))
    assert answer.status_code == 422 and words in answer.text, answer.text


def test_the_per_email_limit_counts_the_mailbox():
    assert len({mailbox(f"victim+{n}@example.com") for n in range(8)} | {mailbox("Victim@Example.COM")}) == 1
    assert mailbox("x@bücher.example") == mailbox("X@xn--bcher-kva.example")


def test_the_schema_pattern_and_the_validation_agree():
    """Every forbidden code point and a sample of allowed ones: the published pattern (read by Python's `re`, as a
    client generator would read it) accepts exactly what `SingleLine` accepts."""
    pattern = re.compile(LINE_PATTERN)
    adapter = TypeAdapter(SingleLine)
    sample = set(FORBIDDEN_IN_LINE) | set(range(0x20, 0x3000, 7)) | {0x1F600, 0x4E2D, 0xE9, 0x10FFFD}
    for code in sorted(sample):
        text = f"a{chr(code)}b"
        try:
            adapter.validate_python(text)
            accepted = True
        except ValidationError:
            accepted = False
        assert accepted == bool(pattern.fullmatch(text)), f"U+{code:04X}"


async def test_openapi_publishes_the_rules(web):
    async with httpx.AsyncClient(base_url=web, timeout=30) as http:
        schema = (await http.get("/openapi.json")).json()
    address = schema["components"]["schemas"]["Address"]["properties"]["line1"]
    assert address["pattern"] == LINE_PATTERN and address["maxLength"] == 200
    params = {p["name"]: p["schema"] for p in schema["paths"]["/api/orders"]["get"]["parameters"]}
    assert params["offset"]["maximum"] == 1_000_000_000 and params["q"]["pattern"] == LINE_PATTERN


@pytest.mark.usefixtures("worker")
async def test_the_cli_never_prints_a_traceback(client, settings, tmp_path):
    (tmp_path / "latin1.json").write_bytes(b'{"notes": "caf\xe9"}')
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    env = {"TEMPORAL_ADDRESS": client.service_client.config.target_host, "ORDERLY_VAR_DIR": str(settings.var_dir),
           "ORDERLY_TASK_QUEUE": settings.task_queue, "PATH": "/usr/bin:/bin", **{
               k: v for k, v in __import__("os").environ.items() if k.startswith("ORDERLY_ENCRYPTION")}}
    cases = [["submit", str(tmp_path / "latin1.json")], ["submit", str(tmp_path / "deep.json")],
             ["list", "--offset", "100000000000000000000"], ["list", "--offset", str(2**63)]]
    for args in cases:
        for as_json in (False, True):
            run = subprocess.run([ORDERLY, *args, *(["--json"] if as_json else [])], env=env, capture_output=True,
                                 text=True, timeout=120)
            assert run.returncode == 1, (args, run.stdout, run.stderr)
            assert "Traceback" not in run.stdout + run.stderr, (args, run.stderr)
            if as_json:
                assert json.loads(run.stdout)["error"]["kind"] == "invalid", run.stdout
            else:
                assert len(run.stderr.strip().splitlines()) == 1, run.stderr


@pytest.mark.usefixtures("worker")
async def test_var_is_private(web, settings, engine):
    async with httpx.AsyncClient(base_url=web, timeout=30) as http:
        placed = await http.post("/api/orders", json=sofa_form(order_id="PRIVATE-1").model_dump(mode="json"),
                                 headers=auth("service"))
        assert placed.status_code == 201
    for _ in range(100):
        emails = list((settings.var_dir / "outbox").rglob("*.eml"))
        if emails:
            break
        await asyncio.sleep(0.2)
    assert emails, "no email written"
    assert stat.S_IMODE(settings.var_dir.stat().st_mode) == 0o700
    for path in [*emails, *settings.var_dir.glob("*.db")]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for folder in [p for p in (settings.var_dir / "outbox").rglob("*") if p.is_dir()]:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


async def test_orderly_web_starts_without_temporal_and_reconnects(settings):
    from temporalio.testing import WorkflowEnvironment

    from plumbing.payload_encryption import data_converter_for
    from workflows.search_attributes import ALL as SEARCH_ATTRIBUTES

    from .conftest import binary, running_worker

    port = free_port()
    async with web_process(settings, f"127.0.0.1:{port}") as (base, _proc), \
            httpx.AsyncClient(base_url=base, timeout=60) as http:
        ready = await http.get("/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["database"] == "ok"
        assert "cannot reach Temporal" in ready.json()["checks"]["temporal"]
        assert (await http.get("/api/orders", headers=auth("admin"))).status_code == 200  # the read model
        assert (await http.get("/staff/login")).status_code == 200
        refused = await http.post("/api/orders", json=sofa_form(order_id="AWAY-1").model_dump(mode="json"),
                                  headers=auth("service"))
        assert refused.status_code == 503 and "Temporal cannot be reached" in refused.json()["error"]["message"]
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=binary("temporal"), search_attributes=SEARCH_ATTRIBUTES, port=port,
            data_converter=data_converter_for(settings), dev_server_log_level="error")
        try:
            async with running_worker(env.client, settings):
                for _ in range(100):
                    if (await http.get("/readyz")).status_code == 200:
                        break
                    await asyncio.sleep(0.2)
                assert (await http.get("/readyz")).status_code == 200, "it reconnected by itself"
                placed = await http.post("/api/orders", json=sofa_form(order_id="AWAY-1").model_dump(mode="json"),
                                         headers=auth("service"))
                assert placed.status_code == 201, placed.text
        finally:
            await env.shutdown()
