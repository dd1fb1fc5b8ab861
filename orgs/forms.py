"""Forms for the organisation pages. Choices are always limited to the request's org."""

from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.forms import PasswordResetForm as DjangoPasswordResetForm
from django.core.validators import MaxLengthValidator
from django.urls import reverse

from orgs.models import TIMEZONE_CHOICES, CheckinCadence, Membership, Organization, Role, Unit
from orgs.selectors import unit_menu, unit_subtree


class UnitChoiceField(forms.ModelChoiceField):
    def __init__(self, *args, paths: dict[int, str] | None = None, **kwargs):
        self.paths = paths or {}
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Unit) -> str:
        return self.paths.get(obj.pk, obj.name)


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        label = obj.user.full_name or obj.user.email
        return f"{label} ({obj.user.email})" if obj.user.full_name else label


def _unit_field(org: Organization, *, label: str, required: bool = False, empty: str = "—"):
    menu = unit_menu(org=org)  # in tree order, each name indented by its depth
    qs = Unit.objects.filter(org=org)
    field = UnitChoiceField(qs, paths=dict(menu), required=required, label=label, empty_label=empty)
    field.choices = [("", empty), *menu]
    return field


MANAGER_MENU_LIMIT = 200
NOT_IN_ORG = "Choose someone in this organisation."


class PersonEmailField(forms.EmailField):
    """An active person of ``org`` chosen by email: the picker for large organisations."""

    def __init__(self, *, org: Organization, **kwargs):
        self.org = org
        super().__init__(**kwargs)

    def _people(self):
        return Membership.objects.filter(org=self.org, is_active=True)

    def prepare_value(self, value):
        if isinstance(value, int):  # an initial manager, as its pk
            return self._people().filter(pk=value).values_list("user__email", flat=True).first()
        return value

    def clean(self, value):
        email = super().clean(value)
        if not email:
            return None
        person = self._people().filter(user__email__iexact=email).select_related("user").first()
        if person is None:
            raise forms.ValidationError(NOT_IN_ORG)
        return person


def _manager_field(org: Organization):
    """A menu of everyone for small organisations, an email with suggestions beyond 200."""
    if Membership.objects.filter(org=org, is_active=True).count() <= MANAGER_MENU_LIMIT:
        return _person_field(org, label="Reports to")
    search = reverse("orgs:people_search", args=[org.slug])
    attrs = {
        "list": "manager-options",
        "autocomplete": "off",
        "hx-get": search,
        "hx-trigger": "input changed delay:300ms",
        "hx-target": "#manager-options",
    }
    return PersonEmailField(
        org=org,
        required=False,
        label="Reports to",
        help_text="Type a name or email and choose from the suggestions.",
        widget=forms.EmailInput(attrs=attrs),
    )


def _person_field(
    org: Organization, *, label: str, required: bool = False, roles: tuple[str, ...] = ()
):
    qs = Membership.objects.filter(org=org, is_active=True)
    if roles:
        qs = qs.filter(role__in=roles)
    qs = qs.select_related("user").order_by("user__full_name", "user__email")
    return PersonChoiceField(qs, required=required, label=label, empty_label="—")


class UnitForm(forms.Form):
    name = forms.CharField(max_length=120)

    def __init__(self, *args, org: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"] = _unit_field(org, label="Part of", empty="— (top level)")
        # Leads are managers or admins: this keeps the menu short in large organisations.
        self.fields["lead"] = _person_field(org, label="Lead", roles=(Role.MANAGER, Role.ADMIN))


class UnitRenameForm(forms.Form):
    name = forms.CharField(max_length=120)


class UnitDeleteForm(forms.Form):
    def __init__(
        self,
        *args,
        org: Organization,
        unit: Unit,
        with_people: bool = True,
        with_goals: bool = False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        excluded = set(unit_subtree(unit).values_list("pk", flat=True))

        def destination(label: str, empty: str) -> UnitChoiceField:
            field = _unit_field(org, label=label, empty=empty)
            field.choices = [c for c in field.choices if c[0] not in excluded]
            field.queryset = field.queryset.exclude(pk__in=excluded)
            return field

        if with_people:
            self.fields["move_people_to"] = destination("Move its people to", "— choose a unit")
        if with_goals:
            parent = unit.parent
            empty = f"— its parent unit, “{parent.name}”" if parent else "— choose a unit"
            self.fields["move_goals_to"] = destination("Move its goals to", empty)


class MembershipForm(forms.Form):
    full_name = forms.CharField(max_length=200, required=False, label="Full name")
    title = forms.CharField(max_length=120, required=False)
    role = forms.ChoiceField(choices=Role.choices)

    def __init__(self, *args, org: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"] = _unit_field(org, label="Unit")
        self.fields["manager"] = _manager_field(org)


class InviteForm(forms.Form):
    email = forms.EmailField()
    full_name = forms.CharField(max_length=200, required=False, label="Full name")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)

    def __init__(self, *args, org: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"] = _unit_field(org, label="Unit")
        self.fields["manager"] = _manager_field(org)


REMINDER_HOUR_RANGE = "Enter an hour from 0 to 23."
CYCLE_DAYS_RANGE = "Enter a number of days from 1 to 60."


class OrgSettingsForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["name", "timezone", "checkin_cadence", "reminder_hour", "cycle_reminder_days"]
        labels = {"checkin_cadence": "Check-in cadence"}
        widgets = {"checkin_cadence": forms.RadioSelect}

    timezone = forms.ChoiceField(choices=TIMEZONE_CHOICES, label="Time zone")
    checkin_cadence = forms.ChoiceField(
        choices=CheckinCadence.choices, widget=forms.RadioSelect, label="Check-in cadence"
    )
    reminder_hour = forms.IntegerField(
        min_value=0,
        max_value=23,
        label="Reminder hour",
        help_text="Review reminders go out from this hour (0–23) in the organisation's time zone.",
        error_messages={
            "min_value": REMINDER_HOUR_RANGE,
            "max_value": REMINDER_HOUR_RANGE,
            "invalid": REMINDER_HOUR_RANGE,
        },
    )
    cycle_reminder_days = forms.IntegerField(
        min_value=1,
        max_value=60,
        label="Cycle reminder (days before the end)",
        help_text="Owners are reminded to make final check-ins this many days before a cycle ends.",
        error_messages={
            "min_value": CYCLE_DAYS_RANGE,
            "max_value": CYCLE_DAYS_RANGE,
            "invalid": CYCLE_DAYS_RANGE,
        },
    )


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, label="Token name", help_text="e.g. “KPI sync script”")


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(max_length=200, label="Full name")
    password1 = forms.CharField(label="Password", widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label="Password again", widget=forms.PasswordInput, strip=False)

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords differ.")
        elif p1:
            from orgs.models import User

            try:
                password_validation.validate_password(
                    p1, User(email=self.email, full_name=data.get("full_name", ""))
                )
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class CsvImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Columns: email, full_name, unit (a path such as Engineering/Platform, "
        "with or without the top unit’s name first), manager_email, "
        "role (admin, manager or member).",
    )


class PasswordResetForm(DjangoPasswordResetForm):
    """Also emails accounts that have no password yet (made by a CSV import).

    Django skips them, which left imported people with no way in; the emailed link
    proves the address, as it does for everyone else.
    """

    def get_users(self, email: str):
        from orgs.models import User

        return User.objects.filter(email__iexact=email.strip(), is_active=True)


class LoginForm(AuthenticationForm):
    """Django's log-in form with the email's length enforced: Django sets the field's
    max_length without its validator, and django-axes stores a failed attempt's email in
    a 255-character column (a longer one was a server error on PostgreSQL)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))
