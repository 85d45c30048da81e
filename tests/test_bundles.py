"""The vendored front-end files in static/vendor/: built by `make bundles` from the exact versions
in frontend/package.json, committed, each with its licence, and referenced by the templates that
use them at the version that is there. No Node needed: this only reads files."""

import json
import re

import pytest

from tests.conftest import ROOT

VENDOR = ROOT / "static" / "vendor"
FRONTEND = ROOT / "frontend"
PACKAGE = json.loads((FRONTEND / "package.json").read_text())
LOCK = json.loads((FRONTEND / "package-lock.json").read_text())
PINNED = PACKAGE["devDependencies"]

# npm package -> (folder name pattern, main file, packages compiled into it or None for a copy)
VENDORED = {
    "htmx.org": ("htmx-{}", "htmx.min.js", None),
    "mermaid": ("mermaid-{}", "mermaid.min.js", None),
    "axe-core": ("axe-core-{}", "axe.min.js", None),
    "yjs": ("yjs-{}", "sevensteps-yjs.min.js", ("yjs", "y-indexeddb", "y-protocols", "lib0")),
    "@excalidraw/excalidraw": (
        "excalidraw-{}",
        "sevensteps-board.min.js",
        ("@excalidraw/excalidraw", "@excalidraw/mermaid-to-excalidraw", "react", "react-dom"),
    ),
}
TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates")]
TEST_PAGES = ROOT / "tests" / "browser" / "pages"
# Only tests may load these: axe-core checks accessibility, it is not part of any page.
TEST_ONLY = ("axe-core-",)
BOARD = "excalidraw-"


def folder(package: str) -> str:
    return VENDORED[package][0].format(PINNED[package])


def main_file(package: str) -> str:
    return f"{folder(package)}/{VENDORED[package][1]}"


def references(paths) -> dict[str, set[str]]:
    """vendor/… paths named in the given files: {path inside static/vendor: {files naming it}}."""
    found: dict[str, set[str]] = {}
    for path in paths:
        for match in re.finditer(r"vendor/([\w.@-]+/[\w./@-]+)", path.read_text()):
            found.setdefault(match.group(1), set()).add(str(path.relative_to(ROOT)))
    return found


def template_files():
    return [path for directory in TEMPLATE_DIRS for path in sorted(directory.rglob("*.html"))]


def test_versions_are_pinned_exactly_and_locked():
    for name, version in PINNED.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name}: {version} is not an exact version"
        assert LOCK["packages"][""]["devDependencies"][name] == version
        assert LOCK["packages"][f"node_modules/{name}"]["version"] == version
    assert PINNED["yjs"].startswith("13."), "Yjs stays on v13"
    assert PINNED["@excalidraw/excalidraw"].startswith("0.18.")
    assert PINNED["esbuild"].startswith("0.28.")
    # One Mermaid-to-Excalidraw: Excalidraw's own dependency is overridden to the pinned one.
    copies = [key for key in LOCK["packages"] if key.endswith("@excalidraw/mermaid-to-excalidraw")]
    assert copies == ["node_modules/@excalidraw/mermaid-to-excalidraw"], copies


@pytest.mark.parametrize("package", sorted(VENDORED))
def test_each_library_is_there_at_the_pinned_version_with_its_licence(package):
    directory = VENDOR / folder(package)
    main = VENDOR / main_file(package)
    assert main.is_file() and main.stat().st_size > 10_000, f"{main} missing: run make bundles"
    licence = directory / "LICENSE"
    assert licence.is_file() and len(licence.read_text()) > 200
    compiled = VENDORED[package][2]
    if compiled:
        third_party = (directory / "THIRD-PARTY-LICENSES.txt").read_text()
        installed = {
            p.removeprefix("node_modules/"): meta.get("version")
            for p, meta in LOCK["packages"].items()
        }
        for name in compiled:
            assert f"- {name} {installed[name]} (" in third_party, name
        assert "ships no licence file" not in third_party


def test_nothing_else_is_in_the_vendor_folder():
    expected = {folder(package) for package in VENDORED} | {"README.md"}
    assert {path.name for path in VENDOR.iterdir()} == expected


def test_the_readme_describes_every_library():
    readme = (VENDOR / "README.md").read_text()
    assert "make bundles" in readme
    for package in VENDORED:
        assert main_file(package) in readme
        assert PINNED[package] in readme


def test_board_fonts_are_all_there_with_their_licences():
    directory = VENDOR / folder("@excalidraw/excalidraw")
    bundle = (VENDOR / main_file("@excalidraw/excalidraw")).read_text()
    fonts = set(re.findall(r"\./fonts/([\w-]+/[\w.-]+\.woff2)", bundle))
    assert len(fonts) > 100  # Excalifont, Xiaolai (split by character range), the others
    missing = sorted(f for f in fonts if not (directory / "fonts" / f).is_file())
    # Liberation Sans serves only Excalidraw's server-side export and is left out on purpose.
    assert all(f.startswith("Liberation/") for f in missing), missing
    assert "SIL OPEN FONT LICENSE" in (directory / "fonts" / "LICENSES.txt").read_text()


def test_templates_reference_vendored_files_that_exist():
    found = references(template_files())
    assert found, "no template includes a vendored file"
    for path, where in found.items():
        assert (VENDOR / path).is_file(), (
            f"{sorted(where)} include vendor/{path}, which is not there"
        )
    # The libraries pages use today, each at the version that is vendored.
    assert main_file("htmx.org") in found
    assert "templates/base.html" in found[main_file("htmx.org")]
    assert main_file("mermaid") in found


def test_heavy_and_test_only_bundles_stay_off_pages_that_do_not_need_them():
    found = references(template_files())
    for path, where in found.items():
        assert not path.startswith(TEST_ONLY), f"{sorted(where)} include a test-only file: {path}"
    base = references([ROOT / "templates" / "base.html"])
    assert not any(path.startswith((BOARD, "mermaid-")) for path in base), base


def test_test_pages_load_the_bundles_at_the_vendored_version():
    found = references(sorted(TEST_PAGES.glob("*.html")))
    for path, where in found.items():
        assert (VENDOR / path).is_file(), (
            f"{sorted(where)} include vendor/{path}, which is not there"
        )
    assert main_file("yjs") in found
    assert main_file("@excalidraw/excalidraw") in found


def test_bundles_expose_their_globals():
    yjs = (VENDOR / main_file("yjs")).read_text()
    board = (VENDOR / main_file("@excalidraw/excalidraw")).read_text()
    # One copy of Yjs per page: the board bundle does not carry its own.
    assert "SevenstepsYjs" in yjs and "Yjs was already imported" in yjs
    assert "Yjs was already imported" not in board
    assert "SevenstepsBoard" in board and "EXCALIDRAW_ASSET_PATH" in board
