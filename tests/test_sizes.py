"""tools/sizes.py measures what the house limits are about: module lines and function lines
(methods and nested functions by their qualified names), migrations left out."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("sizes", ROOT / "tools" / "sizes.py")
assert spec is not None and spec.loader is not None
sizes = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sizes)


def test_it_measures_modules_and_functions_by_name(tmp_path):
    app = tmp_path / "app"
    (app / "migrations").mkdir(parents=True)
    (app / "migrations" / "0001_initial.py").write_text("x = 1\n" * 900, encoding="utf-8")
    (app / "small.py").write_text("def f():\n    return 1\n", encoding="utf-8")
    (app / "big.py").write_text(
        "class Room:\n"
        "    @property\n"
        "    def name(self):\n"
        "        def inner():\n"
        "            return 1\n"
        "\n"
        "        return inner()\n"
        "\n"
        "\n"
        "async def tick():\n" + "    pass\n" * 5,
        encoding="utf-8",
    )
    modules, functions = sizes.measure(tmp_path, ("app",))
    assert modules == [("app/big.py", 15), ("app/small.py", 2)]
    assert functions == [
        ("app/big.py:10 tick", 6),
        ("app/big.py:3 Room.name", 5),
        ("app/big.py:4 Room.name.inner", 2),
        ("app/small.py:1 f", 2),
    ]


def test_the_repository_is_measured(capsys):
    assert sizes.main(["--top", "3"]) == 0
    out = capsys.readouterr().out
    assert "Largest modules" in out and "Largest functions" in out
    assert "migrations" not in out
