"""The SMTP backend against a real local SMTP server (aiosmtpd): what arrives, STARTTLS with login, and how each
kind of failure is treated."""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
import ssl
from pathlib import Path

import pytest
from pydantic import SecretStr
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from store.database import make_engine
from channels.mail_smtp import SmtpMailer
from channels.mailer import build_mailer
from activities.notice_sending import NoticeSender
from models.catalog import load_catalog
from models.messages import CUSTOMER, MessageKind
from models.order import OrderStatus
from models.settings import Settings
from starter import orders
from tests.channel_servers import SmtpSink, free_port
from tests.conftest import messages_of, running_worker, sofa_form, wait_for
from tests.mail_notices import alert_staff_as_the_workflow_does, notice_for


def smtp_settings(settings: Settings, port: int, **changes) -> Settings:
    return settings.model_copy(update={"email_backend": "smtp", "smtp_host": "127.0.0.1", "smtp_port": port,
                                       "smtp_starttls": False, "mail_timeout": 5.0, **changes})


def activities_for(config: Settings) -> NoticeSender:
    return NoticeSender(config, make_engine(config.db_url), build_mailer(config), load_catalog(config.catalog_path))


def run(acts: NoticeSender, notice, attempt: int = 1):
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, attempt=attempt, retry_policy=RetryPolicy(maximum_attempts=30))
    return env.run(acts.send_notice, notice)


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for localhost / 127.0.0.1 that acts as its own CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "smtp.crt", directory / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_a_message_arrives_with_its_headers_and_both_parts(settings, engine):
    with SmtpSink() as smtp:
        config = smtp_settings(settings, smtp.port)
        assert isinstance(build_mailer(config), SmtpMailer)
        receipt = run(activities_for(config), notice_for(MessageKind.order_confirmation, CUSTOMER, "SMTP-1"))
        [received] = smtp.wait_for(1)

    assert receipt.status == "sent"
    assert received.sender == "orders@orderly.example" and received.recipients == ["ada@example.com"]
    msg = received.message
    assert msg["From"].addresses[0].display_name == "Orderly Furniture Co."
    assert msg["From"].addresses[0].addr_spec == "orders@orderly.example" and msg["To"] == "ada@example.com"
    assert msg["Subject"].startswith("Order SMTP-1 confirmed: expected ready by ")
    assert msg["X-Orderly-Key"] == "SMTP-1/order_confirmation/customer/1"
    assert msg["X-Orderly-Kind"] == "order_confirmation"
    assert msg["Message-ID"] == "<SMTP-1.order_confirmation.customer.1@orderly.example>" == receipt.provider_id
    assert msg["Date"]
    assert msg.get_content_type() == "multipart/alternative"
    text, html = msg.get_body(("plain",)), msg.get_body(("html",))
    assert "Three-seat sofa" in text.get_content() and "If anything here is wrong" in text.get_content()
    assert html.get_content().startswith("<!doctype html>") and "<td>1</td>" in html.get_content()
    [row] = messages_of(engine, "SMTP-1")
    assert (row.status, row.provider_id, row.attempts) == ("sent", msg["Message-ID"], 1)


def test_starttls_and_login_by_settings(settings, tmp_path):
    cert, key = self_signed(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    with SmtpSink(tls_context=server_tls, login=("orderly", "s3cret")) as smtp:
        good = smtp_settings(settings, smtp.port, smtp_starttls=True, smtp_ca_file=str(cert), smtp_user="orderly",
                             smtp_password=SecretStr("s3cret"))
        assert run(activities_for(good), notice_for(MessageKind.shipping_notice, CUSTOMER, "TLS-1")).status == "sent"
        assert [m.message["Subject"] for m in smtp.wait_for(1)] == ["Order TLS-1 has shipped"]

        wrong = good.model_copy(update={"smtp_password": SecretStr("guess"), "var_dir": tmp_path / "other"})
        with pytest.raises(ApplicationError, match="refused the login") as raised:  # the operator's to fix: retried
            run(activities_for(wrong), notice_for(MessageKind.shipping_notice, CUSTOMER, "TLS-2"))
        assert not raised.value.non_retryable

        plain = good.model_copy(update={"smtp_starttls": False, "var_dir": tmp_path / "plain"})
        assert plain.channel_problems() == ["ORDERLY_SMTP_USER is set but ORDERLY_SMTP_STARTTLS is off: the password "
                                            "would travel in clear; turn STARTTLS on"]
    assert len(smtp.messages) == 1


def test_a_refused_mailbox_is_permanent_and_staff_are_alerted_by_smtp(settings, engine):
    with SmtpSink(refuse={"nobody@example.com": "550 5.1.1 <nobody@example.com>: no such user"}) as smtp:
        acts = activities_for(smtp_settings(settings, smtp.port))
        notice = notice_for(MessageKind.order_confirmation, CUSTOMER, "SMTP-550", email="nobody@example.com")
        receipt = run(acts, notice)
        alert_staff_as_the_workflow_does(lambda n: run(acts, n), notice, receipt)
        [alert] = smtp.wait_for(1)
    assert receipt.status == "failed" and "550 5.1.1" in receipt.error
    assert alert.recipients == [settings.staff_alert_email]
    assert alert.message["Subject"] == "UNDELIVERED: a message about order SMTP-550 could not be sent"
    assert "no such user" in alert.message.get_body(("plain",)).get_content()
    assert {m.kind: m.status for m in messages_of(engine, "SMTP-550")} == {"order_confirmation": "failed",
                                                                           "delivery_failed": "sent"}


def test_a_deferred_mailbox_and_a_server_that_is_down_are_transient(settings, engine):
    with SmtpSink(refuse={"ada@example.com": "451 4.3.0 try again later"}) as smtp:
        with pytest.raises(ApplicationError, match="451 4.3.0") as deferred:
            run(activities_for(smtp_settings(settings, smtp.port)),
                notice_for(MessageKind.order_confirmation, CUSTOMER, "SMTP-451"))
    assert not deferred.value.non_retryable
    with pytest.raises(ApplicationError, match="not reachable") as down:
        run(activities_for(smtp_settings(settings, free_port())),
            notice_for(MessageKind.order_confirmation, CUSTOMER, "SMTP-DOWN"))
    assert not down.value.non_retryable
    assert [m.status for m in messages_of(engine, "SMTP-451")] == ["retrying"]


async def test_an_order_by_smtp_reaches_every_recipient_once(client, settings):
    with SmtpSink() as smtp:
        config = smtp_settings(settings, smtp.port)
        async with running_worker(client, config):
            await orders.submit_order(client, config, sofa_form(order_id="SMTP-FLOW"))
            await wait_for(client, "SMTP-FLOW", lambda v: v.status is OrderStatus.confirmed and sum(
                e.kind == "message" for e in v.timeline) >= 3)
        received = smtp.wait_for(3)
    assert sorted((m.recipients[0], m.message["X-Orderly-Kind"]) for m in received) == [
        ("accounts@orderly.example", "work_order"), ("ada@example.com", "order_confirmation"),
        ("warehouse@orderly.example", "work_order")]
