"""Refusals the live room's services raise, with a protocol error code and words for people."""

from typing import Any


class ServiceError(Exception):
    """A refused request, with a protocol error code and a message for the user."""

    def __init__(self, code: str, message: str, **extra: Any) -> None:
        self.code, self.message, self.extra = str(code), message, extra
        super().__init__(message)


class InviteError(Exception):
    pass
