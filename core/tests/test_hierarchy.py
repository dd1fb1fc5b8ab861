"""core.hierarchy on the three trees: units (parent), reporting lines (manager), goals.

Runs on SQLite and on PostgreSQL. The tests that plant another organisation's rows
under this one's read with row-level security out of the way (``every_org``), so
they prove the queries themselves never cross organisations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Model
from django.utils import timezone

from core import hierarchy
from core.tenancy import tenant_context
from goals.access import subtree_ids
from goals.models import Cycle, Goal
from goals.selectors import goals_above
from orgs.models import Membership, Organization, Unit
from orgs.selectors import manager_chain_ids, unit_subtree
from tests.factories import MembershipFactory, OrganizationFactory, UnitFactory

DEPTH = 7


def _unit(org: Organization, parent: Unit | None) -> Unit:
    return UnitFactory(org=org, parent=parent)


def _person(org: Organization, parent: Membership | None) -> Membership:
    return MembershipFactory(org=org, manager=parent)


def _goal(org: Organization, parent: Goal | None) -> Goal:
    owner = MembershipFactory(org=org)
    today = timezone.localdate()
    with tenant_context(org.pk):
        cycle, _ = Cycle.objects.get_or_create(
            org=org,
            name="This quarter",
            defaults={"start": today, "end": today + timedelta(days=90)},
        )
        return Goal.objects.create(
            org=org, cycle=cycle, owner=owner, title="A goal", due_date=cycle.end, parent=parent
        )


@dataclass
class Tree:
    """One of the three hierarchies: its model, its parent link and how to add a row."""

    model: type[Model]
    parent_field: str
    add: Callable[[Organization, Model | None], Model]

    def line(self, org: Organization, n: int = DEPTH) -> list[Model]:
        """``n`` rows, each the parent of the next."""
        rows: list[Model] = []
        for _ in range(n):
            rows.append(self.add(org, rows[-1] if rows else None))
        return rows

    def link(self, org: Organization, row: Model, parent: Model) -> None:
        """Point ``row`` at ``parent`` behind the services' back (a loop, say)."""
        with tenant_context(org.pk):
            self.model.objects.filter(pk=row.pk).update(**{self.parent_field: parent.pk})

    def subtree_ids(self, org: Organization, roots, **options) -> set[int]:
        with tenant_context(org.pk):
            return hierarchy.subtree_ids(
                self.model, org.pk, roots, parent_field=self.parent_field, **options
            )

    def chain_ids(self, org: Organization, start, **options) -> set[int]:
        with tenant_context(org.pk):
            return hierarchy.chain_ids(
                self.model, org.pk, start, parent_field=self.parent_field, **options
            )


TREES = {
    "units": Tree(Unit, "parent", _unit),
    "reporting lines": Tree(Membership, "manager", _person),
    "goals": Tree(Goal, "parent", _goal),
}


@pytest.fixture(params=list(TREES))
def tree(request) -> Tree:
    return TREES[request.param]


@pytest.fixture
def acme(db) -> Organization:
    return OrganizationFactory(slug="acme", name="Acme")


@pytest.fixture
def globex(db) -> Organization:
    return OrganizationFactory(slug="globex", name="Globex")


def pks(rows) -> set[int]:
    return {row.pk for row in rows}


@contextmanager
def every_org() -> Iterator[None]:
    """Read every organisation's rows: on PostgreSQL as the tables' owner with row-level
    security not forced (undone afterwards; the test's transaction rolls back anyway)."""
    if connection.vendor != "postgresql":
        yield
        return
    tables = [connection.ops.quote_name(m._meta.db_table) for m in (Unit, Membership, Goal)]
    with connection.cursor() as cursor:
        # ALTER TABLE refuses to run with deferred foreign-key checks pending: run them.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("RESET ROLE")
        for table in tables:
            cursor.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            if settings.DATABASE_APP_ROLE:
                cursor.execute(f"SET ROLE {connection.ops.quote_name(settings.DATABASE_APP_ROLE)}")


# --- Depth ------------------------------------------------------------------------


def test_it_reads_a_subtree_seven_levels_deep(tree, acme):
    line = tree.line(acme)
    beside = tree.add(acme, line[1])
    tree.line(acme, 2)  # another root, not below

    assert tree.subtree_ids(acme, [line[0].pk]) == pks(line) | {beside.pk}
    assert tree.subtree_ids(acme, [line[2].pk]) == pks(line[2:])
    assert tree.subtree_ids(acme, [line[2].pk], include_root=False) == pks(line[3:])
    assert tree.subtree_ids(acme, [line[2].pk], max_depth=2) == pks(line[2:5])
    assert tree.subtree_ids(acme, [line[4].pk, line[5].pk]) == pks(line[4:])


def test_it_walks_up_a_chain_seven_levels_deep(tree, acme):
    line = tree.line(acme)
    below = tree.add(acme, line[-1])
    other_root = tree.line(acme, 1)[0]

    assert tree.chain_ids(acme, [line[-1].pk]) == pks(line)
    assert tree.chain_ids(acme, [line[-1].pk], include_start=False) == pks(line[:-1])
    assert tree.chain_ids(acme, [line[-1].pk], max_depth=3) == pks(line[-4:])
    assert tree.chain_ids(acme, [below.pk, other_root.pk]) == pks(line) | {below.pk, other_root.pk}


def test_ancestor_rows_give_each_row_its_parent_and_distance(tree, acme):
    line = tree.line(acme)

    with tenant_context(acme.pk):
        rows = hierarchy.ancestor_rows(
            tree.model, acme.pk, [line[-1].pk], parent_field=tree.parent_field, max_depth=100
        )

    parents = [None, *(row.pk for row in line[:-1])]
    expected = {
        (row.pk, parent, DEPTH - 1 - i)
        for i, (row, parent) in enumerate(zip(line, parents, strict=True))
    }
    assert set(rows) == expected


def test_a_walk_from_a_queryset_and_through_a_queryset(tree, acme):
    line = tree.line(acme)
    # The walk down stops at a row outside ``within``: nothing below it is reached.
    within = tree.model.objects.exclude(pk=line[3].pk)

    with tenant_context(acme.pk):
        start = tree.model.objects.filter(pk=line[1].pk)
        below = hierarchy.subtree_ids(
            tree.model, acme.pk, start, parent_field=tree.parent_field, within=within
        )
        above = hierarchy.chain_ids(
            tree.model, acme.pk, [line[5].pk], parent_field=tree.parent_field, within=within
        )

    assert below == pks(line[1:3])
    assert above == pks(line[4:6])


def test_the_subquery_keeps_the_callers_single_query(tree, acme, django_assert_num_queries):
    line = tree.line(acme)

    with tenant_context(acme.pk):
        below = hierarchy.subtree(tree.model, acme.pk, [line[3].pk], parent_field=tree.parent_field)
        above = hierarchy.chain(tree.model, acme.pk, [line[3].pk], parent_field=tree.parent_field)
        with django_assert_num_queries(1):
            found = list(tree.model.objects.filter(org=acme, pk__in=below).exclude(pk__in=above))

    assert pks(found) == pks(line[4:])


def test_no_start_finds_nothing(tree, acme):
    tree.line(acme, 3)

    assert tree.subtree_ids(acme, []) == set()
    assert tree.chain_ids(acme, [], max_depth=10) == set()


# --- Loops ----------------------------------------------------------------------


def test_a_loop_in_the_links_ends_the_walk(tree, acme):
    line = tree.line(acme, 6)
    tree.link(acme, line[0], line[-1])

    # Without a bound the walk ends when the loop comes round (UNION); with one, there.
    assert tree.subtree_ids(acme, [line[2].pk]) == pks(line)
    assert tree.chain_ids(acme, [line[2].pk]) == pks(line)
    assert tree.subtree_ids(acme, [line[2].pk], max_depth=40) == pks(line)
    assert tree.chain_ids(acme, [line[2].pk], include_start=False, max_depth=40) == pks(line)
    with tenant_context(acme.pk):
        rows = hierarchy.ancestor_rows(
            tree.model, acme.pk, [line[2].pk], parent_field=tree.parent_field, max_depth=40
        )
    assert {pk for pk, _parent, _depth in rows} == pks(line)
    assert max(depth for _pk, _parent, depth in rows) == 40


def test_ancestors_in_walks_loaded_rows_nearest_first_and_ends_on_a_loop(acme):
    line = TREES["units"].line(acme, 5)
    nodes = {unit.pk: unit for unit in line}

    assert hierarchy.ancestors_in(nodes, line[-1].parent_id, limit=10) == [
        unit.pk for unit in reversed(line[:-1])
    ]
    assert hierarchy.ancestors_in(nodes, line[-1].parent_id, limit=2) == [line[3].pk, line[2].pk]
    line[0].parent_id = line[-1].pk
    assert len(hierarchy.ancestors_in(nodes, line[-1].parent_id, limit=12)) == 12


# --- Organisations ------------------------------------------------------------------


def test_another_organisations_rows_are_never_returned(tree, acme, globex):
    """Globex rows whose parent ids are Acme's (a corrupted link) stay out of Acme's walks,
    Acme's rows out of Globex's, and one organisation's ids find nothing in the other."""
    line = tree.line(acme, 5)
    under_acme = tree.add(globex, None)
    tree.link(globex, under_acme, line[-1])
    globex_line = tree.line(globex, 2)
    tree.link(globex, globex_line[0], line[2])

    with every_org():
        # Row-level security is out of the way: a plain query sees both organisations.
        assert tree.model.objects.filter(pk__in=[under_acme.pk, line[0].pk]).count() == 2
        assert hierarchy.subtree_ids(
            tree.model, acme.pk, [line[0].pk], parent_field=tree.parent_field
        ) == pks(line)
        assert hierarchy.subtree_ids(
            tree.model, acme.pk, [line[0].pk], parent_field=tree.parent_field, max_depth=50
        ) == pks(line)
        assert hierarchy.chain_ids(
            tree.model, globex.pk, [globex_line[1].pk], parent_field=tree.parent_field
        ) == pks(globex_line)
        rows = hierarchy.ancestor_rows(
            tree.model, globex.pk, [under_acme.pk], parent_field=tree.parent_field, max_depth=50
        )
        assert rows == [(under_acme.pk, line[-1].pk, 0)]
        assert (
            hierarchy.chain_ids(
                tree.model,
                globex.pk,
                [under_acme.pk],
                parent_field=tree.parent_field,
                include_start=False,
            )
            == set()
        )
        assert (
            hierarchy.subtree_ids(tree.model, globex.pk, pks(line), parent_field=tree.parent_field)
            == set()
        )


def test_the_callers_stay_inside_their_organisation(acme, globex):
    """Reporting subtree, manager chain, unit subtree and the goals above: with a person,
    a unit and a goal of Globex planted under Acme's, and the other way round."""
    people = TREES["reporting lines"].line(acme, 6)
    spy = MembershipFactory(org=globex, manager=people[-1])
    boss = MembershipFactory(org=globex, manager=people[0])
    units = TREES["units"].line(acme, 6)
    UnitFactory(org=globex, parent=units[-1])
    goals = TREES["goals"].line(acme, 6)
    planted = _goal(globex, goals[-1])

    with every_org():
        assert subtree_ids(people[0]) == pks(people[1:])
        assert manager_chain_ids(membership=spy) == {spy.pk}
        assert manager_chain_ids(membership=boss) == {boss.pk}
        assert pks(unit_subtree(units[0])) == pks(units)
        assert pks(goals_above(org_id=globex.pk, goal_ids=[planted.pk])) == {planted.pk}
        assert pks(goals_above(org_id=acme.pk, goal_ids=[goals[-1].pk])) == pks(goals)


def test_it_refuses_a_link_that_is_not_to_the_same_model(acme):
    with pytest.raises(ValueError, match="Membership.unit"):
        hierarchy.subtree(Membership, acme.pk, [1], parent_field="unit")
