from django.db import migrations

from core.rls import EnableRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [("goals", "0001_initial")]

    operations = [
        EnableRowLevelSecurity("cycle"),
        EnableRowLevelSecurity("goal"),
        EnableRowLevelSecurity("keyresult"),
        EnableRowLevelSecurity("milestone"),
        EnableRowLevelSecurity("checkin"),
        EnableRowLevelSecurity("goalevent"),
    ]
