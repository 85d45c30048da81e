"""Sessions under the book layout (``frameworks/book.yaml``, based on the default): the
interview records the framework picked at creation, and the room (steps, clock budgets, the
step guide composed from the mapped sections, the criteria scored per step, hint caps), the
wrap-up and the report follow it. Runs on the repository's bank and default rubric."""

import pytest
from django.urls import reverse
from django.utils import timezone

from casestudies import plans
from casestudies.models import CaseStep, CaseStudy, Framework
from feedback import reports
from interviews import selectors, services, writebehind
from interviews.models import Interview
from tests import factories

pytestmark = pytest.mark.django_db

BOOK_KEYS = ["clarify", "frame", "data", "model", "evaluation", "serving", "monitoring"]
CASE = "visual-search"


@pytest.fixture
def book():
    factories.load_bank()
    return Framework.objects.get(slug="book")


def book_session(book, **kwargs) -> factories.Session:
    interviewer = factories.user(name="Ines Interviewer")
    candidate = factories.user(name="Carl Candidate")
    created = services.interview_create(
        user=interviewer,
        case_study=CaseStudy.objects.get(slug=CASE),
        role="interviewer",
        target_level=kwargs.get("level", "senior"),
        framework=book,
    )
    services.invite_accept(user=candidate, token=created.invite.token)
    return factories.Session(created, interviewer, candidate)


def guides_of(slug: str) -> dict[str, CaseStep]:
    return {
        step.key: step
        for step in CaseStep.objects.filter(case_study__slug=slug).select_related("framework_step")
    }


# --- Creating a session ------------------------------------------------------------------------


def test_a_session_records_the_framework_picked_and_defaults_to_the_cases(book):
    session = book_session(book)
    plain = factories.interview(bank=True, case_slug="ad-click-prediction")

    assert session.interview.framework == book
    assert [s.key for s in selectors.steps_of(session.interview)] == BOOK_KEYS
    assert sum(s.minutes for s in selectors.steps_of(session.interview)) == 45
    assert plain.interview.framework.slug == "default"
    assert [s.key for s in selectors.steps_of(plain.interview)] == list(factories.STEP_KEYS)


def test_a_framework_that_does_not_fit_the_case_is_refused(book):
    other = factories.framework(slug="other", keys=("a", "b"))

    with pytest.raises(services.ServiceError, match="does not fit this case"):
        services.interview_create(
            user=factories.user(),
            case_study=CaseStudy.objects.get(slug=CASE),
            role="interviewer",
            target_level="senior",
            framework=other,
        )
    assert not Interview.objects.exists()


def test_the_new_interview_and_drill_pages_offer_the_framework(
    client, book, django_assert_max_num_queries
):
    person = factories.user()
    client.force_login(person)
    case = CaseStudy.objects.get(slug=CASE)

    with django_assert_max_num_queries(12):
        page = client.get(reverse("drill_new"))
    assert page.status_code == 200
    html = page.content.decode()
    assert '<option value="book">Seven stages with an evaluation step (7 steps)</option>' in html
    assert "The case&#x27;s own framework" in html

    response = client.post(
        reverse("drill_new"),
        {"case_study": str(case.pk), "target_level": "mid", "framework": "book"},
    )
    drill = Interview.objects.get(kind="solo")
    assert response.status_code == 302 and response.url == drill.get_absolute_url()
    assert drill.framework == book

    client.post(
        reverse("interview_new"),
        {
            "case_study": str(CaseStudy.objects.get(slug="ad-click-prediction").pk),
            "role": "interviewer",
            "target_level": "senior",
            "framework": "",
        },
    )
    peer = Interview.objects.get(kind="peer")
    assert peer.framework.slug == "default"


def test_an_unknown_framework_is_a_form_error_not_a_crash(client, book):
    client.force_login(factories.user())
    case = CaseStudy.objects.get(slug=CASE)

    response = client.post(
        reverse("drill_new"),
        {"case_study": str(case.pk), "target_level": "mid", "framework": "nonsense"},
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Interview.objects.exists()


# --- The room ----------------------------------------------------------------------------------


def test_the_book_steps_compose_the_guide_from_the_mapped_sections(book):
    session = book_session(book)
    guides = selectors.case_steps(session.interview)
    written = guides_of(CASE)

    data = guides["data"]
    assert data.hints == written["data"].hints + written["features"].hints
    assert data.curveballs == written["data"].curveballs + written["features"].curveballs
    assert "**Data preparation.**" in data.probe and "**Feature engineering.**" in data.probe
    # Evaluation draws no section: its signals are the ones tagged with its criteria, from the
    # model and serve sections; model and serving keep the rest.
    evaluation = guides["evaluation"]
    assert evaluation.hints == []
    assert evaluation.probe.startswith("How the team will know the model is better")
    assert evaluation.reference_notes == (
        "This case's reference notes on what this step covers are written with the steps "
        "Modelling and Serving: read them there."
    )
    tagged = {item["criterion"] for item in evaluation.strong_signals + evaluation.red_flags}
    assert tagged == {"model-evaluation", "serve-experimentation"}
    model_tags = {item["criterion"] for item in guides["model"].strong_signals}
    assert "model-evaluation" not in model_tags
    assert "model-choice" in model_tags
    serving_tags = {
        i["criterion"] for i in guides["serving"].strong_signals + guides["serving"].red_flags
    }
    assert "serve-experimentation" not in serving_tags
    # Nothing is lost or doubled: every signal and red flag of the case is in exactly one step.
    every = sorted(
        item["text"]
        for guide in written.values()
        for item in guide.strong_signals + guide.red_flags
    )
    shown = sorted(
        item["text"] for guide in guides.values() for item in guide.strong_signals + guide.red_flags
    )
    assert shown == every


def test_the_scoring_panel_of_the_evaluation_step_scores_its_criteria(book):
    session = book_session(book)
    interview = session.interview

    html = selectors.panel_html(interview, "evaluation", scores={})

    assert [c.key for c in selectors.step_criteria(interview, "evaluation")] == [
        "model-evaluation",
        "serve-experimentation",
    ]
    assert 'data-criterion="model-evaluation" data-criterion-step="evaluation"' in html
    assert 'data-criterion="serve-experimentation" data-criterion-step="evaluation"' in html
    assert 'data-criterion="model-choice"' not in html
    assert 'data-step="evaluation"' in html
    assert [c.key for c in selectors.step_criteria(interview, "serving")] == ["serve-architecture"]
    last = [c.key for c in selectors.step_criteria(interview, "monitoring")]
    assert "communication" in last and "monitor-detection" in last


def test_the_answer_level_hint_of_a_section_still_caps_the_book_step_at_two(book):
    session = book_session(book)
    written = guides_of(CASE)
    composed = selectors.case_steps(session.interview)["data"]
    data_last = len(written["data"].hints) - 1  # the data section's answer-level hint

    answers = plans.answer_level_hints(composed)
    counts = {"data": len(composed.hints)}

    assert answers == {data_last, len(composed.hints) - 1}
    assert plans.hints_sent([("data", data_last)], {"data": answers}, counts) == {"data": (1, True)}
    assert plans.hints_sent([("data", 0)], {"data": answers}, counts) == {"data": (1, False)}


# --- The report --------------------------------------------------------------------------------


def test_a_book_session_reports_per_book_step_with_evaluation_scored_on_its_own(book):
    session = book_session(book)
    services.interview_start(actor=session.actor("interviewer"))
    composed = selectors.case_steps(session.interview)
    batch = writebehind.Batch()
    now = timezone.now()
    last_data = len(guides_of(CASE)["data"].hints) - 1
    batch.delivery(
        session.interview.pk,
        "data",
        "hint",
        last_data,
        composed["data"].hints[last_data],
        session.interviewer.pk,
        now,
    )
    writebehind.persist(batch)
    services.interview_end(actor=session.actor("interviewer"))
    elapsed = {key: 300 for key in BOOK_KEYS[:-1]}  # monitoring never reached
    Interview.objects.filter(pk=session.interview.pk).update(elapsed=elapsed, step_index=5)
    session.refresh()
    factories.finalise(
        session,
        level=3,
        **{"model-evaluation": 4, "serve-experimentation": 4},
        **{"monitor-detection": "not_observed", "monitor-lifecycle": "not_observed"},
    )

    data = reports.report_data(session.interview.pk)

    steps = {step["key"]: step for step in data["steps"]}
    assert list(steps) == BOOK_KEYS
    assert [c["key"] for c in steps["evaluation"]["criteria"]] == [
        "model-evaluation",
        "serve-experimentation",
    ]
    assert steps["evaluation"]["score"] == "4.00"
    assert steps["evaluation"]["title"] == "Evaluation"
    assert [c["key"] for c in steps["data"]["criteria"]] == [
        "data-labels",
        "data-quality",
        "features-signals",
        "features-consistency",
    ]
    # The data section's answer-level hint capped the book's data step at 2.
    assert steps["data"]["score"] == "2.00"
    assert steps["monitoring"]["reached"] is False
    # Not reached and not observed: its criteria count at 1.
    assert steps["monitoring"]["score"] == "1.00"
    assert data["rubric"]["required_steps"] == [
        "Data and features",
        "Serving",
        "Monitoring and iteration",
    ]
    assert {item["step"] for item in data["checklist"]["items"]} <= set(BOOK_KEYS)
    # The progress page follows the default's steps across sessions: the summary has both.
    summary = data["summary"]["steps"]
    assert summary["evaluation"] == 4.0
    assert summary["features"] == 2.0  # capped with the data step it belongs to here
    assert summary["serve"] == 3.4  # experimentation 4 (weight 2), architecture 3 (weight 3)
    assert summary["monitor"] == 1.0
