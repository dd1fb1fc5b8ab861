"""REST API for cycles, goals, key results, check-ins, milestones, approval actions,
cascading and the cascade tree.

The same rules as the pages: goals load only through ``goals.access.get_goal``
(another organisation's, a missing or an invisible goal is a 404), ids sent in a
body resolve within the organisation and among the goals the caller can see (else
a 400 on that field, the same for all three), and every write goes through
``goals.services``: their ValidationErrors become 400s with field errors, their
PermissionDenied a 403 with the service's message.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from goals import services
from goals.access import Actor, get_goal, request_actor
from goals.api.serializers import (
    NO_SUCH_KEY_RESULT,
    NO_SUCH_MILESTONE,
    CascadeSerializer,
    CheckInCreateSerializer,
    CheckInSerializer,
    CommentSerializer,
    CycleSerializer,
    ExplanationSerializer,
    GoalCreateSerializer,
    GoalEventSerializer,
    GoalFilterSerializer,
    GoalSerializer,
    GoalUpdateSerializer,
    KeyResultCreateSerializer,
    KeyResultSerializer,
    KeyResultUpdateSerializer,
    MilestoneDoneSerializer,
    TreeFilterSerializer,
    TreeSerializer,
    health_data,
    key_results_of,
)
from goals.health import health_for
from goals.models import (
    CheckIn,
    Cycle,
    Goal,
    GoalEvent,
    GoalStatus,
    KeyResult,
    Level,
    Milestone,
)
from goals.rollup import explain, proposed_progress
from orgs.api import MembersReadAdminsWrite, OrgAPIView


class IsMember(BasePermission):
    """Any active member: what they may do with a goal is the services' decision."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        return getattr(view, "membership", None) is not None


class GoalsAPIView(OrgAPIView):
    """Base view: ``self.actor`` for the request's membership and the services' errors as
    400 and 403 answers."""

    permission_classes = [IsAuthenticated, IsMember]

    @property
    def actor(self) -> Actor:
        return request_actor(self.request._request)

    def parse(self, serializer_class: type[serializers.Serializer], data, **kwargs) -> dict:
        serializer = serializer_class(
            data=data, context={"org": self.org, "actor": self.actor}, **kwargs
        )
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def goal_data(self, pk: int) -> dict:
        """The goal as the API shows it, with its key results and their milestones."""
        goal = get_goal(self.actor, pk)
        goal.prefetched_key_results = list(
            key_results_of(self.org).filter(goal=goal).prefetch_related("milestones")
        )
        if goal.needs_reapproval:
            goal.proposed_progress = proposed_progress(goal)
        return GoalSerializer(goal, context={"org": self.org}).data

    def get_key_result(self, pk: int) -> KeyResult:
        """A key result of a goal the caller can see; otherwise the same 404 as a missing one."""
        kr = key_results_of(self.org).prefetch_related("milestones").filter(pk=pk).first()
        if kr is None:
            raise Http404(NO_SUCH_KEY_RESULT)
        try:
            kr.goal = get_goal(self.actor, kr.goal_id)
        except Http404:
            raise Http404(NO_SUCH_KEY_RESULT) from None
        return kr


class CycleListView(GoalsAPIView):
    """Goal periods such as “2027 Q1”."""

    permission_classes = [IsAuthenticated, MembersReadAdminsWrite]
    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS

    @extend_schema(
        operation_id="cycles_list",
        tags=["cycles"],
        responses=CycleSerializer(many=True),
        description="Newest first.",
    )
    def get(self, request: Request, org_slug: str) -> Response:
        paginator = self.pagination_class()
        cycles = Cycle.objects.filter(org=self.org).order_by("-start", "pk")
        page = paginator.paginate_queryset(cycles, request, view=self)
        return paginator.get_paginated_response(CycleSerializer(page, many=True).data)

    @extend_schema(
        operation_id="cycles_create",
        tags=["cycles"],
        request=CycleSerializer,
        responses={201: CycleSerializer},
        description="Admins only.",
    )
    def post(self, request: Request, org_slug: str) -> Response:
        data = self.parse(CycleSerializer, request.data)
        cycle = services.cycle_save(actor=self.actor, **data)
        return Response(CycleSerializer(cycle).data, status=status.HTTP_201_CREATED)


class CycleDetailView(GoalsAPIView):
    """One goal period."""

    permission_classes = [IsAuthenticated, MembersReadAdminsWrite]

    @extend_schema(operation_id="cycles_retrieve", tags=["cycles"], responses=CycleSerializer)
    def get(self, request: Request, org_slug: str, cycle_pk: int) -> Response:
        cycle = get_object_or_404(Cycle, org=self.org, pk=cycle_pk)
        return Response(CycleSerializer(cycle).data)

    @extend_schema(
        operation_id="cycles_update",
        tags=["cycles"],
        request=CycleSerializer,
        responses=CycleSerializer,
        description="Admins only.",
    )
    def patch(self, request: Request, org_slug: str, cycle_pk: int) -> Response:
        cycle = get_object_or_404(Cycle, org=self.org, pk=cycle_pk)
        data = self.parse(CycleSerializer, request.data, partial=True)
        fields = {"name": cycle.name, "start": cycle.start, "end": cycle.end}
        fields |= {"status": cycle.status, **data}
        services.cycle_save(actor=self.actor, cycle=cycle, **fields)
        return Response(CycleSerializer(cycle).data)


class GoalListView(GoalsAPIView):
    """The goals you can see: public ones, your own and your reports' private ones."""

    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS

    @extend_schema(
        operation_id="goals_list",
        tags=["goals"],
        parameters=[GoalFilterSerializer],
        responses=GoalSerializer(many=True),
        description="By title, with their key results.",
    )
    def get(self, request: Request, org_slug: str) -> Response:
        filters = self.parse(GoalFilterSerializer, request.query_params)
        goals = self.actor.visible_goals()
        for name in ("cycle", "owner", "unit", "status", "level", "parent"):
            if filters.get(name):
                goals = goals.filter(**{name: filters[name]})
        if filters.get("q"):
            goals = goals.filter(title__icontains=filters["q"])
        paginator = self.pagination_class()
        # The page's ids first, from the goals alone (in title order from goal_org_title),
        # then those goals with their owners and cycles. Joined before the LIMIT, the
        # planner, misjudging how many goals of one organisation a join keeps when many
        # share the database, sorted every visible goal.
        ids = goals.order_by("title", "pk").values_list("pk", flat=True)
        page_ids = paginator.paginate_queryset(ids, request, view=self)
        # The cycles in a query of their own: joined, the planner expected one goal for
        # "id IN (…)" and read every goal of the organisation through its cycles.
        found = Goal.objects.filter(org=self.org, pk__in=list(page_ids))
        found = found.select_related("owner__user").prefetch_related(
            "cycle",
            Prefetch(
                "key_results",
                queryset=key_results_of(self.org).prefetch_related("milestones"),
                to_attr="prefetched_key_results",
            ),
        )
        by_id = {goal.pk: goal for goal in found}
        page = [by_id[pk] for pk in page_ids]
        data = GoalSerializer(page, many=True, context={"org": self.org}).data
        return paginator.get_paginated_response(data)

    @extend_schema(
        operation_id="goals_create",
        tags=["goals"],
        request=GoalCreateSerializer,
        responses={201: GoalSerializer},
        description="A draft (or, with approve, an active goal) with its key results. "
        "Members create their own goals, managers also their reports' goals and goals of "
        "units they lead; admins any goal.",
    )
    def post(self, request: Request, org_slug: str) -> Response:
        data = self.parse(GoalCreateSerializer, request.data)
        approve = data.pop("approve")
        key_results = [dict(kr) for kr in data.pop("key_results", [])]
        goal = services.goal_create(
            actor=self.actor,
            key_results=key_results,
            status=GoalStatus.APPROVED if approve else GoalStatus.DRAFT,
            **data,
        )
        return Response(self.goal_data(goal.pk), status=status.HTTP_201_CREATED)


class GoalDetailView(GoalsAPIView):
    """One goal with its key results, progress and health. Cancel a goal rather than delete it."""

    @extend_schema(operation_id="goals_retrieve", tags=["goals"], responses=GoalSerializer)
    def get(self, request: Request, org_slug: str, goal_pk: int) -> Response:
        return Response(self.goal_data(goal_pk))

    @extend_schema(
        operation_id="goals_update",
        tags=["goals"],
        request=GoalUpdateSerializer,
        responses=GoalSerializer,
        description="Changing the parent or weight of an active goal sends it back for "
        "re-approval (needs_reapproval): until approved, the approved ones stay in parent and "
        "weight and count, and the change waits in pending_changes.",
    )
    def patch(self, request: Request, org_slug: str, goal_pk: int) -> Response:
        goal = get_goal(self.actor, goal_pk)
        data = self.parse(GoalUpdateSerializer, request.data, partial=True)
        services.goal_update(actor=self.actor, goal=goal, **data)
        return Response(self.goal_data(goal_pk))


class GoalSubmitView(GoalsAPIView):
    @extend_schema(
        operation_id="goals_submit",
        tags=["goal approval"],
        request=None,
        responses=GoalSerializer,
        description="Send a draft (or a goal with changes requested) for approval.",
    )
    def post(self, request: Request, org_slug: str, goal_pk: int) -> Response:
        services.goal_submit(actor=self.actor, goal=get_goal(self.actor, goal_pk))
        return Response(self.goal_data(goal_pk))


class GoalApproveView(GoalsAPIView):
    @extend_schema(
        operation_id="goals_approve",
        tags=["goal approval"],
        request=None,
        responses=GoalSerializer,
        description="The owner's manager approves individual goals, the lead of a unit above "
        "approves unit goals, admins any goal; nobody approves their own. Also approves the "
        "changes of a goal that needs re-approval.",
    )
    def post(self, request: Request, org_slug: str, goal_pk: int) -> Response:
        services.goal_approve(actor=self.actor, goal=get_goal(self.actor, goal_pk))
        return Response(self.goal_data(goal_pk))


class GoalRequestChangesView(GoalsAPIView):
    @extend_schema(
        operation_id="goals_request_changes",
        tags=["goal approval"],
        request=CommentSerializer,
        responses=GoalSerializer,
        description="Send a submitted goal back to its owner; the comment is required.",
    )
    def post(self, request: Request, org_slug: str, goal_pk: int) -> Response:
        goal = get_goal(self.actor, goal_pk)
        data = self.parse(CommentSerializer, request.data)
        services.goal_request_changes(actor=self.actor, goal=goal, comment=data["comment"])
        return Response(self.goal_data(goal_pk))


class GoalCompleteView(GoalsAPIView):
    @extend_schema(
        operation_id="goals_complete",
        tags=["goal approval"],
        request=None,
        responses=GoalSerializer,
        description="Mark an active goal completed.",
    )
    def post(self, request: Request, org_slug: str, goal_pk: int) -> Response:
        services.goal_complete(actor=self.actor, goal=get_goal(self.actor, goal_pk))
        return Response(self.goal_data(goal_pk))


class GoalCancelView(GoalsAPIView):
    @extend_schema(
        operation_id="goals_cancel",
        tags=["goal approval"],
        request=CommentSerializer,
        responses=GoalSerializer,
        description="Cancel a goal that is not completed; it stops counting toward its parent.",
    )
    def post(self, request: Request, org_slug: str, goal_pk: int) -> Response:
        goal = get_goal(self.actor, goal_pk)
        data = self.parse(CommentSerializer, request.data)
        services.goal_cancel(actor=self.actor, goal=goal, comment=data["comment"])
        return Response(self.goal_data(goal_pk))


class GoalExplainView(GoalsAPIView):
    @extend_schema(
        operation_id="goals_explain",
        tags=["goals"],
        responses=ExplanationSerializer,
        description="Why the goal is at its progress: the key results and counted child "
        "goals behind it with their weights and values.",
    )
    def get(self, request: Request, org_slug: str, goal_pk: int) -> Response:
        goal = get_goal(self.actor, goal_pk)
        contributions, value = explain(goal)
        total = sum(c.weight for c in contributions)
        data = {
            "goal": goal.pk,
            "value": value,
            "percent": round(value * 100),
            "progress": goal.progress,
            "manual_progress": goal.manual_progress,
            "uses_manual_progress": total <= 0,
            "contributions": [
                {
                    "kind": c.kind,
                    "id": c.pk,
                    "title": c.title,
                    "weight": c.weight,
                    "progress": c.progress,
                    "percent": round(c.progress * 100),
                    "contribution": c.share / total if total > 0 else 0.0,
                }
                for c in contributions
            ],
        }
        return Response(ExplanationSerializer(data).data)


class GoalEventListView(GoalsAPIView):
    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS

    @extend_schema(
        operation_id="goals_events",
        tags=["goals"],
        responses=GoalEventSerializer(many=True),
        description="The goal's activity timeline, newest first: who changed what, when, "
        "with the values before and after.",
    )
    def get(self, request: Request, org_slug: str, goal_pk: int) -> Response:
        goal = get_goal(self.actor, goal_pk)
        events = GoalEvent.objects.filter(org=self.org, goal=goal).select_related("actor__user")
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(events.order_by("-created_at", "-pk"), request, self)
        return paginator.get_paginated_response(GoalEventSerializer(page, many=True).data)


class KeyResultListView(GoalsAPIView):
    @extend_schema(
        operation_id="key_results_create",
        tags=["key results"],
        request=KeyResultCreateSerializer,
        responses={201: KeyResultSerializer},
        description="Add a key result to a goal you may edit. On an active goal it sends the "
        "goal back for re-approval.",
    )
    def post(self, request: Request, org_slug: str) -> Response:
        data = self.parse(KeyResultCreateSerializer, request.data)
        kr = services.kr_add(actor=self.actor, **data)
        return Response(KeyResultSerializer(kr).data, status=status.HTTP_201_CREATED)


class KeyResultDetailView(GoalsAPIView):
    @extend_schema(
        operation_id="key_results_retrieve", tags=["key results"], responses=KeyResultSerializer
    )
    def get(self, request: Request, org_slug: str, kr_pk: int) -> Response:
        return Response(KeyResultSerializer(self.get_key_result(kr_pk)).data)

    @extend_schema(
        operation_id="key_results_update",
        tags=["key results"],
        request=KeyResultUpdateSerializer,
        responses=KeyResultSerializer,
        description="Change what the key result measures; record a check-in to change its "
        "current value. Changed targets, kinds, directions or weights of an active goal wait "
        "for re-approval (the goal's pending_changes): the answer shows the approved values, "
        "which count until then.",
    )
    def patch(self, request: Request, org_slug: str, kr_pk: int) -> Response:
        kr = self.get_key_result(kr_pk)
        data = self.parse(KeyResultUpdateSerializer, request.data, partial=True)
        kr = services.kr_update(actor=self.actor, key_result=kr, **data)
        return Response(KeyResultSerializer(kr).data)

    @extend_schema(
        operation_id="key_results_destroy",
        tags=["key results"],
        responses={204: None},
        description="Remove a key result from a goal you may edit.",
    )
    def delete(self, request: Request, org_slug: str, kr_pk: int) -> Response:
        services.kr_delete(actor=self.actor, key_result=self.get_key_result(kr_pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class CheckInListView(GoalsAPIView):
    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS

    @extend_schema(
        operation_id="check_ins_list",
        tags=["check-ins"],
        responses=CheckInSerializer(many=True),
        description="The key result's check-ins, newest first.",
    )
    def get(self, request: Request, org_slug: str, kr_pk: int) -> Response:
        kr = self.get_key_result(kr_pk)
        checkins = (
            CheckIn.objects.filter(org=self.org, key_result=kr)
            .select_related("author__user")
            .order_by("-created_at", "-pk")
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(checkins, request, view=self)
        return paginator.get_paginated_response(CheckInSerializer(page, many=True).data)

    @extend_schema(
        operation_id="check_ins_create",
        tags=["check-ins"],
        request=CheckInCreateSerializer,
        responses={201: CheckInSerializer},
        description="A new value for a key result of an active goal: the key result, its goal "
        "and every goal above it update together. Members check in on goals they own, "
        "managers also on their reports' goals.",
    )
    def post(self, request: Request, org_slug: str, kr_pk: int) -> Response:
        kr = self.get_key_result(kr_pk)
        data = self.parse(CheckInCreateSerializer, request.data)
        checkin = services.checkin_create(actor=self.actor, key_result=kr, **data)
        return Response(CheckInSerializer(checkin).data, status=status.HTTP_201_CREATED)


class MilestoneView(GoalsAPIView):
    @extend_schema(
        operation_id="milestones_update",
        tags=["check-ins"],
        request=MilestoneDoneSerializer,
        responses=KeyResultSerializer,
        description="Tick or reopen a milestone of a key result of an active goal: the key "
        "result, its goal and every goal above it update together. Answers with the key "
        "result and all its milestones. Members tick milestones on goals they own, managers "
        "also on their reports' goals.",
    )
    def post(self, request: Request, org_slug: str, milestone_pk: int) -> Response:
        # Loaded through its goal; another organisation's, a missing and an invisible
        # milestone get the same 404. No prefetched milestones: the service counts them
        # after saving this one.
        milestone = (
            Milestone.objects.filter(org=self.org, pk=milestone_pk)
            .select_related("key_result")
            .first()
        )
        if milestone is None:
            raise Http404(NO_SUCH_MILESTONE)
        try:
            milestone.key_result.goal = get_goal(self.actor, milestone.key_result.goal_id)
        except Http404:
            raise Http404(NO_SUCH_MILESTONE) from None
        data = self.parse(MilestoneDoneSerializer, request.data)
        services.milestone_set_done(actor=self.actor, milestone=milestone, done=data["done"])
        return Response(KeyResultSerializer(self.get_key_result(milestone.key_result_id)).data)


class GoalCascadeView(GoalsAPIView):
    @extend_schema(
        operation_id="goals_cascade",
        tags=["goals"],
        request=CascadeSerializer,
        responses={201: GoalSerializer(many=True)},
        description="Create goals contributing to this active goal: a unit goal for each unit "
        "and an individual goal for each person, titled as you say, with its visibility and "
        "due date, as drafts "
        "for their owners to complete and submit (with approve, your direct reports' goals "
        "are active at once). Managers cascade to units they lead and people in their "
        "subtree, admins anywhere.",
    )
    def post(self, request: Request, org_slug: str, goal_pk: int) -> Response:
        source = get_goal(self.actor, goal_pk)
        if not self.actor.can_cascade(source):
            raise DjangoPermissionDenied(services.NOT_ALLOWED)
        data = self.parse(CascadeSerializer, request.data)
        created = services.goal_cascade(actor=self.actor, source=source, **data)
        order = {goal.pk: index for index, goal in enumerate(created)}
        goals = (
            Goal.objects.filter(org=self.org, pk__in=list(order))
            .select_related("owner__user", "cycle")
            .prefetch_related(
                Prefetch(
                    "key_results",
                    queryset=key_results_of(self.org).prefetch_related("milestones"),
                    to_attr="prefetched_key_results",
                )
            )
        )
        goals = sorted(goals, key=lambda goal: order[goal.pk])
        data = GoalSerializer(goals, many=True, context={"org": self.org}).data
        return Response(data, status=status.HTTP_201_CREATED)


class GoalTreeView(GoalsAPIView):
    @extend_schema(
        operation_id="goals_tree",
        tags=["goals"],
        parameters=[TreeFilterSerializer],
        responses=TreeSerializer,
        description="The cycle's cascade: the goals you can see, nested under the goal each "
        "contributes to.",
    )
    def get(self, request: Request, org_slug: str) -> Response:
        cycle = self.parse(TreeFilterSerializer, request.query_params)["cycle"]
        # One query for the whole tree, whatever its size; nesting happens here.
        goals = list(
            self.actor.visible_goals()
            .filter(cycle=cycle)
            .select_related("owner__user", "unit", "cycle")
            .order_by("title", "pk")
        )
        nodes = {goal.pk: self._node(goal) for goal in goals}
        roots = []
        for goal in goals:
            parent = nodes.get(goal.parent_id)
            (parent["children"] if parent else roots).append(nodes[goal.pk])
        roots.sort(key=lambda node: Level.rank(node["level"]))
        data = {"cycle": CycleSerializer(cycle).data, "count": len(goals), "goals": roots}
        return Response(data)

    def _node(self, goal: Goal) -> dict:
        return {
            "id": goal.pk,
            "title": goal.title,
            "level": goal.level,
            "status": goal.status,
            "status_label": goal.get_status_display(),
            "owner": {"id": goal.owner_id, "name": goal.owner.display_name},
            "unit": {"id": goal.unit_id, "name": goal.unit.name} if goal.unit else None,
            "progress": goal.progress,
            "percent": goal.percent,
            "health": health_data(health_for(goal, self.org)),
            "needs_reapproval": goal.needs_reapproval,
            "children": [],
        }
