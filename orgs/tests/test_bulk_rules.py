"""The bulk forms of the reporting-line and last-admin rules, which the CSV import uses
instead of rules of its own (orgs/tests/test_csv_import.py checks the import's errors)."""

from __future__ import annotations

from orgs.models import Role
from orgs.services import check_admins_left, check_reporting_lines


def test_it_finds_everyone_on_a_reporting_loop_and_nobody_else():
    manager_of = {
        "a": "b",
        "b": "c",
        "c": "a",  # a → b → c → a
        "d": "a",  # reports into the loop, is not on it
        "e": None,
        "f": "e",
        "g": "g",  # their own manager
        "h": "unknown",  # a manager outside the map ends the chain
    }
    assert check_reporting_lines(manager_of) == {"a", "b", "c", "g"}


def test_a_long_chain_without_a_loop_is_fine_and_ids_work_as_keys():
    chain = {n: n + 1 for n in range(10_000)} | {10_000: None}
    assert check_reporting_lines(chain) == set()
    assert check_reporting_lines(chain | {10_000: 5_000}) == set(range(5_000, 10_001))


def test_the_admins_keep_their_role_only_when_nobody_else_would_be_admin():
    admins = {"alice", "ann"}
    demoted = {"alice": Role.MEMBER, "ann": Role.MANAGER, "bob": Role.MEMBER}
    assert check_admins_left(roles_after=demoted, admins=admins) == {"alice", "ann"}
    one_left = demoted | {"ann": Role.ADMIN}
    assert check_admins_left(roles_after=one_left, admins=admins) == set()
    someone_new = demoted | {"zoe": Role.ADMIN}
    assert check_admins_left(roles_after=someone_new, admins=admins) == set()
    assert check_admins_left(roles_after={}, admins=[]) == set()
