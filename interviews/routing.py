from channels.generic.websocket import AsyncWebsocketConsumer
from django.urls import path, re_path

from . import consumers


class NoSuchSocket(AsyncWebsocketConsumer):
    """Any other socket path: accepted and closed with 4404, instead of an exception."""

    channel_layer_alias = "none"

    async def connect(self) -> None:
        await self.accept()
        await self.close(code=4404)


websocket_urlpatterns = [
    path("ws/interviews/<str:pk>/", consumers.RoomConsumer.as_asgi()),
    re_path(r"", NoSuchSocket.as_asgi()),
]
