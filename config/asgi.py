"""ASGI entry point: Django for HTTP, Channels for the live room's WebSockets.

The WebSocket side sits behind the allowed-hosts origin check and session authentication; each
consumer still checks that the user may open the object it is asked for.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up first)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import Resolver404  # noqa: E402

from interviews.routing import websocket_urlpatterns  # noqa: E402

# Close code for a socket opened on a path nothing serves (4000-4999: the application's own).
UNKNOWN_PATH = 4404


class RefuseUnknownPaths:
    """Channels' URLRouter, but a socket opened on a path no route matches is refused (closed
    before it is accepted: the client sees HTTP 403) instead of the router raising, which the
    server logs as an error of ours."""

    def __init__(self, router: URLRouter) -> None:
        self.router = router

    def routed(self, scope) -> bool:
        path, root = scope.get("path", ""), scope.get("root_path", "")
        if root and not path.startswith(root):
            return False
        path = path[len(root) :].lstrip("/")
        for route in self.router.routes:
            try:
                if route.pattern.match(path):
                    return True
            except Resolver404:
                continue
        return False

    async def __call__(self, scope, receive, send) -> None:
        if self.routed(scope):
            return await self.router(scope, receive, send)
        message = await receive()
        if message["type"] == "websocket.connect":
            await send({"type": "websocket.close", "code": UNKNOWN_PATH})


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(RefuseUnknownPaths(URLRouter(websocket_urlpatterns)))
        ),
    }
)
