"""Project-wide middleware: input no view should have to think about, and response headers
every page needs."""

from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest


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
