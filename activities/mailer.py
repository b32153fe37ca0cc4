"""The one mail interface, and its default backend: a local outbox of `.eml` files.

A backend only delivers; the at-most-once bookkeeping (the send log) is done by the notice activity around it.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

from models.messages import OutgoingEmail


class Mailer(Protocol):
    name: str

    def send(self, email: OutgoingEmail) -> str:
        """Deliver the email; return the provider's id for it. Raise on failure."""


def to_mime(email: OutgoingEmail) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = email.sender
    msg["To"] = email.to
    msg["Subject"] = email.subject
    msg["Date"] = format_datetime(datetime.now(timezone.utc))
    msg["Message-ID"] = make_msgid(idstring=re.sub(r"[^A-Za-z0-9.-]", ".", email.key), domain="orderly.local")
    msg["X-Orderly-Key"] = email.key
    msg["X-Orderly-Kind"] = email.kind
    msg.set_content(email.text)
    msg.add_alternative(email.html, subtype="html")
    return msg


class OutboxMailer:
    """Writes each message as an `.eml` file under `<var>/outbox/<order id>/` (the send log is in the database)."""

    name = "outbox"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path_for(self, email: OutgoingEmail) -> Path:
        name = re.sub(r"[^A-Za-z0-9._-]+", "_", email.key.split("/", 1)[1])
        return self.directory / email.order_id / f"{name}.eml"

    def send(self, email: OutgoingEmail) -> str:
        path = self.path_for(email)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(bytes(to_mime(email)))
        tmp.replace(path)
        return str(path)
