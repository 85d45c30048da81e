"""Project-wide middleware: input no view should have to think about, and response headers
every page needs."""

from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.cache import patch_cache_control


class RefuseNulBytesMiddleware:
    """A NUL byte in the path or the query string answers 400.

    No page has a use for one, and they reach places that refuse them with an exception (a
    PostgreSQL text parameter raises, so a ``<str:…>`` route or a search box would answer 500).
    Refused before any view, so no view has to remember it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path_info or b"\x00" in unquote_to_bytes(query):
            return HttpResponseBadRequest(
                "A NUL byte has no place in an address.", content_type="text/plain"
            )
        return self.get_response(request)


class PrivatePagesMiddleware:
    """Pages for a signed-in user, or that depend on the session or the CSRF cookie (a login
    form), are ``Cache-Control: private, no-store``: no shared cache keeps them, and the
    browser does not store them for the next person at the same computer. A view that set
    its own Cache-Control keeps it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        user = getattr(request, "user", None)
        personal = (user is not None and user.is_authenticated) or "Cookie" in response.get(
            "Vary", ""
        )
        if personal:
            patch_cache_control(response, private=True, no_store=True)
        return response
