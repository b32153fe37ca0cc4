"""The MIME message every email backend sends (the outbox's `.eml`, SMTP): what a mail client reads back from it."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from channels.mailer import message_id, to_mime
from models.messages import OutgoingEmail

CASES = [
    ("ada@example.com", "Orderly <orders@example.com>", "Your order ORD-1 is confirmed"),
    ("Zoë Müller <zoe@example.com>", "Orderly Möbel <orders@example.com>", "Ihre Bestellung — Zoë"),
    ("ada@bücher.de", "orders@example.com", "Order " + "long " * 40 + "subject"),
    ("ada@example.com", "orders@example.com", "x" * 200),
]


@pytest.mark.parametrize(("to", "sender", "subject"), CASES, ids=["ascii", "non-ascii-names", "idna-long", "one-long-word"])
def test_a_mail_client_reads_back_what_was_sent(to, sender, subject):
    email = OutgoingEmail(key="ORD-1/order_confirmation/customer/1", kind="order_confirmation", order_id="ORD-1",
                          to=to, sender=sender, subject=subject, text="Héllo = 100 %\n" + "y" * 120 + "\nBye",
                          html="<p>Héllo</p>")
    raw = bytes(to_mime(email))
    assert raw.isascii(), "7-bit clean: every header and part encoded"
    msg = message_from_bytes(raw, policy=policy.default)
    assert msg["Subject"] == subject
    assert msg["From"].addresses[0].display_name == (sender.split(" <")[0] if "<" in sender else "")
    assert msg["To"].addresses[0].addr_spec == to.split("<")[-1].rstrip(">").replace("bücher.de", "xn--bcher-kva.de")
    assert msg["Message-ID"] == message_id(email) and msg["X-Orderly-Key"] == email.key
    assert msg.get_content_type() == "multipart/alternative"
    assert msg.get_body(("plain",)).get_content().rstrip("\n") == email.text
    assert msg.get_body(("html",)).get_content().rstrip("\n") == email.html


def test_a_non_ascii_mailbox_is_refused_not_written_as_an_encoded_word():
    """Issue 31: `josé.garcía@example.com` was written with an encoded word inside the address (forbidden) and sent
    as raw 8-bit. The forms refuse such addresses; the mailer refuses them too rather than mangle one."""
    email = OutgoingEmail(key="ORD-1/order_confirmation/customer/1", kind="order_confirmation", order_id="ORD-1",
                          to="josé.garcía@example.com", sender="orders@example.com", subject="s", text="t", html="")
    with pytest.raises(ValueError, match="not ASCII"):
        to_mime(email)
