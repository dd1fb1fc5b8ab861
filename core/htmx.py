"""Pages that htmx may ask for a part of."""

from __future__ import annotations

from django.http import HttpRequest


def page_or_partial(request: HttpRequest, template: str, partial: str) -> str:
    """``template#partial`` for an htmx request, else the whole page.

    A history restore (htmx missed its cache after Back) needs the whole page.
    """
    htmx = request.htmx
    return f"{template}#{partial}" if htmx and not htmx.history_restore_request else template
