"""Steps through the live room for browser tests of other features: kept here, in one small
place, so that they are easy to follow when the room's page changes."""

from playwright.sync_api import Page, expect


def both_connected(interviewer: Page, candidate: Page) -> None:
    expect(interviewer.locator("[data-connection]")).to_have_text("Connected")
    expect(candidate.locator("[data-connection]")).to_have_text("Connected")


def run_short_interview(interviewer: Page, candidate: Page, *, note: str) -> None:
    """The interviewer starts, the candidate writes a note the interviewer sees, the
    interviewer ends; both land on the wrap-up."""
    both_connected(interviewer, candidate)
    assert candidate.locator("[data-action='interview.start']").count() == 0
    interviewer.click("[data-action='interview.start']")
    expect(candidate.locator("[data-status-pill]")).to_have_text("Live")
    candidate.fill("[data-notes-editor]", note)
    expect(interviewer.locator("[data-notes-view]")).to_contain_text(note)
    expect(candidate.locator("[data-save-state=notes]")).to_have_text("Saved")
    interviewer.once("dialog", lambda dialog: dialog.accept())
    interviewer.click("[data-action='interview.end']")
    candidate.wait_for_url("**/wrap-up/")
    interviewer.wait_for_url("**/wrap-up/")
