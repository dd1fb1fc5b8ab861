"""Being built."""

from __future__ import annotations

from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404("Not built yet")


my_goals = checkin = milestone_toggle = _todo
