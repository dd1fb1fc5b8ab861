"""Demo data: two organisations with unit trees, people, reporting lines, logins, goals
and KPIs.

Idempotent: organisations are keyed on slug, units on their path, people on their
email address, cycles on their name, goals on (cycle, title, owner) and KPIs on their
name; a re-run creates only what is missing and changes nothing else. ``--people N``
grows Acme to N active people in about N/10 units; ``--goals-per-person N`` gives each
of Acme's people N individual goals and each unit a unit goal.

People and units are written directly (and in bulk for ``--people``) rather than
through the services: there are no events, emails or per-row validation to run for
them. The goals cascade (devtools.demo) goes through goals.services, so its events and
progress are real; the scaled goals are bulk-inserted. The KPIs (devtools.demo_kpis)
are created through kpis.services, their year of measurements bulk-inserted. Every
tenant write happens inside ``tenant_context`` so PostgreSQL's row-level security
accepts it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError

from core.tenancy import tenant_context
from devtools import demo, demo_feedback, demo_kpis
from feedback.models import Feedback, Recognition
from goals import services as goal_services
from goals.models import CheckIn, Cycle, Goal
from kpis.models import Kpi, Measurement
from orgs.models import Membership, Organization, Role, Unit, User
from orgs.selectors import unit_paths

PASSWORD = "cairn-demo"
BATCH_SIZE = 500
PEOPLE_PER_UNIT = 10
# New units go under units at depth 1-3, so the tree is at most five levels deep.
MAX_PARENT_DEPTH = 3


@dataclass(frozen=True)
class OrgSpec:
    """One demo organisation as two tables with ``|`` between columns.

    ``units``: name | parent's name | lead's email, parents first; names are unique.
    ``people``: email | full name | title | unit name, leads before their people.
    An email without ``@`` is at ``<slug>.test``. Everyone reports to their unit's
    lead, and a lead to the lead of the unit above; whoever leads a unit is a manager
    unless listed in ``admins``.
    """

    slug: str
    name: str
    admins: tuple[str, ...]
    units: str
    people: str

    def email(self, local: str) -> str:
        return local if "@" in local else f"{local}@{self.slug}.test"

    def unit_rows(self) -> list[tuple[str, str, str]]:
        """(path, parent's path, lead's email) for each unit, parents first."""
        paths: dict[str, str] = {"": ""}
        rows = []
        for name, parent, lead in _rows(self.units):
            paths[name] = f"{paths[parent]}/{name}" if parent else name
            rows.append((paths[name], paths[parent], self.email(lead)))
        return rows

    def people_rows(self) -> list[tuple[str, str, str, str, str, str | None]]:
        """(email, full name, title, role, unit path, manager's email) for each person."""
        units = {path: (parent, lead) for path, parent, lead in self.unit_rows()}
        paths = {path.rpartition("/")[2]: path for path in units}
        admins = {self.email(local) for local in self.admins}
        leads = {lead for _, lead in units.values()}
        rows = []
        for local, full_name, title, unit_name in _rows(self.people):
            email, path = self.email(local), paths[unit_name]
            parent, manager = units[path]
            while manager == email:  # a lead reports to the lead of the unit above
                parent, manager = units[parent] if parent else ("", None)
            role = (
                Role.ADMIN if email in admins else Role.MANAGER if email in leads else Role.MEMBER
            )
            rows.append((email, full_name, title, role, path, manager))
        return rows


def _rows(table: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.split("|")] for line in table.strip().splitlines()]


ACME = OrgSpec(
    slug="acme",
    name="Acme Corporation",
    admins=("admin", "ben.carter"),
    units="""
    Acme Corporation     |                     | admin
    Engineering          | Acme Corporation    | priya.raman
    Platform             | Engineering         | manager
    Infrastructure       | Platform            | marta.kowalski
    Developer Experience | Platform            | tom.becker
    Product Engineering  | Engineering         | grace.kim
    Web                  | Product Engineering | noah.schmidt
    Mobile               | Product Engineering | aisha.bello
    Sales & Marketing    | Acme Corporation    | olivia.grant
    Sales                | Sales & Marketing   | daniel.brooks
    EMEA Sales           | Sales               | sophie.laurent
    Americas Sales       | Sales               | carlos.mendes
    Marketing            | Sales & Marketing   | hannah.weiss
    Operations           | Acme Corporation    | ben.carter
    Finance              | Operations          | yuki.tanaka
    People               | Operations          | fatima.hassan
    """,
    people="""
    admin           | Alex Morgan     | Chief Executive Officer     | Acme Corporation
    priya.raman     | Priya Raman     | VP Engineering              | Engineering
    olivia.grant    | Olivia Grant    | Chief Revenue Officer       | Sales & Marketing
    ben.carter      | Ben Carter      | Chief Operating Officer     | Operations
    manager         | Sam Okafor      | Head of Platform            | Platform
    member          | Jamie Lee       | Software Engineer           | Platform
    lucia.fernandez | Lucía Fernández | Senior Software Engineer    | Platform
    marta.kowalski  | Marta Kowalski  | Infrastructure Lead         | Infrastructure
    ravi.patel      | Ravi Patel      | Site Reliability Engineer   | Infrastructure
    tom.becker      | Tom Becker      | Developer Experience Lead   | Developer Experience
    ines.moreau     | Inès Moreau     | Software Engineer           | Developer Experience
    grace.kim       | Grace Kim       | Head of Product Engineering | Product Engineering
    noah.schmidt    | Noah Schmidt    | Web Team Lead               | Web
    emma.novak      | Emma Novak      | Frontend Engineer           | Web
    aisha.bello     | Aisha Bello     | Mobile Team Lead            | Mobile
    kenji.watanabe  | Kenji Watanabe  | iOS Engineer                | Mobile
    daniel.brooks   | Daniel Brooks   | Head of Sales               | Sales
    sophie.laurent  | Sophie Laurent  | EMEA Sales Manager          | EMEA Sales
    lars.nilsson    | Lars Nilsson    | Account Executive           | EMEA Sales
    carlos.mendes   | Carlos Mendes   | Americas Sales Manager      | Americas Sales
    megan.oconnell  | Megan O'Connell | Account Executive           | Americas Sales
    hannah.weiss    | Hannah Weiss    | Head of Marketing           | Marketing
    oliver.hughes   | Oliver Hughes   | Product Marketing Manager   | Marketing
    yuki.tanaka     | Yuki Tanaka     | Head of Finance             | Finance
    samuel.adeyemi  | Samuel Adeyemi  | Financial Analyst           | Finance
    fatima.hassan   | Fatima Hassan   | Head of People              | People
    chloe.martin    | Chloé Martin    | Recruiter                   | People
    consultant@cairn.test | Casey Quinn | Strategy Consultant     | Acme Corporation
    """,
)

GLOBEX = OrgSpec(
    slug="globex",
    name="Globex",
    admins=("admin",),
    units="""
    Globex                 |                        | admin
    Research & Development | Globex                 | victor.hale
    Materials Lab          | Research & Development | manager
    Polymers               | Materials Lab          | kofi.mensah
    Alloys                 | Materials Lab          | ingrid.solberg
    Prototyping            | Research & Development | oscar.diaz
    Manufacturing          | Globex                 | rachel.stone
    Plant Operations       | Manufacturing          | jonas.berg
    Quality                | Manufacturing          | amara.nwosu
    Commercial             | Globex                 | liam.oconnor
    Customer Success       | Commercial             | mei.lin
    """,
    people="""
    admin          | Nora Lindqvist | Chief Operating Officer  | Globex
    victor.hale    | Victor Hale    | Director of R&D          | Research & Development
    manager        | Elena Petrova  | Head of Materials Lab    | Materials Lab
    member         | Ming Zhao      | Research Scientist       | Materials Lab
    kofi.mensah    | Kofi Mensah    | Polymers Team Lead       | Polymers
    ana.souza      | Ana Souza      | Lab Technician           | Polymers
    ingrid.solberg | Ingrid Solberg | Alloys Team Lead         | Alloys
    oscar.diaz     | Óscar Díaz     | Prototyping Lead         | Prototyping
    rachel.stone   | Rachel Stone   | VP Manufacturing         | Manufacturing
    jonas.berg     | Jonas Berg     | Plant Manager            | Plant Operations
    peter.kowal    | Peter Kowal    | Shift Supervisor         | Plant Operations
    amara.nwosu    | Amara Nwosu    | Quality Manager          | Quality
    liam.oconnor   | Liam O'Connor  | Commercial Director      | Commercial
    mei.lin        | Mei Lin        | Head of Customer Success | Customer Success
    consultant@cairn.test | Casey Quinn | Strategy Consultant | Globex
    """,
)

SPECS = [ACME, GLOBEX]

# --- Generated people and units for --people -----------------------------------

FIRST_NAMES = (
    "Aaron Abigail Adam Adele Ahmed Aiko Alan Alice Amir Anders Andrea Anna Arjun Astrid "
    "Beatriz Bruno Caleb Camille Chen Clara Daniela David Diego Elif Elliot Emil Ethan Eva "
    "Felix Freya Gabriel Hana Hugo Ibrahim Ida Isaac Ivan Jakob Jasmine Javier Julia Kai "
    "Karin Leila Leon Lina Luca Maya Mateo Mia Nadia Nikolai Nina Omar Paula Rafael Rosa "
    "Sara Simon Tariq Zoe Aurora Bilal Dalia Erik Farah Greta Henrik Imani"
).split()
LAST_NAMES = (
    "Abbott Alvarez Andersen Bauer Bianchi Blake Brennan Castillo Chandra Cohen Costa Dahl "
    "Dubois Eriksen Evans Farouk Fischer Foster Garcia Gupta Hall Hansen Haddad Ito Ivanova "
    "Jensen Johansson Kaur Keller Khan Kim Klein Kovacs Larsen Lopez Mahler Marino Meyer "
    "Mori Murphy Nakamura Nguyen Novak Okoye Olsen Ortiz Park Perez Quinn Reyes Rossi Roth "
    "Sato Schulz Silva Singh Sorensen Suzuki Tan Torres Usman Varga Vogel Walsh Weber "
    "Williams Wong Yilmaz Young Zhang Ziegler Baker Carter Diaz Ellis Fraser Grant Hughes"
).split()
# Steps through every (first, last) pair once, so consecutive people differ in both.
NAME_STRIDE = 2377

UNIT_WORDS = {
    "Engineering": (
        "Payments, Search, Identity, Billing, Notifications, Reliability, Security, "
        "Integrations, Analytics, Growth, Onboarding, Performance, Tooling, API, Frontend, "
        "Checkout, Storage, Messaging, Observability, Data Platform, Machine Learning"
    ).split(", "),
    "Sales & Marketing": (
        "Enterprise, Mid-Market, Small Business, Partnerships, Renewals, Nordics, DACH, "
        "Benelux, Iberia, APAC, LATAM, Brand, Content, Events, Demand Generation, "
        "Field Marketing, Communications, Sales Engineering"
    ).split(", "),
    "Operations": (
        "Payroll, Recruiting, Facilities, Procurement, Legal, Compliance, IT Support, "
        "Treasury, Tax, Learning, Workplace, Benefits, Internal Audit, Risk, Travel"
    ).split(", "),
}
UNIT_SUFFIXES = ["", " Core", " Services", " Tools", " Insights", " Experience", " Operations"]
DEFAULT_UNIT_WORDS = "Alpha Beta Gamma Delta Epsilon Zeta Theta Kappa Lambda Sigma".split()

MEMBER_TITLES = {
    "Engineering": [
        "Software Engineer",
        "Senior Software Engineer",
        "Staff Engineer",
        "QA Engineer",
        "Site Reliability Engineer",
        "Product Designer",
        "Data Engineer",
        "Product Manager",
    ],
    "Sales & Marketing": [
        "Account Executive",
        "Sales Development Representative",
        "Account Manager",
        "Solutions Consultant",
        "Marketing Specialist",
        "Content Writer",
    ],
    "Operations": [
        "Financial Analyst",
        "Accountant",
        "HR Business Partner",
        "Recruiter",
        "Legal Counsel",
        "IT Support Specialist",
        "Operations Analyst",
    ],
}
DEFAULT_MEMBER_TITLES = ["Analyst", "Specialist", "Associate", "Coordinator"]
LEAD_TITLES = {
    "Engineering": "Engineering Manager",
    "Sales & Marketing": "Sales Manager",
    "Operations": "Operations Manager",
}


@dataclass(eq=False)
class Node:
    """A unit while planning: an existing one (``unit`` saved) or a new one."""

    name: str
    parent: Node | None
    depth: int
    family: str  # the name of its division, which picks names and titles
    unit: Unit
    lead: Membership | None = None
    children: int = 0


@dataclass(eq=False)
class Plan:
    """A person to create: ``manager`` is saved before this person is."""

    membership: Membership
    user: User
    manager: Membership | None


@dataclass
class Totals:
    users: int = 0
    units: int = 0
    memberships: int = 0
    leads: int = 0
    orgs: int = 0
    goals: demo.Totals = field(default_factory=demo.Totals)
    kpis: demo_kpis.KpiTotals = field(default_factory=demo_kpis.KpiTotals)
    feedback: demo_feedback.FeedbackTotals = field(default_factory=demo_feedback.FeedbackTotals)
    notes: list[str] = field(default_factory=list)


def _ascii(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


class Command(BaseCommand):
    help = "Create demo organisations (acme, globex), people and logins; safe to re-run."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--people",
            type=int,
            default=0,
            help="Grow Acme to this many active people, in about one unit per ten people.",
        )
        parser.add_argument(
            "--goals-per-person",
            type=int,
            default=0,
            help="Give each of Acme's people this many individual goals (two key results and "
            "a few check-ins each) and each unit a unit goal; use with --people.",
        )
        parser.add_argument(
            "--no-goals",
            action="store_true",
            help="Only organisations, units, people and logins: no cycles, goals or KPIs.",
        )

    def handle(
        self, *args, people: int = 0, goals_per_person: int = 0, no_goals: bool = False, **options
    ) -> None:
        if people < 0:
            raise CommandError("--people must be zero or more.")
        if goals_per_person < 0:
            raise CommandError("--goals-per-person must be zero or more.")
        if no_goals and goals_per_person:
            raise CommandError("--goals-per-person needs the demo goals: drop --no-goals.")
        self.password_hash = make_password(PASSWORD)  # hashed once, shared by every demo user
        totals = Totals()
        orgs = {spec.slug: self.seed_org(spec, totals) for spec in SPECS}
        if people:
            self.grow(orgs["acme"], people, totals)
        if not no_goals:
            for org in orgs.values():
                with goal_services.notifications_paused():
                    totals.goals.add(demo.seed_goals(org))
                totals.kpis.add(demo_kpis.seed_kpis(org))
                spec = next(s for s in SPECS if s.slug == org.slug)
                emails = [row[0] for row in spec.people_rows()]
                totals.feedback.add(demo_feedback.seed_feedback(org, emails=emails))
        if goals_per_person:
            self.scale_goals(orgs["acme"], goals_per_person, totals)
        if people and not no_goals:
            totals.feedback.add(demo_feedback.seed_scaled_feedback(orgs["acme"]))
        self.report(orgs, totals)

    def scale_goals(self, org: Organization, per_person: int, totals: Totals) -> None:
        scaled = demo.seed_scaled_goals(
            org, goals_per_person=per_person, progress=self.stage_progress
        )
        totals.goals.add(scaled)
        if scaled.goals:
            self.stdout.write("")  # end the progress bar's line
            totals.notes.append(
                f"Added {scaled.goals:,} goals to {org.name} ({per_person} a person, plus unit "
                f"goals) with {scaled.key_results:,} key results, {scaled.checkins:,} check-ins "
                f"and {scaled.events:,} events in {scaled.seconds:.1f} s."
            )
        else:
            totals.notes.append(f"{org.name}'s people already have {per_person} goals each.")

    # --- The fixed demo --------------------------------------------------------

    def seed_org(self, spec: OrgSpec, totals: Totals) -> Organization:
        org, created = Organization.objects.get_or_create(
            slug=spec.slug, defaults={"name": spec.name}
        )
        totals.orgs += created
        with tenant_context(org.pk):
            paths = unit_paths(org=org)
            by_pk = Unit.objects.filter(org=org).in_bulk(list(paths))
            units = {path: by_pk[pk] for pk, path in paths.items()}
            unit_rows = spec.unit_rows()
            for path, parent_path, _lead in unit_rows:
                if path not in units:
                    units[path] = Unit.objects.create(
                        org=org, name=path.rpartition("/")[2], parent=units.get(parent_path)
                    )
                    totals.units += 1
            members = {
                m.user.email: m for m in Membership.objects.filter(org=org).select_related("user")
            }
            for email, full_name, title, role, unit, manager in spec.people_rows():
                if email in members:
                    continue
                user, user_created = User.objects.get_or_create(
                    email=email, defaults={"full_name": full_name, "password": self.password_hash}
                )
                totals.users += user_created
                members[email] = Membership.objects.create(
                    org=org,
                    user=user,
                    role=role,
                    title=title,
                    unit=units[unit],
                    manager=members[manager] if manager else None,
                )
                totals.memberships += 1
            for path, _parent, lead in unit_rows:
                unit = units[path]
                if unit.lead_id is None:
                    unit.lead = members[lead]
                    unit.save(update_fields=["lead"])
                    totals.leads += 1
        return org

    # --- Growing Acme ---------------------------------------------------------

    def grow(self, org: Organization, target: int, totals: Totals) -> None:
        """Add generated people (and units for them) until ``org`` has ``target`` active people."""
        with tenant_context(org.pk):
            active = Membership.objects.filter(org=org, is_active=True).count()
            missing = target - active
            if missing <= 0:
                totals.notes.append(f"{org.name} already has {active} active people.")
                return
            nodes = self.load_tree(org)
            unit_target = math.ceil(target / PEOPLE_PER_UNIT)
            new_nodes = self.plan_units(org, nodes, min(unit_target - len(nodes), missing))
            self.save_units(new_nodes)
            plans = self.plan_people(org, nodes, new_nodes, missing)
            self.save_people(plans)
            for node in new_nodes:
                node.unit.lead = node.lead
            Unit.objects.bulk_update([n.unit for n in new_nodes], ["lead"], batch_size=BATCH_SIZE)
        totals.units += len(new_nodes)
        totals.leads += len(new_nodes)
        totals.users += len(plans)
        totals.memberships += len(plans)

    def load_tree(self, org: Organization) -> list[Node]:
        units = list(Unit.objects.filter(org=org).select_related("lead").order_by("pk"))
        by_pk = {u.pk: u for u in units}
        nodes: dict[int, Node] = {}

        def node(unit: Unit) -> Node:
            if unit.pk not in nodes:
                parent = node(by_pk[unit.parent_id]) if unit.parent_id else None
                depth = parent.depth + 1 if parent else 0
                family = unit.name if depth == 1 else (parent.family if parent else "")
                nodes[unit.pk] = Node(unit.name, parent, depth, family, unit, unit.lead)
                if parent:
                    parent.children += 1
            return nodes[unit.pk]

        return [node(u) for u in units]

    def plan_units(self, org: Organization, nodes: list[Node], count: int) -> list[Node]:
        """New units, each under the shallowest eligible unit with the fewest sub-units."""
        taken = {n.name.lower() for n in nodes}
        new: list[Node] = []
        eligible = [n for n in nodes if 1 <= n.depth <= MAX_PARENT_DEPTH]
        if not eligible:
            return new
        for _ in range(count):
            parent = min(eligible, key=lambda n: (n.children, n.depth))
            name = self.unit_name(parent.family, taken)
            taken.add(name.lower())
            child = Node(name, parent, parent.depth + 1, parent.family, Unit(org=org, name=name))
            parent.children += 1
            new.append(child)
            if child.depth <= MAX_PARENT_DEPTH:
                eligible.append(child)
        return new

    @staticmethod
    def unit_name(family: str, taken: set[str]) -> str:
        words = UNIT_WORDS.get(family, DEFAULT_UNIT_WORDS)
        for suffix in UNIT_SUFFIXES:
            for word in words:
                if f"{word}{suffix}".lower() not in taken:
                    return f"{word}{suffix}"
        n = 2
        while True:
            for word in words:
                if f"{word} {n}".lower() not in taken:
                    return f"{word} {n}"
            n += 1

    @staticmethod
    def save_units(new_nodes: list[Node]) -> None:
        """Insert new units parents first, one bulk insert per depth."""
        for depth in sorted({n.depth for n in new_nodes}):
            level = [n for n in new_nodes if n.depth == depth]
            for n in level:
                n.unit.parent = n.parent.unit
            Unit.objects.bulk_create([n.unit for n in level], batch_size=BATCH_SIZE)

    def plan_people(
        self, org: Organization, nodes: list[Node], new_nodes: list[Node], count: int
    ) -> list[Plan]:
        """A lead for each new unit (parents first), then members spread over the units."""
        names = self.new_names(org, count)
        plans: list[Plan] = []
        top = Membership.objects.filter(org=org, role=Role.ADMIN, is_active=True).order_by("pk")[0]

        def manager_of(node: Node | None) -> Membership:
            while node is not None and node.lead is None:
                node = node.parent
            return node.lead if node is not None else top

        def add(node: Node, title: str, role: str, manager: Membership) -> Plan:
            email, full_name = names[len(plans)]
            user = User(email=email, full_name=full_name, password=self.password_hash)
            membership = Membership(org=org, role=role, title=title, unit=node.unit)
            plan = Plan(membership, user, manager)
            plans.append(plan)
            return plan

        for node in sorted(new_nodes, key=lambda n: n.depth):
            title = f"{LEAD_TITLES.get(node.family, 'Team Lead')}, {node.name}"
            plan = add(node, title, Role.MANAGER, manager_of(node.parent))
            node.lead = plan.membership
        homes = [n for n in nodes + new_nodes if n.depth >= 2] or nodes
        i = 0
        while len(plans) < count:
            node = homes[i % len(homes)]
            titles = MEMBER_TITLES.get(node.family, DEFAULT_MEMBER_TITLES)
            add(node, titles[i % len(titles)], Role.MEMBER, manager_of(node))
            i += 1
        return plans

    @staticmethod
    def new_names(org: Organization, count: int) -> list[tuple[str, str]]:
        """``count`` (email, full name) pairs not yet used by any account."""
        domain = f"@{org.slug}.test"
        used = set(User.objects.filter(email__endswith=domain).values_list("email", flat=True))
        pairs = len(FIRST_NAMES) * len(LAST_NAMES)
        found: list[tuple[str, str]] = []
        k = 0
        while len(found) < count:
            index = (k * NAME_STRIDE) % pairs
            first = FIRST_NAMES[index % len(FIRST_NAMES)]
            last = LAST_NAMES[index // len(FIRST_NAMES)]
            round_ = k // pairs
            local = f"{_ascii(first)}.{_ascii(last)}{round_ + 1 if round_ else ''}"
            email = f"{local}{domain}"
            if email not in used:
                found.append((email, f"{first} {last}"))
                used.add(email)
            k += 1
        return found

    def save_people(self, plans: list[Plan]) -> None:
        """Bulk-insert users and memberships; a batch never holds someone and their manager."""
        done = 0
        self.progress(done, len(plans))
        batch: list[Plan] = []
        in_batch: set[int] = set()

        def flush() -> None:
            nonlocal done
            User.objects.bulk_create([p.user for p in batch], batch_size=BATCH_SIZE)
            for p in batch:
                p.membership.user = p.user
                p.membership.manager = p.manager
            Membership.objects.bulk_create([p.membership for p in batch], batch_size=BATCH_SIZE)
            done += len(batch)
            self.progress(done, len(plans))
            batch.clear()
            in_batch.clear()

        for plan in plans:
            if len(batch) >= BATCH_SIZE or id(plan.manager) in in_batch:
                flush()
            batch.append(plan)
            in_batch.add(id(plan.membership))
        if batch:
            flush()
        self.stdout.write("")

    def progress(self, done: int, total: int, label: str = "Adding people") -> None:
        width = 30
        filled = width * done // total if total else width
        bar = "#" * filled + "." * (width - filled)
        self.stdout.write(f"\r{label} [{bar}] {done}/{total}", ending="")
        self.stdout.flush()

    def stage_progress(self, stage: str, done: int, total: int) -> None:
        """One bar per stage of the scaled goals; a new stage starts on a new line."""
        if not total:
            return
        if stage != getattr(self, "_stage", None):
            if getattr(self, "_stage", None) is not None:
                self.stdout.write("")
            self._stage = stage
        self.progress(done, total, stage)

    # --- Summary ----------------------------------------------------------------

    def report(self, orgs: dict[str, Organization], totals: Totals) -> None:
        goals, kpis = totals.goals, totals.kpis
        made = [totals.orgs, totals.units, totals.memberships, totals.leads, goals.goals]
        if not any([*made, kpis.kpis, kpis.links, totals.feedback.created]):
            self.stdout.write("Demo data already in place: nothing to create.")
        else:
            self.stdout.write(
                f"Created {totals.orgs} organisations, {totals.units} units, "
                f"{totals.users} accounts, {totals.memberships} memberships, "
                f"{goals.cycles} cycles, {goals.goals:,} goals and {goals.checkins:,} check-ins."
            )
        if kpis.kpis:
            self.stdout.write(
                f"Added {kpis.kpis} KPIs with {kpis.measurements:,} measurements "
                f"({kpis.corrections} corrections) in {kpis.seconds:.1f} s."
            )
        if kpis.goal_snapshots or kpis.kpi_snapshots:
            self.stdout.write(
                f"Backfilled {kpis.goal_snapshots:,} daily goal snapshots and "
                f"{kpis.kpi_snapshots:,} KPI snapshots for this cycle's charts."
            )
        fb = totals.feedback
        if fb.created:
            self.stdout.write(
                f"Added {fb.values} company values, {fb.kudos:,} kudos ({fb.reactions:,} "
                f"reactions), {fb.feedback:,} feedback ({fb.revisions} corrected), "
                f"{fb.requests} feedback requests and {fb.comments:,} comments on "
                f"{fb.threads:,} goals ({fb.mentions:,} mentions) in {fb.seconds:.1f} s."
            )
        for note in totals.notes:
            self.stdout.write(note)
        for org in orgs.values():
            with tenant_context(org.pk):
                people = Membership.objects.filter(org=org, is_active=True).count()
                units = Unit.objects.filter(org=org).count()
                cycle = Cycle.objects.filter(org=org, status=Cycle.Status.ACTIVE).first()
                summary = ""
                if cycle is not None:
                    goal_count = Goal.objects.filter(org=org, cycle=cycle).count()
                    checkins = CheckIn.objects.filter(org=org, goal__cycle=cycle).count()
                    summary = f"; {cycle}: {goal_count:,} goals, {checkins:,} check-ins"
                kudos = Recognition.objects.filter(org=org).count()
                if kudos:
                    given = Feedback.objects.filter(org=org).count()
                    summary += f"; {kudos:,} kudos, {given:,} feedback"
                kpi_count = Kpi.objects.filter(org=org).count()
                if kpi_count:
                    measured = Measurement.objects.filter(org=org).count()
                    summary += f"; {kpi_count} KPIs, {measured:,} measurements"
            self.stdout.write(
                f"  {org.name} (/o/{org.slug}/): {people} people, {units} units{summary}"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"\nOpen {settings.SITE_URL}/ and log in with password {PASSWORD!r}:"
            )
        )
        for slug in orgs:
            for role in ("admin", "manager", "member"):
                self.stdout.write(
                    f"  {role}@{slug}.test".ljust(26) + f"{role} in {orgs[slug].name}"
                )
        self.stdout.write("  consultant@cairn.test".ljust(26) + "member of both (org switcher)")
