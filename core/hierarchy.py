"""Hierarchy queries over a parent link, inside one organisation.

Units (``Unit.parent``), reporting lines (``Membership.manager``) and goals
(``Goal.parent``) are trees stored as a link to the parent row. A subtree or a chain
of ancestors is one recursive query (``WITH RECURSIVE``, on SQLite and PostgreSQL):

- ``subtree`` / ``subtree_ids``: the rows below some roots;
- ``chain`` / ``chain_ids``: the rows above some start rows, walking up the parent
  links (a primary-key lookup a level: the cost follows the depth, not the size of
  the organisation);
- ``ancestor_rows``: that walk with each row's parent and its distance from the start.

``subtree`` and ``chain`` give a ``RawSQL`` subquery of ids for a larger ORM query
(``filter(pk__in=…)``), so the caller keeps its single query; ``*_ids`` run it.
``ancestors_in`` walks up rows already loaded, with no query.

Every query here:

- filters by the organisation given, in its first step and in every step after: a
  walk never crosses organisations, whatever a corrupted link points at, even without
  row-level security (SQLite); on PostgreSQL it keeps the work inside the organisation;
- takes values as parameters; table and column names come from the model's ``_meta``;
- ends on a loop in the links (services refuse loops; a row written around them may
  still make one): with ``max_depth`` each row carries its distance and the walk stops
  there; without, the walk uses ``UNION``, which drops a row already found, so it ends
  when the loop comes round.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import Model, QuerySet
from django.db.models.expressions import RawSQL

Start = Iterable[int] | QuerySet


class _Table(NamedTuple):
    name: str
    pk: str
    parent: str
    org: str


def _table(model: type[Model], parent_field: str) -> _Table:
    """The model's quoted table and column names (from ``_meta`` only)."""
    opts = model._meta
    parent = opts.get_field(parent_field)
    if getattr(parent.remote_field, "model", None) is not model:
        raise ValueError(
            f"{model.__name__}.{parent_field} is not a link to another {model.__name__}"
        )
    quote = connection.ops.quote_name
    return _Table(
        quote(opts.db_table),
        quote(opts.pk.column),
        quote(parent.column),
        quote(opts.get_field("org").column),
    )


def id_sql(qs: QuerySet) -> tuple[str, tuple]:
    """SQL selecting the ids of ``qs`` (rows, or a sliced ``values("pk")``), and its params."""
    if qs.query.is_sliced:
        return qs.query.sql_with_params()
    return qs.order_by().values("pk").query.sql_with_params()


def _start_sql(start: Start) -> tuple[str, tuple]:
    if isinstance(start, QuerySet):
        return id_sql(start)
    ids = sorted({int(pk) for pk in start})
    if not ids:
        return "NULL", ()
    return ", ".join(["%s"] * len(ids)), tuple(ids)


def _walk(
    model: type[Model],
    org_id: int,
    start: Start,
    *,
    up: bool,
    include_start: bool = True,
    parent_field: str = "parent",
    max_depth: int | None = None,
    within: QuerySet | None = None,
    select: str = "SELECT id FROM walk",
) -> tuple[str, tuple]:
    """One recursive query from ``start`` along the parent links, and its params.

    The CTE ``walk`` has columns ``id``, ``parent`` and, with ``max_depth``, ``depth``
    (0 for the first rows); ``select`` is the statement's final SELECT over it.
    """
    t = _table(model, parent_field)
    start_sql, start_params = _start_sql(start)
    if include_start:
        first, first_params = f"{t.pk} IN ({start_sql})", start_params
    elif up:
        first = (
            f"{t.pk} IN (SELECT {t.parent} FROM {t.name}"
            f" WHERE {t.org} = %s AND {t.pk} IN ({start_sql}))"
        )
        first_params = (org_id, *start_params)
    else:
        first, first_params = f"{t.parent} IN ({start_sql})", start_params
    join = f"step.{t.pk} = walk.parent" if up else f"step.{t.parent} = walk.id"
    step = [f"step.{t.org} = %s"]
    step_params: tuple = (org_id,)
    if within is not None:
        within_sql, within_params = id_sql(within)
        step.append(f"step.{t.pk} IN ({within_sql})")
        step_params += within_params
    if max_depth is None:
        columns, union, first_depth, next_depth = "id, parent", "UNION", "", ""
    else:
        columns, union = "id, parent, depth", "UNION ALL"
        first_depth, next_depth = ", 0", ", walk.depth + 1"
        step.append("walk.depth < %s")
        step_params += (int(max_depth),)
    sql = f"""
        WITH RECURSIVE walk({columns}) AS (
            SELECT {t.pk}, {t.parent}{first_depth} FROM {t.name}
            WHERE {t.org} = %s AND {first}
            {union}
            SELECT step.{t.pk}, step.{t.parent}{next_depth} FROM {t.name} step JOIN walk ON {join}
            WHERE {" AND ".join(step)}
        )
        {select}
    """
    return sql, (org_id, *first_params, *step_params)


def _raw(sql: str, params: tuple) -> RawSQL:
    # Only names from the model's _meta and Django-compiled SQL are in ``sql``.
    return RawSQL(sql, params)  # noqa: S611


def _ids(sql: str, params: tuple) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}


# Options of every walk below: ``parent_field`` (the link to the parent row, default
# "parent"), ``max_depth`` (levels beyond the first rows; None: no bound, loops end by
# UNION) and ``within`` (a queryset the walk may only pass through: a row outside it
# ends the walk there).


def subtree(
    model: type[Model], org_id: int, roots: Start, *, include_root: bool = True, **options: Any
) -> RawSQL:
    """The ids of the ``roots`` rows (ids or a queryset) and every row below them, as a
    subquery; without the roots themselves unless ``include_root``."""
    return _raw(*_walk(model, org_id, roots, up=False, include_start=include_root, **options))


def chain(
    model: type[Model], org_id: int, start: Start, *, include_start: bool = True, **options: Any
) -> RawSQL:
    """The ids of the ``start`` rows (ids or a queryset) and every row above them, as a
    subquery; without the start rows themselves unless ``include_start``."""
    return _raw(*_walk(model, org_id, start, up=True, include_start=include_start, **options))


def subtree_ids(
    model: type[Model], org_id: int, roots: Start, *, include_root: bool = True, **options: Any
) -> set[int]:
    """``subtree``'s ids, read in one query."""
    return _ids(*_walk(model, org_id, roots, up=False, include_start=include_root, **options))


def chain_ids(
    model: type[Model], org_id: int, start: Start, *, include_start: bool = True, **options: Any
) -> set[int]:
    """``chain``'s ids, read in one query."""
    return _ids(*_walk(model, org_id, start, up=True, include_start=include_start, **options))


def ancestor_rows(
    model: type[Model], org_id: int, start: Start, *, max_depth: int, parent_field: str = "parent"
) -> list[tuple[int, int | None, int]]:
    """(id, parent id, distance) of the ``start`` rows and every row above them, read in
    one query; a row reached along several paths has its longest distance from a start."""
    select = "SELECT id, parent, MAX(depth) FROM walk GROUP BY id, parent"
    sql, params = _walk(
        model, org_id, start, up=True, parent_field=parent_field, max_depth=max_depth, select=select
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def ancestors_in(
    nodes: Mapping[int, Any], parent_id: int | None, *, limit: int, parent_attr: str = "parent_id"
) -> list[int]:
    """The ids above a row among rows already loaded (``nodes`` by id), nearest first,
    starting at its parent ``parent_id``; at most ``limit`` (a loop cannot hang)."""
    found: list[int] = []
    pk = parent_id
    while pk in nodes and len(found) < limit:
        found.append(pk)
        pk = getattr(nodes[pk], parent_attr)
    return found
