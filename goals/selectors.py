"""Reads for the cascade tree and alignment: each runs a fixed number of queries.

Every read is scoped to what an ``Actor`` may see (``Actor.visible_goals()``). In
the tree a visible goal whose parent the actor may not see is shown at the top
level, as is any goal with no parent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import (
    Avg,
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    Window,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from core import hierarchy
from goals.access import Actor
from goals.health import AT_RISK_GAP, CADENCE_DAYS, ON_TRACK_GAP, health_for
from goals.models import (
    COUNTED_STATUSES,
    CheckIn,
    Confidence,
    Cycle,
    Goal,
    GoalStatus,
    Level,
    ProgressSnapshot,
    Visibility,
)
from orgs.models import Membership, Organization, Unit
from orgs.selectors import unit_paths

TREE_RELATED = ("owner__user", "owner__unit", "unit", "cycle")

# The status filter of the tree: health codes, plus stale and "not active yet".
STATUS_FILTERS = {
    "on_track": "On track",
    "at_risk": "At risk",
    "off_track": "Off track",
    "stale": "Stale (no recent check-in)",
    "not_active": "Not active yet",
}
NOT_ACTIVE_STATUSES = (GoalStatus.DRAFT, GoalStatus.SUBMITTED, GoalStatus.CHANGES_REQUESTED)
# A filtered tree shows this many matches at most (with their ancestors).
MATCH_LIMIT = 200


# --- Cycles -------------------------------------------------------------------


def cycles_of(*, org: Organization) -> list[Cycle]:
    return list(Cycle.objects.filter(org=org).order_by("-start", "-pk"))


def default_cycle(cycles: list[Cycle]) -> Cycle | None:
    """The active cycle (the latest if several), else the latest one."""
    active = [c for c in cycles if c.status == Cycle.Status.ACTIVE]
    return (active or cycles or [None])[0]


def cycle_choice(*, org: Organization, wanted: str) -> tuple[list[Cycle], Cycle | None]:
    """The org's cycles and the one asked for (``?cycle=<id>``), else the default one."""
    cycles = list(Cycle.objects.filter(org=org))
    chosen = next((c for c in cycles if str(c.pk) == wanted), None)
    return cycles, chosen or default_cycle(cycles)


def owner_named(*, org: Organization, pk: int) -> Membership | None:
    """The member of ``org`` a tree link filters on (``owner=<id>``), or None: one query."""
    return Membership.objects.filter(org=org, pk=pk).select_related("user").first()


# --- Recursive walks ----------------------------------------------------------


def _union(parts: list[QuerySet]) -> RawSQL:
    """The ids of the goals in any of ``parts``, as one subquery."""
    compiled = [hierarchy.id_sql(qs) for qs in parts]
    # Only Django-compiled SQL is interpolated; values are params.
    return RawSQL(  # noqa: S611
        " UNION ".join(sql for sql, _params in compiled),
        tuple(param for _sql_text, params in compiled for param in params),
    )


def _walk(start: QuerySet, within: QuerySet, *, org_id: int, up: bool) -> RawSQL:
    """Ids of the ``start`` goals and their ancestors (``up``) or descendants, as a subquery.

    ``start`` is a queryset of goals, or a sliced ``values("pk")`` one.

    The walk only passes through goals in ``within``: a goal the actor may not see
    ends it.
    """
    walk = hierarchy.chain if up else hierarchy.subtree
    return walk(Goal, org_id, start, within=within)


# --- Filters ------------------------------------------------------------------


@dataclass(frozen=True)
class TreeFilters:
    """What the tree is narrowed to; ids are already checked against the organisation."""

    unit: int | None = None
    owner: int | None = None
    owner_q: str = ""
    status: str = ""
    at_risk: bool = False
    search: str = ""

    @property
    def active(self) -> bool:
        return bool(
            self.unit or self.owner or self.owner_q or self.status or self.at_risk or self.search
        )


def health_q(
    code: str, *, cycle: Cycle, cadence: str, today: date | None = None, now: datetime | None = None
) -> Q:
    """The goals whose health (goals.health) has ``code``, as a database condition."""
    expected = cycle.elapsed(today)
    now = now or timezone.now()
    active = Q(status=GoalStatus.APPROVED)
    near = Q(progress__gte=expected - ON_TRACK_GAP)
    behind = Q(progress__gte=expected - AT_RISK_GAP)
    # Low confidence, or a key result's trend missing its target (stored), turns an
    # on-pace goal at risk.
    doubt = Q(confidence=Confidence.LOW) | Q(forecast_misses=True)
    if code == "on_track":
        return active & near & ~doubt
    if code == "at_risk":
        return active & behind & (~near | doubt)
    if code == "off_track":
        return active & ~behind
    if code == "at_risk_or_off_track":
        return active & (~near | doubt)
    if code == "stale":
        cutoff = now - timedelta(days=CADENCE_DAYS.get(cadence, 7))
        return active & (
            Q(last_checkin_at__lt=cutoff) | Q(last_checkin_at__isnull=True, updated_at__lt=cutoff)
        )
    if code == "not_active":
        return Q(status__in=NOT_ACTIVE_STATUSES)
    raise ValueError(f"Unknown status filter {code!r}")


def filter_q(filters: TreeFilters, *, cycle: Cycle, org: Organization) -> Q:
    q = Q()
    if filters.unit:
        units = hierarchy.subtree(Unit, org.pk, [filters.unit])
        q &= Q(unit_id__in=units) | Q(owner__unit_id__in=units)
    if filters.owner:
        q &= Q(owner_id=filters.owner)
    # Every word of the owner search is in the owner's name or email address.
    for word in filters.owner_q.split():
        q &= Q(owner__user__full_name__icontains=word) | Q(owner__user__email__icontains=word)
    if filters.status:
        q &= health_q(filters.status, cycle=cycle, cadence=org.checkin_cadence)
    if filters.at_risk:
        q &= health_q("at_risk_or_off_track", cycle=cycle, cadence=org.checkin_cadence)
    if filters.search:
        q &= Q(title__icontains=filters.search)
    return q


# --- The tree -----------------------------------------------------------------


def _tree_rows(visible: QuerySet[Goal], *, sees_all: bool) -> QuerySet[Goal]:
    """Goals with owner, units and cycle, their count of visible children and whether
    they sit at the top of this actor's tree.

    ``sees_all``: ``visible`` is every goal of the cycle (an admin's), so the top is
    just the goals without a parent (services keep a parent in its child's cycle).
    Otherwise a goal whose parent is not visible is at the top too; ``NOT EXISTS``
    lets the planner see that few goals qualify (a ``NOT IN`` made it expect
    thousands and join every membership and user).
    """
    children = (
        visible.filter(parent=OuterRef("pk"))
        .order_by()
        .values("parent")
        .annotate(n=Count("pk"))
        .values("n")
    )
    top = Q(parent__isnull=True)
    if not sees_all:
        top |= ~Exists(visible.filter(pk=OuterRef("parent_id")).order_by())
    return visible.select_related(*TREE_RELATED).annotate(
        child_count=Coalesce(Subquery(children, output_field=IntegerField()), Value(0)),
        is_top=ExpressionWrapper(top, output_field=BooleanField()),
    )


def hidden_goals(*, actor: Actor, cycle: Cycle) -> QuerySet[Goal]:
    """The goals of ``cycle`` a non-admin may not see: private ones of people who neither
    are them nor report to them. Few, and found through the index of private goals,
    where asking "is the parent visible?" of every goal read the whole cycle twice."""
    me = actor.member
    return (
        Goal.objects.filter(org=me.org_id, cycle=cycle, visibility=Visibility.PRIVATE)
        .exclude(owner=me)
        .exclude(owner__in=actor.subtree or [0])
        .values("pk")
    )


def tree_goals(
    *,
    actor: Actor,
    cycle: Cycle,
    open_ids: Iterable[int] = (),
    expand_ids: Iterable[int] = (),
) -> list[Goal]:
    """The top of the tree, the children of opened goals (and of all their ancestors),
    and everything below the goals to expand: one query."""
    org_id = actor.member.org_id
    visible = actor.visible_goals().filter(cycle=cycle)
    # Each kind of wanted goal is its own branch of a UNION of ids rather than a term
    # of one OR: PostgreSQL estimates each branch well, where it guessed thousands of
    # rows for the OR (and then spent more time compiling the query than running it).
    parts = [visible.filter(parent__isnull=True)]
    if not actor.is_admin:
        parts.append(visible.filter(parent__in=hidden_goals(actor=actor, cycle=cycle)))
    if open_ids:
        opened = _walk(visible.filter(pk__in=list(open_ids)), visible, org_id=org_id, up=True)
        parts.append(visible.filter(parent_id__in=opened))
    if expand_ids:
        below = _walk(visible.filter(pk__in=list(expand_ids)), visible, org_id=org_id, up=False)
        parts.append(visible.filter(pk__in=below))
    rows = _tree_rows(visible, sees_all=actor.is_admin)
    wanted = _union(parts)
    return list(rows.filter(_pk_in(wanted.sql, wanted.params)))


def tree_matches(
    *, actor: Actor, org: Organization, cycle: Cycle, filters: TreeFilters
) -> tuple[list[Goal], bool]:
    """Goals matching ``filters`` (``is_match``) with their visible ancestors: one query.

    At most ``MATCH_LIMIT`` matches, by title; the flag says whether there were more.
    Assemble them with ``matches_only`` to drop what no shown match needs.
    """
    visible = actor.visible_goals().filter(cycle=cycle)
    condition = filter_q(filters, cycle=cycle, org=org)
    first = visible.filter(condition).order_by("title", "pk").values("pk")[: MATCH_LIMIT + 1]
    # The ancestors by walking up the parent links (a primary-key lookup a level), where
    # a walk joined to "every visible goal of the cycle" read the cycle once a level.
    # The walk passes hidden goals; ``visible`` leaves them out of the rows, and the
    # visible goals above one do not lead to a match, so ``assemble`` drops them.
    rows = list(
        _tree_rows(visible, sees_all=actor.is_admin)
        .filter(_pk_in(*_up_from(org.pk, first)))
        .annotate(is_match=ExpressionWrapper(condition, output_field=BooleanField()))
    )
    # The first matches by title are all among the rows; later ones only as ancestors.
    found = sorted((g for g in rows if g.is_match), key=lambda g: (g.title, g.pk))
    for goal in found[MATCH_LIMIT:]:
        goal.is_match = False
    return rows, len(found) > MATCH_LIMIT


def tree_children(*, actor: Actor, goal: Goal, expand_all: bool = False) -> list[Goal]:
    """The visible children of ``goal``, or its whole visible subtree: one query."""
    visible = actor.visible_goals().filter(cycle=goal.cycle_id)
    rows = _tree_rows(visible, sees_all=actor.is_admin)
    if expand_all:
        below = _walk(visible.filter(pk=goal.pk), visible, org_id=goal.org_id, up=False)
        return list(rows.filter(pk__in=below).exclude(pk=goal.pk))
    return list(rows.filter(parent=goal))


def _sort_key(goal: Goal) -> tuple:
    return (Level.rank(goal.level), goal.title.lower(), goal.pk)


@dataclass
class Forest:
    """Goals assembled into a tree: ``roots`` with ``kids`` on every node."""

    roots: list[Goal]
    nodes: dict[int, Goal] = field(default_factory=dict)


def assemble(
    rows: list[Goal],
    *,
    org: Organization,
    roots_are: str = "top",
    root_parent: int | None = None,
    level: int = 1,
    matches_only: bool = False,
) -> Forest:
    """Nest ``rows`` under their parents, sorted (objectives first, then by title).

    ``roots_are="top"`` starts from the goals at the top of the actor's tree;
    ``"children"`` starts from the children of ``root_parent``. Goals whose parent
    is not among the rows, and that are not roots, are left out; with
    ``matches_only`` so are goals that neither match (``is_match``) nor lead to a
    match. Each node gets ``kids``, ``health``, ``level_in_tree`` (from ``level``),
    ``setsize`` and ``posinset``.
    """
    nodes = {g.pk: g for g in rows}
    kids: dict[int, list[Goal]] = {pk: [] for pk in nodes}
    roots: list[Goal] = []
    for goal in rows:
        is_root = goal.is_top if roots_are == "top" else goal.parent_id == root_parent
        if is_root:
            roots.append(goal)
        elif goal.parent_id in nodes:
            kids[goal.parent_id].append(goal)

    if matches_only:

        def leads_to_match(goal: Goal) -> bool:
            kids[goal.pk] = [kid for kid in kids[goal.pk] if leads_to_match(kid)]
            return goal.is_match or bool(kids[goal.pk])

        roots = [root for root in roots if leads_to_match(root)]

    shown: dict[int, Goal] = {}

    def place(siblings: list[Goal], depth: int) -> None:
        siblings.sort(key=_sort_key)
        for position, goal in enumerate(siblings, start=1):
            goal.kids = kids[goal.pk]
            goal.level_in_tree = depth
            goal.setsize = len(siblings)
            goal.posinset = position
            goal.health = health_for(goal, org)
            shown[goal.pk] = goal
            place(goal.kids, depth + 1)

    place(roots, level)
    return Forest(roots=roots, nodes=shown)


# --- Alignment ----------------------------------------------------------------


# Services keep the cascade acyclic and a parent in its child's organisation; the bound
# only stops a walk up from looping on a row written around them.
MAX_DEPTH = 100


def _up_from(org_id: int, start: Iterable[int] | QuerySet) -> tuple[str, tuple]:
    """SQL for the ids of the ``start`` goals and every goal above them, and its params.

    ``start`` is ids, or a queryset of goals (or a sliced ``values("pk")`` one) to run
    inside the same query. It walks up the parent links, one primary-key lookup a
    level, so its cost follows the depth of the cascade, not the number of goals in the
    organisation or cycle.
    """
    above = hierarchy.chain(Goal, org_id, start, max_depth=MAX_DEPTH)
    return above.sql, above.params


def _pk_in(sql: str, params: tuple) -> RawSQL:
    """ "The goal's id is one of those ``sql`` selects", as a condition for ``filter()``.

    On PostgreSQL written ``= ANY(ARRAY(sql))``: the ids are found first and the goals
    then read by primary key. As ``IN (sql)`` the planner guessed a hundred ids for a
    recursive walk or a UNION and hash-joined them against every goal of the cycle.
    """
    column = f"{connection.ops.quote_name(Goal._meta.db_table)}.{connection.ops.quote_name('id')}"
    if connection.vendor == "postgresql":
        condition = f"{column} = ANY(ARRAY({sql}))"
    else:
        condition = f"{column} IN ({sql})"
    # Only quoted names and Django-compiled SQL are interpolated; values are params.
    return RawSQL(condition, params, output_field=BooleanField())  # noqa: S611


def goals_above(*, org_id: int, goal_ids: Iterable[int]) -> QuerySet[Goal]:
    """The goals ``goal_ids`` and every goal they contribute to, at any distance (one query)."""
    return Goal.objects.filter(org=org_id).filter(_pk_in(*_up_from(org_id, goal_ids)))


def path_above(goal: Goal, found: dict[int, Goal]) -> list[Goal]:
    """The goals above ``goal`` among ``found``, from the top down to its parent."""
    above = hierarchy.ancestors_in(found, goal.parent_id, limit=MAX_DEPTH + 1)
    return [found[pk] for pk in reversed(above)]


def alignment_path(
    goal: Goal, *, actor: Actor | None = None, related: Iterable[str] = TREE_RELATED
) -> list[Goal]:
    """The goals ``goal`` contributes to, from the organisation objective down to its
    parent (one query, walking up from the goal). With ``actor``, goals they may not see
    are left out."""
    if goal.parent_id is None:
        return []
    above = goals_above(org_id=goal.org_id, goal_ids=[goal.parent_id])
    path = path_above(goal, {g.pk: g for g in above.select_related(*related)})
    if actor is not None:
        path = [g for g in path if actor.can_view(g)]
    return path


# --- The team page ----------------------------------------------------------------

# People a page of a team level, and goals shown a person (the rest via the tree).
TEAM_PAGE_SIZE = 10
GOALS_PER_PERSON = 10
TEAM_FILTERS = {
    "at_risk": "At risk or off track",
    "stale": "Stale (no recent check-in)",
    "no_checkin": "No check-in this week",
}


def week_start(now: datetime | None = None) -> datetime:
    """Monday 00:00 of the current week, in the current time zone."""
    today = timezone.localtime(now).date()
    monday = today - timedelta(days=today.weekday())
    return timezone.make_aware(datetime.combine(monday, datetime.min.time()))


def managed_member(*, manager: Membership, pk: int) -> Membership | None:
    """The member ``pk`` if ``manager`` is above them in the reporting lines, else None:
    one query, walking up the manager links from the member (as deep as the lines go,
    not as wide as the manager's whole subtree)."""
    chain = hierarchy.chain(
        Membership,
        manager.org_id,
        [pk],
        parent_field="manager",
        include_start=False,
        max_depth=MAX_DEPTH,
    )
    # Only the subquery's own SQL is interpolated; values are params.
    above = RawSQL(  # noqa: S611
        f"%s IN ({chain.sql})", (manager.pk, *chain.params), output_field=BooleanField()
    )
    members = Membership.objects.filter(org=manager.org_id, pk=pk).select_related("user")
    return members.filter(above).first()


def team_goal_q(show: str, *, cycle: Cycle, org: Organization) -> Q:
    """The active goals of ``cycle`` the team page lists under ``show`` (a TEAM_FILTERS key)."""
    q = Q(cycle=cycle, status=GoalStatus.APPROVED)
    if show == "at_risk":
        q &= health_q("at_risk_or_off_track", cycle=cycle, cadence=org.checkin_cadence)
    elif show == "stale":
        q &= health_q("stale", cycle=cycle, cadence=org.checkin_cadence)
    elif show == "no_checkin":
        q &= Q(last_checkin_at__isnull=True) | Q(last_checkin_at__lt=week_start())
    return q


def team_people(*, org: Organization, under: Membership, goals: Q, show: str) -> QuerySet:
    """The people who report directly to ``under``, by name, with ``report_count`` (how
    many report directly to them). With a filter (``show``), only those with a goal
    matching it or with reports of their own (whose teams may have some)."""
    reports = (
        Membership.objects.filter(org=org, manager=OuterRef("pk"), is_active=True)
        .order_by()
        .values("manager")
        .annotate(n=Count("pk"))
        .values("n")
    )
    people = (
        Membership.objects.filter(org=org, manager=under, is_active=True)
        .select_related("user", "unit")
        .annotate(report_count=Coalesce(Subquery(reports, output_field=IntegerField()), 0))
    )
    if show:
        matching = Goal.objects.filter(org=org, owner=OuterRef("pk")).filter(goals)
        people = people.filter(Exists(matching) | Q(report_count__gt=0))
    return people.order_by("user__full_name", "user__email", "pk")


def team_goals(*, org: Organization, people: Iterable[int], goals: Q) -> list[Goal]:
    """Up to GOALS_PER_PERSON goals (by title) of each of ``people`` matching ``goals``,
    each with ``owner_total`` (how many matched in all): one query."""
    by_owner = {"partition_by": [F("owner_id")]}
    rank = Window(RowNumber(), order_by=[F("title").asc(), F("pk").asc()], **by_owner)
    return list(
        Goal.objects.filter(org=org, owner__in=list(people))
        .filter(goals)
        .select_related("unit")
        .annotate(rank=rank, owner_total=Window(Count("pk"), **by_owner))
        .filter(rank__lte=GOALS_PER_PERSON)
        .order_by("owner_id", "title", "pk")
    )


@dataclass(frozen=True)
class UnitAlignment:
    unit_id: int | None
    path: str
    goals: int
    aligned: int

    @property
    def percent(self) -> int:
        return round(self.aligned * 100 / self.goals) if self.goals else 0

    @property
    def name(self) -> str:
        """The unit's own name, the last step of its path."""
        return self.path.rsplit("/", 1)[-1]

    @property
    def within(self) -> str:
        """The units above it, such as "Acme / Engineering" ("" at the top)."""
        return self.path.rpartition("/")[0].replace("/", " / ")


@dataclass
class AlignmentReport:
    unaligned: list[Goal]
    lonely_objectives: list[Goal]
    due_after_parent: list[Goal]
    units: list[UnitAlignment]

    @property
    def total_goals(self) -> int:
        return sum(row.goals for row in self.units)

    @property
    def total_aligned(self) -> int:
        return sum(row.aligned for row in self.units)

    @property
    def total_percent(self) -> int:
        total = self.total_goals
        return round(self.total_aligned * 100 / total) if total else 0


def alignment_report(*, actor: Actor, cycle: Cycle) -> AlignmentReport:
    """The four alignment checks over the goals ``actor`` may see in ``cycle``: 5 queries."""
    visible = actor.visible_goals().filter(cycle=cycle)
    related = visible.select_related(*TREE_RELATED)
    # Active goals below the organisation level that contribute to nothing.
    unaligned = related.filter(status=GoalStatus.APPROVED, parent__isnull=True).exclude(
        level=Level.ORGANISATION
    )
    # Objectives without a single counted contribution (the check looks at every goal:
    # a private contribution still counts, and only a yes/no comes out of it).
    contributed = Goal.objects.filter(
        org=cycle.org_id, cycle=cycle, parent__isnull=False, status__in=COUNTED_STATUSES
    ).values("parent_id")
    lonely = (
        related.filter(level=Level.ORGANISATION)
        .exclude(status=GoalStatus.CANCELLED)
        .exclude(pk__in=contributed)
    )
    late = (
        related.filter(parent_id__in=visible.order_by().values("pk"))
        .filter(due_date__gt=F("parent__due_date"))
        .exclude(status=GoalStatus.CANCELLED)
        .select_related("parent")
        .order_by("due_date", "title")
    )
    per_unit = (
        visible.exclude(level=Level.ORGANISATION)
        .exclude(status=GoalStatus.CANCELLED)
        .annotate(unit_key=Coalesce("unit_id", "owner__unit_id"))
        .order_by()
        .values("unit_key")
        .annotate(goals=Count("pk"), aligned=Count("pk", filter=Q(parent__isnull=False)))
    )
    paths = unit_paths(org=actor.member.org_id)
    units = sorted(
        (
            UnitAlignment(
                unit_id=row["unit_key"],
                path=paths.get(row["unit_key"], "No unit"),
                goals=row["goals"],
                aligned=row["aligned"],
            )
            for row in per_unit
        ),
        key=lambda row: (row.unit_id is None, row.path.lower()),
    )
    return AlignmentReport(
        unaligned=sorted(unaligned, key=_sort_key),
        lonely_objectives=list(lonely.order_by("title")),
        due_after_parent=list(late),
        units=units,
    )


def recent_checkins(*, org_id: int, key_results: list[int], limit: int) -> list[CheckIn]:
    """The latest ``limit`` check-ins of each key result, newest first: one query,
    however long the histories are."""
    checkins = latest_checkins(org_id=org_id, key_results=key_results, limit=limit)
    checkins = checkins.select_related("author__user", "kpi")
    return list(checkins.order_by("key_result_id", "-created_at", "-pk"))


def latest_checkins(*, org_id: int, key_results: list[int], limit: int) -> QuerySet[CheckIn]:
    """The latest ``limit`` check-ins of each key result, unordered (one query)."""
    checkins = CheckIn.objects.filter(org=org_id, key_result__in=key_results)
    if connection.vendor == "postgresql":
        # For each key result its latest few from the (org, key result, time) index: a
        # row number over each key result's check-ins read all of them (6,000 buffers
        # for 2,000 check-ins on every check-in).
        table = connection.ops.quote_name(CheckIn._meta.db_table)
        latest = f"""
            SELECT latest.id FROM unnest(%s::bigint[]) AS kr(id) CROSS JOIN LATERAL (
                SELECT c.id FROM {table} c WHERE c.org_id = %s AND c.key_result_id = kr.id
                ORDER BY c.created_at DESC, c.id DESC LIMIT {int(limit):d}
            ) AS latest
        """
        column = f"{table}.{connection.ops.quote_name('id')}"
        # Only quoted names and a constant are interpolated; values are params.
        checkins = checkins.filter(
            RawSQL(  # noqa: S611
                f"{column} = ANY(ARRAY({latest}))",
                (list(key_results), org_id),
                output_field=BooleanField(),
            )
        )
    else:
        by_kr = {"partition_by": [F("key_result_id")]}
        newest = Window(RowNumber(), order_by=[F("created_at").desc(), F("pk").desc()], **by_kr)
        checkins = checkins.annotate(rank=newest).filter(rank__lte=limit)
    return checkins


def organisation_trend(*, org_id: int, today: date):
    """The active cycle's public organisation objectives: their mean progress per day
    from the daily snapshots, and today's live mean, as a chart (three queries)."""
    from goals.charts import progress_chart

    cycle = (
        Cycle.objects.filter(org=org_id, status=Cycle.Status.ACTIVE, start__lte=today)
        .order_by("-start")
        .first()
    )
    if cycle is None:
        return None
    objectives = {
        "level": Level.ORGANISATION,
        "cycle": cycle,
        "visibility": Visibility.PUBLIC,
        "status__in": COUNTED_STATUSES,
    }
    history = [
        (row["day"], row["mean"])
        for row in ProgressSnapshot.objects.filter(
            org=org_id,
            day__gte=cycle.start,
            day__lt=min(today, cycle.end + timedelta(days=1)),
            **{f"goal__{k}": v for k, v in objectives.items()},
        )
        .values("day")
        .annotate(mean=Avg("progress"))
        .order_by("day")
    ]
    live = Goal.objects.filter(org=org_id, **objectives).aggregate(mean=Avg("progress"))["mean"]
    if live is not None and today <= cycle.end:
        history.append((today, live))
    chart = progress_chart(
        history,
        start=cycle.start,
        end=cycle.end,
        dom_id="organisation-trend",
        title=f"Mean progress of the organisation objectives over {cycle.name}",
    )
    return (cycle, chart) if chart else None
