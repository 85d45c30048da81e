"""Rubrics: weighted criteria with four behavioural anchors, level bars, signal bands, the
evidence a hire signal needs and the hint caps (the numbers ``rubrics.scoring`` works on)."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from casestudies.models import Framework, FrameworkStep

SCORE_VALIDATORS = [MinValueValidator(Decimal("1.00")), MaxValueValidator(Decimal("4.00"))]
BAND_VALIDATORS = [MinValueValidator(Decimal("-3.00")), MaxValueValidator(Decimal("3.00"))]
LEVEL_VALIDATORS = [MinValueValidator(1), MaxValueValidator(4)]


class TargetLevel(models.TextChoices):
    MID = "mid", "Mid-level"
    SENIOR = "senior", "Senior"
    STAFF = "staff", "Staff"


class Rubric(models.Model):
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    # Scores a framework based on no other (and, mapped, the frameworks based on it).
    framework = models.ForeignKey(
        Framework,
        on_delete=models.PROTECT,
        related_name="rubrics",
        limit_choices_to={"based_on__isnull": True},
    )
    description = models.TextField(blank=True)
    # Overall score (1.00-4.00) expected of a candidate at each target level; rising.
    mid_bar = models.DecimalField(max_digits=3, decimal_places=2, validators=SCORE_VALIDATORS)
    senior_bar = models.DecimalField(max_digits=3, decimal_places=2, validators=SCORE_VALIDATORS)
    staff_bar = models.DecimalField(max_digits=3, decimal_places=2, validators=SCORE_VALIDATORS)
    # Where each hire signal starts, as the distance of the overall score from the target
    # level's bar; falling from strong hire. Lean hire starts at the bar (0); below no hire is
    # strong no hire.
    strong_hire_band = models.DecimalField(
        max_digits=3, decimal_places=2, default=Decimal("0.50"), validators=BAND_VALIDATORS
    )
    hire_band = models.DecimalField(
        max_digits=3, decimal_places=2, default=Decimal("0.20"), validators=BAND_VALIDATORS
    )
    lean_hire_band = models.DecimalField(
        max_digits=3, decimal_places=2, default=Decimal("0.00"), validators=BAND_VALIDATORS
    )
    lean_no_hire_band = models.DecimalField(
        max_digits=3, decimal_places=2, default=Decimal("-0.25"), validators=BAND_VALIDATORS
    )
    no_hire_band = models.DecimalField(
        max_digits=3, decimal_places=2, default=Decimal("-0.75"), validators=BAND_VALIDATORS
    )
    # Enough evidence for a hire signal: this share of the weight counted, and at least one
    # counted criterion in each of the required steps.
    min_coverage = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.80"),
        validators=[MinValueValidator(Decimal("0.50")), MaxValueValidator(Decimal("1.00"))],
    )
    required_steps = models.JSONField(default=list, blank=True)
    # The highest level a step's criteria count at once hints were sent on it.
    first_hint_cap = models.PositiveSmallIntegerField(default=3, validators=LEVEL_VALIDATORS)
    second_hint_cap = models.PositiveSmallIntegerField(default=2, validators=LEVEL_VALIDATORS)
    answer_hint_cap = models.PositiveSmallIntegerField(default=2, validators=LEVEL_VALIDATORS)
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
    # {mid, senior, staff}: what a candidate at each target level is expected to show.
    expectations = models.JSONField(default=dict, blank=True)

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
        return self.framework_step.key if self.framework_step else ""


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
