"""A person signs up, logs out, logs back in and lands on the dashboard, in Chromium against
the real ASGI app."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.browser.conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_up_log_out_log_in_and_see_the_dashboard(live_server_url, context_factory):
    page = context_factory().new_page()
    page.goto(live_server_url + "/")
    page.click("text=Create a free account")
    page.fill("input[name=email]", "grace@example.org")
    page.fill("input[name=display_name]", "Grace")
    page.select_option("select[name=target_level]", "staff")
    page.fill("input[name=password1]", "an-unusual-passphrase-77")
    page.fill("input[name=password2]", "an-unusual-passphrase-77")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/dashboard/")
    expect(page.locator("h1")).to_have_text("Welcome, Grace")
    expect(page.locator("main")).to_contain_text("Staff")
    assert get_user_model().objects.get(email="grace@example.org").profile.target_level == "staff"

    page.click("header button:has-text('Log out')")
    page.wait_for_url("**/accounts/login/")
    page.goto(live_server_url + "/dashboard/")
    assert "/accounts/login/" in page.url

    page.fill("input[name=login]", "grace@example.org")
    page.fill("input[name=password]", "wrong-password-1")
    page.click("main form button[type=submit]")
    expect(page.locator("main")).to_contain_text("not correct")
    page.fill("input[name=password]", "an-unusual-passphrase-77")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/dashboard/")
    expect(page.locator("h1")).to_have_text("Welcome, Grace")
    shot(page, "dashboard")
