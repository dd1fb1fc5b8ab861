"""Forms for the goal pages: cycles, goals and key results.

Choices are limited to what the actor may use; the rules themselves (dates inside
the cycle, weights, targets, parents) live in goals.services, whose messages the
forms show by the right field.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from core import hierarchy
from goals import services
from goals.access import Actor
from goals.models import Cycle, Goal, GoalStatus, KeyResult, Level, Visibility
from orgs.forms import PersonChoiceField, UnitChoiceField
from orgs.models import Membership, Unit
from orgs.selectors import unit_menu

NOT_A_NUMBER = "Enter a number, such as 12 or 3.5."
NOT_A_DATE = "Enter a date, such as 2027-03-31."
CYCLE_REQUIRED = "Choose a cycle."
CYCLE_NOT_OPEN = "Choose one of the open cycles offered."
LEVEL_NOT_ALLOWED = "You cannot create this kind of goal: choose one of the levels offered."
OWNER_NOT_ALLOWED = "Choose yourself or someone who reports to you."
UNIT_NOT_ALLOWED = "Choose a unit you lead."
KR_TITLE_REQUIRED = "Say what the key result measures."
TARGET_REQUIRED = "Give the target value."
MILESTONES_REQUIRED = services.MILESTONES_REQUIRED

LEVEL_SHORT = {
    Level.ORGANISATION: "organisation objective",
    Level.UNIT: "unit goal",
    Level.INDIVIDUAL: "individual goal",
}


# Checked here too (the services are the authority) so a form shows every mistake at once.
def _positive(value: Decimal) -> None:
    if value <= 0:
        raise ValidationError(services.WEIGHT_POSITIVE)


def _percent(value: Decimal) -> None:
    if not 0 <= value <= 100:
        raise ValidationError(services.MANUAL_RANGE)


def _number(**kwargs) -> forms.DecimalField:
    return forms.DecimalField(error_messages={"invalid": NOT_A_NUMBER}, **kwargs)


def _date(**kwargs) -> forms.DateField:
    return forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": NOT_A_DATE},
        **kwargs,
    )


def open_cycles(org_id: int):
    """Cycles a goal can be written for: planning and active ones, newest first."""
    return Cycle.objects.filter(org=org_id).exclude(status=Cycle.Status.CLOSED)


class CycleChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Cycle) -> str:
        return f"{obj.name} ({obj.get_status_display().lower()})"


class GoalChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Goal) -> str:
        return f"{obj.title} — {obj.owner.display_name}, {LEVEL_SHORT[obj.level]}"


class CycleForm(forms.Form):
    name = forms.CharField(max_length=60, help_text="For example “2027 Q1”.")
    start = _date()
    end = _date()
    status = forms.ChoiceField(choices=Cycle.Status.choices, initial=Cycle.Status.PLANNING)


class GoalForm(forms.Form):
    """A goal's own fields. Creating also sets cycle, level, owner and unit; editing doesn't."""

    title = forms.CharField(
        max_length=200,
        error_messages={"required": services.TITLE_REQUIRED},
        help_text="Say what changes, e.g. “Cut first-reply time on support tickets to 4 hours”.",
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    weight = _number(
        max_digits=8,
        decimal_places=2,
        initial=Decimal(1),
        validators=[_positive],
        help_text="Its share of the parent goal's progress, relative to its siblings.",
    )
    due_date = _date(
        required=False,
        label="Due date",
        help_text="Inside the cycle and not after the parent goal's due date.",
    )
    visibility = forms.ChoiceField(
        choices=Visibility.choices, initial=Visibility.PUBLIC, widget=forms.RadioSelect
    )
    manual_progress = _number(
        decimal_places=2,
        required=False,
        validators=[_percent],
        label="Manual progress (%)",
        help_text="0 to 100. Used only while the goal has no key results and no active "
        "contributing goals.",
    )

    def __init__(
        self,
        data=None,
        *,
        actor: Actor,
        goal: Goal | None = None,
        cycles: list[Cycle] | None = None,
        **kwargs,
    ) -> None:
        super().__init__(data, **kwargs)
        self.actor = actor
        self.goal = goal
        org_id = actor.member.org_id
        if goal is None:
            # A new goal gets key results or contributing goals; manual progress is for
            # later, when it has neither.
            del self.fields["manual_progress"]
            self._add_create_fields(cycles or [])
            parent_cycles = {c.pk for c in cycles or []}
        else:
            parent_cycles = {goal.cycle_id}
        initial_parent = self.initial.get("parent")
        if isinstance(initial_parent, Goal):
            parent_cycles.add(initial_parent.cycle_id)
            self.initial["parent"] = initial_parent.pk
        if goal is None or goal.level != Level.ORGANISATION:
            # Organisation objectives are the top of the cascade: nothing to contribute to.
            self.fields["parent"] = self._parent_field(org_id, parent_cycles)
        self.order_fields(
            ["title", "description", "level", "cycle", "owner", "unit", "parent", "weight"]
        )

    # --- choices ------------------------------------------------------------------

    def _add_create_fields(self, cycles: list[Cycle]) -> None:
        actor = self.actor
        org_id = actor.member.org_id
        self.fields["cycle"] = CycleChoiceField(
            open_cycles(org_id),
            empty_label=None,
            error_messages={"required": CYCLE_REQUIRED, "invalid_choice": CYCLE_NOT_OPEN},
        )
        self.fields["cycle"].choices = [
            (c.pk, self.fields["cycle"].label_from_instance(c)) for c in cycles
        ]
        levels = self.levels_for(actor)
        only = levels[0].value if len(levels) == 1 else None
        # A choice of one is no choice: the level rides along hidden.
        self.fields["level"] = forms.ChoiceField(
            choices=[(level.value, level.label) for level in levels],
            widget=forms.HiddenInput if only else forms.RadioSelect,
            initial=only,
            error_messages={"invalid_choice": LEVEL_NOT_ALLOWED},
        )
        if only:
            self.initial["level"] = only
        people = Membership.objects.filter(org=org_id, is_active=True).select_related(
            "user", "unit"
        )
        if not actor.is_admin:
            people = people.filter(pk__in={actor.member.pk, *actor.subtree})
        people = people.order_by("user__full_name", "user__email")
        owner = PersonChoiceField(
            people,
            required=False,
            empty_label=None,
            label="Owner",
            help_text="Managers may write a goal for someone in their team.",
            error_messages={"invalid_choice": OWNER_NOT_ALLOWED},
        )
        if not actor.is_admin and not actor.subtree:
            # A member writes goals for themselves only: no one-option menu, the owner
            # rides along hidden (and anyone else is still refused).
            owner.help_text = ""
            owner.widget = forms.HiddenInput()
            self.initial["owner"] = actor.member.pk
        self.fields["owner"] = owner
        if actor.is_admin or actor.led_units:
            units = Unit.objects.filter(org=org_id)
            if not actor.is_admin:
                units = units.filter(pk__in=actor.led_units)
            menu = unit_menu(org=actor.member.org)
            unit = UnitChoiceField(
                units,
                paths=dict(menu),
                required=False,
                label="Unit",
                help_text="For unit goals: the unit this goal belongs to.",
                empty_label="—",
                error_messages={"invalid_choice": UNIT_NOT_ALLOWED},
            )
            allowed = actor.led_units if not actor.is_admin else dict(menu).keys()
            unit.choices = [("", "—")] + [(pk, label) for pk, label in menu if pk in allowed]
            self.fields["unit"] = unit

    @staticmethod
    def levels_for(actor: Actor) -> list[Level]:
        """Org objectives for admins, unit goals for unit leads, individual goals for all."""
        if actor.is_admin:
            return [Level.ORGANISATION, Level.UNIT, Level.INDIVIDUAL]
        if actor.led_units:
            return [Level.UNIT, Level.INDIVIDUAL]
        return [Level.INDIVIDUAL]

    def _parent_field(self, org_id: int, cycle_ids: set[int]) -> GoalChoiceField:
        """Goals the actor can see (any cycle, so a wrong one gets the service's message);
        the menu offers those of the form's cycles, grouped by cycle."""
        visible = (
            self.actor.visible_goals()
            .exclude(status=GoalStatus.CANCELLED)
            .select_related("owner__user", "cycle")
        )
        field = GoalChoiceField(
            visible,
            required=False,
            label="Contributes to",
            empty_label="— nothing (organisation objectives only)",
            help_text="The goal this one is aligned to, in the same cycle.",
            error_messages={"invalid_choice": services.PARENT_NOT_FOUND},
        )
        offered = visible.filter(cycle__in=cycle_ids)
        if self.goal is not None:
            loops = hierarchy.subtree(Goal, org_id, [self.goal.pk])
            offered = offered.exclude(pk__in=loops)
        goals = sorted(
            offered, key=lambda g: (-g.cycle.start.toordinal(), Level.rank(g.level), g.title)
        )
        groups: dict[str, list[tuple[int, str]]] = {}
        for g in goals:
            groups.setdefault(g.cycle.name, []).append((g.pk, field.label_from_instance(g)))
        field.choices = [("", field.empty_label), *groups.items()]
        return field

    def clean(self) -> dict:
        data = super().clean()
        if data.get("level") == Level.UNIT and not data.get("unit") and "unit" not in self.errors:
            self.add_error("unit" if "unit" in self.fields else "level", services.UNIT_REQUIRED)
        return data

    # --- what the services take ----------------------------------------------------

    def create_kwargs(self) -> dict:
        data = self.cleaned_data
        owner = data.get("owner") or self.actor.member
        level = data["level"]
        if level == Level.UNIT:
            unit = data.get("unit")
        elif level == Level.INDIVIDUAL:
            unit = owner.unit
        else:
            unit = None
        return {
            "cycle": data["cycle"],
            "level": level,
            "owner": owner,
            "unit": unit,
            **self.update_kwargs(),
        }

    def update_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "description": data["description"],
            "parent": data.get("parent"),
            "weight": data["weight"],
            "visibility": data["visibility"],
            "due_date": data["due_date"],
            "manual_progress": data.get("manual_progress"),
        }


class KeyResultForm(forms.Form):
    """One key result. ``key_result`` given: editing it (kind fixed for milestone lists).

    ``optional``: one of the goal form's inline rows, which may stay empty; nothing is
    marked required and an empty row is skipped.
    """

    title = forms.CharField(max_length=200, error_messages={"required": KR_TITLE_REQUIRED})
    kind = forms.ChoiceField(choices=KeyResult.Kind.choices, initial=KeyResult.Kind.NUMBER)
    direction = forms.ChoiceField(
        choices=KeyResult.Direction.choices, initial=KeyResult.Direction.INCREASE
    )
    start_value = _number(
        max_digits=18, decimal_places=4, initial=Decimal(0), required=False, label="Start"
    )
    target_value = _number(max_digits=18, decimal_places=4, required=False, label="Target")
    unit_label = forms.CharField(
        max_length=20, required=False, label="Unit label", help_text="e.g. teams, €, hours"
    )
    weight = _number(max_digits=8, decimal_places=2, initial=Decimal(1), validators=[_positive])
    milestones = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="For the Milestones kind: one milestone per line.",
    )

    def __init__(
        self,
        *args,
        key_result: KeyResult | None = None,
        optional: bool = False,
        kpi_choices=None,
        **kwargs,
    ) -> None:
        self.key_result = key_result
        self.optional = optional
        if optional:
            kwargs.update(empty_permitted=True, use_required_attribute=False)
        if key_result is not None:
            kwargs.setdefault(
                "initial",
                {
                    "title": key_result.title,
                    "kind": key_result.kind,
                    "direction": key_result.direction,
                    "start_value": key_result.start_value.normalize(),
                    "target_value": key_result.target_value.normalize(),
                    "unit_label": key_result.unit_label,
                    "weight": key_result.weight.normalize(),
                    "kpi": key_result.kpi_id,
                },
            )
        super().__init__(*args, **kwargs)
        milestones = key_result is not None and key_result.kind == KeyResult.Kind.MILESTONES
        if kpi_choices is not None and not milestones:
            # The KPIs the actor sees (kpis.access.visible_kpis), by name, bounded.
            self.fields["kpi"] = forms.TypedChoiceField(
                choices=[("", "None: people check in by hand")]
                + [(str(pk), name) for pk, name in kpi_choices],
                coerce=int,
                empty_value=None,
                required=False,
                label="Follows KPI",
                help_text="The hourly roll-up records the KPI's latest value as a check-in. "
                "For number, percentage and currency key results.",
            )
        if key_result is not None:
            # Milestones are set when the key result is created; kr_update has no list.
            del self.fields["milestones"]
            if key_result.kind == KeyResult.Kind.MILESTONES:
                for name in ("kind", "direction", "start_value", "target_value"):
                    del self.fields[name]
            else:
                self.fields["kind"].choices = [
                    c for c in KeyResult.Kind.choices if c[0] != KeyResult.Kind.MILESTONES
                ]
        if optional:
            for name in ("title", "kind", "direction", "weight"):
                self.fields[name].required = False

    # What makes an inline row filled in; the others carry defaults.
    FILLED_BY = ("title", "target_value", "unit_label", "milestones")

    def has_changed(self) -> bool:
        if not self.optional:
            return super().has_changed()
        return any(
            (self[name].value() or "").strip() for name in self.FILLED_BY if name in self.fields
        )

    def clean_title(self) -> str:
        title = self.cleaned_data["title"]
        if not title.strip():
            raise ValidationError(KR_TITLE_REQUIRED)
        return title

    def clean_kind(self) -> str:
        return self.cleaned_data["kind"] or KeyResult.Kind.NUMBER

    def clean_direction(self) -> str:
        return self.cleaned_data["direction"] or KeyResult.Direction.INCREASE

    def clean_weight(self) -> Decimal:
        weight = self.cleaned_data["weight"]
        return Decimal(1) if weight is None else weight

    def clean(self) -> dict:
        data = super().clean()
        kind = data.get("kind") or (self.key_result.kind if self.key_result else "")
        if "milestones" in self.fields:
            lines = data.get("milestones") or ""
            data["milestones"] = [line.strip() for line in lines.splitlines() if line.strip()]
        if kind == KeyResult.Kind.MILESTONES and "milestones" in self.fields:
            count = len(data["milestones"])
            data["start_value"], data["target_value"] = Decimal(0), Decimal(max(count, 1))
            if not count:
                self.add_error("milestones", MILESTONES_REQUIRED)
        elif kind == KeyResult.Kind.BOOLEAN:
            data["start_value"], data["target_value"] = Decimal(0), Decimal(1)
        elif "start_value" in self.fields:
            if data.get("start_value") is None and "start_value" not in self.errors:
                data["start_value"] = Decimal(0)
            if data.get("target_value") is None and "target_value" not in self.errors:
                self.add_error("target_value", TARGET_REQUIRED)
        if any(name in self.errors for name in ("start_value", "target_value", "weight")):
            return data
        # The service's own rules, checked here so a goal's inline key results show
        # their messages by the right field of the right key result.
        kr = KeyResult(
            title=data.get("title") or "",
            kind=kind,
            direction=data.get("direction") or KeyResult.Direction.INCREASE,
            start_value=data.get("start_value", Decimal(0)),
            target_value=data.get("target_value", Decimal(1)),
            weight=data.get("weight"),
            kpi_id=data.get("kpi"),
        )
        try:
            services.kr_validate(kr)
        except ValidationError as error:
            for field, errors in error.error_dict.items():
                if field not in self.errors:
                    self.add_error(field, errors)
        return data

    def service_kwargs(self) -> dict:
        """Arguments for services.kr_add (or, when editing, services.kr_update)."""
        kwargs = {
            name: self.cleaned_data[name] for name in self.fields if name in self.cleaned_data
        }
        if "kpi" in kwargs:
            from kpis.models import Kpi

            pk = kwargs.pop("kpi")
            kwargs["kpi"] = Kpi(pk=pk) if pk is not None else None
        return kwargs
