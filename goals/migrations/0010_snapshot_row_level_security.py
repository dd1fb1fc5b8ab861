from django.db import migrations

from core.rls import EnableRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [("goals", "0009_kpi_links_and_snapshots")]

    operations = [EnableRowLevelSecurity("progresssnapshot")]
