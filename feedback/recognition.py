"""Recognition ("kudos"): services and selectors.

Placeholder seam for the person page (filled by the recognition slice of issue 9).
"""

from __future__ import annotations


def person_summary(*, org, person, cycle) -> dict | None:
    """What the person page shows about the kudos ``person`` received in ``cycle``."""
    return None
