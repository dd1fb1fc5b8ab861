"""devtools is for development only: the product never imports it.

Every installed app of this repository other than devtools (and config/) is read
with ``ast``: an ``import devtools…`` or ``from devtools… import`` anywhere in it,
tests included, fails here. New apps (kpis, feedback, notifications) are covered
as soon as they are in INSTALLED_APPS.
"""

from __future__ import annotations

import ast
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management import get_commands

ROOT = Path(settings.BASE_DIR)


def imported_modules(source: str) -> set[str]:
    """Every module a Python source imports, absolute names (relative ones as written)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value)
    return found


def imports_devtools(source: str) -> bool:
    return any(m == "devtools" or m.startswith("devtools.") for m in imported_modules(source))


def product_dirs() -> list[Path]:
    """config/ and every installed app that lives in this repository, except devtools."""
    dirs = [ROOT / "config"]
    for app in apps.get_app_configs():
        path = Path(app.path)
        if app.name != "devtools" and path.is_relative_to(ROOT) and ".venv" not in path.parts:
            dirs.append(path)
    return dirs


def test_it_finds_the_product_apps():
    names = {path.name for path in product_dirs()}
    assert {"config", "core", "orgs", "goals"} <= names
    assert "devtools" not in names


def test_it_notices_an_import_of_devtools():
    assert imports_devtools("from devtools import demo")
    assert imports_devtools("import devtools.demo as d")
    assert imports_devtools("from devtools.management.commands.seed_demo import Command")
    assert imports_devtools("import importlib\nimportlib.import_module('devtools.demo')")
    assert not imports_devtools("from goals import services\nimport devtoolsmith")
    assert not imports_devtools("INSTALLED_APPS = ['devtools']")


def test_no_product_module_imports_devtools():
    offenders = [
        str(path.relative_to(ROOT))
        for directory in product_dirs()
        for path in sorted(directory.rglob("*.py"))
        if imports_devtools(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_seed_demo_is_a_devtools_command():
    assert get_commands()["seed_demo"] == "devtools"
    assert not (ROOT / "goals" / "demo.py").exists()
    assert not (ROOT / "orgs" / "management" / "commands" / "seed_demo.py").exists()
