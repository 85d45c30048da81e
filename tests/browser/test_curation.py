"""Curation in Chromium: the case editor one step at a time (every step still saved by one
Save), and the bank's import page."""

import re

import pytest
from playwright.sync_api import expect

from casestudies.models import CaseStep
from tests import factories
from tests.browser.test_report_flow import off_loop, signed_in, signed_in_pages  # noqa: F401
from tests.conftest import app_server

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def curator_and_case():
    factories.rubric()
    case = factories.case_study(slug="visual-search")
    return factories.user(staff=True, name="Cora Curator"), case


@pytest.fixture
def admin_page(browser):
    """A page on a server of its own: saving in the admin writes a log row naming the model's
    content type, which the shared live server has cached since the session began, and the
    test database's content types are recreated with new ids after every transactional test's
    flush. (A real server's content types never change under it.)"""
    with app_server("curation", env={}) as url, signed_in_pages(browser, url) as open_page:
        yield open_page


def test_the_case_editor_shows_one_step_at_a_time_and_saves_them_all(admin_page, allow_sync_orm):
    curator, case = off_loop(curator_and_case)
    page = admin_page(curator)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"/admin/casestudies/casestudy/{case.pk}/change/")
    tabs = page.locator(".case-step-tab")
    expect(tabs).to_have_count(7)
    forms = page.locator("#steps-group .inline-related:visible")
    expect(forms).to_have_count(1)
    expect(tabs.nth(0)).to_have_attribute("aria-current", "step")
    expect(forms.first.locator("textarea[name$='-probe']")).to_have_value(
        "Probe text for visual-search clarify."
    )
    tabs.nth(2).click()
    expect(forms).to_have_count(1)
    probe = forms.first.locator("textarea[name$='-probe']")
    expect(probe).to_have_value("Probe text for visual-search data.")
    expect(probe).to_be_focused()
    probe.fill("Probe the data, edited on its own page.")
    page.click("[data-step-move='1']")
    expect(tabs.nth(3)).to_have_attribute("aria-current", "step")
    forms.first.locator("textarea[name$='-probe']").fill("Probe the features, edited too.")
    page.locator("#steps-group").scroll_into_view_if_needed()
    page.screenshot(path="test-artifacts/admin-case-steps-1366.png")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    probes = dict(
        CaseStep.objects.filter(case_study=case).values_list("framework_step__key", "probe")
    )
    assert probes["data"] == "Probe the data, edited on its own page."
    assert probes["features"] == "Probe the features, edited too."
    assert probes["clarify"] == "Probe text for visual-search clarify."
    # After a save the editor comes back to the step last shown.
    expect(tabs.nth(3)).to_have_attribute("aria-current", "step")

    # A step with an error is marked and shown first.
    tabs.nth(5).click()
    forms.first.locator("textarea[name$='-hints']").fill("")
    page.click("input[name=_continue]")
    expect(page.locator(".errornote")).to_be_visible()
    expect(forms.first).to_contain_text("Missing for a complete case: hints (0 of at least 2).")
    expect(tabs.nth(5)).to_have_class(re.compile("has-errors"))
    expect(tabs.nth(4)).not_to_have_class(re.compile("has-errors"))
    expect(tabs.nth(5)).to_have_attribute("aria-current", "step")
    expect(tabs.nth(5)).to_contain_text("needs attention")
    assert page.js_errors == []


def test_the_bank_page_for_a_curator(signed_in, allow_sync_orm):  # noqa: F811
    curator, _ = off_loop(curator_and_case)
    page = signed_in(curator)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto("/admin/")
    page.click("#bank-files a")
    expect(page.locator("h1")).to_have_text("Import and export the bank")
    with page.expect_download() as download:
        page.click("[data-bank-export]")
    assert download.value.suggested_filename.startswith("sevensteps-bank-")
    page.set_input_files("input[name=file]", download.value.path())
    page.click("[data-bank-preview]")
    expect(page.locator("[data-bank-counts]")).to_contain_text("0 to update")
    page.screenshot(path="test-artifacts/admin-bank-1366.png", full_page=True)
    assert page.js_errors == []
