"""Template filters of the question bank: ``{% load bank %}{{ case.prompt|markdown }}``."""

from django import template
from django.utils.safestring import SafeString

from casestudies.markdown import render_inline_markdown, render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str | None) -> SafeString:
    """Markdown to sanitised HTML (paragraphs, lists, tables, code)."""
    return render_markdown(str(text or ""))


@register.filter
def inline_markdown(text: str | None) -> SafeString:
    """One line of Markdown without the surrounding <p>, for list items and hints."""
    return render_inline_markdown(str(text or ""))
