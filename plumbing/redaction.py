"""Keeps secrets out of logs: customer-link tokens in URLs, bearer tokens and passwords are masked in every line.

Attached to the log handler (see observability.setup_logging), so it covers every logger, uvicorn's access log too.
"""

from __future__ import annotations

import logging
import re

PATTERNS = (
    (re.compile(r"([?&](?:t|token|key|api_key)=)[^&\s\"']+", re.I), r"\1[redacted]"),
    (re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+", re.I), r"\1[redacted]"),
    (re.compile(r"((?:password|secret|api_key|apikey)[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+", re.I), r"\1[redacted]"),
)


def redact(text: str) -> str:
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
