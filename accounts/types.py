"""The user type the whole project annotates with.

Sevensteps uses Django's own user model (``AUTH_USER_MODEL`` is not swapped), so annotations
name it directly; django-stubs then knows its reverse relations (``user.profile``).
"""

from django.contrib.auth.models import User

__all__ = ["User"]
