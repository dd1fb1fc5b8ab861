from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.tenancy import tenant_context
from orgs import services
from orgs.csv_import import (
    BAD_EMAIL,
    DUPLICATE_EMAIL,
    EMAIL_REQUIRED,
    INACTIVE_MANAGER,
    LAST_ADMIN,
    MISSING_EMAIL_COLUMN,
    NOT_CSV,
    PERSON_DEACTIVATED,
    REPORTING_CYCLE,
    SELF_MANAGER,
    UNIT_NAME_TOO_LONG,
    UNKNOWN_MANAGER,
    UNKNOWN_ROLE,
    RowError,
    people_import_plan,
)
from orgs.models import Invitation, Membership, Role, Unit, User

HEADER = "email,full_name,unit,manager_email,role"
APPLY_BUTTON = "Apply these changes"
# Acme as the cast fixture builds it, written as the import file would say it.
ACME_AS_CSV = [
    "admin@acme.test,Alice Admin (Acme),Acme,,admin",
    "manager@acme.test,Mallory Manager (Acme),Acme/Engineering,admin@acme.test,manager",
    "member@acme.test,Bob Member (Acme),Acme/Engineering/Platform,manager@acme.test,member",
    "member2@acme.test,Carol Member (Acme),Acme/Engineering/Platform,manager@acme.test,",
]


def _csv(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def _url(org) -> str:
    return reverse("orgs:people_import", args=[org.slug])


def _upload(client, org, text: str | bytes, name: str = "people.csv"):
    data = text.encode() if isinstance(text, str) else text
    upload = SimpleUploadedFile(name, data, content_type="text/csv")
    return client.post(_url(org), {"file": upload})


def _apply(client, org, text: str, **kwargs):
    return client.post(_url(org), {"csv_text": text}, **kwargs)


def _snapshot(org) -> dict:
    """Everything an import could write, to compare before and after."""
    with tenant_context(org.pk):
        return {
            "units": list(Unit.objects.filter(org=org).values_list("pk", "name", "parent_id")),
            "members": list(
                Membership.objects.filter(org=org)
                .order_by("pk")
                .values_list("pk", "user_id", "role", "unit_id", "manager_id", "is_active")
            ),
            "users": list(User.objects.order_by("pk").values_list("pk", "email", "full_name")),
        }


def _member(org, email: str) -> Membership:
    with tenant_context(org.pk):
        return Membership.objects.select_related("user", "unit", "manager__user").get(
            org=org, user__email=email
        )


def _unit(org, *path: str) -> Unit:
    with tenant_context(org.pk):
        unit = None
        for name in path:
            unit = Unit.objects.get(org=org, parent=unit, name=name)
        return unit


def test_it_shows_the_upload_form(cast, login):
    response = login(cast.admin).get(_url(cast.org))
    assert response.status_code == 200
    assert b'type="file"' in response.content
    assert APPLY_BUTTON.encode() not in response.content


def test_it_previews_the_planned_changes_and_writes_nothing(cast, login):
    client = login(cast.admin)
    before = _snapshot(cast.org)
    text = _csv(
        ACME_AS_CSV[2],
        "member2@acme.test,Carol Jones,Acme/Engineering,admin@acme.test,manager",
        "dana@example.test,Dana Scully,Acme/Engineering/Data/ML,member2@acme.test,",
    )

    response = _upload(client, cast.org, text)

    assert response.status_code == 200
    plan = response.context["plan"]
    assert plan.units_to_create == [
        ("Acme/Engineering/Data", "Acme/Engineering"),
        ("Acme/Engineering/Data/ML", "Acme/Engineering/Data"),
    ]
    assert [(p.row, p.email, p.unit_path, p.manager_email, p.role) for p in plan.people_to_add] == [
        (4, "dana@example.test", "Acme/Engineering/Data/ML", "member2@acme.test", Role.MEMBER)
    ]
    [carol] = plan.people_to_change
    assert carol.row == 3
    # Carol's account already has a name, which is hers: the file does not change it.
    assert [(c.label, c.before, c.after) for c in carol.changes] == [
        ("Unit", "Acme/Engineering/Platform", "Acme/Engineering"),
        ("Reports to", "manager@acme.test", "admin@acme.test"),
        ("Role", "Member", "Manager"),
    ]
    assert plan.unchanged == 1
    assert plan.errors == []
    html = response.content.decode()
    assert "2 units to create, 1 person to add, 1 person to update, 1 unchanged." in html
    assert "<del>Acme/Engineering/Platform</del> → <ins>Acme/Engineering</ins>" in html
    assert 'name="csv_text"' in html
    assert APPLY_BUTTON in html
    assert _snapshot(cast.org) == before


def test_it_applies_units_users_and_memberships_with_managers_from_the_file(cast, login):
    client = login(cast.admin)
    reused = cast.other_member.user  # has an account already, through Globex
    text = _csv(
        "Erin@Example.test,Erin Example,Sales/EMEA/North,frank@example.test,member",
        "frank@example.test,Frank Example,Sales/EMEA,manager@acme.test,manager",
        "member@globex.test,,Sales,frank@example.test,",
        "member@acme.test,Bob Member (Acme),Acme/Engineering/Platform,frank@example.test,member",
    )
    preview = _upload(client, cast.org, text)
    carried = preview.context["apply_form"]["csv_text"].value()

    response = _apply(client, cast.org, carried, follow=True)

    assert response.redirect_chain == [(reverse("orgs:people", args=[cast.org.slug]), 302)]
    # Bob of Globex has an account already: he is invited, not added (see
    # test_csv_import_consent.py for what Acme sees of him meanwhile).
    assert (
        "Imported: 3 units created, 2 people added, 1 person updated, 1 person invited."
        in response.content.decode()
    )
    # Paths without the top unit's name are read under it.
    sales = _unit(cast.org, "Acme", "Sales")
    emea = _unit(cast.org, "Acme", "Sales", "EMEA")
    north = _unit(cast.org, "Acme", "Sales", "EMEA", "North")
    assert (sales.parent_id, emea.parent_id, north.parent_id) == (
        cast.company.pk,
        sales.pk,
        emea.pk,
    )

    erin = _member(cast.org, "erin@example.test")
    frank = _member(cast.org, "frank@example.test")
    assert (erin.user.full_name, erin.role, erin.unit, erin.manager) == (
        "Erin Example",
        Role.MEMBER,
        north,
        frank,
    )
    assert (frank.role, frank.unit, frank.manager) == (Role.MANAGER, emea, cast.manager)
    with tenant_context(cast.org.pk):
        assert not Membership.objects.filter(org=cast.org, user=reused).exists()
        invitation = Invitation.objects.get(org=cast.org, email="member@globex.test")
    assert (invitation.unit, invitation.manager, invitation.role) == (sales, frank, Role.MEMBER)
    assert User.objects.get(pk=reused.pk).full_name == "Bob Member (Globex)"
    assert not erin.user.has_usable_password()
    assert User.objects.filter(email__iexact="member@globex.test").count() == 1
    assert _member(cast.org, "member@acme.test").manager == frank
    # People missing from the file stay as they were.
    carol = _member(cast.org, "member2@acme.test")
    assert (carol.is_active, carol.manager, carol.unit) == (True, cast.manager, cast.platform)


def test_it_leaves_out_columns_the_file_does_not_have(cast, login):
    client = login(cast.admin)

    _apply(client, cast.org, _csv("member@acme.test,manager", header="email,role"))

    bob = _member(cast.org, "member@acme.test")
    assert (bob.role, bob.unit_id, bob.manager_id, bob.user.full_name) == (
        Role.MANAGER,
        cast.platform.pk,
        cast.manager.pk,
        "Bob Member (Acme)",
    )


def test_it_changes_nothing_when_the_same_file_is_imported_again(cast, login):
    client = login(cast.admin)
    text = _csv(
        *ACME_AS_CSV,
        "dana@example.test,Dana Scully,Acme/Engineering/Data,member2@acme.test,",
        "erin@example.test,,Acme/Engineering/Data,dana@example.test,manager",
    )
    _apply(client, cast.org, text)
    after_first = _snapshot(cast.org)

    preview = _upload(client, cast.org, text)
    again = _apply(client, cast.org, text, follow=True)

    assert preview.status_code == 200
    assert not preview.context["plan"].has_changes
    assert "No changes: 6 people already up to date." in preview.content.decode()
    assert APPLY_BUTTON not in preview.content.decode()
    assert "Nothing imported" in again.content.decode()
    assert _snapshot(cast.org) == after_first


FINE_ROW = "new@example.test,New Person,Acme/New unit,manager@acme.test,member"


@pytest.mark.parametrize(
    ("rows", "errors"),
    [
        (["not-an-email,X,,,"], [(3, BAD_EMAIL.format(email="not-an-email"))]),
        ([",Nobody,,,"], [(3, EMAIL_REQUIRED)]),
        (
            ["x" * 250 + "@example.test,X,,,"],
            [(3, BAD_EMAIL.format(email="x" * 250 + "@example.test"))],
        ),
        (
            ["x@example.test,X,,ghost@example.test,"],
            [(3, UNKNOWN_MANAGER.format(email="ghost@example.test"))],
        ),
        (["x@example.test,X,,x@example.test,"], [(3, SELF_MANAGER)]),
        (["x@example.test,X,,,boss"], [(3, UNKNOWN_ROLE.format(role="boss"))]),
        ([FINE_ROW], [(3, DUPLICATE_EMAIL.format(email="new@example.test", row=2))]),
        (
            # Alice would report to Bob, who reports to Mallory, who reports to Alice.
            ["admin@acme.test,Alice Admin (Acme),Acme,member@acme.test,admin"],
            [(3, REPORTING_CYCLE.format(name="member@acme.test"))],
        ),
        (
            ["a@example.test,A,,b@example.test,", "b@example.test,B,,a@example.test,"],
            [
                (3, REPORTING_CYCLE.format(name="b@example.test")),
                (4, REPORTING_CYCLE.format(name="a@example.test")),
            ],
        ),
        (["admin@acme.test,Alice Admin (Acme),Acme,,member"], [(3, LAST_ADMIN)]),
        (
            ["x@example.test,X,Acme/" + "A" * 121 + ",,"],
            [(3, UNIT_NAME_TOO_LONG.format(name="A" * 40 + "…"))],
        ),
    ],
    ids=[
        "bad-email",
        "missing-email",
        "email-too-long",
        "unknown-manager",
        "own-manager",
        "unknown-role",
        "duplicate-email",
        "cycle-with-existing-lines",
        "cycle-within-the-file",
        "last-admin",
        "long-unit-name",
    ],
)
def test_it_reports_each_bad_row_and_writes_nothing(cast, login, rows, errors):
    client = login(cast.admin)
    before = _snapshot(cast.org)
    text = _csv(FINE_ROW, *rows)

    preview = _upload(client, cast.org, text)
    applied = _apply(client, cast.org, text)

    assert preview.status_code == 400
    plan = preview.context["plan"]
    assert plan.errors == [RowError(row, message) for row, message in errors]
    html = preview.content.decode()
    for row, message in errors:
        cell = f'<td class="error" data-label="Problem">{message}</td>'
        assert f'<th scope="row" class="num">{row}</th>{cell}' in html
    assert APPLY_BUTTON not in html
    assert 'name="csv_text"' not in html
    # The apply endpoint checks again and refuses.
    assert applied.status_code == 400
    assert applied.context["plan"].errors == plan.errors
    assert _snapshot(cast.org) == before


def test_it_refuses_a_deactivated_person_and_an_inactive_manager(cast, login):
    with tenant_context(cast.org.pk):
        services.membership_set_active(membership=cast.member2, active=False)
    client = login(cast.admin)
    text = _csv(
        "member2@acme.test,Carol Member (Acme),,,",
        "x@example.test,X,,member2@acme.test,",
    )

    response = _upload(client, cast.org, text)

    assert response.status_code == 400
    assert response.context["plan"].errors == [
        RowError(2, PERSON_DEACTIVATED.format(email="member2@acme.test")),
    ]
    text = _csv("x@example.test,X,,member2@acme.test,")
    response = _upload(client, cast.org, text)
    assert response.context["plan"].errors == [RowError(2, INACTIVE_MANAGER)]


@pytest.mark.parametrize("importer", ["acme", "globex"])
def test_it_does_not_know_managers_from_the_other_organisation(cast, login, importer):
    org, admin, outsider = (
        (cast.org, cast.admin, cast.other_manager)
        if importer == "acme"
        else (cast.other_org, cast.other_admin, cast.manager)
    )
    before = _snapshot(org)
    text = _csv(f"x@example.test,X,,{outsider.user.email},")

    preview = _upload(login(admin), org, text)
    applied = _apply(login(admin), org, text)

    message = UNKNOWN_MANAGER.format(email=outsider.user.email)
    assert preview.context["plan"].errors == [RowError(2, message)]
    assert applied.status_code == 400
    assert _snapshot(org) == before


@pytest.mark.parametrize("who", ["manager", "member"])
def test_it_is_for_admins_only(cast, login, who):
    client = login(getattr(cast, who))
    before = _snapshot(cast.org)

    assert client.get(_url(cast.org)).status_code == 403
    assert _upload(client, cast.org, _csv(FINE_ROW)).status_code == 403
    assert _apply(client, cast.org, _csv(FINE_ROW)).status_code == 403
    assert _snapshot(cast.org) == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xb5U0#\xf4", NOT_CSV),  # .xlsx
        ("email,name\n".encode("utf-16"), NOT_CSV),
        (b"email,\x00name\n", NOT_CSV),
        (b"name,unit\nAda,Engineering\n", MISSING_EMAIL_COLUMN),
        (b"\n\n", MISSING_EMAIL_COLUMN),
    ],
    ids=["spreadsheet", "utf-16", "nul-bytes", "no-email-column", "blank"],
)
def test_it_rejects_a_file_it_cannot_read(cast, login, data, message):
    response = _upload(login(cast.admin), cast.org, data)

    assert response.status_code == 400
    assert response.context["form"].errors["file"] == [message]
    assert message in response.content.decode()


def test_it_rejects_tampered_text_on_apply(cast, login):
    before = _snapshot(cast.org)

    response = _apply(login(cast.admin), cast.org, "name\nAda\n")

    assert response.status_code == 400
    assert response.context["apply_form"].non_field_errors() == [MISSING_EMAIL_COLUMN]
    assert MISSING_EMAIL_COLUMN in response.content.decode()
    assert _snapshot(cast.org) == before


@pytest.mark.parametrize(
    "text",
    [
        "\ufeff Email , Full Name ,UNIT,Manager-Email, Role \r\n"
        "Ada@Example.test, Ada Lovelace ,acme / ENGINEERING,MANAGER@acme.test, Admin \r\n",
        "email;full_name;unit;manager_email;role\n"
        "ada@example.test;Ada Lovelace;Acme/Engineering;manager@acme.test;admin\n",
    ],
    ids=["bom-case-and-spaces", "semicolons"],
)
def test_it_tolerates_how_spreadsheets_write_csv(cast, login, text):
    response = _upload(login(cast.admin), cast.org, text)

    assert response.status_code == 200
    assert response.context["plan"].units_to_create == []
    [ada] = response.context["plan"].people_to_add
    assert (ada.email, ada.full_name, ada.unit_path, ada.manager_email, ada.role) == (
        "ada@example.test",
        "Ada Lovelace",
        "Acme/Engineering",
        "manager@acme.test",
        Role.ADMIN,
    )


def test_it_reads_the_organisation_in_three_queries_whatever_the_file_size(
    cast, django_assert_num_queries
):
    rows = [f"p{i}@example.test,P {i},Acme/Team {i % 5},manager@acme.test," for i in range(60)]
    with tenant_context(cast.org.pk):
        # 1. memberships with their users, 2. accounts of the other emails with their
        # pending invitations here (an account elsewhere is invited, not added), 3. units
        with django_assert_num_queries(3):
            plan = people_import_plan(org=cast.org, text=_csv(*ACME_AS_CSV, *rows))
    assert len(plan.people_to_add) == 60
    assert len(plan.units_to_create) == 5


def test_it_previews_a_long_file_with_as_many_queries_as_a_short_one(cast, login):
    client = login(cast.admin)
    long_rows = [f"p{i}@example.test,P {i},Acme/Team {i},p{i + 1}@example.test," for i in range(40)]

    with CaptureQueriesContext(connection) as short:
        _upload(client, cast.org, _csv(FINE_ROW))
    with CaptureQueriesContext(connection) as long:
        response = _upload(client, cast.org, _csv(*long_rows, "p40@example.test,P 40,,,"))

    assert response.status_code == 200
    assert len(long.captured_queries) == len(short.captured_queries)


def test_a_unit_path_may_leave_out_the_top_unit(cast, login):
    client = login(cast.admin)
    text = _csv(
        "ada@example.test,Ada,Engineering/Platform,,",
        "bea@example.test,Bea,Acme/Engineering/Platform,,",
        "cy@example.test,Cy,engineering/Data,,",
        "dee@example.test,Dee,Acme/Engineering/Data,,",
    )

    preview = _upload(client, cast.org, text)

    plan = preview.context["plan"]
    # Both forms name the same units: nothing new at the top level.
    assert plan.units_to_create == [("Acme/Engineering/Data", "Acme/Engineering")]
    assert [p.unit_path for p in plan.people_to_add] == [
        "Acme/Engineering/Platform",
        "Acme/Engineering/Platform",
        "Acme/Engineering/Data",
        "Acme/Engineering/Data",
    ]
    _apply(client, cast.org, text)
    assert _member(cast.org, "ada@example.test").unit == cast.platform
    data = _unit(cast.org, "Acme", "Engineering", "Data")
    assert _member(cast.org, "cy@example.test").unit == data
    assert _member(cast.org, "dee@example.test").unit == data
    with tenant_context(cast.org.pk):
        assert list(Unit.objects.filter(org=cast.org, parent=None)) == [cast.company]


def test_the_help_says_paths_may_start_with_or_without_the_top_unit(cast, login):
    html = login(cast.admin).get(_url(cast.org)).content.decode()
    assert "<code>Engineering/Platform</code> or, the same unit, " in html
    assert "<code>Acme/Engineering/Platform</code>" in html
    assert "with or without the top unit’s name first" in html


def test_paths_are_read_from_the_top_when_there_are_several_top_units(cast, login):
    with tenant_context(cast.org.pk):
        services.unit_create(org=cast.org, name="Advisors")
        services.unit_create(org=cast.org, name="Board")
    client = login(cast.admin)
    # The top-level unit named like the organisation is the one paths may leave out.
    plan = _upload(client, cast.org, _csv("a@example.test,A,Engineering,,")).context["plan"]
    assert plan.people_to_add[0].unit_path == "Acme/Engineering"
    plan = _upload(client, cast.org, _csv("a@example.test,A,Board,,")).context["plan"]
    assert (plan.people_to_add[0].unit_path, plan.units_to_create) == ("Board", [])
