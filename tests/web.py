"""A plain HTTP client for tests that talk to a real server process (tests.conftest.app_server):
cookies kept, redirects not followed, the CSRF token taken from the form."""

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


class Browser:
    def __init__(self, base: str, *, timeout: float = 20.0) -> None:
        self.base = base
        self.timeout = timeout
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def request(
        self,
        path: str,
        *,
        data: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        url = self.base + path  # always http://127.0.0.1:<port> (tests.conftest.app_server)
        request = urllib.request.Request(url, data=body, headers=headers or {})  # noqa: S310
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                return Answer(
                    response.status,
                    {k.lower(): v for k, v in response.headers.items()},
                    response.read().decode(errors="replace"),
                )
        except urllib.error.HTTPError as error:
            return Answer(
                error.code,
                {k.lower(): v for k, v in error.headers.items()},
                error.read().decode(errors="replace"),
            )

    def csrf_token(self, path: str, headers: dict[str, str] | None = None) -> str:
        page = self.request(path, headers=headers)
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert found, f"no CSRF token on {path} ({page.status})"
        return found.group(1)

    def log_in(self, email: str, password: str, headers: dict[str, str] | None = None) -> Answer:
        token = self.csrf_token("/accounts/login/", headers)
        return self.request(
            "/accounts/login/",
            data={"login": email, "password": password, "csrfmiddlewaretoken": token},
            headers=headers,
        )
