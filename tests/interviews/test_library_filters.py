"""The library filters by difficulty, domain and framework (a case runs under its own framework
and any framework based on it), through the htmx partial like the search, with a fixed query
budget however many cases there are."""

import pytest
from django.urls import reverse

from casestudies.models import Framework
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelf(case):
    """visual-search (default, search, medium) and fraud (on another base framework, risk,
    hard); a book layout based on the default."""
    default = Framework.objects.get(slug="default")
    Framework.objects.create(slug="book", title="Book layout", based_on=default)
    factories.framework(slug="other", keys=factories.STEP_KEYS)
    factories.case_study(slug="fraud", domain="risk", difficulty="hard", framework="other")
    return case


def titles(html: str) -> set[str]:
    return {name for name in ("Case study visual-search", "Case study fraud") if name in html}


def test_the_framework_filter_keeps_cases_runnable_under_it(client, shelf):
    client.force_login(factories.user())

    def shown(**query) -> set[str]:
        return titles(client.get(reverse("library"), query).content.decode())

    assert shown() == {"Case study visual-search", "Case study fraud"}
    assert shown(framework="book") == {"Case study visual-search"}  # based on the default
    assert shown(framework="default") == {"Case study visual-search"}
    assert shown(framework="other") == {"Case study fraud"}
    assert shown(framework="other", difficulty="medium") == set()
    assert shown(framework="book", domain="search", difficulty="medium") == {
        "Case study visual-search"
    }
    assert shown(domain="risk", difficulty="hard") == {"Case study fraud"}
    assert shown(framework="<nonsense>") == {"Case study visual-search", "Case study fraud"}


def test_the_page_offers_every_framework_and_keeps_the_choice(client, shelf):
    client.force_login(factories.user())

    html = client.get(reverse("library"), {"framework": "book"}).content.decode()

    assert '<select id="framework" name="framework">' in html
    assert '<option value="book" selected>Book layout</option>' in html
    assert '<option value="default">Framework default</option>' in html
    assert "1 case study match" in html


def test_a_single_framework_gets_no_filter(client, case):
    client.force_login(factories.user())
    assert 'name="framework"' not in client.get(reverse("library")).content.decode()


def test_the_htmx_partial_filters_by_framework(client, shelf):
    client.force_login(factories.user())

    response = client.get(
        reverse("library"),
        {"framework": "other"},
        headers={"HX-Request": "true", "HX-Target": "library-results"},
    )

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="library-results"')
    assert titles(html) == {"Case study fraud"}


@pytest.mark.parametrize("extra", [0, 8])
def test_the_filtered_library_keeps_its_query_budget(
    client, shelf, extra, django_assert_max_num_queries
):
    for n in range(extra):
        factories.case_study(slug=f"more-{n}", difficulty="easy" if n % 2 else "medium")
    client.force_login(factories.user())
    client.get(reverse("library"))  # the session and the user, once

    with django_assert_max_num_queries(6):
        response = client.get(
            reverse("library"), {"framework": "book", "difficulty": "medium", "domain": "search"}
        )

    assert response.status_code == 200
    assert response.content.decode().count('class="card case-card"') == 1 + extra // 2
