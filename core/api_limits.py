"""What one API request may ask of the server: a bounded page window, a JSON body
of bounded depth and size.

Beyond the bounds the answer is a 400 (413 for a body larger than
DATA_UPLOAD_MAX_MEMORY_SIZE), never a database error (a LIMIT beyond bigint on
PostgreSQL) or a RecursionError (JSON nested deeper than Python's recursion
limit).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.settings import api_settings

MAX_LIMIT = 1000
# Any database's integer holds it; no organisation has two billion of anything.
MAX_OFFSET = 2**31 - 1
# Nothing the API accepts nests more than three deep; 32 leaves room and stays far
# below Python's recursion limit.
MAX_JSON_DEPTH = 32
TOO_DEEP = f"JSON nested more than {MAX_JSON_DEPTH} deep."
TOO_LARGE = "The request body is larger than {limit} bytes."


class PageSerializer(serializers.Serializer):
    limit = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_LIMIT,
        help_text=f"Number of results to return per page, 1 to {MAX_LIMIT}.",
    )
    offset = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_OFFSET,
        help_text="The initial index from which to return the results.",
    )


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    """``limit`` and ``offset`` as integers within bounds, else a 400 naming the field."""

    default_limit = api_settings.PAGE_SIZE
    max_limit = MAX_LIMIT

    def _page(self, request: Request) -> dict[str, int]:
        page = PageSerializer(data=request.query_params)
        page.is_valid(raise_exception=True)
        return page.validated_data

    def get_limit(self, request: Request) -> int:
        return self._page(request).get("limit", self.default_limit)

    def get_offset(self, request: Request) -> int:
        return self._page(request).get("offset", 0)

    def get_schema_operation_parameters(self, view) -> list[dict[str, Any]]:
        bounds = {
            self.limit_query_param: {"minimum": 1, "maximum": MAX_LIMIT},
            self.offset_query_param: {"minimum": 0, "maximum": MAX_OFFSET},
        }
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"].update(bounds.get(parameter["name"], {}))
        if parameters and parameters[0]["name"] == self.limit_query_param:
            parameters[0]["description"] = PageSerializer().fields["limit"].help_text
        return parameters


class RequestTooLarge(APIException):
    """DATA_UPLOAD_MAX_MEMORY_SIZE exceeded: DRF reads JSON and form bodies through
    ``request.body`` (since 3.17.2), which raises Django's RequestDataTooBig."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"

    def __init__(self) -> None:
        super().__init__(TOO_LARGE.format(limit=settings.DATA_UPLOAD_MAX_MEMORY_SIZE))


def json_depth(data: Any) -> int:
    """How deep lists and objects nest in ``data`` (iterative: no recursion to exhaust)."""
    deepest, pending = 0, [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            deepest = max(deepest, depth)
            if depth > MAX_JSON_DEPTH:
                return depth
            pending.extend((item, depth + 1) for item in value)
    return deepest


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser with a depth limit (DRF bounds the size)."""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
        if json_depth(data) > MAX_JSON_DEPTH:
            raise ParseError(TOO_DEEP)
        return data
