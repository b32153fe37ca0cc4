"""A cancellation from Temporal (the Web UI or CLI) in words for each reader: the customer gets customer words, in
their language; the departments keep the detail; staff are alerted when such a cancel is refused.

The workflow marks such a cancellation's notices with extra={CANCELLED_BY: BY_TEMPORAL} and sends a refused one's
alert as MessageKind.cancel_refused_alert with extra={"reason": ...} (`models/messages.py`)."""

from __future__ import annotations

import pytest

from activities.notices import compose
from models.catalog import load_catalog
from models.messages import BY_TEMPORAL, CANCELLED_BY, CUSTOMER, STAFF, MessageKind
from models.order import OrderStatus
from models.settings import Settings
from tests.mail_notices import notice_for

DETAIL = "cancelled from Temporal (the Web UI or CLI), not by staff in Orderly"  # workflows/cancellation.py REASON
LINKS = {"status_url": "https://shop.example/s", "form_url": "https://shop.example/f",
         "survey_url": "https://shop.example/v"}


def composed(kind: MessageKind, to: str, language: str = "en", status: OrderStatus = OrderStatus.cancelled,
             company_language: str = "en", **extra):
    notice = notice_for(kind, to, "TCW-1", **extra)
    order = notice.order.model_copy(update={"cancel_reason": DETAIL, "status": status, "language": language})
    settings = Settings(_env_file=None, secret_key="k", company_language=company_language)
    [email] = [o for o in compose(notice.model_copy(update={"order": order}), settings,
                                  load_catalog(settings.catalog_path), LINKS) if o.channel == "email"]
    return email


@pytest.mark.parametrize("language, words", [
    ("en", "Our team stopped this order."), ("fil", "Itinigil ng aming team ang order na ito.")])
def test_the_customer_reads_customer_words_for_a_cancel_from_temporal(language, words):
    mail = composed(MessageKind.cancellation_notice, CUSTOMER, language, **{CANCELLED_BY: BY_TEMPORAL})
    for part in (mail.text, mail.html):
        assert words in part
        assert "Temporal" not in part and "staff in Orderly" not in part and "CLI" not in part


def test_a_cancel_by_staff_still_tells_the_customer_its_reason():
    mail = composed(MessageKind.cancellation_notice, CUSTOMER)
    assert f"Reason: {DETAIL}" in mail.text and "Our team stopped" not in mail.text


def test_the_departments_keep_the_detail_of_a_cancel_from_temporal():
    mail = composed(MessageKind.work_order_cancelled, "warehouse", **{CANCELLED_BY: BY_TEMPORAL})
    assert DETAIL in mail.text


@pytest.mark.parametrize("language, subject, words", [
    ("en", "NOT CANCELLED: a cancellation of order TCW-1 from Temporal was refused", "carries on as it was (shipped)"),
    ("fil", "HINDI NAKANSELA: tinanggihan ang pagkansela ng order TCW-1 mula sa Temporal",
     "Tuloy ang order gaya ng dati (naipadala)")])
def test_staff_are_alerted_when_a_cancel_from_temporal_is_refused(language, subject, words):
    reason = "Order TCW-1 has already shipped; it cannot be cancelled"
    mail = composed(MessageKind.cancel_refused_alert, STAFF, status=OrderStatus.shipped, company_language=language,
                    reason=reason)
    assert mail.subject == subject and mail.recipient == Settings(_env_file=None).staff_alert_email
    for part in (mail.text, mail.html):
        assert words in part and reason in part


@pytest.mark.parametrize("language, subject, words", [
    ("en", "DROPPED: order TCW-1 got a message it could not read", "Why it could not be read: "),
    ("fil", "DROPPED: may mensahe sa order TCW-1 na hindi nito mabasa", "Kung bakit hindi ito mabasa: ")])
def test_staff_are_alerted_about_a_message_the_order_could_not_read(language, subject, words):
    """What the workflow's dynamic signal handler sends (`models/undecodable.py` gives it the reason)."""
    reason = "a payload is encrypted with key id 'not-ours', which is not among the configured keys (test-1)"
    mail = composed(MessageKind.message_dropped_alert, STAFF, status=OrderStatus.confirmed,
                    company_language=language, name="whatever", reason=reason)
    assert mail.subject == subject
    for part in (mail.text, mail.html):
        assert words in part and "whatever" in part and "not-ours" in part
