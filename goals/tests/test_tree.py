"""The cascade tree: nesting, lazy branches, visibility, filters and the ARIA tree pattern."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test.html import Element, parse_html
from django.urls import reverse
from django.utils import timezone

from core.tenancy import tenant_context
from goals import selectors, services
from goals.access import Actor
from goals.models import CheckIn, Confidence, Goal, GoalStatus, Level
from goals.selectors import alignment_path


@dataclass
class Cascade:
    objective: Goal  # "Double weekly active teams" (admin)
    churn: Goal  # "Cut churn in half" (admin), nobody contributes
    platform: Goal  # Engineering unit goal under the objective (manager)
    docs: Goal  # Bob's goal under the platform goal
    guide: Goal  # Bob's draft under his docs goal
    hiring: Goal  # Carol's private goal under the platform goal
    solo: Goal  # Bob's approved goal contributing to nothing


@pytest.fixture
def cascade(cast, cycle, objective) -> Cascade:
    """Two objectives; under the first a unit goal, Bob's goal (with a draft below it)
    and Carol's private goal; and a goal of Bob's that contributes to nothing."""
    with tenant_context(cast.org.pk):
        admin, manager = Actor(cast.admin), Actor(cast.manager)
        churn = services.goal_create(
            actor=admin,
            cycle=cycle,
            level=Level.ORGANISATION,
            title="Cut churn in half",
            status=GoalStatus.APPROVED,
        )
        platform = services.goal_create(
            actor=admin,
            cycle=cycle,
            level=Level.UNIT,
            unit=cast.engineering,
            owner=cast.manager,
            parent=objective,
            title="Ship the platform API",
            status=GoalStatus.APPROVED,
        )
        docs = services.goal_create(
            actor=manager,
            cycle=cycle,
            owner=cast.member,
            parent=platform,
            title="Document every endpoint",
            manual_progress=80,
            status=GoalStatus.APPROVED,
        )
        guide = services.goal_create(
            actor=Actor(cast.member), cycle=cycle, parent=docs, title="Write the auth guide"
        )
        hiring = services.goal_create(
            actor=manager,
            cycle=cycle,
            owner=cast.member2,
            parent=platform,
            title="Hire a platform engineer",
            visibility="private",
            manual_progress=10,
            status=GoalStatus.APPROVED,
        )
        solo = services.goal_create(
            actor=manager,
            cycle=cycle,
            owner=cast.member,
            title="Tidy the backlog",
            manual_progress=50,
            status=GoalStatus.APPROVED,
        )
    return Cascade(objective, churn, platform, docs, guide, hiring, solo)


# --- Helpers --------------------------------------------------------------------------


def tree_url(cast) -> str:
    return reverse("goals:goal_tree", args=[cast.org.slug])


def children_url(cast, goal: Goal) -> str:
    return reverse("goals:goal_tree_children", args=[cast.org.slug, goal.pk])


def html(response) -> Element:
    return parse_html(response.content.decode())


def walk(element: Element):
    yield element
    for child in element.children:
        if isinstance(child, Element):
            yield from walk(child)


def attrs(element: Element) -> dict:
    return dict(element.attributes)


def by_id(root: Element, id_: str) -> Element | None:
    return next((e for e in walk(root) if attrs(e).get("id") == id_), None)


def treeitem(root: Element, goal: Goal) -> dict:
    """The attributes of a goal's treeitem."""
    node = by_id(root, f"node-{goal.pk}")
    assert node is not None, f"{goal.title} is not shown"
    item = next(e for e in walk(node) if attrs(e).get("role") == "treeitem")
    return attrs(item)


def shown_titles(root: Element) -> list[str]:
    """The titles of the treeitems in document order."""
    titles = []
    for e in walk(root):
        if attrs(e).get("role") == "treeitem":
            titles.append("".join(c for c in e.children if isinstance(c, str)).strip())
    return titles


def kids_of(root: Element, goal: Goal) -> list[str]:
    """The titles directly inside a goal's group."""
    group = by_id(root, f"group-{goal.pk}")
    assert group is not None
    items = [c for c in group.children if isinstance(c, Element) and c.name == "li"]
    return [shown_titles(li)[0] for li in items]


def roots(root: Element) -> list[str]:
    tree = next(e for e in walk(root) if attrs(e).get("role") == "tree")
    return [shown_titles(li)[0] for li in tree.children if isinstance(li, Element)]


# --- Structure ------------------------------------------------------------------------


def test_it_puts_organisation_objectives_at_the_top_and_closes_branches(cast, cascade, login):
    response = login(cast.admin).get(tree_url(cast))
    assert response.status_code == 200
    page = html(response)
    assert roots(page) == ["Cut churn in half", "Double weekly active teams", "Tidy the backlog"]
    assert treeitem(page, cascade.objective)["aria-expanded"] == "false"
    assert "aria-expanded" not in treeitem(page, cascade.churn)  # nothing below it
    assert "Ship the platform API" not in shown_titles(page)
    assert "Contributes to no goal" in str(by_id(page, f"meta-{cascade.solo.pk}"))


def test_it_nests_contributing_goals_below_the_goal_they_serve(cast, cascade, login):
    response = login(cast.admin).get(tree_url(cast), {"open": cascade.docs.pk})
    page = html(response)
    # Opening Bob's goal opens the goals above it too.
    assert kids_of(page, cascade.objective) == ["Ship the platform API"]
    assert kids_of(page, cascade.platform) == [
        "Document every endpoint",
        "Hire a platform engineer",
    ]
    assert kids_of(page, cascade.docs) == ["Write the auth guide"]
    assert treeitem(page, cascade.platform)["aria-expanded"] == "true"
    assert treeitem(page, cascade.platform)["aria-level"] == "2"
    assert treeitem(page, cascade.guide)["aria-level"] == "4"


def test_each_node_shows_owner_unit_progress_status_and_approval(cast, cascade, login):
    response = login(cast.admin).get(tree_url(cast), {"open": cascade.platform.pk})
    page = html(response)
    meta = by_id(page, f"meta-{cascade.docs.pk}")
    text = str(meta)
    assert "Bob Member (Acme)" in text
    assert "Platform" in text  # Bob's unit, as his goal has none of its own
    assert "80%" in text
    assert "Active" in text  # approval state
    assert any(s in text for s in ("On track", "At risk", "Off track"))  # status in words
    link = treeitem(page, cascade.docs)["href"]
    assert link == reverse("goals:goal_detail", args=[cast.org.slug, cascade.docs.pk])
    unit_goal = str(by_id(page, f"meta-{cascade.platform.pk}"))
    assert "Engineering" in unit_goal and "Mallory Manager (Acme)" in unit_goal


def test_it_defaults_to_the_active_cycle_and_shows_another_on_request(cast, cascade, login):
    with tenant_context(cast.org.pk):
        later = services.cycle_save(
            actor=Actor(cast.admin),
            name="Next quarter",
            start=cascade.objective.cycle.end + timedelta(days=1),
            end=cascade.objective.cycle.end + timedelta(days=90),
        )
    client = login(cast.admin)
    assert client.get(tree_url(cast)).context["cycle"].name == "This quarter"
    response = client.get(tree_url(cast), {"cycle": later.pk})
    assert response.context["cycle"] == later
    assert b"No goals in Next quarter yet." in response.content
    assert client.get(tree_url(cast), {"cycle": 999999}).status_code == 404


def test_it_never_shows_another_organisations_cycle(cast, cascade, login):
    response = login(cast.other_admin).get(
        reverse("goals:goal_tree", args=[cast.other_org.slug]),
        {"cycle": cascade.objective.cycle_id},
    )
    assert response.status_code == 404


# --- Lazy children --------------------------------------------------------------------


def test_the_children_endpoint_returns_only_that_goals_children(cast, cascade, login):
    response = login(cast.admin).get(children_url(cast, cascade.platform), {"level": 2})
    assert response.status_code == 200
    fragment = html(response)
    items = [e for e in fragment.children if isinstance(e, Element)]
    assert [e.name for e in items] == ["li", "li"]
    assert shown_titles(fragment) == ["Document every endpoint", "Hire a platform engineer"]
    docs = treeitem(fragment, cascade.docs)
    assert docs["aria-level"] == "3"
    assert docs["aria-setsize"] == "2" and docs["aria-posinset"] == "1"
    assert docs["aria-expanded"] == "false"  # its own children load later
    assert b"<html" not in response.content


def test_children_leave_out_private_goals_a_member_may_not_see(cast, cascade, login):
    response = login(cast.member).get(children_url(cast, cascade.platform))
    assert shown_titles(html(response)) == ["Document every endpoint"]
    response = login(cast.member2).get(children_url(cast, cascade.platform))
    assert "Hire a platform engineer" in shown_titles(html(response))


def test_children_of_a_goal_the_member_may_not_see_are_404(cast, cascade, login):
    assert login(cast.member).get(children_url(cast, cascade.hiring)).status_code == 404
    other = login(cast.other_admin).get(
        reverse("goals:goal_tree_children", args=[cast.other_org.slug, cascade.platform.pk])
    )
    assert other.status_code == 404


def test_the_member_tree_hides_private_goals_and_their_count(cast, cascade, login):
    response = login(cast.member).get(tree_url(cast), {"open": cascade.platform.pk})
    page = html(response)
    assert kids_of(page, cascade.platform) == ["Document every endpoint"]
    assert "Hire a platform engineer" not in response.content.decode()
    assert "1 contributing goal" in str(by_id(page, f"meta-{cascade.platform.pk}"))


def test_a_manager_sees_the_private_goals_of_their_reports(cast, cascade, login):
    response = login(cast.manager).get(tree_url(cast), {"open": cascade.platform.pk})
    assert "Hire a platform engineer" in kids_of(html(response), cascade.platform)


def test_a_visible_goal_under_a_hidden_one_stands_at_the_top(cast, cascade, login):
    with tenant_context(cast.org.pk):
        hidden_child = services.goal_create(
            actor=Actor(cast.manager),
            cycle=cascade.objective.cycle,
            owner=cast.member2,
            parent=cascade.hiring,
            title="Post the job ad",
        )
    page = html(login(cast.member).get(tree_url(cast)))
    assert "Post the job ad" in roots(page)
    assert treeitem(page, hidden_child)["aria-level"] == "1"
    assert "Contributes to a goal you cannot see" in str(by_id(page, f"meta-{hidden_child.pk}"))


# --- Expand all -----------------------------------------------------------------------


def test_expand_all_loads_the_whole_visible_subtree_open(cast, cascade, login):
    response = login(cast.member).get(
        children_url(cast, cascade.objective), {"level": 1, "expand": "all"}
    )
    fragment = html(response)
    assert shown_titles(fragment) == [
        "Ship the platform API",
        "Document every endpoint",
        "Write the auth guide",
    ]
    assert treeitem(fragment, cascade.platform)["aria-expanded"] == "true"
    assert treeitem(fragment, cascade.docs)["aria-expanded"] == "true"
    assert treeitem(fragment, cascade.guide)["aria-level"] == "4"


def test_expand_all_works_without_javascript(cast, cascade, login):
    client = login(cast.admin)
    page = html(client.get(tree_url(cast)))
    node = by_id(page, f"node-{cascade.objective.pk}")
    link = next(e for e in walk(node) if "expand-all" in attrs(e).get("class", ""))
    url = attrs(link)["href"]
    assert f"expand={cascade.objective.pk}" in url
    opened = html(client.get(url))
    assert kids_of(opened, cascade.platform) == [
        "Document every endpoint",
        "Hire a platform engineer",
    ]
    assert kids_of(opened, cascade.docs) == ["Write the auth guide"]
    # Closing one goal inside the opened branch keeps the rest open.
    toggle = next(
        e
        for e in walk(by_id(opened, f"node-{cascade.docs.pk}"))
        if attrs(e).get("class") == "toggle"
    )
    closed = html(client.get(attrs(toggle)["href"]))
    assert treeitem(closed, cascade.docs)["aria-expanded"] == "false"
    assert treeitem(closed, cascade.platform)["aria-expanded"] == "true"


# --- Without JavaScript ---------------------------------------------------------------


def test_open_and_close_are_links_that_work_without_javascript(cast, cascade, login):
    client = login(cast.admin)
    page = html(client.get(tree_url(cast)))
    toggle = next(
        e
        for e in walk(by_id(page, f"node-{cascade.objective.pk}"))
        if attrs(e).get("class") == "toggle"
    )
    assert attrs(toggle)["hx-get"].startswith(children_url(cast, cascade.objective))
    opened = html(client.get(attrs(toggle)["href"]))
    assert kids_of(opened, cascade.objective) == ["Ship the platform API"]
    toggle = next(
        e
        for e in walk(by_id(opened, f"node-{cascade.objective.pk}"))
        if attrs(e).get("class") == "toggle"
    )
    closed = html(client.get(attrs(toggle)["href"]))
    assert "Ship the platform API" not in shown_titles(closed)


# --- ARIA -----------------------------------------------------------------------------


def test_it_follows_the_aria_tree_pattern(cast, cascade, login):
    response = login(cast.admin).get(tree_url(cast), {"open": cascade.platform.pk})
    page = html(response)
    tree = [e for e in walk(page) if attrs(e).get("role") == "tree"]
    assert len(tree) == 1 and tree[0].name == "ul" and attrs(tree[0]).get("aria-label")
    group = by_id(page, f"group-{cascade.platform.pk}")
    assert attrs(group)["role"] == "group"
    platform = treeitem(page, cascade.platform)
    assert platform["aria-owns"] == f"group-{cascade.platform.pk}"
    assert platform["aria-describedby"] == f"meta-{cascade.platform.pk}"
    items = [attrs(e) for e in walk(page) if attrs(e).get("role") == "treeitem"]
    assert all({"aria-level", "aria-setsize", "aria-posinset", "href"} <= a.keys() for a in items)
    top = [treeitem(page, g) for g in (cascade.churn, cascade.objective, cascade.solo)]
    assert [(a["aria-posinset"], a["aria-setsize"]) for a in top] == [
        ("1", "3"),
        ("2", "3"),
        ("3", "3"),
    ]
    assert b"js/tree.js" in response.content and b"defer" in response.content


# --- Filters --------------------------------------------------------------------------


def matches(response) -> list[str]:
    page = html(response)
    rows = [e for e in walk(page) if "is-match" in attrs(e).get("class", "")]
    return sorted(shown_titles(row)[0] for row in rows)


def test_search_shows_matches_with_the_goals_above_them(cast, cascade, login):
    response = login(cast.admin).get(tree_url(cast), {"q": "AUTH"})
    page = html(response)
    assert matches(response) == ["Write the auth guide"]
    assert roots(page) == ["Double weekly active teams"]
    assert kids_of(page, cascade.platform) == ["Document every endpoint"]
    assert kids_of(page, cascade.docs) == ["Write the auth guide"]
    assert "1 goal matches" in response.content.decode()


def test_search_never_reveals_private_goals(cast, cascade, login):
    response = login(cast.member).get(tree_url(cast), {"q": "hire"})
    assert matches(response) == []
    assert b"No goal you can see matches these filters." in response.content


def test_a_match_under_a_hidden_goal_stands_at_the_top_without_the_goals_above(
    cast, cascade, login
):
    with tenant_context(cast.org.pk):
        services.goal_create(
            actor=Actor(cast.manager),
            cycle=cascade.objective.cycle,
            owner=cast.member2,
            parent=cascade.hiring,
            title="Post the job ad",
        )
    response = login(cast.member).get(tree_url(cast), {"q": "job ad"})
    assert matches(response) == ["Post the job ad"]
    assert roots(html(response)) == ["Post the job ad"]
    assert "Ship the platform API" not in response.content.decode()


def test_the_unit_filter_takes_sub_units_and_owners_in_them(cast, cascade, login):
    response = login(cast.admin).get(tree_url(cast), {"unit": cast.engineering.pk})
    # The unit goal of Engineering, and the goals of people in Platform (below it).
    assert matches(response) == [
        "Document every endpoint",
        "Hire a platform engineer",
        "Ship the platform API",
        "Tidy the backlog",
        "Write the auth guide",
    ]
    response = login(cast.admin).get(tree_url(cast), {"unit": cast.company.pk})
    assert "Double weekly active teams" in matches(response)  # the admin sits in the company


def test_the_owner_filter(cast, cascade, login):
    response = login(cast.admin).get(tree_url(cast), {"owner": cast.member2.pk})
    assert matches(response) == ["Hire a platform engineer"]
    assert roots(html(response)) == ["Double weekly active teams"]
    # The link's owner is named next to a box that lifts the filter when unticked.
    body = response.content.decode()
    assert f'name="owner" value="{cast.member2.pk}" checked' in body
    assert "Only Carol Member (Acme)'s goals" in body


def test_the_owner_search_finds_goals_by_the_owners_name_or_email(cast, cascade, login):
    client = login(cast.admin)
    by_name = ["Document every endpoint", "Tidy the backlog", "Write the auth guide"]
    assert matches(client.get(tree_url(cast), {"owner_q": "bob"})) == by_name
    assert matches(client.get(tree_url(cast), {"owner_q": "  MEMBER   bob "})) == by_name
    assert matches(client.get(tree_url(cast), {"owner_q": "member2@"})) == [
        "Hire a platform engineer"
    ]
    nobody = client.get(tree_url(cast), {"owner_q": "nobody at all"})
    assert nobody.status_code == 200 and matches(nobody) == []
    assert b"No goal you can see matches these filters." in nobody.content


def test_the_owner_filter_is_a_labelled_text_field_not_a_list_of_everyone(cast, cascade, login):
    page = html(login(cast.admin).get(tree_url(cast), {"owner_q": "carol"}))
    field = by_id(page, "tree-owner-q")
    assert attrs(field)["name"] == "owner_q" and attrs(field)["value"] == "carol"
    labels = [e for e in walk(page) if e.name == "label"]
    label = next(e for e in labels if attrs(e).get("for") == "tree-owner-q")
    assert "Owner" in str(label)
    assert by_id(page, "tree-owner") is None  # no <select> of every owner


def test_the_owner_search_never_reveals_private_goals(cast, cascade, login):
    # Carol's only goal is private: Bob finds nothing by her name, her manager finds it.
    assert matches(login(cast.member).get(tree_url(cast), {"owner_q": "carol"})) == []
    found = matches(login(cast.manager).get(tree_url(cast), {"owner_q": "carol"}))
    assert found == ["Hire a platform engineer"]


def test_an_owner_link_to_another_organisations_member_is_ignored(cast, cascade, login):
    response = login(cast.admin).get(tree_url(cast), {"owner": cast.other_member.pk})
    assert response.status_code == 200
    assert not response.context["filters"].active
    assert b'name="owner"' not in response.content


def test_the_status_filters_follow_goal_health(cast, cascade, login):
    client = login(cast.admin)
    # Halfway through the cycle: Bob's 80% is on track, Carol's 10% off track,
    # the backlog's 50% on track until its owner reports low confidence.
    with tenant_context(cast.org.pk):
        Goal.objects.filter(pk=cascade.solo.pk).update(confidence=Confidence.LOW)
    assert "Document every endpoint" in matches(client.get(tree_url(cast), {"status": "on_track"}))
    assert matches(client.get(tree_url(cast), {"status": "at_risk"})) == ["Tidy the backlog"]
    assert "Hire a platform engineer" in matches(
        client.get(tree_url(cast), {"status": "off_track"})
    )
    assert matches(client.get(tree_url(cast), {"status": "not_active"})) == ["Write the auth guide"]
    risky = matches(client.get(tree_url(cast), {"at_risk": "1"}))
    assert "Tidy the backlog" in risky and "Hire a platform engineer" in risky
    assert "Document every endpoint" not in risky


def test_the_stale_filter_finds_goals_without_a_recent_check_in(cast, cascade, login):
    with tenant_context(cast.org.pk):
        long_ago = timezone.now() - timedelta(days=30)
        Goal.objects.filter(pk=cascade.docs.pk).update(last_checkin_at=long_ago)
        Goal.objects.exclude(pk=cascade.docs.pk).update(last_checkin_at=timezone.now())
    response = login(cast.admin).get(tree_url(cast), {"status": "stale"})
    assert matches(response) == ["Document every endpoint"]
    assert "Stale" in str(by_id(html(response), f"meta-{cascade.docs.pk}"))
    assert CheckIn.objects.count() == 0  # the page only reads


def test_filters_combine_and_ignore_unknown_values(cast, cascade, login):
    client = login(cast.admin)
    both = client.get(tree_url(cast), {"owner": cast.member.pk, "q": "tidy"})
    assert matches(both) == ["Tidy the backlog"]
    junk = client.get(tree_url(cast), {"owner": "x", "unit": 999999, "status": "bogus"})
    assert junk.status_code == 200
    assert not junk.context["filters"].active


def test_an_htmx_filter_request_gets_only_the_tree(cast, cascade, login):
    response = login(cast.admin).get(tree_url(cast), {"q": "auth"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "<html" not in body and "Write the auth guide" in body
    assert '<div id="tree-region"' in body
    # The count updates the page's live region in place (an out-of-band swap).
    assert '<p id="tree-summary" hx-swap-oob="innerHTML">1 goal matches' in body


# --- Alignment path -------------------------------------------------------------------


def test_the_alignment_path_runs_from_the_objective_down(cast, cascade, django_assert_num_queries):
    with tenant_context(cast.org.pk):
        guide = Goal.objects.get(pk=cascade.guide.pk)
        with django_assert_num_queries(1):
            path = alignment_path(guide)
        assert [g.title for g in path] == [
            "Double weekly active teams",
            "Ship the platform API",
            "Document every endpoint",
        ]
        assert alignment_path(Goal.objects.get(pk=cascade.objective.pk)) == []


def test_the_alignment_path_leaves_out_goals_the_reader_may_not_see(cast, cascade):
    with tenant_context(cast.org.pk):
        job = services.goal_create(
            actor=Actor(cast.manager),
            cycle=cascade.objective.cycle,
            owner=cast.member2,
            parent=cascade.hiring,
            title="Post the job ad",
        )
        titles = [g.title for g in alignment_path(job, actor=Actor(cast.member))]
        assert titles == ["Double weekly active teams", "Ship the platform API"]
        titles = [g.title for g in alignment_path(job, actor=Actor(cast.member2))]
        assert titles[-1] == "Hire a platform engineer"


def test_a_filter_matching_too_many_goals_shows_the_first_by_title(
    cast, cascade, login, monkeypatch
):
    monkeypatch.setattr(selectors, "MATCH_LIMIT", 2)
    response = login(cast.admin).get(tree_url(cast), {"unit": cast.engineering.pk})
    page = html(response)
    assert matches(response) == ["Document every endpoint", "Hire a platform engineer"]
    # The platform goal matches too, but comes later: it stays as context only.
    assert kids_of(page, cascade.platform) == [
        "Document every endpoint",
        "Hire a platform engineer",
    ]
    assert "Tidy the backlog" not in shown_titles(page)
    assert treeitem(page, cascade.objective)["aria-setsize"] == "1"
    assert "More than 2 goals match" in response.content.decode()


def test_without_cycles_it_points_the_admin_to_the_cycles_page(cast, login):
    response = login(cast.admin).get(tree_url(cast))
    assert response.status_code == 200
    assert b"There are no goal cycles yet." in response.content
    assert reverse("goals:cycles", args=[cast.org.slug]).encode() in response.content
