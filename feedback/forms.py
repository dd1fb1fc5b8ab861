"""The feedback forms: they parse what was typed; feedback.services decides and explains.

People are chosen by email (suggestions from the organisation's people search); an
address nobody in the organisation has is the service's "choose a colleague" message.
"""

from __future__ import annotations

import re

from django import forms
from django.urls import reverse

from core.params import ID_MAX
from feedback import services
from feedback.models import MAX_BODY, FeedbackVisibility
from goals.models import Goal
from orgs.models import Membership, Organization

NO_GOAL = "No particular goal"
SPLIT = re.compile(r"[\s,;]+")


def person_by_email(org: Organization | int, email: str) -> Membership | None:
    """The membership of ``org`` with this email (active or not), else None."""
    email = (email or "").replace("\x00", "").strip()[:254]
    if not email:
        return None
    return (
        Membership.objects.filter(org=org, user__email__iexact=email).select_related("user").first()
    )


def _picker(org: Organization, name: str, **extra) -> dict:
    return {
        "list": f"{name}-options",
        "autocomplete": "off",
        "hx-get": reverse("feedback:people_options", args=[org.slug]),
        "hx-trigger": "input changed delay:300ms",
        "hx-target": f"#{name}-options",
        **extra,
    }


def _goal_menu(org: Organization, whose: str) -> dict:
    """htmx reloads the goal menu when the person changes (without JavaScript, the form's
    "Show their goals" button does)."""
    return {
        "hx-get": reverse("feedback:goal_options", args=[org.slug]),
        "hx-trigger": f"change from:#id_{whose}",
        "hx-include": f"#id_{whose}",
        "hx-target": "this",
        "hx-swap": "outerHTML",
    }


def goal_choices(goals: list[Goal]) -> list[tuple[str, str]]:
    return [("", NO_GOAL)] + [(str(g.pk), f"{g.title} ({g.cycle.name})") for g in goals]


class GiveForm(forms.Form):
    recipient = forms.CharField(
        label="To",
        max_length=254,
        required=False,
        help_text="Type a colleague's name or email and choose from the suggestions.",
    )
    goal = forms.TypedChoiceField(
        label="About one of their goals",
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": services.GOAL_NOT_THEIRS},
    )
    checkin = forms.IntegerField(
        required=False, widget=forms.HiddenInput, min_value=1, max_value=ID_MAX
    )
    body = forms.CharField(
        label="Your feedback",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": MAX_BODY}),
    )
    visibility = forms.ChoiceField(
        label="Who may read it",
        choices=FeedbackVisibility.choices,
        initial=FeedbackVisibility.MANAGERS,
        widget=forms.RadioSelect,
        required=False,
        error_messages={"invalid_choice": services.VISIBILITY_UNKNOWN},
    )

    def __init__(self, *args, org: Organization, goals: list[Goal], **kwargs):
        super().__init__(*args, **kwargs)
        self.org = org
        self.fields["recipient"].widget = forms.EmailInput(attrs=_picker(org, "recipient"))
        self.fields["goal"].choices = goal_choices(goals)
        self.fields["goal"].widget.attrs.update(_goal_menu(org, "recipient"))

    def clean_recipient(self) -> Membership | None:
        return person_by_email(self.org, self.cleaned_data.get("recipient", ""))

    def clean_visibility(self) -> str:
        return self.cleaned_data.get("visibility") or FeedbackVisibility.MANAGERS


class RequestForm(forms.Form):
    asked = forms.CharField(
        label="Colleagues to ask",
        max_length=20 * 260,
        required=False,
        help_text="Type a name or email and choose from the suggestions; separate "
        f"several with commas (at most {services.MAX_ASKED}).",
    )
    about = forms.TypedChoiceField(
        label="Feedback about",
        coerce=int,
        required=False,
        error_messages={"invalid_choice": services.NOT_YOURS_TO_ASK},
    )
    goal = forms.TypedChoiceField(
        label="About one goal",
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": services.GOAL_NOT_THEIRS},
    )
    prompt = forms.CharField(
        label="What would you like to hear about?",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 1000}),
    )
    due_date = forms.DateField(
        label="Answer by", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, org: Organization, me: Membership, reports, goals, **kwargs):
        super().__init__(*args, **kwargs)
        self.org = org
        self.fields["asked"].widget = forms.TextInput(attrs=_picker(org, "asked"))
        self.fields["about"].choices = [(me.pk, "Yourself")] + [
            (p.pk, p.display_name) for p in reports
        ]
        self.fields["goal"].choices = goal_choices(goals)
        self.fields["goal"].widget.attrs.update(_goal_menu(org, "about"))

    def clean_asked(self) -> list[Membership | None]:
        emails = [e for e in SPLIT.split(self.cleaned_data.get("asked", "")) if e]
        if len(emails) > services.MAX_ASKED:
            raise forms.ValidationError(services.ASK_TOO_MANY)
        found = {
            m.user.email.lower(): m
            for m in Membership.objects.filter(
                org=self.org, user__email__in=[e.lower() for e in emails] + emails
            ).select_related("user")
        }
        # An address nobody here has stays in the list as None: the service says why.
        return [found.get(e.lower()) for e in emails]


class AnswerForm(forms.Form):
    """The answer to a request: whom and which goal come from the request; the text and who
    may read it are asked as on the give form (the same fields)."""

    body = GiveForm.declared_fields["body"]
    visibility = GiveForm.declared_fields["visibility"]
    clean_visibility = GiveForm.clean_visibility


class CorrectForm(forms.Form):
    body = forms.CharField(
        label="Corrected text",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": MAX_BODY}),
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Reason (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 500}),
    )
