"""Markdown written by curators (prompts, guides, reference notes, rubric text) to safe HTML.

Two passes: Python-Markdown turns the text into HTML, then nh3 keeps only the tags and
attributes listed below. Raw HTML in the source goes through the same allow-list, so a
``<script>``, an ``on*=`` attribute or a ``javascript:`` link never reaches a page. Links get
``rel="noopener noreferrer"``. Images are not allowed: a self-hosted install must not fetch
from other hosts, and the bank does not need them.

Rendering is cached per text (the bank changes rarely and the same guide is rendered on every
page of a live room).
"""

import functools
import re

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown.extensions import Extension
from markdown.extensions.tables import TableExtension
from markdown.preprocessors import Preprocessor

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "ol": {"start"},
    "td": {"align"},
    "th": {"align"},
}
URL_SCHEMES = {"http", "https", "mailto"}

_cleaner = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    clean_content_tags={"script", "style"},
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes=URL_SCHEMES,
    link_rel="noopener noreferrer",
    strip_comments=True,
)

_LIST_ITEM = re.compile(r"^\s{0,3}(?:[-*+]|\d{1,9}[.)])\s+\S")
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")


class _ListsAfterText(Preprocessor):
    """Let a list start right under a line of text, as people write it ("Probe:\\n- a\\n- b").

    Python-Markdown wants a blank line before a list and would otherwise run the items into the
    paragraph; the bank is full of such lists, so a blank line is inserted where one is missing.
    Lines inside a list (continuations, nested items) and inside fenced code are left alone.
    """

    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        in_fence = in_list = False
        previous = ""
        for line in lines:
            if _FENCE.match(line):
                in_fence = not in_fence
            elif not in_fence:
                if not line.strip():
                    in_list = False
                elif _LIST_ITEM.match(line):
                    if previous.strip() and not in_list:
                        out.append("")
                    in_list = True
            out.append(line)
            previous = line
        return out


class _SevenstepsExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.preprocessors.register(_ListsAfterText(md), "sevensteps_lists", 25)


def _to_html(text: str) -> str:
    html = markdown.markdown(
        text,
        extensions=[
            "fenced_code",
            "sane_lists",
            TableExtension(use_align_attribute=True),
            _SevenstepsExtension(),
        ],
        output_format="html",
    )
    return _cleaner.clean(html)


@functools.lru_cache(maxsize=2048)
def render_markdown(text: str) -> SafeString:
    """Markdown to sanitised HTML, safe to put in a template as is."""
    if not text:
        return mark_safe("")
    return mark_safe(_to_html(text))  # noqa: S308 (sanitised by nh3 above)


@functools.lru_cache(maxsize=4096)
def render_inline_markdown(text: str) -> SafeString:
    """One line of Markdown (a list item, a hint) without the paragraph around it."""
    html = str(render_markdown(text)).strip()
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return mark_safe(html)  # noqa: S308 (sanitised by nh3 in render_markdown)
