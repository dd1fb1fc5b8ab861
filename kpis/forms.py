"""Forms of the KPI pages. They parse; kpis.services checks and writes."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from core.params import to_id
from goals.access import Actor
from goals.forms import open_cycles
from goals.models import Goal
from goals.selectors import default_cycle
from kpis import access, services
from kpis.models import Aggregation, Cadence, Direction, Kpi, KpiVisibility
from orgs.models import Unit

PARENT_CHOICES = 500  # parent KPIs offered (by name)
GOAL_CHOICES = 200  # goals offered (the current cycle's, by title)

THRESHOLD_HELP = (
    "Higher is better: the KPI turns amber below the amber threshold and red below the red "
    "one (red ≤ amber ≤ target). Lower is better: amber above the amber threshold, red above "
    "the red one (target ≤ amber ≤ red). Within a range: the thresholds are how far outside "
    "the range the value may go before it turns amber, then red (0 ≤ amber ≤ red)."
)


class MeasurementForm(forms.Form):
    value = forms.CharField(
        max_length=40,
        label="Value",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    measured_at = forms.DateTimeField(
        label="Measured at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        error_messages={"required": services.WHEN_REQUIRED, "invalid": services.WHEN_REQUIRED},
    )
    note = forms.CharField(max_length=500, required=False, label="Note")

    def clean_value(self):
        try:
            return services.parse_value(self.cleaned_data["value"])
        except ValidationError as exc:
            raise ValidationError(exc.messages[0]) from None

    def clean_measured_at(self):
        try:
            return services.check_measured_at(self.cleaned_data["measured_at"])
        except ValidationError as exc:
            raise ValidationError(exc.messages[0]) from None


class CorrectionForm(forms.Form):
    value = forms.CharField(max_length=40, label="Corrected value")
    note = forms.CharField(max_length=500, required=False, label="Why (optional)")


class CsvUploadForm(forms.Form):
    # The page explains the columns just above the field (upload.html): no help text
    # repeating it under the field.
    file = forms.FileField(label="CSV file")


class CsvConfirmForm(forms.Form):
    csv_text = forms.CharField(widget=forms.HiddenInput, strip=False, max_length=200_000)


class IdChoiceField(forms.ModelChoiceField):
    """A choice by id that refuses what could not be an id before asking the database."""

    def to_python(self, value):
        if value not in self.empty_values and to_id(str(value)) is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class KpiChoiceField(IdChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name


class OwnerChoiceField(IdChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.display_name


class GoalChoiceField(forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        if any(to_id(str(pk)) is None for pk in value):
            raise ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice", params={"value": ""}
            )
        return super()._check_values(value)

    def label_from_instance(self, obj) -> str:
        return f"{obj.title} ({obj.cycle.name})"


class KpiForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    unit_label = forms.CharField(
        max_length=20, required=False, label="Unit label", help_text="For example %, €, ms, count."
    )
    direction = forms.ChoiceField(choices=Direction.choices)
    target = forms.DecimalField(
        max_digits=18,
        decimal_places=4,
        help_text="Within a range: the high end of the range.",
    )
    target_low = forms.DecimalField(
        max_digits=18,
        decimal_places=4,
        required=False,
        label="Low end of the range",
        help_text="Only for “within a range”; leave empty otherwise.",
    )
    amber_threshold = forms.DecimalField(
        max_digits=18, decimal_places=4, label="Amber threshold", help_text=THRESHOLD_HELP
    )
    red_threshold = forms.DecimalField(
        max_digits=18,
        decimal_places=4,
        label="Red threshold",
        help_text="Where it turns red: past the amber threshold, in the same direction.",
    )
    cadence = forms.ChoiceField(choices=Cadence.choices, initial=Cadence.WEEKLY)
    aggregation = forms.ChoiceField(
        choices=Aggregation.choices,
        initial=Aggregation.MEAN,
        help_text="How values within a period combine, and child KPIs into this one.",
    )
    owner = OwnerChoiceField(queryset=None)
    unit = IdChoiceField(queryset=None, required=False, empty_label="—")
    visibility = forms.ChoiceField(choices=KpiVisibility.choices)
    parent = KpiChoiceField(
        queryset=None,
        required=False,
        empty_label="None (it rolls up into nothing)",
        label="Parent KPI",
        help_text="This KPI then counts toward the parent, which is computed from its children.",
    )
    weight = forms.DecimalField(
        max_digits=8,
        decimal_places=2,
        initial=1,
        help_text="Counts in the parent's weighted mean.",
    )
    goals = GoalChoiceField(
        queryset=None,
        required=False,
        label="Goals it informs",
        help_text="Goals you can see in the current cycle.",
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, actor: Actor, kpi: Kpi | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        org_id = actor.member.org_id
        self.fields["owner"].queryset = services.owner_choices(actor)
        self.fields["unit"].queryset = Unit.objects.filter(org=org_id).order_by("name")
        parents = access.visible_kpis(actor)
        if kpi is not None:
            parents = parents.exclude(pk=kpi.pk)
        parent_ids = list(
            parents.order_by("name", "pk").values_list("pk", flat=True)[:PARENT_CHOICES]
        )
        if kpi is not None and kpi.parent_id:
            parent_ids.append(kpi.parent_id)
        self.fields["parent"].queryset = Kpi.objects.filter(org=org_id, pk__in=parent_ids).order_by(
            "name", "pk"
        )
        cycle = default_cycle(list(open_cycles(org_id)))
        goal_ids = []
        if cycle is not None:
            goal_ids = list(
                actor.visible_goals()
                .filter(cycle=cycle)
                .order_by("title", "pk")
                .values_list("pk", flat=True)[:GOAL_CHOICES]
            )
        self.offered_goal_ids = set(goal_ids)
        if kpi is not None:
            goal_ids += list(
                kpi.goals.filter(pk__in=actor.visible_goals()).values_list("pk", flat=True)
            )
        self.fields["goals"].queryset = (
            Goal.objects.filter(org=org_id, pk__in=goal_ids)
            .select_related("cycle")
            .order_by("title", "pk")
        )

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("goals")
        for name in ("description", "unit_label"):
            data[name] = data.get(name) or ""
        return data
