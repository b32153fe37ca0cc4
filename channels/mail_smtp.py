"""The SMTP backend: `aiosmtplib`, with STARTTLS and login by settings.

A 5xx answer (an unknown mailbox, a rejected message) is permanent; a 4xx answer, a refused or dropped connection
and a timeout are transient. A failed login is treated as transient: it is the operator's to fix, and the message
should go out once the password is right rather than be given up.
"""

from __future__ import annotations

import asyncio
import ssl

import aiosmtplib

from models.messages import OutgoingEmail

from .mailer import PermanentDeliveryError, TransientDeliveryError, message_id, to_mime


class SmtpMailer:
    name = "smtp"

    def __init__(self, host: str, port: int, *, starttls: bool = True, user: str = "", password: str = "",
                 timeout: float = 20.0, ca_file: str = "") -> None:
        self.host, self.port, self.starttls = host, port, starttls
        self.user, self.password, self.timeout = user, password, timeout
        self.ca_file = ca_file

    async def deliver(self, email: OutgoingEmail) -> None:
        tls_context = ssl.create_default_context(cafile=self.ca_file) if self.starttls and self.ca_file else None
        await aiosmtplib.send(to_mime(email), hostname=self.host, port=self.port, start_tls=self.starttls,
                              tls_context=tls_context, username=self.user or None,
                              password=self.password or None, timeout=self.timeout)

    def send(self, email: OutgoingEmail) -> str:
        where = f"SMTP server {self.host}:{self.port}"
        try:
            asyncio.run(self.deliver(email))
        except aiosmtplib.SMTPRecipientsRefused as e:
            codes = [r.code for r in e.recipients]
            detail = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in e.recipients)
            if all(code >= 500 for code in codes):
                raise PermanentDeliveryError(f"{where} refused the recipient: {detail}") from None
            raise TransientDeliveryError(f"{where} deferred the recipient: {detail}") from None
        except aiosmtplib.SMTPAuthenticationError as e:
            raise TransientDeliveryError(f"{where} refused the login ({e.code} {e.message})") from None
        except aiosmtplib.SMTPResponseException as e:
            detail = f"{where} answered {e.code} {e.message}"
            if e.code >= 500:
                raise PermanentDeliveryError(detail) from None
            raise TransientDeliveryError(detail) from None
        except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError) as e:
            raise TransientDeliveryError(f"{where} not reachable: {e}") from None
        return message_id(email)
