import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from accounts import services as account_services
from accounts.models import Profile
from tests import factories

pytestmark = pytest.mark.django_db


def test_sign_up_creates_the_account_with_its_profile(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "new@example.org",
            "display_name": "  Nadia  ",
            "target_level": "staff",
            "password1": "a-long-unusual-pass-42",
            "password2": "a-long-unusual-pass-42",
        },
    )
    assert response.status_code == 302
    assert response.url == reverse("dashboard")
    user = get_user_model().objects.get(email="new@example.org")
    assert Profile.objects.get(user=user).display_name == "Nadia"
    assert user.profile.target_level == "staff"
    dashboard = client.get(reverse("dashboard"))
    assert "Welcome, Nadia" in dashboard.content.decode()


def test_sign_up_refuses_mismatched_passwords_and_creates_nothing(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "x@example.org",
            "display_name": "X",
            "target_level": "mid",
            "password1": "a-long-unusual-pass-42",
            "password2": "something-else-43",
        },
    )
    assert response.status_code == 200
    assert "same password" in response.content.decode()
    assert not get_user_model().objects.filter(email="x@example.org").exists()


def test_sign_up_needs_a_display_name(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "y@example.org",
            "display_name": "   ",
            "target_level": "mid",
            "password1": "a-long-unusual-pass-42",
            "password2": "a-long-unusual-pass-42",
        },
    )
    assert response.status_code == 200
    assert not get_user_model().objects.filter(email="y@example.org").exists()


def test_log_in_and_log_out(client):
    user = factories.user(email="ada@example.org", name="Ada")
    response = client.post(
        reverse("account_login"), {"login": "ada@example.org", "password": factories.PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200
    assert int(client.session["_auth_user_id"]) == user.pk
    client.post(reverse("account_logout"))
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("dashboard")).status_code == 302


def test_a_bad_password_is_refused_with_a_message(client):
    factories.user(email="ada@example.org")
    response = client.post(
        reverse("account_login"), {"login": "ada@example.org", "password": "wrong-password"}
    )
    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("name", ["dashboard", "profile", "account_change_password"])
def test_pages_need_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_public_pages_do_not_need_login(client):
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("account_signup")).status_code == 200
    assert client.get(reverse("healthz")).json() == {"status": "ok"}


def test_profile_edit_saves_name_and_level(client):
    user = factories.user(name="Old")
    client.force_login(user)
    response = client.post(reverse("profile"), {"display_name": "New", "target_level": "mid"})
    assert response.status_code == 302
    user.profile.refresh_from_db()
    assert (user.profile.display_name, user.profile.target_level) == ("New", "mid")


def test_profile_edit_refuses_an_unknown_level(client):
    user = factories.user(name="Same")
    client.force_login(user)
    response = client.post(reverse("profile"), {"display_name": "X", "target_level": "cto"})
    assert response.status_code == 200
    user.profile.refresh_from_db()
    assert user.profile.target_level == "senior"


def test_password_reset_mails_a_link(client):
    factories.user(email="forgetful@example.org")
    response = client.post(reverse("account_reset_password"), {"email": "forgetful@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


def test_password_change(client):
    user = factories.user()
    client.force_login(user)
    response = client.post(
        reverse("account_change_password"),
        {
            "oldpassword": factories.PASSWORD,
            "password1": "brand-new-pass-99",
            "password2": "brand-new-pass-99",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("brand-new-pass-99")


def test_demo_accounts_are_idempotent_and_curator_is_staff():

    account_services.demo_accounts_ensure(password="demo-pass-123")
    account_services.demo_accounts_ensure(password="demo-pass-123")
    users = get_user_model().objects.filter(email__endswith="@example.com")
    assert users.count() == 3
    curator = users.get(email="curator@example.com")
    assert curator.is_staff and not curator.is_superuser
    assert curator.has_perm("casestudies.change_casestudy")
    assert not curator.has_perm("interviews.change_profile")
