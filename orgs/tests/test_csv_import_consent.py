"""CSV import and consent: an account that exists is invited, never added; new
accounts are invited to choose a password; invitations can be sent again or withdrawn."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from core.tenancy import tenant_context
from orgs import csv_import
from orgs.csv_import import CHANGED_MEANWHILE, MANAGER_NOT_JOINED, RowError
from orgs.models import Invitation, Membership, Role, Unit, User
from orgs.views import INVITATION_RESENT, INVITATION_REVOKED

HEADER = "email,full_name,unit,manager_email,role"
PASSWORD = "a-long-pass-phrase"


def _csv(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def _url(org) -> str:
    return reverse("orgs:people_import", args=[org.slug])


def _preview(client, org, text: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(_url(org), {"file": SimpleUploadedFile("p.csv", text.encode())})


@pytest.fixture
def apply(django_capture_on_commit_callbacks):
    """Apply a file as the client's admin, running what is sent after the commit."""

    def _apply(client, org, text: str, invite: bool = True, **kwargs):
        data = {"csv_text": text, **({"invite_new_people": "on"} if invite else {})}
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(_url(org), data, **kwargs)

    return _apply


def _link(email: str) -> str:
    [message] = [m for m in mail.outbox if m.to == [email]][-1:]
    return re.search(r"https?://[^/\s]+(/o/\w+/join/[\w-]+/)", message.body).group(1)


def _members(org) -> set[str]:
    with tenant_context(org.pk):
        return set(Membership.objects.filter(org=org).values_list("user__email", flat=True))


def _pending(org) -> list[str]:
    with tenant_context(org.pk):
        return list(
            Invitation.objects.filter(org=org, accepted_at__isnull=True).values_list(
                "email", flat=True
            )
        )


# --- Point 1: an account that exists is invited, not added ------------------------


def test_an_account_of_another_organisation_is_invited_not_added(cast, client, login, apply):
    text = _csv("admin@globex.test,,,,member", header="email,full_name,unit,manager_email,role")
    admin = login(cast.admin)

    preview = _preview(admin, cast.org, text)
    response = apply(admin, cast.org, text, follow=True)

    plan = preview.context["plan"]
    assert ([p.email for p in plan.people_to_invite], plan.people_to_add) == (
        ["admin@globex.test"],
        [],
    )
    assert "1 person to invite, 0 unchanged." in preview.content.decode()
    assert "Imported: 1 person invited." in response.content.decode()
    # Acme sees the invitation, not the person: no membership, no name.
    assert "admin@globex.test" not in _members(cast.org)
    assert _pending(cast.org) == ["admin@globex.test"]
    people = admin.get(
        reverse("orgs:people", args=[cast.org.slug]) + "?status=all"
    ).content.decode()
    invitations = admin.get(reverse("orgs:person_invite", args=[cast.org.slug])).content.decode()
    for page in (preview.content.decode(), people, invitations):
        assert "Alice Admin (Globex)" not in page
    assert "admin@globex.test" in invitations
    # Globex's admin finds no new organisation until they accept.
    link = _link("admin@globex.test")
    globex_admin = login(cast.other_admin)
    home = globex_admin.get(reverse("home"), follow=True)
    assert home.redirect_chain[-1][0] == reverse("orgs:org_home", args=["globex"])
    assert globex_admin.post(link).status_code == 302
    home = globex_admin.get(reverse("home"))
    assert [m.org.slug for m in home.context["memberships"]] == ["acme", "globex"]
    with tenant_context(cast.org.pk):
        joined = Membership.objects.get(org=cast.org, user=cast.other_admin.user)
    assert joined.role == Role.MEMBER


def test_an_account_already_invited_is_not_invited_again(cast, login, apply):
    admin = login(cast.admin)
    text = _csv("member@globex.test,Bob,,,")
    apply(admin, cast.org, text)

    preview = _preview(admin, cast.org, text)
    again = apply(admin, cast.org, text, follow=True)

    assert not preview.context["plan"].has_changes
    assert "No changes: 0 people already up to date, 1 already invited." in (
        preview.content.decode()
    )
    assert "Nothing imported" in again.content.decode()
    assert _pending(cast.org) == ["member@globex.test"]


def test_someone_who_is_only_invited_cannot_be_a_manager_yet(cast, login, apply):
    admin = login(cast.admin)
    text = _csv(
        "member@globex.test,Bob,,,",
        "new@example.test,New,,member@globex.test,",
    )

    preview = _preview(admin, cast.org, text)
    applied = apply(admin, cast.org, text)

    message = MANAGER_NOT_JOINED.format(email="member@globex.test")
    assert preview.status_code == applied.status_code == 400
    assert preview.context["plan"].errors == [RowError(3, message)]
    assert message in preview.content.decode()
    assert _pending(cast.org) == []
    assert not User.objects.filter(email="new@example.test").exists()


def test_an_invited_admin_does_not_count_as_the_organisations_admin(cast, login):
    text = _csv("admin@acme.test,,,,member", "admin@globex.test,,,,admin")
    plan = _preview(login(cast.admin), cast.org, text).context["plan"]
    assert plan.errors == [RowError(2, csv_import.LAST_ADMIN)]


# --- Point 2: new people are invited and can get in -----------------------------


def test_new_people_are_invited_to_choose_a_password_and_get_in(cast, client, login, apply):
    admin = login(cast.admin)
    apply(admin, cast.org, _csv("dana@example.test,Dana New,Engineering,manager@acme.test,"))
    client.logout()

    link = _link("dana@example.test")
    page = client.get(link)
    response = client.post(
        link, {"full_name": "Dana Scully", "password1": PASSWORD, "password2": PASSWORD}
    )

    assert page.status_code == 200 and 'name="password1"' in page.content.decode()
    assert response.status_code == 302
    assert response["Location"] == reverse("orgs:org_home", args=[cast.org.slug])
    assert client.get(response["Location"]).status_code == 200
    user = User.objects.get(email="dana@example.test")
    # Her password and the name she chose, not the one the file gave her.
    assert (user.check_password(PASSWORD), user.full_name) == (True, "Dana Scully")
    with tenant_context(cast.org.pk):
        [dana] = Membership.objects.filter(org=cast.org, user=user)
    assert (dana.unit, dana.manager) == (cast.engineering, cast.manager)
    assert _pending(cast.org) == []


def test_the_import_can_leave_the_invitations_for_later(cast, client, login, apply):
    admin = login(cast.admin)

    apply(admin, cast.org, _csv("dana@example.test,Dana New,,,"), invite=False)
    assert mail.outbox == [] and _pending(cast.org) == []
    assert "dana@example.test" in _members(cast.org)
    # Later, inviting her is not refused as "already a member": she has never signed in.
    invited = admin.post(
        reverse("orgs:person_invite", args=[cast.org.slug]),
        {"email": "dana@example.test", "role": Role.MEMBER},
    )
    assert invited.status_code == 302
    assert _pending(cast.org) == ["dana@example.test"]


def test_the_upload_page_offers_the_invitations_checked(cast, login):
    preview = _preview(login(cast.admin), cast.org, _csv("dana@example.test,Dana,,,"))
    html = preview.content.decode()
    assert re.search(r'<input type="checkbox" name="invite_new_people"[^>]* checked', html)


def test_a_person_without_a_password_resets_it_by_email(cast, client, login, apply):
    apply(login(cast.admin), cast.org, _csv("dana@example.test,Dana New,,,"), invite=False)
    client.logout()

    client.post(reverse("password_reset"), {"email": "Dana@example.test"})

    [message] = mail.outbox
    link = re.search(r"http://[^/]+(/accounts/reset/\S+/)", message.body).group(1)
    form = client.get(link, follow=True)
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": PASSWORD, "new_password2": PASSWORD}
    )
    assert done.status_code == 302
    assert User.objects.get(email="dana@example.test").check_password(PASSWORD)


@pytest.fixture
def post(django_capture_on_commit_callbacks):
    """Post as the client, running what is sent after the commit."""

    def _post(client, url: str, data: dict | None = None):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data or {}, follow=True)

    return _post


def _invitation(org) -> Invitation:
    with tenant_context(org.pk):
        return Invitation.objects.get(org=org)


def test_a_pending_invitation_is_sent_again_with_a_new_link(cast, client, login, apply, post):
    admin = login(cast.admin)
    apply(admin, cast.org, _csv("dana@example.test,Dana New,,,"))
    first = _link("dana@example.test")
    resend = reverse("orgs:invitation_resend", args=[cast.org.slug, _invitation(cast.org).pk])

    page = admin.get(reverse("orgs:person_invite", args=[cast.org.slug])).content.decode()
    response = post(admin, resend)

    assert f'action="{resend}"' in page
    assert INVITATION_RESENT.format(email="dana@example.test") in response.content.decode()
    second = _link("dana@example.test")
    assert second != first
    client.logout()
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200


def test_a_pending_invitation_is_withdrawn(cast, client, login, apply, post):
    admin = login(cast.admin)
    apply(admin, cast.org, _csv("member@globex.test,Bob,,,"))
    link = _link("member@globex.test")
    revoke = reverse("orgs:invitation_revoke", args=[cast.org.slug, _invitation(cast.org).pk])

    response = post(admin, revoke)

    assert INVITATION_REVOKED.format(email="member@globex.test") in response.content.decode()
    assert _pending(cast.org) == []
    bob = login(cast.other_member)
    assert bob.get(link).status_code == 404
    assert bob.post(link).status_code == 404
    assert "member@globex.test" not in _members(cast.org)


def test_an_accepted_invitation_can_be_neither_sent_again_nor_withdrawn(cast, login, post):
    admin = login(cast.admin)
    post(
        admin,
        reverse("orgs:person_invite", args=[cast.org.slug]),
        {"email": "member@globex.test", "role": "member"},
    )
    link = _link("member@globex.test")
    login(cast.other_member).post(link)
    invitation = _invitation(cast.org)
    admin = login(cast.admin)
    for name in ("orgs:invitation_resend", "orgs:invitation_revoke"):
        url = reverse(name, args=[cast.org.slug, invitation.pk])
        assert admin.post(url).status_code == 404


@pytest.mark.parametrize("who", ["manager", "member"])
def test_only_admins_send_again_or_withdraw(cast, login, apply, who):
    apply(login(cast.admin), cast.org, _csv("dana@example.test,Dana New,,,"))
    invitation = _invitation(cast.org)
    client = login(getattr(cast, who))
    for name in ("orgs:invitation_resend", "orgs:invitation_revoke"):
        url = reverse(name, args=[cast.org.slug, invitation.pk])
        assert client.post(url).status_code == 403
    assert _pending(cast.org) == ["dana@example.test"]
    assert len(mail.outbox) == 1


# --- Two imports adding the same person at the same moment ----------------------


def test_an_account_created_meanwhile_refuses_the_import_with_a_new_preview(
    cast, login, apply, monkeypatch
):
    """The other import commits between this one's check and its insert."""
    real_plan = csv_import.people_import_plan
    calls = []

    def plan_then_someone_else_adds_dana(*, org, text):
        plan = real_plan(org=org, text=text)
        if not calls:
            User.objects.create_user(email="dana@example.test", full_name="Dana Elsewhere")
        calls.append(plan)
        return plan

    monkeypatch.setattr(csv_import, "people_import_plan", plan_then_someone_else_adds_dana)
    text = _csv("dana@example.test,Dana New,Acme/Sales,,", "erin@example.test,Erin,,,")

    response = apply(login(cast.admin), cast.org, text)

    assert response.status_code == 409
    assert CHANGED_MEANWHILE in response.content.decode()
    # Nothing of the first attempt is kept: no unit, no membership, no invitation, no email.
    with tenant_context(cast.org.pk):
        assert not Unit.objects.filter(org=cast.org, name="Sales").exists()
    assert {"dana@example.test", "erin@example.test"}.isdisjoint(_members(cast.org))
    assert not User.objects.filter(email="erin@example.test").exists()
    assert _pending(cast.org) == [] and mail.outbox == []
    # The new preview says what applying now does: Dana has an account, so she is invited.
    plan = response.context["plan"]
    assert [p.email for p in plan.people_to_invite] == ["dana@example.test"]
    assert [p.email for p in plan.people_to_add] == ["erin@example.test"]
    assert "Apply these changes" in response.content.decode()


def test_deactivating_an_imported_person_withdraws_their_invitation(cast, client, login, apply):
    from orgs import services

    apply(login(cast.admin), cast.org, _csv("dana@example.test,Dana New,,,"))
    link = _link("dana@example.test")
    with tenant_context(cast.org.pk):
        dana = Membership.objects.get(org=cast.org, user__email="dana@example.test")
        services.membership_set_active(membership=dana, active=False)
    client.logout()

    response = client.post(
        link, {"full_name": "Dana New", "password1": PASSWORD, "password2": PASSWORD}
    )

    assert response.status_code == 404
    with tenant_context(cast.org.pk):
        assert not Membership.objects.get(pk=dana.pk).is_active
    assert not User.objects.get(email="dana@example.test").has_usable_password()


def test_an_imported_person_who_never_signed_in_can_be_invited_from_their_page(
    cast, client, login, apply, post
):
    admin = login(cast.admin)
    apply(admin, cast.org, _csv("dana@example.test,Dana New,,,"), invite=False)
    with tenant_context(cast.org.pk):
        dana = Membership.objects.get(org=cast.org, user__email="dana@example.test")
    page = admin.get(reverse("orgs:person_edit", args=[cast.org.slug, dana.pk])).content.decode()
    bob_page = admin.get(reverse("orgs:person_edit", args=[cast.org.slug, cast.member.pk]))

    assert "Not signed in yet" in page and "Not signed in yet" not in bob_page.content.decode()
    action = f'action="{reverse("orgs:person_invite", args=[cast.org.slug])}"'
    assert action in page and 'value="dana@example.test"' in page
    response = post(
        admin,
        reverse("orgs:person_invite", args=[cast.org.slug]),
        {"email": "dana@example.test", "role": "member"},
    )
    assert "Invitation sent to dana@example.test." in response.content.decode()
    client.logout()
    link = _link("dana@example.test")
    joined = client.post(
        link, {"full_name": "Dana New", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert joined.status_code == 302
    assert User.objects.get(email="dana@example.test").check_password(PASSWORD)
