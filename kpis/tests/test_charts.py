"""The KPI history chart and how KPI values are written."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

from kpis.charts import history_chart
from kpis.models import Kpi
from kpis.selectors import value_text  # re-exported from kpis.charts

BASE = datetime(2026, 11, 1, 6, tzinfo=UTC)


def axis_labels(kpi: Kpi, values) -> list[str]:
    points = [(BASE + timedelta(days=i), D(str(v))) for i, v in enumerate(values)]
    svg = str(history_chart(kpi, points).svg)
    return re.findall(
        r'class="kpi-chart-axis" x="[\d.]+" y="[\d.]+" text-anchor="end"[^>]*>([^<]+)<', svg
    )


def test_the_scale_ends_are_round_numbers_in_the_kpis_unit():
    latency = Kpi(name="p95", unit_label="ms", direction="lower", target=D(250),
                  amber_threshold=D(300), red_threshold=D(400))  # fmt: skip
    labels = axis_labels(latency, [465, 282, 310])
    # Not "475.75 ms" and "239.25 ms": whole milliseconds, the scale rounded outwards.
    assert labels[:2] == ["476 ms", "239 ms"]


def test_a_narrow_scale_keeps_the_places_it_needs():
    uptime = Kpi(name="Uptime", unit_label="%", direction="higher", target=D("99.95"),
                 amber_threshold=D("99.9"), red_threshold=D("99.5"))  # fmt: skip
    labels = axis_labels(uptime, ["99.2", "100", "99.8"])
    assert labels[:2] == ["100.1%", "99.1%"]


def test_a_scale_of_counts_stops_at_zero():
    incidents = Kpi(name="Incidents", unit_label="incidents", direction="lower", target=D(1),
                    amber_threshold=D(2), red_threshold=D(4))  # fmt: skip
    assert axis_labels(incidents, [0, 8, 3])[:2] == ["9 incidents", "0 incidents"]


def test_it_draws_a_narrow_chart_for_phones_with_the_same_description():
    incidents = Kpi(name="Incidents", unit_label="incidents", direction="lower", target=D(1),
                    amber_threshold=D(2), red_threshold=D(4))  # fmt: skip
    points = [(BASE + timedelta(days=i), D(v)) for i, v in enumerate([3, 1, 2])]
    svg = str(history_chart(incidents, points).svg)
    # The CSS shows the narrow one below 40rem, so its 13-unit labels stay 13 px or so.
    assert 'class="kpi-chart kpi-chart-wide" id="kpi-chart" viewBox="0 0 640 240"' in svg
    assert 'class="kpi-chart kpi-chart-narrow" id="kpi-chart-narrow" viewBox="0 0 340 240"' in svg
    assert svg.count('aria-label="Incidents: 3 measurements') == 2


def test_a_computed_means_four_places_show_as_two_and_typed_values_as_typed():
    yield_kpi = Kpi(name="Yield", unit_label="%")
    assert value_text(yield_kpi, D("93.9667")) == "93.97%"
    assert value_text(yield_kpi, D("99.9530")) == "99.953%"
    assert value_text(yield_kpi, D("94.6000")) == "94.6%"
    assert value_text(yield_kpi, None) == "—"
