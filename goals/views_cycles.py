"""Being built."""

from __future__ import annotations

from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404("Not built yet")


cycles = cycle_edit = _todo
