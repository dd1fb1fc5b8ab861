"""Demo feedback, requests, comment threads, company values and kudos for Acme and Globex.

Written straight into the feedback models with bulk inserts (no notifications: the demo
is history, not news), inside ``tenant_context`` so row-level security accepts it, with
the rules of ``feedback.services`` respected by construction: nobody gives feedback to
themselves; a feedback's goal or check-in is the recipient's; a request is about the
requester or one of their reports, its goal that person's; open requests are due today
or later. Goals named anywhere (feedback, kudos, threads) are public, so nothing here
shows a private goal's title to someone who may not see it.

``seed_feedback`` is the hand-shaped demo: values, ~30 kudos, ~25 feedback, requests
waiting for the demo member and manager, ~10 goal threads. The demo logins (admin@,
manager@, member@) each give and receive feedback, and one of the manager's reports
(the last one, by id, who is not member@) has heard nothing for over 30 days, so the
manager's "no feedback in 30 days" signal shows. ``seed_scaled_feedback`` tops a
grown organisation up to about two feedback, one kudos and one comment a person.

Deterministic: every choice comes from a ``random.Random`` seeded with the organisation's
slug and never depends on the date or on what is already stored. Idempotent: values
are keyed on their name, kudos on (giver, message), feedback on (giver, recipient,
body), requests on (requester, asked, about, prompt), threads on their goal (a goal
with any comment gets no demo thread); the scaled data on counts (it adds what is
missing to reach the target).
"""

from __future__ import annotations

import itertools
import random
import time as clock
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, time, timedelta

from django.utils import timezone

from core.tenancy import tenant_context
from devtools import demo
from feedback.models import (
    Comment,
    CommentRevision,
    CompanyValue,
    Feedback,
    FeedbackRequest,
    FeedbackRevision,
    FeedbackVisibility,
    Mention,
    Reaction,
    ReactionEmoji,
    Recognition,
    RecognitionGoal,
    RecognitionRecipient,
)
from goals.models import CheckIn, Cycle, Goal, GoalStatus, Visibility
from orgs.models import Membership, Organization

BATCH_SIZE = 1000
KUDOS = 30
FEEDBACK = 25
THREADS = 10
STALE_AFTER = timedelta(days=30)
# Scaled data per active person (seed_demo --people N).
SCALED_FEEDBACK = 2
SCALED_KUDOS = 1
SCALED_COMMENTS = 1

PRIVATE, MANAGERS, PUBLIC = (
    FeedbackVisibility.PRIVATE,
    FeedbackVisibility.MANAGERS,
    FeedbackVisibility.PUBLIC,
)
OPEN, ANSWERED, DECLINED = (
    FeedbackRequest.Status.OPEN,
    FeedbackRequest.Status.ANSWERED,
    FeedbackRequest.Status.DECLINED,
)

# --- Company values ---------------------------------------------------------------------
# (name, description, emoji, colour, active); the inactive one is archived but stays on
# the old kudos that carry it.

VALUES = {
    "acme": [
        (
            "Customers first",
            "We start from what the customer needs and finish when it works for them.",
            "🤝",
            "#0b6e5f",
            True,
        ),
        (
            "Own it",
            "We take a problem to the end, and say so when we can't.",
            "🔧",
            "#a8430a",
            True,
        ),
        (
            "Ship and learn",
            "Small steps in front of real users beat big plans on paper.",
            "🚀",
            "#3451b2",
            True,
        ),
        (
            "Better together",
            "We share what we know and make room for each other.",
            "🌱",
            "#6b3fa0",
            True,
        ),
        ("Move fast", "Replaced by “Ship and learn” this year.", "⚡", "#5f6368", False),
    ],
    "globex": [
        ("Safety first", "Nobody gets hurt for a deadline, ever.", "🦺", "#a8430a", True),
        (
            "Rigour",
            "We measure before we claim, and write down what we measured.",
            "🔬",
            "#3451b2",
            True,
        ),
        (
            "Customer focus",
            "Our materials matter when they work in our customers' products.",
            "🤝",
            "#0b6e5f",
            True,
        ),
        (
            "One team",
            "The lab, the plant and the field solve problems together.",
            "🌍",
            "#6b3fa0",
            True,
        ),
        ("Hustle", "Retired: we value steady work over heroics.", "💪", "#5f6368", False),
    ],
}

# --- Words --------------------------------------------------------------------------------
# A text is one sentence from each pool of a tuple, joined by spaces. {names}: first names
# of the recipients; {goal}: a goal's title; {day}: a check-in's day. The hand-made demo
# picks through ``_Wording`` so no text repeats in an organisation (the pools are sized
# for it); the scaled data picks freely (repeats there are fine).

Pools = tuple[Sequence[str], ...]

KUDOS_ON_GOAL: Pools = (
    [
        "Thank you {names} for everything you put into “{goal}” this month.",
        "Shout-out to {names}: “{goal}” moved more in two weeks than in the month before.",
        "{names}, the progress on “{goal}” did not happen by itself.",
        "Big thanks to {names} for “{goal}”.",
        "Kudos to {names} for keeping “{goal}” on track while everything around it moved.",
        "“{goal}” is ahead of plan, and that is down to {names}.",
    ],
    [
        "You unblocked three teams in one afternoon.",
        "The write-up you shared made the next step obvious for everyone.",
        "You spotted the problem early and fixed it before anyone else noticed.",
        "Calm, thorough and on time, as always.",
        "You asked the right questions and then just got it done.",
        "Everyone who depends on this work noticed the difference.",
        "You brought people from three teams into one plan.",
        "The customers we piloted it with are already asking for more.",
    ],
)
KUDOS_GENERAL: Pools = (
    [
        "Thank you {names} for stepping in at short notice to run Thursday's review. Calm, clear "
        "and on time.",
        "{names}, the onboarding you gave our new starters was the best I have seen. They were "
        "productive in a week.",
        "Huge thanks to {names} for the handover notes before the holidays: nothing fell through "
        "the cracks.",
        "Kudos to {names} for turning a messy customer escalation into a plan everyone agreed on.",
        "Thank you {names} for the lunch-and-learn session. I have already used two of the tricks.",
        "{names}, thank you for staying late to help us hit the deadline, and for making it fun.",
        "Shout-out to {names} for the clearest status update of the quarter: one page, all the "
        "numbers, no surprises.",
        "Thanks {names} for reviewing the plan so thoroughly. You caught the gap that would have "
        "cost us a week.",
        "{names} mentored two colleagues through their first big project this quarter.",
        "Thank you {names} for cleaning up the shared documentation. Finding things is easy again.",
        "{names}, the way you welcomed the visiting team made them want to work with us again.",
        "Thanks {names} for fixing the broken report on a Friday afternoon without being asked.",
    ],
    [
        "You make this a better place to work.",
        "We noticed, and we are grateful.",
        "Coffee is on me next week.",
        "This is what our values look like in practice.",
        "The whole team felt the difference.",
        "I hope everyone reads this.",
    ],
)

FEEDBACK_DOWN: Pools = (  # a manager to a report
    [
        "You ran the planning session really well: everyone left knowing what they own.",
        "I appreciate how you handled last week's escalation: calm and factual.",
        "Your written updates have become much sharper.",
        "You have grown a lot this quarter in how you work with other teams.",
        "The way you onboarded our new starter was generous and well organised.",
        "You made a hard trade-off in the roadmap review and explained it well.",
        "Customers keep mentioning how quickly you get back to them.",
        "You turned a vague request into a plan with owners and dates.",
    ],
    [
        "One thing to try: write the decisions down before the meeting ends, so nobody has to "
        "reconstruct them.",
        "Next time, loop me in earlier so I can clear the path for you.",
        "Keep leading with the number and the risk; the detail can follow.",
        "I'd like you to take the lead on the next cross-team review.",
        "Consider handing the routine parts to others, so you have time for the harder problems.",
        "Let's talk in our next 1:1 about a stretch goal for next quarter.",
        "Show the team how you did it at the next team meeting: others would benefit.",
    ],
)
FEEDBACK_UP: Pools = (  # a report to their manager
    [
        "Our 1:1s have been really useful lately.",
        "Thanks for shielding the team from the re-planning noise this month.",
        "The way you ran the retro made it safe to say what went wrong.",
        "I appreciated that you backed my proposal in front of the leadership team.",
        "Your notes after the all-hands answered the questions everyone was afraid to ask.",
        "Thank you for making time for me when things got difficult last month.",
    ],
    [
        "It would help me if priority changes came with a short why, so I can explain them to "
        "others.",
        "I'd welcome more direct feedback on my own work, even on small things.",
        "More of that, please.",
        "It would help to hear earlier when plans are about to change.",
        "Could we keep the Friday check-in short and move the detail to the written update?",
        "I'd love to join you in a customer meeting some time, to learn how you run them.",
    ],
)
FEEDBACK_ACROSS: Pools = (  # between colleagues
    [
        "Thanks for the thorough review on Tuesday: you caught a problem I would have shipped.",
        "Pairing with you this week was great: you explain your reasoning clearly.",
        "You were a great help during the handover.",
        "I liked how you pushed back in the planning meeting: it changed the plan for the better.",
        "Working with you on the customer visit was a pleasure: you listened more than you talked.",
        "Your demo on Friday was the clearest of the quarter.",
        "Thanks for answering my questions about the data pipeline so patiently.",
        "You kept the incident call calm and focused when it mattered.",
    ],
    [
        "Small suggestion: say which comments are blocking and which are nice-to-have.",
        "I'd love for you to share that in the next team demo.",
        "If you wrote down what you know, the whole team could use it.",
        "Next time, a short note beforehand would give people time to think about it.",
        "Let's do it again next quarter.",
        "One idea: record a short walkthrough for the people who missed it.",
        "If you ever want a second pair of eyes on your work, just ask.",
    ],
)
FEEDBACK_ON_GOAL: Pools = (
    [
        "On “{goal}”: the plan is solid and the first results show it.",
        "About “{goal}”: great momentum this month.",
        "On “{goal}”: I like that you dropped the parts that didn't matter.",
        "“{goal}” is in good hands.",
        "I've been following “{goal}”: the last two check-ins were very clear.",
        "“{goal}” looks harder than it did at the start of the quarter, and you are handling it "
        "well.",
    ],
    [
        "The risk I see is the last step: it depends on other teams, so I'd book their time now.",
        "I'd split the last key result into smaller steps so progress shows week by week.",
        "Worth telling the people who depend on it what changed.",
        "One suggestion: share the numbers behind it more often, people outside the team are "
        "curious.",
        "If the target turns out to be out of reach, say so early: nobody will mind.",
        "Ask for help with the reporting if it slows you down.",
    ],
)
FEEDBACK_ON_CHECKIN: Pools = (
    [
        "About your check-in of {day} on “{goal}”: thanks for being honest about the confidence "
        "dropping.",
        "Your check-in of {day} on “{goal}” was clear: the note said what moved and why.",
        "Saw your check-in of {day} on “{goal}”. That was a big step.",
        "Your check-in of {day} on “{goal}” answered the question I was about to ask.",
    ],
    [
        "If anything is in the way, tell me and I'll help clear it.",
        "More notes like that, please: they save everyone a meeting.",
        "Make sure the wider team hears about it.",
        "A line on what comes next would make it even better.",
    ],
)
STALE_FEEDBACK = [
    "Thanks for presenting the quarter's plan to the leadership team. Clear and well argued.",
    "You helped me a lot with the budget numbers last month. Thank you for your patience.",
]


def compose(rng: random.Random, pools: Pools, **words: str) -> str:
    """One sentence from each pool, any combination (for the scaled data)."""
    return " ".join(rng.choice(pool) for pool in pools).format(**words)


class _Wording:
    """Texts for one organisation's hand-made demo, none of them twice.

    Each call takes the combination of sentences used least so far whose text is new,
    so the same opening or closing sentence comes back as rarely as the pools allow. Its
    own random generator, seeded with the organisation's slug, keeps it deterministic
    and independent of the other choices.
    """

    def __init__(self, slug: str) -> None:
        self.rng = random.Random(f"cairn-wording-{slug}")
        self.used: set[str] = set()
        self.uses: Counter[str] = Counter()

    def __call__(self, pools: Pools, **words: str) -> str:
        combos = list(itertools.product(*pools))
        self.rng.shuffle(combos)
        fresh = [(c, " ".join(c).format(**words)) for c in combos]
        fresh = [(c, text) for c, text in fresh if text not in self.used]
        if not fresh:  # the pools are sized so the hand-made demo never gets here
            return " ".join(combos[0]).format(**words)
        combo, text = min(fresh, key=lambda item: sum(self.uses[s] for s in item[0]))
        self.uses.update(combo)
        self.used.add(text)
        return text


# A thread: (speaker, text, on the check-in?). Speakers: owner, manager, peer; "@owner",
# "@manager", "@peer" in a text name that person in full (and mention them).
# One script per demo thread (THREADS of them), no line twice: every comment is different.
THREAD_SCRIPTS: list[list[tuple[str, str, bool]]] = [
    [
        ("manager", "Thanks for the update. Good to see this moving again: what changed?", True),
        ("owner", "We cut the scope of the first step and {peer} helped with the setup.", True),
        ("peer", "Happy to keep helping. @owner shall we pair on the next part on Thursday?", True),
        ("owner", "Yes, Thursday works. I'll send an invite.", True),
    ],
    [
        (
            "manager",
            "This is the goal I worry about most this quarter. Can we talk about the risk on "
            "the last key result in our 1:1?",
            False,
        ),
        (
            "owner",
            "Sure. Short version: we depend on another team's release. I've asked @peer for "
            "their timeline.",
            False,
        ),
        (
            "peer",
            "Their release is planned for the last week of the month. I'll flag it if that slips.",
            False,
        ),
        ("manager", "Thanks both. Let's look at it again in two weeks.", False),
    ],
    [
        ("peer", "Nice jump this week!", True),
        ("owner", "Thanks! The new process finally paid off.", True),
        (
            "manager",
            "Agreed, great work. @owner could you write up what you changed, so other teams can "
            "reuse it?",
            False,
        ),
    ],
    [
        (
            "peer",
            "Quick question: does “{goal}” include the follow-up work, or is that next quarter?",
            False,
        ),
        ("owner", "Next quarter. This one ends when the first version is live.", False),
    ],
    [
        ("owner", "Confidence down to medium: two people are out this week.", True),
        (
            "manager",
            "Understood. Do you want me to move anything off your plate until they're back?",
            True,
        ),
        ("owner", "Moving the reporting work to next week would help.", True),
        ("manager", "Done, I've told the team. @peer can you cover Friday's review?", True),
        ("peer", "Sure, I'll cover it.", True),
        ("owner", "Thank you both!", True),
    ],
    [
        ("manager", "Good progress. Is there anything blocking the next step?", False),
        ("owner", "Only the sign-off from @manager's budget review, which is on Monday.", False),
        ("manager", "I'll make sure it's on the agenda.", False),
    ],
    [
        ("owner", "Small update: the pilot group signed up faster than we hoped.", True),
        ("peer", "That's great news. Did the new invitation email make the difference?", True),
        ("owner", "Partly. @peer's idea to ask the team leads directly helped more.", True),
        ("manager", "Nice. Let's use the same approach for the next group.", False),
    ],
    [
        (
            "manager",
            "I've moved the review of this goal to next Wednesday, so the numbers are final.",
            False,
        ),
        ("owner", "Thanks, that gives us time to check the last batch.", False),
        ("peer", "@owner I can run the check on Tuesday if that helps.", False),
        ("owner", "It does, thank you {peer}.", False),
    ],
    [
        ("peer", "Is there a dashboard for this one? I'd like to follow along.", False),
        ("owner", "Not yet. I'll link it here once it's ready.", False),
        ("owner", "Here it is: it's on the team's wiki page under “{goal}”.", False),
    ],
    [
        (
            "owner",
            "The numbers dipped this week because of the holiday; nothing to worry about.",
            True,
        ),
        ("manager", "Makes sense. Will you catch up by the end of the month?", True),
        ("owner", "Yes, we planned for it. @manager I'll raise it in our 1:1 if not.", True),
    ],
]
SCALED_COMMENTS_TEXT = [
    "Nice progress this week!",
    "Thanks for the update. Anything I can help with?",
    "Is this still on track for the end of the quarter?",
    "We cut the scope of the first step; the rest follows next week.",
    "Great work, the numbers speak for themselves.",
    "Can we go through the risks in our next 1:1?",
    "I've added the details to the team's notes.",
]
# The demo's one edited comment: (what it said before, the typo fixed).
EDIT = ("shal we", "shall we")
# The demo's corrected feedback: the text before the correction had this typo.
TYPO = ("thorough review", "thorough reveiw")

REACTIONS = [e.value for e in ReactionEmoji]


@dataclass
class FeedbackTotals:
    values: int = 0
    kudos: int = 0
    reactions: int = 0
    feedback: int = 0
    revisions: int = 0
    requests: int = 0
    threads: int = 0
    comments: int = 0
    mentions: int = 0
    seconds: float = 0.0

    def add(self, other: FeedbackTotals) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @property
    def created(self) -> int:
        return self.values + self.kudos + self.feedback + self.requests + self.comments


def first_name(person: Membership) -> str:
    return person.display_name.split()[0]


def names(people: Sequence[Membership]) -> str:
    """'Jamie', 'Jamie and Lucía', 'Jamie, Lucía and Ravi'."""
    firsts = [first_name(p) for p in people]
    return firsts[0] if len(firsts) == 1 else f"{', '.join(firsts[:-1])} and {firsts[-1]}"


def _day(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local.day} {local:%B}"


# --- The organisation as the seed sees it -------------------------------------------------


class _Org:
    """An organisation's people, reporting lines, current cycle and public goals."""

    def __init__(
        self,
        org: Organization,
        now: datetime,
        *,
        emails: Collection[str] | None = None,
        titles: Collection[str] | None = None,
        checkins: bool = True,
    ) -> None:
        self.org, self.now = org, now
        people = Membership.objects.filter(org=org, is_active=True)
        if emails is not None:
            people = people.filter(user__email__in=list(emails))
        self.people = list(people.select_related("user").order_by("pk"))
        self.by_pk = {m.pk: m for m in self.people}
        self.by_email = {m.user.email: m for m in self.people}
        self.reports: dict[int, list[Membership]] = defaultdict(list)
        for m in self.people:
            if m.manager_id in self.by_pk:
                self.reports[m.manager_id].append(m)
        self.cycle = Cycle.objects.filter(org=org, status=Cycle.Status.ACTIVE).first()
        start = (
            datetime.combine(self.cycle.start, time(9), tzinfo=UTC)
            if self.cycle
            else now - timedelta(days=90)
        )
        self.start = min(start, now - timedelta(days=1))
        self.goals: dict[int, list[Goal]] = defaultdict(list)
        self.goal_list: list[Goal] = []
        if self.cycle is not None:
            goals = Goal.objects.all()
            if emails is not None:
                goals = goals.filter(owner__in=[m.pk for m in self.people])
            if titles is not None:
                goals = goals.filter(title__in=list(titles))
            self.goal_list = list(
                goals.filter(
                    org=org,
                    cycle=self.cycle,
                    visibility=Visibility.PUBLIC,
                    status__in=[GoalStatus.APPROVED, GoalStatus.COMPLETED],
                    owner__is_active=True,
                )
                .only("pk", "title", "owner_id", "created_at", "level")
                .order_by("pk")
            )
        for g in self.goal_list:
            self.goals[g.owner_id].append(g)
        self.checkins: dict[int, list[CheckIn]] = defaultdict(list)
        if checkins and self.goal_list:
            for c in (
                CheckIn.objects.filter(org=org, goal__in=[g.pk for g in self.goal_list])
                .only("pk", "goal_id", "created_at", "author_id")
                .order_by("created_at", "pk")
            ):
                if c.created_at < now:
                    self.checkins[c.goal_id].append(c)

    def login(self, local: str) -> Membership | None:
        return self.by_email.get(f"{local}@{self.org.slug}.test")

    def manager_of(self, person: Membership) -> Membership | None:
        return self.by_pk.get(person.manager_id)

    def at(self, share: float, after: datetime | None = None) -> datetime:
        """A moment ``share`` of the way from ``after`` (default: the cycle's start) to now."""
        begin = max(after or self.start, self.start)
        if begin >= self.now:
            return self.now - timedelta(minutes=1)
        return begin + (self.now - begin) * min(max(share, 0.0), 0.995)

    def stale_report(self) -> Membership | None:
        """The manager@ login's report who has heard nothing for over 30 days."""
        manager, member = self.login("manager"), self.login("member")
        if manager is None:
            return None
        others = [r for r in self.reports[manager.pk] if r != member]
        return others[-1] if others else None


# --- The hand-shaped demo ----------------------------------------------------------------


def seed_feedback(
    org: Organization, *, emails: Collection[str] | None = None, now: datetime | None = None
) -> FeedbackTotals:
    """Values, kudos, feedback, requests and goal threads for ``org`` (acme or globex).

    Between the people with these ``emails`` (default: everyone active) about the goals of
    the demo cascade (devtools.demo), so people and goals added later for benchmarks
    change nothing here.
    """
    started = clock.perf_counter()
    now = now or timezone.now()
    totals = FeedbackTotals()
    titles = [g.title for g in demo.CASCADES[org.slug][1]] if org.slug in demo.CASCADES else None
    with tenant_context(org.pk):
        ctx = _Org(org, now, emails=emails, titles=titles)
        if ctx.login("member") is None or ctx.login("manager") is None:
            return totals
        rng = random.Random(f"cairn-feedback-{org.slug}")
        values = _seed_values(ctx, totals)
        words = _Wording(org.slug)
        _seed_kudos(ctx, random.Random(rng.random()), words, values, totals)
        _seed_feedback_and_requests(ctx, random.Random(rng.random()), words, totals)
        _seed_threads(ctx, random.Random(rng.random()), totals)
    totals.seconds = clock.perf_counter() - started
    return totals


def _seed_values(ctx: _Org, totals: FeedbackTotals) -> list[CompanyValue]:
    specs = VALUES.get(ctx.org.slug, VALUES["acme"])
    existing = {v.name: v for v in CompanyValue.objects.filter(org=ctx.org)}
    new = [
        CompanyValue(
            org=ctx.org,
            name=name,
            description=description,
            emoji=emoji,
            colour=colour,
            is_active=active,
            position=position,
            created_at=ctx.start - timedelta(days=30),
        )
        for position, (name, description, emoji, colour, active) in enumerate(specs)
        if name not in existing
    ]
    CompanyValue.objects.bulk_create(new)
    totals.values += len(new)
    existing |= {v.name: v for v in new}
    return [existing[name] for name, *_ in specs]


@dataclass
class _Kudos:
    giver: Membership
    recipients: list[Membership]
    message: str
    value: CompanyValue | None
    goal: Goal | None
    at: datetime
    reactions: list[tuple[Membership, str]] = field(default_factory=list)


def _seed_kudos(
    ctx: _Org,
    rng: random.Random,
    words: _Wording,
    values: list[CompanyValue],
    totals: FeedbackTotals,
) -> None:
    active = [v for v in values if v.is_active]
    archived = [v for v in values if not v.is_active]
    member, manager, admin = ctx.login("member"), ctx.login("manager"), ctx.login("admin")
    team = ctx.reports[manager.pk]
    planned: list[_Kudos] = []

    def plan(giver, recipients, *, value=None, goal=None, share=None) -> None:
        recipients = [r for r in dict.fromkeys(recipients) if r != giver]
        if not recipients:
            return
        if goal is not None:
            text = words(KUDOS_ON_GOAL, names=names(recipients), goal=goal.title)
        else:
            text = words(KUDOS_GENERAL, names=names(recipients))
        share = rng.random() if share is None else share
        at = ctx.at(share, goal.created_at if goal else None)
        planned.append(_Kudos(giver, recipients, text, value, goal, at))

    # The demo logins first: member@ praised by their manager (the newest kudos, under a
    # day old even late in a quarter) and praising a teammate, the admin thanking the
    # manager's team, and one old kudos with the archived value.
    mates = [r for r in team if r != member]
    plan(manager, [member], value=active[0], goal=_first(ctx.goals[member.pk]), share=0.99)
    if mates:
        plan(member, [mates[0]], value=active[3 % len(active)], share=0.9)
    if admin is not None:
        plan(
            admin,
            [manager, *team[:2]],
            value=active[1],
            goal=_first(ctx.goals[manager.pk]),
            share=0.6,
        )
    if archived and mates:
        plan(mates[0], [member], value=archived[0], share=0.02)
    while len(planned) < KUDOS:
        giver = rng.choice(ctx.people)
        circle = _circle(ctx, giver)
        count = rng.choices([1, 2, 3], weights=[7, 2, 1])[0]
        pool = circle if len(circle) >= count and rng.random() < 0.7 else ctx.people
        recipients = rng.sample(pool, min(count, len(pool)))
        goals = [g for r in recipients for g in ctx.goals[r.pk]]
        goal = rng.choice(goals) if goals and rng.random() < 0.34 else None
        value = rng.choice(active) if rng.random() < 0.5 else None
        plan(giver, recipients, value=value, goal=goal)
    for kudos in planned:
        reactors = rng.sample(ctx.people, min(len(ctx.people), rng.choice([0, 1, 2, 3, 4, 5, 6])))
        for person in reactors:
            if person == kudos.giver:
                continue
            for emoji in rng.sample(REACTIONS, rng.choice([1, 1, 1, 2])):
                kudos.reactions.append((person, emoji))

    existing = set(Recognition.objects.filter(org=ctx.org).values_list("giver_id", "message"))
    new = []
    for k in planned:
        if (k.giver.pk, k.message) not in existing:
            existing.add((k.giver.pk, k.message))
            new.append(k)
    _insert_kudos(ctx, rng, new, totals)


def _insert_kudos(ctx: _Org, rng: random.Random, new: list[_Kudos], totals: FeedbackTotals) -> None:
    rows = Recognition.objects.bulk_create(
        [
            Recognition(
                org=ctx.org, giver=k.giver, message=k.message, value=k.value, created_at=k.at
            )
            for k in new
        ],
        batch_size=BATCH_SIZE,
    )
    recipients, goals, reactions = [], [], []
    for k, row in zip(new, rows, strict=True):
        recipients += [
            RecognitionRecipient(org=ctx.org, recognition=row, person=p, created_at=k.at)
            for p in k.recipients
        ]
        if k.goal is not None:
            goals.append(RecognitionGoal(org=ctx.org, recognition=row, goal=k.goal))
        for person, emoji in k.reactions:
            moment = k.at + (ctx.now - k.at) * rng.uniform(0.01, 0.3)
            reactions.append(
                Reaction(
                    org=ctx.org, recognition=row, person=person, emoji=emoji, created_at=moment
                )
            )
    RecognitionRecipient.objects.bulk_create(recipients, batch_size=BATCH_SIZE)
    RecognitionGoal.objects.bulk_create(goals, batch_size=BATCH_SIZE)
    Reaction.objects.bulk_create(reactions, batch_size=BATCH_SIZE)
    totals.kudos += len(rows)
    totals.reactions += len(reactions)


def _first(items: Sequence):
    return items[0] if items else None


def _circle(ctx: _Org, person: Membership) -> list[Membership]:
    """The people someone works with most: their manager, reports and teammates."""
    manager = ctx.manager_of(person)
    near = [manager] if manager else []
    near += ctx.reports[person.pk]
    if manager is not None:
        near += [r for r in ctx.reports[manager.pk] if r != person]
    return near


@dataclass
class _Feedback:
    giver: Membership
    recipient: Membership
    body: str
    visibility: str
    at: datetime
    goal: Goal | None = None
    checkin: CheckIn | None = None
    read: bool = True
    request: _Request | None = None
    typo_of: str = ""  # the text before its correction, if it was corrected


@dataclass
class _Request:
    requester: Membership
    asked: Membership
    about: Membership
    prompt: str
    status: str
    at: datetime
    due: date | None
    goal: Goal | None = None
    reason: str = ""


def _seed_feedback_and_requests(
    ctx: _Org, rng: random.Random, words: _Wording, totals: FeedbackTotals
) -> None:
    member, manager, admin = ctx.login("member"), ctx.login("manager"), ctx.login("admin")
    boss = ctx.manager_of(manager) or admin
    stale = ctx.stale_report()
    mates = [r for r in ctx.reports[manager.pk] if r != member]
    mate = mates[0] if mates else boss
    today = timezone.localdate(ctx.now)
    planned: list[_Feedback] = []
    requests: list[_Request] = []

    def about_goal(goal: Goal | None) -> str:
        return words(FEEDBACK_ON_GOAL, goal=goal.title) if goal else words(FEEDBACK_ACROSS)

    def give(giver, recipient, body, visibility, share, **kw) -> _Feedback | None:
        if giver is None or recipient in (None, giver, stale):
            return None
        goal = kw.get("goal")
        after = kw.pop("after", None) or (goal.created_at if goal else None)
        item = _Feedback(giver, recipient, body, visibility, ctx.at(share, after), **kw)
        planned.append(item)
        return item

    # member@ hears from their manager (about a goal, and about a check-in) and a teammate
    # (corrected before it was read); gives feedback up and across.
    member_goal = _first(ctx.goals[member.pk])
    give(
        manager,
        member,
        about_goal(member_goal),
        MANAGERS,
        0.55,
        goal=member_goal,
    )
    checkin = _last(ctx.checkins[member_goal.pk]) if member_goal else None
    if checkin is not None:
        give(
            manager,
            member,
            words(FEEDBACK_ON_CHECKIN, day=_day(checkin.created_at), goal=member_goal.title),
            PRIVATE,
            0.5,
            after=checkin.created_at,
            goal=member_goal,
            checkin=checkin,
            read=False,
        )
    corrected = words((FEEDBACK_ACROSS[0][:1], FEEDBACK_ACROSS[1]))  # has TYPO's words
    give(mate, member, corrected, PUBLIC, 0.93, read=False, typo_of=corrected.replace(*TYPO))
    give(member, manager, words(FEEDBACK_UP), PRIVATE, 0.7)
    mate_goal = _first(ctx.goals[mate.pk])
    give(
        member,
        mate,
        about_goal(mate_goal),
        PUBLIC,
        0.8,
        goal=mate_goal,
        read=False,
    )
    # The manager hears from above and gives upward too; the admin gives and receives.
    manager_goal = _first(ctx.goals[manager.pk])
    give(
        boss,
        manager,
        about_goal(manager_goal),
        MANAGERS,
        0.4,
        goal=manager_goal,
    )
    give(manager, boss, words(FEEDBACK_UP), PRIVATE, 0.75, read=False)
    if admin is not None:
        give(admin, manager, words(FEEDBACK_DOWN), PUBLIC, 0.85, read=False)
        give(boss if boss != admin else manager, admin, words(FEEDBACK_UP), MANAGERS, 0.3)
    # The stale report: all of their feedback is older than 30 days.
    if stale is not None:
        for i, (giver, days) in enumerate([(manager, 38), (member, 52)]):
            if giver != stale:
                planned.append(
                    _Feedback(
                        giver,
                        stale,
                        STALE_FEEDBACK[i],
                        [MANAGERS, PUBLIC][i],
                        ctx.now - timedelta(days=days, hours=3),
                    )
                )

    # Requests: waiting for member@ and for manager@, one answered, one declined.
    def ask(requester, asked, about, prompt, status, share, due_in, goal=None, reason=""):
        if requester is None or asked is None or asked == about:
            return None
        at = ctx.at(share)
        due = (
            today + timedelta(days=due_in)
            if status == OPEN
            else timezone.localdate(at) + timedelta(days=due_in)
        )
        item = _Request(requester, asked, about, prompt, status, at, due, goal, reason)
        requests.append(item)
        return item

    ask(
        mate,
        member,
        mate,
        f"You reviewed most of my work on “{mate_goal.title}”: what should I do differently "
        "in the second half of the quarter?"
        if mate_goal
        else "What should I do differently in the second half of the quarter?",
        OPEN,
        0.96,
        5,
        goal=mate_goal,
    )
    ask(
        manager,
        member,
        mate,
        f"{first_name(mate)}'s growth conversation is coming up. How has {first_name(mate)} "
        "been to work with this quarter?",
        OPEN,
        0.94,
        10,
    )
    ask(
        member,
        manager,
        member,
        f"Is the plan for “{member_goal.title}” ambitious enough? Anything I'm missing?"
        if member_goal
        else "Is my plan for this quarter ambitious enough?",
        OPEN,
        0.95,
        7,
        goal=member_goal,
    )
    siblings = [r for r in ctx.reports[boss.pk] if r != manager] if boss else []
    if siblings:
        ask(
            boss,
            manager,
            siblings[0],
            f"How has it been working with {first_name(siblings[0])}'s team on the shared "
            "work this quarter?",
            OPEN,
            0.9,
            12,
        )
    if len(mates) > 1:
        ask(
            mates[1],
            manager,
            mates[1],
            "What should I focus on to grow into a senior role?",
            OPEN,
            0.97,
            14,
        )
    outsiders = [p for p in ctx.people if p not in (member, manager, boss, admin, *mates)]
    helper = outsiders[0] if outsiders else boss
    ask(
        member,
        helper,
        member,
        "What could I do better when our teams hand work over?",
        OPEN,
        0.92,
        6,
    )
    answered = ask(
        member,
        mate,
        member,
        f"Could you give me feedback on how “{member_goal.title}” is going?"
        if member_goal
        else "Could you give me feedback on how my quarter is going?",
        ANSWERED,
        0.35,
        14,
        goal=member_goal,
    )
    if answered is not None:
        item = give(
            mate,
            member,
            about_goal(member_goal),
            MANAGERS,
            0.45,
            goal=member_goal,
            request=answered,
        )
        if item is not None:
            item.at = max(item.at, answered.at + timedelta(hours=5))
    ask(
        manager,
        helper,
        mate,
        f"How did the hand-over with {first_name(mate)} go last month?",
        DECLINED,
        0.5,
        7,
        reason=f"I haven't worked with {first_name(mate)} this quarter: someone in the team "
        "would know much better.",
    )

    # The rest: between colleagues, managers and reports, across teams.
    pairs_down = [(ctx.manager_of(p), p) for p in ctx.people if ctx.manager_of(p)]
    while len(planned) < FEEDBACK:
        kind = rng.choices(["down", "up", "across"], weights=[4, 2, 4])[0]
        if kind == "across":
            giver = rng.choice(ctx.people)
            circle = [p for p in _circle(ctx, giver) if ctx.manager_of(giver) != p]
            recipient = rng.choice(circle or ctx.people)
        else:
            boss_, report = rng.choice(pairs_down)
            giver, recipient = (boss_, report) if kind == "down" else (report, boss_)
        if recipient in (giver, stale):
            continue
        goal = checkin = None
        roll = rng.random()
        goals = ctx.goals[recipient.pk]
        if goals and roll < 0.45:
            goal = rng.choice(goals)
            if roll < 0.15 and ctx.checkins[goal.pk]:
                checkin = rng.choice(ctx.checkins[goal.pk])
        if checkin is not None:
            body = words(FEEDBACK_ON_CHECKIN, day=_day(checkin.created_at), goal=goal.title)
        elif goal is not None:
            body = words(FEEDBACK_ON_GOAL, goal=goal.title)
        else:
            pools = {"down": FEEDBACK_DOWN, "up": FEEDBACK_UP, "across": FEEDBACK_ACROSS}[kind]
            body = words(pools)
        visibility = rng.choices([PRIVATE, MANAGERS, PUBLIC], weights=[3, 5, 2])[0]
        share = rng.random()
        give(
            giver,
            recipient,
            body,
            visibility,
            share,
            goal=goal,
            checkin=checkin,
            after=checkin.created_at if checkin else None,
            read=share < 0.75 or rng.random() < 0.3,
        )
    # One feedback per (giver, recipient, body): a repeat in the plan is dropped.
    planned = list({(f.giver.pk, f.recipient.pk, f.body): f for f in reversed(planned)}.values())
    _insert_requests_and_feedback(ctx, rng, requests, planned, totals)


def _last(items: Sequence):
    return items[-1] if items else None


def _insert_requests_and_feedback(
    ctx: _Org,
    rng: random.Random,
    requests: list[_Request],
    planned: list[_Feedback],
    totals: FeedbackTotals,
) -> None:
    have = {
        (r, a, b, p): pk
        for pk, r, a, b, p in FeedbackRequest.objects.filter(org=ctx.org).values_list(
            "pk", "requester_id", "asked_id", "about_id", "prompt"
        )
    }

    def request_key(r: _Request) -> tuple:
        return (r.requester.pk, r.asked.pk, r.about.pk, r.prompt)

    new_requests = [r for r in requests if request_key(r) not in have]
    rows = FeedbackRequest.objects.bulk_create(
        [
            FeedbackRequest(
                org=ctx.org,
                requester=r.requester,
                asked=r.asked,
                about=r.about,
                goal=r.goal,
                prompt=r.prompt,
                due_date=r.due,
                status=r.status,
                decline_reason=r.reason,
                created_at=r.at,
            )
            for r in new_requests
        ]
    )
    totals.requests += len(rows)
    have |= {request_key(r): row.pk for r, row in zip(new_requests, rows, strict=True)}

    existing = set(
        Feedback.objects.filter(org=ctx.org).values_list("giver_id", "recipient_id", "body")
    )
    new = [f for f in planned if (f.giver.pk, f.recipient.pk, f.body) not in existing]
    new.sort(key=lambda f: f.at)
    feedback = Feedback.objects.bulk_create(
        [
            Feedback(
                org=ctx.org,
                giver=f.giver,
                recipient=f.recipient,
                body=f.body,
                visibility=f.visibility,
                goal=f.goal,
                checkin=f.checkin,
                request_id=have[request_key(f.request)] if f.request else None,
                created_at=f.at,
                read_at=(f.at + (ctx.now - f.at) * rng.uniform(0.05, 0.5)) if f.read else None,
            )
            for f in new
        ],
        batch_size=BATCH_SIZE,
    )
    revisions = [
        FeedbackRevision(
            org=ctx.org,
            feedback=row,
            body=f.typo_of,
            edited_at=min(f.at + timedelta(minutes=12), ctx.now),
        )
        for f, row in zip(new, feedback, strict=True)
        if f.typo_of
    ]
    FeedbackRevision.objects.bulk_create(revisions)
    totals.feedback += len(feedback)
    totals.revisions += len(revisions)


# --- Threads on goals ---------------------------------------------------------------------


@dataclass
class _Comment:
    author: Membership
    goal: Goal
    checkin: CheckIn | None
    body: str
    at: datetime
    mentions: list[Membership] = field(default_factory=list)
    before_edit: str = ""
    removed_by: Membership | None = None


def _seed_threads(ctx: _Org, rng: random.Random, totals: FeedbackTotals) -> None:
    if not ctx.goal_list:
        return
    member, manager = ctx.login("member"), ctx.login("manager")
    first = [*ctx.goals[member.pk][:2], *ctx.goals[manager.pk][:1]]
    others = [g for g in ctx.goal_list if g not in first]
    rng.shuffle(others)
    chosen = (first + others)[:THREADS]
    threads: list[list[_Comment]] = []
    for n, goal in enumerate(chosen):
        script = THREAD_SCRIPTS[n % len(THREAD_SCRIPTS)]
        thread = _thread(ctx, rng, goal, script)
        if thread:
            threads.append(thread)
    # One comment edited (the typo fixed), one removed by its author.
    for thread in threads:
        edit = next((c for c in thread if EDIT[1] in c.body), None)
        if edit is not None:
            edit.before_edit = edit.body.replace(EDIT[1], EDIT[0])
            break
    if len(threads) > 1:
        victim = threads[1][-1]
        victim.removed_by = victim.author

    have = set(Comment.objects.filter(org=ctx.org).values_list("goal_id", flat=True).distinct())
    new = [c for thread in threads if thread[0].goal.pk not in have for c in thread]
    rows = Comment.objects.bulk_create(
        [
            Comment(
                org=ctx.org,
                author=c.author,
                goal=c.goal,
                checkin=c.checkin,
                body="" if c.removed_by else c.body,
                created_at=c.at,
                edited_at=c.at + timedelta(minutes=3) if c.before_edit else None,
                deleted_at=c.at + timedelta(minutes=20) if c.removed_by else None,
                deleted_by=c.removed_by,
            )
            for c in new
        ],
        batch_size=BATCH_SIZE,
    )
    mentions = [
        Mention(org=ctx.org, comment=row, person=person)
        for c, row in zip(new, rows, strict=True)
        for person in c.mentions
        if not c.removed_by
    ]
    Mention.objects.bulk_create(mentions)
    revisions = [
        CommentRevision(
            org=ctx.org, comment=row, body=c.before_edit, edited_at=c.at + timedelta(minutes=3)
        )
        for c, row in zip(new, rows, strict=True)
        if c.before_edit
    ]
    CommentRevision.objects.bulk_create(revisions)
    totals.threads += len({c.goal.pk for c in new})
    totals.comments += len(rows)
    totals.mentions += len(mentions)


def _thread(
    ctx: _Org, rng: random.Random, goal: Goal, script: list[tuple[str, str, bool]]
) -> list[_Comment]:
    """A conversation on ``goal`` between its owner, their manager and a colleague."""
    owner = ctx.by_pk[goal.owner_id]
    manager = ctx.manager_of(owner) or next((r for r in ctx.reports[owner.pk]), None)
    if manager is None:
        return []
    near = [p for p in _circle(ctx, owner) if p not in (owner, manager)]
    peer = rng.choice(near or [p for p in ctx.people if p not in (owner, manager)])
    cast = {"owner": owner, "manager": manager, "peer": peer}
    checkins = ctx.checkins[goal.pk]
    checkin = rng.choice(checkins[-4:]) if checkins else None
    if checkin is not None and any(on for *_, on in script):
        at = checkin.created_at + timedelta(minutes=rng.randint(30, 240))
    else:
        at = ctx.at(rng.uniform(0.3, 0.9), goal.created_at)
    comments = []
    for speaker, text, on_checkin in script:
        if at >= ctx.now:
            break
        mentioned = [cast[who] for who in cast if f"@{who}" in text]
        body = text.format(goal=goal.title, peer=first_name(peer))
        for who, person in cast.items():
            body = body.replace(f"@{who}", f"@{person.display_name}")
        comments.append(
            _Comment(
                cast[speaker],
                goal,
                checkin if on_checkin else None,
                body,
                at,
                [p for p in mentioned if p != cast[speaker]],
            )
        )
        at += timedelta(minutes=rng.randint(15, 60 * 20))
    return comments if len(comments) >= 2 else []


# --- Many more, for benchmarks ------------------------------------------------------------


def seed_scaled_feedback(
    org: Organization,
    *,
    now: datetime | None = None,
    feedback_per_person: int = SCALED_FEEDBACK,
    kudos_per_person: int = SCALED_KUDOS,
    comments_per_person: int = SCALED_COMMENTS,
) -> FeedbackTotals:
    """Top ``org`` up to about ``feedback_per_person`` feedback, ``kudos_per_person``
    kudos and ``comments_per_person`` comments per active person, bulk-inserted.

    Run after ``seed_feedback`` (values exist). The manager@ login's reports who have
    heard nothing for 30 days receive none of it. Idempotent on counts: a second run at
    the same size adds nothing.
    """
    started = clock.perf_counter()
    now = now or timezone.now()
    totals = FeedbackTotals()
    with tenant_context(org.pk):
        ctx = _Org(org, now, checkins=False)
        if len(ctx.people) < 2:
            return totals
        people = len(ctx.people)
        have = Feedback.objects.filter(org=org).count()
        rng = random.Random(f"cairn-scaled-feedback-{org.slug}-{have}")
        _scaled_feedback(ctx, rng, people * feedback_per_person - have, totals)
        have = Recognition.objects.filter(org=org).count()
        rng = random.Random(f"cairn-scaled-kudos-{org.slug}-{have}")
        _scaled_kudos(ctx, rng, people * kudos_per_person - have, totals)
        have = Comment.objects.filter(org=org).count()
        rng = random.Random(f"cairn-scaled-comments-{org.slug}-{have}")
        _scaled_comments(ctx, rng, people * comments_per_person - have, totals)
    totals.seconds = clock.perf_counter() - started
    return totals


def _colleague(ctx: _Org, rng: random.Random, person: Membership) -> Membership:
    circle = _circle(ctx, person)
    if circle and rng.random() < 0.7:
        return rng.choice(circle)
    return rng.choice(ctx.people)


def _scaled_feedback(ctx: _Org, rng: random.Random, count: int, totals: FeedbackTotals) -> None:
    if count <= 0:
        return
    # The manager@ login's reports who heard nothing for 30 days keep that signal.
    manager = ctx.login("manager")
    reports = [r.pk for r in ctx.reports[manager.pk]] if manager else []
    heard = Feedback.objects.filter(
        org=ctx.org, recipient__in=reports, created_at__gte=ctx.now - STALE_AFTER
    ).values_list("recipient_id", flat=True)
    quiet = set(reports) - set(heard)
    planned: list[_Feedback] = []
    while len(planned) < count:
        giver = rng.choice(ctx.people)
        recipient = _colleague(ctx, rng, giver)
        if recipient == giver or recipient.pk in quiet:
            continue
        goals = ctx.goals[recipient.pk]
        goal = rng.choice(goals) if goals and rng.random() < 0.34 else None
        if goal is not None:
            body = compose(rng, FEEDBACK_ON_GOAL, goal=goal.title)
        elif ctx.manager_of(recipient) == giver:
            body = compose(rng, FEEDBACK_DOWN)
        elif ctx.manager_of(giver) == recipient:
            body = compose(rng, FEEDBACK_UP)
        else:
            body = compose(rng, FEEDBACK_ACROSS)
        share = rng.random()
        planned.append(
            _Feedback(
                giver,
                recipient,
                body,
                rng.choices([PRIVATE, MANAGERS, PUBLIC], weights=[3, 5, 2])[0],
                ctx.at(share, goal.created_at if goal else None),
                goal=goal,
                read=share < 0.8 or rng.random() < 0.3,
            )
        )
    _insert_feedback(ctx, rng, planned, totals)


def _insert_feedback(
    ctx: _Org, rng: random.Random, planned: list[_Feedback], totals: FeedbackTotals
) -> None:
    planned.sort(key=lambda f: f.at)
    rows = Feedback.objects.bulk_create(
        [
            Feedback(
                org=ctx.org,
                giver=f.giver,
                recipient=f.recipient,
                body=f.body,
                visibility=f.visibility,
                goal=f.goal,
                created_at=f.at,
                read_at=(f.at + (ctx.now - f.at) * rng.uniform(0.05, 0.5)) if f.read else None,
            )
            for f in planned
        ],
        batch_size=BATCH_SIZE,
    )
    totals.feedback += len(rows)


def _scaled_kudos(ctx: _Org, rng: random.Random, count: int, totals: FeedbackTotals) -> None:
    if count <= 0:
        return
    values = list(CompanyValue.objects.filter(org=ctx.org, is_active=True).order_by("position"))
    planned: list[_Kudos] = []
    for _ in range(count):
        giver = rng.choice(ctx.people)
        recipients = list(
            dict.fromkeys(
                _colleague(ctx, rng, giver)
                for _ in range(rng.choices([1, 2, 3], weights=[7, 2, 1])[0])
            )
        )
        recipients = [r for r in recipients if r != giver] or [
            next(p for p in ctx.people if p != giver)
        ]
        goals = [g for r in recipients for g in ctx.goals[r.pk]]
        goal = rng.choice(goals) if goals and rng.random() < 0.34 else None
        if goal is not None:
            text = compose(rng, KUDOS_ON_GOAL, names=names(recipients), goal=goal.title)
        else:
            text = compose(rng, KUDOS_GENERAL, names=names(recipients))
        value = rng.choice(values) if values and rng.random() < 0.5 else None
        at = ctx.at(rng.random(), goal.created_at if goal else None)
        kudos = _Kudos(giver, recipients, text, value, goal, at)
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            person = rng.choice(ctx.people)
            if person != giver:
                kudos.reactions.append((person, rng.choice(REACTIONS)))
        kudos.reactions = list(dict.fromkeys(kudos.reactions))
        planned.append(kudos)
    _insert_kudos(ctx, rng, planned, totals)


def _scaled_comments(ctx: _Org, rng: random.Random, count: int, totals: FeedbackTotals) -> None:
    if count <= 0 or not ctx.goal_list:
        return
    have = set(Comment.objects.filter(org=ctx.org).values_list("goal_id", flat=True).distinct())
    goals = [g for g in ctx.goal_list if g.pk not in have]
    rng.shuffle(goals)
    planned: list[_Comment] = []
    for goal in goals:
        if len(planned) >= count:
            break
        owner = ctx.by_pk[goal.owner_id]
        cast = [owner, *[p for p in _circle(ctx, owner) if p != owner][:3]]
        at = ctx.at(rng.uniform(0.2, 0.8), goal.created_at)
        for n in range(rng.randint(2, 5)):
            if at >= ctx.now:
                break
            author = cast[n % len(cast)] if n % 2 == 0 else rng.choice(cast)
            body = rng.choice(SCALED_COMMENTS_TEXT)
            mentions = []
            if author != owner and rng.random() < 0.1:
                body = f"@{owner.display_name} {body}"
                mentions = [owner]
            planned.append(_Comment(author, goal, None, body, at, mentions))
            at += timedelta(minutes=rng.randint(15, 60 * 24))
    rows = Comment.objects.bulk_create(
        [
            Comment(org=ctx.org, author=c.author, goal=c.goal, body=c.body, created_at=c.at)
            for c in planned
        ],
        batch_size=BATCH_SIZE,
    )
    mentions = [
        Mention(org=ctx.org, comment=row, person=person)
        for c, row in zip(planned, rows, strict=True)
        for person in c.mentions
    ]
    Mention.objects.bulk_create(mentions, batch_size=BATCH_SIZE)
    totals.threads += len({c.goal.pk for c in planned})
    totals.comments += len(rows)
    totals.mentions += len(mentions)
