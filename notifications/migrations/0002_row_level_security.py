from django.db import migrations

from core.rls import EnableRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    operations = [
        EnableRowLevelSecurity("notification"),
        EnableRowLevelSecurity("notificationsettings"),
    ]
