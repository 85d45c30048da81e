"""Interviews: people, live sessions, their timeline, scores and reports."""

from django.conf import settings
from django.db import models

from rubrics.models import TargetLevel


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    display_name = models.CharField(max_length=60)
    target_level = models.CharField(
        max_length=10, choices=TargetLevel.choices, default=TargetLevel.SENIOR
    )

    def __str__(self) -> str:
        return self.display_name
