"""Schemathesis fuzzes every operation in /openapi.json over HTTP (positive and negative inputs, with an admin
token) against the real app, dev server and worker: no input may produce a 500.

The order-id path parameter is pinned to a real, confirmed order, so the fuzzed staff actions reach the workflow's
validators instead of stopping at 404.
"""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

from starter import orders

from .conftest import sofa_form

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


async def test_no_input_makes_the_api_fail_with_a_server_error(web, client, settings, tmp_path):
    order = await orders.submit_order(client, settings, sofa_form())
    (tmp_path / "schemathesis.toml").write_text(f'[parameters]\n"path.order_id" = "{order.order_id}"\n')
    process = await asyncio.create_subprocess_exec(
        str(SCHEMATHESIS), "run", f"{web}/openapi.json", "--checks", "not_a_server_error",
        "--header", "Authorization: Bearer token-admin", "--max-examples", "25", "--workers", "1",
        "--seed", "20261129", "--generation-database", "none", "--phases", "examples,coverage,fuzzing",
        "--request-timeout", "30", "--no-color", "--report", "junit", "--report-dir", str(tmp_path),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=tmp_path)
    output, _ = await asyncio.wait_for(process.communicate(), timeout=600)
    text = output.decode(errors="replace")
    assert process.returncode == 0, text[-6000:]
    selected = re.search(r"Selected: (\d+)/(\d+)", text)
    assert selected and selected.group(1) == selected.group(2) and f"Tested: {selected.group(1)}" in text, text[-3000:]
    # the routes of an order reach the workflow (not 404s) with the pinned order id; a resend names a random key
    missing = text.split("Missing test data", 1)[1].split("\n\n", 2)[1] if "Missing test data" in text else ""
    assert "{order_id}" not in missing, text[-3000:]
    view = await orders.order_status(client, order.order_id)
    assert view.order_id == order.order_id, "the fuzzed order is still readable: the workflow survived it"
