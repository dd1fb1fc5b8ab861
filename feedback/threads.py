"""Conversation on goals: comment threads on a goal and on its check-ins.

Rules (pages and the API call these):

- Whoever may see the goal (``goals.access``) reads and writes its thread; a
  private goal's thread is as private as the goal (404 otherwise). A check-in's
  thread is the goal's comments with ``checkin`` set.
- A comment's body is required, at most MAX_COMMENT characters (NUL bytes stripped).
- @mentions are membership ids; every one must be an active member of the
  organisation, else nothing is saved. Each mentioned person who may see the goal
  is notified once (Kind.MENTION); one who may not see it gets no notification
  (the mention is kept, and the author is told who was not notified).
- A comment notifies the goal's owner, a check-in comment also the check-in's
  author, and earlier commenters in the same thread (Kind.COMMENT); never the
  author, and a mentioned person hears of it once, as a mention.
- The author edits within EDIT_WINDOW of posting; each edit keeps the text before
  it (CommentRevision). Mentions added by an edit notify then; mentions are never
  taken away by an edit.
- The author or an admin removes a comment: its text, revisions and mentions go,
  a "comment removed" marker stays. The notifications that quoted it (inbox rows
  and emails not yet sent) quote REMOVED_QUOTE instead; an edit makes them quote
  the new text. They are found by their keys, ``comment:<pk>`` and ``mention:<pk>``.
- The goal's thread also shows the approval flow's comments (GoalEvents of the
  status kinds with a non-empty comment), read-only, in time order.

Query budget of a page of a thread: the comments (authors, check-ins and who
removed them joined), their mentions, and the approval comments: 3 queries
whatever the size of the thread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Func, JSONField, Prefetch, Q, QuerySet, Value
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, format_html, linebreaks
from django.utils.safestring import SafeString, mark_safe

from feedback.models import MAX_COMMENT, Comment, CommentRevision, Mention
from goals.access import Actor, get_goal
from goals.models import CheckIn, EventKind, Goal, GoalEvent
from notifications.models import Kind, Notification
from notifications.services import excerpt, notify
from orgs.models import Membership, Organization

EDIT_WINDOW = timedelta(minutes=15)
THREAD_PAGE = 20  # entries shown; "Show earlier comments" loads the ones before
THREAD_MAX_OFFSET = 100_000
MAX_MENTIONS = 20

BODY_EMPTY = "Write a comment."
BODY_TOO_LONG = f"Keep comments under {MAX_COMMENT:,} characters."
MENTION_OUTSIDE = "You can only mention colleagues in this organisation."
MENTION_TOO_MANY = f"Mention at most {MAX_MENTIONS} colleagues in one comment."
CHECKIN_NOT_ON_GOAL = "Choose a check-in of this goal."
EDIT_EXPIRED = "Comments can be edited for 15 minutes after posting."
EDIT_NOT_YOURS = "Only the author can edit a comment."
REMOVE_NOT_ALLOWED = "Only the author or an admin can remove a comment."
ALREADY_REMOVED = "This comment was removed."
NOT_NOTIFIED = "Not notified of the mention, as they cannot see this goal: {names}."
REMOVED_QUOTE = "(comment removed)"

# The approval flow's events whose comment belongs in the conversation.
APPROVAL_KINDS = {
    EventKind.SUBMITTED: "Submitted for approval by {who}",
    EventKind.APPROVED: "Approved by {who}",
    EventKind.CHANGES_REQUESTED: "Changes requested by {who}",
    EventKind.COMPLETED: "Completed by {who}",
    EventKind.CANCELLED: "Cancelled by {who}",
}


# --- Access --------------------------------------------------------------------------


def get_checkin(goal: Goal, pk: int | None) -> CheckIn:
    """A check-in of ``goal`` (404 for any other id)."""
    checkin = (
        CheckIn.objects.filter(org=goal.org_id, goal=goal, pk=pk or 0)
        .select_related("key_result", "author__user")
        .first()
    )
    if checkin is None:
        raise Http404("No such check-in")
    return checkin


def get_comment(actor: Actor, pk: int, *, for_update: bool = False) -> Comment:
    """The one access path to a comment: one on a goal the actor may not see, another
    organisation's or a missing one is 404."""
    qs = Comment.objects.select_related("author__user")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    comment = qs.filter(org=actor.member.org_id, pk=pk).first()
    if comment is None:
        raise Http404("No such comment")
    comment.goal = get_goal(actor, comment.goal_id)
    return comment


def may_edit(actor: Actor, comment: Comment, now: datetime | None = None) -> bool:
    return (
        comment.deleted_at is None
        and comment.author_id == actor.member.pk
        and (now or timezone.now()) - comment.created_at <= EDIT_WINDOW
    )


def may_remove(actor: Actor, comment: Comment) -> bool:
    return comment.deleted_at is None and (comment.author_id == actor.member.pk or actor.is_admin)


# --- Writing -------------------------------------------------------------------------


def _clean_body(body) -> str:
    text = (body if isinstance(body, str) else "").replace("\x00", "").strip()
    if not text:
        raise ValidationError({"body": BODY_EMPTY})
    if len(text) > MAX_COMMENT:
        raise ValidationError({"body": BODY_TOO_LONG})
    return text


def _mentioned(actor: Actor, ids) -> list[Membership]:
    """The active members of the actor's organisation with these ids (one query); any
    other id is a ValidationError."""
    wanted: list[int] = []
    for raw in ids or []:
        try:
            pk = int(raw)
        except (TypeError, ValueError):
            raise ValidationError({"mentions": MENTION_OUTSIDE}) from None
        if pk not in wanted:
            wanted.append(pk)
    if len(wanted) > MAX_MENTIONS:
        raise ValidationError({"mentions": MENTION_TOO_MANY})
    if not wanted or any(not 0 < pk < 2**63 for pk in wanted):
        if wanted:
            raise ValidationError({"mentions": MENTION_OUTSIDE})
        return []
    found = {
        m.pk: m
        for m in Membership.objects.filter(
            org=actor.member.org_id, pk__in=wanted, is_active=True
        ).select_related("user")
    }
    if len(found) != len(wanted):
        raise ValidationError({"mentions": MENTION_OUTSIDE})
    return [found[pk] for pk in wanted]


def _check(actor: Actor, body, mentions) -> tuple[str, list[Membership]]:
    """The cleaned body and the mentioned people; all field errors at once."""
    errors: dict[str, str] = {}
    text, people = "", []
    try:
        text = _clean_body(body)
    except ValidationError as error:
        errors |= {k: v[0] for k, v in error.message_dict.items()}
    try:
        people = _mentioned(actor, mentions)
    except ValidationError as error:
        errors |= {k: v[0] for k, v in error.message_dict.items()}
    if errors:
        raise ValidationError(errors)
    return text, people


def comment_path(comment: Comment, org_slug: str) -> str:
    """Where a comment is read: its goal's page, at the comment."""
    url = reverse("goals:goal_detail", args=[org_slug, comment.goal_id])
    return f"{url}#comment-{comment.pk}"


def _slug(goal: Goal) -> str:
    return Organization.objects.filter(pk=goal.org_id).values_list("slug", flat=True).get()


def _can_see(person: Membership, goal: Goal) -> bool:
    return person.is_active and Actor(person).can_view(goal)


def _notify_mentions(
    actor: Actor, comment: Comment, goal: Goal, people: list[Membership]
) -> list[Membership]:
    """Notify each mentioned person who may see the goal; answer those who may not."""
    unseen = []
    data = {
        "title": f"{actor.member.display_name} mentioned you in a comment on “{goal.title}”",
        "path": comment_path(comment, _slug(goal)),
        "quote": excerpt(comment.body),
    }
    for person in people:
        if person.pk == actor.member.pk:
            continue
        if not _can_see(person, goal):
            unseen.append(person)
            continue
        notify(
            org=goal.org_id,
            recipient=person,
            kind=Kind.MENTION,
            actor=actor.member,
            goal=goal,
            data=data,
            dedupe_key=f"mention:{comment.pk}",
        )
    return unseen


def _notify_thread(actor: Actor, comment: Comment, goal: Goal, mentioned: set[int]) -> None:
    """The goal's owner, the check-in's author and earlier commenters of this thread,
    each once, none of them the author or someone mentioned."""
    who = actor.member.display_name
    title = f"“{goal.title}”"
    checkin = comment.checkin
    sentences: dict[int, str] = {}
    if checkin is not None and checkin.author_id:
        sentences[checkin.author_id] = f"{who} commented on your check-in on {title}"
    if goal.owner_id not in sentences:
        sentences[goal.owner_id] = (
            f"{who} commented on a check-in on your goal {title}"
            if checkin is not None
            else f"{who} commented on your goal {title}"
        )
    earlier = (
        Comment.objects.filter(org=goal.org_id, goal=goal, checkin=checkin, deleted_at=None)
        .exclude(pk=comment.pk)
        .values_list("author_id", flat=True)
        .distinct()
    )
    for author_id in earlier:
        sentences.setdefault(author_id, f"{who} also commented on {title}")
    skip = mentioned | {actor.member.pk}
    ids = [pk for pk in sentences if pk not in skip]
    if not ids:
        return
    people = Membership.objects.filter(org=goal.org_id, pk__in=ids, is_active=True)
    path, quote = comment_path(comment, _slug(goal)), excerpt(comment.body)
    for person in people.select_related("user"):
        if not Actor(person).can_view(goal):
            continue  # lost sight of a goal made private since
        notify(
            org=goal.org_id,
            recipient=person,
            kind=Kind.COMMENT,
            actor=actor.member,
            goal=goal,
            data={"title": sentences[person.pk], "path": path, "quote": quote},
            dedupe_key=f"comment:{comment.pk}",
        )


class _WithQuote(Func):
    """A notification's ``data`` with its "quote" set to a text, computed by the
    database, so every row quoting a comment is rewritten by one UPDATE whatever
    each row's own title."""

    output_field = JSONField()

    def __init__(self, text: str):
        super().__init__(F("data"), Value(text))

    def as_sql(self, compiler, connection, **extra):  # SQLite (JSON stored as text)
        data, text = (compiler.compile(e) for e in self.get_source_expressions())
        return f"json_set({data[0]}, '$.quote', {text[0]})", [*data[1], *text[1]]

    def as_postgresql(self, compiler, connection, **extra):
        data, text = (compiler.compile(e) for e in self.get_source_expressions())
        quote = f"jsonb_build_object('quote', {text[0]}::text)"
        sql = f"(COALESCE({data[0]}, '{{}}'::jsonb) || {quote})"
        return sql, [*data[1], *text[1]]


def _requote(comment: Comment, quote: str) -> int:
    """Every notification of ``comment`` (the thread's and the mentions') now quotes
    ``quote``; one query. Emails still pending read the quote when they are sent."""
    return Notification.objects.filter(
        org=comment.org_id,
        kind__in=[Kind.COMMENT, Kind.MENTION],
        dedupe_key__in=[f"comment:{comment.pk}", f"mention:{comment.pk}"],
    ).update(data=_WithQuote(quote))


def _add_mentions(comment: Comment, people: list[Membership]) -> None:
    Mention.objects.bulk_create(
        [Mention(org_id=comment.org_id, comment=comment, person=p) for p in people]
    )


@transaction.atomic
def comment_post(
    *,
    actor: Actor,
    goal: Goal,
    body: str,
    checkin: CheckIn | None = None,
    mentions: list | None = None,
) -> Comment:
    """A comment by ``actor`` on ``goal`` (on one of its check-ins with ``checkin``).

    ``goal`` comes from ``get_goal`` (the actor may see it). The answer carries
    ``not_notified``: the mentioned people who may not see the goal.
    """
    if not actor.can_view(goal) or goal.org_id != actor.member.org_id:
        raise Http404("No such goal")
    errors: dict[str, str] = {}
    try:
        text, people = _check(actor, body, mentions)
    except ValidationError as error:
        errors |= {k: v[0] for k, v in error.message_dict.items()}
    if checkin is not None and (checkin.goal_id != goal.pk or checkin.org_id != goal.org_id):
        errors["checkin"] = CHECKIN_NOT_ON_GOAL
    if errors:
        raise ValidationError(errors)
    comment = Comment.objects.create(
        org_id=goal.org_id, author=actor.member, goal=goal, checkin=checkin, body=text
    )
    _add_mentions(comment, people)
    comment.not_notified = _notify_mentions(actor, comment, goal, people)
    _notify_thread(actor, comment, goal, {p.pk for p in people})
    return comment


@transaction.atomic
def comment_edit(
    *, actor: Actor, comment: Comment, body: str, mentions: list | None = None
) -> Comment:
    """The author rewrites their comment within EDIT_WINDOW; the old text is kept.
    People newly mentioned are notified now."""
    locked = get_comment(actor, comment.pk, for_update=True)
    if locked.author_id != actor.member.pk:
        raise PermissionDenied(EDIT_NOT_YOURS)
    if locked.deleted_at is not None:
        raise ValidationError({"body": ALREADY_REMOVED})
    if not may_edit(actor, locked):
        raise ValidationError({"body": EDIT_EXPIRED})
    text, people = _check(actor, body, mentions)
    already = set(
        Mention.objects.filter(org=locked.org_id, comment=locked).values_list(
            "person_id", flat=True
        )
    )
    new = [p for p in people if p.pk not in already]
    if text != locked.body:
        CommentRevision.objects.create(org_id=locked.org_id, comment=locked, body=locked.body)
        locked.body = text
        locked.edited_at = timezone.now()
        locked.save(update_fields=["body", "edited_at", "updated_at"])
        _requote(locked, excerpt(text))
    _add_mentions(locked, new)
    locked.not_notified = _notify_mentions(actor, locked, locked.goal, new)
    return locked


@transaction.atomic
def comment_remove(*, actor: Actor, comment: Comment) -> Comment:
    """The author or an admin removes a comment: the text, its earlier versions and its
    mentions go; a marker stays in the thread and in the notifications that quoted it."""
    locked = get_comment(actor, comment.pk, for_update=True)
    if locked.deleted_at is not None:
        return locked
    if not may_remove(actor, locked):
        raise PermissionDenied(REMOVE_NOT_ALLOWED)
    CommentRevision.objects.filter(org=locked.org_id, comment=locked).delete()
    Mention.objects.filter(org=locked.org_id, comment=locked).delete()
    locked.body = ""
    locked.deleted_at = timezone.now()
    locked.deleted_by = actor.member
    locked.save(update_fields=["body", "deleted_at", "deleted_by", "updated_at"])
    _requote(locked, REMOVED_QUOTE)
    return locked


def not_notified_message(people: list[Membership]) -> str:
    """What the author reads when some mentioned people may not see the goal."""
    if not people:
        return ""
    return NOT_NOTIFIED.format(names=", ".join(p.display_name for p in people))


# --- Reading -------------------------------------------------------------------------


def thread_comments(*, goal: Goal, checkin: CheckIn | None = None) -> QuerySet[Comment]:
    """A goal's comments (all of them, check-ins' included), or one check-in's; with
    authors, check-ins and removers joined and mentions prefetched (two queries)."""
    qs = Comment.objects.filter(org=goal.org_id, goal=goal)
    if checkin is not None:
        qs = qs.filter(checkin=checkin)
    mentions = Mention.objects.filter(org=goal.org_id).select_related("person__user")
    return qs.select_related(
        "author__user", "deleted_by__user", "checkin__key_result"
    ).prefetch_related(Prefetch("mentions", queryset=mentions))


def approval_comments(goal: Goal) -> QuerySet[GoalEvent]:
    return (
        GoalEvent.objects.filter(org=goal.org_id, goal=goal, kind__in=list(APPROVAL_KINDS))
        .exclude(comment="")
        .select_related("actor__user")
    )


def with_comment_counts(checkins: QuerySet[CheckIn]) -> QuerySet[CheckIn]:
    """Check-ins annotated with ``comment_count`` (comments not removed)."""
    return checkins.annotate(
        comment_count=Count("comments", filter=Q(comments__deleted_at=None), distinct=True)
    )


_NAME_BOUNDARY = r"(?![\w])"


def render_body(comment: Comment, org_slug: str) -> SafeString:
    """The comment's text, escaped, with each mentioned person's "@Name" linked to
    their page; line breaks kept. Nothing of the body is ever taken as HTML."""
    text = escape(comment.body)
    people = {f"@{m.person.display_name}": m.person_id for m in comment.mentions.all()}
    if people:
        names = sorted(people, key=len, reverse=True)
        pattern = re.compile("|".join(re.escape(escape(n)) for n in names) + _NAME_BOUNDARY)
        by_escaped = {escape(n): pk for n, pk in people.items()}

        def link(match: re.Match) -> str:
            pk = by_escaped[match.group(0)]
            return format_html(
                '<a class="mention" href="/o/{}/colleagues/{}/">{}</a>',
                org_slug,
                pk,
                mark_safe(match.group(0)),  # already escaped above
            )

        text = pattern.sub(link, text)
    return mark_safe(linebreaks(mark_safe(text), autoescape=False))


@dataclass
class Entry:
    """One item of a thread: a comment or an approval comment (``event``)."""

    when: datetime
    comment: Comment | None = None
    event: GoalEvent | None = None
    html: SafeString | str = ""
    headline: str = ""
    can_edit: bool = False
    can_remove: bool = False
    removed_by: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def anchor(self) -> str:
        if self.comment is not None:
            return f"comment-{self.comment.pk}"
        return f"approval-{self.event.pk}"


def entry_for(actor: Actor, c: Comment, org_slug: str, now: datetime | None = None) -> Entry:
    """A comment as the thread shows it (its mentions prefetched)."""
    removed = c.deleted_at is not None
    entry = Entry(
        when=c.created_at,
        comment=c,
        html="" if removed else render_body(c, org_slug),
        can_edit=may_edit(actor, c, now),
        can_remove=may_remove(actor, c),
    )
    if removed and c.deleted_by_id != c.author_id:
        entry.removed_by = c.deleted_by.display_name if c.deleted_by else "an admin"
    return entry


def _newest_first(entry: Entry) -> tuple:
    pk = entry.comment.pk if entry.comment is not None else entry.event.pk
    return (entry.when, entry.comment is not None, pk)


@dataclass
class ThreadPage:
    goal: Goal
    checkin: CheckIn | None
    entries: list[Entry]
    offset: int
    next_offset: int | None


def thread_page(
    *, actor: Actor, goal: Goal, org_slug: str, checkin: CheckIn | None = None, offset: int = 0
) -> ThreadPage:
    """The newest THREAD_PAGE entries from ``offset`` (counted from the newest), shown
    oldest first; the goal's thread has the approval comments too. Three queries."""
    offset = min(max(0, offset), THREAD_MAX_OFFSET)
    wanted = offset + THREAD_PAGE + 1
    comments = list(
        thread_comments(goal=goal, checkin=checkin).order_by("-created_at", "-pk")[:wanted]
    )
    events = [] if checkin is not None else list(approval_comments(goal)[:wanted])
    now = timezone.now()
    merged = [entry_for(actor, c, org_slug, now) for c in comments]
    for e in events:
        who = e.actor.display_name if e.actor else "someone who left"
        merged.append(
            Entry(when=e.created_at, event=e, headline=APPROVAL_KINDS[e.kind].format(who=who))
        )
    merged.sort(key=_newest_first, reverse=True)
    page = merged[offset : offset + THREAD_PAGE]
    more = len(merged) > offset + THREAD_PAGE
    return ThreadPage(
        goal=goal,
        checkin=checkin,
        entries=list(reversed(page)),
        offset=offset,
        next_offset=offset + THREAD_PAGE if more else None,
    )
