"""Goal.forecast_misses: a counted numeric key result's trend misses its target by the
cycle's end (goals.forecasts). Filled here for the active goals there are, so that no
goal reads "On track" until its next check-in; afterwards goals.forecasts keeps it."""

from django.db import migrations, models

NUMERIC = ("number", "percent", "currency")
TOWARD = ("increase", "decrease")


def fill(apps, schema_editor):
    from core.tenancy import set_current_org
    from kpis.forecast import RECENT, project

    Organization = apps.get_model("orgs", "Organization")
    Goal = apps.get_model("goals", "Goal")
    KeyResult = apps.get_model("goals", "KeyResult")
    CheckIn = apps.get_model("goals", "CheckIn")
    for org_id in Organization.objects.values_list("pk", flat=True):
        set_current_org(org_id)
        active = Goal.objects.filter(org_id=org_id, status="approved")
        ends = dict(active.values_list("pk", "cycle__end"))
        missing = set()
        key_results = KeyResult.objects.filter(
            org_id=org_id,
            goal__in=active,
            awaiting_approval=False,
            kind__in=NUMERIC,
            direction__in=TOWARD,
        ).values_list("pk", "goal_id", "direction", "target_value")
        for kr_id, goal_id, direction, target in key_results:
            if goal_id in missing:
                continue
            latest = CheckIn.objects.filter(org_id=org_id, key_result_id=kr_id).order_by(
                "-created_at", "-pk"
            )
            points = [
                (at, float(v)) for at, v in latest.values_list("created_at", "value")[:RECENT]
            ]
            if direction == "increase":
                forecast = project(points, ends[goal_id], lambda v, t=float(target): v >= t)
            else:
                forecast = project(points, ends[goal_id], lambda v, t=float(target): v <= t)
            if forecast is not None and not forecast.reaches:
                missing.add(goal_id)
        Goal.objects.filter(org_id=org_id, pk__in=missing).update(forecast_misses=True)


class Migration(migrations.Migration):
    dependencies = [
        ("goals", "0010_snapshot_row_level_security"),
        ("orgs", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="goal",
            name="forecast_misses",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
