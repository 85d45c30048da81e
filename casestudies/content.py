"""Content files: validation of YAML documents and their canonical serialisation.

Pure functions over plain data (no database). A document that breaks a rule raises
``ContentError`` naming the file, the field and what is wrong. The canonical dump is what
``export_content`` writes, so files kept in this form survive load → export byte for byte.
The rules are documented for people in ``docs/content-format.md``.
"""

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

KEY_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
STATUSES = ("draft", "review", "published", "retired")
COMPLETE_STATUSES = ("review", "published")
DIFFICULTIES = ("easy", "medium", "hard")
DOMAINS = (
    "recommendation",
    "search",
    "vision",
    "trust-safety",
    "ads",
    "social",
    "marketplace",
    "risk",
    "logistics",
    "language",
)
# Field name -> minimum number of items when the case study must be complete.
STEP_LISTS = {
    "follow_ups": 3,
    "hints": 2,
    "curveballs": 1,
    "strong_signals": 3,
    "red_flags": 2,
    "further_reading": 0,
}
STEP_FIELDS = ("probe", *tuple(STEP_LISTS)[:5], "reference_notes", "further_reading")
CASE_FIELDS = (
    "slug",
    "title",
    "framework",
    "status",
    "domain",
    "difficulty",
    "tags",
    "author",
    "reviewer",
    "summary",
    "prompt",
    "diagram",
    "steps",
)
FRAMEWORK_FIELDS = ("slug", "title", "description", "steps")
FRAMEWORK_STEP_FIELDS = ("key", "title", "purpose", "covers", "minutes")


class ContentError(ValueError):
    def __init__(self, source: str, field: str, message: str) -> None:
        self.source, self.field, self.message = source, field, message
        super().__init__(f"{source}: {field}: {message}" if field else f"{source}: {message}")


class Reader:
    """Typed access to one mapping of a document, raising ContentError with the field path."""

    def __init__(self, data: Any, *, source: str, path: str = "") -> None:
        self.source, self.path = source, path
        if not isinstance(data, dict):
            raise ContentError(source, path or "(top level)", "must be a mapping of fields")
        self.data = data

    def field(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def fail(self, name: str, message: str) -> ContentError:
        return ContentError(self.source, self.field(name), message)

    def only(self, allowed: Iterable[str]) -> None:
        unknown = [str(k) for k in self.data if k not in allowed]
        if unknown:
            raise ContentError(
                self.source,
                self.field(unknown[0]),
                f"unknown field (allowed: {', '.join(allowed)})",
            )

    def text(
        self,
        name: str,
        *,
        required: bool = True,
        max_length: int | None = None,
        multiline: bool = True,
    ) -> str:
        value = self.data.get(name, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise self.fail(name, f"must be text, found {type(value).__name__}")
        value = normalise_text(value) if multiline else value.strip()
        if not multiline and "\n" in value:
            raise self.fail(name, "must fit on one line")
        if required and not value.strip():
            raise self.fail(name, "is required and must not be empty")
        if max_length and len(value) > max_length:
            raise self.fail(name, f"is {len(value)} characters long, the limit is {max_length}")
        return value

    def choice(self, name: str, choices: Iterable[str]) -> str:
        value = self.text(name, multiline=False)
        if value not in choices:
            raise self.fail(name, f"must be one of {', '.join(choices)}, not {value!r}")
        return value

    def key(self, name: str) -> str:
        value = self.text(name, multiline=False, max_length=60)
        if not KEY_RE.match(value):
            raise self.fail(name, f"{value!r} must be lowercase letters, digits and '-'")
        return value

    def lines(self, name: str, *, minimum: int = 0) -> list[str]:
        value = self.data.get(name, [])
        if value is None:
            value = []
        if not isinstance(value, list):
            raise self.fail(name, f"must be a list, found {type(value).__name__}")
        items = []
        for index, item in enumerate(value, start=1):
            if not isinstance(item, str):
                raise self.fail(name, f"item {index} must be text, found {type(item).__name__}")
            item = " ".join(item.split())
            if not item:
                raise self.fail(name, f"item {index} is empty")
            items.append(item)
        if len(items) < minimum:
            raise self.fail(name, f"needs at least {minimum} items, found {len(items)}")
        return items

    def positive_int(self, name: str, *, maximum: int = 1000) -> int:
        value = self.data.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
            raise self.fail(name, f"must be a whole number from 1 to {maximum}, not {value!r}")
        return value

    def nested(self, name: str) -> "Reader":
        if name not in self.data:
            raise self.fail(name, "is required")
        return Reader(self.data[name], source=self.source, path=self.field(name))


def normalise_text(value: str) -> str:
    """Trailing spaces off every line, one final newline for multi-line text."""
    lines = [line.rstrip() for line in value.strip("\n").splitlines()]
    text = "\n".join(lines).strip()
    return text + "\n" if "\n" in text else text


def load_yaml(text: str, *, source: str) -> dict:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(unknown place)"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ContentError(source, "", f"is not valid YAML at {where}: {problem}") from None
    if not isinstance(data, dict):
        raise ContentError(source, "", "must contain a mapping of fields at the top level")
    return data


def check_slug_matches_file(slug: str, source: str) -> None:
    stem = Path(source).stem
    if slug != stem:
        raise ContentError(source, "slug", f"{slug!r} must equal the file name {stem!r}")


# --- Frameworks --------------------------------------------------------------------------------


def parse_framework(data: dict, *, source: str) -> dict:
    top = Reader(data, source=source)
    top.only(FRAMEWORK_FIELDS)
    doc = {
        "slug": top.key("slug"),
        "title": top.text("title", multiline=False, max_length=200),
        "description": top.text("description", required=False),
        "steps": [],
    }
    check_slug_matches_file(doc["slug"], source)
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise top.fail("steps", "must be a non-empty list of steps")
    seen = set()
    for index, raw in enumerate(raw_steps):
        step = Reader(raw, source=source, path=f"steps[{index}]")
        step.only(FRAMEWORK_STEP_FIELDS)
        key = step.key("key")
        if key in seen:
            raise step.fail("key", f"{key!r} is used twice")
        seen.add(key)
        doc["steps"].append(
            {
                "key": key,
                "title": step.text("title", multiline=False, max_length=100),
                "purpose": step.text("purpose", required=False),
                "covers": step.lines("covers"),
                "minutes": step.positive_int("minutes", maximum=120),
            }
        )
    return doc


# --- Case studies ------------------------------------------------------------------------------


def parse_case_study(data: dict, *, source: str, frameworks: dict[str, list[str]]) -> dict:
    """Validate a case study document. ``frameworks`` maps framework slug -> its step keys."""
    top = Reader(data, source=source)
    top.only(CASE_FIELDS)
    status = top.choice("status", STATUSES)
    complete = status in COMPLETE_STATUSES
    doc = {
        "slug": top.key("slug"),
        "title": top.text("title", multiline=False, max_length=200),
        "framework": top.key("framework"),
        "status": status,
        "domain": top.choice("domain", DOMAINS),
        "difficulty": top.choice("difficulty", DIFFICULTIES),
        "tags": top.lines("tags"),
        "author": top.text("author", required=False, multiline=False, max_length=200),
        "reviewer": top.text("reviewer", required=False, multiline=False, max_length=200),
        "summary": top.text("summary", required=False, multiline=False, max_length=300),
        "prompt": top.text("prompt", required=complete),
        "diagram": top.text("diagram", required=complete),
        "steps": {},
    }
    check_slug_matches_file(doc["slug"], source)
    for index, tag in enumerate(doc["tags"], start=1):
        if not KEY_RE.match(tag):
            raise top.fail("tags", f"tag {index} {tag!r} must be lowercase letters, digits, '-'")
    if doc["framework"] not in frameworks:
        known = ", ".join(sorted(frameworks)) or "none loaded"
        raise top.fail("framework", f"unknown framework {doc['framework']!r} (known: {known})")
    step_keys = frameworks[doc["framework"]]
    raw_steps = data.get("steps") or {}
    if not isinstance(raw_steps, dict):
        raise top.fail("steps", "must be a mapping from step key to that step's guide")
    for key in raw_steps:
        if key not in step_keys:
            raise top.fail(
                "steps", f"unknown step {key!r} (the framework has: {', '.join(step_keys)})"
            )
    for key in step_keys:
        if key not in raw_steps:
            if complete:
                raise top.fail(f"steps.{key}", f"is missing; a {status} case needs every step")
            continue
        step = Reader(raw_steps[key], source=source, path=f"steps.{key}")
        step.only(STEP_FIELDS)
        doc["steps"][key] = {
            "probe": step.text("probe", required=complete),
            **{
                name: step.lines(name, minimum=minimum if complete else 0)
                for name, minimum in STEP_LISTS.items()
                if name != "further_reading"
            },
            "reference_notes": step.text("reference_notes", required=complete),
            "further_reading": step.lines("further_reading"),
        }
    return doc


def missing_for_completeness(doc: dict, step_keys: list[str]) -> list[str]:
    """What keeps a case study document from being complete, in words a curator can act on."""
    missing = []
    if not doc.get("prompt", "").strip():
        missing.append("the candidate prompt")
    if not doc.get("diagram", "").strip():
        missing.append("the reference diagram")
    for key in step_keys:
        step = doc.get("steps", {}).get(key)
        if step is None:
            missing.append(f"step {key!r}")
            continue
        for name in ("probe", "reference_notes"):
            if not step.get(name, "").strip():
                missing.append(f"{key}: {name.replace('_', ' ')}")
        for name, minimum in STEP_LISTS.items():
            found = len(step.get(name, []))
            if found < minimum:
                label = name.replace("_", " ")
                missing.append(f"{key}: {label} ({found} of at least {minimum})")
    return missing


# --- Canonical YAML ------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False):
        # Indent list items under their key, the way people write YAML by hand.
        return super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str):
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _represent_str)


def dump_yaml(doc: dict) -> str:
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100, indent=2)


def content_hash(doc: dict) -> str:
    return hashlib.sha256(dump_yaml(doc).encode()).hexdigest()
