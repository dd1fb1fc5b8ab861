"""The cascade tree of a cycle, its lazily loaded branches, and the alignment report.

Without JavaScript the tree is plain links: which goals are open travels in the
query string (``open``: goals shown open, with all their ancestors; ``expand``:
goals shown with everything below them; ``closed``: goals shut inside an
expanded branch). With htmx the same links fetch one node's children instead.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from core import hierarchy
from core.htmx import page_or_partial
from core.params import id_param, id_params, text_param
from goals import selectors
from goals.access import get_goal, request_actor
from goals.models import Cycle, Goal
from orgs.models import Membership, Organization
from orgs.selectors import unit_paths

# Enough for any tree a person opens by hand; keeps URLs and queries bounded.
MAX_STATE_IDS = 200
MAX_LEVEL = 100
SEARCH_MAX = 200


def _ids(request: HttpRequest, name: str) -> frozenset[int]:
    return id_params(request, name, limit=MAX_STATE_IDS)


def _cycle(request: HttpRequest, org: Organization) -> tuple[list[Cycle], Cycle | None]:
    """The organisation's cycles and the one asked for (404 if unknown), else the default."""
    cycles = selectors.cycles_of(org=org)
    raw = request.GET.get("cycle", "")
    if not raw:
        return cycles, selectors.default_cycle(cycles)
    chosen = next((c for c in cycles if str(c.pk) == raw), None)
    if chosen is None:
        raise Http404("No such cycle")
    return cycles, chosen


@dataclass(frozen=True)
class TreeState:
    """Which goals a no-JavaScript tree shows open, as carried by its links."""

    base: str
    cycle: int
    open: frozenset[int] = frozenset()
    expand: frozenset[int] = frozenset()
    closed: frozenset[int] = frozenset()

    def url(self, anchor: int | None = None) -> str:
        query = [("cycle", self.cycle)]
        query += [("open", pk) for pk in sorted(self.open)]
        query += [("expand", pk) for pk in sorted(self.expand)]
        query += [("closed", pk) for pk in sorted(self.closed)]
        return f"{self.base}?{urlencode(query)}" + (f"#node-{anchor}" if anchor else "")


def _ancestors(goal: Goal, nodes: dict[int, Goal]) -> list[int]:
    return hierarchy.ancestors_in(nodes, goal.parent_id, limit=len(nodes) + 1)


def _decorate(
    forest: selectors.Forest, state: TreeState | None, *, expanded_above: bool = False
) -> int:
    """Decide which nodes show open and give each its links; returns how many are shown.

    ``state`` None means a filtered tree: every goal with shown children is open.
    ``expanded_above``: the roots sit in a branch expanded as a whole.
    """
    nodes = forest.nodes
    above = {pk: set(_ancestors(nodes[pk], nodes)) for pk in nodes}
    opened: set[int] = set()
    if state is not None:
        for pk in state.open & nodes.keys():
            opened |= {pk, *above[pk]}

    def under(ids: frozenset[int], pk: int) -> frozenset[int]:
        return frozenset(i for i in ids if i in nodes and pk in above[i])

    count = 0

    def visit(goal: Goal, by_expand: bool) -> None:
        nonlocal count
        count += 1
        if state is None:
            goal.expandable = goal.expanded = bool(goal.kids)
        else:
            inherited = by_expand
            by_expand = (by_expand or goal.pk in state.expand) and goal.pk not in state.closed
            goal.expandable = goal.child_count > 0
            goal.expanded = goal.expandable and (goal.pk in opened or by_expand)
            below = under(state.open | state.expand | state.closed, goal.pk)
            goal.open_url = replace(
                state, open=state.open | {goal.pk}, closed=state.closed - {goal.pk}
            ).url(goal.pk)
            goal.close_url = replace(
                state,
                open=state.open - below - {goal.pk},
                expand=state.expand - below - {goal.pk},
                closed=(state.closed - below) | ({goal.pk} if inherited else set()),
            ).url(goal.pk)
            goal.expand_all_url = replace(
                state,
                expand=state.expand - below | {goal.pk},
                closed=state.closed - below - {goal.pk},
            ).url(goal.pk)
        if goal.expanded:
            for kid in goal.kids:
                visit(kid, by_expand)

    for root in forest.roots:
        visit(root, expanded_above)
    return count


def _owner(request: HttpRequest, org: Organization) -> Membership | None:
    """The person an ``owner=<membership id>`` link filters on; unknown ids are ignored."""
    pk = id_param(request, "owner")
    return selectors.owner_named(org=org, pk=pk) if pk else None


def _filters(
    request: HttpRequest, paths: dict[int, str], owner: Membership | None
) -> selectors.TreeFilters:
    """The tree's filters from the query string; unknown units, owners or statuses are ignored."""
    unit = id_param(request, "unit")
    status = request.GET.get("status", "")
    return selectors.TreeFilters(
        unit=unit if unit in paths else None,
        owner=owner.pk if owner else None,
        owner_q=" ".join(text_param(request, "owner_q", max_length=SEARCH_MAX).split()),
        status=status if status in selectors.STATUS_FILTERS else "",
        at_risk=request.GET.get("at_risk") == "1",
        search=text_param(request, "q", max_length=SEARCH_MAX),
    )


@require_GET
def goal_tree(request: HttpRequest, org_slug: str) -> HttpResponse:
    org = request.org
    actor = request_actor(request)
    cycles, cycle = _cycle(request, org)
    paths = unit_paths(org=org)
    owner = _owner(request, org)
    filters = _filters(request, paths, owner)
    context = {
        "cycles": cycles,
        "cycle": cycle,
        "filters": filters,
        "unit_choices": sorted(paths.items(), key=lambda item: item[1].lower()),
        "owner": owner,
        "status_choices": selectors.STATUS_FILTERS.items(),
        "roots": [],
        "shown": 0,
        "match_limit": selectors.MATCH_LIMIT,
    }
    if cycle is not None:
        if filters.active:
            rows, context["more"] = selectors.tree_matches(
                actor=actor, org=org, cycle=cycle, filters=filters
            )
            state = None
        else:
            state = TreeState(
                base=reverse("goals:goal_tree", args=[org.slug]),
                cycle=cycle.pk,
                open=_ids(request, "open"),
                expand=_ids(request, "expand"),
                closed=_ids(request, "closed"),
            )
            rows = selectors.tree_goals(
                actor=actor, cycle=cycle, open_ids=state.open, expand_ids=state.expand
            )
        forest = selectors.assemble(rows, org=org, matches_only=filters.active)
        context["shown"] = _decorate(forest, state)
        context["roots"] = forest.roots
        context["matches"] = sum(1 for g in rows if getattr(g, "is_match", False))
    template = page_or_partial(request, "goals/tree.html", "tree-region")
    # The count goes into the live region outside the swapped tree, so it is announced.
    context["oob_summary"] = template.endswith("#tree-region")
    return render(request, template, context)


@require_GET
def goal_tree_children(request: HttpRequest, org_slug: str, goal_pk: int) -> HttpResponse:
    """The <li> items under one goal (``?expand=all``: its whole visible subtree, open)."""
    org = request.org
    actor = request_actor(request)
    goal = get_goal(actor, goal_pk)
    expand_all = request.GET.get("expand") == "all"
    level = min(id_param(request, "level") or 1, MAX_LEVEL)
    rows = selectors.tree_children(actor=actor, goal=goal, expand_all=expand_all)
    forest = selectors.assemble(
        rows, org=org, roots_are="children", root_parent=goal.pk, level=level + 1
    )
    state = TreeState(
        base=reverse("goals:goal_tree", args=[org.slug]),
        cycle=goal.cycle_id,
        open=frozenset({goal.pk}),
        expand=frozenset({goal.pk}) if expand_all else frozenset(),
    )
    _decorate(forest, state, expanded_above=expand_all)
    return render(request, "goals/tree.html#children", {"nodes": forest.roots})


@require_GET
def alignment_report(request: HttpRequest, org_slug: str) -> HttpResponse:
    """Everyone may read it; it covers only the goals they may see."""
    org = request.org
    actor = request_actor(request)
    cycles, cycle = _cycle(request, org)
    report = selectors.alignment_report(actor=actor, cycle=cycle) if cycle else None
    context = {"cycles": cycles, "cycle": cycle, "report": report}
    return render(request, "goals/alignment.html", context)
