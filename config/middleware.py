"""Cross-cutting HTTP headers."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    """Send a strict CSP: no inline scripts or styles, nothing from other hosts."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.DEBUG and _is_django_debug_page(response):
            # Django's own debug pages (DEBUG only) carry inline styles; let developers read them.
            return response
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response


def _is_django_debug_page(response: HttpResponse) -> bool:
    """Django's technical 404/500 pages, which production never serves."""
    return (
        response.status_code >= 400
        and not getattr(response, "streaming", False)
        and b'<meta name="robots" content="NONE,NOARCHIVE">' in response.content[:1000]
    )
