"""One date format across the app: 31 Dec 2026, from one setting (config/formats)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from core.tenancy import tenant_context
from goals import services
from goals.access import Actor
from goals.models import Cycle

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# Formats for machines (datetime attributes, date inputs) and the named app formats.
ALLOWED = {
    "'c'",
    '"c"',
    "'Y-m-d'",
    '"Y-m-d"',
    '"DATETIME_FORMAT"',
    '"MONTH_DAY_FORMAT"',
    '"YEAR_MONTH_FORMAT"',
}


def test_the_app_writes_dates_as_day_month_year():
    assert date_format(date(2026, 12, 31)) == "31 Dec 2026"
    assert Template("{{ d|date }}").render(Context({"d": date(2027, 1, 6)})) == "6 Jan 2027"
    assert Template("{{ d }}").render(Context({"d": date(2027, 1, 6)})) == "6 Jan 2027"
    moment = datetime(2026, 12, 31, 14, 5)
    assert Template('{{ d|date:"DATETIME_FORMAT" }}').render(Context({"d": moment})) == (
        "31 Dec 2026, 14:05"
    )


def test_no_template_spells_out_its_own_date_format():
    own = []
    for path in TEMPLATES.rglob("*.html"):
        for match in re.finditer(r"\|date:(\S+?)(?=[\s}|])", path.read_text()):
            if match.group(1) not in ALLOWED:
                own.append(f"{path.relative_to(TEMPLATES)}: {match.group(0)}")
    assert own == []


def test_the_approvals_queue_and_a_due_date_error_use_the_app_format(cast, login):
    today = timezone.localdate()
    with tenant_context(cast.org.pk):
        cycle = services.cycle_save(
            actor=Actor(cast.admin),
            name="Q1",
            start=date(2027, 1, 1),
            end=date(2027, 3, 31),
            status=Cycle.Status.ACTIVE,
        )
        goal = services.goal_create(actor=Actor(cast.member), cycle=cycle, title="Tidy the docs")
        services.goal_submit(actor=Actor(cast.member), goal=goal)
        draft = services.goal_create(actor=Actor(cast.member), cycle=cycle, title="Fix the docs")
    queue = login(cast.manager).get(reverse("goals:approvals", args=[cast.org.slug]))
    assert "31 Mar 2027" in queue.content.decode()

    data = {
        "title": "Fix the docs",
        "description": "",
        "parent": "",
        "weight": "1",
        "visibility": "public",
        "due_date": (today + timedelta(days=1000)).isoformat(),
        "manual_progress": "",
    }
    edit = login(cast.member).post(reverse("goals:goal_edit", args=[cast.org.slug, draft.pk]), data)
    assert (
        "The due date must fall inside the cycle (1 Jan 2027 – 31 Mar 2027)."
        in (edit.context["form"].errors["due_date"])
    )
