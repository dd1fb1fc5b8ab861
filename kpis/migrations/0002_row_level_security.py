from django.db import migrations

from core.rls import EnableRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [("kpis", "0001_initial")]

    operations = [
        EnableRowLevelSecurity("kpi"),
        EnableRowLevelSecurity("goalkpi"),
        EnableRowLevelSecurity("measurement"),
        EnableRowLevelSecurity("periodvalue"),
        EnableRowLevelSecurity("kpisnapshot"),
        EnableRowLevelSecurity("idempotentrequest"),
    ]
