"""Curator-written Markdown becomes HTML with nothing executable left in it."""

import pytest
from django.template import Context, Template

from casestudies.markdown import render_inline_markdown, render_markdown


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert('x')</script>",
        "Before <SCRIPT src='https://evil.example/x.js'></SCRIPT> after",
        "```\nok\n```\n<script>alert(1)</script>",
    ],
)
def test_script_tags_and_their_content_are_stripped(text):
    html = render_markdown(text).lower()
    assert "<script" not in html
    assert "alert" not in html
    assert "evil.example" not in html


@pytest.mark.parametrize(
    "text",
    [
        '<img src="x" onerror="alert(1)">',
        '<p onclick="alert(1)">Click</p>',
        '<a href="https://example.org" onmouseover="alert(1)">link</a>',
        "<b onmouseover=alert(1)>bold</b>",
        '<svg onload="alert(1)"></svg>',
    ],
)
def test_event_handler_attributes_are_stripped(text):
    html = render_markdown(text).lower()
    assert "onerror" not in html
    assert "onclick" not in html
    assert "onmouseover" not in html
    assert "onload" not in html
    assert "alert" not in html


@pytest.mark.parametrize(
    "text",
    [
        "[click me](javascript:alert(1))",
        '<a href="javascript:alert(1)">click me</a>',
        '<a href="JaVaScRiPt:alert(1)">click me</a>',
        "[click me](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        '<a href="vbscript:msgbox(1)">click me</a>',
    ],
)
def test_dangerous_link_schemes_are_stripped_but_the_text_stays(text):
    html = render_markdown(text).lower()
    assert "javascript:" not in html
    assert "data:" not in html
    assert "vbscript:" not in html
    assert "click me" in html


def test_other_raw_html_is_reduced_to_its_text():
    html = render_markdown(
        '<iframe src="https://evil.example"></iframe><style>body{display:none}</style>'
        '<div class="card private" style="color:red">Text</div><form><input></form>'
    )
    for tag in ("<iframe", "<style", "<div", "<form", "<input", "style=", "class="):
        assert tag not in html
    assert "Text" in html
    assert "display:none" not in html


def test_links_are_kept_with_noopener_noreferrer():
    html = render_markdown("See [the paper](https://example.org/paper).")
    assert '<a href="https://example.org/paper" rel="noopener noreferrer">the paper</a>' in html


def test_common_markdown_is_kept():
    html = render_markdown(
        "A *light* and **strong** point with `code`.\n\n"
        "- first\n- second\n\n"
        "1. one\n2. two\n\n"
        "> quoted\n\n"
        "```\nprint('hi')\n```\n\n"
        "| metric | target |\n|:--|--:|\n| p99 | 200 ms |\n"
    )
    assert "<em>light</em>" in html
    assert "<strong>strong</strong>" in html
    assert "<code>code</code>" in html
    assert "<ul>\n<li>first</li>\n<li>second</li>\n</ul>" in html
    assert "<ol>\n<li>one</li>\n<li>two</li>\n</ol>" in html
    assert "<blockquote>" in html
    assert "<pre><code>print('hi')\n</code></pre>" in html
    assert "<table>" in html
    assert '<th align="left">metric</th>' in html
    assert '<td align="right">200 ms</td>' in html


def test_a_list_right_under_a_line_of_text_is_a_list():
    html = render_markdown("Probe:\n- scale\n- latency\n  and cost\n\nAfter.")
    assert "<p>Probe:</p>" in html
    assert "<li>scale</li>" in html
    assert "<li>latency\n  and cost</li>" in html
    assert "<p>After.</p>" in html


def test_a_dash_inside_fenced_code_is_left_alone():
    html = render_markdown("```\ntext\n- not a list\n```")
    assert "<li>" not in html
    assert "- not a list" in html


def test_html_special_characters_in_text_are_escaped():
    html = render_markdown("Use a < b && c > d for 'x'")
    assert "&lt;" in html and "&amp;&amp;" in html and "&gt;" in html


def test_inline_markdown_drops_the_paragraph_around_one_line():
    assert render_inline_markdown("Ask about *scale* first.") == "Ask about <em>scale</em> first."
    assert render_inline_markdown("<script>x()</script>Safe") == "Safe"


def test_inline_markdown_keeps_blocks_when_there_are_several():
    html = render_inline_markdown("One.\n\nTwo.")
    assert html.count("<p>") == 2


def test_the_template_filters_render_and_sanitise():
    template = Template(
        "{% load bank %}<div>{{ text|markdown }}</div><li>{{ item|inline_markdown }}</li>"
        "<i>{{ nothing|markdown }}</i>"
    )
    html = template.render(
        Context({"text": "**Bold** <script>x</script>", "item": "An *item*", "nothing": None})
    )
    assert html == ("<div><p><strong>Bold</strong> </p></div><li>An <em>item</em></li><i></i>")
