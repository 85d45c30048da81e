from channels.generic.websocket import AsyncWebsocketConsumer
from django.urls import path, re_path

from . import consumers


class NoSuchSocket(AsyncWebsocketConsumer):
    """Any other socket path: accepted and closed with 4404, instead of an exception."""

    channel_layer_alias = "none"

    async def connect(self) -> None:
        await self.accept()
        await self.close(code=4404)


# Channels routes with Django's path(); django-stubs types its view as an HTTP view only.
websocket_urlpatterns = [
    path("ws/interviews/<str:pk>/", consumers.RoomConsumer.as_asgi()),  # type: ignore[arg-type]
    re_path(r"", NoSuchSocket.as_asgi()),  # type: ignore[arg-type]
]
