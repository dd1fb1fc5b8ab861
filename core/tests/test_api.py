"""The one API exception handler: services' Django exceptions become DRF answers."""

from __future__ import annotations

from django.core.exceptions import (
    NON_FIELD_ERRORS,
    PermissionDenied,
    RequestDataTooBig,
    ValidationError,
)
from django.http import Http404
from django.test import override_settings

from core.api import exception_handler


def answer(exc: Exception) -> tuple[int, object]:
    response = exception_handler(exc, {})
    return response.status_code, response.data


def test_a_services_validation_error_is_a_400_keyed_by_field():
    error = ValidationError({"name": ["Too long."], NON_FIELD_ERRORS: ["Clash."]})
    assert answer(error) == (400, {"name": ["Too long."], "non_field_errors": ["Clash."]})
    assert answer(ValidationError("Nope.")) == (400, {"non_field_errors": ["Nope."]})


def test_a_services_refusal_is_a_403_with_its_reason():
    assert answer(PermissionDenied("Only the owner may.")) == (
        403,
        {"detail": "Only the owner may."},
    )
    assert answer(PermissionDenied()) == (
        403,
        {"detail": "You do not have permission to perform this action."},
    )


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_body_too_large_is_a_413():
    assert answer(RequestDataTooBig()) == (
        413,
        {"detail": "The request body is larger than 1000 bytes."},
    )


def test_everything_else_is_drfs_default():
    assert answer(Http404()) == (404, {"detail": "Not found."})
    assert exception_handler(ZeroDivisionError(), {}) is None
