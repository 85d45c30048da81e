"""Template tags of the rubrics app for pages of the bank: ``{% load rubric %}``.

``{% criterion_badge item step %}`` names the criterion a tagged strong signal or red flag is
evidence for, and its level, in the words of the rubric that scores the case. The bank's
templates use it; the bank's Python never imports the rubrics.
"""

from django import template
from django.utils.html import format_html

from rubrics import selectors

register = template.Library()


def _titles(context: template.Context, case_id: int) -> dict[str, str]:
    """Criterion key -> title for the case: ``criterion_titles`` from the view when it has the
    rubric at hand, else read once per page (kept on the page's context, which the included
    partials share)."""
    given = context.get("criterion_titles")
    if given is not None:
        return given
    cache = getattr(context, "_criterion_titles", None)
    if cache is None:
        cache = vars(context)["_criterion_titles"] = {}
    if case_id not in cache:
        cache[case_id] = selectors.criterion_titles(case_id=case_id)
    return cache[case_id]


@register.simple_tag(takes_context=True)
def criterion_badge(context: template.Context, item, step) -> str:
    """A badge for a tagged signal or red flag (``{text, criterion, level}``) of a case step:
    "Pins down the goal · 4". Nothing for an untagged item."""
    key = item.get("criterion") if isinstance(item, dict) else None
    if not key:
        return ""
    title = _titles(context, step.case_study_id).get(key, key)
    level = item.get("level")
    return format_html(
        '<span class="badge criterion-badge" title="Evidence for level {} of “{}”">{} · {}</span>',
        level,
        title,
        title,
        level,
    )
