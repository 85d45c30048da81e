"""The lock files (requirements/*.txt, written by ``make lock`` with uv) stay in step with
pyproject.toml: the packages pyproject.toml asks for directly are exactly the lock's top-level
ones, each pinned to a version its range allows, and every pinned line carries hashes (the
Makefile installs with ``--require-hashes``). Offline: nothing is resolved again here."""

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
LOCKS = {
    "base.txt": (),
    "test.txt": ("test",),
    "bench.txt": ("test", "bench"),
}
OURSELVES = "sevensteps (pyproject.toml)"
PIN = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+)\s*(?:;(?P<marker>[^\\]+))?"
)


@dataclass
class Pin:
    name: str
    version: Version
    marker: Marker | None
    hashes: int = 0
    via: list[str] = field(default_factory=list)


def read_lock(path: Path) -> list[Pin]:
    pins: list[Pin] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            marker = match.group("marker")
            pins.append(
                Pin(
                    canonicalize_name(match.group("name")),
                    Version(match.group("version")),
                    Marker(marker.strip()) if marker else None,
                )
            )
        elif pins and line.strip().startswith("--hash="):
            pins[-1].hashes += 1
        elif pins and line.strip().startswith("#"):
            said = line.strip().lstrip("#").strip()
            said = said.removeprefix("via").strip()
            if said:
                pins[-1].via.append(said)
    return pins


def declared(extras: tuple[str, ...]) -> list[Requirement]:
    project = PYPROJECT["project"]
    wanted = list(project["dependencies"])
    for extra in extras:
        wanted += project["optional-dependencies"][extra]
    return [Requirement(text) for text in wanted]


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_the_lock_pins_what_pyproject_asks_for_within_its_ranges(lock):
    path = ROOT / "requirements" / lock
    pins = read_lock(path)
    assert pins, f"{lock} pins nothing"
    assert "#    make lock" in path.read_text(encoding="utf-8"), "written by something else"
    requirements = declared(LOCKS[lock])
    by_name: dict[str, list[Pin]] = {}
    for pin in pins:
        by_name.setdefault(pin.name, []).append(pin)

    missing = [str(r) for r in requirements if canonicalize_name(r.name) not in by_name]
    assert not missing, f"{lock} lacks {missing}: run `make lock`"
    out_of_range = [
        f"{r.name}=={pin.version} (pyproject: {r.specifier})"
        for r in requirements
        for pin in by_name[canonicalize_name(r.name)]
        if pin.version not in r.specifier
    ]
    assert not out_of_range, f"{lock} is outside pyproject's ranges: run `make lock`"

    top_level = {pin.name for pin in pins if OURSELVES in pin.via}
    asked = {canonicalize_name(r.name) for r in requirements}
    assert top_level == asked, (
        f"{lock}: locked as direct but not asked for {sorted(top_level - asked)}, "
        f"asked for but not direct {sorted(asked - top_level)}: run `make lock`"
    )
    unhashed = [pin.name for pin in pins if not pin.hashes]
    assert not unhashed, f"{lock} has pins without hashes: {unhashed}"


def test_each_lock_holds_the_one_below_it():
    """Test tools come on top of the app's packages, at the same versions."""
    base, test, bench = (
        {(p.name, p.version, str(p.marker)) for p in read_lock(ROOT / "requirements" / name)}
        for name in ("base.txt", "test.txt", "bench.txt")
    )
    assert base <= test <= bench


def test_the_reader_sees_a_drifted_lock(tmp_path):
    """The checks above can fail: a pin outside its range and one without hashes are seen."""
    lock = tmp_path / "base.txt"
    lock.write_text(
        "#    make lock\n"
        "django==5.2.0 \\\n"
        "    # via sevensteps (pyproject.toml)\n"
        "uvloop==0.23.0 ; sys_platform != 'win32' \\\n"
        "    --hash=sha256:00\n"
        "    # via\n"
        "    #   uvicorn\n",
        encoding="utf-8",
    )
    django, uvloop = read_lock(lock)
    assert (django.name, django.hashes, django.via) == ("django", 0, [OURSELVES])
    assert django.version not in Requirement("django>=6.0,<6.2").specifier
    assert uvloop.marker is not None and uvloop.hashes == 1 and uvloop.via == ["uvicorn"]
