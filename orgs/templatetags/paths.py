"""Unit paths in narrow places."""

from __future__ import annotations

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter
def path_breaks(value: object) -> SafeString:
    """A path such as "Acme/Engineering/Platform" that may wrap after each slash."""
    return mark_safe("/<wbr>".join(escape(part) for part in str(value).split("/")))  # noqa: S308
