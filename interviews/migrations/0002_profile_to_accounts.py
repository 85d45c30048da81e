# The profile moved to the accounts app (accounts/migrations/0001_initial.py keeps its table).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("interviews", "0001_initial"),
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Profile")],
            database_operations=[],
        ),
    ]
