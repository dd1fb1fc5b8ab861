from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from core.forms import apply_service_errors


class NameForm(forms.Form):
    name = forms.CharField()


def test_it_puts_a_services_field_error_by_its_field():
    form = NameForm({"name": "x"})
    form.is_valid()
    apply_service_errors(form, ValidationError({"name": "Taken.", "colour": "No colours."}))
    assert form.errors["name"] == ["Taken."]
    assert form.non_field_errors() == ["No colours."]


def test_it_puts_a_plain_service_error_on_the_form():
    form = NameForm({"name": "x"})
    form.is_valid()
    apply_service_errors(form, ValidationError("Not now."))
    assert form.non_field_errors() == ["Not now."]
