"""ASGI entry point: Django for HTTP, Channels for the live room's WebSockets.

Sockets pass a same-origin check (scheme, host and port as the browser sees them, or an
origin listed in ``CSRF_TRUSTED_ORIGINS``) and session authentication; a socket that fails the
origin check is accepted and closed with 4403, so the browser learns why (the room's consumer
does it). Every consumer still checks that the user may open the object it is asked for.
Unknown socket paths are refused cleanly, never with an exception.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up first)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.http.request import split_domain_port, validate_host  # noqa: E402

from interviews.routing import websocket_urlpatterns  # noqa: E402


def origin_allowed(scope: dict) -> bool:
    headers = dict(scope.get("headers") or [])
    origin = headers.get(b"origin", b"").decode("latin-1")
    if not origin:
        return True  # not a browser: no ambient cookies to abuse
    host = headers.get(b"host", b"").decode("latin-1")
    domain, _port = split_domain_port(host)
    allowed_hosts = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed_hosts:
        allowed_hosts = [".localhost", "127.0.0.1", "[::1]"]
    if not domain or not validate_host(domain, allowed_hosts):
        return False
    scheme = "https" if scope.get("scheme") == "wss" else "http"
    return origin == f"{scheme}://{host}" or origin in settings.CSRF_TRUSTED_ORIGINS


class OriginCheck:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            scope = {**scope, "origin_ok": origin_allowed(scope)}
        return await self.app(scope, receive, send)


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # types-channels wants its own pattern type; these are Django's (interviews/routing.py).
        "websocket": OriginCheck(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))  # type: ignore[arg-type]
        ),
    }
)
