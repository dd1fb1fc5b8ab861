"""Mutation testing for the rules issues 7 and 8 move: change one thing, run the fast tests.

Each mutant is one small change to one module (a comparison flipped or loosened,
``and``/``or`` swapped, a ``not`` dropped, a number moved by one, a ``True``/``False``
returned the other way). The module's own tests run against it; a mutant is killed
when they fail, or when they run longer than the per-mutant timeout (a mutant that
hangs or makes Hypothesis shrink for minutes is noticed too). Surviving mutants are
printed with their line so a person can tell an unpinned rule from an equivalent
change.

    .venv/bin/python scripts/mutation.py                  # every module
    .venv/bin/python scripts/mutation.py goals/health.py  # one module
    .venv/bin/python scripts/mutation.py --max 20         # the first 20 mutants a module
    .venv/bin/python scripts/mutation.py --timeout 60     # seconds a mutant may take
    .venv/bin/python scripts/mutation.py --shard 0/2      # every 2nd mutant from the 1st

Speed: each module lists its tests fastest first and pytest stops at the first
failure, so the slow property-based (Hypothesis) tests run only against mutants the
quick ones missed; in those runs Hypothesis tries fixed examples and skips shrinking
(this file doubles as the pytest plugin that sets that up). The timeout defaults to
three times the unmutated run (at least 30 s). ``--shard i/n`` splits a module's mutants
over n runs, each from its own copy of the tree (the driver rewrites files in place).

PostgreSQL: core/tenancy.py acts only on PostgreSQL (set_config, row-level security),
so its tests run there. Export the usual variables first; the driver creates the test
database once (``--create-db``) and reuses it (``--reuse-db``) for every mutant. Without
a PostgreSQL ``DATABASE_URL`` the module is skipped with a note.

    DATABASE_URL=postgres://cairn_owner:cairn_owner@127.0.0.1:5432/cairn \
    DATABASE_APP_ROLE=cairn_app REDIS_URL=redis://127.0.0.1:6379/0 \
    CAIRN_TEST_DB_NAME=test_cairn_mutation .venv/bin/python scripts/mutation.py core/tenancy.py

The source file is rewritten for each mutant and restored afterwards (also on Ctrl-C).
"""

from __future__ import annotations

import argparse
import ast
import copy
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Target:
    tests: list[str]  # fastest first: pytest stops at the first failure
    postgres: bool = False  # its rules act only on PostgreSQL


# Module -> the tests that pin its rules (the fast ones: no browser).
MODULES: dict[str, Target] = {
    "goals/health.py": Target(["goals/tests/test_health_rules.py"]),
    "goals/smart.py": Target(["goals/tests/test_smart.py", "goals/tests/test_smart_words.py"]),
    "goals/rollup.py": Target(
        [
            "goals/tests/test_rollup_edges.py",
            "goals/tests/test_rollup_mutants.py",
            "goals/tests/test_rollup.py",
            "goals/tests/test_reapproval.py",
        ]
    ),
    "goals/access.py": Target(
        [
            "goals/tests/test_check_in_refusal.py",
            "core/tests/test_nav.py",
            "goals/tests/test_access_rules.py",
            "goals/tests/test_permissions_matrix.py",
        ]
    ),
    "core/middleware.py": Target(["tests/test_tenancy_requests.py", "orgs/tests/test_api.py"]),
    "core/authentication.py": Target(
        [
            "core/tests/test_authentication.py",
            "tests/test_tenancy_requests.py",
            "orgs/tests/test_api.py",
        ]
    ),
    "core/hierarchy.py": Target(["core/tests/test_hierarchy.py"]),
    "core/tenancy.py": Target(
        [
            "tests/test_tenancy_mutants.py",
            "tests/test_tenancy_requests.py",
            "orgs/tests/test_tenancy_rls.py",
        ],
        postgres=True,
    ),
    "kpis/status.py": Target(["kpis/tests/test_status_rules.py"]),
    "kpis/forecast.py": Target(["kpis/tests/test_forecast_rules.py"]),
    "kpis/services.py": Target(["kpis/tests/test_service_rules.py"]),
    "kpis/rollup.py": Target(
        [
            "kpis/tests/test_rollup_rules.py",
            "kpis/tests/test_rollup.py",
            "kpis/tests/test_snapshots.py",
        ]
    ),
    "core/periodic.py": Target(
        ["core/tests/test_periodic_rules.py", "core/tests/test_periodic.py"]
    ),
    "feedback/threads.py": Target(
        [
            "feedback/tests/test_threads_services.py",
            "feedback/tests/test_threads_pages.py",
            "feedback/tests/test_threads_api.py",
        ]
    ),
    "feedback/access.py": Target(
        ["feedback/tests/test_visibility_matrix.py", "feedback/tests/test_services.py"]
    ),
    "feedback/services.py": Target(
        ["feedback/tests/test_services.py", "feedback/tests/test_visibility_matrix.py"]
    ),
    "feedback/recognition.py": Target(["feedback/tests/test_recognition_services.py"]),
}
# Surviving mutants a person has judged equivalent (no user, test or caller can tell the
# difference), keyed as the driver prints them: "module:line  description". The driver
# marks them "(equivalent)" when they survive; any other survivor is an unpinned rule.
# Line numbers follow the module: move a note when its line moves.
EQUIVALENT: dict[str, str] = {
    "feedback/threads.py:143  Lt -> LtE": (
        "`0 <= pk` lets id 0 through to the membership query, which finds no one with id 0:"
        " the same MENTION_OUTSIDE message (one query later)"
    ),
    "feedback/threads.py:471  1 -> 1 + 1": (
        "thread_page fetches offset + THREAD_PAGE + 2 rows instead of + 1: one more row read,"
        " the page and next_offset only need to know there is at least one more"
    ),
    "feedback/recognition.py:411  1 -> 1 + 1": (
        "feed_page fetches size + 2 rows instead of size + 1: one more row read, the page and"
        " the next cursor only need to know there is at least one more"
    ),
    "feedback/recognition.py:99  LtE -> Lt": (
        "the skin-tone range U+1F3FB..U+1F3FF in is_one_emoji: those five are category Sk,"
        ' already allowed by `category in ("Mn", "Me", "Sk")`, so narrowing the range'
        " changes nothing"
    ),
    "feedback/recognition.py:99  127995 -> 127995 + 1": (
        "U+1F3FB (light skin tone) is category Sk: allowed whether or not the range holds it"
    ),
    "feedback/recognition.py:99  127999 -> 127999 + 1": (
        "the range reaching U+1F400 (rat, category So) is never tested: a So character is"
        " handled by the branch above before this one"
    ),
}
PG_VARIABLES = ("DATABASE_URL", "DATABASE_APP_ROLE", "REDIS_URL", "CAIRN_TEST_DB_NAME")

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


def _command(target: Target, first: bool) -> tuple[list[str], dict[str, str]]:
    env = {"PATH": "/usr/bin:/bin", "CAIRN_VAR_DIR": str(ROOT / "var" / "mutation")}
    args = ["-m", "not browser and not postgres"]
    if target.postgres:
        env.update({name: os.environ[name] for name in PG_VARIABLES if name in os.environ})
        env.setdefault("CAIRN_TEST_DB_NAME", "test_cairn_mutation")
        args = ["-m", "not browser", "--create-db" if first else "--reuse-db"]
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-x",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "scripts.mutation",  # this file, as a pytest plugin: see pytest_configure
        *args,
        *target.tests,
    ]
    return command, env


def pytest_configure(config) -> None:
    """In a mutant's run Hypothesis tries fixed examples and does not shrink a failure:
    that it fails is all the driver needs, and shrinking takes minutes."""
    from hypothesis import Phase, settings

    settings.register_profile(
        "mutation",
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
        derandomize=True,
        database=None,
    )
    settings.load_profile("mutation")


def run_tests(target: Target, timeout: float | None = None, first: bool = False) -> str:
    """ "passed" (the mutant survives), "failed" or "timeout" (it is killed)."""
    command, env = _command(target, first)
    try:
        result = subprocess.run(  # noqa: S603 (our own test command)
            command, cwd=ROOT, capture_output=True, text=True, env=env, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return "timeout"
    return "passed" if result.returncode == 0 else "failed"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", default=list(MODULES))
    parser.add_argument("--max", type=int, default=0, help="at most this many mutants a module")
    parser.add_argument("--timeout", type=float, default=0, help="seconds a mutant may take")
    parser.add_argument(
        "--shard", default="0/1", help="i/n: only every n-th mutant from the i-th (parallel runs)"
    )
    args = parser.parse_args()
    shard, shards = (int(part) for part in args.shard.split("/"))
    for module in args.modules:
        path = ROOT / module
        original = path.read_text()
        target = MODULES[module]
        if target.postgres and not os.environ.get("DATABASE_URL", "").startswith("postgres"):
            print(f"{module}: skipped, its tests need a PostgreSQL DATABASE_URL (see --help)")
            continue
        started = time.monotonic()
        if run_tests(target, first=True) != "passed":
            print(f"{module}: its tests fail without any mutant; fix them first")
            return 1
        timeout = args.timeout or max(30.0, 3 * (time.monotonic() - started))
        killed, timeouts, survived = 0, 0, []
        try:
            for n, (line, description, source) in enumerate(mutants(original)):
                if args.max and n >= args.max:
                    break
                if n % shards != shard:
                    continue
                path.write_text(source)
                outcome = run_tests(target, timeout)
                if outcome == "passed":
                    key = f"{module}:{line}  {description}"
                    survived.append(f"  {key}" + ("  (equivalent)" if key in EQUIVALENT else ""))
                    print(f"survived{survived[-1]}", file=sys.stderr, flush=True)
                else:
                    killed += 1
                    timeouts += outcome == "timeout"
        finally:
            path.write_text(original)
        total = killed + len(survived)
        equivalent = sum(line.endswith("(equivalent)") for line in survived)
        score = 100 * killed / total if total else 100.0
        note = f", {timeouts} by timeout" if timeouts else ""
        note += f", {equivalent} surviving known equivalent" if equivalent else ""
        print(f"{module}: {killed}/{total} mutants killed ({score:.0f}%{note})", flush=True)
        print("\n".join(survived), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
