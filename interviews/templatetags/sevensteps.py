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


# Words that keep their capital in a sentence-case heading.
PROPER_WORDS = frozenset({"Sevensteps", "I"})


@register.filter
def sentence_case(text) -> str:
    """ "Change Password" → "Change password": the house style for headings and buttons, applied
    to allauth's Title Case texts (templates/allauth/elements/). Acronyms (all capitals) and
    proper words keep their case; text inside tags is left alone."""
    words = str(text).strip().split(" ")
    result = words[:1]
    for word in words[1:]:
        bare = word.strip("():,.")
        if bare in PROPER_WORDS or (len(bare) > 1 and bare.isupper()) or "<" in word:
            result.append(word)
        else:
            result.append(word[:1].lower() + word[1:] if bare[:1].isupper() else word)
    return " ".join(result)
