"""The floor the room is compared with: a raw ASGI WebSocket relay.

No Django, no channel layer, no database, no parsing: each text frame a socket sends goes
straight to the other socket(s) on the same path (``/ws/interviews/<id>/``, as in the app).
Served by the same ASGI server as the app (``uvicorn bench.relay:app``). One process only: two
processes would need a broker between them, which is what the channel layer is.
"""

import contextlib
from collections import defaultdict

rooms: dict[str, set] = defaultdict(set)


async def app(scope, receive, send) -> None:
    if scope["type"] == "lifespan":
        while True:
            event = await receive()
            if event["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif event["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] == "http":
        # Answers the orchestrator's readiness probe.
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})
        return
    if scope["type"] != "websocket":
        return
    if (await receive())["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    peers = rooms[scope["path"]]
    peers.add(send)
    try:
        while True:
            event = await receive()
            if event["type"] == "websocket.disconnect":
                return
            frame = {"type": "websocket.send", "text": event.get("text")}
            if frame["text"] is None:
                frame = {"type": "websocket.send", "bytes": event.get("bytes")}
            for other in list(peers):
                if other is not send:
                    with contextlib.suppress(Exception):  # that side left meanwhile
                        await other(frame)
    finally:
        peers.discard(send)
        if not peers:
            rooms.pop(scope["path"], None)
