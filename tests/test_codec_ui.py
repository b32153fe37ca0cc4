"""The Temporal Web UI (the dev server's own, in Debian's chromium) reads an order through `orderly codec-server`, as
docs/encryption.md tells staff to set it up: sign in on the codec server's page, then the UI's browser codec setting
with cross-origin credentials. Before that, the UI shows ciphertext."""

from __future__ import annotations

import re
import socket

import pytest
from temporalio.testing import WorkflowEnvironment

from models.settings import Settings
from starter import orders
from starter.codec_server import create_codec_app
from plumbing.payload_encryption import codec_for, data_converter_for
from tests.conftest import binary, running_worker, serving, sofa_form
from tests.test_browser import chromium  # noqa: F401  (the fixture)
from workflows.search_attributes import ALL as SEARCH_ATTRIBUTES

CUSTOMER = ("Ada Lovelace", "ada@example.com", "12 Analytical Row")
CIPHERTEXT = r'"[A-Za-z0-9+/]{200,}={0,2}"'  # base64 of an encrypted payload, as the UI quotes it
CIPHERTEXT_SHOWN = f"() => new RegExp({CIPHERTEXT!r}).test(document.body.innerText)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
async def ui_env():
    """A dev server with its Web UI on a free port (the session's server has none)."""
    ui_port = free_port()
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=binary("temporal"), ui=True, ui_port=ui_port, dev_server_log_level="error",
        search_attributes=SEARCH_ATTRIBUTES,
        data_converter=data_converter_for(Settings(_env_file=None)))
    yield env, f"http://127.0.0.1:{ui_port}"
    await env.shutdown()


async def test_the_web_ui_shows_the_order_once_signed_in_to_the_codec_server(ui_env, settings, chromium):  # noqa: F811
    env, ui = ui_env
    settings = settings.model_copy(update={"codec_cors_origins": ui})
    async with running_worker(env.client, settings):
        await orders.submit_order(env.client, settings, sofa_form(order_id="CODEC-UI"))
    run_id = (await orders.handle_for(env.client, "CODEC-UI").describe()).run_id

    async with serving(create_codec_app(settings, codec_for(settings))) as codec:
        page = await chromium.new_page(viewport={"width": 1300, "height": 1000})
        history = f"{ui}/namespaces/default/workflows/order-CODEC-UI/{run_id}/history"
        await page.goto(history)
        await page.get_by_text("Event History").first.wait_for()
        # The workflow's Input, as the UI shows a payload it cannot decode: the ciphertext, in quotes. Waiting for
        # it (not for a fixed time) means the check below reads a rendered payload, not a page still loading.
        await page.wait_for_function(CIPHERTEXT_SHOWN, timeout=20_000)
        shown = await page.evaluate("document.body.innerText")
        assert "Input" in shown and re.search(CIPHERTEXT, shown)
        assert not any(value in shown for value in CUSTOMER)

        # docs/encryption.md's steps: sign in on the codec server's page ...
        await page.goto(codec + "/")
        await page.fill("input[name=token]", "token-customer-service")
        await page.click("button[type=submit]")
        await page.get_by_text("Signed in").wait_for()
        # ... then the UI's Codec Server setting: this browser's endpoint, cross-origin credentials included
        await page.goto(history)
        await page.locator("[data-testid^='data-encoder-status']").click()
        await page.get_by_text("Use my browser setting and ignore Cluster-level setting.").click()
        await page.locator("textarea:visible").first.fill(codec)
        await page.get_by_text("Include cross-origin credentials").click()
        await page.locator("[data-testid=confirm-modal-button]:visible").click()
        await page.reload()
        await page.get_by_text("Ada Lovelace").first.wait_for(timeout=20_000)
        shown = await page.evaluate("document.body.innerText")
        assert all(value in shown for value in CUSTOMER)
