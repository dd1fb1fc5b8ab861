"""Demo goals: a quarter of OKRs for each demo organisation, and many more on demand.

``seed_goals`` writes a hand-made cascade through ``goals.services`` (organisation
objectives, unit goals, individual goals in every approval state, weeks of check-ins),
so events, approvals and progress are the real ones. ``seed_scaled_goals`` adds N goals
per person for benchmarks with bulk inserts and one set-based ``recompute_all``.

Both are idempotent: cycles are keyed on their name, goals on (cycle, title, owner),
and a goal that exists is left exactly as it is.
"""

from __future__ import annotations

import math
import random
import time as clock
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from core.tenancy import tenant_context
from goals import services
from goals.access import Actor
from goals.forecasts import refresh_forecast_misses
from goals.models import (
    CheckIn,
    Confidence,
    Cycle,
    EventKind,
    Goal,
    GoalEvent,
    GoalStatus,
    KeyResult,
    Level,
    Visibility,
)
from goals.rollup import kr_progress, recompute_all
from orgs.models import Membership, Organization, Role, Unit

K = KeyResult.Kind
D = KeyResult.Direction

# --- What a demo goal looks like ----------------------------------------------------


@dataclass(frozen=True)
class KR:
    title: str
    kind: str = K.NUMBER
    direction: str = D.INCREASE
    start: Decimal = Decimal(0)
    target: Decimal = Decimal(1)
    unit: str = ""
    milestones: tuple[str, ...] = ()
    weight: Decimal = Decimal(1)

    def as_kwargs(self) -> dict:
        """Arguments for ``services.kr_add`` (via ``goal_create(key_results=...)``)."""
        return {
            "title": self.title,
            "kind": self.kind,
            "direction": self.direction,
            "start_value": self.start,
            "target_value": self.target,
            "unit_label": self.unit,
            "milestones": list(self.milestones),
            "weight": self.weight,
        }


def _d(value: float | int | str) -> Decimal:
    return Decimal(str(value))


def num(title: str, start, target, unit: str = "", kind: str = K.NUMBER, weight=1) -> KR:
    """A number to raise or lower (the direction follows from start and target)."""
    direction = D.INCREASE if _d(target) > _d(start) else D.DECREASE
    return KR(title, kind, direction, _d(start), _d(target), unit, weight=_d(weight))


def pct(title: str, start, target, weight=1) -> KR:
    return num(title, start, target, "%", K.PERCENT, weight)


def money(title: str, start, target, unit: str = "€", weight=1) -> KR:
    return num(title, start, target, unit, K.CURRENCY, weight)


def above(title: str, usual, threshold, unit: str = "", kind: str = K.NUMBER) -> KR:
    """Keep a value above ``threshold``; ``usual`` is where it normally sits."""
    return KR(title, kind, D.STAY_ABOVE, _d(usual), _d(threshold), unit)


def below(title: str, usual, threshold, unit: str = "", kind: str = K.NUMBER) -> KR:
    return KR(title, kind, D.STAY_BELOW, _d(usual), _d(threshold), unit)


def done(title: str) -> KR:
    return KR(title, K.BOOLEAN)


def steps(title: str, *milestones: str) -> KR:
    return KR(title, K.MILESTONES, target=_d(len(milestones)), milestones=milestones)


# Approval states of a demo goal; "reapproval" is approved with a target raised since.
DRAFT, SUBMITTED, CHANGES, APPROVED = "draft", "submitted", "changes", "approved"
REAPPROVAL, COMPLETED, CANCELLED = "reapproval", "completed", "cancelled"
WITH_HISTORY = (APPROVED, REAPPROVAL, COMPLETED, CANCELLED)

# How fast a goal moves: share of the way to target per share of the cycle elapsed.
# "stale" goals stopped checking in three weeks ago; "done" goals reach the target early.
PACE = {"ahead": 1.2, "on": 1.02, "behind": 0.72, "off": 0.38, "stale": 0.85, "done": 1.8}
STALE_AFTER = timedelta(days=21)
NOTES = {
    "ahead": [
        "Ahead of plan.",
        "Good week: the last blocker is gone.",
        "Faster than expected thanks to the new tooling.",
    ],
    "on": [
        "Steady progress.",
        "On plan; next step is the rollout.",
        "Reviewed with the team, no surprises.",
        "Small step this week, still on course.",
    ],
    "behind": [
        "Slower than hoped: waiting on a review.",
        "Two people out this week.",
        "Scope grew; talking about what to drop.",
    ],
    "off": [
        "Blocked by the vendor; escalated.",
        "We underestimated this. Need help.",
        "No movement: the team was pulled onto incidents.",
    ],
    "stale": ["Steady progress.", "Picked up again after the launch."],
    "done": ["Target reached.", "Finished ahead of time."],
}


@dataclass(frozen=True)
class G:
    """One demo goal. ``owner`` is an email (without ``@``: at ``<slug>.test``);
    ``parent`` the ``key`` of an earlier goal; ``unit`` makes it a unit goal."""

    key: str
    title: str
    owner: str
    krs: tuple[KR, ...] = ()
    parent: str = ""
    unit: str = ""
    level: str = Level.INDIVIDUAL
    state: str = APPROVED
    pace: str = "on"
    private: bool = False
    comment: str = ""
    description: str = ""
    weight: Decimal = Decimal(1)


def objective(key: str, title: str, *krs: KR, pace="on", state=APPROVED, description="") -> G:
    """An organisation objective, owned by the organisation's admin@."""
    return G(
        key,
        title,
        "admin",
        krs,
        level=Level.ORGANISATION,
        pace=pace,
        state=state,
        description=description,
    )


def unit_goal(key: str, title: str, owner: str, unit: str, parent: str, *krs: KR, **kw) -> G:
    return G(key, title, owner, krs, parent=parent, unit=unit, level=Level.UNIT, **kw)


def personal(key: str, title: str, owner: str, parent: str, *krs: KR, **kw) -> G:
    return G(key, title, owner, krs, parent=parent, **kw)


# --- The cascades ----------------------------------------------------------------------
# Parents come before their children. The demo logins: member@ has three approved goals
# and a draft; manager@ has reports' goals waiting (submitted, and one needing re-approval).

ACME_CURRENT = [
    objective(
        "reliable",
        "Make Acme the most reliable platform in our market",
        above("Monthly uptime", "99.96", "99.9", "%", K.PERCENT),
        num("p95 API latency", 420, 250, "ms"),
        below("Sev-1 incidents a month", 1, 2),
        description="Customers choose us because we are up when they need us.",
    ),
    objective(
        "revenue",
        "Grow annual recurring revenue to €12M",
        money("Annual recurring revenue", 8_400_000, 12_000_000, weight=2),
        pct("Net revenue retention", 102, 110),
        num("Enterprise customers", 40, 60),
        pace="behind",
    ),
    objective(
        "customers",
        "Delight customers from their first login",
        num("Net Promoter Score", 31, 45),
        num("Days from sign-up to first value", 14, 5, "days"),
        done("Self-serve onboarding live on every plan"),
    ),
    objective(
        "team",
        "Build a team people want to join and stay in",
        num("Employee NPS", 12, 30),
        below("Regretted attrition (annualised)", 6, 8, "%", K.PERCENT),
        steps(
            "Hiring plan",
            "Hiring plan approved",
            "All Q4 roles opened",
            "Offers accepted for 10 roles",
            "A buddy for every new hire",
        ),
        pace="ahead",
    ),
    # Divisions and departments, owned by their leads.
    unit_goal(
        "eng",
        "Halve customer-facing incidents",
        "priya.raman",
        "Engineering",
        "reliable",
        num("Customer-facing incidents", 24, 12),
        pct("Services with SLOs", 35, 100),
    ),
    unit_goal(
        "product",
        "Ship self-serve onboarding",
        "grace.kim",
        "Product Engineering",
        "customers",
        steps(
            "Onboarding release",
            "Design approved",
            "Beta with 20 customers",
            "General availability",
            "Old set-up wizard removed",
        ),
        pct("Sign-ups completing set-up", 41, 75),
        pace="behind",
    ),
    unit_goal(
        "platform",
        "Make deployments boring: fast, safe and self-serve",
        "manager",
        "Platform",
        "eng",
        num("Lead time for changes", 72, 12, "hours"),
        pct("Change failure rate", 18, 8),
    ),
    unit_goal(
        "infra",
        "Move every service onto the new Kubernetes clusters",
        "marta.kowalski",
        "Infrastructure",
        "platform",
        num("Services migrated", 0, 42),
        money("Monthly hosting cost", 96_000, 80_000),
        pace="behind",
    ),
    unit_goal(
        "devex",
        "Cut CI time to under 10 minutes",
        "tom.becker",
        "Developer Experience",
        "platform",
        num("Median CI time", 24, 10, "min"),
    ),
    unit_goal(
        "web",
        "Rebuild the sign-up flow of the web app",
        "noah.schmidt",
        "Web",
        "product",
        pct("Sign-up conversion", "3.1", "4.5"),
        done("New flow on 100% of traffic"),
    ),
    unit_goal(
        "mobile",
        "Bring self-serve onboarding to the mobile apps",
        "aisha.bello",
        "Mobile",
        "product",
        num("App store rating", "4.1", "4.6"),
        pct("Crash-free sessions", "98.2", "99.5"),
        pace="off",
    ),
    unit_goal(
        "sm",
        "Win more enterprise customers",
        "olivia.grant",
        "Sales & Marketing",
        "revenue",
        money("New annual contract value", 0, 2_400_000),
        money("Qualified pipeline", 0, 9_000_000),
        pace="behind",
    ),
    unit_goal(
        "sales",
        "Close 20 new enterprise deals",
        "daniel.brooks",
        "Sales",
        "sm",
        num("Enterprise deals closed", 0, 20),
        pace="behind",
    ),
    unit_goal(
        "emea",
        "Open the DACH market",
        "sophie.laurent",
        "EMEA Sales",
        "sales",
        num("DACH deals closed", 0, 6),
        money("DACH pipeline", 0, 1_500_000),
    ),
    unit_goal(
        "americas",
        "Grow expansion revenue in the Americas",
        "carlos.mendes",
        "Americas Sales",
        "sales",
        money("Expansion revenue", 0, 800_000, "$"),
        num("Accounts with a second product", 12, 30),
        pace="off",
    ),
    unit_goal(
        "marketing",
        "Fill the enterprise pipeline",
        "hannah.weiss",
        "Marketing",
        "sm",
        num("Marketing-qualified leads", 0, 600),
        money("Cost per qualified lead", 420, 300),
        pace="ahead",
    ),
    unit_goal(
        "ops",
        "Scale the company without scaling the overhead",
        "ben.carter",
        "Operations",
        "team",
        num("Days to close the books", 12, 5, "days"),
        num("Days to hire", 52, 35, "days"),
    ),
    unit_goal(
        "finance",
        "Close the books in five working days",
        "yuki.tanaka",
        "Finance",
        "ops",
        num("Working days to close", 12, 5),
        done("Automated bank reconciliation live"),
    ),
    unit_goal(
        "people",
        "Hire and onboard ten engineers well",
        "fatima.hassan",
        "People",
        "team",
        num("Engineers hired", 0, 10),
        pct("New hires rating onboarding 4 or 5", 70, 90),
        pace="ahead",
    ),
    # member@acme.test (Jamie Lee): three approved goals to check in on, and a draft.
    personal(
        "jamie-failover",
        "Automate database failover for the billing service",
        "member",
        "platform",
        num("Failover time", 30, 2, "min"),
        steps(
            "Failover rollout",
            "Runbook written",
            "Game day in staging",
            "Game day in production",
            "Alert routing updated",
        ),
    ),
    personal(
        "jamie-flaky",
        "Get flaky tests out of the deploy pipeline",
        "member",
        "devex",
        pct("Pipeline runs failing on a flaky test", 12, 2),
        done("Quarantine job running in CI"),
        pace="behind",
    ),
    personal(
        "jamie-guide",
        "Publish a deployment guide every team can follow",
        "member",
        "platform",
        num("Teams deploying with the guide", 0, 8),
        pace="ahead",
    ),
    personal(
        "jamie-terraform",
        "Move the staging stack to Terraform",
        "member",
        "infra",
        num("Staging services in Terraform", 0, 15),
        state=DRAFT,
    ),
    # manager@acme.test (Sam Okafor) has these waiting: two submitted, one re-approval.
    personal(
        "lucia-canary",
        "Introduce canary releases for the public API",
        "lucia.fernandez",
        "platform",
        pct("API deploys going through a canary", 0, 90),
        pct("Bad releases stopped by the canary", 0, 80),
        state=SUBMITTED,
    ),
    personal(
        "lucia-cost",
        "Cut the platform team's cloud spend",
        "lucia.fernandez",
        "infra",
        money("Monthly cloud spend", 38_000, 30_000),
        pct("Instances with an owner tag", 55, 100),
        state=REAPPROVAL,
    ),
    personal(
        "lucia-promotion",
        "Build my case for staff engineer",
        "lucia.fernandez",
        "platform",
        steps(
            "Promotion case",
            "Sponsor agreed",
            "Design doc for canary releases",
            "Tech talk given",
            "Case submitted",
        ),
        private=True,
    ),
    personal(
        "ravi-slo",
        "Put SLO alerts on every tier-1 service",
        "ravi.patel",
        "infra",
        num("Tier-1 services with SLO alerts", 3, 18),
        state=SUBMITTED,
    ),
    personal(
        "ravi-oncall",
        "Make on-call calmer",
        "ravi.patel",
        "eng",
        num("Pages per on-call week", 12, 5),
        num("Runbooks for the top alerts", 4, 20),
        pace="behind",
    ),
    personal(
        "marta-vms",
        "Retire the legacy VM fleet",
        "marta.kowalski",
        "infra",
        num("Legacy VMs running", 64, 0),
        state=COMPLETED,
        pace="done",
    ),
    personal(
        "tom-monorepo",
        "Evaluate a move to a monorepo",
        "tom.becker",
        "devex",
        done("Recommendation written"),
        state=CANCELLED,
        comment="Parked: the CI work gives us most of the benefit this quarter.",
    ),
    personal(
        "ines-cache",
        "Add remote build caching to CI",
        "ines.moreau",
        "devex",
        pct("Cache hit rate", 0, 70),
        num("Median build time", 14, 6, "min"),
        state=CHANGES,
        comment="Good idea. Say which pipelines come first and tie the target to our "
        "10-minute CI goal.",
    ),
    personal(
        "ines-cli",
        "Ship version 2 of the developer CLI",
        "ines.moreau",
        "devex",
        steps("CLI v2", "Command design reviewed", "Beta to two teams", "Docs", "Release"),
        num("Teams using the CLI", 2, 10),
        pace="stale",
    ),
    personal(
        "emma-a11y",
        "Make sign-up accessible (WCAG 2.2 AA)",
        "emma.novak",
        "web",
        num("Accessibility issues open", 38, 0),
        done("External audit passed"),
    ),
    personal(
        "emma-mentor",
        "Mentor two junior engineers",
        "emma.novak",
        "web",
        num("Mentoring sessions held", 0, 12),
        private=True,
        pace="ahead",
    ),
    personal(
        "kenji-crashes",
        "Fix the ten most frequent iOS crashes",
        "kenji.watanabe",
        "mobile",
        num("Top crashes fixed", 0, 10),
        pct("Crash-free sessions on iOS", "98.0", "99.5"),
        pace="off",
    ),
    personal(
        "lars-dach",
        "Close three deals in Germany",
        "lars.nilsson",
        "emea",
        num("Deals closed", 0, 3),
        money("Pipeline created", 0, 600_000),
    ),
    personal(
        "megan-expand",
        "Expand our top 15 accounts",
        "megan.oconnell",
        "americas",
        num("Accounts expanded", 0, 15),
        pace="off",
    ),
    personal(
        "megan-pricing",
        "Get certified on the new pricing",
        "megan.oconnell",
        "americas",
        done("Certification passed"),
        state=SUBMITTED,
    ),
    personal(
        "oliver-campaign",
        "Launch the self-serve onboarding campaign",
        "oliver.hughes",
        "marketing",
        steps(
            "Campaign",
            "Messaging agreed",
            "Landing page live",
            "Webinar held",
            "Three customer stories published",
        ),
        num("Sign-ups from the campaign", 0, 1500),
        pace="ahead",
    ),
    personal(
        "samuel-recon",
        "Automate bank reconciliation",
        "samuel.adeyemi",
        "finance",
        pct("Transactions matched automatically", 40, 95),
    ),
    personal(
        "chloe-hiring",
        "Hire five backend engineers",
        "chloe.martin",
        "people",
        num("Backend engineers hired", 0, 5),
        num("Days to hire", 55, 35, "days"),
    ),
    personal(
        "chloe-careers",
        "Refresh the careers page",
        "chloe.martin",
        "people",
        pct("Visitors who apply", "2.0", "3.5"),
        state=DRAFT,
    ),
]

ACME_PREVIOUS = [
    objective(
        "q-stable",
        "Stabilise the platform after the summer launch",
        num("Sev-1 incidents", 9, 3),
        pct("Uptime", "99.5", "99.9"),
        state=COMPLETED,
        pace="done",
    ),
    objective(
        "q-revenue",
        "Reach €8.4M annual recurring revenue",
        money("Annual recurring revenue", 7_000_000, 8_400_000),
        num("New logos", 0, 25),
        pace="behind",
    ),
    unit_goal(
        "q-alerts",
        "Fix the ten noisiest production alerts",
        "priya.raman",
        "Engineering",
        "q-stable",
        num("Noisy alerts fixed", 0, 10),
        state=COMPLETED,
        pace="done",
    ),
    unit_goal(
        "q-sales",
        "Sign 25 new customers",
        "olivia.grant",
        "Sales & Marketing",
        "q-revenue",
        num("Customers signed", 0, 25),
        pace="behind",
    ),
]

GLOBEX_CURRENT = [
    objective(
        "yield",
        "Raise plant yield to 96%",
        pct("First-pass yield", 91, 96),
        money("Scrap cost a month", 140_000, 90_000),
    ),
    objective(
        "materials",
        "Bring two new materials to market",
        num("Materials qualified by customers", 0, 2),
        steps("Launch plan", "Pricing set", "Datasheets published", "First order shipped"),
        pace="behind",
    ),
    objective(
        "keep",
        "Keep every key customer",
        above("Gross revenue retention", 97, 95, "%", K.PERCENT),
        num("Customer satisfaction (CSAT)", 78, 88),
    ),
    unit_goal(
        "rnd",
        "Qualify the high-temperature polymer and the light alloy",
        "victor.hale",
        "Research & Development",
        "materials",
        num("Qualification tests passed", 0, 24),
        pace="behind",
    ),
    unit_goal(
        "lab",
        "Finish the material test programme",
        "manager",
        "Materials Lab",
        "rnd",
        num("Test runs completed", 0, 120),
        pct("Runs needing a repeat", 15, 5),
    ),
    unit_goal(
        "polymers",
        "Get the HT-400 polymer through heat ageing",
        "kofi.mensah",
        "Polymers",
        "lab",
        num("Heat-ageing hours logged", 0, 2000, "h"),
    ),
    unit_goal(
        "alloys",
        "Bring the alloy's porosity below 1%",
        "ingrid.solberg",
        "Alloys",
        "lab",
        pct("Porosity", "2.4", "1.0"),
        pace="off",
    ),
    unit_goal(
        "proto",
        "Build customer prototypes within two weeks",
        "oscar.diaz",
        "Prototyping",
        "rnd",
        num("Days from order to prototype", 35, 14, "days"),
    ),
    unit_goal(
        "mfg",
        "Run the plant at 80% equipment effectiveness",
        "rachel.stone",
        "Manufacturing",
        "yield",
        pct("Overall equipment effectiveness", 71, 80),
    ),
    unit_goal(
        "plant",
        "Cut unplanned downtime in half",
        "jonas.berg",
        "Plant Operations",
        "mfg",
        num("Unplanned downtime a month", 46, 20, "h"),
        pace="behind",
    ),
    unit_goal(
        "quality",
        "Catch defects before they ship",
        "amara.nwosu",
        "Quality",
        "mfg",
        below("Customer complaints a month", 3, 4),
        pct("Inline inspection coverage", 60, 95),
    ),
    unit_goal(
        "commercial",
        "Renew every key account",
        "liam.oconnor",
        "Commercial",
        "keep",
        num("Key accounts renewed", 0, 12),
    ),
    unit_goal(
        "success",
        "Answer every customer within a day",
        "mei.lin",
        "Customer Success",
        "keep",
        pct("Tickets answered within 24 hours", 72, 95),
        pace="ahead",
    ),
    # member@globex.test (Ming Zhao): three approved goals and a draft.
    personal(
        "ming-tensile",
        "Automate tensile test analysis",
        "member",
        "lab",
        pct("Test reports generated automatically", 0, 80),
        num("Hours per report", 3, "0.5", "h"),
    ),
    personal(
        "ming-ht400",
        "Characterise HT-400 at 250 °C",
        "member",
        "polymers",
        num("Samples characterised", 0, 40),
        done("Results presented to R&D"),
        pace="behind",
    ),
    personal(
        "ming-lims",
        "Move the lab notebooks into the LIMS",
        "member",
        "lab",
        steps("Migration", "Templates agreed", "Polymers moved", "Alloys moved", "Paper retired"),
        pace="ahead",
    ),
    personal(
        "ming-paper",
        "Write up the polymer results for a journal",
        "member",
        "polymers",
        done("Manuscript submitted"),
        state=DRAFT,
    ),
    # manager@globex.test (Elena Petrova) has these waiting.
    personal(
        "ana-samples",
        "Prepare 200 polymer samples for ageing",
        "ana.souza",
        "polymers",
        num("Samples prepared", 0, 200),
        state=SUBMITTED,
    ),
    personal(
        "ingrid-casting",
        "Trial vacuum casting for the alloy",
        "ingrid.solberg",
        "alloys",
        num("Casting trials run", 0, 8),
        state=SUBMITTED,
    ),
    personal(
        "kofi-throughput",
        "Double the lab's sample throughput",
        "kofi.mensah",
        "lab",
        num("Samples tested a week", 20, 40),
        state=REAPPROVAL,
    ),
    personal(
        "kofi-oven",
        "Commission the second ageing oven",
        "kofi.mensah",
        "polymers",
        done("Oven commissioned"),
        steps("Commissioning", "Delivered", "Installed", "Calibrated"),
        state=COMPLETED,
        pace="done",
    ),
    personal(
        "oscar-printer",
        "Evaluate a metal 3D printer",
        "oscar.diaz",
        "proto",
        done("Evaluation report"),
        state=CANCELLED,
        comment="Budget moved to the second ageing oven.",
    ),
    personal(
        "peter-changeover",
        "Cut changeover time on line 2",
        "peter.kowal",
        "plant",
        num("Changeover time", 45, 20, "min"),
    ),
    personal(
        "peter-lean",
        "Finish the lean manufacturing course",
        "peter.kowal",
        "plant",
        steps("Course", "Module 1", "Module 2", "Module 3", "Exam"),
        private=True,
        pace="stale",
    ),
    personal(
        "ana-calibration",
        "Keep the tensile tester calibrated",
        "ana.souza",
        "polymers",
        above("Calibration score", 98, 95, "%", K.PERCENT),
        num("Calibration checks done", 0, 12),
    ),
    personal(
        "amara-audit",
        "Pass the ISO 9001 surveillance audit",
        "amara.nwosu",
        "quality",
        steps("Audit", "Internal audit", "Findings closed", "Surveillance audit passed"),
        below("Open non-conformities", 2, 3),
    ),
    personal(
        "oscar-fixtures",
        "Build a library of reusable test fixtures",
        "oscar.diaz",
        "proto",
        num("Fixtures in the library", 4, 20),
        pace="ahead",
    ),
    personal(
        "mei-playbook",
        "Write the renewal playbook",
        "mei.lin",
        "commercial",
        done("Playbook published"),
        state=CHANGES,
        comment="Add the churn-risk signals we agreed on, then send it again.",
    ),
]

GLOBEX_PREVIOUS = [
    objective(
        "q-line2",
        "Commission production line 2",
        steps("Line 2", "Installed", "Safety sign-off", "First good batch", "Full speed"),
        state=COMPLETED,
        pace="done",
    ),
    objective(
        "q-samples",
        "Ship samples to five prospects",
        num("Prospects sampled", 0, 5),
        pace="behind",
    ),
]

CASCADES = {
    "acme": (ACME_PREVIOUS, ACME_CURRENT),
    "globex": (GLOBEX_PREVIOUS, GLOBEX_CURRENT),
}


# --- Cycles ---------------------------------------------------------------------------


def quarter(day: date) -> tuple[str, date, date]:
    """(name, first day, last day) of the calendar quarter containing ``day``."""
    q = (day.month - 1) // 3
    start = date(day.year, 3 * q + 1, 1)
    after = date(day.year + 1, 1, 1) if q == 3 else date(day.year, 3 * q + 4, 1)
    return f"{day.year} Q{q + 1}", start, after - timedelta(days=1)


# --- Check-in values ---------------------------------------------------------------------


def _step(kr: KeyResult) -> Decimal:
    span = abs(kr.target_value - kr.start_value) or abs(kr.target_value) or Decimal(1)
    integral = kr.start_value == kr.start_value.to_integral() and (
        kr.target_value == kr.target_value.to_integral()
    )
    if span >= 100_000:
        return Decimal(1000)
    if integral:
        return Decimal(1)
    return Decimal("0.1") if span >= 1 else Decimal("0.01")


def _rounded(value: float, step: Decimal) -> Decimal:
    return (Decimal(round(value / float(step))) * step).quantize(step if step < 1 else Decimal(1))


def checkin_value(
    kr: KeyResult, *, pace: str, share: float, final: bool, rng: random.Random, milestones=0
) -> Decimal:
    """The value a key result has ``share`` of the way through the cycle, with some noise.

    ``final`` is the last check-in: a goal with pace "done" is then on target, and a
    goal that is behind or off track shows its "stay above/below" value on the wrong side.
    """
    progress = min(max(PACE[pace] * share + rng.uniform(-0.04, 0.04), 0.0), 1.0)
    if pace == "done" and final:
        progress = 1.0
    if kr.kind == K.BOOLEAN:
        return Decimal(1 if progress >= 0.55 else 0)
    if kr.kind == K.MILESTONES:
        return Decimal(min(milestones, math.floor(milestones * progress + 0.3)))
    start, target = float(kr.start_value), float(kr.target_value)
    step = _step(kr)
    if kr.direction in (D.STAY_ABOVE, D.STAY_BELOW):
        margin = start - target  # the right side of the line is where ``start`` is
        wrong = pace in ("behind", "off") and (final or rng.random() < 0.2)
        value = (
            target - margin * rng.uniform(0.3, 0.8)
            if wrong
            else target + margin * (rng.uniform(0.5, 1.3))
        )
        rounded = _rounded(value, step)
        above = kr.direction == D.STAY_ABOVE
        right = rounded >= kr.target_value if above else rounded <= kr.target_value
        if right and wrong:  # rounding crossed the line: one step over it
            rounded = kr.target_value - step if above else kr.target_value + step
        elif not right and not wrong:
            rounded = kr.target_value
        return rounded
    return _rounded(start + (target - start) * progress, step)


def confidence_for(pace: str, share: float, rng: random.Random) -> str:
    if pace in ("ahead", "done"):
        return Confidence.HIGH
    if pace == "on":
        return Confidence.HIGH if rng.random() < 0.6 else Confidence.MEDIUM
    if pace == "off" and share > 0.25:
        return Confidence.LOW
    return Confidence.MEDIUM


# --- The hand-made cascade ------------------------------------------------------------------


@dataclass
class Totals:
    cycles: int = 0
    goals: int = 0
    key_results: int = 0
    checkins: int = 0
    events: int = 0
    seconds: float = 0.0
    states: Counter = field(default_factory=Counter)

    def add(self, other: Totals) -> None:
        self.cycles += other.cycles
        self.goals += other.goals
        self.key_results += other.key_results
        self.checkins += other.checkins
        self.events += other.events


class DriftError(RuntimeError):
    """Stored progress differs from a from-scratch recomputation."""


def assert_no_drift(org_id: int) -> None:
    """Raise unless every stored goal progress equals ``recompute_all(save=False)``."""
    stored = dict(Goal.objects.filter(org=org_id).values_list("pk", "progress"))
    computed = recompute_all(org_id, save=False)
    drifted = [pk for pk, value in computed.items() if abs(stored[pk] - value) > 1e-9]
    if drifted:
        raise DriftError(f"{len(drifted)} goals drifted from a recomputation, e.g. {drifted[:5]}")


class _Cascade:
    """Plants one organisation's demo cascade through the services."""

    def __init__(self, org: Organization, totals: Totals) -> None:
        self.org, self.totals = org, totals
        # Everything a service writes during this run has created_at >= started; the demo
        # moves it into the past and caps every past timestamp below ``started``.
        self.started = timezone.now()
        self.rng = random.Random(f"cairn-demo-{org.slug}")
        members = Membership.objects.filter(org=org).select_related("user", "unit")
        self.members = {m.user.email: m for m in members}
        self.by_pk = {m.pk: m for m in self.members.values()}
        self.units = {u.name: u for u in Unit.objects.filter(org=org)}
        self.units_by_pk = {u.pk: u for u in self.units.values()}
        self.actors: dict[int, Actor] = {}
        self.admin = self.member("admin")

    def member(self, local: str) -> Membership:
        return self.members[local if "@" in local else f"{local}@{self.org.slug}.test"]

    def actor(self, member: Membership) -> Actor:
        if member.pk not in self.actors:
            self.actors[member.pk] = Actor(member)
        return self.actors[member.pk]

    # --- time ---------------------------------------------------------------------

    def stamp(self, day: date, minutes: int = 0) -> datetime:
        """A moment on ``day`` (working hours), never later than the start of this run."""
        moment = datetime.combine(day, time(8, 30), tzinfo=UTC) + timedelta(minutes=minutes)
        return min(moment, self.started - timedelta(seconds=1))

    def backdate(self, goal: Goal, when: datetime) -> None:
        # The services stamp "now"; demo history needs the past. GoalEvent.save() refuses
        # changes (events are immutable), so the rows just written are moved with
        # queryset.update(), which does not call save().
        GoalEvent.objects.filter(org=self.org, goal=goal, created_at__gte=self.started).update(
            created_at=when
        )

    # --- cycles -------------------------------------------------------------------

    def cycle(self, day: date, status: str) -> Cycle:
        name, start, end = quarter(day)
        found = Cycle.objects.filter(org=self.org, name=name).first()
        if found is not None:
            if status == Cycle.Status.CLOSED and found.status == Cycle.Status.ACTIVE:
                # The first run after a quarter ended: last quarter's cycle is over.
                found = services.cycle_save(
                    actor=self.actor(self.admin),
                    cycle=found,
                    name=name,
                    start=start,
                    end=end,
                    status=status,
                )
            return found
        self.totals.cycles += 1
        return services.cycle_save(
            actor=self.actor(self.admin), name=name, start=start, end=end, status=status
        )

    # --- goals --------------------------------------------------------------------

    def plant_all(self, cycle: Cycle, specs: list[G], until: date) -> None:
        existing = {
            (g.title, g.owner_id): g for g in Goal.objects.filter(org=self.org, cycle=cycle)
        }
        planted: dict[str, Goal] = {}
        for spec in specs:
            owner = self.member(spec.owner)
            goal = existing.get((spec.title, owner.pk))
            if goal is None:
                goal = self.plant(cycle, spec, owner, planted.get(spec.parent), until)
            planted[spec.key] = goal

    def approver(self, goal: Goal, owner: Membership) -> Actor:
        """The owner's manager, or the lead of the unit above a unit goal; else the admin."""
        candidate = None
        if goal.level == Level.INDIVIDUAL and owner.manager_id:
            candidate = self.by_pk.get(owner.manager_id)
        elif goal.level == Level.UNIT and goal.unit_id:
            parent_unit = self.units_by_pk.get(self.units_by_pk[goal.unit_id].parent_id)
            if parent_unit is not None and parent_unit.lead_id:
                candidate = self.by_pk.get(parent_unit.lead_id)
        if candidate is not None and self.actor(candidate).can_approve(goal):
            return self.actor(candidate)
        return self.actor(self.admin)

    def plant(
        self, cycle: Cycle, spec: G, owner: Membership, parent: Goal | None, until: date
    ) -> Goal:
        rng = self.rng
        owner_actor = self.actor(owner)
        level = spec.level
        unit = (
            self.units[spec.unit]
            if spec.unit
            else (owner.unit if level == Level.INDIVIDUAL else None)
        )
        # Approved goals were set in the planning days before the cycle; the others lately.
        first = {Level.ORGANISATION: 12, Level.UNIT: 9, Level.INDIVIDUAL: 6}[level]
        if spec.state in WITH_HISTORY:
            created = cycle.start - timedelta(days=first)
            submitted, decided = created + timedelta(days=1), created + timedelta(days=2)
        else:
            created = until - timedelta(days={DRAFT: 2, SUBMITTED: 5, CHANGES: 8}[spec.state])
            submitted = created + timedelta(days=1)
            decided = min(submitted + timedelta(days=3), until)
        minutes = rng.randrange(0, 420)
        goal = services.goal_create(
            actor=self.actor(self.admin) if level == Level.ORGANISATION else owner_actor,
            cycle=cycle,
            title=spec.title,
            owner=owner,
            level=level,
            parent=parent,
            unit=unit,
            description=spec.description,
            weight=spec.weight,
            visibility=Visibility.PRIVATE if spec.private else Visibility.PUBLIC,
            key_results=[kr.as_kwargs() | {"owner": owner} for kr in spec.krs],
            status=GoalStatus.APPROVED if level == Level.ORGANISATION else GoalStatus.DRAFT,
        )
        when = self.stamp(created, minutes)
        self.backdate(goal, when)
        Goal.objects.filter(pk=goal.pk).update(created_at=when)
        KeyResult.objects.filter(goal=goal).update(created_at=when)
        last = when
        if level != Level.ORGANISATION and spec.state != DRAFT:
            services.goal_submit(actor=owner_actor, goal=goal)
            last = self.stamp(submitted, minutes)
            self.backdate(goal, last)
            approver = self.approver(goal, owner)
            if spec.state == CHANGES:
                services.goal_request_changes(actor=approver, goal=goal, comment=spec.comment)
            elif spec.state != SUBMITTED:
                services.goal_approve(actor=approver, goal=goal)
            if spec.state != SUBMITTED:
                last = self.stamp(decided, rng.randrange(0, 420))
                self.backdate(goal, last)
        if spec.state in WITH_HISTORY:
            last = self.history(goal, spec, owner_actor, cycle, until) or last
        Goal.objects.filter(pk=goal.pk).update(updated_at=last)
        self.totals.goals += 1
        self.totals.key_results += len(spec.krs)
        self.totals.states[spec.state] += 1
        goal.refresh_from_db()
        return goal

    def checkin_days(self, cycle: Cycle, spec: G, until: date) -> list[date]:
        """Weekly from the cycle's start (on the owner's usual weekday) up to ``until``."""
        # At least one check-in, even on the first days of a cycle.
        day = min(cycle.start + timedelta(days=self.rng.randrange(0, 5)), until)
        days = []
        while day <= until:
            days.append(day)
            day += timedelta(days=7)
        if spec.pace == "stale":
            days = [d for d in days if d <= until - STALE_AFTER] or days[:1]
        if spec.state == COMPLETED:
            reached = [d for d in days if PACE["done"] * cycle.elapsed(d) < 1.0]
            days = days[: len(reached) + 1]
        if spec.state == CANCELLED:
            days = days[:2]
        return days

    def history(
        self, goal: Goal, spec: G, owner_actor: Actor, cycle: Cycle, until: date
    ) -> datetime | None:
        """Weekly check-ins trending towards the targets, then the goal's ending, if any."""
        rng = self.rng
        key_results = list(
            KeyResult.objects.filter(org=self.org, goal=goal)
            .select_related("goal")
            .prefetch_related("milestones")
        )
        days = self.checkin_days(cycle, spec, until)
        last = None
        minutes = rng.randrange(0, 300)
        previous: dict[int, Decimal] = {}
        for i, day in enumerate(days):
            share = cycle.elapsed(day)
            final = i == len(days) - 1
            confidence = confidence_for(spec.pace, share, rng)
            note = rng.choice(NOTES[spec.pace]) if rng.random() < 0.6 else ""
            for j, kr in enumerate(key_results):
                milestones = list(kr.milestones.all())
                value = checkin_value(
                    kr,
                    pace=spec.pace,
                    share=share,
                    final=final,
                    rng=rng,
                    milestones=len(milestones),
                )
                if kr.kind == K.MILESTONES:
                    for milestone in milestones[: int(value)]:
                        if not milestone.done:
                            services.milestone_set_done(
                                actor=owner_actor, milestone=milestone, done=True
                            )
                            milestone.done = True
                    value = Decimal(sum(m.done for m in milestones))
                # Numbers get a check-in every week; done / not done and checklists when
                # they change, and otherwise every other week.
                steady = kr.kind in (K.BOOLEAN, K.MILESTONES) and previous.get(kr.pk) == value
                if steady and i % 2 and not final:
                    continue
                previous[kr.pk] = value
                services.checkin_create(
                    actor=owner_actor,
                    key_result=kr,
                    value=value,
                    confidence=confidence,
                    note=note if j == 0 else "",
                )
                self.totals.checkins += 1
            # The day's check-ins, their events and the goal's last check-in, moved to ``day``.
            last = self.stamp(day, minutes)
            CheckIn.objects.filter(org=self.org, goal=goal, created_at__gte=self.started).update(
                created_at=last
            )
            self.backdate(goal, last)
            Goal.objects.filter(pk=goal.pk).update(last_checkin_at=last)
        goal.refresh_from_db()
        end = min(days[-1] + timedelta(days=1), until) if days else until
        if spec.state == REAPPROVAL:
            # The owner raised a target after approval: back to the approver.
            kr = next(k for k in key_results if k.kind not in (K.BOOLEAN, K.MILESTONES))
            raised = kr.target_value + (kr.target_value - kr.start_value) / 4
            kr.refresh_from_db()
            services.kr_update(
                actor=owner_actor, key_result=kr, target_value=_rounded(float(raised), _step(kr))
            )
        elif spec.state == COMPLETED:
            services.goal_complete(actor=owner_actor, goal=goal)
        elif spec.state == CANCELLED:
            services.goal_cancel(actor=owner_actor, goal=goal, comment=spec.comment)
        else:
            return last
        last = self.stamp(end, 480)
        self.backdate(goal, last)
        return last


def seed_goals(org: Organization, *, today: date | None = None) -> Totals:
    """The demo cascade of ``org`` (acme or globex): last quarter, closed, and this one."""
    today = today or timezone.localdate()
    totals = Totals()
    previous_specs, current_specs = CASCADES[org.slug]
    with tenant_context(org.pk):
        events_before = GoalEvent.objects.filter(org=org).count()
        cascade = _Cascade(org, totals)
        _name, start, _end = quarter(today)
        previous = cascade.cycle(start - timedelta(days=1), Cycle.Status.CLOSED)
        cascade.plant_all(previous, previous_specs, previous.end)
        current = cascade.cycle(today, Cycle.Status.ACTIVE)
        cascade.plant_all(current, current_specs, today)
        totals.events = GoalEvent.objects.filter(org=org).count() - events_before
        # The services kept every progress up to date; a recomputation must agree.
        assert_no_drift(org.pk)
        # Check-ins were back-dated after the services saw them: the trends behind
        # "at risk" are computed again from the dates they now carry.
        refresh_forecast_misses(org.pk)
    return totals


# --- Many goals, for benchmarks -----------------------------------------------------------

SCALED_TITLES = {
    "Engineering": [
        "Cut the error rate of our services",
        "Ship my roadmap items on time",
        "Pay down the worst tech debt in our code",
        "Raise test coverage of the critical paths",
        "Make our pages load faster",
        "Automate a manual release step",
        "Document our services for on-call",
        "Halve our open bug backlog",
    ],
    "Sales & Marketing": [
        "Close new business in my territory",
        "Grow pipeline from existing accounts",
        "Renew my accounts on time",
        "Run two customer webinars",
        "Publish customer success stories",
        "Raise qualified leads from events",
    ],
    "Operations": [
        "Shorten the monthly close",
        "Automate a recurring report",
        "Process supplier invoices faster",
        "Improve new-hire onboarding ratings",
        "Clear the IT ticket backlog",
        "Get my team through compliance training",
    ],
}
DEFAULT_TITLES = [
    "Improve a key process of my team",
    "Deliver my part of the unit plan",
    "Learn a skill that helps the team",
    "Cut rework in my area",
]
SCALED_KRS = {
    "Engineering": [
        pct("Error rate", "2.5", "0.5"),
        num("Roadmap items shipped", 0, 6),
        num("Open bugs", 40, 20),
        pct("Test coverage", 55, 80),
        num("p95 page load", 2400, 1500, "ms"),
        done("Released to production"),
        money("Monthly cloud cost", 12_000, 9_000),
    ],
    "Sales & Marketing": [
        money("New bookings", 0, 250_000),
        num("Meetings booked", 0, 40),
        above("Renewal rate", 95, 90, "%", K.PERCENT),
        pct("Win rate", 18, 25),
        done("Webinar held"),
    ],
    "Operations": [
        num("Days to close", 10, 6, "days"),
        pct("Invoices processed automatically", 30, 80),
        num("Open tickets", 120, 60),
        num("Onboarding rating", "3.8", "4.5"),
        pct("Training completed", 40, 100),
        done("Report automated"),
    ],
}
DEFAULT_KRS = [num("Tasks done", 0, 10), pct("Quality score", 70, 90), done("Shipped")]
UNIT_TITLES = {
    "Engineering": "ship the quarter's roadmap with fewer incidents",
    "Sales & Marketing": "hit the quarter's bookings target",
    "Operations": "run a faster, cheaper back office",
}
# States of scaled goals, out of every 200 (the rest are approved), and their paces.
SCALED_STATES = [(DRAFT, 4), (SUBMITTED, 6), (CHANGES, 2), (COMPLETED, 2), (CANCELLED, 1)]
SCALED_PACES = [("ahead", 0.15), ("on", 0.5), ("behind", 0.17), ("off", 0.1), ("stale", 0.08)]
SCALED_CHECKINS = 3
BATCH_SIZE = 1000
GOALS_STAGE = "Adding goals"
DETAILS_STAGE = "Adding key results and check-ins"
STATUS = {
    DRAFT: GoalStatus.DRAFT,
    SUBMITTED: GoalStatus.SUBMITTED,
    CHANGES: GoalStatus.CHANGES_REQUESTED,
    APPROVED: GoalStatus.APPROVED,
    COMPLETED: GoalStatus.COMPLETED,
    CANCELLED: GoalStatus.CANCELLED,
}


def _pick(rng: random.Random, table: list[tuple[str, float]], default: str) -> str:
    r = rng.random()
    for value, share in table:
        if r < share:
            return value
        r -= share
    return default


@dataclass
class _Planned:
    """A goal to insert with its key results and each key result's check-ins."""

    goal: Goal
    state: str
    pace: str
    approver_id: int | None
    key_results: list[tuple[KeyResult, list[tuple[datetime, Decimal, str, str]]]] = field(
        default_factory=list
    )


def seed_scaled_goals(
    org: Organization,
    *,
    goals_per_person: int,
    today: date | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> Totals:
    """Give every unit a unit goal and every person ``goals_per_person`` individual goals
    (counting the ones they have: hand-made demo goals stay as they are).

    For speed the rows are bulk-inserted (goals, key results, check-ins and their events,
    with the check-ins' values computed here), then one set-based ``recompute_all``
    computes every goal's progress. Needs ``seed_goals`` first (the current cycle and its
    objectives). Idempotent: goals are keyed on (cycle, title, owner).
    """
    today = today or timezone.localdate()
    progress = progress or (lambda stage, done, total: None)
    totals = Totals()
    started = clock.perf_counter()
    with tenant_context(org.pk):
        planner = _Scaler(org, today, goals_per_person)
        planned = planner.plan_and_insert_goals(progress)
        planner.insert_details(planned, progress)
        recompute_all(org.pk)
        assert_no_drift(org.pk)
        totals.goals = len(planned)
        totals.key_results = sum(len(p.key_results) for p in planned)
        totals.checkins = sum(len(c) for p in planned for _kr, c in p.key_results)
        totals.events = planner.events
        totals.states = Counter(p.state for p in planned)
    totals.seconds = clock.perf_counter() - started
    return totals


class _Scaler:
    """Plans scaled goals with their key results and check-ins, and bulk-inserts them."""

    def __init__(self, org: Organization, today: date, per_person: int) -> None:
        self.org, self.today, self.per_person = org, today, per_person
        self.rng = random.Random(f"cairn-scaled-{org.slug}")
        self.started = timezone.now()
        self.events = 0
        self.count = 0
        name, _start, _end = quarter(today)
        self.cycle = Cycle.objects.get(org=org, name=name)
        units = list(Unit.objects.filter(org=org).values("pk", "name", "parent_id", "lead_id"))
        self.units = {u["pk"]: u for u in units}
        self.depth: dict[int, int] = {}
        self.family: dict[int, str] = {}
        for u in units:
            self._place(u["pk"])
        self.admin_id = (
            Membership.objects.filter(org=org, role=Role.ADMIN, is_active=True)
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )
        self.taken = set(
            Goal.objects.filter(org=org, cycle=self.cycle).values_list("owner_id", "title")
        )
        self.unit_goal: dict[int, dict] = {}
        for g in (
            Goal.objects.filter(org=org, cycle=self.cycle, level=Level.UNIT)
            .exclude(status=GoalStatus.CANCELLED)
            .order_by("pk")
            .values("pk", "unit_id", "due_date")
        ):
            self.unit_goal.setdefault(g["unit_id"], g)
        self.objectives = list(
            Goal.objects.filter(
                org=org, cycle=self.cycle, level=Level.ORGANISATION, status=GoalStatus.APPROVED
            )
            .order_by("pk")
            .values("pk", "unit_id", "due_date")
        )
        if not self.objectives:
            raise RuntimeError("Seed the demo cascade first: the cycle has no objectives.")

    def _place(self, pk: int) -> None:
        if pk in self.depth:
            return
        parent = self.units[pk]["parent_id"]
        if parent is None:
            self.depth[pk], self.family[pk] = 0, ""
            return
        self._place(parent)
        self.depth[pk] = self.depth[parent] + 1
        self.family[pk] = self.units[pk]["name"] if self.depth[pk] == 1 else self.family[parent]

    def parent_goal(self, unit_id: int | None, salt: int) -> dict:
        """The goal of the unit or of the nearest unit above it, else an objective."""
        while unit_id is not None:
            if unit_id in self.unit_goal:
                return self.unit_goal[unit_id]
            unit_id = self.units[unit_id]["parent_id"]
        return self.objectives[salt % len(self.objectives)]

    def plan(
        self,
        *,
        owner_id: int,
        approver_id: int | None,
        title: str,
        level: str,
        unit_id: int | None,
        parent: dict,
        krs: list[KR],
        state: str,
    ) -> _Planned:
        rng, cycle = self.rng, self.cycle
        pace = "done" if state == COMPLETED else _pick(rng, SCALED_PACES, "on")
        if state in WITH_HISTORY:
            created = cycle.start - timedelta(days=3)
        else:
            created = max(cycle.start, self.today - timedelta(days=rng.randrange(1, 6)))
        goal = Goal(
            org=self.org,
            cycle=cycle,
            level=level,
            title=title,
            owner_id=owner_id,
            unit_id=unit_id,
            parent_id=parent["pk"],
            due_date=parent["due_date"],
            status=STATUS[state],
            created_by_id=owner_id,
            created_at=self._stamp(created),
        )
        planned = _Planned(goal, state, pace, approver_id)
        # Check-ins: a few, spread over the time elapsed (none in the last 3 weeks if stale).
        elapsed = (self.today - cycle.start).days
        if pace == "stale":
            elapsed = max(elapsed - STALE_AFTER.days, 0)
        count = SCALED_CHECKINS if state in WITH_HISTORY else 0
        if state == CANCELLED:
            count = 1
        days = (
            sorted({cycle.start + timedelta(days=elapsed * (i + 1) // count) for i in range(count)})
            if count
            else []
        )
        for position, spec in enumerate(krs):
            kr = KeyResult(
                org=self.org,
                title=spec.title,
                kind=spec.kind,
                direction=spec.direction,
                start_value=spec.start,
                target_value=spec.target,
                current_value=spec.start,
                unit_label=spec.unit,
                weight=spec.weight,
                owner_id=owner_id,
                position=position,
                created_at=goal.created_at,
            )
            checkins = []
            for i, day in enumerate(days):
                share = cycle.elapsed(day)
                value = checkin_value(kr, pace=pace, share=share, final=i == len(days) - 1, rng=rng)
                confidence = confidence_for(pace, share, rng)
                checkins.append((self._stamp(day, 60 * i + position), value, confidence, ""))
                kr.current_value = value
            kr.progress = kr_progress(
                kind=kr.kind,
                direction=kr.direction,
                start=kr.start_value,
                target=kr.target_value,
                current=kr.current_value,
            )
            planned.key_results.append((kr, checkins))
        if days:
            goal.last_checkin_at = max(c[0] for _kr, cs in planned.key_results for c in cs)
            goal.confidence = planned.key_results[0][1][-1][2]
        self.taken.add((owner_id, title))
        return planned

    def _stamp(self, day: date, minutes: int = 0) -> datetime:
        moment = datetime.combine(day, time(9), tzinfo=UTC) + timedelta(minutes=minutes)
        return min(moment, self.started - timedelta(seconds=1))

    def _state(self) -> str:
        """States by position, spread out, so any 100 goals have them all."""
        self.count += 1
        slot = self.count * 37 % 200
        for state, share in SCALED_STATES:
            if slot < share:
                return state
            slot -= share
        return APPROVED

    def plan_and_insert_goals(self, progress: Callable[[str, int, int], None]) -> list[_Planned]:
        """Unit goals for units without one (parents first), then individual goals until
        every active person has ``per_person`` of them in the cycle."""
        planned: list[_Planned] = []
        people = list(
            Membership.objects.filter(org=self.org, is_active=True)
            .order_by("pk")
            .values("pk", "unit_id", "manager_id")
        )
        owned = Counter(
            Goal.objects.filter(org=self.org, cycle=self.cycle, level=Level.INDIVIDUAL).values_list(
                "owner_id", flat=True
            )
        )
        missing_units = [pk for pk in self.units if self.depth[pk] > 0 and pk not in self.unit_goal]
        goal_total = len(missing_units) + sum(
            max(self.per_person - owned[p["pk"]], 0) for p in people
        )
        progress(GOALS_STAGE, 0, goal_total)
        for depth in sorted({self.depth[pk] for pk in missing_units}):
            wave = [self.plan_unit_goal(pk) for pk in missing_units if self.depth[pk] == depth]
            Goal.objects.bulk_create([p.goal for p in wave], batch_size=BATCH_SIZE)
            for p in wave:
                self.unit_goal[p.goal.unit_id] = {
                    "pk": p.goal.pk,
                    "unit_id": p.goal.unit_id,
                    "due_date": p.goal.due_date,
                }
            planned += wave
            progress(GOALS_STAGE, len(planned), goal_total)
        batch: list[_Planned] = []
        for index, person in enumerate(people):
            batch += self.plan_personal_goals(index, person, self.per_person - owned[person["pk"]])
            if len(batch) >= BATCH_SIZE or (index == len(people) - 1 and batch):
                Goal.objects.bulk_create([p.goal for p in batch], batch_size=BATCH_SIZE)
                planned += batch
                batch = []
                progress(GOALS_STAGE, len(planned), goal_total)
        return planned

    def plan_unit_goal(self, pk: int) -> _Planned:
        """The unit's goal, owned by its lead and aligned to the goal of the unit above."""
        unit, family = self.units[pk], self.family[pk]
        krs = SCALED_KRS.get(family, DEFAULT_KRS)
        parent_unit = self.units[unit["parent_id"]]
        return self.plan(
            owner_id=unit["lead_id"] or self.admin_id,
            approver_id=parent_unit["lead_id"] or self.admin_id,
            title=f"{unit['name']}: {UNIT_TITLES.get(family, 'deliver the unit plan')}",
            level=Level.UNIT,
            unit_id=pk,
            parent=self.parent_goal(unit["parent_id"], pk),
            krs=[krs[pk % len(krs)], krs[(pk + 2) % len(krs)]],
            state=APPROVED,
        )

    def plan_personal_goals(self, index: int, person: dict, count: int) -> list[_Planned]:
        """``count`` goals for one person, with titles they don't have yet."""
        family = self.family.get(person["unit_id"], "")
        titles = SCALED_TITLES.get(family, DEFAULT_TITLES)
        krs = SCALED_KRS.get(family, DEFAULT_KRS)
        parent = self.parent_goal(person["unit_id"], person["pk"])
        found: list[_Planned] = []
        k = 0
        while len(found) < count:
            title = titles[(index + k) % len(titles)]
            if k >= len(titles):
                title = f"{title} (part {k // len(titles) + 1})"
            k += 1
            if (person["pk"], title) in self.taken:
                continue
            n = index + 2 * k
            found.append(
                self.plan(
                    owner_id=person["pk"],
                    approver_id=person["manager_id"] or self.admin_id,
                    title=title,
                    level=Level.INDIVIDUAL,
                    unit_id=person["unit_id"],
                    parent=parent,
                    krs=[krs[n % len(krs)], krs[(n + 3) % len(krs)]],
                    state=self._state(),
                )
            )
        return found

    def insert_details(self, planned: list[_Planned], progress: Callable[[str, int, int], None]):
        """Key results, check-ins, events and approval snapshots, a thousand goals at a time."""
        for offset in range(0, len(planned), BATCH_SIZE):
            chunk = planned[offset : offset + BATCH_SIZE]
            krs = []
            for p in chunk:
                for kr, _checkins in p.key_results:
                    kr.goal = p.goal
                    krs.append(kr)
            KeyResult.objects.bulk_create(krs, batch_size=BATCH_SIZE)
            checkins, events, snapshots = [], [], []
            for p in chunk:
                events += self.status_events(p)
                for kr, values in p.key_results:
                    before = kr.start_value
                    for when, value, confidence, note in values:
                        checkins.append(
                            CheckIn(
                                org=self.org,
                                key_result=kr,
                                goal=p.goal,
                                author_id=p.goal.owner_id,
                                value=value,
                                confidence=confidence,
                                note=note,
                                created_at=when,
                            )
                        )
                        events.append(
                            self.event(
                                p.goal,
                                p.goal.owner_id,
                                EventKind.CHECKED_IN,
                                when,
                                {"key_result": kr.pk, "value": services.jsonable(before)},
                                {
                                    "key_result": kr.pk,
                                    "value": services.jsonable(value),
                                    "confidence": confidence,
                                },
                            )
                        )
                        before = value
                if p.goal.status in (GoalStatus.APPROVED, GoalStatus.COMPLETED):
                    p.goal.approved_snapshot = services.approval_snapshot(
                        p.goal, key_results=[kr for kr, _c in p.key_results]
                    )
                    snapshots.append(p.goal)
            CheckIn.objects.bulk_create(checkins, batch_size=BATCH_SIZE)
            services.record_events_bulk(events, batch_size=BATCH_SIZE)
            Goal.objects.bulk_update(snapshots, ["approved_snapshot"], batch_size=BATCH_SIZE)
            self.events += len(events)
            progress(DETAILS_STAGE, offset + len(chunk), len(planned))

    def event(
        self, goal: Goal, actor_id, kind: EventKind, when: datetime, before, after, comment=""
    ) -> GoalEvent:
        return services.event_build(
            org_id=self.org.pk,
            goal_id=goal.pk,
            actor_id=actor_id,
            kind=kind,
            before=before,
            after=after,
            comment=comment,
            at=when,
        )

    def status_events(self, p: _Planned) -> list[GoalEvent]:
        """The goal's way to its state: created, submitted, approved or sent back, ended."""
        goal, owner = p.goal, p.goal.owner_id
        created = goal.created_at
        after = {"title": goal.title, "status": GoalStatus.DRAFT, "parent_id": goal.parent_id}
        events = [self.event(goal, owner, EventKind.CREATED, created, None, after)]
        if p.state == DRAFT:
            return events
        hour = timedelta(hours=1)
        events.append(
            self.event(
                goal,
                owner,
                EventKind.SUBMITTED,
                created + hour,
                {"status": GoalStatus.DRAFT},
                {"status": GoalStatus.SUBMITTED},
            )
        )
        if p.state == SUBMITTED:
            return events
        if p.state == CHANGES:
            events.append(
                self.event(
                    goal,
                    p.approver_id,
                    EventKind.CHANGES_REQUESTED,
                    created + 2 * hour,
                    {"status": GoalStatus.SUBMITTED},
                    {"status": GoalStatus.CHANGES_REQUESTED},
                    "Make the key results measurable, then send it again.",
                )
            )
            return events
        events.append(
            self.event(
                goal,
                p.approver_id,
                EventKind.APPROVED,
                created + 2 * hour,
                {"status": GoalStatus.SUBMITTED},
                {"status": GoalStatus.APPROVED},
            )
        )
        end = (goal.last_checkin_at or created) + hour
        if p.state == COMPLETED:
            events.append(
                self.event(
                    goal,
                    owner,
                    EventKind.COMPLETED,
                    end,
                    {"status": GoalStatus.APPROVED},
                    {"status": GoalStatus.COMPLETED},
                )
            )
        elif p.state == CANCELLED:
            events.append(
                self.event(
                    goal,
                    owner,
                    EventKind.CANCELLED,
                    end,
                    {"status": GoalStatus.APPROVED},
                    {"status": GoalStatus.CANCELLED},
                    "Priorities changed.",
                )
            )
        return events
