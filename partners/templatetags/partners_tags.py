from django import template

register = template.Library()


@register.filter
def signed(value, places: int = 2) -> str:
    """A number with its sign: +0.40, −0.25, 0.00."""
    if value is None:
        return "—"
    rounded = round(float(value), int(places))
    if rounded == 0:
        return f"{0:.{places}f}"
    return f"{'+' if rounded > 0 else '−'}{abs(rounded):.{places}f}"
