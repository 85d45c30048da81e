"""Voice and video between the two people of an interview: WebRTC, peer to peer. The room only
relays the browsers' offer, answer and ICE candidates (interviews/live.py, ``call.signal``);
here are the ICE servers each browser is told to use.

STUN and TURN addresses come from the settings. TURN credentials follow the TURN REST API that
coturn implements (``use-auth-secret``): the username is the expiry time and the user's id, the
password an HMAC of it with the secret both sides share, so a credential stops working on its
own after ``TURN_TTL_SECONDS``.
"""

import base64
import hashlib
import hmac
import time
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

MAX_CALL_LINK = 500
_HTTPS_URL = URLValidator(schemes=["https"])


def ice_servers(user_id: int, *, now: float | None = None) -> list[dict[str, Any]]:
    servers: list[dict[str, Any]] = []
    if settings.STUN_URLS:
        servers.append({"urls": list(settings.STUN_URLS)})
    if settings.TURN_URLS and settings.TURN_SECRET:
        expires = int((now if now is not None else time.time()) + settings.TURN_TTL_SECONDS)
        username = f"{expires}:{user_id}"
        digest = hmac.new(settings.TURN_SECRET.encode(), username.encode(), hashlib.sha1).digest()
        servers.append(
            {
                "urls": list(settings.TURN_URLS),
                "username": username,
                "credential": base64.b64encode(digest).decode("ascii"),
            }
        )
    return servers


def call_link_clean(value: str) -> str:
    """A meeting link as it may be stored and shown to both people: an https address of at
    most MAX_CALL_LINK characters, with no user name or password in it; "" for none. Raises
    ValueError with the reason in words."""
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) > MAX_CALL_LINK:
        raise ValueError(f"A meeting link has at most {MAX_CALL_LINK} characters.")
    if urlsplit(value).scheme.lower() != "https":
        raise ValueError("A meeting link must start with https:// (an encrypted address).")
    try:
        _HTTPS_URL(value)
    except ValidationError:
        raise ValueError("That is not a web address a browser can open.") from None
    if urlsplit(value).username is not None:
        raise ValueError("Leave the user name and password out of the meeting link.")
    return value
