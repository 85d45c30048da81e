"""Outgoing mail that reads well as plain text, with an HTML version beside it.

Python's e-mail package encodes a text body as quoted-printable as soon as one line is longer
than 78 characters, and a sign-in or reset link easily is: whoever reads the raw message (a
console backend, a plain-text client, a test) then sees the link cut across lines with "=".
``Mail`` allows lines up to RFC 5322's limit of 998 characters, so an ASCII body goes out 7bit
and any other 8bit, exactly as written.
"""

import email.policy
import html
import re

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.template.loader import render_to_string

LINE_LIMIT = 998  # RFC 5322 section 2.1.1
URL = re.compile(r"https?://[^\s<>\"]+")


class Mail(EmailMultiAlternatives):
    def message(self, *, policy=email.policy.default):
        return super().message(policy=policy.clone(max_line_length=LINE_LIMIT))


def as_mail(message: EmailMessage) -> Mail:
    """The same message as a ``Mail`` (allauth builds its own message objects)."""
    mail = Mail(
        subject=message.subject,
        body=message.body,
        from_email=message.from_email,
        to=message.to,
        cc=message.cc,
        bcc=message.bcc,
        reply_to=message.reply_to,
        headers=message.extra_headers,
        alternatives=list(getattr(message, "alternatives", [])),
        attachments=list(message.attachments),
    )
    mail.content_subtype = message.content_subtype
    return mail


def html_from_text(text: str, *, title: str) -> str:
    """An HTML version of a plain-text mail: its paragraphs, with every URL a link, in the
    house layout (accounts/email/base.html). Escaped first, so nothing in the text is markup."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        escaped = html.escape(block)
        linked = URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
        paragraphs.append(linked.replace("\n", "<br>\n"))
    return render_to_string("accounts/email/base.html", {"title": title, "paragraphs": paragraphs})
