"""The house's one-way dependencies: interviews → rubrics → casestudies, and
partners → feedback → interviews → accounts. The question bank and the rubrics never import the
live room; nothing below partners imports it (sign-up reaches it through allauth's settings, not
an import); the pure modules import no Django at all."""

import ast
import re

import pytest

from tests.conftest import ROOT

FORBIDDEN = {
    "casestudies": ("rubrics", "interviews", "partners"),
    "rubrics": ("interviews", "partners"),
    "accounts": ("partners",),
    "interviews": ("partners",),
    "feedback": ("partners",),
}
PURE = (
    "interviews/flow.py",
    "interviews/protocol.py",
    "rubrics/scoring.py",
    "partners/matching.py",
    "partners/zones.py",
)


def imported_modules(path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("app", sorted(FORBIDDEN))
def test_dependencies_point_one_way(app):
    offenders = []
    for path in sorted((ROOT / app).rglob("*.py")):
        for module in imported_modules(path):
            if module.split(".")[0] in FORBIDDEN[app]:
                offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not offenders, offenders


@pytest.mark.parametrize("module", PURE)
def test_pure_logic_imports_no_django(module):
    assert not {m for m in imported_modules(ROOT / module) if m.split(".")[0] == "django"}


def test_nothing_below_partners_names_it_in_a_template_or_a_string_import():
    """A template tag or a dotted path would be a dependency too (``{% url 'partners:…' %}``,
    ``import_string("partners…")``); only the project's own layout and settings may name it."""
    offenders = []
    for app in ("accounts", "casestudies", "rubrics", "interviews", "feedback"):
        for path in sorted((ROOT / app).rglob("*")):
            text = path.read_text() if path.suffix in (".py", ".html", ".txt", ".md") else ""
            if re.search(r"[\"'/]partners[.:/]", text):
                offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, offenders
