"""The largest application modules (lines) and functions (lines, from the syntax tree).

    python tools/sizes.py              # the ten largest of each
    python tools/sizes.py --top 20
    python tools/sizes.py --check      # exit 1 if a module or function is over the house limits

The house keeps modules under ~700 lines and functions under ~80 (docs: STYLE). A function's
lines run from its ``def`` to its last line, docstring and nested functions included,
decorators not. Migrations are generated and left out.
"""

import argparse
import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("accounts", "casestudies", "config", "feedback", "interviews", "partners", "rubrics")
MODULE_LIMIT = 700
FUNCTION_LIMIT = 80


def modules(root: Path = ROOT, apps: tuple[str, ...] = APPS) -> Iterator[Path]:
    for app in apps:
        for path in sorted((root / app).rglob("*.py")):
            if "migrations" not in path.relative_to(root).parts:
                yield path


def line_count(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def functions(path: Path) -> Iterator[tuple[str, int, int]]:
    """(qualified name, first line, length in lines) of every function and method in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))

    def walk(node: ast.AST, prefix: str) -> Iterator[tuple[str, int, int]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{prefix}{child.name}"
                yield name, child.lineno, (child.end_lineno or child.lineno) - child.lineno + 1
                yield from walk(child, f"{name}.")
            elif isinstance(child, ast.ClassDef):
                yield from walk(child, f"{prefix}{child.name}.")
            else:
                yield from walk(child, prefix)

    yield from walk(tree, "")


def measure(root: Path = ROOT, apps: tuple[str, ...] = APPS):
    """(modules by size, functions by size), largest first: (path, lines) and
    (path:line name, lines)."""
    module_sizes, function_sizes = [], []
    for path in modules(root, apps):
        relative = path.relative_to(root).as_posix()
        module_sizes.append((relative, line_count(path)))
        for name, line, length in functions(path):
            function_sizes.append((f"{relative}:{line} {name}", length))
    module_sizes.sort(key=lambda item: (-item[1], item[0]))
    function_sizes.sort(key=lambda item: (-item[1], item[0]))
    return module_sizes, function_sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=10, help="how many of each to list")
    parser.add_argument("--check", action="store_true", help="exit 1 over the limits")
    args = parser.parse_args(argv)
    module_sizes, function_sizes = measure()
    over_modules = [item for item in module_sizes if item[1] > MODULE_LIMIT]
    over_functions = [item for item in function_sizes if item[1] > FUNCTION_LIMIT]
    total = sum(lines for _, lines in module_sizes)
    print(f"{len(module_sizes)} modules, {total} lines, {len(function_sizes)} functions")
    print(f"\nLargest modules (limit ~{MODULE_LIMIT} lines; {len(over_modules)} over):")
    for path, lines in module_sizes[: max(args.top, len(over_modules))]:
        print(f"  {lines:6}  {path}")
    print(f"\nLargest functions (limit ~{FUNCTION_LIMIT} lines; {len(over_functions)} over):")
    for where, lines in function_sizes[: max(args.top, len(over_functions))]:
        print(f"  {lines:6}  {where}")
    return 1 if args.check and (over_modules or over_functions) else 0


if __name__ == "__main__":
    sys.exit(main())
