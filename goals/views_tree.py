"""Being built."""

from __future__ import annotations

from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404("Not built yet")


goal_tree = goal_tree_children = alignment_report = _todo
