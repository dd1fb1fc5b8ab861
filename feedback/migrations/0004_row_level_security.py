from django.db import migrations

from core.rls import EnableRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [("feedback", "0003_conversation_and_recognition")]

    operations = [
        EnableRowLevelSecurity("comment"),
        EnableRowLevelSecurity("commentrevision"),
        EnableRowLevelSecurity("mention"),
        EnableRowLevelSecurity("companyvalue"),
        EnableRowLevelSecurity("recognition"),
        EnableRowLevelSecurity("recognitionrecipient"),
        EnableRowLevelSecurity("recognitiongoal"),
        EnableRowLevelSecurity("reaction"),
    ]
