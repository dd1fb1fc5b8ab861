"""Unit menus name each unit, indented by its depth, instead of a path cut short."""

from __future__ import annotations

from django.urls import reverse

from core.tenancy import tenant_context
from orgs.selectors import MENU_INDENT, unit_menu
from tests.factories import UnitFactory


def test_it_lists_units_in_tree_order_indented_by_depth(cast):
    with tenant_context(cast.org.pk):
        UnitFactory(org=cast.org, name="Data", parent=cast.engineering)
        menu = unit_menu(org=cast.org)
    assert [label for _, label in menu] == [
        "Acme",
        f"{MENU_INDENT}Engineering",
        f"{MENU_INDENT * 2}Data",
        f"{MENU_INDENT * 2}Platform",
    ]
    assert menu[0][0] == cast.company.pk


def test_a_name_used_twice_says_which_unit_it_sits_in(cast):
    with tenant_context(cast.org.pk):
        sales = UnitFactory(org=cast.org, name="Sales", parent=cast.company)
        UnitFactory(org=cast.org, name="Platform", parent=sales)
        labels = [label.strip("\u00a0") for _, label in unit_menu(org=cast.org)]
    assert labels == [
        "Acme",
        "Engineering",
        "Platform (in Engineering)",
        "Sales",
        "Platform (in Sales)",
    ]


def test_the_forms_and_the_people_filter_use_the_indented_names(cast, login):
    client = login(cast.admin)
    edit = client.get(reverse("orgs:unit_edit", args=[cast.org.slug, cast.platform.pk]))
    labels = [label for _, label in edit.context["form"].fields["parent"].choices]
    assert labels[1:] == ["Acme", f"{MENU_INDENT}Engineering", f"{MENU_INDENT * 2}Platform"]
    people = client.get(reverse("orgs:people", args=[cast.org.slug])).content.decode()
    assert f'<option value="{cast.platform.pk}" >{MENU_INDENT * 2}Platform</option>' in people
    assert "Acme/Engineering" not in people


def test_a_path_may_wrap_after_each_slash():
    from django.template import Context, Template

    html = Template("{% load paths %}{{ p|path_breaks }}").render(Context({"p": "Acme/R&D/<Lab>"}))
    assert html == "Acme/<wbr>R&amp;D/<wbr>&lt;Lab&gt;"
