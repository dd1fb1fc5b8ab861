"""Three indexes on goals, and extended statistics on the columns read with ``org_id``.

The planner takes ``org_id = 1 AND cycle_id = 2`` for two independent conditions and
multiplies their selectivities: with 1,000 organisations it expected 11 of a cycle's
1,056 goals and chose plans for 11. A cycle, an owner, a parent or a goal belongs to one
organisation, which ``CREATE STATISTICS … (dependencies, ndistinct)`` tells it. PostgreSQL
only; a no-op on SQLite. ``ANALYZE`` fills them in (the application role may not run it).
"""

from django.db import migrations, models

# (name, table, columns): each column names a row of one organisation only.
STATISTICS = [
    ("goal_org_cycle_stats", "goals_goal", "org_id, cycle_id"),
    ("goal_org_owner_stats", "goals_goal", "org_id, owner_id"),
    ("goal_org_parent_stats", "goals_goal", "org_id, parent_id"),
    ("keyresult_org_goal_stats", "goals_keyresult", "org_id, goal_id"),
    ("checkin_org_keyresult_stats", "goals_checkin", "org_id, key_result_id"),
]


def create_statistics(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, columns in STATISTICS:
        schema_editor.execute(
            f"CREATE STATISTICS IF NOT EXISTS {name} (dependencies, ndistinct) "
            f"ON {columns} FROM {table}"
        )
    for table in sorted({table for _name, table, _columns in STATISTICS}):
        schema_editor.execute(f"ANALYZE {table}")


def drop_statistics(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _columns in STATISTICS:
        schema_editor.execute(f"DROP STATISTICS IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("goals", "0004_goal_last_changes_request"),
        ("orgs", "0002_row_level_security"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="goal",
            index=models.Index(
                fields=["org", "title", "id"],
                include=("visibility", "owner", "cycle"),
                name="goal_org_title",
            ),
        ),
        migrations.AddIndex(
            model_name="goal",
            index=models.Index(
                condition=models.Q(("parent__isnull", True)),
                fields=["org", "cycle"],
                name="goal_org_cycle_top",
            ),
        ),
        migrations.AddIndex(
            model_name="goal",
            index=models.Index(
                condition=models.Q(("visibility", "private")),
                fields=["org", "cycle"],
                name="goal_org_cycle_private",
            ),
        ),
        migrations.RunPython(create_statistics, drop_statistics, elidable=False),
    ]
