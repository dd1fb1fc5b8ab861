"""Changes awaiting re-approval move aside; the stored values go back to the approved ones.

Before this, an owner's change to an active goal was written in place and counted at
once. Goals flagged for re-approval get their approved parent, weight and key result
targets back from ``approved_snapshot``; what the owner changed becomes
``pending_changes``; key results added since approval wait with ``awaiting_approval``.
(Key results removed since approval cannot be brought back.) The nightly
recompute_progress job then brings the stored progress in line.
"""

from decimal import Decimal

from django.db import migrations, models

KR_TARGET_FIELDS = ("start_value", "target_value", "direction", "weight", "kind")


def _same(a, b) -> bool:
    try:
        return Decimal(str(a)) == Decimal(str(b))
    except Exception:  # noqa: BLE001 - not numbers: compare as text
        return str(a) == str(b)


def _text(value):
    return format(value.normalize(), "f") if isinstance(value, Decimal) else value


def move_changes_aside(apps, schema_editor):
    from core.tenancy import set_current_org

    Organization = apps.get_model("orgs", "Organization")
    Goal = apps.get_model("goals", "Goal")
    KeyResult = apps.get_model("goals", "KeyResult")
    for org_id in Organization.objects.values_list("pk", flat=True):
        set_current_org(org_id)
        goals = Goal.objects.filter(
            org_id=org_id, status="approved", needs_reapproval=True, approved_snapshot__isnull=False
        )
        for goal in goals:
            snap = goal.approved_snapshot
            pending: dict = {}
            parent_id = snap.get("parent_id")
            if parent_id != goal.parent_id and (
                parent_id is None or Goal.objects.filter(org_id=org_id, pk=parent_id).exists()
            ):
                pending["parent_id"] = goal.parent_id
                goal.parent_id = parent_id
            if snap.get("weight") is not None and not _same(snap["weight"], goal.weight):
                pending["weight"] = _text(goal.weight)
                goal.weight = Decimal(str(snap["weight"]))
            approved_krs = snap.get("key_results") or {}
            for kr in KeyResult.objects.filter(org_id=org_id, goal_id=goal.pk):
                old = approved_krs.get(str(kr.pk))
                if old is None:
                    kr.awaiting_approval = True
                    kr.save(update_fields=["awaiting_approval"])
                    continue
                changed = {f: old[f] for f in KR_TARGET_FIELDS if f in old}
                changed = {f: v for f, v in changed.items() if not _same(v, getattr(kr, f))}
                if changed:
                    pending.setdefault("key_results", {})[str(kr.pk)] = {
                        f: _text(getattr(kr, f)) for f in changed
                    }
                    for f, v in changed.items():
                        setattr(kr, f, v if f in ("kind", "direction") else Decimal(str(v)))
                    kr.save(update_fields=list(changed))
            goal.pending_changes = pending or None
            goal.save(update_fields=["parent_id", "weight", "pending_changes"])
    set_current_org(None)


class Migration(migrations.Migration):
    dependencies = [
        ("goals", "0002_row_level_security"),
        ("orgs", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="goal",
            name="pending_changes",
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="keyresult",
            name="awaiting_approval",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(move_changes_aside, migrations.RunPython.noop),
    ]
