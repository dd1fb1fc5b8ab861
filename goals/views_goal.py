"""Being built."""

from __future__ import annotations

from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404("Not built yet")


goal_create = smart_check = goal_detail = goal_edit = goal_transition = kr_create = kr_edit = _todo
