"""The cache: Redis, or this process's memory while Redis does not answer.

What the cache holds can be lost (allauth's login counters, rendered PDFs), but a page must not
fail because Redis is down: Django's RedisCache raises on every call then, and a login answered
500. This backend answers from a local-memory cache instead, logs a warning, and tries Redis again
after ``RETRY_SECONDS``; meanwhile no call waits on a connection that will not come. Login
limits keep counting, per process, until Redis is back.
"""

import logging
import threading
import time
from typing import Any

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

RETRY_SECONDS = 5.0
UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)

# Django makes a cache object per thread (and per async context); what they share lives here,
# per Redis location: until when Redis counts as down. The local-memory stand-in is shared
# through its name (LocMemCache keeps its data per name, per process).
_down_until: dict[str, float] = {}
_lock = threading.Lock()


class FallbackRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._location = server
        self._local = LocMemCache(f"redis-fallback:{server}", {"OPTIONS": {"MAX_ENTRIES": 10_000}})

    @property
    def redis_down(self) -> bool:
        return time.monotonic() < _down_until.get(self._location, 0.0)

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if not self.redis_down:
            try:
                return getattr(super(), name)(*args, **kwargs)
            except UNAVAILABLE as exc:
                with _lock:
                    if not self.redis_down:
                        log.warning(
                            "cache: Redis does not answer (%s); using this process's memory "
                            "for %.0f s",
                            exc,
                            RETRY_SECONDS,
                        )
                    _down_until[self._location] = time.monotonic() + RETRY_SECONDS
        return getattr(self._local, name)(*args, **kwargs)

    def add(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("add", *args, **kwargs)

    def get(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("get", *args, **kwargs)

    def set(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("set", *args, **kwargs)

    def touch(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("touch", *args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("delete", *args, **kwargs)

    def get_many(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("get_many", *args, **kwargs)

    def has_key(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("has_key", *args, **kwargs)

    def incr(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("incr", *args, **kwargs)

    def set_many(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("set_many", *args, **kwargs)

    def delete_many(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("delete_many", *args, **kwargs)

    def clear(self) -> Any:
        return self._call("clear")
