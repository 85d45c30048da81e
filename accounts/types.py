"""The user and request types the whole project annotates with.

Sevensteps uses Django's own user model (``AUTH_USER_MODEL`` is not swapped), so annotations
name it directly; django-stubs then knows its reverse relations (``user.profile``).
"""

from django.contrib.auth.models import User
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

__all__ = ["AuthenticatedRequest", "HtmxRequest", "User"]


class HtmxRequest(HttpRequest):
    """A request past django-htmx's middleware (config/settings.py), which sets ``htmx``."""

    htmx: HtmxDetails


class AuthenticatedRequest(HtmxRequest):
    """A request to a view that needs a signed-in user. ``LoginRequiredMiddleware`` (see
    config/settings.py) redirects anyone else before the view runs, unless the view says
    ``@login_not_required``; so ``user`` is a real account, never ``AnonymousUser``."""

    user: User
