"""Writes to the organisation: units, people, invitations, tokens.

Each service validates, writes in one transaction and sends side effects with
``transaction.on_commit``. Validation failures raise ``ValidationError`` keyed by
field, shown on forms and returned as 400s by the API.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from datetime import timedelta
from typing import TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from orgs.models import (
    ApiToken,
    Invitation,
    Membership,
    Organization,
    Role,
    Unit,
    User,
)
from orgs.selectors import manager_chain_ids, unit_subtree

UNIT_MOVE_INTO_ITSELF = "A unit cannot be moved under itself or one of its own sub-units."
UNIT_NAME_TAKEN = "There is already a unit with this name here."
UNIT_REASSIGN_REQUIRED = "This unit has people in it: choose the unit they move to."
UNIT_REASSIGN_TO_SELF = "People cannot move into the unit being deleted or one of its sub-units."
GOALS_REASSIGN_REQUIRED = "This unit has goals and no parent unit: choose the unit they move to."
GOALS_REASSIGN_TO_SELF = "Goals cannot move into the unit being deleted or one of its sub-units."
REPORTING_CYCLE = "This would make a reporting loop: {name} already reports to this person."
SELF_MANAGER = "A person cannot be their own manager."
INACTIVE_MANAGER = "The manager must be an active member of the organisation."
OTHER_ORG = "Choose from this organisation."
ALREADY_MEMBER = "{email} is already a member of this organisation."
INVITATION_USED = "This invitation has already been used or has expired."
ACCOUNT_EXISTS = "An account with this email exists: log in to accept."
NAME_IS_THEIRS = "Only the person can change their name: it is theirs in every organisation."
LAST_ADMIN = "The organisation needs at least one active admin."

K = TypeVar("K", bound=Hashable)


def _same_org(obj, org: Organization, field: str) -> None:
    if obj is not None and obj.org_id != org.pk:
        raise ValidationError({field: OTHER_ORG})


def _check_unit_name(*, org: Organization, name: str, parent: Unit | None, exclude: int | None):
    clash = Unit.objects.filter(org=org, parent=parent, name__iexact=name.strip())
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise ValidationError({"name": UNIT_NAME_TAKEN})


@transaction.atomic
def unit_create(
    *, org: Organization, name: str, parent: Unit | None = None, lead: Membership | None = None
) -> Unit:
    _same_org(parent, org, "parent")
    _same_org(lead, org, "lead")
    _check_unit_name(org=org, name=name, parent=parent, exclude=None)
    return Unit.objects.create(org=org, name=name.strip(), parent=parent, lead=lead)


@transaction.atomic
def unit_update(*, unit: Unit, name: str, parent: Unit | None, lead: Membership | None) -> Unit:
    org = unit.org
    _same_org(parent, org, "parent")
    _same_org(lead, org, "lead")
    if parent is not None and (
        parent.pk == unit.pk or unit_subtree(unit).filter(pk=parent.pk).exists()
    ):
        raise ValidationError({"parent": UNIT_MOVE_INTO_ITSELF})
    _check_unit_name(org=org, name=name, parent=parent, exclude=unit.pk)
    unit.name, unit.parent, unit.lead = name.strip(), parent, lead
    unit.save(update_fields=["name", "parent", "lead"])
    return unit


@transaction.atomic
def unit_delete(
    *,
    unit: Unit,
    move_people_to: Unit | None = None,
    move_goals_to: Unit | None = None,
    actor: Membership | None = None,
) -> None:
    """Delete a unit; its sub-units move up to its parent, its people to ``move_people_to``
    and its goals to ``move_goals_to`` (by default its parent), each goal with an event."""
    from goals.models import Goal
    from goals.services import goals_move_unit

    has_people = Membership.objects.filter(org=unit.org_id, unit=unit).exists()
    if move_people_to is not None:
        _same_org(move_people_to, unit.org, "move_people_to")
        if unit_subtree(unit).filter(pk=move_people_to.pk).exists():
            raise ValidationError({"move_people_to": UNIT_REASSIGN_TO_SELF})
    elif has_people:
        raise ValidationError({"move_people_to": UNIT_REASSIGN_REQUIRED})
    if move_goals_to is not None:
        _same_org(move_goals_to, unit.org, "move_goals_to")
        if unit_subtree(unit).filter(pk=move_goals_to.pk).exists():
            raise ValidationError({"move_goals_to": GOALS_REASSIGN_TO_SELF})
    else:
        move_goals_to = unit.parent
        if move_goals_to is None and Goal.objects.filter(org=unit.org_id, unit=unit).exists():
            raise ValidationError({"move_goals_to": GOALS_REASSIGN_REQUIRED})
    if has_people:
        Membership.objects.filter(org=unit.org_id, unit=unit).update(unit=move_people_to)
    goals_move_unit(from_unit=unit, to_unit=move_goals_to, actor=actor)
    Unit.objects.filter(org=unit.org_id, parent=unit).update(parent=unit.parent_id)
    unit.delete()


def _check_manager(membership: Membership | None, manager: Membership | None, org) -> None:
    if manager is None:
        return
    _same_org(manager, org, "manager")
    if not manager.is_active:
        raise ValidationError({"manager": INACTIVE_MANAGER})
    if membership is None or membership.pk is None:
        return
    if manager.pk == membership.pk:
        raise ValidationError({"manager": SELF_MANAGER})
    if membership.pk in manager_chain_ids(membership=manager):
        raise ValidationError({"manager": REPORTING_CYCLE.format(name=manager.display_name)})


def _check_admin_left(membership: Membership, *, new_role: str, active: bool) -> None:
    if membership.role != Role.ADMIN or (new_role == Role.ADMIN and active):
        return
    others = Membership.objects.filter(
        org=membership.org_id, role=Role.ADMIN, is_active=True
    ).exclude(pk=membership.pk)
    if not others.exists():
        raise ValidationError({"role": LAST_ADMIN})


def check_reporting_lines(manager_of: Mapping[K, K | None]) -> set[K]:
    """The reporting-loop rule for many people at once (the CSV import): given everyone's
    manager after the change, keyed by anything (ids, emails), those who would be on a
    loop. No query, linear time; ``membership_update`` checks one person against the
    stored chain."""
    on_loop: set[K] = set()
    done: set[K] = set()
    for start in manager_of:
        path: list[K] = []
        position: dict[K, int] = {}
        node: K | None = start
        while node is not None and node not in done and node not in position:
            position[node] = len(path)
            path.append(node)
            node = manager_of.get(node)
        if node is not None and node in position:
            on_loop.update(path[position[node] :])
        done.update(path)
    return on_loop


def check_admins_left(*, roles_after: Mapping[K, str], admins: Iterable[K]) -> set[K]:
    """The last-admin rule for many people at once: given the role of every active member
    after the change, the current ``admins`` who may not lose the role (each one, when
    nobody would be an admin any more; else nobody). No query."""
    if Role.ADMIN in roles_after.values():
        return set()
    return set(admins)


@transaction.atomic
def membership_update(
    *,
    membership: Membership,
    role: str,
    title: str,
    unit: Unit | None,
    manager: Membership | None,
    full_name: str | None = None,
) -> Membership:
    org = membership.org
    _same_org(unit, org, "unit")
    _check_manager(membership, manager, org)
    _check_admin_left(membership, new_role=role, active=membership.is_active)
    membership.role, membership.title = role, title.strip()
    membership.unit, membership.manager = unit, manager
    membership.save(update_fields=["role", "title", "unit", "manager"])
    if full_name is not None and full_name.strip() != membership.user.full_name:
        # An account is the person's own and may belong to other organisations:
        # an organisation's admins may name it only while it has no name.
        if membership.user.full_name:
            raise ValidationError({"full_name": NAME_IS_THEIRS})
        membership.user.full_name = full_name.strip()
        membership.user.save(update_fields=["full_name"])
    return membership


@transaction.atomic
def membership_set_active(*, membership: Membership, active: bool) -> Membership:
    """Deactivate (or reactivate) a person. Their history stays; their reports
    move up to their own manager; their pending invitations are withdrawn."""
    if not active:
        _check_admin_left(membership, new_role=membership.role, active=False)
        Membership.objects.filter(org=membership.org_id, manager=membership).update(
            manager=membership.manager_id
        )
        Unit.objects.filter(org=membership.org_id, lead=membership).update(lead=None)
        ApiToken.objects.filter(
            org=membership.org_id, membership=membership, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
        # A link still waiting (an import's, say) must not bring them back in.
        Invitation.objects.filter(
            org=membership.org_id,
            email__iexact=membership.user.email,
            accepted_at__isnull=True,
        ).delete()
    membership.is_active = active
    membership.save(update_fields=["is_active"])
    return membership


@transaction.atomic
def invitation_create(
    *,
    org: Organization,
    invited_by: Membership,
    email: str,
    full_name: str = "",
    role: str = Role.MEMBER,
    unit: Unit | None = None,
    manager: Membership | None = None,
) -> Invitation:
    email = User.objects.normalize_email(email).strip().lower()
    _same_org(unit, org, "unit")
    _check_manager(None, manager, org)
    member = (
        Membership.objects.filter(org=org, user__email__iexact=email, is_active=True)
        .select_related("user")
        .first()
    )
    # A member who has never chosen a password (added by an import) may be invited
    # again: the link is how they sign in for the first time.
    if member is not None and member.user.has_usable_password():
        raise ValidationError({"email": ALREADY_MEMBER.format(email=email)})
    invitation, raw = invitation_build(
        org=org,
        invited_by=invited_by,
        email=email,
        full_name=full_name,
        role=role,
        unit_id=unit.pk if unit else None,
        manager_id=manager.pk if manager else None,
    )
    invitation.save()
    invitations_send(org=org, sent=[(invitation, raw)])
    return invitation


def invitation_build(
    *,
    org: Organization,
    invited_by: Membership | None,
    email: str,
    full_name: str = "",
    role: str = Role.MEMBER,
    unit_id: int | None = None,
    manager_id: int | None = None,
) -> tuple[Invitation, str]:
    """An unsaved invitation and its raw token (to be emailed, never stored)."""
    raw, token_hash = Invitation.new_token()
    invitation = Invitation(
        org=org,
        email=email,
        full_name=full_name.strip(),
        role=role,
        unit_id=unit_id,
        manager_id=manager_id,
        invited_by=invited_by,
        token_hash=token_hash,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_TTL_DAYS),
    )
    return invitation, raw


def invitations_send(*, org: Organization, sent: list[tuple[Invitation, str]]) -> None:
    """Email saved invitations once the transaction commits. The raw token is not handed
    on: delivery mints the link's token from the database (notifications.tasks)."""
    from notifications.models import Kind
    from notifications.services import notify

    for invitation, _raw in sent:
        notify(
            org=org, recipient=None, kind=Kind.INVITATION,
            actor=invitation.invited_by, invitation=invitation,
        )  # fmt: skip


@transaction.atomic
def invitation_resend(*, invitation: Invitation) -> Invitation:
    """A fresh link, valid from today: the previous link stops working."""
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk, org=invitation.org_id)
    if locked.accepted_at is not None:
        raise ValidationError(INVITATION_USED)
    raw, locked.token_hash = Invitation.new_token()
    locked.expires_at = timezone.now() + timedelta(days=settings.INVITATION_TTL_DAYS)
    locked.save(update_fields=["token_hash", "expires_at"])
    invitations_send(org=locked.org, sent=[(locked, raw)])
    return locked


@transaction.atomic
def invitation_revoke(*, invitation: Invitation) -> None:
    """Withdraw a pending invitation: its link stops working. An accepted one stays."""
    deleted, _ = Invitation.objects.filter(
        org=invitation.org_id, pk=invitation.pk, accepted_at__isnull=True
    ).delete()
    if not deleted:
        raise ValidationError(INVITATION_USED)


@transaction.atomic
def invitation_accept(
    *,
    invitation: Invitation,
    user: User | None = None,
    full_name: str = "",
    password: str = "",
) -> Membership:
    """Accept an invitation: an existing ``user`` joins, or a new account is created."""
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk, org=invitation.org_id)
    if not locked.is_usable:
        raise ValidationError(INVITATION_USED)
    if user is None:
        user = User.objects.filter(email__iexact=locked.email).first()
        if user is None:
            user = User.objects.create_user(
                email=locked.email, password=password, full_name=full_name or locked.full_name
            )
        elif user.has_usable_password():
            raise ValidationError({"email": ACCOUNT_EXISTS})
        else:
            # An account made by an import, never signed in to: the link, sent to its
            # address, is proof enough to choose its first password, and its own name.
            user.set_password(password)
            user.full_name = full_name.strip() or user.full_name or locked.full_name
            user.save(update_fields=["password", "full_name"])
    membership, created = Membership.objects.get_or_create(
        org_id=locked.org_id,
        user=user,
        defaults={
            "role": locked.role,
            "unit": locked.unit,
            "manager": locked.manager if locked.manager and locked.manager.is_active else None,
        },
    )
    if not created and not membership.is_active:
        membership.is_active = True
        membership.save(update_fields=["is_active"])
    locked.accepted_at = timezone.now()
    locked.accepted_by = membership
    locked.save(update_fields=["accepted_at", "accepted_by"])
    return membership


@transaction.atomic
def org_update(
    *,
    org: Organization,
    name: str,
    timezone_name: str,
    checkin_cadence: str,
    reminder_hour: int | None = None,
    cycle_reminder_days: int | None = None,
) -> Organization:
    org.name, org.timezone, org.checkin_cadence = name.strip(), timezone_name, checkin_cadence
    if reminder_hour is not None:
        org.reminder_hour = reminder_hour
    if cycle_reminder_days is not None:
        org.cycle_reminder_days = cycle_reminder_days
    org.full_clean(exclude=["slug"])
    org.save(
        update_fields=[
            "name",
            "timezone",
            "checkin_cadence",
            "reminder_hour",
            "cycle_reminder_days",
        ]
    )
    return org


@transaction.atomic
def api_token_create(*, membership: Membership, name: str) -> tuple[ApiToken, str]:
    """Create a token; the raw value is returned once and only its hash is stored."""
    raw, token_hash = ApiToken.new_token()
    token = ApiToken.objects.create(
        org_id=membership.org_id,
        membership=membership,
        name=name.strip() or "API token",
        prefix=raw[:12],
        token_hash=token_hash,
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


NAME_REQUIRED = "Enter your full name."


@transaction.atomic
def user_rename(*, user: User, full_name: str) -> User:
    """Change a person's own name, the same in every organisation they belong to."""
    full_name = full_name.strip()
    if not full_name:
        raise ValidationError({"full_name": NAME_REQUIRED})
    user.full_name = full_name
    user.save(update_fields=["full_name"])
    return user
