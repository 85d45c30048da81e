"""Curation: how each case study is used, to spot cases that are too hard or too easy."""

from dataclasses import dataclass, field

from django.db.models import Avg, Count, Q

from casestudies.models import CaseStudy
from interviews import flow
from interviews.models import Delivery, Interview, Score

TOO_HARD, TOO_EASY, MIN_SESSIONS_FOR_A_VERDICT = 2.25, 3.25, 3


@dataclass
class CaseUsage:
    case: CaseStudy
    sessions: int = 0
    peer: int = 0
    solo: int = 0
    completed: int = 0
    hints: int = 0
    curveballs: int = 0
    step_levels: dict[str, float] = field(default_factory=dict)  # step -> mean level
    overall: float | None = None

    @property
    def hints_per_peer(self) -> float | None:
        return self.hints / self.peer if self.peer else None

    @property
    def curveballs_per_peer(self) -> float | None:
        return self.curveballs / self.peer if self.peer else None

    @property
    def verdict(self) -> str:
        if self.overall is None or self.completed < MIN_SESSIONS_FOR_A_VERDICT:
            return ""
        if self.overall < TOO_HARD:
            return "too hard?"
        if self.overall > TOO_EASY:
            return "too easy?"
        return "balanced"


def case_usage() -> tuple[list[flow.Step], list[CaseUsage]]:
    """Usage of every case study that is not retired: sessions, completions, hints and
    curveballs sent, and the interviewers' mean level per step (plain means of the 1-4 levels
    given in peer interviews that went past the live stage). Five queries however many cases
    and sessions there are."""
    cases = list(
        CaseStudy.objects.exclude(status=CaseStudy.Status.RETIRED)
        .select_related("framework")
        .order_by("title")
    )
    usage = {case.pk: CaseUsage(case=case) for case in cases}
    past_live = [Interview.Status.WRAPUP, Interview.Status.COMPLETED]
    counts = Interview.objects.values("case_study_id").annotate(
        sessions=Count("pk", filter=~Q(status=Interview.Status.ABANDONED)),
        peer=Count("pk", filter=Q(kind=Interview.Kind.PEER, status__in=past_live)),
        solo=Count("pk", filter=Q(kind=Interview.Kind.SOLO, status__in=past_live)),
        completed=Count("pk", filter=Q(status=Interview.Status.COMPLETED)),
    )
    for count in counts:
        if count["case_study_id"] in usage:
            counted = usage[count["case_study_id"]]
            counted.sessions, counted.peer, counted.solo, counted.completed = (
                count["sessions"],
                count["peer"],
                count["solo"],
                count["completed"],
            )
    sent = Delivery.objects.values("interview__case_study_id", "kind").annotate(n=Count("pk"))
    for delivered in sent:
        item = usage.get(delivered["interview__case_study_id"])
        if item:
            setattr(item, "hints" if delivered["kind"] == "hint" else "curveballs", delivered["n"])
    levels = (
        Score.objects.filter(
            source=Score.Source.INTERVIEWER,
            level__isnull=False,
            interview__kind=Interview.Kind.PEER,
            interview__status__in=past_live,
        )
        .values("interview__case_study_id", "criterion__framework_step__key")
        .annotate(mean=Avg("level"), n=Count("pk"))
    )
    level_sum: dict[int, float] = {}  # case -> sum of all levels given, for the overall mean
    level_count: dict[int, int] = {}
    for level in levels:
        item = usage.get(level["interview__case_study_id"])
        if item is None:
            continue
        key = level["criterion__framework_step__key"] or "across"
        item.step_levels[key] = float(level["mean"])
        level_sum[item.case.pk] = (
            level_sum.get(item.case.pk, 0.0) + float(level["mean"]) * level["n"]
        )
        level_count[item.case.pk] = level_count.get(item.case.pk, 0) + level["n"]
    for pk, item in usage.items():
        if level_count.get(pk):
            item.overall = level_sum[pk] / level_count[pk]
    steps = []
    if cases:
        steps = [flow.Step(s.key, s.title, s.minutes) for s in cases[0].framework.steps.all()]
    return steps, list(usage.values())
