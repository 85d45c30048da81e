"""People: the profile every account has beside Django's user (allauth handles sign-in)."""

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

    class Meta:
        # The table predates this app (it began in interviews); the name is kept so that the
        # move needed no data migration.
        db_table = "interviews_profile"

    def __str__(self) -> str:
        return self.display_name
