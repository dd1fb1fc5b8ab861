"""Template source rules that a rendered page would otherwise show to people."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

TEMPLATES = sorted(Path(settings.BASE_DIR, "templates").rglob("*.html"))


def test_there_are_templates_to_check():
    assert len(TEMPLATES) > 30


def test_no_template_comment_spans_lines():
    """Django's {# … #} is one line only; a longer one is printed on the page as text."""
    unclosed = [
        f"{path.relative_to(settings.BASE_DIR)}:{number}"
        for path in TEMPLATES
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if re.search(r"\{#(?!.*#\})", line)
    ]
    assert unclosed == []


def test_no_comment_text_reaches_a_rendered_page(cast, login):
    from django.urls import reverse

    html = login(cast.member).get(reverse("goals:my_goals", args=[cast.org.slug])).content.decode()
    assert "{#" not in html and "#}" not in html
