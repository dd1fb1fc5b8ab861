"""CSV import of people and units: read the file, check every row against the
organisation, plan the changes, then apply the plan in one transaction.

The plan is recomputed from the CSV text for the preview and again for applying
it, so what is written is exactly what was just checked. Empty cells: role means
member, unit and manager_email mean none, full_name keeps the current name. A
column left out of the file leaves that field of existing people unchanged.

Consent: an email without an account gets a new account and joins at once (and,
by default, an invitation to choose a password). An email whose account exists
already (it may belong to other organisations) is only invited: it joins when
its owner accepts, and until then the organisation sees the invitation alone,
never the account's name or other memberships.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.db.models.functions import Lower
from django.utils import timezone

from core.csv_text import read_table
from orgs import services
from orgs.models import Invitation, Membership, Organization, Role, Unit, User
from orgs.services import INACTIVE_MANAGER, LAST_ADMIN, REPORTING_CYCLE, SELF_MANAGER

# Fits in one form field on the way back (DATA_UPLOAD_MAX_MEMORY_SIZE is 2.5 MB).
MAX_FILE_BYTES = 1_000_000
COLUMNS = ("email", "full_name", "unit", "manager_email", "role")
EMAIL_MAX = User._meta.get_field("email").max_length
NAME_MAX = User._meta.get_field("full_name").max_length
UNIT_NAME_MAX = Unit._meta.get_field("name").max_length

NOT_CSV = "This file is not CSV text. Save the spreadsheet as “CSV UTF-8” and upload that file."
FILE_TOO_LARGE = "The file is larger than 1 MB: split it into several files."
MISSING_EMAIL_COLUMN = (
    "The first row must name the columns and include “email” "
    "(the others are full_name, unit, manager_email and role)."
)
EMAIL_REQUIRED = "The email address is missing."
BAD_EMAIL = "“{email}” is not a valid email address."
DUPLICATE_EMAIL = "{email} is already on row {row}."
UNKNOWN_ROLE = "Unknown role “{role}”: use admin, manager or member."
UNKNOWN_MANAGER = "The manager {email} is neither in the organisation nor in this file."
PERSON_DEACTIVATED = (
    "{email} is deactivated in this organisation: reactivate them first, or remove this row."
)
NAME_TOO_LONG = f"The name is longer than {NAME_MAX} characters."
UNIT_NAME_TOO_LONG = f"The unit name “{{name}}” is longer than {UNIT_NAME_MAX} characters."
HAS_ERRORS = "Nothing was imported: some rows have errors."
MANAGER_NOT_JOINED = (
    "The manager {email} will be invited by this file and has not joined yet: "
    "leave the manager empty for now and set it once they accept."
)
CHANGED_MEANWHILE = (
    "Nothing was imported: some of these people were added by someone else at the same "
    "moment. Here is the file checked again; apply it if it is still right."
)

UnitKey = tuple[str, ...]  # a unit path, lowercased segment by segment; () is "no unit"


@dataclass(frozen=True)
class FieldChange:
    field: str  # "full_name", "unit", "manager" or "role"
    label: str
    before: str
    after: str


@dataclass
class PersonPlan:
    """One valid row of the file, resolved against the organisation."""

    row: int
    email: str
    full_name: str
    unit_key: UnitKey
    unit_path: str
    manager_email: str
    role: str
    membership: Membership | None = None
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def role_label(self) -> str:
        return Role(self.role).label


@dataclass(frozen=True)
class RowError:
    row: int
    message: str


@dataclass
class ImportPlan:
    units_to_create: list[tuple[str, str]]  # (path, parent path), parents first
    people_to_add: list[PersonPlan]
    people_to_change: list[PersonPlan]
    unchanged: int
    errors: list[RowError]
    ignored_columns: list[str]
    # Accounts that exist already: invited, they join when they accept.
    people_to_invite: list[PersonPlan]
    already_invited: int
    # What applying needs: ids of existing units and memberships, by key and email.
    unit_ids: dict[UnitKey, int] = field(repr=False)
    member_ids: dict[str, int] = field(repr=False)
    new_unit_keys: list[UnitKey] = field(repr=False)

    @property
    def has_changes(self) -> bool:
        return bool(
            self.units_to_create
            or self.people_to_add
            or self.people_to_change
            or self.people_to_invite
        )

    @property
    def can_apply(self) -> bool:
        return not self.errors and self.has_changes

    @property
    def summary(self) -> str:
        if self.errors:
            rows = len({error.row for error in self.errors})
            return (
                f"{_count(rows, 'row has', 'rows have')} errors. "
                "Nothing will be imported until the file is fixed."
            )
        waiting = f", {self.already_invited} already invited" if self.already_invited else ""
        if not self.has_changes:
            if not self.unchanged and not self.already_invited:
                return "No changes: the file lists nobody."
            people = _count(self.unchanged, "person", "people")
            return f"No changes: {people} already up to date{waiting}."
        parts = self._parts("to create", "to add", "to update", "to invite")
        return ", ".join([*parts, f"{self.unchanged} unchanged"]) + waiting + "."

    @property
    def applied_summary(self) -> str:
        if not self.has_changes:
            return "Nothing imported: everyone in the file was already up to date."
        parts = self._parts("created", "added", "updated", "invited")
        return "Imported: " + ", ".join(parts) + "."

    def _parts(self, create: str, add: str, update: str, invite: str) -> list[str]:
        counts = [
            (len(self.units_to_create), "unit", "units", create),
            (len(self.people_to_add), "person", "people", add),
            (len(self.people_to_change), "person", "people", update),
            (len(self.people_to_invite), "person", "people", invite),
        ]
        return [f"{_count(n, one, many)} {verb}" for n, one, many, verb in counts if n]


class ImportHasErrors(ValidationError):
    """Applying was refused: the plan (with its row errors) is attached."""

    def __init__(self, plan: ImportPlan, message: str = HAS_ERRORS) -> None:
        super().__init__(message)
        self.plan = plan


class ImportChangedMeanwhile(ImportHasErrors):
    """Someone added some of the file's people between the check and the write: nothing
    was written; the file checked again is attached."""

    def __init__(self, plan: ImportPlan) -> None:
        super().__init__(plan, CHANGED_MEANWHILE)


def _count(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n == 1 else plural}"


# --- Reading the file ---------------------------------------------------------


def read_upload(upload: UploadedFile) -> str:
    """The uploaded file as text: UTF-8 (a BOM is fine), nothing binary."""
    if upload.size is not None and upload.size > MAX_FILE_BYTES:
        raise ValidationError(FILE_TOO_LARGE)
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(NOT_CSV) from None
    return text


def _column_name(raw: str) -> str:
    return re.sub(r"[\s-]+", "_", raw.strip().lower())


def parse_csv(text: str) -> tuple[set[str], list[tuple[int, dict[str, str]]], list[str]]:
    """The known columns, each row as (row number, cells) and the ignored column names.

    Row numbers are those a spreadsheet shows: the header is row 1.
    """
    raw_header, records = read_table(text, not_csv=NOT_CSV, no_header=MISSING_EMAIL_COLUMN)
    header = [_column_name(name) for name in raw_header]
    if "email" not in header:
        raise ValidationError(MISSING_EMAIL_COLUMN)
    positions = {name: header.index(name) for name in COLUMNS if name in header}
    ignored = [name for name in header if name and name not in COLUMNS]
    rows = [
        (
            number,
            {name: record[i].strip() if i < len(record) else "" for name, i in positions.items()},
        )
        for number, record in records
    ]
    return set(positions), rows, ignored


# --- Planning -----------------------------------------------------------------


def _top_unit(org: Organization, units: dict[int, Unit]) -> Unit | None:
    """The unit that paths start from when they leave it out: the only top-level unit,
    or else the top-level unit named like the organisation."""
    tops = [unit for unit in units.values() if unit.parent_id is None]
    if len(tops) == 1:
        return tops[0]
    return next((unit for unit in tops if unit.name.lower() == org.name.lower()), None)


def top_unit_name(org: Organization) -> str | None:
    """The name of the unit that paths may leave out, for the help text."""
    units = {u.pk: u for u in Unit.objects.filter(org=org).only("pk", "name", "parent_id")}
    top = _top_unit(org, units)
    return top.name if top is not None else None


class _Units:
    """The organisation's units by path, and the units the file adds (one query).

    A path may start with the organisation's top unit or leave it out:
    "Acme/Engineering/Platform" and "Engineering/Platform" are the same unit.
    """

    def __init__(self, org: Organization) -> None:
        units = {u.pk: u for u in Unit.objects.filter(org=org).only("pk", "name", "parent_id")}
        top = _top_unit(org, units)
        self.top_name = top.name if top is not None else None
        self.key_of: dict[int, UnitKey] = {}
        self.path_of: dict[UnitKey, str] = {(): ""}
        self.ids: dict[UnitKey, int] = {}
        self.new: list[UnitKey] = []

        def key(pk: int) -> UnitKey:
            if pk not in self.key_of:
                unit = units[pk]
                parent = () if unit.parent_id is None else key(unit.parent_id)
                own = (*parent, unit.name.lower())
                self.key_of[pk] = own
                self.ids.setdefault(own, pk)
                self.path_of.setdefault(own, _join(self.path_of[parent], unit.name))
            return self.key_of[pk]

        for pk in units:
            key(pk)

    def resolve(self, names: list[str]) -> UnitKey:
        """The key of a path, remembering each missing unit on it (parents first)."""
        if names and self.top_name is not None and (names[0].lower(),) not in self.path_of:
            names = [self.top_name, *names]
        unit_key: UnitKey = ()
        for name in names:
            parent, unit_key = unit_key, (*unit_key, name.lower())
            if unit_key not in self.path_of:
                self.path_of[unit_key] = _join(self.path_of[parent], name)
                self.new.append(unit_key)
        return unit_key


def _join(parent_path: str, name: str) -> str:
    return f"{parent_path}/{name}" if parent_path else name


@dataclass
class _Row:
    number: int
    cells: dict[str, str]
    email: str = ""
    role: str = ""
    unit_names: list[str] = field(default_factory=list)
    manager_email: str = ""
    problems: list[str] = field(default_factory=list)


def _check_row(row: _Row, seen: dict[str, int], members: dict[str, Membership]) -> None:
    """Checks that need nothing but the row itself, the rows above it and the members."""
    raw_email = row.cells["email"]
    email = raw_email.lower()
    if not email:
        row.problems.append(EMAIL_REQUIRED)
    else:
        try:
            validate_email(email)
            if len(email) > EMAIL_MAX:
                raise ValidationError(BAD_EMAIL)
        except ValidationError:
            row.problems.append(BAD_EMAIL.format(email=raw_email))
        else:
            if email in seen:
                row.problems.append(DUPLICATE_EMAIL.format(email=email, row=seen[email]))
            else:
                seen[email] = row.number
                row.email = email
                member = members.get(email)
                if member is not None and not member.is_active:
                    row.problems.append(PERSON_DEACTIVATED.format(email=email))
    if len(row.cells.get("full_name", "")) > NAME_MAX:
        row.problems.append(NAME_TOO_LONG)
    role = row.cells.get("role", "").lower()
    if role and role not in Role.values:
        row.problems.append(UNKNOWN_ROLE.format(role=row.cells["role"]))
    row.role = role or Role.MEMBER
    row.unit_names = [name.strip() for name in row.cells.get("unit", "").split("/")]
    row.unit_names = [name for name in row.unit_names if name]
    for name in row.unit_names:
        if len(name) > UNIT_NAME_MAX:
            row.problems.append(UNIT_NAME_TOO_LONG.format(name=name[:40] + "…"))
    row.manager_email = row.cells.get("manager_email", "").lower()


def _accounts_elsewhere(org: Organization, emails: list[str]) -> dict[str, bool]:
    """Of these emails, those with an account: whether it has a usable invitation here."""
    if not emails:
        return {}
    pending = Invitation.objects.filter(
        org=org,
        email=OuterRef("email_lower"),
        accepted_at__isnull=True,
        expires_at__gt=timezone.now(),
    )
    return dict(
        User.objects.annotate(email_lower=Lower("email"))
        .filter(email_lower__in=emails)
        .annotate(invited=Exists(pending))
        .values_list("email_lower", "invited")
    )


def people_import_plan(*, org: Organization, text: str) -> ImportPlan:
    """Check a CSV file against the organisation and say what importing it would change.

    Three queries whatever the file's size: the memberships with their users, the
    accounts of the file's other emails (with their pending invitations), and the units.
    """
    columns, records, ignored = parse_csv(text)
    members = {
        m.user.email.lower(): m
        for m in Membership.objects.filter(org=org).select_related("user").order_by("pk")
    }
    email_of = {m.pk: email for email, m in members.items()}
    units = _Units(org)

    rows: list[_Row] = []
    seen: dict[str, int] = {}
    for number, cells in records:
        row = _Row(number=number, cells=cells)
        _check_row(row, seen, members)
        rows.append(row)
    people = [row for row in rows if row.email]  # first row of each valid email
    # Accounts that exist but are not in the organisation: to be invited, not added.
    elsewhere = _accounts_elsewhere(org, [row.email for row in people if row.email not in members])

    # Managers: someone in the file or an active member.
    for row in people:
        manager = row.manager_email
        if not manager:
            continue
        if manager == row.email:
            row.problems.append(SELF_MANAGER)
        elif manager in seen:
            if manager in elsewhere:
                row.problems.append(MANAGER_NOT_JOINED.format(email=manager))
        elif manager not in members:
            row.problems.append(UNKNOWN_MANAGER.format(email=manager))
        elif not members[manager].is_active:
            row.problems.append(INACTIVE_MANAGER)

    # Reporting loops, over the existing lines with the file's lines on top.
    if "manager_email" in columns:
        manager_of: dict[str, str | None] = {
            email: email_of.get(m.manager_id) for email, m in members.items()
        }
        for row in people:
            known = row.manager_email in seen or row.manager_email in members
            manager_of[row.email] = (
                row.manager_email if known and row.manager_email != row.email else None
            )
        looped = services.check_reporting_lines(manager_of)
        for row in people:
            if row.email in looped:
                row.problems.append(REPORTING_CYCLE.format(name=row.manager_email))

    # The organisation keeps at least one active admin.
    if "role" in columns:
        role_after = {email: m.role for email, m in members.items() if m.is_active}
        role_after.update({row.email: row.role for row in people if row.email not in elsewhere})
        admins = {email for email, m in members.items() if m.is_admin and m.is_active}
        kept = services.check_admins_left(roles_after=role_after, admins=admins)
        for row in people:
            if row.email in kept:
                row.problems.append(LAST_ADMIN)

    errors = [RowError(row.number, message) for row in rows for message in row.problems]
    to_add: list[PersonPlan] = []
    to_change: list[PersonPlan] = []
    to_invite: list[PersonPlan] = []
    unchanged = already_invited = 0
    for row in people:
        if row.problems:
            continue
        member = members.get(row.email)
        if row.email in elsewhere:
            if elsewhere[row.email]:
                already_invited += 1
            else:
                to_invite.append(_person_plan(row, None, columns, units, email_of))
            continue
        person = _person_plan(row, member, columns, units, email_of)
        if member is None:
            to_add.append(person)
        elif person.changes:
            to_change.append(person)
        else:
            unchanged += 1
    return ImportPlan(
        units_to_create=[(units.path_of[key], units.path_of[key[:-1]]) for key in units.new],
        people_to_add=to_add,
        people_to_change=to_change,
        unchanged=unchanged,
        errors=errors,
        ignored_columns=ignored,
        people_to_invite=to_invite,
        already_invited=already_invited,
        unit_ids=units.ids,
        member_ids={email: m.pk for email, m in members.items()},
        new_unit_keys=units.new,
    )


def _person_plan(
    row: _Row,
    member: Membership | None,
    columns: set[str],
    units: _Units,
    email_of: dict[int, str],
) -> PersonPlan:
    """The row's values, with what is left out taken from the member; and what changes."""
    full_name = row.cells.get("full_name", "")
    if member is None:
        unit_key = units.resolve(row.unit_names)
        return PersonPlan(
            row=row.number,
            email=row.email,
            full_name=full_name,
            unit_key=unit_key,
            unit_path=units.path_of[unit_key],
            manager_email=row.manager_email,
            role=row.role,
        )
    current_unit = units.key_of.get(member.unit_id, ()) if member.unit_id else ()
    current_manager = email_of.get(member.manager_id, "") if member.manager_id else ""
    unit_key = units.resolve(row.unit_names) if "unit" in columns else current_unit
    person = PersonPlan(
        row=row.number,
        email=row.email,
        # An account's name is the person's own: the file names only nameless accounts.
        full_name=member.user.full_name or full_name,
        unit_key=unit_key,
        unit_path=units.path_of[unit_key],
        manager_email=row.manager_email if "manager_email" in columns else current_manager,
        role=row.role if "role" in columns else member.role,
        membership=member,
    )
    candidates = [
        ("full_name", "Name", member.user.full_name, person.full_name),
        ("unit", "Unit", units.path_of[current_unit], person.unit_path),
        ("manager", "Reports to", current_manager, person.manager_email),
        ("role", "Role", Role(member.role).label, person.role_label),
    ]
    person.changes = [
        FieldChange(name, label, before or "—", after or "—")
        for name, label, before, after in candidates
        if before != after
    ]
    return person


# --- Applying -----------------------------------------------------------------


def people_import_apply(
    *,
    org: Organization,
    text: str,
    invited_by: Membership | None = None,
    invite_new_people: bool = True,
) -> ImportPlan:
    """Check the file again and, if every row is valid, write the plan in one transaction.

    Accounts that exist already are always invited (that is how they join);
    ``invite_new_people`` also emails the accounts this import creates.
    """
    plan = people_import_plan(org=org, text=text)
    if plan.errors:
        raise ImportHasErrors(plan)
    if not plan.has_changes:
        return plan
    try:
        with transaction.atomic():
            _write(org, plan, invited_by=invited_by, invite_new_people=invite_new_people)
    except IntegrityError:
        # Another import or invitation created one of these accounts or memberships
        # after the check: nothing of this one is kept; the file is checked again.
        raise ImportChangedMeanwhile(people_import_plan(org=org, text=text)) from None
    return plan


def _write(
    org: Organization, plan: ImportPlan, *, invited_by: Membership | None, invite_new_people: bool
) -> None:
    unit_ids = dict(plan.unit_ids)
    for key, (path, _) in zip(plan.new_unit_keys, plan.units_to_create, strict=True):
        unit = Unit.objects.create(
            org=org, name=path.rsplit("/", 1)[-1], parent_id=unit_ids.get(key[:-1])
        )
        unit_ids[key] = unit.pk

    member_ids = dict(plan.member_ids)
    new_members = _add_people(org=org, people=plan.people_to_add, unit_ids=unit_ids)
    member_ids.update({m.user.email.lower(): m.pk for m in new_members})

    changed_members: list[Membership] = []
    renamed_users: list[User] = []
    for person in plan.people_to_change:
        member = person.membership
        assert member is not None
        # Only what changes is set: a unit matched by path stays the same row.
        changed = {change.field for change in person.changes}
        if "role" in changed:
            member.role = person.role
        if "unit" in changed:
            member.unit_id = unit_ids.get(person.unit_key)
        if "manager" in changed:
            member.manager_id = member_ids.get(person.manager_email)
        if changed - {"full_name"}:
            changed_members.append(member)
        if "full_name" in changed:
            member.user.full_name = person.full_name
            renamed_users.append(member.user)
    for member, person in zip(new_members, plan.people_to_add, strict=True):
        if person.manager_email:
            member.manager_id = member_ids[person.manager_email]
            changed_members.append(member)
    Membership.objects.bulk_update(changed_members, ["role", "unit", "manager"], batch_size=500)
    User.objects.bulk_update(renamed_users, ["full_name"], batch_size=500)

    to_invite = list(plan.people_to_invite)
    if invite_new_people:
        to_invite += plan.people_to_add
    sent = [
        services.invitation_build(
            org=org,
            invited_by=invited_by,
            email=person.email,
            full_name=person.full_name,
            role=person.role,
            unit_id=unit_ids.get(person.unit_key),
            manager_id=member_ids.get(person.manager_email),
        )
        for person in to_invite
    ]
    Invitation.objects.bulk_create([invitation for invitation, _ in sent], batch_size=500)
    services.invitations_send(org=org, sent=sent)


def _add_people(
    *, org: Organization, people: list[PersonPlan], unit_ids: dict[UnitKey, int]
) -> list[Membership]:
    """New accounts and their memberships, in order. The accounts have no password
    until their owner accepts an invitation or resets it by email."""
    if not people:
        return []
    users = []
    for person in people:
        user = User(email=person.email, full_name=person.full_name)
        user.set_unusable_password()
        users.append(user)
    # Someone else creating one of these accounts meanwhile fails here, as a whole.
    User.objects.bulk_create(users, batch_size=500)
    return Membership.objects.bulk_create(
        [
            Membership(
                org=org,
                user=user,
                role=person.role,
                unit_id=unit_ids.get(person.unit_key),
            )
            for user, person in zip(users, people, strict=True)
        ],
        batch_size=500,
    )
