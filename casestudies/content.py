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
from urllib.parse import quote_plus

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
    "infrastructure",
)
# The content format's version. Every file states it (``format: 2``); a file in an older
# format is refused with a message saying what changed (docs/content-format.md).
FORMAT = 2
TARGET_LEVELS = ("mid", "senior", "staff")
# Field name -> minimum number of items when the case study must be complete. Counts follow
# the case: these are floors, not quotas.
STEP_LISTS = {
    "follow_ups": 2,
    "hints": 2,
    "curveballs": 1,
    "strong_signals": 2,
    "red_flags": 2,
    "further_reading": 0,
}
STEP_FIELDS = (
    "probe",
    "follow_ups",
    "hints",
    "curveballs",
    "strong_signals",
    "red_flags",
    "expectations",
    "reference_notes",
    "further_reading",
)
CASE_FIELDS = (
    "format",
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
    "weights",
    "checklist",
    "steps",
)
CHECKLIST_RANGE = (6, 12)
CRITICAL_RED_FLAGS = (1, 2)
CURVEBALL_FIELDS = ("text", "expected")
SIGNAL_FIELDS = ("text", "criterion", "level")
RED_FLAG_FIELDS = ("text", "criterion", "level", "critical")
CHECKLIST_FIELDS = ("key", "concept", "step", "level")
READING_FIELDS = ("title", "authors", "year", "url")
# Hyphens left by a line break ("click- through"): a word, a hyphen, a space and a word that
# is not the second half of a suspended hyphen ("pre- and post-launch").
BROKEN_HYPHEN_RE = re.compile(r"[A-Za-z]- (?!(?:and|or|to|versus|vs\.?|nor)\b)[a-z]")
URL_RE = re.compile(r"^https://[^\s<>\"']+$")


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

    def field(self, name: str | int) -> str:  # int: a level number (rubric levels 1–4)
        return f"{self.path}.{name}" if self.path else str(name)

    def fail(self, name: str | int, message: str) -> ContentError:
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
        name: str | int,
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

    def mappings(self, name: str, fields: tuple[str, ...], *, minimum: int = 0) -> list["Reader"]:
        """A list of mappings, each with only ``fields``: one Reader per item."""
        value = self.data.get(name, [])
        if value is None:
            value = []
        if not isinstance(value, list):
            raise self.fail(name, f"must be a list, found {type(value).__name__}")
        if len(value) < minimum:
            raise self.fail(name, f"needs at least {minimum} items, found {len(value)}")
        readers = []
        for index, item in enumerate(value, start=1):
            if not isinstance(item, dict):
                raise self.fail(
                    name,
                    f"item {index} must be a mapping with {', '.join(fields)}, "
                    f"found {type(item).__name__}",
                )
            reader = Reader(item, source=self.source, path=f"{self.field(name)}[{index}]")
            reader.only(fields)
            readers.append(reader)
        return readers

    def line(self, name: str, *, required: bool = True, max_length: int = 2000) -> str:
        """One paragraph of text; line breaks inside it are folded to spaces."""
        value = self.text(name, required=required, max_length=max_length)
        return " ".join(value.split())

    def level(self, name: str, allowed: tuple[int, ...]) -> int:
        value = self.data.get(name)
        if isinstance(value, bool) or value not in allowed:
            raise self.fail(
                name, f"must be one of {', '.join(str(a) for a in allowed)}, not {value!r}"
            )
        return int(value)

    def flag(self, name: str) -> bool:
        value = self.data.get(name, False)
        if not isinstance(value, bool):
            raise self.fail(name, f"must be true or false, not {value!r}")
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


def check_format(top: "Reader") -> None:
    """Every file states the format it is written in; the old one is refused with directions."""
    value = top.data.get("format")
    if value == FORMAT:
        return
    if value is None:
        raise top.fail(
            "format",
            f"is missing: this file is in the old format; add 'format: {FORMAT}' and the fields "
            "it requires (docs/content-format.md, 'What changed in format 2')",
        )
    raise top.fail("format", f"must be {FORMAT}, not {value!r}")


# --- Frameworks --------------------------------------------------------------------------------


Criteria = dict[str, str]  # a rubric's criterion key -> its step key ("" for cross-cutting)


NO_RUBRIC = (
    "cannot be checked: no rubric scores this case's framework (rubrics load before case "
    "studies; was the rubric file refused?)"
)


def parse_case_study(
    data: dict,
    *,
    source: str,
    frameworks: dict[str, list[str]],
    criteria: dict[str, Criteria] | None = None,
) -> dict:
    """Validate a case study document.

    ``frameworks`` maps a framework slug to its step keys; ``criteria`` maps a framework slug
    to the criteria of the rubric that scores it, against which signals, red flags and weight
    overrides are checked (a framework without a rubric has none, and tagged items are refused).
    """
    top = Reader(data, source=source)
    top.only(CASE_FIELDS)
    check_format(top)
    status = top.choice("status", STATUSES)
    complete = status in COMPLETE_STATUSES
    doc: dict[str, Any] = {
        "format": FORMAT,
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
        "weights": {},
        "checklist": [],
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
    rubric = (criteria or {}).get(doc["framework"], {})
    doc["weights"] = case_weights(top, rubric)
    doc["checklist"] = case_checklist(top, step_keys, complete=complete)
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
        doc["steps"][key] = _case_step(step, key, rubric, complete=complete)
    if complete:
        critical = [
            (key, flag["text"])
            for key, step in doc["steps"].items()
            for flag in step["red_flags"]
            if flag["critical"]
        ]
        low, high = CRITICAL_RED_FLAGS
        if not low <= len(critical) <= high:
            raise top.fail(
                "steps",
                f"a {status} case marks {low} or {high} red flags 'critical: true' "
                f"(the ones that cap the hire signal), found {len(critical)}",
            )
    _check_broken_hyphens(doc, top)
    return doc


def ordered(item: dict, fields: tuple[str, ...]) -> dict:
    """A stored mapping with its keys in the content format's order (PostgreSQL's jsonb keeps
    its own order; files and forms must come out the same every time)."""
    return {name: item[name] for name in fields if name in item}


def case_study_canonical(doc: dict) -> dict:
    """A parsed case study document in the form its file is written in: what is optional and
    at its default is left out (no ``weights`` without overrides, ``critical`` only on critical
    red flags, no ``expectations`` on a draft step without them). ``parse_case_study`` of the
    dump gives the full document back, so the two forms hash and load alike."""
    out = {key: value for key, value in doc.items() if key != "steps"}
    if not out.get("weights"):
        out.pop("weights", None)
    steps = {}
    for key, step in doc.get("steps", {}).items():
        step = dict(step)
        step["red_flags"] = [
            {name: value for name, value in flag.items() if name != "critical" or value}
            for flag in step.get("red_flags", [])
        ]
        if not step.get("expectations"):
            step.pop("expectations", None)
        steps[key] = step
    out["steps"] = steps
    return out


def case_weights(top: Reader, rubric: Criteria) -> dict[str, int]:
    raw = top.data.get("weights") or {}
    if not isinstance(raw, dict):
        raise top.fail("weights", "must be a mapping from criterion key to a weight")
    reader = Reader(raw, source=top.source, path="weights")
    weights = {}
    for key in raw:
        if not rubric:
            raise reader.fail(str(key), NO_RUBRIC)
        if key not in rubric:
            raise reader.fail(str(key), "is not a criterion of the rubric for this framework")
        weights[key] = reader.positive_int(key, maximum=10)
    # The exporter writes them in the rubric's order of criteria (the database's jsonb keeps an
    # order of its own), so the files must too, or load → export would not give them back.
    canonical = [key for key in rubric if key in weights]
    if list(weights) != canonical:
        raise top.fail(
            "weights",
            f"list the overrides in the rubric's order of criteria: {', '.join(canonical)}",
        )
    return weights


def case_checklist(top: Reader, step_keys: list[str], *, complete: bool) -> list[dict]:
    low, high = CHECKLIST_RANGE
    items = []
    seen = set()
    for item in top.mappings("checklist", CHECKLIST_FIELDS, minimum=low if complete else 0):
        key = item.key("key")
        if key in seen:
            raise item.fail("key", f"{key!r} is used twice")
        seen.add(key)
        step = item.choice("step", step_keys)
        items.append(
            {
                "key": key,
                "concept": item.line("concept", max_length=300),
                "step": step,
                "level": item.choice("level", TARGET_LEVELS),
            }
        )
    if len(items) > high:
        raise top.fail("checklist", f"has {len(items)} concepts; keep it to the {high} that matter")
    return items


def _criterion(item: Reader, rubric: Criteria, step_key: str) -> str:
    key = item.key("criterion")
    if not rubric:
        raise item.fail("criterion", f"{key!r} {NO_RUBRIC}")
    if key not in rubric:
        raise item.fail("criterion", f"{key!r} is not a criterion of the rubric")
    if rubric[key] not in (step_key, ""):
        raise item.fail(
            "criterion",
            f"{key!r} belongs to the {rubric[key]!r} step; tag a criterion of {step_key!r} "
            "or a cross-cutting one",
        )
    return key


def _case_step(step: Reader, key: str, rubric: Criteria, *, complete: bool) -> dict:
    def floor(name: str) -> int:
        return STEP_LISTS[name] if complete else 0

    return {
        "probe": step.text("probe", required=complete),
        "follow_ups": step.lines("follow_ups", minimum=floor("follow_ups")),
        "hints": step.lines("hints", minimum=floor("hints")),
        "curveballs": step_curveballs(step, minimum=floor("curveballs"), complete=complete),
        "strong_signals": step_signals(step, rubric, key, minimum=floor("strong_signals")),
        "red_flags": step_red_flags(step, rubric, key, minimum=floor("red_flags")),
        "expectations": step_expectations(step, complete=complete),
        "reference_notes": step.text("reference_notes", required=complete),
        "further_reading": step_readings(step),
    }


# One function per structured field of a step guide, each over the step's Reader: the loader
# uses them through _case_step, the admin on the one field it edits (casestudies/forms.py).


def step_curveballs(step: Reader, *, minimum: int = 0, complete: bool = False) -> list[dict]:
    return [
        {"text": item.line("text"), "expected": item.line("expected", required=complete)}
        for item in step.mappings("curveballs", CURVEBALL_FIELDS, minimum=minimum)
    ]


def step_signals(step: Reader, rubric: Criteria, key: str, *, minimum: int = 0) -> list[dict]:
    return [
        {
            "text": item.line("text"),
            "criterion": _criterion(item, rubric, key),
            "level": item.level("level", (3, 4)),
        }
        for item in step.mappings("strong_signals", SIGNAL_FIELDS, minimum=minimum)
    ]


def step_red_flags(step: Reader, rubric: Criteria, key: str, *, minimum: int = 0) -> list[dict]:
    return [
        {
            "text": item.line("text"),
            "criterion": _criterion(item, rubric, key),
            "level": item.level("level", (1, 2)),
            "critical": item.flag("critical"),
        }
        for item in step.mappings("red_flags", RED_FLAG_FIELDS, minimum=minimum)
    ]


def step_expectations(step: Reader, *, complete: bool = False) -> dict[str, str]:
    """What each target level shows in the step; required (all three) when complete, else
    optional as a whole."""
    if not complete and not step.data.get("expectations"):
        return {}
    levels = step.nested("expectations")
    levels.only(TARGET_LEVELS)
    return {level: levels.line(level, required=complete, max_length=600) for level in TARGET_LEVELS}


def step_readings(step: Reader) -> list[dict]:
    return [_reading(item) for item in step.mappings("further_reading", READING_FIELDS)]


def _reading(item: Reader) -> dict:
    """A reference someone can find: a link, or authors and a year to search by."""
    title = item.line("title", max_length=300)
    authors = item.line("authors", required=False, max_length=200)
    year = item.data.get("year")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
        raise item.fail("year", f"must be a year such as 2019, not {year!r}")
    if year is not None and not 1900 <= year <= 2100:
        raise item.fail("year", f"{year} is not a plausible year")
    url = item.text("url", required=False, multiline=False, max_length=500)
    if url and not URL_RE.match(url):
        raise item.fail("url", f"must be an https:// address, not {url!r}")
    if not url and not (authors and year):
        raise item.fail("title", "needs a url, or authors and a year, so that a reader can find it")
    if "(topic)" in title:
        raise item.fail("title", "is a placeholder; cite a real paper, talk, book or page")
    reading: dict = {"title": title}
    if authors:
        reading["authors"] = authors
    if year is not None:
        reading["year"] = year
    if url:
        reading["url"] = url
    return reading


# Further reading without a url of its own links to a search for its title, authors and year:
# always a working link, where a guessed address could be wrong.
READING_SEARCH = "https://scholar.google.com/scholar?q="


def reading_url(reading: dict | str) -> str:
    """Where a further-reading item is read: its url, or a scholarly search for it."""
    if isinstance(reading, str):
        return READING_SEARCH + quote_plus(reading)
    if reading.get("url"):
        return reading["url"]
    words = " ".join(
        str(part) for part in (reading.get("title"), reading.get("authors"), reading.get("year"))
    )
    return READING_SEARCH + quote_plus(words)


def reading_markdown(reading: dict | str) -> str:
    """A further-reading item as one line of Markdown: the title as a link (to its url, or to
    a search for it), then authors and year. Old rows (plain text) pass through."""
    if isinstance(reading, str):
        return reading
    title = reading.get("title", "").replace("[", "(").replace("]", ")")
    text = f"[{title}]({reading_url(reading)})"
    credit = ", ".join(str(part) for part in (reading.get("authors"), reading.get("year")) if part)
    return f"{text}, {credit}" if credit else text


def _texts(value: Any, path: str) -> Iterable[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _texts(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value, start=1):
            yield from _texts(item, f"{path}[{index}]")


def _check_broken_hyphens(doc: dict, top: Reader) -> None:
    for path, text in _texts({k: v for k, v in doc.items() if k != "diagram"}, ""):
        flat = " ".join(text.split())
        match = BROKEN_HYPHEN_RE.search(flat)
        if match:
            around = flat[max(0, match.start() - 20) : match.end() + 20]
            raise ContentError(
                top.source,
                path,
                f"has a hyphen left by a line break ({around!r}); join the word",
            )


def missing_for_completeness(doc: dict, step_keys: list[str]) -> list[str]:
    """What keeps a case study document from being complete, in words a curator can act on."""
    missing = []
    if not doc.get("prompt", "").strip():
        missing.append("the candidate prompt")
    if not doc.get("diagram", "").strip():
        missing.append("the reference diagram")
    low, _ = CHECKLIST_RANGE
    if len(doc.get("checklist", [])) < low:
        missing.append(f"the concept checklist ({len(doc.get('checklist', []))} of at least {low})")
    critical = 0
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
        expectations = step.get("expectations") or {}
        gaps = [level for level in TARGET_LEVELS if not expectations.get(level, "").strip()]
        if gaps:
            missing.append(f"{key}: what {', '.join(gaps)} candidates are expected to show")
        unanswered = sum(1 for c in step.get("curveballs", []) if not c.get("expected", "").strip())
        if unanswered:
            missing.append(f"{key}: the expected answer of {unanswered} curveball(s)")
        critical += sum(1 for flag in step.get("red_flags", []) if flag.get("critical"))
    low, high = CRITICAL_RED_FLAGS
    if not low <= critical <= high:
        missing.append(f"{low} or {high} critical red flags (found {critical})")
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
    """The hash of a document's canonical YAML. A case study's weight overrides are hashed in
    key order: their order in the file follows the rubric, which the bank does not read, and
    changes nothing."""
    if doc.get("weights"):
        doc = {**doc, "weights": dict(sorted(doc["weights"].items()))}
    return hashlib.sha256(dump_yaml(doc).encode()).hexdigest()
