"""Rubrics: weighted criteria with four behavioural anchors, thresholds and level bars."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from casestudies.models import Framework, FrameworkStep

SCORE_VALIDATORS = [MinValueValidator(Decimal("1.00")), MaxValueValidator(Decimal("4.00"))]


class TargetLevel(models.TextChoices):
    MID = "mid", "Mid-level"
    SENIOR = "senior", "Senior"
    STAFF = "staff", "Staff"


class Rubric(models.Model):
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="rubrics")
    description = models.TextField(blank=True)
    # Lowest overall score for each hire signal; below ``no_hire_min`` is "strong no hire".
    no_hire_min = models.DecimalField(max_digits=3, decimal_places=2, validators=SCORE_VALIDATORS)
    lean_hire_min = models.DecimalField(max_digits=3, decimal_places=2, validators=SCORE_VALIDATORS)
    hire_min = models.DecimalField(max_digits=3, decimal_places=2, validators=SCORE_VALIDATORS)
    strong_hire_min = models.DecimalField(
        max_digits=3, decimal_places=2, validators=SCORE_VALIDATORS
    )
    # Overall score expected of a candidate at each target level.
    mid_bar = models.DecimalField(max_digits=3, decimal_places=2, validators=SCORE_VALIDATORS)
    senior_bar = models.DecimalField(max_digits=3, decimal_places=2, validators=SCORE_VALIDATORS)
    staff_bar = models.DecimalField(max_digits=3, decimal_places=2, validators=SCORE_VALIDATORS)
    version = models.PositiveIntegerField(default=1)
    content_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.title


class Criterion(models.Model):
    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="criteria")
    position = models.PositiveSmallIntegerField()
    key = models.SlugField(max_length=60)
    # Null for a criterion that cuts across steps (communication, trade-offs, time management).
    framework_step = models.ForeignKey(
        FrameworkStep, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    title = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    weight = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["rubric", "position"]
        verbose_name_plural = "criteria"
        constraints = [
            models.UniqueConstraint(fields=["rubric", "key"], name="criterion_key_unique"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def step_key(self) -> str:
        return self.framework_step.key if self.framework_step_id else ""


class CriterionLevel(models.Model):
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="levels")
    level = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    anchor = models.TextField(help_text="What a candidate at this level did or said.")

    class Meta:
        ordering = ["criterion", "level"]
        constraints = [
            models.UniqueConstraint(fields=["criterion", "level"], name="criterion_level_unique"),
            models.CheckConstraint(
                condition=models.Q(level__gte=1, level__lte=4), name="criterion_level_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.criterion.key} · {self.level}"
