"""Filters for the Markdown report (feedback/report.md)."""

from collections.abc import Mapping
from typing import Any

from django import template

register = template.Library()


@register.filter
def level_text(side: Mapping[str, Any] | None) -> str:
    if not side:
        return "—"
    if side["status"] == "scored":
        if side.get("capped"):
            return f"{side['level']}/4 ({side['given']} given)"
        return f"{side['level']}/4"
    if side["status"] == "not_reached":
        return "1/4 (not reached)"
    return "not observed" if side["status"] == "not_observed" else "not scored"


@register.filter
def quote(text: str) -> str:
    """A Markdown block quote of ``text``."""
    return "\n".join(f"> {line}" if line else ">" for line in (text or "").strip().splitlines())


@register.filter
def mmss(seconds: float) -> str:
    minutes, secs = divmod(int(seconds or 0), 60)
    return f"{minutes}:{secs:02d}"
