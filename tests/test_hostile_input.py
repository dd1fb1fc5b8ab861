"""Generated from the URL conf: hostile input never gets a server error.

Every URL is requested by a visitor who is not logged in, then by a member and
by an admin of the organisation. A first, plain request records which
query-string (or form) names the view reads; then each name gets each hostile
value in turn (NUL, integers no column holds, negative numbers, 10 kB strings,
the wrong type), every path parameter gets hostile values, and every write gets
hostile form and JSON bodies. Whatever comes back must be below 500: a 400 with
field errors from the API, a message, an ignored filter or a 404 on pages. A
new URL, or a new parameter read by an existing view, is covered without anyone
listing it.

NUL characters and integers beyond bigint fail only on PostgreSQL, so CI runs
this there; it runs on SQLite too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from django.http import QueryDict
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.test_isolation import objects_of

BACKEND = "django.contrib.auth.backends.ModelBackend"
TOO_BIG = str(2**63)  # one more than the largest bigint
QUERY_VALUES = [
    "a\x00b",
    TOO_BIG,
    "-1",
    "9" * 10_240,  # 10 kB, and beyond the 4,300 digits int() accepts
    "²",  # a digit to str.isdigit(), not to int()
]
JSON_VALUES = ["a\x00b", 2**63, -1, "x" * 10_240, [], {}]
RAW_JSON_BODIES = [
    "[" * 1_200,  # deeper than Python's recursion limit
    '{"a":' * 1_200,
    "NaN",
    "{",
]
PATH_VALUES = {
    "int": [TOO_BIG, "0"],
    "slug": ["a" * 10_240],
    "str": ["a\x00b", "é" * 5_120],
}
WRITES = ["post", "put", "patch"]


def all_patterns() -> list[tuple[str, Callable]]:
    """(route, view) for every URL in the URL conf."""
    found = []

    def walk(patterns, prefix: str) -> None:
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, route)
            elif isinstance(p, URLPattern):
                found.append((route, p.callback))

    walk(get_resolver().url_patterns, "/")
    return found


PATTERNS = all_patterns()
PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>")


def build(route: str, values: dict[str, str]) -> str:
    return PARAMETER.sub(lambda m: values[m.group(2)], route)


@contextmanager
def names_read() -> Iterator[set[str]]:
    """The names that requests read from query strings and form bodies meanwhile."""
    names: set[str] = set()
    patched = ["get", "getlist", "__getitem__", "__contains__"]
    originals = {name: getattr(QueryDict, name) for name in patched}

    def recording(original: Callable) -> Callable:
        def read(self, key, *args, **kwargs):
            if isinstance(key, str):
                names.add(key)
            return original(self, key, *args, **kwargs)

        return read

    for name, original in originals.items():
        setattr(QueryDict, name, recording(original))
    try:
        yield names
    finally:
        for name in patched:
            delattr(QueryDict, name)


class Walk:
    """Requests through one client; the server errors they got, each with its request."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.errors: list[str] = []

    def __call__(self, method: str, url: str, **kwargs) -> int:
        where = f"{method.upper()} {url[:120]!r} {str(kwargs)[:200]}"
        try:
            status = getattr(self.client, method)(url, **kwargs).status_code
        except Exception as error:
            self.errors.append(f"{where} raised {str(error)[:200]!r}")
            return 500
        if status >= 500:
            self.errors.append(f"{where} answered {status}")
        return status


def walk(request: Walk, route: str, values: dict[str, str]) -> None:
    """Hostile query values, path parameters and bodies on one URL."""
    url = build(route, values)

    # Query strings: each name the view reads, with each hostile value.
    with names_read() as names:
        request("get", url)
    for name in sorted(names):
        for value in QUERY_VALUES:
            request("get", url, data={name: value})

    # Path parameters: one at a time.
    for converter, name in PARAMETER.findall(route):
        for value in PATH_VALUES.get(converter or "str", []):
            request("get", build(route, {**values, name: value}))

    # Bodies: every name the view reads from a form, all hostile at once.
    form = "application/x-www-form-urlencoded"
    for method in WRITES:
        with names_read() as fields:
            status = request(method, url, data="", content_type=form)
        if status == 405:
            continue
        for value in QUERY_VALUES:
            body = QueryDict(mutable=True)
            for field in fields:
                body[field] = value
            request(method, url, data=body.urlencode(), content_type=form)
        if not route.startswith("/api/"):
            continue
        for value in JSON_VALUES:
            body = json.dumps({field: value for field in fields})
            request(method, url, data=body, content_type="application/json")
        for raw in RAW_JSON_BODIES:
            request(method, url, data=raw, content_type="application/json")


@pytest.mark.parametrize("route", [route for route, _ in PATTERNS])
def test_hostile_input_never_gets_a_server_error(
    cast, client, django_capture_on_commit_callbacks, route
):
    objects = objects_of(cast, django_capture_on_commit_callbacks)
    values = {"org_slug": cast.org.slug, "uidb64": "MQ", **objects}
    request = Walk(client)
    walk(request, route, values)  # a visitor who is not logged in
    for who in (cast.member, cast.admin):
        client.force_login(who.user, backend=BACKEND)
        walk(request, route, values)
    assert not request.errors, "\n".join(request.errors)


def test_it_walks_every_url():
    routes = [route for route, _ in PATTERNS]
    assert "/o/<slug:org_slug>/people/" in routes
    assert "/api/v1/orgs/<slug:org_slug>/goals/" in routes
    assert "/accounts/login/" in routes
