"""Recognition ("kudos"): the services that write it and the selectors that read it.

Rules:
- Kudos are public within the organisation. A giver recognises 1 to MAX_RECIPIENTS
  active colleagues (never themselves), with a message (required, at most MAX_KUDOS
  characters), optionally one active company value of the organisation and up to
  MAX_GOALS goals owned by the recipients that the giver may see. Everything is
  checked before anything is written; a refusal is a ValidationError keyed by field.
- A goal link to a goal the viewer may not see is shown as "a private goal" (no title).
- Each recipient is notified (Kind.RECOGNITION) with the sentence, the message and a
  link to the kudos.
- Each member adds each reaction emoji at most once per kudos (their own kudos too).
- Company values are configured by admins: a name (unique in the organisation, at most
  60 characters), a description, one emoji or none, a #rrggbb colour; archived values
  stay on old kudos but cannot be chosen.

Queries: a page of the feed reads the kudos (givers and values joined), their
recipients, their goals and the reaction counts: four, whatever the page holds
(``hydrate``). The counts for a cycle read one or two queries each.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404
from django.urls import reverse

from feedback.models import (
    MAX_KUDOS,
    CompanyValue,
    Reaction,
    ReactionEmoji,
    Recognition,
    RecognitionGoal,
    RecognitionRecipient,
)
from goals.access import Actor
from goals.models import Cycle, Goal
from notifications.models import Kind
from notifications.services import notify
from orgs.models import Membership, Organization, Unit
from orgs.selectors import unit_subtree

MAX_RECIPIENTS = 20
MAX_GOALS = 5
FEED_PAGE = 20
TOP_VALUES = 5
LATEST_SHOWN = 3
QUOTE_LENGTH = 300

NO_RECIPIENT = "Choose at least one colleague to recognise."
TOO_MANY_RECIPIENTS = f"Recognise at most {MAX_RECIPIENTS} colleagues at a time."
TO_SELF = "Kudos are for colleagues: take yourself off the list."
NOT_A_COLLEAGUE = "Choose active colleagues in this organisation."
MESSAGE_EMPTY = "Write what they did well."
MESSAGE_TOO_LONG = f"Keep the message under {MAX_KUDOS:,} characters."
VALUE_UNAVAILABLE = "Choose one of the organisation's current values, or none."
GOAL_NOT_THEIRS = "Choose goals of the people you recognise, or none."
TOO_MANY_GOALS = f"Link at most {MAX_GOALS} goals."
EMOJI_UNKNOWN = "Choose one of the reactions offered."
ADMINS_ONLY = "Only admins of this organisation can change its values."
VALUE_NAME_EMPTY = "Give the value a name."
VALUE_NAME_TOO_LONG = "Keep the name under 60 characters."
VALUE_NAME_TAKEN = "Another value already has this name."
VALUE_DESCRIPTION_TOO_LONG = "Keep the description under 300 characters."
VALUE_EMOJI_INVALID = "Enter one emoji, or leave it empty."
VALUE_COLOUR_INVALID = "Enter a colour as #rrggbb, for example #0b6e5f."

COLOUR_RE = re.compile(r"#[0-9a-fA-F]{6}")
ZWJ = "\u200d"


# --- Company values ------------------------------------------------------------


def is_one_emoji(text: str) -> bool:
    """Whether ``text`` is a single emoji: one pictograph, or several joined by ZWJ, with
    variation selectors and skin tones, or a flag (two regional indicators)."""
    if not text or len(text) > 8 or any(ch.isascii() for ch in text):
        return False
    if unicodedata.category(text[0]) != "So":
        return False
    bases, regional, previous = 0, 0, ""
    for ch in text:
        category = unicodedata.category(ch)
        if 0x1F1E6 <= ord(ch) <= 0x1F1FF:
            regional += 1
        elif category == "So":
            if previous != ZWJ:
                bases += 1
        elif not (category in ("Mn", "Me", "Sk") or ch == ZWJ or 0x1F3FB <= ord(ch) <= 0x1F3FF):
            return False
        previous = ch
    if regional:
        return regional == 2 and bases == 0
    return bases == 1


def _clean_text(value) -> str:
    return str(value or "").replace("\x00", "").strip()


def _value_errors(*, org_id: int, fields: dict, instance: CompanyValue | None) -> dict:
    errors: dict[str, str] = {}
    if "name" in fields:
        name = fields["name"]
        if not name:
            errors["name"] = VALUE_NAME_EMPTY
        elif len(name) > 60:
            errors["name"] = VALUE_NAME_TOO_LONG
        else:
            taken = CompanyValue.objects.filter(org=org_id, name__iexact=name)
            if instance is not None:
                taken = taken.exclude(pk=instance.pk)
            if taken.exists():
                errors["name"] = VALUE_NAME_TAKEN
    if len(fields.get("description", "")) > 300:
        errors["description"] = VALUE_DESCRIPTION_TOO_LONG
    if fields.get("emoji") and not is_one_emoji(fields["emoji"]):
        errors["emoji"] = VALUE_EMOJI_INVALID
    if "colour" in fields and not COLOUR_RE.fullmatch(fields["colour"]):
        errors["colour"] = VALUE_COLOUR_INVALID
    return errors


def _value_fields(raw: dict) -> dict:
    fields = {}
    for name in ("name", "description", "emoji", "colour"):
        if name in raw:
            fields[name] = _clean_text(raw[name])
    if "colour" in fields:
        fields["colour"] = fields["colour"].lower()
    if "is_active" in raw:
        fields["is_active"] = bool(raw["is_active"])
    return fields


@transaction.atomic
def value_create(
    *, actor: Actor, name: str, description: str = "", emoji: str = "", colour: str = "#0b6e5f"
) -> CompanyValue:
    """An admin adds a company value, placed after the others."""
    if not actor.is_admin:
        raise PermissionDenied(ADMINS_ONLY)
    org_id = actor.member.org_id
    fields = _value_fields(
        {"name": name, "description": description, "emoji": emoji, "colour": colour}
    )
    errors = _value_errors(org_id=org_id, fields=fields, instance=None)
    if errors:
        raise ValidationError(errors)
    last = CompanyValue.objects.filter(org=org_id).aggregate(last=Max("position"))["last"]
    try:
        with transaction.atomic():
            return CompanyValue.objects.create(
                org_id=org_id, position=0 if last is None else last + 1, **fields
            )
    except IntegrityError:  # the same name saved a moment before
        raise ValidationError({"name": VALUE_NAME_TAKEN}) from None


@transaction.atomic
def value_update(*, actor: Actor, value: CompanyValue, **changes) -> CompanyValue:
    """An admin edits, archives (``is_active=False``) or restores a value."""
    if not actor.is_admin:
        raise PermissionDenied(ADMINS_ONLY)
    fields = _value_fields(changes)
    errors = _value_errors(org_id=value.org_id, fields=fields, instance=value)
    if errors:
        raise ValidationError(errors)
    for name, new in fields.items():
        setattr(value, name, new)
    try:
        with transaction.atomic():
            value.save()
    except IntegrityError:
        raise ValidationError({"name": VALUE_NAME_TAKEN}) from None
    return value


@transaction.atomic
def value_move(*, actor: Actor, value: CompanyValue, up: bool) -> None:
    """An admin moves a value one place up or down in the list (renumbering them all)."""
    if not actor.is_admin:
        raise PermissionDenied(ADMINS_ONLY)
    values = list(CompanyValue.objects.filter(org=value.org_id).select_for_update())
    at = next(i for i, v in enumerate(values) if v.pk == value.pk)
    to = at - 1 if up else at + 1
    if 0 <= to < len(values):
        values[at], values[to] = values[to], values[at]
    changed = []
    for position, item in enumerate(values):
        if item.position != position:
            item.position = position
            changed.append(item)
    CompanyValue.objects.bulk_update(changed, ["position"])


def values_of(org: Organization | int) -> QuerySet[CompanyValue]:
    """The organisation's values in their order, archived ones included."""
    return CompanyValue.objects.filter(org=org)


def get_value(actor: Actor, pk: int) -> CompanyValue:
    """A value of the actor's organisation; another organisation's or none: 404."""
    value = CompanyValue.objects.filter(org=actor.member.org_id, pk=pk).first()
    if value is None:
        raise Http404("No such value")
    return value


# --- Giving kudos --------------------------------------------------------------


def _check_message(message: str) -> tuple[str, str | None]:
    text = _clean_text(message)
    if not text:
        return text, MESSAGE_EMPTY
    if len(text) > MAX_KUDOS:
        return text, MESSAGE_TOO_LONG
    return text, None


def kudos_title(giver: Membership, value: CompanyValue | None) -> str:
    """The sentence the recipient reads: "Ann Lee recognised you for Customers first"."""
    if value is None:
        return f"{giver.display_name} recognised you"
    return f"{giver.display_name} recognised you for {value.name}"


@transaction.atomic
def give_kudos(
    *,
    actor: Actor,
    recipients: list[Membership | None],
    message: str,
    value: CompanyValue | None = None,
    goals: list[Goal | None] | tuple = (),
) -> Recognition:
    """Kudos from ``actor`` to colleagues; each is notified. All or nothing."""
    org_id = actor.member.org_id
    errors: dict[str, str] = {}
    people = list({p.pk if p else 0: p for p in recipients}.values())
    if not people:
        errors["recipients"] = NO_RECIPIENT
    elif len(people) > MAX_RECIPIENTS:
        errors["recipients"] = TOO_MANY_RECIPIENTS
    elif any(p is not None and p.pk == actor.member.pk for p in people):
        errors["recipients"] = TO_SELF
    elif not all(p is not None and p.org_id == org_id and p.is_active for p in people):
        errors["recipients"] = NOT_A_COLLEAGUE
    text, problem = _check_message(message)
    if problem:
        errors["message"] = problem
    if value is not None and (value.org_id != org_id or not value.is_active):
        errors["value"] = VALUE_UNAVAILABLE
    chosen = list({g.pk if g else 0: g for g in goals}.values())
    if len(chosen) > MAX_GOALS:
        errors["goals"] = TOO_MANY_GOALS
    elif chosen:
        owners = {p.pk for p in people if p is not None}
        if not all(
            g is not None and g.org_id == org_id and g.owner_id in owners and actor.can_view(g)
            for g in chosen
        ):
            errors["goals"] = GOAL_NOT_THEIRS
    if errors:
        raise ValidationError(errors)
    kudos = Recognition.objects.create(org_id=org_id, giver=actor.member, message=text, value=value)
    RecognitionRecipient.objects.bulk_create(
        [
            RecognitionRecipient(
                org_id=org_id, recognition=kudos, person=p, created_at=kudos.created_at
            )
            for p in people
        ]
    )
    RecognitionGoal.objects.bulk_create(
        [RecognitionGoal(org_id=org_id, recognition=kudos, goal=g) for g in chosen]
    )
    slug = actor.member.org.slug
    data = {
        "title": kudos_title(actor.member, value),
        "path": reverse("recognition:detail", args=[slug, kudos.pk]),
        "quote": text[:QUOTE_LENGTH],
    }
    for person in people:
        notify(
            org=org_id,
            recipient=person,
            kind=Kind.RECOGNITION,
            actor=actor.member,
            data=data,
            dedupe_key=f"recognition:{kudos.pk}",
        )
    return kudos


# --- Reactions -----------------------------------------------------------------


def _check_emoji(emoji: str) -> None:
    if emoji not in ReactionEmoji.values:
        raise ValidationError({"emoji": EMOJI_UNKNOWN})


def react(*, actor: Actor, recognition: Recognition, emoji: str) -> None:
    """Add ``actor``'s reaction (nothing happens if it is already there)."""
    _check_emoji(emoji)
    Reaction.objects.get_or_create(
        org_id=recognition.org_id, recognition=recognition, person=actor.member, emoji=emoji
    )


def unreact(*, actor: Actor, recognition: Recognition, emoji: str) -> None:
    """Take ``actor``'s reaction back (nothing happens if there is none)."""
    _check_emoji(emoji)
    Reaction.objects.filter(
        org=recognition.org_id, recognition=recognition, person=actor.member, emoji=emoji
    ).delete()


@transaction.atomic
def toggle_reaction(*, actor: Actor, recognition: Recognition, emoji: str) -> bool:
    """Add the reaction, or take it back if it was there; whether it is there now."""
    _check_emoji(emoji)
    removed, _ = Reaction.objects.filter(
        org=recognition.org_id, recognition=recognition, person=actor.member, emoji=emoji
    ).delete()
    if removed:
        return False
    react(actor=actor, recognition=recognition, emoji=emoji)
    return True


# --- Reading -------------------------------------------------------------------


def get_recognition(actor: Actor, pk: int) -> Recognition:
    """A kudos of the actor's organisation (all are public in it); else 404."""
    found = (
        Recognition.objects.filter(org=actor.member.org_id, pk=pk)
        .select_related("giver__user", "value")
        .first()
    )
    if found is None:
        raise Http404("No such kudos")
    return found


@dataclass
class Filters:
    unit: Unit | None = None
    person: Membership | None = None
    value: CompanyValue | None = None


def feed(*, org: Organization | int, filters: Filters | None = None) -> QuerySet[Recognition]:
    """The organisation's kudos, newest first, narrowed by the recipients' unit (with the
    units below it), a recipient, or a value."""
    qs = Recognition.objects.filter(org=org).order_by("-created_at", "-pk")
    filters = filters or Filters()
    if filters.unit is not None:
        received = RecognitionRecipient.objects.filter(
            org=org, person__unit__in=unit_subtree(filters.unit).values("pk")
        )
        qs = qs.filter(pk__in=received.values("recognition"))
    if filters.person is not None:
        received = RecognitionRecipient.objects.filter(org=org, person=filters.person)
        qs = qs.filter(pk__in=received.values("recognition"))
    if filters.value is not None:
        qs = qs.filter(value=filters.value)
    return qs


def cursor_of(kudos: Recognition) -> str:
    """The keyset position after ``kudos``: "<microseconds since the epoch>-<id>"."""
    micros = int(kudos.created_at.timestamp() * 1_000_000)
    return f"{micros}-{kudos.pk}"


def parse_cursor(raw: str) -> tuple[datetime, int] | None:
    """The (created_at, id) in a cursor, or None when it could not be one."""
    micros, _, pk = (raw or "").partition("-")
    if not (micros.isascii() and micros.isdigit() and pk.isascii() and pk.isdigit()):
        return None
    if len(micros) > 17 or len(pk) > 18:
        return None
    try:
        when = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(micros))
    except OverflowError:
        return None
    return when, int(pk)


def feed_page(
    qs: QuerySet[Recognition], *, after: tuple[datetime, int] | None, size: int = FEED_PAGE
) -> tuple[list[Recognition], str | None]:
    """A page of ``qs`` after the cursor, and the cursor of the next page (None at the end)."""
    if after is not None:
        when, pk = after
        qs = qs.filter(Q(created_at__lt=when) | Q(created_at=when, pk__lt=pk))
    found = list(qs.select_related("giver__user", "value")[: size + 1])
    page = found[:size]
    return page, cursor_of(page[-1]) if len(found) > size else None


@dataclass
class GoalLink:
    goal_id: int
    title: str  # empty when the viewer may not see the goal
    visible: bool


REACTION_NAMES = {
    ReactionEmoji.CLAP: "Applause",
    ReactionEmoji.TADA: "Celebrate",
    ReactionEmoji.HEART: "Love it",
    ReactionEmoji.BULB: "Insightful",
    ReactionEmoji.ROCKET: "Impressive",
}


@dataclass
class ReactionCount:
    emoji: str
    label: str  # the emoji itself
    count: int
    mine: bool

    @property
    def name(self) -> str:
        return REACTION_NAMES.get(self.emoji, self.emoji)


def hydrate(actor: Actor, kudos: list[Recognition]) -> list[Recognition]:
    """Give each kudos ``people`` (recipients), ``goal_links`` and ``reaction_counts``:
    three queries for the whole list (the viewer's reporting subtree once, if needed)."""
    if not kudos:
        return kudos
    org_id = actor.member.org_id
    ids = [k.pk for k in kudos]
    by_id = {k.pk: k for k in kudos}
    for k in kudos:
        k.people, k.goal_links = [], []
    recipients = (
        RecognitionRecipient.objects.filter(org=org_id, recognition__in=ids)
        .select_related("person__user")
        .order_by("pk")
    )
    for row in recipients:
        by_id[row.recognition_id].people.append(row.person)
    links = (
        RecognitionGoal.objects.filter(org=org_id, recognition__in=ids)
        .select_related("goal")
        .only("recognition_id", "goal__id", "goal__title", "goal__visibility", "goal__owner_id")
        .order_by("pk")
    )
    for link in links:
        visible = actor.can_view(link.goal)
        by_id[link.recognition_id].goal_links.append(
            GoalLink(link.goal_id, link.goal.title if visible else "", visible)
        )
    counts = (
        Reaction.objects.filter(org=org_id, recognition__in=ids)
        .values("recognition_id", "emoji")
        .annotate(n=Count("pk"), mine=Count("pk", filter=Q(person=actor.member)))
        .order_by()
    )
    found = {(c["recognition_id"], c["emoji"]): c for c in counts}
    for k in kudos:
        k.reaction_counts = [
            ReactionCount(
                emoji,
                label,
                found.get((k.pk, emoji), {}).get("n", 0),
                bool(found.get((k.pk, emoji), {}).get("mine", 0)),
            )
            for emoji, label in ReactionEmoji.choices
        ]
    return kudos


# --- Counts for a cycle ----------------------------------------------------------


def active_cycle(org: Organization | int) -> Cycle | None:
    """The organisation's active cycle (the latest if several), else None: one query."""
    return Cycle.objects.filter(org=org, status=Cycle.Status.ACTIVE).order_by("-start").first()


def cycle_span(org: Organization, cycle: Cycle) -> tuple[datetime, datetime]:
    """From the cycle's first day's midnight to the midnight after its last, in the
    organisation's time zone."""
    try:
        tz = ZoneInfo(org.timezone)
    except (ValueError, KeyError):
        tz = ZoneInfo("UTC")
    start = datetime.combine(cycle.start, time.min, tzinfo=tz)
    end = datetime.combine(cycle.end + timedelta(days=1), time.min, tzinfo=tz)
    return start, end


def _received_in(org: Organization, cycle: Cycle) -> QuerySet[RecognitionRecipient]:
    start, end = cycle_span(org, cycle)
    return RecognitionRecipient.objects.filter(org=org, created_at__gte=start, created_at__lt=end)


def person_summary(*, org, person, cycle) -> dict | None:
    """What the person page shows about the kudos ``person`` received in ``cycle``: the
    number, the number per value and the latest LATEST_SHOWN. Two queries."""
    if cycle is None or person is None:
        return None
    received = _received_in(org, cycle).filter(person=person)
    by_value = list(
        received.values(
            "recognition__value_id",
            "recognition__value__name",
            "recognition__value__emoji",
            "recognition__value__colour",
        )
        .annotate(n=Count("pk"))
        .order_by("-n", "recognition__value__name")
    )
    latest = list(
        Recognition.objects.filter(org=org, pk__in=received.values("recognition"))
        .select_related("giver__user", "value")
        .order_by("-created_at", "-pk")[:LATEST_SHOWN]
    )
    return {
        "person": person,
        "cycle": cycle,
        "count": sum(row["n"] for row in by_value),
        "by_value": [
            {
                "id": row["recognition__value_id"],
                "name": row["recognition__value__name"],
                "emoji": row["recognition__value__emoji"],
                "colour": row["recognition__value__colour"],
                "count": row["n"],
            }
            for row in by_value
            if row["recognition__value_id"] is not None
        ],
        "latest": latest,
    }


def kudos_counts(*, org: Organization, cycle: Cycle | None, people: list[int]) -> dict[int, int]:
    """Kudos each of ``people`` received in ``cycle``: one query."""
    if cycle is None or not people:
        return {}
    rows = (
        _received_in(org, cycle)
        .filter(person__in=people)
        .values("person_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["person_id"]: row["n"] for row in rows}


def org_summary(*, org: Organization) -> dict | None:
    """The org home's figures for the active cycle: the number of kudos and the most
    recognised values. Two queries (the cycle; the kudos per value), one without a cycle."""
    cycle = active_cycle(org)
    if cycle is None:
        return None
    start, end = cycle_span(org, cycle)
    per_value = list(
        Recognition.objects.filter(org=org, created_at__gte=start, created_at__lt=end)
        .values("value_id", "value__name", "value__emoji", "value__colour", "value__is_active")
        .annotate(n=Count("pk"))
        .order_by("-n", "value__position", "value__name")
    )
    top = [
        {
            "pk": row["value_id"],
            "name": row["value__name"],
            "emoji": row["value__emoji"],
            "colour": row["value__colour"],
            "is_active": row["value__is_active"],
            "n": row["n"],
        }
        for row in per_value
        if row["value_id"] is not None
    ]
    return {
        "cycle": cycle,
        "count": sum(row["n"] for row in per_value),
        "top_values": top[:TOP_VALUES],
    }
