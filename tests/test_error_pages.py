"""The 404, 403 and 500 pages: in the app's layout, with a way back, as the server sends them
with DEBUG off. The 500 page renders with no request context and no database."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connections
from django.test import Client, RequestFactory, override_settings
from django.urls import path
from django.views.defaults import server_error

from config import urls as config_urls
from tests import factories


def _boom(request):
    raise RuntimeError("a bug")


def _refused(request):
    raise PermissionDenied("Not while you are the candidate in a session on this case.")


urlpatterns = [
    path("boom/", _boom),
    path("refused/", _refused),
    *config_urls.urlpatterns,
]


@pytest.fixture
def debug_off(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__


@pytest.mark.django_db
def test_a_missing_page_is_friendly_and_leads_back_to_the_dashboard(client, debug_off):
    client.force_login(factories.user(name="Pia Person"))
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "We can't find that page" in body
    assert 'href="/dashboard/"' in body and "Back to your dashboard" in body
    assert "Pia Person" in body  # the app's header, signed in
    assert 'class="site-header"' in body


@pytest.mark.django_db
def test_a_missing_page_for_a_visitor_leads_to_the_start(client, debug_off):
    response = client.get("/nothing-here/")
    assert response.status_code == 404
    assert "Back to the start" in response.content.decode()


@pytest.mark.django_db
def test_a_refusal_says_why_and_leads_back(client, debug_off):
    client.force_login(factories.user())
    response = client.get("/refused/")
    assert response.status_code == 403
    body = response.content.decode()
    assert "You can't open this page" in body
    assert "Not while you are the candidate in a session on this case." in body
    assert "Back to your dashboard" in body


@pytest.mark.django_db
def test_moderation_refuses_a_member_with_the_friendly_page(client, debug_off):
    client.force_login(factories.user())
    response = client.get("/partners/moderation/")
    assert response.status_code == 403
    assert "You can't open this page" in response.content.decode()


@pytest.mark.django_db
def test_an_expired_form_explains_itself():
    client = Client(enforce_csrf_checks=True)
    client.force_login(factories.user())
    with override_settings(DEBUG=False):
        response = client.post("/interviews/new/", {"case_study": ""})
    assert response.status_code == 403
    assert "That form had expired" in response.content.decode()


@pytest.mark.django_db
def test_a_crash_shows_the_500_page_in_the_layout(debug_off):
    client = Client(raise_request_exception=False)
    client.force_login(factories.user())
    response = client.get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong on our side" in body
    assert 'href="/"' in body and 'class="site-header"' in body
    assert "a bug" not in body  # nothing of the error leaks


def test_the_500_page_renders_with_no_database(settings):
    """No ``django_db`` mark: any query would raise. The request carries no user or session."""
    settings.DEBUG = False
    request = RequestFactory().get("/anything/")
    response = server_error(request)
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong on our side" in body
    assert "static/css/app.css" in body
    assert all(not c.queries_logged for c in connections.all(initialized_only=True))
