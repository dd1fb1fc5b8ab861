from __future__ import annotations

from django.http import HttpRequest

NAV_SECTIONS = {"people": "people", "person": "people", "units": "units", "unit": "units"}


def tenant(request: HttpRequest) -> dict:
    match = getattr(request, "resolver_match", None)
    url_name = (match.url_name or "") if match else ""
    section = NAV_SECTIONS.get(url_name.split("_")[0], "")
    if url_name in {"org_settings", "api_tokens", "cycles", "cycle_edit"}:
        section = "settings"
    elif url_name in {"my_goals", "checkin", "milestone_toggle"}:
        section = "my_goals"
    elif url_name == "team_goals":
        section = "team"
    elif url_name in {"approvals", "approvals_bulk", "goal_approve", "goal_request_changes"}:
        section = "approvals"
    elif url_name.startswith(("goal", "kr_", "smart", "alignment")):
        section = "goals"
    return {
        "org": getattr(request, "org", None),
        "membership": getattr(request, "membership", None),
        "nav": section,
    }


def _user_memberships(request: HttpRequest):
    from orgs.selectors import memberships_of_user

    return list(memberships_of_user(user=request.user))


def switcher(request: HttpRequest) -> dict:
    """The organisations the user may switch to (read lazily, one query)."""
    if not request.user.is_authenticated:
        return {}
    from django.utils.functional import SimpleLazyObject

    return {"user_memberships": SimpleLazyObject(lambda: _user_memberships(request))}
