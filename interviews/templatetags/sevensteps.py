from django import template

from interviews import selectors

register = template.Library()


@register.filter
def display_name(user) -> str:
    return selectors.display_name(user)
