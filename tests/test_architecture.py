"""The house's one-way dependencies: interviews → rubrics → casestudies, and
partners → feedback → interviews → accounts. The question bank and the rubrics never import the
live room, the live room never imports what happens after the interview, nothing below partners
imports it (sign-up reaches it through allauth's settings, not an import), and the pure modules
import no Django at all."""

import ast
import os
import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT

FORBIDDEN = {
    "casestudies": ("rubrics", "interviews", "feedback", "accounts", "partners"),
    "rubrics": ("interviews", "feedback", "accounts", "partners"),
    "accounts": ("interviews", "feedback", "partners"),
    "interviews": ("feedback", "partners"),
    "feedback": ("partners",),
}
PURE = (
    "interviews/flow.py",
    "interviews/protocol.py",
    "rubrics/scoring.py",
    "rubrics/explanation.py",
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


HEAVY = (
    "weasyprint",
    "celery",
    "kombu",
    "feedback.charts",
    "feedback.pdf",
    "feedback.reports",
    "feedback.report_render",
)


def test_the_room_process_loads_neither_the_pdf_stack_nor_charts_nor_celery():
    """A process serving the room (the ASGI app and the socket's modules) does not import what
    only the report pipeline needs: WeasyPrint, the chart code, Celery."""
    script = (
        "import sys\n"
        "import config.asgi, interviews.consumers, interviews.routing, interviews.services\n"
        f"heavy = {HEAVY!r}\n"
        "print(sorted(m for m in sys.modules if m in heavy or m.split('.')[0] in heavy))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": ""}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", result.stdout


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
