from django.db import migrations

from core.rls import EnableRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [EnableRowLevelSecurity("jobrun")]
