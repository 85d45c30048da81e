"""The question bank: frameworks with ordered steps, and case studies with a guide per step."""

from django.conf import settings
from django.db import models
from django.db.models import Count, Q
from django.urls import reverse


class Framework(models.Model):
    """An ordered list of steps an interview walks through. A framework ``based_on`` another
    runs the other's case studies and rubric under its own steps (see ``FrameworkStep.draws_from``
    and ``casestudies.plans``); case studies are written per a framework based on none."""

    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    based_on = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="derived"
    )
    version = models.PositiveIntegerField(default=1)
    content_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.title


class FrameworkStep(models.Model):
    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    key = models.SlugField(max_length=40)
    title = models.CharField(max_length=100)
    purpose = models.TextField(blank=True)
    covers = models.JSONField(default=list, blank=True)
    minutes = models.PositiveSmallIntegerField()
    # For a step of a framework based on another: {"steps": [base step keys], "criteria":
    # [criterion keys moved here]}, each list only when not empty. Empty for a base framework.
    draws_from = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["framework", "position"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "key"], name="framework_step_key_unique"),
            models.UniqueConstraint(
                fields=["framework", "position"], name="framework_step_position_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.title}"


class CaseStudyQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=CaseStudy.Status.PUBLISHED)

    def search(self, text: str):
        text = text.strip()
        if not text:
            return self
        return self.filter(
            Q(title__icontains=text)
            | Q(summary__icontains=text)
            | Q(prompt__icontains=text)
            | Q(tags__icontains=text)
        )

    def with_step_count(self):
        return self.annotate(step_count=Count("steps", distinct=True))


class CaseStudy(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        REVIEW = "review", "In review"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"

    class Difficulty(models.TextChoices):
        EASY = "easy", "Easy"
        MEDIUM = "medium", "Medium"
        HARD = "hard", "Hard"

    class Domain(models.TextChoices):
        RECOMMENDATION = "recommendation", "Recommendation"
        SEARCH = "search", "Search"
        VISION = "vision", "Vision"
        TRUST_SAFETY = "trust-safety", "Trust and safety"
        ADS = "ads", "Ads"
        SOCIAL = "social", "Social"
        MARKETPLACE = "marketplace", "Marketplace"
        RISK = "risk", "Risk and fraud"
        LOGISTICS = "logistics", "Logistics"
        LANGUAGE = "language", "Language"
        INFRASTRUCTURE = "infrastructure", "Infrastructure"

    slug = models.SlugField(unique=True, max_length=80)
    title = models.CharField(max_length=200)
    # Written per a framework based on no other; sessions may follow one based on it.
    framework = models.ForeignKey(
        Framework,
        on_delete=models.PROTECT,
        related_name="cases",
        limit_choices_to={"based_on__isnull": True},
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    domain = models.CharField(max_length=30, choices=Domain.choices)
    difficulty = models.CharField(max_length=10, choices=Difficulty.choices)
    tags = models.JSONField(default=list, blank=True)
    author = models.CharField(max_length=200, blank=True)
    reviewer = models.CharField(max_length=200, blank=True)
    summary = models.CharField(max_length=300, blank=True)
    prompt = models.TextField(help_text="Markdown. The candidate-facing opening.")
    diagram = models.TextField(blank=True, help_text="Mermaid text: the reference architecture.")
    # Criterion key -> weight, where this case's crux lies; other criteria keep the rubric's.
    weights = models.JSONField(default=dict, blank=True)
    # [{key, concept, step, level}]: the concepts a strong answer covers, and the lowest target
    # level expected to raise each unprompted.
    checklist = models.JSONField(default=list, blank=True)
    version = models.PositiveIntegerField(default=1)
    content_hash = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)

    objects = CaseStudyQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "case studies"
        indexes = [models.Index(fields=["status", "domain", "difficulty"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        # The page lives in the interviews app (it adds the reader's own practice), under the
        # project-level name; the bank itself imports nothing from there.
        return reverse("case_detail", kwargs={"slug": self.slug})


class CaseStep(models.Model):
    """The private interviewer guide for one step of one case study."""

    LIST_FIELDS = (
        "follow_ups",
        "hints",
        "curveballs",
        "strong_signals",
        "red_flags",
        "further_reading",
    )

    case_study = models.ForeignKey(CaseStudy, on_delete=models.CASCADE, related_name="steps")
    framework_step = models.ForeignKey(FrameworkStep, on_delete=models.PROTECT, related_name="+")
    probe = models.TextField(blank=True, help_text="Markdown. What to probe in this step.")
    follow_ups = models.JSONField(default=list, blank=True)
    hints = models.JSONField(default=list, blank=True, help_text="In escalating order.")
    # [{text, expected}]: a change of requirements and what a good response changes.
    curveballs = models.JSONField(default=list, blank=True)
    # [{text, criterion, level}]: evidence for level 3 or 4 of a rubric criterion.
    strong_signals = models.JSONField(default=list, blank=True)
    # [{text, criterion, level, critical}]: evidence for level 1 or 2; a critical one observed
    # caps the hire signal.
    red_flags = models.JSONField(default=list, blank=True)
    # {mid, senior, staff}: what a candidate at each target level shows in this step.
    expectations = models.JSONField(default=dict, blank=True)
    reference_notes = models.TextField(
        blank=True, help_text="Markdown. Shown to the candidate after the session."
    )
    # [{title, authors?, year?, url?}]: references a reader can find.
    further_reading = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["case_study", "framework_step__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["case_study", "framework_step"], name="case_step_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_study} · {self.framework_step.title}"

    @property
    def key(self) -> str:
        return self.framework_step.key


class Glossary(models.Model):
    """The bank's glossary (``casestudies/content/glossary/<slug>.yaml``): one document, synced
    with its file like a case study."""

    slug = models.SlugField(unique=True, default="glossary")
    version = models.PositiveIntegerField(default=1)
    content_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name_plural = "glossaries"

    def __str__(self) -> str:
        return f"Glossary ({self.terms.count()} terms)" if self.pk else "Glossary"


class GlossaryTerm(models.Model):
    """A term a non-expert interviewer may stumble on; the guides link its first appearance in
    each step to its definition."""

    glossary = models.ForeignKey(Glossary, on_delete=models.CASCADE, related_name="terms")
    key = models.SlugField(max_length=60)
    term = models.CharField(max_length=100)
    aliases = models.JSONField(default=list, blank=True)
    definition = models.TextField(help_text="Inline Markdown: one or two sentences.")

    class Meta:
        ordering = ["glossary", "term"]
        constraints = [
            models.UniqueConstraint(fields=["glossary", "key"], name="glossary_term_key_unique")
        ]

    def __str__(self) -> str:
        return self.term


class GuideView(models.Model):
    """Someone was shown the interviewer guide of a case study outside a session of theirs (the
    case page, a curator's preview, the admin) or as its interviewer. Written by
    ``services.guide_view_record`` whenever a page renders the guide; only ever inserted.

    Read back to warn a person about to be the candidate on a case whose guide they have seen,
    and to say so in the report."""

    class Where(models.TextChoices):
        CASE_PAGE = "case_page", "Case page"
        PREVIEW_INTERVIEWER = "preview_interviewer", "Preview as interviewer"
        PREVIEW_CANDIDATE = "preview_candidate", "Preview as candidate"
        ROOM = "room", "Interview room (as interviewer)"
        ADMIN = "admin", "Curation admin"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="guide_views"
    )
    case_study = models.ForeignKey(CaseStudy, on_delete=models.CASCADE, related_name="guide_views")
    case_version = models.PositiveIntegerField()
    where = models.CharField(max_length=24, choices=Where.choices)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["user", "case_study", "at"])]

    def __str__(self) -> str:
        return f"{self.user} saw the guide of {self.case_study} ({self.get_where_display()})"
