"""`orderly dev` (what `make run` starts) and the CLI, driven as a new user would, in real processes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.conftest import FAST_POLICY

ROOT = Path(__file__).resolve().parents[1]
ORDERLY = str(Path(sys.executable).parent / "orderly")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    def __init__(self, var_dir: Path) -> None:
        self.port, self.ui_port, self.web_port = free_port(), free_port(), free_port()
        self.env = {**os.environ, **FAST_POLICY, "ORDERLY_VAR_DIR": str(var_dir), "ORDERLY_FEEDBACK_DELAY": "1",
                    "TEMPORAL_ADDRESS": f"127.0.0.1:{self.port}"}
        self.log = var_dir.parent / f"dev-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> str:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen([ORDERLY, "dev", "--port", str(self.port), "--ui-port", str(self.ui_port),
                                      "--web-port", str(self.web_port)],
                                     env=self.env, cwd=ROOT, stdout=open(self.log, "w"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while "Orderly is running" not in self.output():
            assert self.proc.poll() is None, f"orderly dev exited early:\n{self.output()}"
            assert time.monotonic() < deadline, f"orderly dev did not start:\n{self.output()}"
            time.sleep(0.3)
        return self.output()

    def output(self) -> str:
        return self.log.read_text()

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout=30)

    def cli(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([ORDERLY, *args], env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=60)
        if ok:
            assert done.returncode == 0, f"orderly {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done

    def json(self, *args: str):
        return json.loads(self.cli(*args, "--json").stdout)

    def wait_status(self, order: str, status: str) -> dict:
        deadline = time.monotonic() + 30
        while (view := self.json("status", order))["status"] != status:
            assert time.monotonic() < deadline, f"{order} stayed {view['status']}, never {status}"
            time.sleep(0.3)
        return view


@pytest.fixture
def stack(tmp_path):
    s = Stack(tmp_path / "var")
    yield s
    if s.proc and s.proc.poll() is None:
        s.proc.send_signal(signal.SIGINT)
        try:
            s.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            s.proc.kill()
            s.proc.wait()


def test_a_demo_order_from_submission_to_feedback_and_orders_survive_a_restart(stack, tmp_path):
    banner = stack.start()
    assert f"http://127.0.0.1:{stack.ui_port}/namespaces/default/workflows" in banner
    assert f"127.0.0.1:{stack.port}" in banner
    assert f"Staff console    http://127.0.0.1:{stack.web_port}/staff" in banner
    catalog_over_http = json.loads(subprocess.run(["curl", "-sf", f"http://127.0.0.1:{stack.web_port}/api/catalog"],
                                                  capture_output=True, text=True, timeout=30).stdout)
    assert catalog_over_http["currency"] == "USD"

    catalog = stack.json("catalog")
    assert {t["name"] for t in catalog["product_types"]} >= {"sofa", "table"}

    incomplete = json.loads((ROOT / "examples" / "sofa-missing-fabric.json").read_text())
    incomplete["order_id"] = "DEMO-1"
    (tmp_path / "order.json").write_text(json.dumps(incomplete))
    result = stack.json("submit", str(tmp_path / "order.json"))
    assert result["status"] == "incomplete"
    assert [p["field"] for p in result["problems"]] == ["lines[0].options.fabric"]
    human = stack.cli("submit", str(tmp_path / "order.json")).stdout
    assert "already exists" in human

    refused = stack.cli("ship", "DEMO-1", "--carrier", "UPS", "--tracking", "1Z", "--delivery-date", "2099-01-01",
                        ok=False)
    assert refused.returncode == 1 and "its form is incomplete" in refused.stderr

    assert stack.json("complete", "DEMO-1", str(ROOT / "examples" / "sofa-complete.json"))["problems"] == []
    view = stack.wait_status("DEMO-1", "confirmed")
    assert view["expected_fulfillment_date"]
    assert stack.json("list", "--status", "confirmed")[0]["order_id"] == "DEMO-1"

    stack.cli("ack", "DEMO-1", "--department", "warehouse")
    bad = stack.cli("ack", "DEMO-1", "--department", "nobody", "--json", ok=False)
    assert bad.returncode == 1 and json.loads(bad.stdout)["error"]["kind"] == "refused"
    bad_date = stack.cli("delay", "DEMO-1", "--until", "31/12/2026", "--reason", "x", ok=False)
    assert bad_date.returncode == 1 and "--until must be a date like 2026-12-31" in bad_date.stderr
    delivery = (date.today() + timedelta(days=10)).isoformat()
    stack.cli("ship", "DEMO-1", "--carrier", "UPS", "--tracking", "1Z999", "--delivery-date", delivery)
    stack.wait_status("DEMO-1", "shipped")
    stack.cli("deliver", "DEMO-1")
    deadline = time.monotonic() + 30
    while not any(m["kind"] == "feedback_request" for m in stack.json("outbox", "--order", "DEMO-1")):
        assert time.monotonic() < deadline, "feedback was never requested"
        time.sleep(0.3)
    stack.cli("feedback", "DEMO-1", "--rating", "5", "--comment", "Great")
    stack.wait_status("DEMO-1", "completed")

    kinds = [m["kind"] for m in stack.json("outbox", "--order", "DEMO-1")]
    assert kinds.count("order_confirmation") == 1 and "shipping_notice" in kinds
    emls = sorted(p.name for p in (tmp_path / "var" / "outbox" / "DEMO-1").glob("*.eml"))
    assert "order_confirmation_customer_1.eml" in emls and len(emls) == len(kinds)

    assert stack.stop() == 0
    assert "stopped; orders are kept" in stack.output()
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", stack.port)) != 0, "the Temporal server outlived Ctrl-C"

    stack.start()
    view = stack.json("status", "DEMO-1")
    assert view["status"] == "completed" and view["feedback"]["rating"] == 5
    assert stack.stop() == 0


def test_cli_reports_errors_clearly(stack, tmp_path):
    stack.start()
    missing = stack.cli("status", "NOPE", ok=False)
    assert missing.returncode == 1 and "No order 'NOPE'" in missing.stderr
    (tmp_path / "broken.json").write_text("{not json")
    broken = stack.cli("submit", str(tmp_path / "broken.json"), ok=False)
    assert broken.returncode == 1 and "is not valid JSON" in broken.stderr
    (tmp_path / "wrong.json").write_text(json.dumps({"channel": "fax", "lines": [{"sku": "X", "quantity": "two"}]}))
    wrong = stack.cli("submit", str(tmp_path / "wrong.json"), "--json", ok=False)
    fields = {d["field"] for d in json.loads(wrong.stdout)["error"]["details"]}
    assert fields == {"channel", "lines.0.quantity"}
    rating = stack.cli("feedback", "NOPE", "--rating", "7", ok=False)
    assert rating.returncode == 1 and "rating: Input should be less than or equal to 5" in rating.stderr
    unreachable = subprocess.run([ORDERLY, "status", "X"], capture_output=True, text=True, cwd=ROOT,
                                 env={**stack.env, "TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}"}, timeout=60)
    assert unreachable.returncode == 1 and "cannot reach Temporal" in unreachable.stderr
    assert stack.stop() == 0
