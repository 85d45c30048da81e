"""What the feedback app keeps besides the interview's own rows (which live in interviews)."""

from django.conf import settings
from django.db import models

from interviews.models import Interview


class PrivateRead(models.Model):
    """Someone who is not a participant read an interview's private notes and scores (a
    session reviewer: ``interviews.view_private``). Written by ``services.private_read_record``
    on every such page; only ever inserted; listed for superusers in the admin."""

    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="private_reads"
    )
    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="+")
    what = models.CharField(max_length=40)  # the page: "wrap-up", "report", "timeline", …
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["interview", "at"])]

    def __str__(self) -> str:
        return f"{self.reader} read the {self.what} of {self.interview_id}"
