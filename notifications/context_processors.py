from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def _memberships(request: HttpRequest) -> list:
    if not hasattr(request, "_memberships_with_unread"):
        from notifications.selectors import with_unread_count
        from orgs.selectors import memberships_of_user

        request._memberships_with_unread = list(
            with_unread_count(memberships_of_user(user=request.user))
        )
    return request._memberships_with_unread


def _unread(request: HttpRequest) -> int:
    org = getattr(request, "org", None)
    for membership in _memberships(request):
        if org is not None and membership.org_id == org.pk:
            return membership.unread_notifications
    return 0


def inbox(request: HttpRequest) -> dict:
    """The bell's unread count, folded into the organisation switcher's query.

    Listed after ``orgs.context_processors.switcher``, this replaces its
    ``user_memberships`` with the same query annotated with each membership's unread
    count: every page already runs it, so the bell adds no query.
    """
    if not request.user.is_authenticated:
        return {}
    return {
        "user_memberships": SimpleLazyObject(lambda: _memberships(request)),
        "notifications_unread": SimpleLazyObject(lambda: _unread(request)),
    }
