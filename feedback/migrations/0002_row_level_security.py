from django.db import migrations

from core.rls import EnableRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [("feedback", "0001_initial")]

    operations = [
        EnableRowLevelSecurity("feedback"),
        EnableRowLevelSecurity("feedbackrevision"),
        EnableRowLevelSecurity("feedbackrequest"),
    ]
