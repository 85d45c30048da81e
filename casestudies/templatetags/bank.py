"""Template filters of the question bank: ``{% load bank %}{{ case.prompt|markdown }}``.

Glossary links in a guide step: ``{% glossary_linker as gl %}`` once per step, then
``{{ step.probe|markdown|glossary:gl }}`` on each piece of it in reading order; the first
appearance of each term in the step becomes a link to its definition.
"""

from django import template
from django.urls import reverse
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString

from casestudies import content, selectors
from casestudies.markdown import GlossaryLinker, render_inline_markdown, render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str | None) -> SafeString:
    """Markdown to sanitised HTML (paragraphs, lists, tables, code)."""
    return render_markdown(str(text or ""))


@register.filter
def reading_url(reading: dict) -> str:
    """A further-reading item's link: its url, or a search for it (casestudies.content)."""
    return content.reading_url(reading)


@register.filter
def inline_markdown(text: str | None) -> SafeString:
    """One line of Markdown without the surrounding <p>, for list items and hints."""
    return render_inline_markdown(str(text or ""))


@register.simple_tag(takes_context=True)
def glossary_linker(context: template.Context) -> GlossaryLinker:
    """A fresh linker (nothing linked yet) over the glossary, which is read once per page: the
    terms are kept on the page's context, shared by the partials it includes."""
    entries = getattr(context, "_glossary_entries", None)
    if entries is None:
        entries = selectors.glossary_entries()
        vars(context)["_glossary_entries"] = entries
    return GlossaryLinker(entries, url=reverse("casestudies:glossary"))


@register.filter
def glossary(html: str | None, linker: GlossaryLinker | None) -> SafeString:
    """Link glossary terms in HTML from the ``markdown`` filters (anything else is escaped
    first); without a linker, the HTML as it is."""
    safe = conditional_escape(html or "")
    if not isinstance(linker, GlossaryLinker):
        return safe
    return linker.link(str(safe))
