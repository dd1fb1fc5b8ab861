"""Thread pages: a goal's conversation (on its page and on its own), a check-in's
thread expanded in place, posting, editing and removing comments, and the @mention
suggestions. Views parse, call feedback.threads, render.

Every page works without JavaScript: "Show earlier comments", "N comments" and the
edit and remove buttons are plain links and forms that htmx enhances. Without
JavaScript a comment can be written but nobody can be @mentioned (the suggestions
need it). A page of a thread reads three queries whatever its size.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.htmx import page_or_partial
from core.params import text_param, to_id
from feedback import threads
from feedback.models import Comment
from goals.access import Actor, get_goal, request_actor
from goals.models import CheckIn, Goal
from orgs.models import Membership
from orgs.selectors import colleagues_matching

POSTED = "Comment posted."
EDITED = "Comment saved."
REMOVED = "Comment removed."
MENTION_SUGGESTIONS = 8
TEMPLATE = "feedback/thread.html"


def _offset(request: HttpRequest) -> int:
    return min(to_id(request.GET.get("earlier", "")) or 0, threads.THREAD_MAX_OFFSET)


def _checkin(goal: Goal, raw: str | None) -> CheckIn | None:
    """The check-in named by ``raw`` (it must be one of the goal's: else 404)."""
    if raw in (None, ""):
        return None
    return threads.get_checkin(goal, to_id(raw))


def thread_context(
    request: HttpRequest,
    actor: Actor,
    goal: Goal,
    checkin: CheckIn | None = None,
    *,
    offset: int = 0,
    body: str = "",
    errors: dict | None = None,
    mentions: list[Membership] | None = None,
    notice: str = "",
    focus: int | None = None,
) -> dict:
    """What the thread partial needs: the page of entries and the composer's state."""
    page = threads.thread_page(
        actor=actor, goal=goal, org_slug=request.org.slug, checkin=checkin, offset=offset
    )
    key = f"checkin-{checkin.pk}" if checkin is not None else f"goal-{goal.pk}"
    return {
        "thread": page,
        "thread_key": key,
        "thread_url": _thread_url(request.org.slug, goal.pk, checkin),
        "composer_body": body,
        "composer_errors": errors or {},
        "composer_mentions": mentions or [],
        "thread_notice": notice,
        "focus_comment": focus,
    }


def _thread_url(org_slug: str, goal_pk: int, checkin: CheckIn | None = None) -> str:
    url = reverse("threads:thread", args=[org_slug, goal_pk])
    return f"{url}?checkin={checkin.pk}" if checkin is not None else url


def _errors(error: ValidationError) -> dict[str, str]:
    if hasattr(error, "error_dict"):
        return {k: v[0] for k, v in error.message_dict.items()}
    return {"body": " ".join(error.messages)}


def _posted_mentions(request: HttpRequest, actor: Actor) -> list[Membership]:
    """The mentioned people as sent (to show them again after an error); unknown ids drop."""
    ids = [pk for pk in (to_id(raw) for raw in request.POST.getlist("mentions")) if pk]
    if not ids:
        return []
    return list(
        Membership.objects.filter(
            org=actor.member.org_id, pk__in=ids[: threads.MAX_MENTIONS], is_active=True
        )
        .select_related("user")
        .order_by("pk")
    )


def _render_thread(
    request: HttpRequest, actor: Actor, goal: Goal, checkin: CheckIn | None, *, status=200, **kw
) -> HttpResponse:
    """The thread: its section for htmx, else the thread's own page."""
    context = {
        "goal": goal,
        "checkin": checkin,
        **thread_context(request, actor, goal, checkin, **kw),
    }
    template = page_or_partial(request, TEMPLATE, "thread")
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
def thread(request: HttpRequest, org_slug: str, goal_pk: int) -> HttpResponse:
    """A goal's thread (``?checkin=`` a check-in's); POST adds a comment to it."""
    actor = request_actor(request)
    goal = get_goal(actor, goal_pk)
    source = request.POST if request.method == "POST" else request.GET
    checkin = _checkin(goal, source.get("checkin"))
    if request.method == "GET":
        offset = _offset(request)
        if request.htmx and "earlier" in request.GET:
            context = thread_context(request, actor, goal, checkin, offset=offset)
            return render(request, f"{TEMPLATE}#entries", context)
        return _render_thread(request, actor, goal, checkin, offset=offset)
    body = request.POST.get("body", "")
    try:
        comment = threads.comment_post(
            actor=actor,
            goal=goal,
            checkin=checkin,
            body=body,
            mentions=request.POST.getlist("mentions"),
        )
    except ValidationError as error:
        return _render_thread(
            request, actor, goal, checkin, status=400,
            body=body.replace("\x00", ""),
            errors=_errors(error),
            mentions=_posted_mentions(request, actor),
        )  # fmt: skip
    notice = threads.not_notified_message(comment.not_notified)
    if request.htmx:
        return _render_thread(
            request, actor, goal, checkin,
            notice=" ".join(filter(None, [POSTED, notice])),
            focus=comment.pk,
        )  # fmt: skip
    messages.success(request, POSTED)
    if notice:
        messages.warning(request, notice)
    if checkin is not None:
        return redirect(f"{_thread_url(org_slug, goal.pk, checkin)}#comment-{comment.pk}")
    return redirect(threads.comment_path(comment, org_slug))


def _entry_context(request: HttpRequest, actor: Actor, comment: Comment) -> dict:
    """One comment's entry, read again with its mentions (for a swap in place)."""
    fresh = threads.thread_comments(goal=comment.goal).get(pk=comment.pk)
    fresh.goal = comment.goal
    page_entry = threads.entry_for(actor, fresh, request.org.slug)
    return {"goal": comment.goal, "entry": page_entry}


def _back(org_slug: str, comment: Comment) -> str:
    if comment.checkin_id:
        url = reverse("threads:thread", args=[org_slug, comment.goal_id])
        return f"{url}?checkin={comment.checkin_id}#comment-{comment.pk}"
    return threads.comment_path(comment, org_slug)


@require_http_methods(["GET", "POST"])
def comment_edit(request: HttpRequest, org_slug: str, comment_pk: int) -> HttpResponse:
    """The author's edit form, in place of the comment (htmx) or on its own page."""
    actor = request_actor(request)
    comment = threads.get_comment(actor, comment_pk)
    body, errors = comment.body, {}
    if request.method == "POST":
        body = request.POST.get("body", "")
        try:
            comment = threads.comment_edit(
                actor=actor,
                comment=comment,
                body=body,
                mentions=request.POST.getlist("mentions"),
            )
        except ValidationError as error:
            errors = _errors(error)
        else:
            notice = threads.not_notified_message(comment.not_notified)
            if request.htmx:
                context = _entry_context(request, actor, comment)
                context["entry_notice"] = " ".join(filter(None, [EDITED, notice]))
                return render(request, "feedback/_comment.html#entry", context)
            messages.success(request, EDITED)
            if notice:
                messages.warning(request, notice)
            return redirect(_back(org_slug, comment))
    elif comment.author_id != actor.member.pk:
        raise PermissionDenied(threads.EDIT_NOT_YOURS)
    elif not threads.may_edit(actor, comment):
        errors = {"body": threads.ALREADY_REMOVED if comment.deleted_at else threads.EDIT_EXPIRED}
    if request.method == "POST":
        mentions = _posted_mentions(request, actor)
    else:
        mentions = [
            m.person for m in comment.mentions.select_related("person__user").order_by("pk")
        ]
    context = {
        "goal": comment.goal,
        "comment": comment,
        "body": body.replace("\x00", ""),
        "errors": errors,
        "mentions": mentions,
        "back": _back(org_slug, comment),
    }
    template = "feedback/_comment_edit.html"
    if request.htmx:
        template += "#form"
    return render(
        request, template, context, status=400 if errors and request.method == "POST" else 200
    )


@require_POST
def comment_remove(request: HttpRequest, org_slug: str, comment_pk: int) -> HttpResponse:
    """The author or an admin removes a comment; a marker stays."""
    actor = request_actor(request)
    comment = threads.get_comment(actor, comment_pk)
    comment = threads.comment_remove(actor=actor, comment=comment)
    if request.htmx:
        context = _entry_context(request, actor, comment)
        context["entry_notice"] = REMOVED
        return render(request, "feedback/_comment.html#entry", context)
    messages.success(request, REMOVED)
    return redirect(_back(org_slug, comment))


@require_GET
def mention_search(request: HttpRequest, org_slug: str) -> HttpResponse:
    """Up to MENTION_SUGGESTIONS active colleagues whose name or email starts a word
    matching ``q``, as listbox options (the composer's @ suggestions)."""
    search = text_param(request, "q", max_length=100)
    if not search:
        return HttpResponse("")
    found = colleagues_matching(org=request.org, search=search)[:MENTION_SUGGESTIONS]
    return HttpResponse(
        format_html_join(
            "\n",
            '<li role="option" id="mention-option-{}" data-mention-id="{}" data-mention-name="{}" '
            'aria-selected="false">{}{}</li>',
            (
                (
                    p.pk,
                    p.pk,
                    p.display_name,
                    p.display_name,
                    format_html(' <span class="muted">· {}</span>', p.title) if p.title else "",
                )
                for p in found
            ),
        )
    )
