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
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

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


# --- Glossary links -----------------------------------------------------------------------------

# Text inside these elements is never linked: links and code, headings, and whatever is not
# prose (a Mermaid diagram's source sits in <pre>/<code> or in a data attribute).
_NO_LINK_TAGS = frozenset(
    {"a", "code", "pre", "kbd", "button", "script", "style", "textarea", "dfn", "abbr"}
    | {f"h{n}" for n in range(1, 7)}
)
_VOID_TAGS = frozenset({"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "wbr"})
# A tag (quoted attribute values may hold '>'), or a comment.
_TAG_RE = re.compile(
    r"<!--.*?-->|<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>", re.S
)
_MERMAID_RE = re.compile(r"""class\s*=\s*["'][^"']*\bmermaid\b|data-no-glossary""")


@dataclass(frozen=True)
class GlossaryEntry:
    key: str
    term: str
    definition: str  # inline Markdown
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.term, *self.aliases)


@functools.lru_cache(maxsize=4096)
def plain_text(markdown_text: str) -> str:
    """Inline Markdown as plain text (for a title attribute): no tags, entities decoded."""
    return html.unescape(nh3.clean(str(render_inline_markdown(markdown_text)), tags=set()))


class GlossaryLinker:
    """Links the first appearance of each glossary term (or alias) in a run of sanitised HTML
    fragments, one guide step, to its definition on the glossary page.

    Whole words, case-insensitive, the longest name first ("feature store" before "feature");
    never inside a link, code, a heading or a Mermaid diagram. The link carries the definition
    as its title, which browsers expose as its accessible description. One linker per step: it
    remembers the terms it has linked.
    """

    def __init__(self, entries: Sequence[GlossaryEntry], *, url: str) -> None:
        self.url = url
        self.seen: set[str] = set()
        self._by_name = {name.casefold(): entry for entry in entries for name in entry.names}
        names = sorted(self._by_name, key=len, reverse=True)
        self._pattern = (
            re.compile(
                r"(?<![\w-])(?:" + "|".join(re.escape(name) for name in names) + r")(?![\w-])",
                re.IGNORECASE,
            )
            if names
            else None
        )

    def link(self, fragment: str) -> SafeString:
        """``fragment`` is sanitised HTML (``render_markdown``'s output); the links added are
        built here from checked keys and escaped text, so the result stays safe."""
        if self._pattern is None or not fragment:
            return mark_safe(fragment)  # noqa: S308 (sanitised by the caller's Markdown filter)
        out: list[str] = []
        closed: list[tuple[str, bool]] = []  # open elements (name, forbids links), innermost last
        blocked = 0  # how many of them forbid links
        position = 0
        for match in _TAG_RE.finditer(fragment):
            text = fragment[position : match.start()]
            out.append(self._link_text(text) if text and not blocked else text)
            out.append(match.group(0))
            position = match.end()
            closing, name, attributes = (
                match.group(1),
                (match.group(2) or "").lower(),
                match.group(3),
            )
            if not name or name in _VOID_TAGS or (attributes or "").rstrip().endswith("/"):
                continue
            if closing:
                while closed:
                    top, was_blocking = closed.pop()
                    blocked -= was_blocking
                    if top == name:
                        break
            else:
                blocks = name in _NO_LINK_TAGS or bool(_MERMAID_RE.search(attributes or ""))
                closed.append((name, blocks))
                blocked += blocks
        tail = fragment[position:]
        out.append(self._link_text(tail) if tail and not blocked else tail)
        return mark_safe("".join(out))  # noqa: S308 (see the docstring)

    def _link_text(self, escaped: str) -> str:
        text = html.unescape(escaped)
        pieces: list[str] = []
        start = 0
        assert self._pattern is not None  # link() stops earlier without one
        for match in self._pattern.finditer(text):
            entry = self._by_name[match.group(0).casefold()]
            if entry.key in self.seen:
                continue
            self.seen.add(entry.key)
            pieces.append(html.escape(text[start : match.start()], quote=False))
            pieces.append(
                f'<a class="glossary-link" href="{html.escape(self.url)}#term-{entry.key}" '
                f'title="{html.escape(plain_text(entry.definition))}">'
                f"{html.escape(match.group(0), quote=False)}</a>"
            )
            start = match.end()
        if not pieces:
            return escaped  # nothing linked: the fragment exactly as it came
        pieces.append(html.escape(text[start:], quote=False))
        return "".join(pieces)
