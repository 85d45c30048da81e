"""The steps of a session: a framework's steps, and where the case's guide and the rubric's
criteria go in them.

Case studies and rubrics are written per a framework based on no other (``default``). A
framework ``based_on`` it (``book``) runs the same case and rubric under its own steps: each of
its steps draws steps of the base (their guide sections and criteria) and may take criteria
moved from their step (docs/content-format.md, "A framework based on another"). A ``Plan`` is
that mapping worked out once; for a base framework it is the identity. Everything that asks
"the steps of this interview" goes through ``interviews.selectors.plan_of``, which builds one.

Pure apart from ``plan_for`` (two queries at most): no imports from interviews or rubrics.
"""

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from .models import CaseStep, Framework


@dataclass(frozen=True)
class PlanStep:
    key: str
    title: str
    minutes: int
    position: int  # 1-based
    purpose: str = ""
    covers: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()  # steps of the base whose guide sections this step shows


@dataclass(frozen=True)
class Plan:
    framework: str  # slug
    title: str
    steps: tuple[PlanStep, ...]
    # Criterion key -> the step it is scored in ("" for a cross-cutting one).
    criterion_step: dict[str, str] = field(default_factory=dict)
    # A step of the base (a guide section) -> the step that shows it.
    section_step: dict[str, str] = field(default_factory=dict)
    based_on: str = ""  # slug of the base, "" when the framework is one
    # Criterion key -> its step in the base ("" for cross-cutting): where the case wrote it.
    criterion_base: dict[str, str] = field(default_factory=dict)

    @property
    def keys(self) -> list[str]:
        return [step.key for step in self.steps]

    def step(self, key: str) -> PlanStep | None:
        return next((step for step in self.steps if step.key == key), None)

    def item_step(self, section: str, criterion: str) -> str:
        """The step a tagged signal or red flag is shown in: the step its criterion is scored
        in, or, for a cross-cutting (or untagged) item, the step showing its section."""
        return self.criterion_step.get(criterion or "") or self.section_step.get(section, "")

    def criteria_of(self, key: str) -> list[str]:
        return [c for c, step in self.criterion_step.items() if step == key]

    def base_steps(self, keys) -> list[str]:
        """Steps of this plan as steps of the base, in order without repeats: the sections
        they show, or for a step that shows none, the base steps of its criteria (what other
        cases are searched by to practise a step)."""
        out: list[str] = []
        for key in keys:
            step = self.step(key)
            if step is None:
                continue
            names = step.sections or tuple(
                self.criterion_base[c] for c in self.criteria_of(key) if c in self.criterion_base
            )
            out.extend(name for name in names if name not in out)
        return out

    def map_steps(self, base_keys) -> list[str]:
        """Steps of the base (the rubric's required steps, a checklist item's step) as steps
        of this plan, in plan order, without repeats."""
        wanted = {self.section_step[key] for key in base_keys if key in self.section_step}
        return [key for key in self.keys if key in wanted]


def plan_for(framework: Framework, criteria: dict[str, str]) -> Plan:
    """The plan of ``framework``; ``criteria`` are the scoring rubric's criterion key -> step
    key of the base ("" for cross-cutting). One query (the steps), or none if prefetched."""
    rows = list(framework.steps.all())
    steps = []
    section_step: dict[str, str] = {}
    moved: dict[str, str] = {}
    for position, row in enumerate(rows, start=1):
        draws = row.draws_from or {}
        sections = tuple(draws.get("steps", [])) if framework.based_on_id else (row.key,)
        for name in sections:
            section_step[name] = row.key
        for name in draws.get("criteria", []) if framework.based_on_id else ():
            moved[name] = row.key
        steps.append(
            PlanStep(
                key=row.key,
                title=row.title,
                minutes=row.minutes,
                position=position,
                purpose=row.purpose,
                covers=tuple(row.covers or ()),
                sections=sections,
            )
        )
    criterion_step = {
        key: (moved.get(key) or section_step.get(base, "")) if base else ""
        for key, base in criteria.items()
    }
    return Plan(
        framework=framework.slug,
        title=framework.title,
        steps=tuple(steps),
        criterion_step=criterion_step,
        section_step=section_step,
        based_on=framework.based_on.slug if framework.based_on is not None else "",
        criterion_base=dict(criteria),
    )


# --- The guide, composed per step --------------------------------------------------------------

GUIDE_LISTS = ("follow_ups", "hints", "curveballs", "further_reading")


def compose_guides(
    plan: Plan, guides: dict[str, CaseStep], *, case_id: int
) -> dict[str, SimpleNamespace]:
    """The case's guide per step of the plan, duck-typed like a ``CaseStep`` (the guide and
    reference templates take either): the texts and lists of the sections the step shows, in
    order; the strong signals and red flags of the whole case whose criterion is scored in the
    step (``Plan.item_step``). ``hint_sources`` gives each hint's (section, index in it), so an
    answer-level hint is still known as one. For a base framework each guide is its section."""
    out: dict[str, SimpleNamespace] = {}
    tagged: dict[str, dict[str, list]] = {s.key: {"strong": [], "red": []} for s in plan.steps}
    for section in plan.section_step:
        guide = guides.get(section)
        if guide is None:
            continue
        for kind, items in (("strong", guide.strong_signals), ("red", guide.red_flags)):
            for item in items:
                criterion = item.get("criterion", "") if isinstance(item, dict) else ""
                target = plan.item_step(section, criterion)
                if target in tagged:
                    tagged[target][kind].append(item)
    for step in plan.steps:
        present = [(name, guides[name]) for name in step.sections if name in guides]
        if not present and step.sections:
            continue  # no guide written for the step yet
        titled = len(present) > 1
        composed = SimpleNamespace(
            key=step.key,
            case_study_id=case_id,
            framework_step=SimpleNamespace(
                key=step.key, title=step.title, position=step.position, minutes=step.minutes
            ),
            probe=_joined(present, "probe", titled) or _no_section_probe(plan, step),
            reference_notes=_joined(present, "reference_notes", titled)
            or _no_section_notes(plan, step),
            expectations=_expectations(present, titled),
            strong_signals=tagged[step.key]["strong"],
            red_flags=tagged[step.key]["red"],
            hint_sources=[
                (name, index) for name, guide in present for index in range(len(guide.hints))
            ],
        )
        for name in GUIDE_LISTS:
            items = [item for _name, guide in present for item in getattr(guide, name)]
            setattr(composed, name, items)
        out[step.key] = composed
    return out


def _section_title(guide: CaseStep) -> str:
    return guide.framework_step.title


def _joined(present: list[tuple[str, CaseStep]], name: str, titled: bool) -> str:
    parts = []
    for _key, guide in present:
        text = (getattr(guide, name) or "").strip()
        if text:
            parts.append(f"**{_section_title(guide)}.** {text}" if titled else text)
    return "\n\n".join(parts)


def _expectations(present: list[tuple[str, CaseStep]], titled: bool) -> dict[str, str]:
    out: dict[str, str] = {}
    for _key, guide in present:
        for level, text in (guide.expectations or {}).items():
            if text:
                line = f"{_section_title(guide)}: {text}" if titled else text
                out[level] = f"{out[level]} {line}" if level in out else line
    return out


def _no_section_probe(plan: Plan, step: PlanStep) -> str:
    """What to probe in a step that draws criteria but no guide section (the book layout's
    evaluation): the step's purpose, and where its signals and red flags come from."""
    if step.sections:
        return ""
    covers = "".join(f"\n- {item}" for item in step.covers)
    return (
        f"{step.purpose.strip()}\n\nThis step has no guide section of its own in this case: "
        "its strong signals and red flags below are the ones the case's guide tags with the "
        f"criteria scored here.{chr(10) + chr(10) + 'Cover:' + covers if covers else ''}"
    )


def _no_section_notes(plan: Plan, step: PlanStep) -> str:
    """The reference notes of a step that draws no guide section: where the case's notes on
    its criteria are, in the steps of this plan."""
    if step.sections:
        return ""
    homes = plan.map_steps(plan.criterion_base.get(c, "") for c in plan.criteria_of(step.key))
    titles = [found.title for key in homes if (found := plan.step(key)) is not None]
    if not titles:
        return ""
    where = titles[0] if len(titles) == 1 else f"{', '.join(titles[:-1])} and {titles[-1]}"
    return (
        f"This case's reference notes on what this step covers are written with the steps "
        f"{where}: read them there."
    )


def answer_level_hints(guide: Any) -> frozenset[int]:
    """The indexes of a composed guide's answer-level hints: the last hint of each section it
    shows (for a base framework, the step's last hint)."""
    sources = getattr(guide, "hint_sources", None)
    if sources is None:
        return frozenset({len(guide.hints) - 1}) if guide.hints else frozenset()
    return frozenset(
        index
        for index, (section, _at) in enumerate(sources)
        if index + 1 == len(sources) or sources[index + 1][0] != section
    )


def hints_sent(sent, answer_levels: dict[str, frozenset[int]], counts: dict[str, int]):
    """Per step, (how many of its hints were sent, whether one was answer-level), from
    (step key, hint index) pairs; a step or index the guide does not have is left out. What
    ``rubrics.scoring.HintUse`` is made of."""
    indexes: dict[str, set[int]] = {}
    for step, index in sent:
        if 0 <= index < counts.get(step, 0):
            indexes.setdefault(step, set()).add(index)
    return {
        step: (len(seen), bool(seen & answer_levels.get(step, frozenset())))
        for step, seen in indexes.items()
    }
