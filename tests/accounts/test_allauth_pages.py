"""allauth's pages in the app's style: sentence-case headings and buttons, one primary button
per form (the rest secondary, "Remove" a quiet danger button)."""

import re

import pytest
from django.urls import reverse

from interviews.templatetags.sevensteps import sentence_case
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("title", "sentence"),
    [
        ("Change Password", "Change password"),
        ("Add Email Address", "Add email address"),
        ("Re-send Verification", "Re-send verification"),
        ("New Password (again):", "New password (again):"),
        ("Sign In to Sevensteps", "Sign in to Sevensteps"),
        ("Use a TOTP App", "Use a TOTP app"),
        ("already sentence case", "already sentence case"),
    ],
)
def test_sentence_case(title, sentence):
    assert sentence_case(title) == sentence


def buttons(html: str) -> list[tuple[str, str]]:
    return [
        (klass, re.sub(r"\s+", " ", text).strip())
        for klass, text in re.findall(r'<button\s+class="([^"]*)".*?>(.*?)</button>', html, re.S)
    ]


def test_the_password_change_page_has_one_primary_button_and_sentence_case(client):
    client.force_login(factories.user())
    html = client.get(reverse("account_change_password")).content.decode()
    assert "<h1>Change password</h1>" in html
    assert ("", "Change password") in buttons(html)
    assert ">Current password</label>" in html and ">Current Password" not in html


def test_the_email_page_has_one_primary_button_per_form(client):
    client.force_login(factories.user())
    html = client.get(reverse("account_email")).content.decode()
    assert "<h1>Email addresses</h1>" in html
    found = dict((text, klass) for klass, text in buttons(html))
    assert found["Make primary"] == "secondary"
    assert found["Re-send verification"] == "secondary"
    assert found["Remove"] == "secondary danger-text"
    assert found["Add email"] == ""  # the add form's one primary button


def test_a_checkbox_comes_before_its_label(client):
    html = client.get(reverse("account_login")).content.decode()
    assert re.search(
        r'<input type="checkbox" name="remember"[^>]*>\s*<label for="id_remember">', html
    )
