"""Local state readable by its owner only: the var directory 0700 and the files in it 0600 (the outbox's `.eml`
files hold customer data and working customer links; the SQLite read model the orders)."""

from __future__ import annotations

import os
from pathlib import Path


def private_dir(path: Path) -> Path:
    """Make `path` (and any missing parents) with mode 0700; an existing one is narrowed to 0700."""
    for missing in reversed([p for p in (path, *path.parents) if not p.exists()]):
        missing.mkdir(mode=0o700, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def private_file(path: Path) -> Path:
    """Create `path` empty with mode 0600 if it is missing; an existing one is narrowed to 0600."""
    private_dir(path.parent)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    os.chmod(path, 0o600)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path` with mode 0600, replacing any old file in one step."""
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
        f.write(data)
    os.replace(tmp, path)
