from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("interviews", "0007_board_image"),
    ]

    operations = [
        migrations.AddField(
            model_name="interview",
            name="call_link",
            field=models.URLField(blank=True, default="", max_length=500),
        ),
    ]
