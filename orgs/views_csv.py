"""CSV import of people and units: upload, preview, apply."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from orgs import csv_import
from orgs.forms import CsvImportForm
from orgs.views import admin_required

TEMPLATE = "orgs/people_import.html"


class CsvApplyForm(forms.Form):
    """The previewed file's text, sent back to be checked again and applied."""

    csv_text = forms.CharField(
        widget=forms.HiddenInput, strip=False, max_length=csv_import.MAX_FILE_BYTES
    )
    invite_new_people = forms.BooleanField(
        required=False,
        initial=True,
        widget=forms.CheckboxInput(attrs={"aria-describedby": "id_invite_new_people_helptext"}),
        label="Email the people added an invitation to choose their password",
        help_text="People who already have a Cairn account are invited in any case: "
        "they join when they accept. Invitations can be sent later from the invitations page.",
    )


@admin_required
@require_http_methods(["GET", "POST"])
def people_import(request: HttpRequest, org_slug: str) -> HttpResponse:
    if request.method == "GET":
        return _page(request, {"form": CsvImportForm()})
    if "csv_text" in request.POST:
        return _apply(request, org_slug)
    form = CsvImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            text = csv_import.read_upload(form.cleaned_data["file"])
            plan = csv_import.people_import_plan(org=request.org, text=text)
        except ValidationError as error:
            form.add_error("file", error)
        else:
            return _preview(request, plan, text)
    return _page(request, {"form": form}, status=400)


def _apply(request: HttpRequest, org_slug: str) -> HttpResponse:
    apply_form = CsvApplyForm(request.POST)
    context = {"form": CsvImportForm(), "apply_form": apply_form}
    if not apply_form.is_valid():
        apply_form.add_error(None, csv_import.NOT_CSV)
        return _page(request, context, status=400)
    text = apply_form.cleaned_data["csv_text"]
    try:
        plan = csv_import.people_import_apply(
            org=request.org,
            text=text,
            invited_by=request.membership,
            invite_new_people=apply_form.cleaned_data["invite_new_people"],
        )
    except csv_import.ImportChangedMeanwhile as changed:
        invite = apply_form.cleaned_data["invite_new_people"]
        return _preview(
            request, changed.plan, text, notice=changed.message, status=409, invite=invite
        )
    except csv_import.ImportHasErrors as refused:
        return _preview(request, refused.plan, text)
    except ValidationError as error:
        apply_form.add_error(None, error)
        return _page(request, context, status=400)
    messages.success(request, plan.applied_summary)
    return redirect("orgs:people", org_slug=org_slug)


def _preview(
    request: HttpRequest,
    plan: csv_import.ImportPlan,
    text: str,
    *,
    notice: str = "",
    status: int | None = None,
    invite: bool = True,
) -> HttpResponse:
    context = {
        "plan": plan,
        "apply_form": CsvApplyForm(initial={"csv_text": text, "invite_new_people": invite}),
        "form": CsvImportForm(),
        "notice": notice,
    }
    return _page(request, context, status=status or (400 if plan.errors else 200))


def _page(request: HttpRequest, context: dict, status: int = 200) -> HttpResponse:
    context = {**context, "top_unit": csv_import.top_unit_name(request.org)}
    return render(request, TEMPLATE, context, status=status)
