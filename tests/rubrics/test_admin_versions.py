"""Editing a rubric, a criterion or a framework in the admin bumps its version once; saving
without a change does not."""

import pytest
from django.urls import reverse

from casestudies.models import Framework
from rubrics.models import Criterion, Rubric
from tests import factories
from tests.casestudies.test_admin import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def curator(client):
    client.force_login(factories.user(staff=True))
    return client


def test_editing_a_rubric_bumps_its_version_and_a_plain_save_does_not(curator):
    rubric = factories.rubric()
    url = reverse("admin:rubrics_rubric_change", args=[rubric.pk])
    curator.post(url, form_data(curator.get(url)))
    rubric.refresh_from_db()
    assert rubric.version == 1
    data = form_data(curator.get(url))
    data["description"] = "Score what you saw."
    assert curator.post(url, data).status_code == 302
    rubric.refresh_from_db()
    assert (rubric.description, rubric.version) == ("Score what you saw.", 2)


def test_editing_a_criterion_anchor_bumps_its_rubrics_version(curator):
    rubric = factories.rubric()
    criterion = Criterion.objects.get(rubric=rubric, key="clarify-main")
    url = reverse("admin:rubrics_criterion_change", args=[criterion.pk])
    data = form_data(curator.get(url))
    level_field = next(k for k, v in data.items() if v == "Anchor 2 of clarify-main.")
    data[level_field] = "Asks about the goal only when prompted."
    assert curator.post(url, data).status_code == 302
    assert Rubric.objects.get(pk=rubric.pk).version == 2


def test_editing_a_framework_bumps_its_version(curator):
    framework = factories.framework()
    url = reverse("admin:casestudies_framework_change", args=[framework.pk])
    data = form_data(curator.get(url))
    data["description"] = "Seven steps."
    assert curator.post(url, data).status_code == 302
    assert Framework.objects.get(pk=framework.pk).version == 2
