"""Mutation testing for the rules issue 7 moves: change one thing, run the fast tests.

Each mutant is one small change to one module (a comparison flipped or loosened,
``and``/``or`` swapped, a ``not`` dropped, a number moved by one, a ``True``/``False``
returned the other way). The module's own tests run against it on SQLite; a mutant
is killed when they fail. Surviving mutants are printed with their line so a person
can tell an unpinned rule from an equivalent change.

    .venv/bin/python scripts/mutation.py                  # every module
    .venv/bin/python scripts/mutation.py goals/health.py  # one module
    .venv/bin/python scripts/mutation.py --max 20         # the first 20 mutants a module

The source file is rewritten for each mutant and restored afterwards (also on Ctrl-C).
"""

from __future__ import annotations

import argparse
import ast
import copy
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Module -> the tests that pin its rules (the fast ones: no browser, no PostgreSQL).
MODULES: dict[str, list[str]] = {
    "goals/health.py": ["goals/tests/test_health_rules.py"],
    "goals/smart.py": ["goals/tests/test_smart.py", "goals/tests/test_smart_words.py"],
    "goals/rollup.py": [
        "goals/tests/test_rollup.py",
        "goals/tests/test_rollup_edges.py",
        "goals/tests/test_reapproval.py",
    ],
    "goals/access.py": [
        "goals/tests/test_access_rules.py",
        "goals/tests/test_permissions_matrix.py",
    ],
    "core/middleware.py": ["tests/test_tenancy_requests.py", "orgs/tests/test_api.py"],
    "core/hierarchy.py": ["core/tests/test_hierarchy.py"],
}
# core/tenancy.py is left out: its rules act only on PostgreSQL (set_config, RLS), and the
# mutants run the fast tests on SQLite, where no test could kill them.

COMPARE_SWAPS = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}


def _targets(tree: ast.AST) -> Iterator[tuple[ast.AST, str]]:
    """(node, description) of every place one mutation applies, in source order."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and type(node.ops[0]) in COMPARE_SWAPS:
            yield (
                node,
                f"{type(node.ops[0]).__name__} -> {COMPARE_SWAPS[type(node.ops[0])].__name__}",
            )
        elif isinstance(node, ast.BoolOp):
            yield node, "and <-> or"
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            yield node, "not dropped"
        elif (
            isinstance(node, ast.Constant)
            and type(node.value) in (int, float)
            and not isinstance(node.value, bool)
        ):
            yield node, f"{node.value!r} -> {node.value!r} + 1"
        elif isinstance(node, ast.Return) and isinstance(node.value, ast.Constant):
            if isinstance(node.value.value, bool):
                yield node, f"return {node.value.value} -> {not node.value.value}"


def _mutate(node: ast.AST) -> ast.AST:
    if isinstance(node, ast.Compare):
        node.ops[0] = COMPARE_SWAPS[type(node.ops[0])]()
    elif isinstance(node, ast.BoolOp):
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif isinstance(node, ast.UnaryOp):
        return node.operand
    elif isinstance(node, ast.Constant):
        node.value = node.value + 1
    elif isinstance(node, ast.Return):
        node.value.value = not node.value.value
    return node


def mutants(source: str) -> Iterator[tuple[int, str, str]]:
    """(line, description, mutated source) for each single mutation of ``source``."""
    tree = ast.parse(source)
    count = sum(1 for _ in _targets(tree))
    for index in range(count):
        copy_tree = copy.deepcopy(tree)
        node, description = list(_targets(copy_tree))[index]
        line = getattr(node, "lineno", 0)
        replacement = _mutate(node)
        if replacement is not node:
            for parent in ast.walk(copy_tree):
                for field, value in ast.iter_fields(parent):
                    if value is node:
                        setattr(parent, field, replacement)
                    elif isinstance(value, list):
                        for i, item in enumerate(value):
                            if item is node:
                                value[i] = replacement
        yield line, description, ast.unparse(ast.fix_missing_locations(copy_tree))


def run_tests(tests: list[str]) -> bool:
    """True when the tests pass (the mutant survives)."""
    result = subprocess.run(  # noqa: S603 (our own test command)
        [
            sys.executable,
            "-m",
            "pytest",
            "-x",
            "-q",
            "-p",
            "no:cacheprovider",
            "-m",
            "not browser and not postgres",
            *tests,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "CAIRN_VAR_DIR": str(ROOT / "var" / "mutation")},
    )
    return result.returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", default=list(MODULES))
    parser.add_argument("--max", type=int, default=0, help="at most this many mutants a module")
    args = parser.parse_args()
    for module in args.modules:
        path = ROOT / module
        original = path.read_text()
        tests = MODULES[module]
        if not run_tests(tests):
            print(f"{module}: its tests fail without any mutant; fix them first")
            return 1
        killed, survived = 0, []
        try:
            for n, (line, description, source) in enumerate(mutants(original)):
                if args.max and n >= args.max:
                    break
                path.write_text(source)
                if run_tests(tests):
                    survived.append(f"  {module}:{line}  {description}")
                else:
                    killed += 1
        finally:
            path.write_text(original)
        total = killed + len(survived)
        score = 100 * killed / total if total else 100.0
        print(f"{module}: {killed}/{total} mutants killed ({score:.0f}%)")
        print("\n".join(survived))
    return 0


if __name__ == "__main__":
    sys.exit(main())
