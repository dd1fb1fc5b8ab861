"""Extended statistics telling the planner that a goal's id names its organisation.

Every read of goals by id also says ``org_id = …`` (the application's filter and the
row-level security policy). Taken as independent, the two made the planner expect one
of a page's hundred goals once the table held other organisations' goals too (1% of
the rows: 100 × 1%), so it joined each goal's owner and user by nested loops, a
primary-key lookup a row. ``dependencies`` on ``(id, org_id)`` tell it the id alone
decides. PostgreSQL only; a no-op on SQLite.
"""

from django.db import migrations


def create_statistics(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE STATISTICS IF NOT EXISTS goal_id_org_stats (dependencies) ON id, org_id "
        "FROM goals_goal"
    )
    schema_editor.execute("ANALYZE goals_goal")


def drop_statistics(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP STATISTICS IF EXISTS goal_id_org_stats")


class Migration(migrations.Migration):
    dependencies = [
        ("goals", "0005_goal_title_top_and_private_indexes_org_cycle_statistics"),
    ]

    operations = [
        migrations.RunPython(create_statistics, drop_statistics, elidable=False),
    ]
