"""The house's one-way dependencies: interviews → rubrics → casestudies. The question bank and
the rubrics never import the live room; the pure modules import no Django at all."""

import ast

import pytest

from tests.conftest import ROOT

FORBIDDEN = {
    "casestudies": ("rubrics", "interviews"),
    "rubrics": ("interviews",),
}
PURE = ("interviews/flow.py", "interviews/protocol.py", "rubrics/scoring.py")


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
