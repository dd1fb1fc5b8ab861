"""What each kind of notification says by email: subject, text and HTML from templates."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from goals.models import GoalStatus
from notifications.models import Kind, Notification
from orgs.models import Invitation, Organization

SUBJECTS = {
    Kind.GOAL_CASCADED: "A goal was cascaded to you: {title}",
    Kind.GOAL_SUBMITTED: "A goal awaits your approval: {title}",
    Kind.GOAL_APPROVED: "Your goal was approved: {title}",
    Kind.GOAL_CHANGES_REQUESTED: "Changes requested on your goal: {title}",
}


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str
    to: str


def goal_sentence(
    notification: Notification, *, actor: str, event=None, quoting: bool = False
) -> str:
    """Who did what to the goal, in a sentence (the email's and the inbox's). ``quoting``:
    the approver's comment follows (the email quotes it; the goal page shows it)."""
    goal, kind = notification.goal, notification.kind
    title = f"“{goal.title}”"
    if kind == Kind.GOAL_CASCADED:
        source = f"“{goal.parent.title}”" if goal.parent_id else "a goal"
        return (
            f"{actor} cascaded {source} to you. Your draft goal {title} contributes to it: "
            "complete it in your own words and submit it for approval."
        )
    if kind == Kind.GOAL_SUBMITTED:
        whose = "" if actor == goal.owner.display_name else f", {goal.owner.display_name}'s goal,"
        return f"{actor} submitted {title}{whose} for your approval."
    if kind == Kind.GOAL_APPROVED:
        if event is not None and (event.before or {}).get("status") == GoalStatus.APPROVED:
            return f"{actor} approved the changes to your goal {title}: they count from now on."
        return f"{actor} approved your goal {title}: it is active and counts toward its parent."
    return f"{actor} asked for changes to your goal {title}" + (":" if quoting else ".")


def _render(template: str, context: dict) -> tuple[str, str]:
    text = render_to_string(f"{template}.txt", context)
    return text, render_to_string(f"{template}.html", context)


def goal_email(notification: Notification, org: Organization) -> Email:
    goal = notification.goal
    recipient = notification.recipient
    actor = notification.actor.display_name if notification.actor else "Someone"
    event = goal.events.filter(kind=notification.kind.removeprefix("goal_")).first()
    comment = event.comment if event is not None else ""
    context = {
        "name": recipient.display_name,
        "what": goal_sentence(notification, actor=actor, event=event, quoting=True),
        "comment_lines": comment.splitlines(),
        "comment": comment,
        "link": settings.SITE_URL + reverse("goals:goal_detail", args=[org.slug, goal.pk]),
        "org": org,
    }
    text, html = _render("notifications/email/goal", context)
    subject = SUBJECTS[notification.kind].format(title=goal.title)
    return Email(subject, text, html, recipient.user.email)


def absolute_sections(notification: Notification) -> list[dict]:
    """A reminder's sections with links for an email (the site's address in front)."""
    return [
        {
            "title": section.get("title", ""),
            "items": [
                {**item, "link": settings.SITE_URL + item.get("path", "")}
                for item in section.get("items", [])
            ],
            "more": section.get("more", 0),
            "more_link": settings.SITE_URL + section["more_path"]
            if section.get("more_path")
            else "",
        }
        for section in notification.sections
    ]


def reminder_email(notification: Notification, org: Organization) -> Email:
    """A reminder or review digest: its title, then each section's items with links."""
    recipient = notification.recipient
    context = {
        "name": recipient.display_name,
        "title": notification.sentence,
        "sections": absolute_sections(notification),
        "inbox": settings.SITE_URL + reverse("notifications:notifications", args=[org.slug]),
        "org": org,
    }
    text, html = _render("notifications/email/reminder", context)
    return Email(f"{notification.sentence} ({org.name})", text, html, recipient.user.email)


def message_email(notification: Notification, org: Organization) -> Email:
    """Feedback, a request, a comment, a mention or kudos: the sentence, the quoted text
    and a link to where it was written."""
    recipient = notification.recipient
    context = {
        "name": recipient.display_name,
        "title": notification.sentence,
        "quote_lines": notification.quote.splitlines(),
        "link": settings.SITE_URL + notification.get_path(org),
        "inbox": settings.SITE_URL + reverse("notifications:notifications", args=[org.slug]),
        "org": org,
    }
    text, html = _render("notifications/email/message", context)
    return Email(f"{notification.sentence} ({org.name})", text, html, recipient.user.email)


def invitation_email(invitation: Invitation, org: Organization, token: str) -> Email:
    link = settings.SITE_URL + reverse(
        "orgs:invitation_accept", kwargs={"org_slug": org.slug, "token": token}
    )
    context = {"invitation": invitation, "org": org, "link": link}
    text = render_to_string("orgs/email/invitation.txt", context)
    html = render_to_string("notifications/email/invitation.html", context)
    return Email(f"You are invited to {org.name} on Cairn", text, html, invitation.email)


def digest_email(notifications: list[Notification], org: Organization) -> Email:
    recipient = notifications[0].recipient
    context = {
        "name": recipient.display_name,
        "org": org,
        "items": [
            {
                "what": n.sentence,
                "link": settings.SITE_URL + n.get_path(org),
                "when": n.created_at,
                "sections": absolute_sections(n),
            }
            for n in notifications
        ],
        "inbox": settings.SITE_URL + reverse("notifications:notifications", args=[org.slug]),
    }
    text, html = _render("notifications/email/digest", context)
    count = len(notifications)
    subject = f"Your week on Cairn: {count} update{'s' if count != 1 else ''} in {org.name}"
    return Email(subject, text, html, recipient.user.email)
