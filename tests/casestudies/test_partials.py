"""The partials other pages (the library, the live room, reports) include on their own."""

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from casestudies import selectors
from casestudies.models import CaseStudy
from tests import factories

pytestmark = pytest.mark.django_db


def guide_of(slug: str, key: str):
    case = selectors.case_study_with_steps().get(slug=slug)
    return next(step for step in case.steps.all() if step.key == key)


def test_the_guide_numbers_hints_and_carries_what_the_live_room_needs():
    factories.case_study(slug="room")
    html = render_to_string(
        "casestudies/_guide_step.html", {"step": guide_of("room", "serve"), "send_actions": True}
    )
    assert 'class="card private guide-step"' in html
    assert "Interviewer only" in html
    assert "Hint 1</span>" in html and "Hint 2</span>" in html
    assert 'data-kind="hint" data-index="0" data-step="serve"' in html
    assert 'data-kind="hint" data-index="1" data-step="serve"' in html
    assert 'data-kind="curveball" data-index="0" data-step="serve"' in html
    assert html.count("data-send-hint") == 3  # two hints, one curveball
    assert '<button type="button" class="small secondary" data-send-hint>' in html
    assert "<details" in html and "Reference notes for room serve." in html


def test_the_guide_has_no_send_buttons_unless_asked():
    factories.case_study(slug="quiet")
    html = render_to_string("casestudies/_guide_step.html", {"step": guide_of("quiet", "data")})
    assert "data-send-hint" not in html


def test_the_reference_step_shows_only_what_the_candidate_may_see():
    factories.case_study(slug="after")
    html = render_to_string(
        "casestudies/_reference_step.html", {"step": guide_of("after", "model")}
    )
    assert "Reference notes for after model." in html
    assert "Reading for after model" in html
    for private in ("Probe text", "Hint", "Curveball", "Red flag", "Strong signal", "Follow-up"):
        assert private not in html


def test_the_case_card_shows_badges_tags_steps_and_practised():
    factories.case_study(slug="card", tags=["ranking", "ann"], difficulty="hard")
    case = CaseStudy.objects.with_step_count().get(slug="card")

    html = render_to_string("casestudies/_case_card.html", {"case": case, "practised": True})

    assert case.title in html
    assert 'href="/library/card/"' in html
    assert "Search" in html and 'class="badge hard"' in html
    assert "Practised" in html
    assert "7 steps" in html
    assert ">ranking<" in html and ">ann<" in html
    assert "Practised" not in render_to_string("casestudies/_case_card.html", {"case": case})


def test_the_prompt_is_rendered_as_sanitised_markdown():
    factories.case_study(slug="prompted", prompt="Design **it**.\n\n<script>bad()</script>")
    case = CaseStudy.objects.get(slug="prompted")
    html = render_to_string("casestudies/_prompt.html", {"case": case})
    assert "<strong>it</strong>" in html
    assert "<script" not in html


def test_the_diagram_partial_carries_its_source_escaped():
    html = render_to_string(
        "casestudies/_diagram.html", {"source": 'flowchart LR\n  A["x & <y>"] --> B'}
    )
    assert 'data-source="flowchart LR\n  A[&quot;x &amp; &lt;y&gt;&quot;] --&gt; B"' in html
    scripts = render_to_string("casestudies/_diagram_scripts.html")
    assert scripts.index("mermaid-12.3.0/mermaid.min.js") < scripts.index("js/diagram.js")
    assert scripts.count(" defer>") == 2


# --- Format 2 in the guide: answers, tags, levels, the checklist, readings ----------------------


def test_the_guide_shows_each_curveball_with_its_expected_answer():
    factories.case_study(slug="answered")
    html = render_to_string("casestudies/_guide_step.html", {"step": guide_of("answered", "data")})
    item = html[html.index('data-kind="curveball"') :]
    assert "Curveball for answered data." in item
    assert "A good answer:</strong> Expected answer for answered data." in item


def test_signals_and_red_flags_carry_a_badge_with_the_criterion_title_and_level():
    factories.rubric()
    factories.case_study(slug="tagged")
    html = render_to_string("casestudies/_guide_step.html", {"step": guide_of("tagged", "data")})
    # Strong signal 1 is level 4 of data-main ("Criterion data-main" in the factory rubric).
    assert (
        'Strong signal 1 for tagged data. <span class="badge criterion-badge" '
        'title="Evidence for level 4 of “Criterion data-main”">Criterion data-main · 4</span>'
    ) in html
    assert "Red flag 2 for tagged data. <span" in html
    assert ">Criterion data-main · 2</span>" in html


def test_a_critical_red_flag_is_marked():
    factories.rubric()
    factories.case_study(slug="crux")
    data = render_to_string("casestudies/_guide_step.html", {"step": guide_of("crux", "data")})
    model = render_to_string("casestudies/_guide_step.html", {"step": guide_of("crux", "model")})
    assert '<li class="critical"><span class="badge bad critical-badge"' in data
    assert data.count("critical-badge") == 1  # only red flag 1 of the data step
    assert "critical-badge" not in model


def test_the_guide_shows_what_each_target_level_shows_in_the_step():
    factories.case_study(slug="levels")
    html = render_to_string("casestudies/_guide_step.html", {"step": guide_of("levels", "serve")})
    for level in ("mid", "senior", "staff"):
        assert f"What a {level} candidate shows in levels serve." in html
    assert "<dt>Senior</dt>" in html


def test_further_reading_shows_links_or_citations():
    case = factories.case_study(slug="reading")
    step = case.steps.get(framework_step__key="model")
    step.further_reading = [
        {
            "title": "Deep Neural Networks for YouTube Recommendations",
            "authors": "Covington et al.",
            "year": 2016,
        },
        {"title": "The FAISS wiki", "url": "https://github.com/facebookresearch/faiss/wiki"},
    ]
    step.save()

    html = render_to_string(
        "casestudies/_reference_step.html", {"step": guide_of("reading", "model")}
    )

    # Without a url of its own, the title links to a search for it.
    assert (
        '<a href="https://scholar.google.com/scholar?q=Deep+Neural+Networks+for+YouTube+'
        'Recommendations+Covington+et+al.+2016" rel="noopener noreferrer">'
        "<cite>Deep Neural Networks for YouTube Recommendations</cite></a>"
        '<span class="reading-credit">, Covington et al., 2016</span>'
    ) in html
    assert (
        '<a href="https://github.com/facebookresearch/faiss/wiki" rel="noopener noreferrer">'
        "<cite>The FAISS wiki</cite></a>"
    ) in html


def test_the_report_lists_further_reading_as_links():
    from casestudies.content import reading_markdown
    from casestudies.markdown import render_inline_markdown

    html = render_inline_markdown(
        reading_markdown({"title": "Sampling Matters [v2]", "authors": "Wu et al.", "year": 2017})
    )
    assert html.startswith('<a href="https://scholar.google.com/scholar?q=Sampling+Matters+')
    assert ">Sampling Matters (v2)</a>, Wu et al., 2017" in html


def test_the_checklist_is_on_the_interviewer_preview_and_never_the_candidates(client):
    factories.rubric()
    factories.case_study(slug="concepts")
    client.force_login(factories.user(staff=True))

    interviewer = client.get(reverse("case_preview_interviewer", args=["concepts"]))
    candidate = client.get(reverse("casestudies:preview_candidate", args=["concepts"]))

    html = interviewer.content.decode()
    assert "Concept checklist" in html
    assert "Concept 6 of concepts." in html
    assert '<span class="badge level-staff">Staff</span>' in html
    assert "<td>Step data</td>" in html  # the step's title, not its key
    page = candidate.content.decode()
    for private in (
        "Concept checklist",
        "Concept 1 of",
        "Expected answer for",
        "shows in concepts",
    ):
        assert private not in page


def test_the_case_page_shows_the_checklist_only_with_the_guide(client):
    factories.rubric()
    factories.case_study(slug="shown")
    member = factories.user()
    client.force_login(member)
    assert (
        "Concept checklist"
        not in client.get(reverse("case_detail", args=["shown"])).content.decode()
    )
    client.force_login(factories.user(staff=True))
    assert (
        "Concept checklist" in client.get(reverse("case_detail", args=["shown"])).content.decode()
    )
