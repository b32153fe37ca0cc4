"""The SendGrid backend: the official `sendgrid` client and its v3 mail-send API.

Each message goes out with its plain-text and HTML parts, the message key as the custom argument `orderly_key`
(it comes back in SendGrid's event webhooks), and its kind as the category. `host` points the client at another
base URL (the tests' local stand-in for the API).
"""

from __future__ import annotations

import socket
from urllib.error import HTTPError, URLError

from python_http_client import exceptions as http_errors
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import Category, CustomArg, From, Mail, ReplyTo, To

from models.messages import OutgoingEmail

from .mailer import PermanentDeliveryError, TransientDeliveryError

TRANSIENT_STATUSES = {408, 429} | set(range(500, 600))


def retry_after(headers) -> float | None:  # noqa: ANN001
    try:
        value = headers.get("Retry-After") if headers is not None else None
        return float(value) if value else None
    except (TypeError, ValueError):
        return None


class SendGridMailer:
    name = "sendgrid"

    def __init__(self, api_key: str, host: str = "https://api.sendgrid.com", timeout: float = 20.0) -> None:
        self.client = SendGridAPIClient(api_key=api_key, host=host.rstrip("/"))
        self.client.client.timeout = timeout

    @staticmethod
    def mail_for(email: OutgoingEmail) -> Mail:
        mail = Mail(from_email=From(email.sender), to_emails=To(email.to), subject=email.subject,
                    plain_text_content=email.text, html_content=email.html)
        mail.custom_arg = [CustomArg("orderly_key", email.key), CustomArg("orderly_order", email.order_id)]
        mail.category = Category(email.kind)
        if email.reply_to:
            mail.reply_to = ReplyTo(email.reply_to)
        return mail

    def send(self, email: OutgoingEmail) -> str:
        try:
            response = self.client.send(self.mail_for(email))
        except (http_errors.HTTPError, HTTPError) as e:
            status = getattr(e, "status_code", None) or getattr(e, "code", 0)
            body = getattr(e, "body", b"") or b""
            detail = f"SendGrid answered {status}: {body.decode(errors='replace')[:300] if isinstance(body, bytes) else body}"
            if status in TRANSIENT_STATUSES:
                raise TransientDeliveryError(detail, retry_after(getattr(e, "headers", None))) from None
            raise PermanentDeliveryError(detail) from None
        except (URLError, socket.timeout, TimeoutError, ConnectionError) as e:
            raise TransientDeliveryError(f"SendGrid not reachable: {getattr(e, 'reason', e)}") from None
        return response.headers.get("X-Message-Id", "") or f"sendgrid:{response.status_code}"
