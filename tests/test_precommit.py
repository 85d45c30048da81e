"""The pre-commit hooks run the project venv's own tools, so they work offline: each hook's
program is one the test extra installs, and the checks the house asks for are all there."""

import shlex
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".pre-commit-config.yaml"
VENV_BIN = Path(sys.executable).parent


def hooks() -> list[dict]:
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    return [hook for repo in config["repos"] for hook in repo["hooks"]]


def test_every_hook_is_local_and_runs_a_program_of_the_venv():
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    for hook in hooks():
        program = shlex.split(hook["entry"])[0]
        assert program.startswith(".venv/bin/"), hook["id"]
        assert (VENV_BIN / Path(program).name).exists(), f"{hook['id']}: {program} not installed"


def test_the_house_checks_are_hooks():
    ids = {hook["id"] for hook in hooks()}
    assert {"ruff-check", "ruff-format", "content", "yaml", "mypy"} <= ids


def test_pre_commit_accepts_the_config():
    done = subprocess.run(
        [VENV_BIN / "pre-commit", "validate-config", str(CONFIG)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
