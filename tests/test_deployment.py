"""What a deployment runs: `orderly web` on its own, `orderly worker` refusing settings that cannot work, and the
Temporal Cloud connection settings (API key, mTLS)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from temporalio.service import TLSConfig

from plumbing.connection import tls_config
from tests.test_observability import free_address

ORDERLY = str(Path(sys.executable).parent / "orderly")


def test_orderly_web_serves_health_and_readiness_against_the_server(dev_env, settings, tmp_path):
    host, port = free_address().split(":")
    env = {**os.environ, "TEMPORAL_ADDRESS": dev_env.client.service_client.config.target_host,
           "ORDERLY_VAR_DIR": str(settings.var_dir), "ORDERLY_SECRET_KEY": "test-secret-key",
           "ORDERLY_WEB_HOST": host, "ORDERLY_WEB_PORT": port, "ORDERLY_LOG_FORMAT": "json"}
    log = tmp_path / "web.log"
    proc = subprocess.Popen([ORDERLY, "web"], env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, f"orderly web exited:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"orderly web did not answer:\n{log.read_text()}"
            try:
                ready = httpx.get(f"http://{host}:{port}/readyz", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"] == {"temporal": "ok", "database": "ok"}
        assert "orderly_http_requests_total" in httpx.get(f"http://{host}:{port}/metrics", timeout=5).text
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_orderly_worker_refuses_tls_settings_that_cannot_work(tmp_path):
    env = {**os.environ, "ORDERLY_VAR_DIR": str(tmp_path), "ORDERLY_SECRET_KEY": "k", "TEMPORAL_ADDRESS": "x:7233",
           "TEMPORAL_TLS_CERT": str(tmp_path / "client.pem")}
    done = subprocess.run([ORDERLY, "worker"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together" in done.stderr


def test_temporal_cloud_settings(settings, tmp_path):
    assert tls_config(settings) is False  # the dev server: plain
    assert tls_config(settings.model_copy(update={"temporal_api_key": SecretStr("key")})) is True
    assert tls_config(settings.model_copy(update={"temporal_tls": True})) is True
    (tmp_path / "c.pem").write_bytes(b"CERT")
    (tmp_path / "k.pem").write_bytes(b"KEY")
    mtls = tls_config(settings.model_copy(update={"temporal_tls_cert": str(tmp_path / "c.pem"),
                                                  "temporal_tls_key": str(tmp_path / "k.pem")}))
    assert isinstance(mtls, TLSConfig) and mtls.client_cert == b"CERT" and mtls.client_private_key == b"KEY"
    with pytest.raises(ValueError, match="TEMPORAL_TLS_KEY: cannot read .*missing.pem"):
        tls_config(settings.model_copy(update={"temporal_tls_cert": str(tmp_path / "c.pem"),
                                               "temporal_tls_key": str(tmp_path / "missing.pem")}))
