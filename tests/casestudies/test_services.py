"""Status changes and version bumps of case studies."""

import pytest

from casestudies import services
from casestudies.models import CaseStudy
from tests import factories

pytestmark = pytest.mark.django_db


def test_two_edits_from_stale_copies_give_two_versions():
    factories.case_study(slug="busy")
    first, second = CaseStudy.objects.get(slug="busy"), CaseStudy.objects.get(slug="busy")

    services.case_study_mark_edited(case=first)
    services.case_study_mark_edited(case=second)

    assert CaseStudy.objects.get(slug="busy").version == 3
    assert second.version == 3


def test_a_status_change_from_a_stale_copy_still_bumps_from_the_saved_version():
    factories.case_study(slug="stale", status="draft")
    stale = CaseStudy.objects.get(slug="stale")
    services.case_study_mark_edited(case=CaseStudy.objects.get(slug="stale"))

    published = services.case_study_set_status(case=stale, status="published")

    assert published.version == 3
    assert published.published_at is not None


def test_publishing_an_incomplete_case_raises_with_what_is_missing_and_changes_nothing():
    case = factories.case_study(slug="thin", status="draft", complete=False)

    with pytest.raises(services.PublishRefused) as refused:
        services.case_study_set_status(case=case, status="published")

    assert "the reference diagram" in refused.value.missing
    assert "step 'monitor'" in refused.value.missing
    case.refresh_from_db()
    assert (case.status, case.version) == ("draft", 1)


def test_retiring_needs_no_completeness():
    case = factories.case_study(slug="old", status="draft", complete=False)
    assert services.case_study_set_status(case=case, status="retired").status == "retired"


def test_an_unknown_status_is_refused():
    case = factories.case_study()
    with pytest.raises(ValueError, match="unknown status"):
        services.case_study_set_status(case=case, status="archived")
