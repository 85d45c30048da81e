"""The glossary: its file's rules, its page, and the links the guides make to it."""

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from casestudies import content, glossary_content, selectors
from casestudies import services as case_services
from casestudies.markdown import GlossaryEntry, GlossaryLinker, render_inline_markdown
from casestudies.markdown import render_markdown as md
from tests import factories

URL = "/library/glossary/"
ENTRIES = [
    GlossaryEntry("calibration", "Calibration", "Predicted *probabilities* match frequencies."),
    GlossaryEntry("feature-store", "Feature store", "A store of features.", ("feature stores",)),
    GlossaryEntry("feature", "Feature", "An input to a model."),
    GlossaryEntry("a-b-test", "A/B test", "Two versions, random halves.", ("online experiment",)),
    GlossaryEntry("recall", "Recall", 'The share of positives found; "hits" over "all".'),
]


def linker() -> GlossaryLinker:
    return GlossaryLinker(ENTRIES, url=URL)


def link(term: str, key: str, title: str) -> str:
    return f'<a class="glossary-link" href="{URL}#term-{key}" title="{title}">{term}</a>'


# --- The linking rules ---------------------------------------------------------------------------


def test_the_first_appearance_of_a_term_links_to_its_definition():
    html = linker().link(str(md("Check calibration twice: calibration drifts.")))
    assert html == (
        "<p>Check "
        + link("calibration", "calibration", "Predicted probabilities match frequencies.")
        + " twice: calibration drifts.</p>"
    )


def test_matching_is_case_insensitive_and_keeps_the_text_as_written():
    html = linker().link(str(md("CALIBRATION matters.")))
    assert ">CALIBRATION</a>" in html


def test_only_whole_words_link():
    gl = linker()
    html = gl.link(str(md("Recalled items, miscalibration, features and pre-recall checks.")))
    assert "glossary-link" not in html  # recall/calibration/feature only inside longer words
    assert "glossary-link" in gl.link(str(md("Then recall.")))


def test_the_longest_name_wins_and_aliases_link_to_their_term():
    html = linker().link(str(md("Feature stores serve each feature online.")))
    assert link("Feature stores", "feature-store", "A store of features.") in html
    assert link("feature", "feature", "An input to a model.") in html  # a different term
    assert link("online experiment", "a-b-test", "Two versions, random halves.") in (
        linker().link(str(md("Run an online experiment.")))
    )


def test_a_term_links_once_per_step_whatever_the_fragment():
    gl = linker()  # one linker per guide step
    first = gl.link(str(render_inline_markdown("Ask about recall.")))
    second = gl.link(str(render_inline_markdown("Recall again, and an A/B test.")))
    assert "glossary-link" in first
    assert ">Recall</a>" not in second
    assert ">A/B test</a>" in second
    assert "glossary-link" in linker().link("recall")  # a new step starts afresh


@pytest.mark.parametrize(
    "markdown",
    [
        "[calibration guide](https://example.org/calibration)",  # already a link
        "Use `calibration` in the config.",  # inline code
        "```\ncalibration = True\n```",  # a code block
        "```mermaid\nflowchart LR\n  A[calibration] --> B\n```",  # Mermaid source
        "### Calibration",  # a heading
    ],
)
def test_never_inside_a_link_code_mermaid_or_a_heading(markdown):
    html = linker().link(str(md(markdown)))
    assert "glossary-link" not in html
    assert html == str(md(markdown))  # untouched


def test_text_after_a_code_span_still_links():
    html = linker().link(str(md("Set `recall` and then check calibration.")))
    assert "<code>recall</code>" in html
    assert ">calibration</a>" in html


def test_an_element_marked_mermaid_or_no_glossary_is_left_alone():
    gl = linker()
    assert "glossary-link" not in gl.link('<div class="mermaid">calibration</div>')
    assert "glossary-link" not in gl.link("<p data-no-glossary>recall</p>")


def test_links_stay_sanitised_and_entities_survive():
    gl = linker()
    html = gl.link(str(md("Recall & precision <script>x()</script> &lt;b&gt;")))
    assert "<script" not in html
    assert "&amp; precision" in html
    assert "&lt;b&gt;" in html
    # The definition is plain text in an escaped attribute: no Markdown, no raw quote.
    assert 'title="The share of positives found; &quot;hits&quot; over &quot;all&quot;."' in html
    evil = GlossaryEntry("x", "Xterm", 'Bad "><script>alert(1)</script>.')
    out = GlossaryLinker([evil], url=URL).link("<p>Xterm</p>")
    assert "<script" not in out
    assert 'title="Bad &quot;&gt;."' in out  # Markdown cleaned, then escaped


def test_no_glossary_links_nothing():
    assert GlossaryLinker([], url=URL).link("<p>calibration</p>") == "<p>calibration</p>"


# --- The file's rules -------------------------------------------------------------------------


def glossary(*terms) -> dict:
    return {"format": 2, "terms": list(terms)}


def term(key, name, definition="One sentence.", aliases=()):
    return {"key": key, "term": name, "aliases": list(aliases), "definition": definition}


@pytest.mark.parametrize(
    ("doc", "field", "problem"),
    [
        (glossary(term("a", "Alpha"), term("a", "Beta")), "terms[2].key", "'a' is used twice"),
        (
            glossary(term("a", "Alpha", aliases=["beta"]), term("b", "Beta")),
            "terms[2].term",
            "'Beta' is already used by the term 'a'",
        ),
        (
            glossary(term("a", "Alpha", aliases=["x", "X"])),
            "terms[1].aliases",
            "'X' is already used by the term 'a'",
        ),
        (
            glossary(term("a", "Alpha", "One. Two. Three.")),
            "terms[1].definition",
            "has 3 sentences; keep it to one or two sentences",
        ),
        (
            glossary(term("a", "Alpha", "No full stop")),
            "terms[1].definition",
            "must end a sentence",
        ),
        (
            glossary(term("b", "Beta"), term("a", "Alpha")),
            "terms[2].term",
            "terms are sorted by term: 'Alpha' comes before 'Beta'",
        ),
        (glossary(), "terms", "needs at least 1 items, found 0"),
        ({"terms": [term("a", "Alpha")]}, "format", "is missing"),
        (
            glossary({"key": "a", "term": "Alpha", "definition": "A.", "see": "b"}),
            "terms[1].see",
            "unknown field",
        ),
    ],
)
def test_a_bad_glossary_is_refused_with_field_and_problem(doc, field, problem):
    with pytest.raises(content.ContentError) as refused:
        glossary_content.parse_glossary(doc, source="glossary.yaml")
    assert refused.value.field == field
    assert problem in refused.value.message


def test_definitions_of_one_or_two_sentences_pass_abbreviations_and_decimals_included():
    doc = glossary(
        term("a", "Alpha", "Weights, e.g. 0.5 or 3.5, scale the loss. They are tuned."),
        term("b", "Beta", "A score (say 0.2) that is calibrated."),
    )
    assert [t["key"] for t in glossary_content.parse_glossary(doc, source="g.yaml")["terms"]] == [
        "a",
        "b",
    ]


# --- The page and the guides ------------------------------------------------------------------


@pytest.fixture
def terms(db):
    case_services.glossary_upsert(
        doc=glossary(
            term("a-b-test", "A/B test", "Two versions, random halves of the users."),
            term(
                "calibration",
                "Calibration",
                "Probabilities that match frequencies.",
                aliases=["calibrated"],
            ),
            term("hint", "Hint", "A nudge."),
        )
    )


def test_the_glossary_page_has_one_anchor_per_term_and_the_library_links_to_it(client, terms):
    client.force_login(factories.user())

    html = client.get(reverse("casestudies:glossary")).content.decode()

    assert reverse("casestudies:glossary") == URL
    for key in ("a-b-test", "calibration", "hint"):
        assert html.count(f'id="term-{key}"') == 1
    assert "<dfn>Calibration</dfn>" in html
    assert "also calibrated" in html
    assert html.index("A/B test") < html.index("Calibration") < html.index("Hint")
    assert f'href="{URL}"' in client.get(reverse("library")).content.decode()


def test_the_glossary_page_needs_a_login(client, terms):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_guide_step_links_each_term_once_across_its_parts(terms):
    factories.rubric()
    case = factories.case_study(slug="linked")
    step = case.steps.get(framework_step__key="model")
    step.probe = "Ask whether the scores are calibrated.\n\n```\ncalibration: off\n```\n"
    step.hints = ["Calibration matters.", "Run an A/B test."]
    step.curveballs = [
        {"text": "Calibration drifts.", "expected": "Recalibrate after an A/B test."}
    ]
    step.reference_notes = "Calibration again, and a hint about hints.\n"
    step.save()
    step = next(
        s for s in selectors.case_study_with_steps().get(pk=case.pk).steps.all() if s.key == "model"
    )

    html = render_to_string("casestudies/_guide_step.html", {"step": step})

    assert html.count('href="/library/glossary/#term-calibration"') == 1
    assert ">calibrated</a>" in html  # the first appearance is the probe's alias
    assert "<code>calibration: off" in html  # never inside code
    assert html.count('href="/library/glossary/#term-a-b-test"') == 1
    assert html.count("#term-hint") == 1  # "hint" in the reference notes, not the headings
    assert 'title="Probabilities that match frequencies."' in html
    # The reference step (the candidate's, after the session) links on its own.
    reference = render_to_string("casestudies/_reference_step.html", {"step": step})
    assert reference.count("#term-calibration") == 1


def test_the_glossary_is_read_once_per_page_however_many_steps(
    client, terms, django_assert_max_num_queries
):
    factories.rubric()
    factories.case_study(slug="counted")
    client.force_login(factories.user(staff=True))
    url = reverse("case_preview_interviewer", args=["counted"])
    with django_assert_max_num_queries(15):  # the glossary once, and the guide rule's two
        html = client.get(url).content.decode()
    assert html.count(f'href="{URL}#term-hint"') == 7  # "Hint 1 for …" once in each step
