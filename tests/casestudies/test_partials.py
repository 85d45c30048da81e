"""The partials other pages (the library, the live room, reports) include on their own."""

import pytest
from django.template.loader import render_to_string

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
