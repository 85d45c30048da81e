"""Response headers every page needs: a strict Content-Security-Policy (Django's own, with
nonces), and ``Cache-Control: private, no-store`` on anything personal. Whether the pages work
under the policy is tried in Chromium (tests/browser/test_csp.py); here, what is sent."""

import re

import pytest
from django.urls import reverse

from tests import factories
from tests.conftest import ROOT

pytestmark = pytest.mark.django_db


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part
    }


def test_every_page_gets_a_strict_policy(client):
    client.force_login(factories.user())
    for url in ("/", "/accounts/login/", reverse("dashboard"), reverse("library")):
        directives = policy(client.get(url))
        for directive in ("script-src", "style-src"):
            sources = directives[directive]
            assert "'self'" in sources
            assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "data:"} & set(sources), url
        assert directives["default-src"] == ["'self'"]
        assert directives["object-src"] == ["'none'"]
        assert directives["frame-ancestors"] == ["'none'"]
        assert directives["base-uri"] == ["'none'"]


def test_a_page_with_diagrams_carries_its_nonce_to_the_renderer(client):
    factories.rubric()
    case = factories.case_study(slug="visual-search")
    client.force_login(factories.user(staff=True))
    response = client.get(reverse("case_preview_interviewer", args=[case.slug]))
    nonce = re.search(r'src="/static/js/diagram.js" nonce="([^"]+)"', response.content.decode())
    assert nonce, "diagram.js without the page's nonce"
    assert f"'nonce-{nonce.group(1)}'" in policy(response)["style-src"]
    # A fresh nonce per response.
    again = client.get(reverse("case_preview_interviewer", args=[case.slug]))
    assert nonce.group(1) not in again.content.decode()


def test_templates_hold_no_inline_script_style_or_handler():
    """Nothing inline that the policy would refuse: no <script> without src (JSON data blocks
    excepted), no <style> without the nonce, no style="…" and no on…= handlers. E-mail bodies
    are not pages (no policy applies in a mail reader, and most readers keep only inline
    styles), so templates under an ``email/`` folder may style inline; never script."""
    offenders = []
    for path in sorted(ROOT.glob("*/templates/**/*.html")) + sorted(
        ROOT.glob("templates/**/*.html")
    ):
        if ".venv" in path.parts:
            continue
        text = path.read_text()
        if "email" in path.parts:
            text = re.sub(r"\sstyle=\"[^\"]*\"", "", text)
        for pattern in (
            r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>",
            r"<style(?![^>]*nonce=)[^>]*>",
            r"\sstyle=[\"']",
            r"\son[a-z]+=[\"']",
            r"javascript:",
        ):
            for found in re.findall(pattern, text):
                offenders.append(f"{path.relative_to(ROOT)}: {found}")
    assert not offenders, offenders


@pytest.mark.parametrize("name", ["dashboard", "library", "progress", "profile"])
def test_signed_in_pages_are_private_and_not_stored(client, name):
    client.force_login(factories.user())
    response = client.get(reverse(name))
    assert response.status_code == 200
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives


def test_the_report_and_its_downloads_are_private(client, django_capture_on_commit_callbacks):
    session = factories.finished_interview()
    factories.self_assess(session)
    with django_capture_on_commit_callbacks(execute=True):
        factories.finalise(session)
    client.force_login(session.candidate)
    for name in ("report", "report_md", "timeline"):
        response = client.get(reverse(name, args=[session.interview.pk]))
        assert response.status_code == 200, name
        assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]


def test_the_login_form_is_private_but_the_health_check_and_static_files_are_not(client):
    login = client.get("/accounts/login/")
    assert "private" in login["Cache-Control"]  # it holds a CSRF token
    assert not client.get("/healthz").has_header("Cache-Control")
    static = client.get("/static/css/app.css")
    assert "private" not in static.get("Cache-Control", "")


def test_the_admin_keeps_its_own_never_cache(client):
    client.force_login(factories.superuser())
    response = client.get(reverse("admin:index"))
    assert "no-cache" in response["Cache-Control"] and "private" in response["Cache-Control"]
