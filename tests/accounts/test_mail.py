"""E-mails read well as plain text: links whole on their own line (7bit, never quoted-printable,
for an ASCII body), an HTML version beside the text, and people named by their display name,
never the username allauth generates."""

import email
import email.policy
import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.mail import Mail, html_from_text
from tests import factories

pytestmark = pytest.mark.django_db


def parsed(message) -> email.message.EmailMessage:
    """The message as a mail reader receives it (through the SMTP policy, as the SMTP backend
    sends it)."""
    raw = message.message(policy=email.policy.SMTP).as_bytes()
    return email.message_from_bytes(raw, policy=email.policy.default)


def test_a_long_link_stays_whole_in_a_7bit_body():
    link = "http://127.0.0.1:8000/accounts/password/reset/key/" + "x" * 120 + "/"
    received = parsed(Mail("Subject", f"Hello,\n\n{link}\n", "a@example.org", ["b@example.org"]))
    assert received["Content-Transfer-Encoding"] == "7bit"
    assert link in received.as_string().splitlines()  # unbroken, as written


def test_a_non_ascii_body_goes_out_8bit_not_quoted_printable():
    link = "http://127.0.0.1:8000/" + "y" * 100
    received = parsed(Mail("S", f"Grüße, Zoë\n\n{link}\n", "a@example.org", ["b@example.org"]))
    assert received["Content-Transfer-Encoding"] == "8bit"
    assert received.get_content().replace("\r\n", "\n") == f"Grüße, Zoë\n\n{link}\n"


def test_the_html_version_links_every_url_and_escapes_the_text():
    html = html_from_text("Go <now>:\n\nhttp://x.test/a?b=1&c=2", title="T")
    assert "Go &lt;now&gt;:" in html
    assert '<a href="http://x.test/a?b=1&amp;c=2">http://x.test/a?b=1&amp;c=2</a>' in html


def test_password_reset_mail_greets_by_name_with_a_whole_link_and_html(client):
    factories.user(email="forgetful@example.org", name="Fran Forgetful")
    client.post(reverse("account_reset_password"), {"email": "forgetful@example.org"})
    [message] = mail.outbox
    assert message.subject.startswith("[Sevensteps] ")
    assert message.body.startswith("Hello Fran Forgetful,")
    [link] = [line for line in message.body.splitlines() if "/password/reset/key/" in line]
    assert re.fullmatch(r"https?://\S+/accounts/password/reset/key/\S+/", link)
    received = parsed(message)
    assert received.get_body(("plain",))["Content-Transfer-Encoding"] == "7bit"
    html = received.get_body(("html",)).get_content()
    assert f'<a href="{link}">' in html and "Fran Forgetful" in html


def test_sign_up_messages_and_mail_use_the_display_name_not_the_username(client, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "optional"
    response = client.post(
        reverse("account_signup"),
        {
            "email": "newbie@example.org",
            "display_name": "Nia Newbie",
            "target_level": "mid",
            "password1": "a-long-unusual-pass-42",
            "password2": "a-long-unusual-pass-42",
        },
        follow=True,
    )
    assert "Successfully signed in as Nia Newbie." in response.content.decode()
    [message] = mail.outbox  # the address confirmation
    assert message.body.startswith("Hello Nia Newbie,")
    assert "Hello from" not in message.body  # allauth's greeting named the host


def test_a_reset_for_an_unknown_address_sends_a_plain_notice(client):
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.org"})
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.body.startswith("Hello,")
    assert "no account uses it" in message.body
