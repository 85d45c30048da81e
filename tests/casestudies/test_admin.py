"""Curation in the admin (case studies, frameworks, rubrics) and the staff previews."""

from fractions import Fraction

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils.html import escape

from casestudies import content, selectors, services
from casestudies.markdown import render_inline_markdown, render_markdown
from casestudies.models import CaseStep, CaseStudy, Glossary, GlossaryTerm
from rubrics import selectors as rubric_selectors
from rubrics import services as rubric_services
from rubrics.models import Criterion, Rubric
from tests import factories

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:casestudies_casestudy_changelist"


@pytest.fixture
def curator(client):
    """A staff member in the Curators group, logged in; the factory rubric exists, so tagged
    signals and weights can be checked against its criteria."""
    account = factories.user(staff=True, name="Cora Curator")
    client.force_login(account)
    factories.rubric()
    return account


@pytest.fixture
def member(client):
    """A signed-in candidate or interviewer: not staff."""
    account = factories.user()
    client.force_login(account)
    return account


def change_url(case: CaseStudy) -> str:
    return reverse("admin:casestudies_casestudy_change", args=[case.pk])


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def form_data(response) -> dict:
    """The POST data of an admin change form as the browser would send it unchanged."""
    data = {}

    def add(bound_field) -> None:
        value = bound_field.value()
        if value is None or value is False:
            return
        data[bound_field.html_name] = "on" if value is True else str(value)

    for bound_field in response.context["adminform"].form:
        add(bound_field)
    for inline in response.context["inline_admin_formsets"]:
        for bound_field in inline.formset.management_form:
            add(bound_field)
        for form in inline.formset.forms:
            for bound_field in form:
                add(bound_field)
    return data


def step_prefix(response, key: str) -> str:
    formset = response.context["inline_admin_formsets"][0].formset
    for form in formset.forms:
        if form.instance.pk and form.instance.framework_step.key == key:
            return form.prefix
    raise AssertionError(f"no form for step {key}")


# --- Who may curate -----------------------------------------------------------------------------


def test_a_curator_can_open_every_curation_page(client, curator):
    case = factories.case_study()
    rubric = factories.rubric()
    criterion = rubric.criteria.first()
    urls = [
        reverse("admin:index"),
        reverse(CHANGELIST),
        change_url(case),
        reverse("admin:casestudies_casestudy_add"),
        reverse("admin:casestudies_framework_changelist"),
        reverse("admin:casestudies_framework_change", args=[case.framework_id]),
        reverse("admin:rubrics_rubric_changelist"),
        reverse("admin:rubrics_rubric_change", args=[rubric.pk]),
        reverse("admin:rubrics_criterion_changelist"),
        reverse("admin:rubrics_criterion_change", args=[criterion.pk]),
        reverse("admin:rubrics_criterion_add"),
    ]
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_a_member_who_is_not_staff_is_sent_to_the_admin_login(client, member):
    case = factories.case_study()
    for url in (reverse(CHANGELIST), change_url(case), reverse("admin:rubrics_rubric_changelist")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_staff_outside_the_curators_group_cannot_curate(client):
    account = factories.user(staff=True)
    account.groups.clear()
    client.force_login(account)
    case = factories.case_study()
    assert client.get(reverse(CHANGELIST)).status_code == 403
    assert client.get(reverse("case_preview_interviewer", args=[case.slug])).status_code == 404


# --- Status actions -----------------------------------------------------------------------------


def run_action(client, action: str, cases: list[CaseStudy]):
    return client.post(
        reverse(CHANGELIST), {"action": action, "_selected_action": [case.pk for case in cases]}
    )


def test_publishing_an_incomplete_case_is_refused_with_what_is_missing(client, curator):
    case = factories.case_study(status="draft", complete=False)
    missing = services.case_study_missing(case=case)

    response = run_action(client, "publish", [case])

    assert response.status_code == 302
    [message] = messages_of(response)
    assert f"“{case.title}” was not published" in message
    for item in missing:
        assert item in message
    assert "the reference diagram" in message
    assert "step 'data'" in message
    assert "clarify: hints (1 of at least 2)" in message
    case.refresh_from_db()
    assert (case.status, case.version, case.published_at) == ("draft", 1, None)


def test_publishing_a_complete_case_publishes_it(client, curator):
    case = factories.case_study(status="draft")

    response = run_action(client, "publish", [case])

    assert messages_of(response) == [f"“{case.title}” published (version 2)."]
    case.refresh_from_db()
    assert case.status == "published"
    assert case.published_at is not None
    assert case.version == 2


def test_publishing_several_cases_reports_each_and_publishes_only_the_complete_ones(
    client, curator
):
    ready = factories.case_study(status="draft", title="Ready case")
    thin = factories.case_study(status="draft", complete=False, title="Thin case")

    response = run_action(client, "publish", [ready, thin])

    messages = messages_of(response)
    assert len(messages) == 2
    assert "“Ready case” published" in messages[0]
    assert "“Thin case” was not published" in messages[1]
    assert CaseStudy.objects.get(pk=ready.pk).status == "published"
    assert CaseStudy.objects.get(pk=thin.pk).status == "draft"


@pytest.mark.parametrize(
    ("action", "status", "message"),
    [
        ("send_for_review", "review", "sent for review"),
        ("retire", "retired", "retired"),
        ("move_to_draft", "draft", "moved back to draft"),
    ],
)
def test_each_status_action_moves_the_case_through_the_service(
    client, curator, action, status, message
):
    case = factories.case_study(status="published" if status == "draft" else "draft")

    response = run_action(client, action, [case])

    assert messages_of(response) == [f"“{case.title}” {message} (version 2)."]
    case.refresh_from_db()
    assert case.status == status


def test_sending_an_incomplete_case_for_review_is_refused(client, curator):
    case = factories.case_study(status="draft", complete=False)
    response = run_action(client, "send_for_review", [case])
    assert "was not sent for review: it is incomplete" in messages_of(response)[0]
    case.refresh_from_db()
    assert case.status == "draft"


def test_an_action_on_a_case_already_in_that_status_changes_nothing(client, curator):
    case = factories.case_study(status="published")
    response = run_action(client, "publish", [case])
    assert messages_of(response) == [f"“{case.title}” is already published."]
    case.refresh_from_db()
    assert case.version == 1


# --- The change form ------------------------------------------------------------------------------


def test_list_fields_are_edited_one_item_per_line_and_saved_as_lists(client, curator):
    case = factories.case_study(slug="lines")
    page = client.get(change_url(case))
    prefix = step_prefix(page, "clarify")
    data = form_data(page)
    assert data[f"{prefix}-hints"] == "Hint 1 for lines clarify.\nHint 2 for lines clarify."
    assert data["tags"] == "retrieval"

    data[f"{prefix}-hints"] = "  A first   hint \r\n\r\nA second hint\r\nA *third* hint\r\n"
    data[f"{prefix}-follow_ups"] = "One question?\nAnother question?"
    data["tags"] = "retrieval, ann,  embeddings"
    response = client.post(change_url(case), data)

    assert response.status_code == 302, response.context["errors"]
    step = CaseStep.objects.get(case_study=case, framework_step__key="clarify")
    assert step.hints == ["A first hint", "A second hint", "A *third* hint"]
    assert step.follow_ups == ["One question?", "Another question?"]
    case.refresh_from_db()
    assert case.tags == ["retrieval", "ann", "embeddings"]
    # The edit round-trips: the form shows what was saved, one item per line.
    again = form_data(client.get(change_url(case)))
    assert again[f"{prefix}-hints"] == "A first hint\nA second hint\nA *third* hint"


def test_structured_fields_are_edited_as_yaml_and_saved_as_the_loader_would(client, curator):
    case = factories.case_study(slug="yaml")
    page = client.get(change_url(case))
    prefix = step_prefix(page, "data")
    data = form_data(page)
    assert data[f"{prefix}-curveballs"] == (
        "- text: Curveball for yaml data.\n  expected: Expected answer for yaml data."
    )
    data[f"{prefix}-curveballs"] = (
        "- text: Labels now arrive   a week late.\r\n"
        "  expected: Train on matured labels and add a proxy label for the first days.\r\n"
    )
    data[f"{prefix}-red_flags"] = (
        "- text: Assumes labels arrive at once.\n  criterion: data-main\n  level: 1\n"
        "  critical: true\n"
        "- text: Ignores class imbalance.\n  criterion: communication\n  level: 2\n"
    )
    data[f"{prefix}-further_reading"] = (
        "- title: Practical Lessons from Predicting Clicks on Ads at Facebook\n"
        "  authors: He et al.\n  year: 2014\n"
        "- title: The scikit-learn user guide\n  url: https://scikit-learn.org/stable/\n"
    )
    data[f"{prefix}-expect_staff"] = "Proposes a delayed-feedback model\r\nand its cost."

    response = client.post(change_url(case), data)

    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    step = CaseStep.objects.get(case_study=case, framework_step__key="data")
    assert step.curveballs == [
        {
            "text": "Labels now arrive a week late.",
            "expected": "Train on matured labels and add a proxy label for the first days.",
        }
    ]
    assert step.red_flags == [
        {
            "text": "Assumes labels arrive at once.",
            "criterion": "data-main",
            "level": 1,
            "critical": True,
        },
        {
            "text": "Ignores class imbalance.",
            "criterion": "communication",
            "level": 2,
            "critical": False,
        },
    ]
    assert step.further_reading[1] == {
        "title": "The scikit-learn user guide",
        "url": "https://scikit-learn.org/stable/",
    }
    assert step.expectations["staff"] == "Proposes a delayed-feedback model and its cost."
    case.refresh_from_db()
    assert case.version == 2


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        (
            "strong_signals",
            "- text: Sizes the index.\n  criterion: serve-main\n  level: 4\n",
            "strong_signals[1].criterion: 'serve-main' belongs to the 'serve' step",
        ),
        (
            "strong_signals",
            "- text: Sizes the index.\n  criterion: nonsense\n  level: 4\n",
            "strong_signals[1].criterion: 'nonsense' is not a criterion of the rubric",
        ),
        (
            "red_flags",
            "- text: Random split.\n  criterion: data-main\n  level: 3\n",
            "red_flags[1].level: must be one of 1, 2, not 3",
        ),
        (
            "curveballs",
            "- text: Labels arrive late.\n  answer: retrain\n",
            "curveballs[1].answer: unknown field (allowed: text, expected)",
        ),
        (
            "further_reading",
            "- title: Some paper\n",
            "further_reading[1].title: needs a url, or authors and a year",
        ),
        (
            "further_reading",
            "- title: Some page\n  url: http://example.org\n",
            "further_reading[1].url: must be an https:// address",
        ),
        ("curveballs", "- text: [never closed\n", "This is not valid YAML at line 2"),
    ],
)
def test_a_structured_field_the_loader_would_refuse_is_refused_on_that_field(
    client, curator, field, value, error
):
    case = factories.case_study()
    page = client.get(change_url(case))
    prefix = step_prefix(page, "data")
    data = form_data(page)
    data[f"{prefix}-{field}"] = value

    response = client.post(change_url(case), data)

    assert response.status_code == 200
    forms = response.context["inline_admin_formsets"][0].formset.forms
    form = next(f for f in forms if f.prefix == prefix)
    assert error in " ".join(form.errors[field])
    case.refresh_from_db()
    assert case.version == 1


def test_the_case_form_edits_the_checklist_and_weights(client, curator):
    case = factories.case_study(slug="listed")
    data = form_data(client.get(change_url(case)))
    assert data["checklist"].startswith("- key: concept-1\n  concept: Concept 1 of listed.")
    assert data.get("weights", "") == ""  # no overrides: an empty field
    data["weights"] = "data-main: 4\ncommunication: 3\n"
    data["checklist"] = data["checklist"].replace("level: staff", "level: senior")

    assert client.post(change_url(case), data).status_code == 302

    case.refresh_from_db()
    assert case.weights == {"communication": 3, "data-main": 4}
    assert {item["level"] for item in case.checklist} == {"mid", "senior"}


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("weights", "data-labels: 3", "weights.data-labels: is not a criterion of the rubric"),
        ("weights", "data-main: 11", "weights.data-main: must be a whole number from 1 to 10"),
        (
            "checklist",
            "- key: a\n  concept: A concept.\n  step: deploy\n  level: senior\n",
            "checklist[1].step: must be one of clarify",
        ),
        (
            "checklist",
            "- key: a\n  concept: A concept.\n  step: data\n  level: principal\n",
            "checklist[1].level: must be one of mid, senior, staff",
        ),
    ],
)
def test_bad_weights_or_checklist_are_refused_on_the_field(client, curator, field, value, error):
    case = factories.case_study()
    data = form_data(client.get(change_url(case)))
    data[field] = value

    response = client.post(change_url(case), data)

    assert response.status_code == 200
    assert error in " ".join(response.context["adminform"].form.errors[field])


def test_publishing_without_a_checklist_or_a_critical_red_flag_is_refused(client, curator):
    case = factories.case_study(status="draft", checklist=[])
    step = case.steps.get(framework_step__key="data")
    step.red_flags = [{**flag, "critical": False} for flag in step.red_flags]
    step.save()

    response = run_action(client, "publish", [case])

    [message] = messages_of(response)
    assert "the concept checklist (0 of at least 6)" in message
    assert "1 or 2 critical red flags (found 0)" in message
    case.refresh_from_db()
    assert case.status == "draft"


def test_saving_an_edit_bumps_the_version_once(client, curator):
    case = factories.case_study()
    data = form_data(client.get(change_url(case)))
    data["summary"] = "A better summary."

    client.post(change_url(case), data)

    case.refresh_from_db()
    assert (case.summary, case.version) == ("A better summary.", 2)


def test_saving_without_a_change_keeps_the_version(client, curator):
    case = factories.case_study()
    client.post(change_url(case), form_data(client.get(change_url(case))))
    case.refresh_from_db()
    assert case.version == 1


def test_markdown_is_stored_the_way_the_loader_would_store_it(client, curator):
    case = factories.case_study()
    data = form_data(client.get(change_url(case)))
    data["prompt"] = "First line.   \r\nSecond line.\r\n\r\n"

    client.post(change_url(case), data)

    case.refresh_from_db()
    assert case.prompt == "First line.\nSecond line.\n"


def test_a_published_case_cannot_be_saved_incomplete(client, curator):
    case = factories.case_study(status="published")
    page = client.get(change_url(case))
    prefix = step_prefix(page, "data")
    data = form_data(page)
    data[f"{prefix}-hints"] = "Only one hint now."
    data["diagram"] = ""

    response = client.post(change_url(case), data)

    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.non_form_errors()
    assert len(errors) == 1
    assert "A case that is published must be complete" in errors[0]
    assert "the reference diagram" in errors[0]
    assert "data: hints (1 of at least 2)" in errors[0]
    assert (
        "Only one hint now."
        not in CaseStep.objects.get(case_study=case, framework_step__key="data").hints
    )
    case.refresh_from_db()
    assert case.diagram and case.version == 1


def test_deleting_a_step_of_a_published_case_is_refused(client, curator):
    case = factories.case_study(status="published")
    page = client.get(change_url(case))
    data = form_data(page)
    data[f"{step_prefix(page, 'monitor')}-DELETE"] = "on"

    response = client.post(change_url(case), data)

    assert response.status_code == 200
    assert (
        "step 'monitor'"
        in response.context["inline_admin_formsets"][0].formset.non_form_errors()[0]
    )
    assert case.steps.count() == 7


def test_a_draft_may_be_saved_incomplete(client, curator):
    case = factories.case_study(status="draft")
    page = client.get(change_url(case))
    data = form_data(page)
    data[f"{step_prefix(page, 'data')}-hints"] = ""

    response = client.post(change_url(case), data)

    assert response.status_code == 302
    assert CaseStep.objects.get(case_study=case, framework_step__key="data").hints == []


def test_publishing_from_the_change_form_goes_through_the_service(client, curator):
    case = factories.case_study(status="draft")
    data = form_data(client.get(change_url(case)))
    data["status"] = "published"
    data["summary"] = "Edited while publishing."

    response = client.post(change_url(case), data)

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "published"
    assert case.published_at is not None
    assert case.summary == "Edited while publishing."
    assert case.version == 2  # one save, one version


def test_publishing_an_incomplete_case_from_the_change_form_is_refused(client, curator):
    case = factories.case_study(status="draft", complete=False)
    data = form_data(client.get(change_url(case)))
    data["status"] = "published"

    response = client.post(change_url(case), data)

    assert response.status_code == 200
    error = response.context["inline_admin_formsets"][0].formset.non_form_errors()[0]
    for item in services.case_study_missing(case=case):
        assert item in error
    case.refresh_from_db()
    assert case.status == "draft"


def test_the_change_form_offers_one_form_per_missing_step_already_set_to_it(client, curator):
    case = factories.case_study(status="draft", complete=False)  # has clarify and frame

    page = client.get(change_url(case))

    formset = page.context["inline_admin_formsets"][0].formset
    assert [form.instance.framework_step.key for form in formset.initial_forms] == [
        "clarify",
        "frame",
    ]
    extra = [form.initial["framework_step"] for form in formset.extra_forms]
    keys = [step.key for step in case.framework.steps.order_by("position")]
    steps = dict(case.framework.steps.values_list("pk", "key"))
    assert [steps[pk] for pk in extra] == keys[2:]


def test_filling_in_a_blank_step_form_adds_that_step(client, curator):
    case = factories.case_study(status="draft", complete=False)
    page = client.get(change_url(case))
    formset = page.context["inline_admin_formsets"][0].formset
    data = form_data(page)
    blank = formset.extra_forms[0].prefix  # the "data" step
    data[f"{blank}-framework_step"] = str(formset.extra_forms[0].initial["framework_step"])
    data[f"{blank}-probe"] = "Probe the data."
    data[f"{blank}-hints"] = "First\nSecond"

    response = client.post(change_url(case), data)

    assert response.status_code == 302
    step = CaseStep.objects.get(case_study=case, framework_step__key="data")
    assert (step.probe, step.hints) == ("Probe the data.", ["First", "Second"])
    assert case.steps.count() == 3


def test_a_case_can_be_added_as_a_draft(client, curator):
    factories.framework()
    page = client.get(reverse("admin:casestudies_casestudy_add"))
    data = form_data(page)
    data.update(
        title="A brand new case",
        slug="a-brand-new-case",
        domain="ads",
        difficulty="easy",
        prompt="Design it.",
        tags="ads, ranking",
    )

    response = client.post(reverse("admin:casestudies_casestudy_add"), data)

    assert response.status_code == 302, (
        response.context["errors"],
        response.context["inline_admin_formsets"][0].formset.errors,
    )
    case = CaseStudy.objects.get(slug="a-brand-new-case")
    assert (case.status, case.version, case.tags) == ("draft", 1, ["ads", "ranking"])
    assert case.steps.count() == 0


def test_bad_tags_are_refused(client, curator):
    case = factories.case_study()
    data = form_data(client.get(change_url(case)))
    data["tags"] = "Good Tag, ok"
    response = client.post(change_url(case), data)
    assert response.status_code == 200
    assert "Good Tag" in str(response.context["adminform"].form.errors["tags"])


def test_the_change_form_links_to_both_previews(client, curator):
    case = factories.case_study(slug="linked")
    html = client.get(change_url(case)).content.decode()
    assert "Preview as candidate" in html
    assert reverse("casestudies:preview_candidate", args=["linked"]) in html
    assert "Preview as interviewer" in html
    assert reverse("case_preview_interviewer", args=["linked"]) in html


def test_the_changelist_shows_steps_filled_and_preview_links(client, curator):
    factories.case_study(slug="full")
    factories.case_study(slug="thin", status="draft", complete=False)
    html = client.get(reverse(CHANGELIST)).content.decode()
    assert ">7/7<" in html
    assert ">2/7<" in html
    assert reverse("case_preview_interviewer", args=["thin"]) in html


def test_the_changelist_searches_prompts_and_tags(client, curator):
    factories.case_study(slug="found", prompt="Rank the listings by freshness.")
    factories.case_study(slug="tagged", tags=["fraud"])
    factories.case_study(slug="other")

    def titles(query: str) -> list[str]:
        response = client.get(reverse(CHANGELIST), {"q": query})
        return sorted(case.slug for case in response.context["cl"].result_list)

    assert titles("freshness") == ["found"]
    assert titles("fraud") == ["tagged"]


def test_admin_edits_export_to_files_the_loader_accepts_unchanged(client, curator, tmp_path):
    case = factories.case_study(slug="exported")
    factories.rubric()
    page = client.get(change_url(case))
    data = form_data(page)
    data["prompt"] = "Line one.  \r\n\r\n- a list\r\n- of two  \r\n"
    data[f"{step_prefix(page, 'model')}-hints"] = " Spaced   out \r\n\r\nSecond\r\n"
    assert client.post(change_url(case), data).status_code == 302
    cases_dir, rubrics_dir = tmp_path / "casestudies", tmp_path / "rubrics"

    rubric_services.content_export(casestudies_dir=cases_dir, rubrics_dir=rubrics_dir)
    report = rubric_services.content_load(casestudies_dir=cases_dir, rubrics_dir=rubrics_dir)

    assert report.errors == []
    assert report.count("unchanged") == len(report.results) == 3


# --- Rubric admin ---------------------------------------------------------------------------------


def test_rubric_bands_out_of_order_are_refused_on_the_field(client, curator):
    rubric = factories.rubric()
    url = reverse("admin:rubrics_rubric_change", args=[rubric.pk])
    data = form_data(client.get(url))
    data["hire_band"] = "0.60"  # above strong hire (0.50)

    response = client.post(url, data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "The bands must fall: this must be below strong hire from (0.50)" in str(
        errors["hire_band"]
    )
    rubric.refresh_from_db()
    assert str(rubric.hire_band) == "0.20"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("senior_bar", "2.40", "The bars must rise"),
        ("lean_hire_band", "0.10", "Must be 0: a lean hire starts at the bar."),
        ("second_hint_cap", "4", "A second hint cannot allow more than the first."),
        ("required_steps", "data, deploy", "Not a step of Framework default: deploy."),
        ("min_coverage", "0.40", "greater than or equal to 0.50"),
    ],
)
def test_rubric_numbers_the_scoring_would_refuse_are_refused(
    client, curator, field, value, message
):
    rubric = factories.rubric()
    url = reverse("admin:rubrics_rubric_change", args=[rubric.pk])
    data = form_data(client.get(url))
    data[field] = value

    response = client.post(url, data)

    assert response.status_code == 200
    assert message in str(response.context["adminform"].form.errors[field])
    assert Rubric.objects.get(pk=rubric.pk).version == 1


def test_the_rubric_admin_edits_bands_evidence_and_hint_caps(client, curator):
    rubric = factories.rubric()
    url = reverse("admin:rubrics_rubric_change", args=[rubric.pk])
    data = form_data(client.get(url))
    assert data["required_steps"] == "data, serve, monitor"
    data.update(
        strong_hire_band="0.60",
        no_hire_band="-1.00",
        min_coverage="0.75",
        required_steps="data, monitor",
        first_hint_cap="4",
        answer_hint_cap="1",
    )

    assert client.post(url, data).status_code == 302

    rubric.refresh_from_db()
    assert (str(rubric.strong_hire_band), str(rubric.no_hire_band)) == ("0.60", "-1.00")
    assert (str(rubric.min_coverage), rubric.required_steps) == ("0.75", ["data", "monitor"])
    assert (rubric.first_hint_cap, rubric.second_hint_cap, rubric.answer_hint_cap) == (4, 2, 1)
    assert rubric.version == 2
    policy = rubric_selectors.scoring_policy(rubric)  # what scoring gets is still valid
    assert policy.bands["strong_hire"] == Fraction(3, 5)


def test_a_criterion_edits_its_expectations_per_target_level(client, curator):
    rubric = factories.rubric()
    criterion = rubric.criteria.get(key="data-main")
    url = reverse("admin:rubrics_criterion_change", args=[criterion.pk])
    data = form_data(client.get(url))
    assert data["expect_senior"] == "What a senior candidate shows on data-main."
    data["expect_staff"] = "Raises delayed\r\nfeedback   unprompted."

    assert client.post(url, data).status_code == 302

    criterion.refresh_from_db()
    assert criterion.expectations == {
        "mid": "What a mid candidate shows on data-main.",
        "senior": "What a senior candidate shows on data-main.",
        "staff": "Raises delayed feedback unprompted.",
    }
    assert Rubric.objects.get(pk=rubric.pk).version == 2


def test_a_criterion_keeps_exactly_four_anchors(client, curator):
    rubric = factories.rubric()
    criterion = rubric.criteria.get(key="clarify-main")
    url = reverse("admin:rubrics_criterion_change", args=[criterion.pk])
    page = client.get(url)
    data = form_data(page)
    assert data["levels-TOTAL_FORMS"] == "4"
    anchor = next(name for name, value in data.items() if value == "Anchor 4 of clarify-main.")
    data[anchor] = "A sharper\r\nlevel 4   anchor."  # anchors are one line in the files

    assert client.post(url, data).status_code == 302
    assert criterion.levels.get(level=4).anchor == "A sharper level 4 anchor."

    level = next(n for n, v in data.items() if n.endswith("-level") and v == "4")
    data[level] = "3"
    response = client.post(url, data)
    assert response.status_code == 200
    assert [lv.level for lv in criterion.levels.all()] == [1, 2, 3, 4]


def test_the_criterion_step_choices_are_the_steps_of_the_rubric_framework(client, curator):
    rubric = factories.rubric()
    other = factories.framework(slug="other", keys=("only",))
    criterion = rubric.criteria.first()
    page = client.get(reverse("admin:rubrics_criterion_change", args=[criterion.pk]))
    choices = page.context["adminform"].form.fields["framework_step"].queryset
    assert not choices.filter(framework=other).exists()
    assert choices.count() == 7


# --- Staff previews -------------------------------------------------------------------------------


def guide_texts(case: CaseStudy) -> list[str]:
    """Every piece of the private guide, as it would appear rendered on a page."""
    texts = []
    for step in selectors.case_study_with_steps().get(pk=case.pk).steps.all():
        texts.append(str(render_markdown(step.probe)))
        items = [*step.follow_ups, *step.hints]
        items += [c["text"] for c in step.curveballs] + [c["expected"] for c in step.curveballs]
        items += [i["text"] for i in (*step.strong_signals, *step.red_flags)]
        items += [text for text in step.expectations.values() if text]
        for item in items:
            texts.append(str(render_inline_markdown(item)))
            texts.append(escape(item))
    return texts


def test_the_interviewer_preview_shows_the_guide_and_the_rubric(client, curator):
    case = factories.case_study(slug="guide")
    factories.rubric()

    response = client.get(reverse("case_preview_interviewer", args=["guide"]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Probe text for guide clarify." in html
    assert "Hint 2 for guide monitor." in html
    assert "Curveball for guide serve." in html
    assert "Red flag 1 for guide data." in html
    assert "Interviewer only" in html
    assert "Anchor 4 of clarify-main." in html
    assert "Criterion communication" in html  # cross-cutting criteria at the end
    assert 'data-kind="hint" data-index="1" data-step="clarify"' in html
    assert "data-send-hint" not in html  # no send buttons outside the live room
    assert f'data-source="{escape(case.diagram)}"' in html


def test_the_candidate_preview_never_contains_the_guide(client, curator):
    case = factories.case_study(slug="secret")

    response = client.get(reverse("casestudies:preview_candidate", args=["secret"]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Prompt of secret" in html
    assert "the clarify topic" in html  # the framework's "covers"
    assert "Reference notes for secret clarify." in html  # after the session
    for text in guide_texts(case):
        assert text not in html
    for word in ("Probe text", "Follow-up", "Hint 1", "Curveball", "Strong signal", "Red flag"):
        assert word not in html


def test_no_candidate_preview_of_the_real_bank_contains_its_guide(client, curator):
    factories.load_bank()
    for case in CaseStudy.objects.all():
        html = client.get(reverse("casestudies:preview_candidate", args=[case.slug])).content
        html = html.decode()
        assert escape(case.title) in html
        for text in guide_texts(case):
            assert text not in html, (case.slug, text)


def test_previews_work_for_drafts_and_say_what_is_missing(client, curator):
    case = factories.case_study(slug="draft", status="draft", complete=False)
    for name in ("casestudies:preview_candidate", "case_preview_interviewer"):
        response = client.get(reverse(name, args=["draft"]))
        assert response.status_code == 200
        html = response.content.decode()
        assert "Draft." in html
        assert "Candidates cannot see or pick this case yet" in html
        keys = [step.key for step in case.framework.steps.order_by("position")]
        for item in content.missing_for_completeness(
            selectors.case_study_doc(selectors.case_study_with_steps().get(pk=case.pk)), keys
        ):
            assert escape(item) in html


def test_previews_are_not_found_for_members(client, member):
    factories.case_study(slug="hidden")
    for name in ("casestudies:preview_candidate", "case_preview_interviewer"):
        assert client.get(reverse(name, args=["hidden"])).status_code == 404


def test_previews_send_anonymous_visitors_to_log_in(client):
    factories.case_study(slug="hidden")
    response = client.get(reverse("case_preview_interviewer", args=["hidden"]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_previews_of_an_unknown_case_are_not_found(client, curator):
    assert client.get(reverse("casestudies:preview_candidate", args=["nope"])).status_code == 404


# --- Query budgets: the same cost with 3 or 14 case studies --------------------------------------


@pytest.fixture(params=[3, 14], ids=["3-cases", "14-cases"])
def many_cases(request) -> list[CaseStudy]:
    factories.rubric()
    return [factories.case_study() for _ in range(request.param)]


def test_the_changelist_query_budget(client, curator, many_cases, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = client.get(reverse(CHANGELIST))
    assert len(response.context["cl"].result_list) == len(many_cases)


def test_the_interviewer_preview_query_budget(
    client, curator, many_cases, django_assert_max_num_queries
):
    url = reverse("case_preview_interviewer", args=[many_cases[-1].slug])
    # The glossary, read once for all the steps, and two for the guide rule (is the curator a
    # candidate on the case, and the record of the view).
    with django_assert_max_num_queries(15):
        assert client.get(url).status_code == 200


def test_the_candidate_preview_query_budget(
    client, curator, many_cases, django_assert_max_num_queries
):
    url = reverse("casestudies:preview_candidate", args=[many_cases[-1].slug])
    with django_assert_max_num_queries(11):  # the glossary and the guide rule's two, as above
        assert client.get(url).status_code == 200


def test_rubric_pages_query_budget(client, curator, django_assert_max_num_queries):
    rubric = factories.rubric()
    with django_assert_max_num_queries(9):
        assert client.get(reverse("admin:rubrics_criterion_changelist")).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(reverse("admin:rubrics_rubric_changelist")).status_code == 200
    assert Criterion.objects.filter(rubric=rubric).count() == 8
    assert Rubric.objects.count() == 1


# --- Glossary admin ----------------------------------------------------------------------------


@pytest.fixture
def glossary():
    services.glossary_upsert(
        doc={
            "format": 2,
            "terms": [
                {
                    "key": "calibration",
                    "term": "Calibration",
                    "aliases": ["calibrated"],
                    "definition": "Probabilities that match frequencies.",
                },
                {
                    "key": "recall",
                    "term": "Recall",
                    "aliases": [],
                    "definition": "The share of positives found.",
                },
            ],
        }
    )
    return Glossary.objects.get()


def glossary_url(glossary) -> str:
    return reverse("admin:casestudies_glossary_change", args=[glossary.pk])


def term_prefix(response, key: str) -> str:
    formset = response.context["inline_admin_formsets"][0].formset
    return next(f.prefix for f in formset.forms if f.instance.pk and f.instance.key == key)


def test_a_glossary_edit_in_the_admin_is_saved_and_bumps_its_version(client, curator, glossary):
    page = client.get(glossary_url(glossary))
    data = form_data(page)
    prefix = term_prefix(page, "recall")
    assert data[f"{term_prefix(page, 'calibration')}-aliases"] == "calibrated"
    data[f"{prefix}-aliases"] = "recalled items\nsensitivity"
    data[f"{prefix}-definition"] = "The share of\r\npositives   found."

    assert client.post(glossary_url(glossary), data).status_code == 302

    term = GlossaryTerm.objects.get(key="recall")
    assert term.aliases == ["recalled items", "sensitivity"]
    assert term.definition == "The share of positives found."
    glossary.refresh_from_db()
    assert glossary.version == 2


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("aliases", "Calibration", "'Calibration' is already used by the term 'calibration'"),
        ("definition", "One. Two. Three.", "has 3 sentences; keep it to one or two sentences"),
    ],
)
def test_a_glossary_the_file_would_refuse_is_refused_in_the_admin(
    client, curator, glossary, field, value, error
):
    page = client.get(glossary_url(glossary))
    data = form_data(page)
    data[f"{term_prefix(page, 'recall')}-{field}"] = value

    response = client.post(glossary_url(glossary), data)

    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.non_form_errors()
    assert error in errors[0]
    assert Glossary.objects.get().version == 1
