"""Secrets for the embedded stack: made once in `<var>/secrets.json` when settings do not provide them."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from pydantic import SecretStr

from models.settings import Settings

ROLES = ("service", "warehouse", "accounts", "manufacturer", "customer-service", "admin")


def with_dev_secrets(settings: Settings) -> Settings:
    """Fill in a secret key and one API token per role from `<var>/secrets.json`, creating it on first use."""
    path: Path = settings.var_dir / "secrets.json"
    if path.exists():
        stored = json.loads(path.read_text())
    else:
        stored = {"secret_key": secrets.token_urlsafe(32),
                  "api_tokens": {f"{role}-{secrets.token_urlsafe(16)}": role for role in ROLES}}
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(stored, f, indent=2)
    update = {}
    if not settings.secret_key.get_secret_value():
        update["secret_key"] = SecretStr(stored["secret_key"])
    if not settings.api_tokens:
        update["api_tokens"] = stored["api_tokens"]
    return settings.model_copy(update=update) if update else settings


def token_for(settings: Settings, role: str) -> str:
    return next(token for token, r in settings.api_tokens.items() if r == role)
