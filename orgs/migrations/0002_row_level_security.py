from django.db import migrations

from core.rls import EnableRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [("orgs", "0001_initial")]

    operations = [
        EnableRowLevelSecurity("unit"),
        # People may read their own memberships in every organisation (the switcher).
        EnableRowLevelSecurity("membership", also_own_rows_of="user_id"),
        EnableRowLevelSecurity("invitation"),
        EnableRowLevelSecurity("apitoken"),
    ]
