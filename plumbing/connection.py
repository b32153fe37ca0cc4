"""Connecting to Temporal with the converter every Orderly client and worker uses (pydantic, payloads encrypted).

The dev server and a self-hosted cluster need only the address and namespace. Temporal Cloud needs TLS and either an
API key (`TEMPORAL_API_KEY`) or a client certificate (`TEMPORAL_TLS_CERT` / `TEMPORAL_TLS_KEY`, mTLS).
"""

from __future__ import annotations

from pathlib import Path

from temporalio.client import Client
from temporalio.runtime import Runtime
from temporalio.service import TLSConfig

from models.settings import Settings

from .payload_encryption import data_converter_for, lenient_converter


def tls_config(settings: Settings) -> TLSConfig | bool:
    """TLS from settings: False for plain connections, True for TLS with the system's CAs, or a TLSConfig."""
    cert, key, ca = settings.temporal_tls_cert, settings.temporal_tls_key, settings.temporal_tls_ca
    if bool(cert) != bool(key):
        raise ValueError("TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together (mTLS needs the certificate and its key)")
    if not (cert or ca):
        return settings.temporal_tls or bool(settings.temporal_api_key.get_secret_value())

    def read(name: str, path: str) -> bytes | None:
        if not path:
            return None
        try:
            return Path(path).read_bytes()
        except OSError as e:
            raise ValueError(f"{name}: cannot read {path}: {e.strerror}") from None

    return TLSConfig(client_cert=read("TEMPORAL_TLS_CERT", cert), client_private_key=read("TEMPORAL_TLS_KEY", key),
                     server_root_ca_cert=read("TEMPORAL_TLS_CA", ca))


async def connect(settings: Settings, runtime: Runtime | None = None) -> Client:
    """A client whose payloads are encrypted (`payload_encryption.py`); ValueError when the settings cannot work."""
    api_key = settings.temporal_api_key.get_secret_value() or None
    return await Client.connect(settings.temporal_address, namespace=settings.temporal_namespace,
                                data_converter=data_converter_for(settings), tls=tls_config(settings),
                                api_key=api_key, runtime=runtime)


def worker_client(client: Client) -> Client:
    """The same connection for a worker, with the lenient codec (`payload_encryption.lenient_converter`): a payload
    nobody can decrypt reaches the workflow as a placeholder it drops, instead of failing each of its workflow tasks."""
    converter = lenient_converter(client.data_converter)
    if converter is client.data_converter:
        return client
    return Client(**{**client.config(), "data_converter": converter})
