from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("interviews", "0006_marks"),
    ]

    operations = [
        migrations.AddField(
            model_name="interview",
            name="call_link",
            field=models.URLField(blank=True, default="", max_length=500),
        ),
    ]
