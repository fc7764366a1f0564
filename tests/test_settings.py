"""Every setting the code reads is declared in config.py (with its default) and named in the README."""

from __future__ import annotations

import ast
from pathlib import Path

import config

ROOT = Path(__file__).resolve().parent.parent


def _is_config(node: ast.expr) -> bool:
    """`app.config`, `current_app.config`, `self.app.config` … (an attribute named config)."""
    return isinstance(node, ast.Attribute) and node.attr == "config"


def settings_read(source: str) -> set[str]:
    """The names read by `….config["X"]`, `….config.get("X")` and `….config.setdefault("X")` in `source`."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Subscript) and _is_config(node.value):
            key = node.slice
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("get", "setdefault")
            and _is_config(node.func.value)
            and node.args
        ):
            key = node.args[0]
        else:
            continue
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            names.add(key.value)
    return names


def test_the_finder_sees_every_way_of_reading_a_setting():
    source = (
        'a = current_app.config["ONE"]\n'
        'b = app.config.get("TWO", 3)\n'
        'c = self.app.config.setdefault("THREE", 1)\n'
        'd = other["NOT_A_SETTING"]\n'
        'app.config["FOUR"] = 1\n'
    )
    assert settings_read(source) == {"ONE", "TWO", "THREE", "FOUR"}


def test_every_setting_read_by_the_code_is_declared_and_documented():
    read: dict[str, str] = {}
    for path in sorted((ROOT / "coordhub").rglob("*.py")):
        for name in settings_read(path.read_text(encoding="utf-8")):
            read.setdefault(name, str(path.relative_to(ROOT)))
    assert len(read) > 20  # the finder works on the real tree
    undeclared = {name: where for name, where in read.items() if not hasattr(config.DefaultConfig, name)}
    assert not undeclared, f"read by the code but not declared in config.DefaultConfig: {undeclared}"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    undocumented = sorted(name for name in read if f"`{name}`" not in readme)
    assert not undocumented, f"settings not named (in backquotes) in README.md: {undocumented}"
