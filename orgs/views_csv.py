"""CSV import of people and units (being built)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from orgs.views import admin_required


@admin_required
def people_import(request: HttpRequest, org_slug: str) -> HttpResponse:
    return render(request, "orgs/people_import.html", {})
