"""Sign-up with an invite code, through the partners app's form (allauth's
``ACCOUNT_SIGNUP_FORM_CLASS``): accounts never imports partners."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from partners import services
from partners.models import InviteCode, Member
from tests import factories

pytestmark = pytest.mark.django_db


def sign_up(client, email, **extra):
    return client.post(
        reverse("account_signup"),
        {
            "email": email,
            "display_name": "Nadia",
            "target_level": "staff",
            "password1": "a-long-unusual-pass-42",
            "password2": "a-long-unusual-pass-42",
            **extra,
        },
    )


@pytest.fixture
def code():
    moderator = factories.moderator()
    group = services.cohort_create(staff=moderator, name="ML guild")
    return services.invite_code_create(staff=moderator, cohort=group, max_uses=1)


def test_a_code_puts_the_new_member_in_its_cohort_with_the_browsers_zone(client, code):
    response = sign_up(
        client, "nadia@example.org", invite_code=code.code.lower(), time_zone="Europe/Berlin"
    )
    assert response.status_code == 302
    user = get_user_model().objects.get(email="nadia@example.org")
    member = Member.objects.get(user=user)
    assert member.cohort == code.cohort and member.time_zone == "Europe/Berlin"
    assert user.profile.display_name == "Nadia" and user.profile.target_level == "staff"
    assert InviteCode.objects.get(pk=code.pk).uses == 1


def test_without_a_requirement_the_code_is_optional(client):
    page = client.get(reverse("account_signup")).content.decode()
    assert "Invite code (optional)" in page and "data-detect-zone" in page
    assert sign_up(client, "free@example.org", time_zone="Not/AZone").status_code == 302
    user = get_user_model().objects.get(email="free@example.org")
    assert Member.objects.get(user=user).time_zone == "UTC"


def test_an_instance_that_requires_a_code_refuses_sign_up_without_a_good_one(
    client, settings, code
):
    settings.INVITE_CODE_REQUIRED = True
    response = sign_up(client, "nocode@example.org")
    assert response.status_code == 200
    assert "ask its organiser for a code" in response.content.decode()
    response = sign_up(client, "bad@example.org", invite_code="WRONG-CODE")
    assert "not valid" in response.content.decode()
    assert sign_up(client, "good@example.org", invite_code=code.code).status_code == 302
    client.logout()
    # The code admitted one person; it is used up now.
    response = sign_up(client, "late@example.org", invite_code=code.code)
    assert "used up" in response.content.decode()
    refused = ["nocode@example.org", "bad@example.org", "late@example.org"]
    assert not get_user_model().objects.filter(email__in=refused).exists()
