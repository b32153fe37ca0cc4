"""Secrets for the embedded stack: made once in `<var>/secrets.json` when settings do not provide them (the key that
signs customer links, one API token per role, the key that encrypts Temporal payloads)."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from pydantic import SecretStr

from models.catalog import load_catalog
from models.settings import Settings

from .payload_encryption import new_key

ROLES = ("service", "warehouse", "accounts", "manufacturer", "customer-service", "admin")


def with_dev_secrets(settings: Settings) -> Settings:
    """Fill in a secret key, one API token per role and a payload encryption key from `<var>/secrets.json`, creating
    it (or adding what an older one lacks) on first use."""
    path: Path = settings.var_dir / "secrets.json"
    stored = json.loads(path.read_text()) if path.exists() else {}
    missing = {}
    if "secret_key" not in stored:
        missing["secret_key"] = secrets.token_urlsafe(32)
    if "api_tokens" not in stored:
        makers = [f"manufacturer:{m.id}" for m in load_catalog(settings.catalog_path).manufacturers]
        roles = [r for role in ROLES for r in (makers if role == "manufacturer" else [role])]  # bound to its maker
        missing["api_tokens"] = {f"{role.replace(':', '-')}-{secrets.token_urlsafe(16)}": role for role in roles}
    if "encryption_keys" not in stored:
        key_id = f"dev-{secrets.token_hex(4)}"
        missing.update(encryption_keys={key_id: new_key()}, encryption_key_id=key_id)
    if missing:
        stored.update(missing)
        write_private(path, stored)
    return with_secrets(settings, stored)


def with_stored_secrets(settings: Settings) -> Settings:
    """What `orderly dev` stored in `<var>/secrets.json`, for settings that lack it; never creates the file.

    For the commands that talk to the embedded stack (the CLI, the codec server): they need its encryption key."""
    path: Path = settings.var_dir / "secrets.json"
    try:
        stored = json.loads(path.read_text())
    except (OSError, ValueError):
        return settings
    return with_secrets(settings, stored)


def with_secrets(settings: Settings, stored: dict) -> Settings:
    update: dict = {}
    if not settings.secret_key.get_secret_value() and stored.get("secret_key"):
        update["secret_key"] = SecretStr(stored["secret_key"])
    if not settings.api_tokens and stored.get("api_tokens"):
        update["api_tokens"] = stored["api_tokens"]
    if not settings.encryption_keys.get_secret_value() and stored.get("encryption_keys"):
        update["encryption_keys"] = SecretStr(json.dumps(stored["encryption_keys"]))
        if not settings.encryption_key_id:
            update["encryption_key_id"] = stored.get("encryption_key_id", "")
    return settings.model_copy(update=update) if update else settings


def write_private(path: Path, data: dict) -> None:
    """Write the file readable by its owner only, replacing any old one in one step."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # (as store.private_files.private_dir)
    os.chmod(path.parent, 0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=2)
    os.replace(tmp, path)


def token_for(settings: Settings, role: str) -> str:
    return next(token for token, r in settings.api_tokens.items() if r == role)
