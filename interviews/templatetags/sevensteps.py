from django import template

from accounts import selectors

register = template.Library()


@register.filter
def display_name(user) -> str:
    return selectors.display_name(user)


@register.filter
def duration(seconds) -> str:
    """Seconds as m:ss (or h:mm:ss)."""
    seconds = int(float(seconds or 0))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def get_item(mapping, key):
    return (mapping or {}).get(key)
