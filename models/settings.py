"""Settings from the environment (prefix ORDERLY_), with defaults that run the embedded stack on one machine."""

from __future__ import annotations

from pathlib import Path

from datetime import timedelta
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .i18n import N_, Language
from .catalog import ACCOUNTS_RECEIVABLE, CUSTOMER_SERVICE, DEFAULT_CATALOG, WAREHOUSE
from .policy import SETTLE_BEFORE_CLOSING, Policy

ENV = SettingsConfigDict(env_prefix="ORDERLY_", env_file=".env", extra="ignore")


class PolicySettings(BaseSettings, Policy):
    """The policy, read from ORDERLY_<FIELD> variables (seconds or ISO-8601 durations)."""

    model_config = ENV

    settle_before_closing: bool = Field(default=True, description=SETTLE_BEFORE_CLOSING)  # (Policy's is for 1.0)

    @field_validator(*(n for n, f in Policy.model_fields.items() if f.annotation is timedelta), mode="before")
    @classmethod
    def _seconds_or_iso(cls, value: Any) -> Any:
        """`30` or `2.5` means seconds; anything else is parsed as an ISO-8601 duration such as `P2D`."""
        if isinstance(value, str):
            try:
                return timedelta(seconds=float(value))
            except ValueError:
                return value
        return value

    def policy(self) -> Policy:
        return Policy.model_validate(self.model_dump())


class Settings(BaseSettings):
    model_config = ENV

    temporal_address: str = Field(default="localhost:7233", validation_alias="TEMPORAL_ADDRESS")
    temporal_namespace: str = Field(default="default", validation_alias="TEMPORAL_NAMESPACE")
    temporal_api_key: SecretStr = Field(default=SecretStr(""), validation_alias="TEMPORAL_API_KEY",
                                        description="Temporal Cloud API key (implies TLS)")
    temporal_tls: bool = Field(default=False, validation_alias="TEMPORAL_TLS",
                               description="connect with TLS (on by itself with an API key or a client certificate)")
    temporal_tls_cert: str = Field(default="", validation_alias="TEMPORAL_TLS_CERT",
                                   description="mTLS: file with the client certificate (PEM)")
    temporal_tls_key: str = Field(default="", validation_alias="TEMPORAL_TLS_KEY",
                                  description="mTLS: file with the client certificate's private key (PEM)")
    temporal_tls_ca: str = Field(default="", validation_alias="TEMPORAL_TLS_CA",
                                 description="file with the CA that signs the server's certificate, if not a public CA")
    task_queue: str = "orderly"
    var_dir: Path = Path("var")
    database_url: str = ""
    catalog_path: Path = DEFAULT_CATALOG
    public_url: str = "http://localhost:8000"

    company_name: str = "Orderly Furniture Co."
    company_email: str = "help@orderly.example"
    company_phone: str = "+1 555 0100"
    company_address: str = "100 Market Street, Springfield, IL 62701, USA"
    company_hours: str = "Monday to Friday, 9:00-17:00"
    company_hours_in: dict[str, str] = Field(default_factory=lambda: {"fil": "Lunes hanggang Biyernes, 9:00-17:00"},
                                             description="language -> the opening hours in that language (customers "
                                             "of another language than the company's read these)")
    company_payment_details: str = Field(default=(
        "Bank transfer to BDO account 0012-3456-7890, Orderly Furniture Co.; GCash 0917 555 0100"), description=(
        "how customers pay: stated in the confirmation when a deposit is due (ORDERLY_DEPOSIT_PERCENT)"))
    company_payment_details_in: dict[str, str] = Field(default_factory=lambda: {"fil": (
        "Bank transfer sa BDO account 0012-3456-7890, Orderly Furniture Co.; GCash 0917 555 0100")}, description=(
        "language -> the payment details in that language"))
    company_timezone: str = "America/Chicago"
    company_holidays_country: str = Field(default="US", description="public holidays skipped in business-day counts; "
                                                                     "empty for weekends only")
    company_language: Language = Field(default="en", description=(
        "the language staff and departments read (work orders, alerts, the console), and customers' when an order "
        "does not say: `en` English, `fil` Filipino"))
    mail_from: str = "Orderly Furniture Co. <orders@orderly.example>"
    company_reply_to: str = Field(default="", description="the `Reply-To` of every customer email, where customers' "
                                  "replies reach the business; empty for the company's contact email "
                                  "(ORDERLY_COMPANY_EMAIL)")
    cancellation_refund_text: str = Field(default=N_(
        "Nothing will be shipped, and anything you paid will be refunded in full."), description=(
        "what the customer's cancellation email says about money (shown when the order had lines): say only what "
        "accounts receivable does, which its cancellation notice asks of it (void the invoice, refund what was paid)"))
    department_emails: dict[str, str] = Field(default_factory=lambda: {
        WAREHOUSE: "warehouse@orderly.example",
        ACCOUNTS_RECEIVABLE: "accounts@orderly.example",
        CUSTOMER_SERVICE: "customer-service@orderly.example",
    }, description="department id -> address; manufacturers default to the catalog's address")
    staff_alert_email: str = "operations@orderly.example"
    carriers: dict[str, str] = Field(default_factory=dict, description=(
        "carrier -> tracking-link template with `{tracking_number}`, for shipments staff record without a link, "
        "e.g. `{\"LBC\": \"https://www.lbcexpress.com/track/?tracking_no={tracking_number}\"}`"))
    console_page_size: int = Field(default=20, ge=1, le=500, description="rows a page in each staff console queue "
                                   "and in the console's order list and search results")
    max_request_bytes: int = Field(default=1_048_576, ge=4096, description=(
        "the largest request body the web server and the codec server read (bytes); a larger one is answered 413 "
        "before it is read, and an API post without a valid token 401 before its body is read at all"))
    at_risk_days: int = Field(default=2, ge=0, le=60, description="an open order not shipped whose expected "
                              "fulfillment date is at most this many days away is in the console's at-risk queue")

    # ---- message channels (docs/messages.md: "Channels") ----
    email_backend: Literal["outbox", "smtp", "sendgrid"] = Field(
        default="outbox", description="outbox writes .eml files under var/outbox; smtp and sendgrid deliver")
    sendgrid_api_key: SecretStr = Field(default=SecretStr(""), validation_alias=AliasChoices(
        "SENDGRID_API_KEY", "ORDERLY_SENDGRID_API_KEY", "sendgrid_api_key"))
    sendgrid_host: str = Field(default="https://api.sendgrid.com", description="the v3 API's base URL")
    smtp_host: str = "localhost"
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_starttls: bool = Field(default=True, description="require STARTTLS before sending (and before any login)")
    smtp_ca_file: str = Field(default="", description="CA bundle that signs the SMTP server's certificate, if not "
                                                     "a public CA")
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    mail_timeout: float = Field(default=20.0, gt=0, description="seconds for one provider call (SMTP or SendGrid)")
    department_webhooks: dict[str, str] = Field(default_factory=dict, description="department id -> URL that "
                                                "receives its work orders as signed JSON (besides or instead of email)")
    webhook_secret: SecretStr = Field(default=SecretStr(""), description="HMAC-SHA256 key that signs webhooks")
    webhook_timeout: float = Field(default=10.0, gt=0, description="seconds for one webhook POST")
    send_log_patience: float = Field(default=40.0, ge=0, le=55, description=(
        "seconds the send-log write is retried after a provider accepted a message, while the database is "
        "unreachable (kept under the send activity's 60 s timeout)"))

    # ---- worker scaling (docs/deployment.md: "Workers") ----
    worker_mode: Literal["all", "workflows", "activities"] = Field(
        default="all", description="what this worker runs: both, only the order workflows, or only the activities")
    worker_max_concurrent_activities: int = Field(default=16, ge=1, description="activities run at once (threads)")
    worker_max_concurrent_workflow_tasks: int = Field(default=100, ge=1, description="workflow tasks run at once")
    worker_max_cached_workflows: int = Field(default=1000, ge=0, description="sticky cache: open orders kept in "
                                             "memory between tasks (0 replays every task from history)")
    workflow_sandbox: Literal["shared", "strict"] = Field(
        default="shared", description="shared: Orderly's workflow modules imported once per worker; strict: again "
        "for every order, each checked by the sandbox's restrictions (slower; for staging, as the replay tests run)")
    worker_graceful_shutdown: timedelta = Field(default=timedelta(seconds=30), description="on stop, how long "
                                                "running activities get to finish before they are cancelled")
    reconcile_every: timedelta = Field(default=timedelta(minutes=10), description=(
        "how often the reconciliation schedule (registered by the worker) looks for orders whose workflow was "
        "closed in Temporal without finishing (terminated, timed out), marks them `terminated` and alerts staff"))
    worker_metrics_address: str = Field(default="", description="host:port where the worker serves Prometheus "
                                        "metrics (Temporal SDK) at /metrics; empty for none")

    # ---- observability ----
    log_format: Literal["text", "json"] = Field(default="text", description="json: one JSON object a line, with "
                                                "the order id on every line about an order")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    web_host: str = "127.0.0.1"
    web_port: int = 8000
    secret_key: SecretStr = Field(default=SecretStr(""), description="signs customer links; `orderly dev` makes one")
    link_max_age: timedelta = Field(default=timedelta(days=120), description="how long a customer link stays valid")
    api_tokens: dict[str, str] = Field(default_factory=dict, description="bearer token -> role (service, warehouse, "
                                       "accounts, customer-service, admin, or `manufacturer:<id>` for one "
                                       "manufacturer of the catalog, which reads and acknowledges only its own "
                                       "work orders)")

    # ---- the public pages' posts (starter/post_limits.py; docs/reliability.md, "Bad input") ----
    public_posts_per_address: str = Field(default="10/minute;60/hour", description=(
        "how often one client address may post the public pages (the shop's order form, the form-completion page, "
        "the survey), each page counted apart; `limits` notation, `;` between limits; empty for no limit"))
    public_posts_per_email: str = Field(default="5/hour;20/day", description=(
        "how often those posts may name one customer email (the address Orderly then writes to); empty for no "
        "limit"))
    public_posts_storage: str = Field(default="memory://", description=(
        "where the post counts are kept (a `limits` storage URI): `memory://` for one web server, "
        "`redis://host:6379` (with the `redis` package) to share them between several"))

    # ---- customer data in Temporal (docs/encryption.md; plumbing/payload_encryption.py) ----
    encryption: Literal["on", "off"] = Field(default="on", description="encrypt every Temporal payload; `off` "
                                             "stores new payloads in clear (and still decrypts with the keys given)")
    encryption_keys: SecretStr = Field(default=SecretStr(""), description="key id -> base64 of 32 random bytes, as a "
                                       "JSON object or id:key,id:key; needed by every worker, web server and CLI "
                                       "while encryption is on (`orderly dev` makes one)")
    encryption_key_id: str = Field(default="", description="the key id new payloads are encrypted with (optional "
                                   "with one key)")
    codec_host: str = Field(default="127.0.0.1", description="where `orderly codec-server` listens")
    codec_port: int = Field(default=8081, ge=1, le=65535, description="the port of `orderly codec-server`")
    codec_cors_origins: str = Field(default="http://localhost:8233,http://127.0.0.1:8233", description="comma-"
                                    "separated origins of the Temporal Web UI that may call the codec server")

    @field_validator("public_posts_per_address", "public_posts_per_email")
    @classmethod
    def _rate_limits(cls, value: str) -> str:
        from limits import parse_many  # the notation the web server's post limits read
        if value.strip():
            parse_many(value)  # raises ValueError naming what it cannot read
        return value.strip()

    @field_validator("department_webhooks")
    @classmethod
    def _webhook_urls(cls, value: dict[str, str]) -> dict[str, str]:
        for department, url in value.items():
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"the webhook of {department!r} must be an http(s) URL, not {url!r}")
        return value

    def channel_problems(self) -> list[str]:
        """What is missing for the configured message channels to work; empty when they can run."""
        problems = []
        if self.email_backend == "sendgrid" and not self.sendgrid_api_key.get_secret_value():
            problems.append("ORDERLY_EMAIL_BACKEND=sendgrid needs SENDGRID_API_KEY")
        if self.email_backend == "smtp" and not self.smtp_host:
            problems.append("ORDERLY_EMAIL_BACKEND=smtp needs ORDERLY_SMTP_HOST")
        if self.smtp_user and not self.smtp_starttls and self.email_backend == "smtp":
            problems.append("ORDERLY_SMTP_USER is set but ORDERLY_SMTP_STARTTLS is off: the password would travel "
                            "in clear; turn STARTTLS on")
        if self.department_webhooks and not self.webhook_secret.get_secret_value():
            problems.append("ORDERLY_DEPARTMENT_WEBHOOKS needs ORDERLY_WEBHOOK_SECRET (it signs every webhook)")
        return problems

    def tracking_link(self, carrier: str, tracking_number: str) -> str:
        """The carrier's tracking link for a tracking number, from `carriers` (names compared without case); ""."""
        from urllib.parse import quote
        template = next((t for name, t in self.carriers.items() if name.casefold() == carrier.strip().casefold()), "")
        return template.replace("{tracking_number}", quote(tracking_number, safe="")) if template else ""

    @property
    def reply_to(self) -> str:
        """Where customers' replies go: the Reply-To setting, or the company's contact email."""
        return self.company_reply_to.strip() or self.company_email

    @property
    def outbox_dir(self) -> Path:
        return self.var_dir / "outbox"

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.var_dir / 'orderly.db'}"
