from django.urls import path

from . import consumers

websocket_urlpatterns = [
    path("ws/interviews/<str:pk>/", consumers.RoomConsumer.as_asgi()),
]
