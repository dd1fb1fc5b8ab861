"""Reading a page's query-string parameters.

Whatever is typed into a URL is a value to use or a filter to ignore, never a
database error: text loses its NUL characters (PostgreSQL text cannot hold
them) and is cut to a bounded length; an id is a positive integer of ASCII
digits that fits a bigint (``str.isdigit`` also accepts "²", which ``int``
refuses, and ``int`` refuses more than 4,300 digits), else nothing.
"""

from __future__ import annotations

from django.http import HttpRequest

TEXT_MAX = 100
ID_MAX = 2**63 - 1


def text_param(request: HttpRequest, name: str, *, max_length: int = TEXT_MAX) -> str:
    """The text of ``name`` without NUL characters and surrounding spaces, at most
    ``max_length`` characters."""
    return request.GET.get(name, "").replace("\x00", "").strip()[:max_length]


def to_id(raw: str) -> int | None:
    """A positive integer that fits a bigint, from ASCII digits; else None."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(ID_MAX)):
        return None
    value = int(raw)
    return value if 0 < value <= ID_MAX else None


def id_param(request: HttpRequest, name: str) -> int | None:
    """The id in ``name``, or None when it is missing or could not be an id."""
    return to_id(request.GET.get(name, ""))


def id_params(request: HttpRequest, name: str, *, limit: int) -> frozenset[int]:
    """The first ``limit`` ids among the values of ``name``, ignoring what is not an id."""
    ids = [pk for pk in map(to_id, request.GET.getlist(name)) if pk is not None]
    return frozenset(ids[:limit])
