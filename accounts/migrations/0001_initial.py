# The profile moved here from the interviews app. Its table stays (db_table), so this only
# changes Django's idea of which app owns the model: no SQL runs.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("interviews", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Profile",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("display_name", models.CharField(max_length=60)),
                        (
                            "target_level",
                            models.CharField(
                                choices=[("mid", "Mid-level"), ("senior", "Senior"), ("staff", "Staff")],
                                default="senior",
                                max_length=10,
                            ),
                        ),
                        (
                            "user",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="profile",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={"db_table": "interviews_profile"},
                ),
            ],
            database_operations=[],
        ),
    ]
