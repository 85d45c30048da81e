"""The library's filters in Chromium: picking a framework, a difficulty and a domain narrows the
results in place (the htmx partial, the address kept in step), and the page reads on a laptop
and on a phone."""

import re

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.test_report_flow import ARTIFACTS, off_loop, signed_in  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_library_filters_in_place_by_framework_difficulty_and_domain(
    signed_in,  # noqa: F811
    allow_sync_orm,
):
    off_loop(factories.load_bank)
    page = signed_in(off_loop(factories.user, name="Lena Library"))
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto("/library/")
    cards = page.locator("#library-results .case-card")
    everything = cards.count()
    assert everything >= 22

    page.select_option("#framework", "book")
    expect(page).to_have_url(re.compile(r"/library/\?q=&domain=&difficulty=&framework=book$"))
    expect(cards).to_have_count(everything)  # every case runs under the book layout
    page.select_option("#difficulty", "easy")
    expect(page).to_have_url(re.compile(r"/library/\?q=&domain=&difficulty=easy&framework=book$"))
    expect(cards).to_have_count(3)
    easy = cards.count()
    assert easy == 3  # similar articles, query autocomplete, forum spam
    for badge in page.locator("#library-results .badge.easy").all():
        expect(badge).to_have_text("Easy")
    expect(page.locator("#library-results .badge.medium")).to_have_count(0)
    page.select_option("#domain", "language")
    expect(page.locator("#library-results")).to_contain_text("No case study matches")
    page.select_option("#difficulty", "")
    expect(cards.first).to_be_visible()
    for card in cards.all():
        expect(card.locator(".badge.accent")).to_have_text("Language")
    page.screenshot(path=str(ARTIFACTS / "library-filters.png"), full_page=False)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(ARTIFACTS / "library-filters-phone.png"), full_page=True)
    # A reload keeps the filters from the address.
    page.reload()
    expect(page.locator("#framework")).to_have_value("book")
    expect(page.locator("#domain")).to_have_value("language")
    assert page.js_errors == []
