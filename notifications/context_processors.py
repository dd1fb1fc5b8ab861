from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def _unread(request: HttpRequest) -> int:
    from orgs.context_processors import current_membership

    membership = current_membership(request)
    return getattr(membership, "unread_notifications", 0) if membership is not None else 0


def inbox(request: HttpRequest) -> dict:
    """The bell's unread count: a fact of the organisation switcher's one query (see
    ``notifications.apps``), so the bell adds no query."""
    if not request.user.is_authenticated or getattr(request, "org", None) is None:
        return {}
    return {"notifications_unread": SimpleLazyObject(lambda: _unread(request))}
